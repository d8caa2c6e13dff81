//! `cascade::sweep`: grid parsing, how a point changes the scenario, the Pareto frontier, and a small
//! sweep end to end.

use std::path::PathBuf;

use cascade::error::ScenarioError;
use cascade::market::Origin;
use cascade::run::load_scenario;
use cascade::scenario::Scenario;
use cascade::sweep::{apply_point, grid_points, mark_pareto, parse_axis, sweep_scenario, GridAxis};

fn origin() -> Origin {
    Origin {
        file: PathBuf::from("sweep-test.toml"),
        base_dir: PathBuf::from("."),
    }
}

fn field_of(error: ScenarioError) -> (String, String) {
    match error {
        ScenarioError::Invalid { field, message, .. } => (field, message),
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn ranges_lists_and_bad_axes() {
    let axis = parse_axis("ETH.liquidation_threshold=0.78:0.86:0.02", &origin()).unwrap();
    let values: Vec<f64> = axis.values.iter().map(|v| v.as_float().unwrap()).collect();
    // 0.78, 0.80, 0.82, 0.84, 0.86: five points, the end included, no float drift in the values.
    assert_eq!(values, vec![0.78, 0.8, 0.82, 0.84, 0.86]);

    let axis = parse_axis("protocols[0].close_factor=full,rules", &origin()).unwrap();
    assert_eq!(axis.values.len(), 2);
    assert_eq!(axis.values[0].as_str(), Some("full"));
    let axis = parse_axis("keepers[0].max_liquidations_per_block=5,10", &origin()).unwrap();
    assert_eq!(axis.values[1].as_integer(), Some(10));

    for (text, says) in [
        ("ETH.ltv", "expected NAME=VALUES"),
        ("=0.1", "name before `=` is empty"),
        ("ETH.ltv=0.5:0.6", "start:stop:step"),
        ("ETH.ltv=0.5:0.6:0", "step 0 must be above zero"),
        ("ETH.ltv=0.6:0.5:0.01", "below start"),
        ("ETH.ltv=0.5:x:0.01", "stop `x`"),
        ("ETH.ltv=0:1:0.0001", "at most 1000"),
        ("ETH.ltv=0.5,,0.6", "empty value"),
    ] {
        let (field, message) = field_of(parse_axis(text, &origin()).unwrap_err());
        assert_eq!(field, format!("--grid {text}"));
        assert!(message.contains(says), "{text}: {message}");
    }
}

fn frictionless(n_accounts: u32) -> (Scenario, Origin) {
    let (mut scenario, origin) = load_scenario("frictionless").unwrap();
    if let cascade::scenario::AccountsConfig::Synthetic(generator) =
        &mut scenario.protocols[0].accounts
    {
        generator.n_accounts = n_accounts;
    }
    (scenario, origin)
}

fn collateral(scenario: &Scenario) -> (f64, f64, f64) {
    let c = scenario.protocols[0].markets[0]
        .collateral
        .as_ref()
        .unwrap();
    (c.ltv, c.liquidation_threshold, c.liquidation_bonus)
}

#[test]
fn a_point_sets_its_parameters_and_keeps_the_ltv_gap() {
    let (scenario, origin) = frictionless(100);
    // The built-in market: LTV 0.80, threshold 0.83 (a 0.03 gap), bonus 0.05.
    assert_eq!(collateral(&scenario), (0.80, 0.83, 0.05));
    let threshold = parse_axis("ETH.liquidation_threshold=0.86", &origin).unwrap();
    let point = apply_point(&scenario, &origin, &[(&threshold, &threshold.values[0])]).unwrap();
    assert_eq!(collateral(&point), (0.83, 0.86, 0.05));

    // Swept together, the LTV is the axis's value, not the shifted one.
    let ltv = parse_axis("ETH.ltv=0.7", &origin).unwrap();
    let point = apply_point(
        &scenario,
        &origin,
        &[(&threshold, &threshold.values[0]), (&ltv, &ltv.values[0])],
    )
    .unwrap();
    assert_eq!(collateral(&point), (0.7, 0.86, 0.05));

    let path = parse_axis("protocols[0].close_factor=rules", &origin).unwrap();
    let point = apply_point(&scenario, &origin, &[(&path, &path.values[0])]).unwrap();
    assert_eq!(
        point.protocols[0].close_factor,
        cascade::scenario::CloseFactorConfig::Rules
    );

    for (text, says) in [
        (
            "BTC.liquidation_bonus=0.1",
            "no protocol lists `BTC` as collateral",
        ),
        ("protocols[3].close_factor=full", "index 3 is past the end"),
        ("protocols[0].close_factor=sometimes", "no longer reads"),
        ("simulation.nonexistent=1", "no `nonexistent` here"),
        ("ETH.ltv=high", "not a number"),
    ] {
        let axis = parse_axis(text, &origin).unwrap();
        let error = apply_point(&scenario, &origin, &[(&axis, &axis.values[0])]).unwrap_err();
        let (_, message) = field_of(error);
        assert!(message.contains(says), "{text}: {message}");
    }
}

#[test]
fn grid_points_vary_the_last_axis_fastest() {
    let a = GridAxis {
        name: "a".into(),
        values: vec![1.into(), 2.into()],
    };
    let b = GridAxis {
        name: "b".into(),
        values: vec![10.into(), 20.into(), 30.into()],
    };
    let axes = [a, b];
    let points = grid_points(&axes);
    let flat: Vec<(i64, i64)> = points
        .iter()
        .map(|p| (p[0].1.as_integer().unwrap(), p[1].1.as_integer().unwrap()))
        .collect();
    assert_eq!(
        flat,
        vec![(1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]
    );
}

#[test]
fn pareto_frontier_by_hand_and_a_small_sweep() {
    let (scenario, origin) = frictionless(2_000);
    let axis = parse_axis("ETH.liquidation_threshold=0.77:0.89:0.06", &origin).unwrap();
    let run = || {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| {
                sweep_scenario(
                    &scenario,
                    &origin,
                    std::slice::from_ref(&axis),
                    None,
                    150,
                    &|| {},
                )
            })
            .unwrap()
    };
    let report = run();
    assert_eq!(report.points.len(), 3);
    let ltvs: Vec<f64> = report.points.iter().map(|p| p.max_ltv).collect();
    assert_eq!(ltvs, vec![0.74, 0.8, 0.86]);
    // Borrowers use the room: more debt per dollar of collateral at a higher threshold.
    assert!(report.points[0].debt_to_collateral < report.points[2].debt_to_collateral);
    assert_eq!(report.to_json(), run().to_json(), "deterministic");

    // Pareto by hand on three made-up points (VaR 99, max LTV):
    // A (0, 0.74), B (0, 0.80), C (5, 0.86): B dominates A (same risk, more LTV); B and C trade off.
    let mut points = report.points.clone();
    for (point, (var, ltv)) in points
        .iter_mut()
        .zip([(0.0, 0.74), (0.0, 0.80), (5.0, 0.86)])
    {
        point.bad_debt_usd.var_99 = var;
        point.max_ltv = ltv;
    }
    mark_pareto(&mut points);
    let marks: Vec<bool> = points.iter().map(|p| p.pareto).collect();
    assert_eq!(marks, vec![false, true, true]);
}
