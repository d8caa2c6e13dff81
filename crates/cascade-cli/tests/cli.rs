//! The `cascade` binary end to end: the main job, and bad input that must give a clear error, exit
//! code 2 and no report folder.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn cascade() -> Command {
    Command::cargo_bin("cascade").unwrap()
}

/// A small valid scenario (shared with the `cascade` crate's tests); each bad-input case below
/// changes one thing in it.
const VALID: &str = include_str!("../../cascade/tests/data/small.toml");

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn test_run_builtin_writes_the_report_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    cascade()
        .args(["run", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Amplification").and(predicate::str::contains("Stop reason")),
        );
    for file in [
        "report.json",
        "blocks.csv",
        "liquidations.csv",
        "report.html",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn test_run_user_file_with_seed_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", VALID);
    let out = dir.path().join("out");
    let assert = cascade()
        .arg("run")
        .arg(&scenario)
        .args(["--seed", "77", "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["seed"], 77);
    assert!(json["summary"]["n_liquidations"].as_u64().unwrap() > 0);
}

#[test]
fn test_schema_is_json_schema_of_the_scenario() {
    let assert = cascade().arg("schema").assert().success();
    let schema: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(schema["title"], "Scenario");
    assert!(schema["properties"]["simulation"].is_object());
    assert!(schema["properties"]["keepers"].is_object());
}

/// Each case: what to replace in `VALID`, with what, and what the error must say.
const BAD_CASES: &[(&str, &str, &str, &[&str])] = &[
    (
        "malformed TOML",
        "name = \"small\"",
        "name = \"small",
        &["small.toml", "line"],
    ),
    (
        "unknown key",
        "seed = 3",
        "seed = 3\nseeed = 4",
        &["unknown field `seeed`", "line"],
    ),
    (
        "missing field",
        "liquidity_usd = 10_000_000.0\n",
        "",
        &["venues[0].liquidity_usd", "required"],
    ),
    (
        "negative amount",
        "liquidity_usd = 10_000_000.0",
        "liquidity_usd = -5.0",
        &["venues[0].liquidity_usd", "empty"],
    ),
    (
        "NaN amount",
        "median_collateral_usd = 20000.0",
        "median_collateral_usd = nan",
        &["median_collateral_usd", "finite"],
    ),
    (
        "threshold above 1",
        "liquidation_threshold = 0.85",
        "liquidation_threshold = 1.2",
        &[
            "protocols[0].markets[0].collateral.liquidation_threshold",
            "below 1",
        ],
    ),
    (
        "empty venue",
        "liquidity_usd = 10_000_000.0",
        "liquidity_usd = 0.0",
        &["venues[0].liquidity_usd", "empty"],
    ),
    (
        "unknown asset",
        "asset = \"ETH\"\nkind",
        "asset = \"ETHX\"\nkind",
        &["venues[0].asset", "ETHX", "ETH, USDC"],
    ),
    (
        "drop of 100%",
        "drop = 0.25",
        "drop = 1.0",
        &["assets[0].price_path.drop", "below 1"],
    ),
    (
        "no keepers capacity",
        "max_liquidations_per_block = 10",
        "max_liquidations_per_block = 0",
        &["keepers[0]"],
    ),
];

#[test]
fn test_bad_scenarios_exit_2_with_a_clear_error_and_no_report() {
    for (case, from, to, expected) in BAD_CASES {
        assert!(
            VALID.contains(from),
            "case {case}: `{from}` is not in the valid scenario"
        );
        let dir = tempfile::tempdir().unwrap();
        let scenario = write(dir.path(), "small.toml", &VALID.replacen(from, to, 1));
        let out = dir.path().join("out");
        let assert = cascade()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        for needle in *expected {
            assert!(
                stderr.contains(needle),
                "case {case}: stderr does not mention `{needle}`:\n{stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "case {case} panicked");
        assert!(!out.exists(), "case {case}: a report folder was written");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "case {case}: stray files {leftovers:?}");
    }
}

#[test]
fn test_price_csv_with_a_gap_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    // Line 4 jumps from 00:10 to 00:30: a missing bar.
    write(
        dir.path(),
        "prices.csv",
        "time,close\n2020-03-12T00:00:00Z,200\n2020-03-12T00:10:00Z,199\n2020-03-12T00:30:00Z,190\n",
    );
    let text = VALID.replacen(
        "price_path = { kind = \"shock\", at_block = 5, drop = 0.25 }",
        "price_path = { kind = \"replay\", file = \"prices.csv\" }",
        1,
    );
    let scenario = write(dir.path(), "small.toml", &text);
    cascade()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("prices.csv, line 4")
                .and(predicate::str::contains("1200 s after the previous row")),
        );
}

#[test]
fn test_price_csv_with_a_bad_number_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "prices.csv",
        "time,close\n2020-03-12T00:00:00Z,200\n2020-03-12T00:10:00Z,abc\n",
    );
    let text = VALID.replacen(
        "price_path = { kind = \"shock\", at_block = 5, drop = 0.25 }",
        "price_path = { kind = \"replay\", file = \"prices.csv\" }",
        1,
    );
    let scenario = write(dir.path(), "small.toml", &text);
    cascade().arg("run").arg(&scenario).assert().code(2).stderr(
        predicate::str::contains("prices.csv, line 3")
            .and(predicate::str::contains("not a number")),
    );
    cascade()
        .args(["run", "/nonexistent/scenario.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("/nonexistent/scenario.toml")
                .and(predicate::str::contains("cannot read")),
        );
}

#[test]
fn test_order_book_from_levels_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "book.csv",
        "side,price,size\nbid,1999,100\nbid,1990,400\nask,2001,100\nask,2010,400\n",
    );
    let text = VALID.replacen(
        "kind = \"constant_product\"\nliquidity_usd = 10_000_000.0",
        "kind = \"order_book\"\nlevels_file = \"book.csv\"",
        1,
    );
    let scenario = write(dir.path(), "small.toml", &text);
    cascade()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .success();
    // A book with no asks is an empty venue.
    write(dir.path(), "book.csv", "side,price,size\nbid,1999,100\n");
    cascade()
        .arg("run")
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("book.csv").and(predicate::str::contains("empty")));
}

// ----------------------------------------------------------------------------- heatmap and generate

const BOOK_HEADER: &str = "owner,collateral_asset,collateral_amount,liquidation_price,price\n";

/// Runs `cascade heatmap FILE --out OUT` with `extra` arguments and expects bad input: exit code 2,
/// a message containing `expected`, and no report folder.
fn heatmap_fails(dir: &Path, file: &Path, extra: &[&str], expected: &str) {
    let out = dir.join("heatmap-out");
    cascade()
        .arg("heatmap")
        .arg(file)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(expected));
    assert!(!out.exists(), "no report folder after bad input");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn test_generate_then_heatmap_own_schema() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.parquet");
    cascade()
        .args(["generate", "--accounts", "2000", "--seed", "5", "--out"])
        .arg(&book)
        .assert()
        .success()
        .stdout(predicate::str::contains("positions (parquet format)"));
    let out = dir.path().join("report");
    cascade()
        .arg("heatmap")
        .arg(&book)
        .args([
            "--liquidity",
            "ETH=500000000",
            "--depth",
            "ETH=6000000",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ETH overhang (price 3000.00)")
                .and(predicate::str::contains("K-value"))
                .and(predicate::str::contains("(L*P)/D rule"))
                .and(predicate::str::contains("Systemic debt ratio"))
                .and(predicate::str::contains("top 1% of owners")),
        );
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("cascade heatmap") && page.contains("ETH"));
    // A .json name gives cascade's own JSON schema, read back as such.
    let json_book = dir.path().join("book.json");
    cascade()
        .args(["generate", "--accounts", "300", "--out"])
        .arg(&json_book)
        .assert()
        .success()
        .stdout(predicate::str::contains("(json format)"));
    assert!(std::fs::read_to_string(&json_book)
        .unwrap()
        .contains("\"liquidation_price\""));
    cascade()
        .args(["generate", "--out"])
        .arg(dir.path().join("book.xlsx"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot tell the format"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("heatmap.json")).unwrap()).unwrap();
    let metrics = &json["metrics"];
    assert_eq!(metrics["overhang"][0]["asset"], "ETH");
    assert_eq!(metrics["overhang"][0]["bins"].as_array().unwrap().len(), 50);
    assert!(metrics["at_risk"][0]["lpd_ratio"].as_f64().unwrap() > 0.0);
    assert!(metrics["systemic_debt"]["ratio"].as_f64().is_some());
    let csv = std::fs::read_to_string(out.join("overhang.csv")).unwrap();
    assert!(csv.starts_with("asset,protocol,price_low"));
}

#[test]
fn test_heatmap_reads_defillama_output_with_prices() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("aave.json");
    cascade()
        .args([
            "generate",
            "--accounts",
            "1000",
            "--format",
            "defillama",
            "--out",
        ])
        .arg(&book)
        .assert()
        .success();
    // DefiLlama's schema has no prices: without --price the book cannot be placed.
    heatmap_fails(
        dir.path(),
        &book,
        &[],
        "no price for collateral asset `ETH`",
    );
    let out = dir.path().join("report");
    cascade()
        .arg("heatmap")
        .arg(&book)
        .args([
            "--price",
            "ETH=3000",
            "--price",
            "WBTC=60000",
            "--bin-width",
            "100",
            "--json",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"format\": \"defillama\""));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("heatmap.json")).unwrap()).unwrap();
    // No debt in that schema: the systemic debt ratio is unknown, the overhang is not.
    assert!(json["metrics"]["systemic_debt"]["ratio"].is_null());
    assert_eq!(
        json["metrics"]["overhang"][0]["bins"][0]["price_low"],
        2900.0
    );
}

#[test]
fn test_heatmap_engine_metrics_on_a_small_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", VALID);
    let book = dir.path().join("book.csv");
    cascade()
        .args(["generate", "--scenario"])
        .arg(&scenario)
        .arg("--out")
        .arg(&book)
        .assert()
        .success();
    let out = dir.path().join("report");
    cascade()
        .arg("heatmap")
        .arg(&book)
        .arg("--scenario")
        .arg(&scenario)
        .args(["--shock-max", "0.3", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Measured amplification")
                .and(predicate::str::contains("Critical shock")),
        );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("heatmap.json")).unwrap()).unwrap();
    let engine = &json["engine"];
    assert!(
        engine["run"]["velocity"]["peak_per_block"]
            .as_u64()
            .unwrap()
            > 0
    );
    // This thin book never cascades by the 5% test below a 30% shock: the search says so after one
    // run (the bracket itself is tested in the cascade crate).
    assert!(engine["critical_shock"]["result"]["kind"].is_string());
    assert!(!engine["critical_shock"]["runs"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn test_heatmap_bad_inputs_exit_2_without_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad_number = write(
        d,
        "bad.csv",
        &format!("{BOOK_HEADER}a,ETH,1,1500,3000\nb,ETH,1,15x0,3000\n"),
    );
    heatmap_fails(
        d,
        &bad_number,
        &[],
        "row 2 (line 3): field `liquidation_price`: is `15x0`, not a number",
    );
    let missing = write(
        d,
        "missing.csv",
        "owner,collateral_asset,collateral_amount\na,ETH,1\n",
    );
    heatmap_fails(d, &missing, &[], "no column named `liquidation_price`");
    let empty = write(d, "empty.csv", "");
    heatmap_fails(d, &empty, &[], "the file is empty");
    let empty_json = write(d, "empty.json", "  \n");
    heatmap_fails(d, &empty_json, &[], "the file is empty");
    let rows: String = (0..50).map(|i| format!("o{i},ETH,1,1500,3000\n")).collect();
    let big = write(d, "big.csv", &format!("{BOOK_HEADER}{rows}"));
    heatmap_fails(d, &big, &["--max-rows", "10"], "more than 10 rows");
    heatmap_fails(d, &big, &["--bin-width", "0%"], "--bin-width");
    heatmap_fails(
        d,
        &big,
        &["--liquidity", "BTC=5"],
        "the book has no asset `BTC`",
    );
    let unknown = write(d, "book.xlsx", "whatever");
    heatmap_fails(d, &unknown, &[], "cannot tell the format");
    heatmap_fails(d, &d.join("absent.csv"), &[], "cannot read the file");
    // The engine flags are checked before the book is read (the file need not even exist).
    heatmap_fails(d, &d.join("absent.csv"), &["--window", "0"], "--window 0");
    heatmap_fails(
        d,
        &d.join("absent.csv"),
        &["--shock-max", "1.5"],
        "--shock-max 1.5",
    );
}

#[test]
fn test_stress_writes_summary_and_paths_and_reruns_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stress");
    cascade()
        .args([
            "stress",
            "frictionless",
            "--paths",
            "64",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("VaR 99"))
        .stdout(predicate::str::contains("sorted-book fast path"))
        .stdout(predicate::str::contains("report.html"));
    assert!(out.join("report.html").is_file(), "report.html missing");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["paths"], 64);
    assert_eq!(summary["engine"], "fast_path");
    let csv = std::fs::read_to_string(out.join("paths.csv")).unwrap();
    assert_eq!(csv.lines().count(), 65, "a header and one row per path");
    let rerun = summary["worst_paths"][0]["rerun"].as_str().unwrap();
    let path = rerun.rsplit(' ').next().unwrap();
    cascade()
        .args(["run", "frictionless", "--json", "--path", path, "--out"])
        .arg(dir.path().join("rerun"))
        .assert()
        .success();
}

#[test]
fn test_stress_bad_paths_and_a_scenario_without_processes_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stress");
    cascade()
        .args(["stress", "frictionless", "--paths", "0", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--paths"));
    cascade()
        .args(["stress", "frictionless", "--paths", "many", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'many'"));
    let file = write(dir.path(), "no-process.toml", VALID);
    cascade()
        .args(["stress"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no asset has a `process`"));
    assert!(!out.exists());
}

#[test]
fn test_sweep_writes_its_table_and_rejects_bad_grids() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    cascade()
        .args([
            "sweep",
            "frictionless",
            "--grid",
            "ETH.liquidation_threshold=0.80:0.86:0.03",
            "--grid",
            "ETH.liquidation_bonus=0.05,0.08",
            "--paths",
            "40",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Pareto"))
        .stdout(predicate::str::contains("report.html"));
    assert!(out.join("report.html").is_file(), "report.html missing");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "a header and 3 x 2 points");
    assert!(csv.starts_with("ETH.liquidation_threshold,ETH.liquidation_bonus,max_ltv"));

    let bad_out = dir.path().join("bad");
    for (grid, says) in [
        ("ETH.liquidation_threshold", "expected NAME=VALUES"),
        ("ETH.ltv=0.9:0.8:0.01", "below start"),
        ("SOL.ltv=0.5", "no protocol lists `SOL` as collateral"),
    ] {
        cascade()
            .args([
                "sweep",
                "frictionless",
                "--paths",
                "5",
                "--grid",
                grid,
                "--out",
            ])
            .arg(&bad_out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    assert!(!bad_out.exists());
}

#[test]
fn test_compare_builtin_prints_the_table_and_writes_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    cascade()
        .args(["compare", "--threads", "2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("dutch stairstep")
                .and(predicate::str::contains("breaker: rate limit"))
                .and(predicate::str::contains("perps: fund + ADL"))
                .and(predicate::str::contains("options: no hedging"))
                .and(predicate::str::contains("peak liq/block")),
        );
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(csv.lines().count(), 28, "a header and 27 variants");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 27);
    assert_eq!(json["rows"][0]["variant"], "as written");
}

#[test]
fn test_compare_user_file_runs_the_lending_variants_and_bad_curves_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", VALID);
    let out = dir.path().join("cmp");
    let assert = cascade()
        .arg("compare")
        .arg(&scenario)
        .args(["--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 19, "as written and the 18 lending variants");
    assert!(rows
        .iter()
        .all(|r| r["scope"] == "lending" || r["scope"] == "all"));

    let bad = VALID.replacen(
        "name = \"lending\"",
        "name = \"lending\"\nmechanism = { kind = \"dutch_auction\", curve = { kind = \"stairstep\", step_seconds = 90, cut = 1.0 } }",
        1,
    );
    let scenario = write(dir.path(), "bad.toml", &bad);
    let out = dir.path().join("bad-out");
    let assert = cascade()
        .arg("compare")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("protocols[0].mechanism.curve.cut") && stderr.contains("never decays"),
        "{stderr}"
    );
    assert!(!out.exists());
}
