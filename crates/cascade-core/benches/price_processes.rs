//! Monte Carlo price paths: 10,000 paths of 500 blocks (12 s) per iteration, drawn into one reused
//! buffer as the stress command does. Throughput is in draws (blocks x assets) per second.
//! `cargo bench -p cascade-core --bench price_processes`.

use cascade_core::ids::AssetId;
use cascade_core::process::{
    log_returns_from_prices, AssetProcess, Bootstrap, Correlation, Garch, Gbm, Merton, Pegged,
    PricePaths, ProcessConfig, ProcessModel,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const N_PATHS: u64 = 10_000;
const N_BLOCKS: usize = 500;

/// A model whose first `matrix.len()` assets are correlated by `matrix`.
fn model(assets: Vec<AssetProcess>, matrix: Vec<Vec<f64>>) -> ProcessModel {
    ProcessModel::new(&ProcessConfig {
        block_seconds: 12.0,
        assets,
        correlation: Correlation {
            assets: (0..matrix.len() as u16).map(AssetId).collect(),
            matrix,
        },
    })
    .unwrap()
}

/// A synthetic 10-minute history (a deterministic zig-zag): the bench measures the sampler, not data.
fn history() -> Vec<f64> {
    let prices: Vec<f64> = (0..144)
        .map(|i| 200.0 * (1.0 + 0.01 * ((i * 7 % 13) as f64 - 6.0) / 6.0))
        .collect();
    log_returns_from_prices(&prices).unwrap()
}

fn price_paths(c: &mut Criterion) {
    let pair = vec![vec![1.0, 0.8], vec![0.8, 1.0]];
    let cases = [
        (
            "2 correlated GBM",
            model(vec![AssetProcess::Gbm(Gbm::default()); 2], pair.clone()),
        ),
        (
            "2 correlated Merton",
            model(
                vec![AssetProcess::Merton(Merton::default()); 2],
                pair.clone(),
            ),
        ),
        (
            "2 correlated GARCH-t (nu 5)",
            model(vec![AssetProcess::Garch(Garch::default()); 2], pair),
        ),
        (
            "bootstrap + pegged",
            model(
                vec![
                    AssetProcess::Bootstrap(Bootstrap {
                        log_returns: history(),
                        bar_seconds: 600.0,
                        mean_block_length: 6.0,
                    }),
                    AssetProcess::Pegged(Pegged::with_defaults(AssetId(0))),
                ],
                vec![],
            ),
        ),
    ];
    let mut group = c.benchmark_group("price_processes 10k paths x 500 blocks");
    group.sample_size(10);
    for (name, model) in &cases {
        let start = vec![2_000.0; model.n_assets()];
        group.throughput(Throughput::Elements(
            N_PATHS * (N_BLOCKS * model.n_assets()) as u64,
        ));
        group.bench_function(*name, |b| {
            let mut path = PricePaths::new();
            b.iter(|| {
                let mut last = 0.0;
                for index in 0..N_PATHS {
                    model.simulate_into(42, index, N_BLOCKS, &start, &mut path);
                    last += path.price(N_BLOCKS - 1, AssetId(0));
                }
                black_box(last)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, price_paths);
criterion_main!(benches);
