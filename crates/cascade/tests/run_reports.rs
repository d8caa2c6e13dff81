//! Scenario in, report out: the built-in scenario's summary (golden), determinism, and the
//! identities every report must satisfy.

use cascade::run::{load_scenario, run_scenario, RunOutput};

fn run_builtin(seed: Option<u64>) -> RunOutput {
    let (scenario, origin) = load_scenario("default").expect("the built-in scenario parses");
    run_scenario(&scenario, &origin, seed, |_, _| {}).expect("the built-in scenario builds")
}

/// Rounds every float to 9 significant digits so that the snapshot does not depend on the last bit of
/// a platform's `exp`/`ln`.
fn rounded(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap();
            let rounded: f64 = format!("{x:.8e}").parse().unwrap();
            serde_json::json!(rounded)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(rounded).collect())
        }
        serde_json::Value::Object(map) => map.into_iter().map(|(k, v)| (k, rounded(v))).collect(),
        other => other,
    }
}

#[test]
fn test_builtin_scenario_summary_golden() {
    // A regression guard: any change to the model that moves the built-in scenario's outcome shows up
    // here and must be accepted on purpose (`cargo insta review`). The checks below it are the ones
    // that do not depend on the snapshot.
    let output = run_builtin(None);
    let summary = serde_json::to_value(&output.report.summary).unwrap();
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("builtin_default_summary", rounded(summary));
    });
}

#[test]
fn test_builtin_scenario_is_a_real_cascade() {
    let summary = run_builtin(None).report.summary;
    // The issue asks for a shock "chosen so that a real cascade happens": the price must end below
    // where the shock alone put it, and liquidations must have happened at scale.
    assert!(
        summary.amplification > 1.05,
        "amplification {}",
        summary.amplification
    );
    assert!(summary.equilibrium_price < summary.shocked_price);
    assert!(summary.n_liquidations > 1000);
    assert!(
        summary.stop_reason.is_equilibrium(),
        "{:?}",
        summary.stop_reason
    );
}

#[test]
fn test_report_satisfies_the_liquidation_identity() {
    // Collateral seized - debt repaid = bonuses paid, per event and in total (the identity the
    // reference README quotes from Aave's own reporting).
    let output = run_builtin(None);
    let summary = &output.report.summary;
    let events = output.simulation.events();
    let mut seized = 0.0;
    let mut repaid = 0.0;
    let mut bonus = 0.0;
    for event in events {
        let gap = event.collateral_seized_usd - event.debt_repaid_usd - event.bonus_usd;
        assert!(
            gap.abs() <= 1e-9 * event.collateral_seized_usd,
            "event {event:?}"
        );
        assert!(event.health_factor_before < 1.0);
        seized += event.collateral_seized_usd;
        repaid += event.debt_repaid_usd;
        bonus += event.bonus_usd;
    }
    assert!((seized - summary.collateral_seized_usd).abs() <= 1e-6 * seized);
    assert!((repaid - summary.debt_repaid_usd).abs() <= 1e-6 * repaid);
    assert!(
        (summary.collateral_seized_usd - summary.debt_repaid_usd - summary.bonus_paid_usd).abs()
            <= 1e-6 * seized
    );
    assert!((bonus - summary.bonus_paid_usd).abs() <= 1e-6 * bonus);
    assert_eq!(events.len() as u64, summary.n_liquidations);
    // The per-block records add up to the same totals.
    let blocks = output.simulation.blocks();
    let per_block: f64 = blocks.iter().map(|b| b.collateral_seized_usd).sum();
    assert!((per_block - seized).abs() <= 1e-6 * seized);
    assert_eq!(blocks.len() as u64, summary.blocks_simulated);
    let peak = blocks.iter().map(|b| b.n_liquidations).max().unwrap();
    assert_eq!(peak, summary.peak_liquidations_per_block);
}

#[test]
fn test_same_seed_gives_byte_identical_reports() {
    let first = run_builtin(Some(9));
    let second = run_builtin(Some(9));
    assert_eq!(first.report_json, second.report_json);
    assert_eq!(first.blocks_csv, second.blocks_csv);
    assert_eq!(first.liquidations_csv, second.liquidations_csv);
    // And the seed matters: another seed draws another book.
    let other = run_builtin(Some(10));
    assert_ne!(first.report_json, other.report_json);
    assert!(first.report_json.contains("\"seed\": 9"));
}

#[test]
fn test_report_json_has_the_documented_fields() {
    let output = run_builtin(None);
    let json: serde_json::Value = serde_json::from_str(&output.report_json).unwrap();
    for field in [
        "initial_price",
        "equilibrium_price",
        "max_drawdown",
        "amplification",
        "n_liquidations",
        "collateral_seized_usd",
        "debt_repaid_usd",
        "bonus_paid_usd",
        "bad_debt_usd",
        "peak_liquidations_per_block",
        "blocks_to_equilibrium",
        "stop_reason",
    ] {
        assert!(
            json["summary"].get(field).is_some(),
            "summary.{field} missing"
        );
    }
    for field in ["scenario", "seed", "cascade_version"] {
        assert!(json.get(field).is_some(), "{field} missing");
    }
    assert_eq!(json["scenario"]["simulation"]["seed"], json["seed"]);
}

#[test]
fn test_replay_scenario_follows_the_price_csv() {
    // The 2020-03-12 series: first close 194.52 (00:00 bar), second close 193.93 (00:10 bar). With 50
    // blocks per bar, block 25 lies halfway: (194.52 + 193.93) / 2 = 194.225.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/replay-2020-03-12.toml"
    );
    let (mut scenario, origin) = load_scenario(path).unwrap();
    scenario.simulation.max_blocks = 60;
    let output = run_scenario(&scenario, &origin, None, |_, _| {}).unwrap();
    let blocks = output.simulation.blocks();
    assert!((blocks[0].exogenous_prices[0] - 194.52).abs() < 1e-9);
    assert!((blocks[25].exogenous_prices[0] - 194.225).abs() < 1e-9);
    assert!((blocks[50].exogenous_prices[0] - 193.93).abs() < 1e-9);
}
