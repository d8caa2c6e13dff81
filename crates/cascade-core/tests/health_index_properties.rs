//! `HealthIndex::liquidatable` against a brute-force scan of the whole book.
//!
//! The index's contract (its doc): every account whose health factor at the given prices is below 1
//! and that still holds collateral, with that health factor, in account order, provided every
//! account whose balances changed since the index was built has been `touch`ed. The brute force is
//! that sentence: scan every account, keep `health_factor < 1 && has_collateral`.
//!
//! Random books (1,500-3,000 accounts over 3-4 assets: enough that the index's rebuild limit, a
//! quarter of the book (at least 256) in wasted checks, is reached; mixed collateral and debt sets,
//! some assets both collateral
//! and debt, accounts without debt or without collateral) are driven through random price sequences
//! (falls, rises, debt-asset moves, small steps that keep the snapshot and large ones that force a
//! rebuild) with random liquidations between the queries. Every query must equal the
//! brute force exactly: same accounts, same order, same health factors (both compute it with the same
//! function, so bit-for-bit).

use cascade_core::exact::AaveRules;
use cascade_core::health_index::HealthIndex;
use cascade_core::ids::{AccountId, AssetId, OracleId};
use cascade_core::lending::{LendingProtocol, RiskParams};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn brute_force(protocol: &LendingProtocol, prices: &[f64]) -> Vec<(AccountId, f64)> {
    (0..protocol.n_accounts())
        .map(|i| AccountId(i as u32))
        .filter_map(|account| {
            let hf = protocol.health_factor(account, prices);
            (hf < 1.0 && protocol.has_collateral(account)).then_some((account, hf))
        })
        .collect()
}

/// A random book: `n_assets` assets of which the first `n_listed` are collateral. Accounts hold
/// collateral only in listed assets (the engine's markets never give an account collateral in an
/// unlisted asset; see `test_unlisted_collateral_*` below for that case).
fn random_book(
    rng: &mut ChaCha8Rng,
    rules: AaveRules,
    n_assets: usize,
    n_listed: usize,
    n_accounts: usize,
    prices: &[f64],
) -> LendingProtocol {
    let params: Vec<Option<RiskParams>> = (0..n_assets)
        .map(|asset| {
            (asset < n_listed).then(|| {
                let lt = rng.gen_range(0.6..0.9);
                RiskParams {
                    ltv: lt - 0.05,
                    liquidation_threshold: lt,
                    liquidation_bonus: rng.gen_range(0.02..0.1),
                    protocol_fee: rng.gen_range(0.0..0.3),
                }
            })
        })
        .collect();
    let mut protocol = LendingProtocol::new(
        "p".into(),
        rules,
        params,
        (0..n_assets).map(|i| Some(OracleId(i as u16))).collect(),
    );
    for _ in 0..n_accounts {
        let mut collateral = vec![0.0; n_assets];
        let mut debt = vec![0.0; n_assets];
        let kind = rng.gen_range(0..20);
        // 1 in 20: no debt; 1 in 20: no collateral; otherwise both.
        if kind != 0 {
            let n_coll = rng.gen_range(1..=n_listed);
            for _ in 0..n_coll {
                let asset = rng.gen_range(0..n_listed);
                collateral[asset] += 10f64.powf(rng.gen_range(2.0..6.5)) / prices[asset];
            }
        }
        let weighted: f64 = (0..n_listed)
            .map(|a| {
                collateral[a] * prices[a] * protocol.risk_params[a].unwrap().liquidation_threshold
            })
            .sum();
        if kind != 1 {
            let n_debt = rng.gen_range(1..=2);
            // Health factor 0.9 .. 3, a few already below 1.
            let hf = rng.gen_range(0.9..3.0);
            let debt_usd = if weighted > 0.0 {
                weighted / hf
            } else {
                10f64.powf(rng.gen_range(2.0..5.0))
            };
            for _ in 0..n_debt {
                let asset = rng.gen_range(0..n_assets);
                debt[asset] += debt_usd / n_debt as f64 / prices[asset];
            }
        }
        protocol.add_account(String::new(), &collateral, &debt);
    }
    protocol
}

/// Runs `n_steps` price moves of log-size up to `max_move` on a random book, checking the index
/// against the brute force at every step, liquidating some of the accounts found in between.
/// Returns (rebuilds, merges of re-keyed runs, queries, accounts found in all).
fn drive(seed: u64, n_steps: usize) -> Result<(u64, u64, usize, usize), TestCaseError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_assets = rng.gen_range(3..=4);
    let n_listed = rng.gen_range(1..n_assets);
    let rules = if rng.gen() {
        AaveRules::V3_3
    } else {
        AaveRules::V3_0
    };
    let mut prices: Vec<f64> = (0..n_assets)
        .map(|_| 10f64.powf(rng.gen_range(-1.0..4.5)))
        .collect();
    let n_accounts = rng.gen_range(1_500..3_000);
    let mut protocol = random_book(&mut rng, rules, n_assets, n_listed, n_accounts, &prices);
    let mut index = HealthIndex::new(&protocol, &prices);
    let mut found_total = 0;
    for step in 0..n_steps {
        let got = index.liquidatable(&protocol, &prices);
        let expected = brute_force(&protocol, &prices);
        prop_assert_eq!(
            &got,
            &expected,
            "seed {} step {} prices {:?}",
            seed,
            step,
            prices
        );
        found_total += got.len();

        // Liquidate some of them (as a keeper would, largest pair, random amount), and touch.
        for &(account, _) in &got {
            if rng.gen::<f64>() < 0.4 {
                continue;
            }
            let Some((c, d)) = protocol.largest_pair(account, &prices) else {
                continue;
            };
            let cover = match rng.gen_range(0..3) {
                0 => f64::INFINITY,
                _ => protocol.debt_row(account)[d.index()] * rng.gen_range(0.01..1.0),
            };
            if let Ok(plan) = protocol.plan_liquidation(account, c, d, cover, &prices) {
                protocol.apply_liquidation(account, &plan, &prices);
                index.touch(&protocol, account);
            }
        }
        // Touching an account that did not change is allowed and must not change the answer.
        if rng.gen::<f64>() < 0.2 {
            index.touch(&protocol, AccountId(rng.gen_range(0..n_accounts as u32)));
        }

        // Next prices: a regime per step (small moves keep the snapshot, large ones force a
        // rebuild), each asset moving down or up on its own; debt assets move too.
        let scale = [0.002, 0.01, 0.05, 0.2][rng.gen_range(0..4)];
        let drift = rng.gen_range(-1.0..0.5) * scale;
        for price in prices.iter_mut() {
            *price *= (drift + scale * rng.gen_range(-1.0..1.0f64)).exp();
        }
    }
    // The last query must also see the last move.
    let got = index.liquidatable(&protocol, &prices);
    prop_assert_eq!(got, brute_force(&protocol, &prices), "seed {} final", seed);
    Ok((index.n_rebuilds, index.n_merges, n_steps + 1, found_total))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn test_health_index_matches_brute_force(seed in any::<u64>()) {
        drive(seed, 40)?;
    }
}

/// The index must take all of its paths (answering from the snapshot, re-keying touched accounts
/// into runs that get merged, and rebuilding) and find accounts, or the property above says little.
#[test]
fn test_health_index_brute_force_exercises_every_path() {
    let mut rebuilds = 0;
    let mut merges = 0;
    let mut queries = 0;
    let mut found = 0;
    for seed in 0..24 {
        let (r, m, q, f) = drive(seed, 40).unwrap();
        rebuilds += r;
        merges += m;
        queries += q;
        found += f;
    }
    eprintln!(
        "{rebuilds} rebuilds and {merges} merges in {queries} queries, {found} accounts found"
    );
    assert!(merges > 100, "too few merges: {merges}");
    // 24 of them are the initial builds.
    assert!(rebuilds > 48, "too few rebuilds: {rebuilds}");
    assert!(
        (rebuilds as usize) < queries / 2,
        "too many rebuilds: {rebuilds}"
    );
    assert!(found > 1_000);
}

/// An empty protocol of two assets: 0 listed as collateral (LT 0.8, bonus 5%), 1 only borrowed.
fn eth_and_a_stablecoin() -> LendingProtocol {
    let params = RiskParams {
        ltv: 0.75,
        liquidation_threshold: 0.8,
        liquidation_bonus: 0.05,
        protocol_fee: 0.1,
    };
    LendingProtocol::new(
        "p".into(),
        AaveRules::V3_3,
        vec![Some(params), None],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    )
}

/// A price rise of a debt asset alone (collateral prices unchanged) must surface accounts: the
/// bound's numerator is the debt side. 1 ETH ($2,000, LT 0.8) against 1,500 DAI: HF 1600/1500 = 1.067;
/// DAI at $1.10 makes the debt $1,650 and HF 1600/1650 = 0.97.
#[test]
fn test_health_index_sees_a_debt_price_rise() {
    let mut protocol = eth_and_a_stablecoin();
    let account = protocol.add_account(String::new(), &[1.0, 0.0], &[0.0, 1_500.0]);
    let mut index = HealthIndex::new(&protocol, &[2_000.0, 1.0]);
    assert!(index.liquidatable(&protocol, &[2_000.0, 1.0]).is_empty());
    let found = index.liquidatable(&protocol, &[2_000.0, 1.1]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, account);
    assert!((found[0].1 - 1_600.0 / 1_650.0).abs() < 1e-12);
}

/// An account whose only collateral is an asset the protocol does not list (risk parameters `None`)
/// has HF = 0 (unlisted collateral weighs nothing) and `has_collateral() == false` (Aave counts only
/// listed collateral), so it is not liquidatable: there is nothing to seize. The index must say so
/// whether the account got there by a liquidation (re-keyed after a touch) or was built that way.
#[test]
fn test_unlisted_collateral_account_is_reported_consistently() {
    let params = RiskParams {
        ltv: 0.75,
        liquidation_threshold: 0.8,
        liquidation_bonus: 0.1,
        protocol_fee: 0.2,
    };
    let mut protocol = LendingProtocol::new(
        "p".into(),
        AaveRules::V3_3,
        vec![Some(params), None, None],
        vec![Some(OracleId(0)), Some(OracleId(1)), Some(OracleId(2))],
    );
    // Account 0: 1 WETH ($1,000, listed) + 0.5 WBTC (unlisted) against 950 USDC: HF 800/950.
    // Account 1: only 0.5 WBTC (unlisted) against 950 USDC: HF 0.
    let a = protocol.add_account(String::new(), &[1.0, 0.5, 0.0], &[0.0, 0.0, 950.0]);
    protocol.add_account(String::new(), &[0.0, 0.5, 0.0], &[0.0, 0.0, 950.0]);
    let prices = [1_000.0, 20_000.0, 1.0];
    let mut index = HealthIndex::new(&protocol, &prices);
    // Seizing all of account 0's WETH leaves it like account 1.
    let plan = protocol
        .plan_liquidation(a, AssetId(0), AssetId(2), f64::INFINITY, &prices)
        .unwrap();
    protocol.apply_liquidation(a, &plan, &prices);
    index.touch(&protocol, a);
    let touched = index.liquidatable(&protocol, &prices);
    let fresh = HealthIndex::new(&protocol, &prices).liquidatable(&protocol, &prices);
    assert_eq!(touched, fresh, "the answer depends on the index's history");
    assert_eq!(fresh, brute_force(&protocol, &prices));
}

/// The shape of a cascade on a one-collateral, one-debt book (the `frictionless` built-in): the
/// price falls block after block and every account found is liquidated in part or in full. Each
/// bound is then exact (HF(p) = HF0 * p/p0 for an untouched account), so no check is wasted and the
/// index never sorts the book again: the initial build is its only one. Answers equal the brute
/// force at every step.
#[test]
fn test_one_asset_cascade_never_rebuilds() {
    let mut protocol = eth_and_a_stablecoin();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5_000 {
        let collateral = 10f64.powf(rng.gen_range(-1.0..2.0));
        // Health factor 1.01 .. 2 at $2,000.
        let debt = collateral * 2_000.0 * 0.8 / rng.gen_range(1.01..2.0);
        protocol.add_account(String::new(), &[collateral, 0.0], &[0.0, debt]);
    }
    let mut prices = vec![2_000.0, 1.0];
    let mut index = HealthIndex::new(&protocol, &prices);
    let mut found_total = 0;
    for step in 0..60 {
        prices[0] *= 0.99;
        let got = index.liquidatable(&protocol, &prices);
        assert_eq!(got, brute_force(&protocol, &prices), "step {step}");
        found_total += got.len();
        for &(account, _) in &got {
            let plan = protocol
                .plan_liquidation(account, AssetId(0), AssetId(1), f64::INFINITY, &prices)
                .unwrap();
            protocol.apply_liquidation(account, &plan, &prices);
            index.touch(&protocol, account);
        }
    }
    assert!(
        found_total > 3_000,
        "the cascade must reach most of the book: {found_total}"
    );
    assert!(index.n_merges > 0);
    assert_eq!(index.n_rebuilds, 1, "the initial build only");
}
