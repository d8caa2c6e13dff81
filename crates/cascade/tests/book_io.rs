//! Position books on disk: round trips in every format, errors that name the row and the field, the
//! size caps, and the critical shock found by bisection over real engine runs.

use std::path::Path;

use cascade::book::{load_book, scenario_book, write_book, BookError, BookFormat, LoadOptions};
use cascade::run::load_scenario;
use cascade::shock::{critical_shock, run_at_shock, with_accounts, CriticalShockSettings};
use cascade_core::metrics::CriticalShock;
use cascade_core::positions::PositionBook;

/// The built-in scenario's generator, 3,000 accounts: ETH and WBTC collateral, stablecoin debt,
/// some accounts with two collateral assets (two rows each).
fn generated() -> PositionBook {
    let (scenario, origin) = load_scenario("default").unwrap();
    scenario_book(&with_accounts(&scenario, 3000), &origin, Some(7)).unwrap()
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= relative * a.abs().max(b.abs()).max(1e-300)
}

fn assert_same_positions(original: &PositionBook, read: &PositionBook, with_debt: bool) {
    assert_eq!(original.len(), read.len());
    for row in 0..original.len() {
        let (a, b) = (original.row(row), read.row(row));
        assert_eq!(a.owner, b.owner, "row {row}");
        assert_eq!(a.collateral_asset, b.collateral_asset, "row {row}");
        // DefiLlama stores amounts in base units: they agree to half a base unit (1e-8 WBTC).
        let resolution = if with_debt {
            0.0
        } else {
            0.5 * 10f64.powi(-(cascade::book::defillama_token(a.collateral_asset).1 as i32))
        };
        assert!(
            (a.collateral_amount - b.collateral_amount).abs() <= resolution
                || close(a.collateral_amount, b.collateral_amount, 1e-15),
            "row {row}: {a:?} vs {b:?}"
        );
        assert_eq!(a.liquidation_price, b.liquidation_price, "row {row}");
        if with_debt {
            assert_eq!(a, b, "row {row}");
        }
    }
    for (asset, price) in original.assets.iter().zip(&original.asset_prices) {
        if let Some(id) = read.find_asset(asset) {
            let read_price = read.asset_prices[id as usize];
            assert!(
                read_price.is_nan() || read_price == *price,
                "{asset}: {read_price} vs {price}"
            );
        }
    }
}

#[test]
fn test_own_schema_round_trips_in_all_three_formats() {
    let book = generated();
    assert!(
        book.len() > 3000,
        "two-collateral accounts give two rows each"
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("book.csv", BookFormat::Csv),
        ("book.json", BookFormat::Json),
        ("book.parquet", BookFormat::Parquet),
    ] {
        let path = dir.path().join(name);
        write_book(&book, &path, format).unwrap();
        let loaded = load_book(&path, format, &LoadOptions::default()).unwrap();
        assert_eq!(loaded.format, format);
        assert_same_positions(&book, &loaded.book, true);
        // Every price the writer knew comes back (collateral and debt assets).
        for asset in ["ETH", "WBTC", "USDC"] {
            let id = loaded.book.find_asset(asset).unwrap() as usize;
            assert!(loaded.book.asset_prices[id] > 0.0, "{name}: {asset}");
        }
        assert_eq!(
            cascade::book::detect_format(&path).unwrap(),
            format,
            "{name}"
        );
    }
}

#[test]
fn test_json_lines_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.jsonl");
    std::fs::write(
        &path,
        "{\"owner\":\"a\",\"collateral_asset\":\"ETH\",\"collateral_amount\":2,\"liquidation_price\":1500,\"price\":2000}\n\n{\"owner\":\"b\",\"collateral_asset\":\"ETH\",\"collateral_amount\":1,\"liquidation_price\":1800}\n",
    )
    .unwrap();
    let loaded = load_book(&path, BookFormat::Json, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.book.len(), 2);
    assert_eq!(loaded.book.owner(1), "b");
    assert_eq!(loaded.book.asset_prices[0], 2000.0);
    assert_eq!(loaded.book.protocols, vec!["default".to_string()]);
}

#[test]
fn test_defillama_round_trip_keeps_owner_collateral_amount_and_price() {
    // generate -> DefiLlama JSON -> read: the same positions (owner, collateral, amount to the last
    // base unit, liquidation price); debt and risk parameters are not in that schema.
    let book = generated();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aave.json");
    write_book(&book, &path, BookFormat::DefiLlama).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"collateral\":\"ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2\""));
    assert!(text.contains("\"liqPrice\":"));
    assert_eq!(
        cascade::book::detect_format(&path).unwrap(),
        BookFormat::DefiLlama
    );
    let loaded = load_book(&path, BookFormat::DefiLlama, &LoadOptions::default()).unwrap();
    assert!(
        loaded.notes.is_empty(),
        "ETH and WBTC are known tokens: {:?}",
        loaded.notes
    );
    assert_same_positions(&book, &loaded.book, false);
    assert_eq!(loaded.book.protocols, vec!["aave".to_string()]);
}

#[test]
fn test_defillama_reads_adapter_output_with_extra_and_unknown_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compound.json");
    std::fs::write(
        &path,
        r#"[
  {"owner":"0xabc","liqPrice":1523.5,"collateral":"ethereum:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2","collateralAmount":"2500000000000000000","extra":{"url":"https://example.invalid/0xabc"}},
  {"owner":"0xdef","liqPrice":0.91,"collateral":"arbitrum:0x912ce59144191c1204e64559fe8253a0e49e6548","collateralAmount":"1000000000000000000000"}
]"#,
    )
    .unwrap();
    let loaded = load_book(&path, BookFormat::DefiLlama, &LoadOptions::default()).unwrap();
    let book = &loaded.book;
    // A checksummed WETH address is WETH: read as ETH, 18 decimals.
    assert_eq!(book.row(0).collateral_asset, "ETH");
    assert_eq!(book.collateral_amount[0], 2.5);
    assert_eq!(book.liquidation_price[0], 1523.5);
    // An unknown token keeps its key and is read with 18 decimals, with a note saying so.
    assert_eq!(
        book.row(1).collateral_asset,
        "arbitrum:0x912ce59144191c1204e64559fe8253a0e49e6548"
    );
    assert_eq!(book.collateral_amount[1], 1000.0);
    assert_eq!(loaded.notes.len(), 1);
    // With --decimals the note goes and the amount follows.
    let mut options = LoadOptions::default();
    options.decimals.insert(
        "arbitrum:0x912ce59144191c1204e64559fe8253a0e49e6548".into(),
        21,
    );
    let loaded = load_book(&path, BookFormat::DefiLlama, &options).unwrap();
    assert!(loaded.notes.is_empty());
    assert_eq!(loaded.book.collateral_amount[1], 1.0);
}

fn load_error(dir: &Path, name: &str, text: &str, format: BookFormat) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let error = load_book(&path, format, &LoadOptions::default()).unwrap_err();
    error.to_string()
}

#[test]
fn test_bad_rows_name_the_row_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let header = "owner,collateral_asset,collateral_amount,liquidation_price\n";
    let message = load_error(
        d,
        "a.csv",
        &format!("{header}a,ETH,1,1500\nb,ETH,abc,1500\n"),
        BookFormat::Csv,
    );
    assert!(
        message.contains("row 2 (line 3): field `collateral_amount`: is `abc`, not a number"),
        "{message}"
    );
    let message = load_error(
        d,
        "b.csv",
        &format!("{header}a,ETH,1,-5\n"),
        BookFormat::Csv,
    );
    assert!(
        message
            .contains("row 1 (line 2): field `liquidation_price`: is -5; it must be zero or more"),
        "{message}"
    );
    let message = load_error(
        d,
        "c.csv",
        "owner,collateral_asset,collateral_amount\na,ETH,1\n",
        BookFormat::Csv,
    );
    assert!(
        message.contains("no column named `liquidation_price`"),
        "{message}"
    );
    let message = load_error(d, "d.csv", "", BookFormat::Csv);
    assert!(message.contains("the file is empty"), "{message}");
    let message = load_error(d, "e.csv", header, BookFormat::Csv);
    assert!(message.contains("the book has no rows"), "{message}");
    let message = load_error(
        d,
        "f.csv",
        "owner,collateral_asset,collateral_amount,liquidation_price,price\na,ETH,1,1500,2000\nb,ETH,1,1500,2100\n",
        BookFormat::Csv,
    );
    assert!(
        message.contains("row 2 (line 3): field `price`: is 2100, but row 1 gave 2000 for `ETH`"),
        "{message}"
    );
    let message = load_error(
        d,
        "g.json",
        r#"[{"owner":"a","collateral_asset":"ETH","collateral_amount":1,"liquidation_price":1500},
            {"owner":"b","collateral_asset":"ETH","collateral_amount":"lots","liquidation_price":1500}]"#,
        BookFormat::Json,
    );
    assert!(
        message.contains("row 2: field `collateral_amount`: is \"lots\"; expected a number"),
        "{message}"
    );
    let message = load_error(
        d,
        "h.json",
        r#"[{"owner":"a","liqPrice":1500,"collateral":"ethereum:0x1","collateralAmount":"ten"}]"#,
        BookFormat::DefiLlama,
    );
    assert!(
        message.contains("row 1: field `collateralAmount`: is \"ten\", not a number"),
        "{message}"
    );
    let message = load_error(
        d,
        "i.json",
        r#"[{"owner":"a","collateral":"ethereum:0x1","collateralAmount":"10"}]"#,
        BookFormat::DefiLlama,
    );
    assert!(
        message.contains("row 1: field `liqPrice`: is missing"),
        "{message}"
    );
    let message = load_error(d, "j.parquet", "not parquet at all", BookFormat::Parquet);
    assert!(message.contains("not a readable Parquet file"), "{message}");
}

#[test]
fn test_oversized_inputs_are_refused_before_reading() {
    let book = generated();
    let dir = tempfile::tempdir().unwrap();
    let options = LoadOptions {
        max_rows: 100,
        max_json_bytes: 10_000,
        ..LoadOptions::default()
    };
    for (name, format, expected) in [
        ("big.csv", BookFormat::Csv, "more than 100 rows"),
        (
            "big.parquet",
            BookFormat::Parquet,
            "rows is above the limit of 100",
        ),
        (
            "big.json",
            BookFormat::Json,
            "above the JSON limit of 10000 bytes",
        ),
    ] {
        let path = dir.path().join(name);
        write_book(&book, &path, format).unwrap();
        let error = load_book(&path, format, &options).unwrap_err();
        assert!(matches!(error, BookError::TooLarge { .. }), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

/// A small market: one asset, one AMM, 400 accounts; its own shock is 25% (shared with
/// cascade-cli's tests).
const SMALL: &str = include_str!("data/small.toml");

#[test]
fn test_engine_critical_shock_lies_between_a_calm_and_a_cascading_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.toml");
    std::fs::write(&path, SMALL).unwrap();
    let (scenario, origin) = cascade::market::read_scenario(&path).unwrap();
    let settings = CriticalShockSettings {
        // Amplification is not monotone in the shock: past ~35% the book is exhausted and the ratio
        // falls again (0.3: 1.062, 0.4: 1.047, 0.5: 1.031), so the range stops at 30%.
        lowest: 0.02,
        highest: 0.3,
        tolerance: 0.01,
        min_extra_fall: 0.05,
    };
    let report = critical_shock(&scenario, &origin, None, settings).unwrap();
    let CriticalShock::Bracketed {
        calm, cascading, ..
    } = report.result
    else {
        panic!("expected a bracket: {report:?}");
    };
    assert!(cascading - calm <= 0.01);
    // Re-run both ends: the calm one does not cascade, the cascading one does.
    let calm_run = run_at_shock(&scenario, &origin, None, Some(calm), 10).unwrap();
    let cascading_run = run_at_shock(&scenario, &origin, None, Some(cascading), 10).unwrap();
    assert!(
        calm_run.summary.amplification < 1.05,
        "{}",
        calm_run.summary.amplification
    );
    assert!(
        cascading_run.summary.amplification >= 1.05,
        "{}",
        cascading_run.summary.amplification
    );
    assert!((cascading_run.summary.initial_shock - cascading).abs() < 1e-12);
    assert!(cascading_run.velocity.n_liquidations > 0);
    // The runs the search made are recorded in order.
    assert_eq!(report.runs[0].0, 0.3);
    assert_eq!(report.runs[1].0, 0.02);
}
