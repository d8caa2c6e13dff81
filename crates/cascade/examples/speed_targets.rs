//! The issue-4 speed targets timed by CPU time as well as wall time, for machines shared with other
//! work (where criterion's wall-clock medians overstate the cost): each target runs several times
//! and prints the median wall time and the CPU time per run that this process used (from
//! `/proc/self/stat`, 10 ms ticks). The criterion benches (`cargo bench -p cascade --bench stress`)
//! remain the reference on an idle machine.
//!
//! `cargo run --release -p cascade --example speed_targets` runs every target; arguments choose
//! some: `quick` skips the 10M-account ones, and `book`, `engine`, `fast`, `stress` or `stress10m`
//! run only those named (e.g. `-- book engine`, or one at a time under `perf record`).

// Timing is this example's purpose.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

use cascade::stress::{path_source, run_paths};
use cascade_core::engine::{Market, Simulation};
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::price_path::ReferencePath;

/// CPU seconds (user + system) this process has used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) / 100.0
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

    if wanted("engine") || wanted("fast") {
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
