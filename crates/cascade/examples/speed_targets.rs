//! The issue-4 speed targets timed by CPU time as well as wall time, for machines shared with other
//! work (where criterion's wall-clock medians overstate the cost): each target runs several times
//! and prints the median wall time and the CPU time per run that this process used (from
//! `/proc/self/task/*/schedstat`, nanoseconds). The criterion benches (`cargo bench -p cascade --bench stress`)
//! remain the reference on an idle machine.
//!
//! `cargo run --release -p cascade --example speed_targets` runs every target; arguments choose
//! some: `quick` skips the 10M-account ones, and `book`, `engine`, `fast`, `naive`, `stress` or
//! `stress10m` run only those named (e.g. `-- book engine`, or one at a time under `perf record`).
//! `fast` also prints the baseline ratio: one naive rescan over the mean fast-path run.

// Timing is this example's purpose.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

use cascade::stress::{path_source, run_paths};
use cascade_core::engine::{Market, Simulation};
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::price_path::ReferencePath;

/// CPU seconds this process's threads have run so far: the sum over its live threads of the first
/// field of `/proc/self/task/*/schedstat` (nanoseconds on a CPU; rayon's workers live as long as
/// the process, so none is lost), precise enough for sub-millisecond runs.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut nanoseconds = 0u64;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        nanoseconds += stat
            .split_whitespace()
            .next()
            .and_then(|field| field.parse::<u64>().ok())
            .unwrap_or(0);
    }
    nanoseconds as f64 * 1e-9
}

fn time<O>(name: &str, runs: usize, mut f: impl FnMut() -> O) {
    time_batched(name, runs, || (), |()| f());
}

/// [`time`] of `f` on an input made by `setup` before each run; the setup, and dropping what `f`
/// returns, are outside the timing (criterion's `iter_batched` and `iter_with_large_drop`).
fn time_batched<I, O>(
    name: &str,
    runs: usize,
    mut setup: impl FnMut() -> I,
    mut f: impl FnMut(I) -> O,
) {
    let mut walls = Vec::with_capacity(runs);
    let mut cpu = 0.0;
    for _ in 0..runs {
        let input = setup();
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let output = f(input);
        walls.push(started.elapsed().as_secs_f64());
        cpu += cpu_seconds() - cpu_before;
        drop(output);
    }
    let cpu = cpu / runs as f64;
    walls.sort_by(f64::total_cmp);
    println!(
        "{name:<50} median wall {:>10.3} ms   CPU {:>10.3} ms per run ({runs} runs)",
        walls[runs / 2] * 1e3,
        cpu * 1e3
    );
}

fn market(
    n_accounts: u32,
    max_blocks: u64,
    path_blocks: u64,
) -> (Market, cascade::stress::PathSource) {
    let (market, scenario, origin) = common::market(n_accounts, max_blocks, path_blocks);
    let source = path_source(&scenario, &origin, None).unwrap();
    (market, source)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "quick");
    let named: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "quick")
        .collect();
    let wanted = |target: &str| {
        (named.is_empty() || named.contains(&target))
            && !(quick && matches!(target, "book" | "stress10m"))
    };
    let threads = rayon::current_num_threads();
    println!("rayon threads: {threads}");

    if wanted("engine") || wanted("fast") || wanted("naive") {
        let (market_1m, _) = market(1_000_000, 500, 500);
        if wanted("engine") {
            // The input market is cloned outside the timing (a run consumes its market); the
            // timing covers indexing the book, the working copy of its balances, the run and
            // dropping the simulation with its events.
            time_batched(
                "1M x 500: full engine (per-liquidation events)",
                9,
                || market_1m.clone(),
                |market| {
                    let mut simulation = Simulation::new(market);
                    simulation.run();
                },
            );
        }
        if wanted("fast") {
            let book = SortedBook::new(&market_1m).unwrap();
            let paths: Vec<&ReferencePath> = market_1m.assets.iter().map(|a| &a.path).collect();
            let mut scratch = FastScratch::default();
            time("1M x 500: fast path", 200, || {
                run_fast(&market_1m, &book, &paths, &mut scratch).unwrap();
            });
            let (naive, fast) = common::naive_over_fast(&market_1m, &book, &paths, &mut scratch);
            println!(
                "1M x 500: naive rescan {:.3} s / fast path {:.1} us = {:.0}x",
                naive,
                fast * 1e6,
                naive / fast
            );
        }
        if wanted("naive") {
            time("1M x 500: naive rescan (baseline)", 3, || {
                common::naive_run(&market_1m);
            });
        }
    }
    if wanted("stress") {
        let (market_100k, source) = market(100_000, 2_000, 500);
        time("stress 10k paths x 500 blocks x 100k accounts", 5, || {
            run_paths(&market_100k, 10_000, &|i| source.paths(i), &|| {}, false);
        });
    }
    if wanted("book") || wanted("stress10m") {
        let (market_10m, source) = market(10_000_000, 1_000, 1_000);
        if wanted("book") {
            // Building, not freeing: the book is dropped outside the timing.
            time("sorted book build, 10M accounts", 5, || {
                SortedBook::new(&market_10m).unwrap()
            });
        }
        if wanted("stress10m") {
            time("stress 100k paths x 1000 blocks x 10M accounts", 1, || {
                run_paths(&market_10m, 100_000, &|i| source.paths(i), &|| {}, false);
            });
        }
    }
}
