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
use cascade_core::engine::Simulation;
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::price_path::ReferencePath;
use common::{market, naive_run};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

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
    // The baseline ratio, printed: one timed naive run over the mean of 1,000 fast-path runs
    // (criterion's medians below are the reference figures).
    let (naive, fast_path) = common::naive_over_fast(&market_1m, &book_1m, &paths, &mut scratch);
    eprintln!(
        "1M x 500: naive rescan {:.3} s / fast path {:.1} us = {:.0}x",
        naive,
        fast_path * 1e6,
        naive / fast_path
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
