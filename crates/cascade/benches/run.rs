//! The built-in scenario end to end: building its market (40,000 generated accounts) and running it to
//! equilibrium. `cargo bench -p cascade --bench run`.

use cascade::market::build_market;
use cascade::run::load_scenario;
use cascade_core::engine::Simulation;
use criterion::{criterion_group, criterion_main, Criterion};

fn builtin_scenario(c: &mut Criterion) {
    let (scenario, origin) = load_scenario("default").unwrap();
    let seed = scenario.simulation.seed;
    c.bench_function("builtin/build_market (40k accounts)", |b| {
        b.iter(|| build_market(&scenario, &origin, seed).unwrap())
    });
    let market = build_market(&scenario, &origin, seed).unwrap();
    let mut group = c.benchmark_group("builtin");
    group.sample_size(20);
    group.bench_function("run to equilibrium", |b| {
        b.iter(|| {
            let mut simulation = Simulation::new(market.clone());
            simulation.run()
        })
    });
    group.finish();
}

criterion_group!(benches, builtin_scenario);
criterion_main!(benches);
