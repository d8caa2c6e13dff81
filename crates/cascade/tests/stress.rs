//! `cascade::stress`: determinism across thread counts, the fast path against the full engine on
//! whole stress tests, path re-runs, and bad stress settings.

use std::path::PathBuf;

use cascade::error::ScenarioError;
use cascade::market::{parse_scenario, Origin};
use cascade::run::{load_scenario, run_scenario_path};
use cascade::scenario::Scenario;
use cascade::stress::{path_source, stress_scenario, EngineUsed, StressOutput};

/// The built-in `frictionless` scenario, shrunk to `n_accounts` so that the full engine is quick.
fn frictionless(n_accounts: u32) -> (Scenario, Origin) {
    let (mut scenario, origin) = load_scenario("frictionless").unwrap();
    match &mut scenario.protocols[0].accounts {
        cascade::scenario::AccountsConfig::Synthetic(generator) => {
            generator.n_accounts = n_accounts
        }
        other => panic!("the built-in frictionless scenario generates its accounts, not {other:?}"),
    }
    (scenario, origin)
}

fn stress_with_threads(
    scenario: &Scenario,
    origin: &Origin,
    threads: usize,
    paths: u64,
    full_engine: bool,
) -> StressOutput {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| {
            stress_scenario(
                scenario,
                origin,
                "frictionless",
                None,
                Some(paths),
                full_engine,
                &|| {},
            )
            .unwrap()
        })
}

#[test]
fn stress_results_are_identical_at_any_thread_count() {
    let (scenario, origin) = frictionless(5_000);
    let one = stress_with_threads(&scenario, &origin, 1, 300, false);
    let two = stress_with_threads(&scenario, &origin, 2, 300, false);
    let four = stress_with_threads(&scenario, &origin, 4, 300, false);
    assert_eq!(one.report.engine, EngineUsed::FastPath);
    assert_eq!(one.results, two.results);
    assert_eq!(one.results, four.results);
    assert_eq!(one.summary_json(), four.summary_json());
    // The test means something only if some paths liquidate.
    assert!(one.report.statistics.liquidation_probability > 0.02);
}

#[test]
fn full_engine_stress_is_deterministic_across_threads() {
    let (scenario, origin) = frictionless(1_000);
    let one = stress_with_threads(&scenario, &origin, 1, 40, true);
    let two = stress_with_threads(&scenario, &origin, 2, 40, true);
    assert!(matches!(one.report.engine, EngineUsed::FullEngine { .. }));
    assert_eq!(one.results, two.results);
}

#[test]
fn fast_path_stress_matches_the_full_engine_path_by_path() {
    let (scenario, origin) = frictionless(2_000);
    let fast = stress_with_threads(&scenario, &origin, 2, 120, false);
    let full = stress_with_threads(&scenario, &origin, 2, 120, true);
    let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let mut liquidating = 0;
    for (f, e) in fast.results.iter().zip(&full.results) {
        assert_eq!(f.path, e.path);
        assert_eq!(f.n_liquidations, e.n_liquidations, "path {}", f.path);
        assert_eq!(
            f.induced_liquidations, e.induced_liquidations,
            "path {}",
            f.path
        );
        assert_eq!(f.blocks_simulated, e.blocks_simulated, "path {}", f.path);
        assert_eq!(f.stop_reason, e.stop_reason);
        for (name, a, b) in [
            ("bad debt", f.bad_debt_usd, e.bad_debt_usd),
            ("liquidated", f.liquidated_value_usd, e.liquidated_value_usd),
            ("drawdown", f.equilibrium_drawdown, e.equilibrium_drawdown),
            ("induced value", f.induced_value_usd, e.induced_value_usd),
        ] {
            assert!(
                close(a, b),
                "path {} {name}: fast {a} vs engine {b}",
                f.path
            );
        }
        liquidating += usize::from(f.n_liquidations > 0);
    }
    assert!(liquidating >= 5, "only {liquidating} paths liquidate");
}

#[test]
fn a_worst_path_re_runs_alone_with_the_same_numbers() {
    let (scenario, origin) = frictionless(3_000);
    let stress = stress_with_threads(&scenario, &origin, 2, 200, false);
    let worst = &stress.report.worst_paths[0];
    assert!(worst.rerun.ends_with(&format!("--path {}", worst.path)));
    let rerun = run_scenario_path(&scenario, &origin, None, Some(worst.path), |_, _| {}).unwrap();
    let summary = &rerun.report.summary;
    let relative = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    assert!(relative(
        summary.liquidated_value_usd,
        worst.liquidated_value_usd
    ));
    assert!(relative(summary.bad_debt_usd, worst.bad_debt_usd));
    assert!(summary.n_liquidations > 0);
}

fn parse(text: &str) -> (Scenario, Origin) {
    let file = PathBuf::from("stress-test.toml");
    let scenario = parse_scenario(text, &file).unwrap();
    (
        scenario,
        Origin {
            file,
            base_dir: PathBuf::from("."),
        },
    )
}

/// The frictionless scenario's text with `from` replaced by `to`.
fn frictionless_with(from: &str, to: &str) -> (Scenario, Origin) {
    let text = cascade::builtin::builtin("frictionless").unwrap();
    assert!(
        text.contains(from),
        "the built-in scenario changed: no `{from}`"
    );
    parse(&text.replace(from, to))
}

fn invalid_field(result: Result<impl std::fmt::Debug, ScenarioError>) -> (String, String) {
    match result.unwrap_err() {
        ScenarioError::Invalid { field, message, .. } => (field, message),
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn bad_stress_settings_name_their_field() {
    let (scenario, origin) = frictionless_with("volatility = 1.2,", "volatility = -0.5,");
    let (field, message) = invalid_field(path_source(&scenario, &origin, None));
    assert_eq!(field, "assets[0].process.volatility", "{message}");

    let (scenario, origin) = frictionless_with("blocks = 500 ", "blocks = 1 ");
    let (field, _) = invalid_field(path_source(&scenario, &origin, None));
    assert_eq!(field, "stress.blocks");

    let (scenario, origin) = frictionless_with(
        "[stress]\n",
        "[stress]\ncorrelations = [{ assets = [\"ETH\", \"BTC\"], rho = 0.5 }]\n",
    );
    let (field, message) = invalid_field(path_source(&scenario, &origin, None));
    assert_eq!(field, "stress.correlations[0].assets");
    assert!(message.contains("`BTC` is not an asset"), "{message}");

    let (scenario, origin) = frictionless_with(
        "[stress]\n",
        "[stress]\ncorrelations = [{ assets = [\"ETH\", \"USDC\"], rho = 1.5 }]\n",
    );
    let (field, _) = invalid_field(path_source(&scenario, &origin, None));
    assert_eq!(field, "stress.correlations");

    let (scenario, origin) = frictionless(100);
    let (field, _) = invalid_field(stress_scenario(
        &scenario,
        &origin,
        "frictionless",
        None,
        Some(0),
        false,
        &|| {},
    ));
    assert_eq!(field, "--paths");
}
