//! The chain's one gas price series (`[chain] gas_price = { kind = "series", ... }`): interpolated
//! linearly between bars like a price replay, read by keepers (gas cost and fixed gas bids) and by
//! the block-space base fee alike; bad files and fields give errors naming the file, line or field.

use std::path::Path;

use cascade::market::{build_market, parse_scenario, read_scenario, Origin};
use cascade::scenario::Scenario;
use cascade_core::engine::{Market, Simulation};

/// The shared small market (400 accounts, one AMM, a 25% shock at block 5), its gas paid at a
/// fixed $2,000 so that a liquidation's 300,000 gas costs `gwei * 1e-9 * 300_000 * 2_000 = 0.6 *
/// gwei` USD.
const SMALL: &str = include_str!("data/small.toml");

/// Three 2-minute bars of p60 gas: 10, 50 and 30 gwei (10 blocks of 12 s a bar).
const GAS_CSV: &str = "# a test series\n\
time,p60_gwei\n\
2020-03-12T00:00:00Z,10\n\
2020-03-12T00:02:00Z,50\n\
2020-03-12T00:04:00Z,30\n";

/// USD per gwei of one liquidation's gas (see `SMALL`).
const USD_PER_GWEI: f64 = 1e-9 * 300_000.0 * 2_000.0;

/// The gas of `block` with `GAS_CSV` at 10 blocks a bar, by hand: 10 gwei at block 0 rising 4 gwei
/// a block to 50 at block 10, falling 2 gwei a block to 30 at block 20, then 30.
fn hand_gwei(block: u64) -> f64 {
    let b = block as f64;
    match block {
        0..=10 => 10.0 + 4.0 * b,
        11..=20 => 50.0 - 2.0 * (b - 10.0),
        _ => 30.0,
    }
}

/// `SMALL` with the gas series (10 blocks a bar) and `extra` lines added to `[chain]`, written with
/// `csv` as `gas.csv` in `dir`.
fn scenario_with_gas(dir: &Path, csv: &str, gas_price: &str, extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("gas.csv"), csv).unwrap();
    let text = SMALL.replacen(
        "gas_token = \"ETH\"",
        &format!("gas_token_price_usd = 2000.0\ngas_price = {gas_price}\n{extra}"),
        1,
    );
    assert_ne!(text, SMALL, "the [chain] table of data/small.toml changed");
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const SERIES: &str = "{ kind = \"series\", file = \"gas.csv\", blocks_per_bar = 10 }";

fn market(path: &Path) -> Result<Market, String> {
    let (scenario, origin): (Scenario, Origin) =
        read_scenario(path).map_err(|error| error.to_string())?;
    build_market(&scenario, &origin, scenario.simulation.seed).map_err(|error| error.to_string())
}

#[test]
fn test_gas_series_interpolates_linearly_between_bars_and_holds_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let chain = market(&scenario_with_gas(dir.path(), GAS_CSV, SERIES, ""))
        .unwrap()
        .chain;
    // Block 3 is 3/10 of the way from 10 to 50 gwei: 10 + 0.3 * 40 = 22. Block 15 is halfway from
    // 50 down to 30: 40. Block 20 is the last bar, 30, held after it.
    for (block, gwei) in [
        (0, 10.0),
        (3, 22.0),
        (10, 50.0),
        (15, 40.0),
        (20, 30.0),
        (500, 30.0),
    ] {
        let got = chain.gas_price_gwei_at(block);
        assert!((got - gwei).abs() < 1e-9, "block {block}: {got} gwei");
        assert!((got - hand_gwei(block)).abs() < 1e-9, "block {block}");
    }
}

/// Runs the scenario and checks that every liquidation paid the series' gas of its block, and that
/// the keeper whose bid is 35 gwei sat out exactly the blocks whose interpolated gas is above it.
fn check_keepers_read_the_series(simulation: &Simulation) {
    let events = simulation.events();
    assert!(!events.is_empty(), "the 25% shock liquidates");
    for event in events {
        let expected = hand_gwei(event.block) * USD_PER_GWEI;
        assert!(
            (event.gas_usd - expected).abs() < 1e-9,
            "block {}: gas {} USD, expected {expected}",
            event.block,
            event.gas_usd
        );
        // 10 + 4b > 35 from block 7 (38 gwei); 50 - 2(b - 10) > 35 up to block 17 (36 gwei).
        assert!(
            !(7..=17).contains(&event.block),
            "the 35-gwei keeper got in at block {} ({} gwei)",
            event.block,
            hand_gwei(event.block)
        );
    }
    // Held flat per bar, 30 gwei would only come at block 20; interpolated, block 18 is 34 gwei and
    // the backlog of the shock is liquidated there (the run must not settle at block 12, while the
    // gas series still moves: `Market::paths_settled_from`).
    let blocks: Vec<u64> = events.iter().map(|e| e.block).collect();
    assert!(blocks.contains(&18), "nothing at block 18: {blocks:?}");
}

#[test]
fn test_keepers_and_the_block_space_base_fee_read_the_same_series_value() {
    let dir = tempfile::tempdir().unwrap();
    let bid = "max_gas_price_gwei = 35.0\n";
    let with_bid = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.replacen(
            "capital_usd_per_block = 1_000_000.0",
            &format!("capital_usd_per_block = 1_000_000.0\n{bid}"),
            1,
        );
        std::fs::write(path, text).unwrap();
        market(path).unwrap()
    };

    // Without block space: keepers read `ChainModel::gas_price_gwei_at`.
    let plain = with_bid(&scenario_with_gas(dir.path(), GAS_CSV, SERIES, ""));
    assert!(plain.agents.block_space.is_none());
    let mut simulation = Simulation::new(plain);
    simulation.run();
    check_keepers_read_the_series(&simulation);

    // With block space: the base fee of every block is the same series value, and keepers pay it.
    let spaced = with_bid(&scenario_with_gas(
        dir.path(),
        GAS_CSV,
        SERIES,
        "block_gas_limit = 30_000_000\n",
    ));
    assert!(spaced.agents.block_space.is_some());
    let mut simulation = Simulation::new(spaced);
    simulation.run();
    let records = simulation.chain_records();
    assert!(records.len() > 20);
    for record in records {
        assert!(
            (record.base_fee_gwei - hand_gwei(record.block)).abs() < 1e-9,
            "block {}: base fee {}",
            record.block,
            record.base_fee_gwei
        );
    }
    check_keepers_read_the_series(&simulation);
}

/// The error building the small scenario with `csv` as its gas file and `gas_price` as the field.
fn error_for(csv: &str, gas_price: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    market(&scenario_with_gas(dir.path(), csv, gas_price, "")).unwrap_err()
}

#[test]
fn test_bad_gas_series_gives_an_error_naming_the_file_line_and_field() {
    let header = "time,p60_gwei\n";
    for (case, csv, gas_price, says) in [
        (
            "empty file",
            "",
            SERIES,
            &["gas.csv, line 1", "the file is empty", "header"][..],
        ),
        (
            "only a comment",
            "# nothing here\n",
            SERIES,
            &["gas.csv, line 1", "the file is empty"],
        ),
        (
            "header only",
            header,
            SERIES,
            &["gas.csv", "at least two rows"],
        ),
        (
            "missing column",
            GAS_CSV,
            "{ kind = \"series\", file = \"gas.csv\", column = \"p90_gwei\" }",
            &[
                "gas.csv, line 1",
                "no column named `p90_gwei`",
                "time, p60_gwei",
            ],
        ),
        (
            "zero gas price",
            "time,p60_gwei\n2020-03-12T00:00:00Z,10\n2020-03-12T00:10:00Z,0\n",
            SERIES,
            &["gas.csv, line 3", "`p60_gwei` is 0", "above zero"],
        ),
        (
            "negative gas price",
            "time,p60_gwei\n2020-03-12T00:00:00Z,-4\n2020-03-12T00:10:00Z,10\n",
            SERIES,
            &["gas.csv, line 2", "`p60_gwei` is -4", "above zero"],
        ),
        (
            "not a number",
            "time,p60_gwei\n2020-03-12T00:00:00Z,10\n2020-03-12T00:10:00Z,high\n",
            SERIES,
            &["gas.csv, line 3", "`p60_gwei` is `high`, not a number"],
        ),
        (
            "no blocks per bar",
            GAS_CSV,
            "{ kind = \"series\", file = \"gas.csv\", blocks_per_bar = 0 }",
            &["field `chain.gas_price.blocks_per_bar`", "at least 1"],
        ),
        (
            "missing file",
            GAS_CSV,
            "{ kind = \"series\", file = \"no-such-gas.csv\" }",
            &["no-such-gas.csv", "cannot read"],
        ),
    ] {
        let error = error_for(csv, gas_price);
        for needle in says {
            assert!(error.contains(needle), "{case}: `{needle}` not in: {error}");
        }
    }
}

#[test]
fn test_the_old_gas_price_series_field_names_its_replacement() {
    let text = SMALL.replacen(
        "gas_token = \"ETH\"",
        "gas_token = \"ETH\"\ngas_price_series = { file = \"gas.csv\", column = \"p60_gwei\", blocks_per_bar = 50 }",
        1,
    );
    let error = parse_scenario(&text, Path::new("old.toml"))
        .unwrap_err()
        .to_string();
    for needle in [
        "old.toml",
        "line",
        "unknown field `gas_price_series`",
        "gas_price = { kind = \"series\"",
    ] {
        assert!(error.contains(needle), "`{needle}` not in: {error}");
    }
}

#[test]
fn test_congestion_still_needs_block_space_but_a_series_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let error = market(&scenario_with_gas(
        dir.path(),
        GAS_CSV,
        "{ kind = \"congestion\" }",
        "",
    ))
    .unwrap_err();
    assert!(
        error.contains("chain.gas_price") && error.contains("block_gas_limit"),
        "{error}"
    );
    // A series needs no block space: without it the keepers' gas price is the series itself
    // (22 gwei at block 3, see `hand_gwei`).
    let market = market(&scenario_with_gas(dir.path(), GAS_CSV, SERIES, "")).unwrap();
    assert!(market.agents.block_space.is_none());
    assert_eq!(market.chain.gas_price_gwei_at(3), hand_gwei(3));
}

#[test]
fn test_blocks_per_bar_must_keep_the_files_clock() {
    // The bars are 2 minutes apart; at 12 s blocks that is 10 blocks a bar. 50 (the default, for
    // 10-minute bars) would replay the series five times too slowly: refused, with the right value.
    let error = error_for(
        GAS_CSV,
        "{ kind = \"series\", file = \"gas.csv\", blocks_per_bar = 50 }",
    );
    for part in [
        "chain.gas_price.blocks_per_bar",
        "50 blocks of 12 s span 600 s",
        "120 s apart",
        "use blocks_per_bar = 10",
    ] {
        assert!(error.contains(part), "{part} missing from: {error}");
    }
}
