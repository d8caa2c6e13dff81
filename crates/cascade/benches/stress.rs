//! The speed targets of the stress engine (issue 4), on the built-in `frictionless` scenario resized:
//!
//! - `sorted_book/build/10M`: sort a 10M-account book (target: under 300 ms);
//! - `cascade/1M x 500/full engine` vs `.../fast path` vs `.../naive rescan`: one cascade over 1M
//!   accounts and 500 blocks (targets: 250 ms with per-liquidation events; 1 ms on the fast path);
//!   the naive baseline rescans every account every block, and the ratio is printed;
//! - `stress/10k paths x 500 blocks x 100k accounts` (target: under 1 s on 2 cores);
//! - `stress/100k paths x 1000 blocks x 10M accounts` (target: under 10 s).
//!
//! Account generation is setup, outside the timings (a book is data the user brings). Run with
//! `cargo bench -p cascade --bench stress`; `CASCADE_BENCH_QUICK=1` skips the 10M-account cases.

use std::time::Duration;

mod common;

use cascade::stress::{path_source, run_paths};
use cascade_core::engine::{Market, Simulation};
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::ids::AccountId;
use cascade_core::oracle::{OracleState, PriceSource};
use cascade_core::price_path::ReferencePath;
use common::market;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

/// The naive baseline: the frictionless model (full close, sales at the reference price into the
/// external depth, no gas) with every account's health factor recomputed every block.
fn naive_run(market: &Market) -> u64 {
    let protocol = &market.protocols[0];
    let (c, d) = (0usize, 1usize);
    let params = protocol.risk_params[c].unwrap();
    let depth = market.assets[c].external_depth_usd;
    let mut reference: Vec<f64> = market.assets.iter().map(|a| a.path.price_at(0)).collect();
    let mut impact_log = 0.0;
    let mut sold = 0.0;
    let mut oracle_values: Vec<f64> = Vec::new();
    let mut states = Vec::new();
    for model in &market.oracles {
        let read = |source: PriceSource| match source {
            PriceSource::Reference(asset) => reference[asset.index()],
            PriceSource::Constant(price) => price,
            PriceSource::Oracle(oracle) => oracle_values[oracle.index()],
            PriceSource::Venue(_) => unreachable!(),
        };
        let initial = model.kind.read_sources(read);
        states.push(OracleState::new(model, initial));
        oracle_values.push(initial);
    }
    let mut collateral: Vec<f64> = (0..protocol.n_accounts())
        .map(|a| protocol.collateral_row(AccountId(a as u32))[c])
        .collect();
    let mut debt: Vec<f64> = (0..protocol.n_accounts())
        .map(|a| protocol.debt_row(AccountId(a as u32))[d])
        .collect();
    let mut liquidations = 0;
    for block in 0..market.settings.max_blocks {
        if let Some(depth) = depth {
            impact_log += (0.99_f64).ln() * sold / depth;
        }
        sold = 0.0;
        for (price, asset) in reference.iter_mut().zip(&market.assets) {
            *price = asset.path.price_at(block);
        }
        reference[c] *= f64::exp(impact_log);
        for (index, model) in market.oracles.iter().enumerate() {
            let read = |source: PriceSource| match source {
                PriceSource::Reference(asset) => reference[asset.index()],
                PriceSource::Constant(price) => price,
                PriceSource::Oracle(oracle) => oracle_values[oracle.index()],
                PriceSource::Venue(_) => unreachable!(),
            };
            oracle_values[index] = states[index].update(model, block, read);
        }
        let price = |asset: usize| oracle_values[protocol.oracle_of_asset[asset].unwrap().index()];
        let (pc, pd) = (price(c), price(d));
        for account in 0..collateral.len() {
            if debt[account] <= 0.0 || collateral[account] <= 0.0 {
                continue;
            }
            let health =
                collateral[account] * pc * params.liquidation_threshold / (debt[account] * pd);
            if health < 1.0 {
                let bonus = params.liquidation_bonus;
                let seized = (debt[account] * pd / pc * (1.0 + bonus)).min(collateral[account]);
                // The protocol's fee stays in its treasury; keepers sell the rest.
                let fee = (seized - seized / (1.0 + bonus)) * params.protocol_fee;
                sold += (seized - fee) * reference[c];
                collateral[account] -= seized;
                debt[account] = 0.0;
                liquidations += 1;
            }
        }
    }
    liquidations
}

fn targets(c: &mut Criterion) {
    let quick = std::env::var_os("CASCADE_BENCH_QUICK").is_some();

    // One cascade over 1M accounts and 500 blocks.
    let (market_1m, ..) = market(1_000_000, 500, 500);
    let book_1m = SortedBook::new(&market_1m).unwrap();
    let paths: Vec<&ReferencePath> = market_1m.assets.iter().map(|a| &a.path).collect();
    let mut scratch = FastScratch::default();
    let fast = run_fast(&market_1m, &book_1m, &paths, &mut scratch).unwrap();
    let naive_liquidations = naive_run(&market_1m);
    eprintln!(
        "1M x 500: fast path liquidates {} accounts, the naive rescan {} (same model)",
        fast.summary.n_liquidations, naive_liquidations
    );
    let mut group = c.benchmark_group("cascade/1M accounts x 500 blocks");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    // A run consumes its market: the input is cloned outside the timing, which covers indexing
    // the book, the working copy of its balances, the run, and dropping the simulation.
    group.bench_function("full engine (per-liquidation events)", |b| {
        b.iter_batched(
            || market_1m.clone(),
            |market| {
                let mut simulation = Simulation::new(market);
                simulation.run();
                simulation.events().len()
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("fast path", |b| {
        b.iter(|| run_fast(&market_1m, &book_1m, &paths, &mut scratch).unwrap())
    });
    group.bench_function("naive rescan", |b| b.iter(|| naive_run(&market_1m)));
    group.finish();

    // 10,000 paths x 500 blocks over 100,000 accounts, book sorting included.
    let (market_100k, scenario, origin) = market(100_000, 2_000, 500);
    let source = path_source(&scenario, &origin, None).unwrap();
    let mut group = c.benchmark_group("stress");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("10k paths x 500 blocks x 100k accounts", |b| {
        b.iter(|| run_paths(&market_100k, 10_000, &|i| source.paths(i), &|| {}, false))
    });
    group.finish();

    if quick {
        return;
    }
    let (market_10m, scenario, origin) = market(10_000_000, 1_000, 1_000);
    let mut group = c.benchmark_group("sorted_book");
    group.sample_size(10);
    // Building, not freeing: the 160 MB book is dropped outside the timing (a stress run builds
    // its book once and keeps it for every path).
    group.bench_function("build/10M", |b| {
        b.iter_with_large_drop(|| SortedBook::new(&market_10m).unwrap())
    });
    group.finish();
    let book = SortedBook::new(&market_10m).unwrap();
    eprintln!(
        "sorted book of {} accounts holds {:.0} MB",
        book.len(),
        book.heap_bytes() as f64 / 1e6
    );
    drop(book);
    let source = path_source(&scenario, &origin, None).unwrap();
    let mut group = c.benchmark_group("stress");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("100k paths x 1000 blocks x 10M accounts", |b| {
        b.iter(|| run_paths(&market_10m, 100_000, &|i| source.paths(i), &|| {}, false))
    });
    group.finish();
}

criterion_group!(benches, targets);
criterion_main!(benches);
