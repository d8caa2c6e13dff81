//! Conservation laws of one liquidation in the `f64` lending model (`plan_liquidation` followed by
//! `apply_liquidation`), on random multi-asset accounts under both rule versions.
//!
//! Each generated account holds 2-4 assets, several as collateral and several as debt, some of them
//! not listed as collateral; it is then liquidated repeatedly (largest pair or a random pair, a random
//! amount to cover) until it is healthy, out of collateral, or refused. Every step checks:
//!
//! * value: `seized_usd = repaid_usd * (1 + bonus)` (the liquidator's collateral is the debt it
//!   repays plus the bonus), to a relative 1e-9;
//! * split: `to_liquidator + protocol_fee = seized`, and `protocol_fee = fee * bonus part`, where the
//!   bonus part of `seized` is `seized * bonus / (1 + bonus)`;
//! * balances: the collateral balance falls by exactly what was seized, the debt balance by what was
//!   repaid, nothing else moves (except v3.3's write-off), nothing goes negative;
//! * limits: repaid <= cover, <= the debt, <= the close factor's share; seized <= the balance;
//! * bad debt: positive only when the account has no collateral left; `debt before (USD) = repaid +
//!   bad debt` under v3.3, whose write-off leaves no debt at all; under v3.0 the bad debt is the debt
//!   left on the account;
//! * v3.3's dust rule: a call that clears neither the debt reserve nor the collateral leaves at least
//!   $1,000 of each (the collateral counted before the protocol fee leaves, as the contract does).

use cascade_core::exact::AaveRules;
use cascade_core::ids::{AccountId, AssetId, OracleId};
use cascade_core::lending::{LendingProtocol, LiquidationRefusal, RiskParams};
use proptest::prelude::*;

fn log_uniform(u: f64, lo: f64, hi: f64) -> f64 {
    (lo.ln() + u * (hi.ln() - lo.ln())).exp()
}

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-300
}

#[derive(Debug, Clone)]
struct AssetSpec {
    params: Option<RiskParams>,
    price: f64,
}

#[derive(Debug, Clone)]
struct Scenario {
    rules: AaveRules,
    assets: Vec<AssetSpec>,
    collateral: Vec<f64>,
    debt: Vec<f64>,
    /// (use the largest pair, collateral pick, debt pick, cover kind, cover fraction) per step.
    steps: Vec<(bool, usize, usize, u8, f64)>,
}

fn asset_strategy() -> impl Strategy<Value = AssetSpec> {
    (
        prop::bool::weighted(0.75),
        0.5f64..0.93,
        0.005f64..0.15,
        prop_oneof![Just(0.0f64), 0.0f64..0.5],
        0.0f64..1.0,
    )
        .prop_map(|(listed, lt, bonus, fee, price_u)| AssetSpec {
            params: listed.then_some(RiskParams {
                ltv: lt - 0.03,
                liquidation_threshold: lt,
                liquidation_bonus: bonus,
                protocol_fee: fee,
            }),
            price: log_uniform(price_u, 0.01, 100_000.0),
        })
}

fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    (2usize..=4)
        .prop_flat_map(|n| {
            (
                any::<bool>(),
                prop::collection::vec(asset_strategy(), n),
                // Per asset: (collateral?, collateral USD, debt?, debt USD).
                prop::collection::vec(
                    (
                        prop::bool::weighted(0.6),
                        0.0f64..1.0,
                        prop::bool::weighted(0.5),
                        0.0f64..1.0,
                    ),
                    n,
                ),
                0.15f64..1.3,
                prop::collection::vec(
                    (any::<bool>(), 0usize..4, 0usize..4, 0u8..4, 0.0f64..1.0),
                    1..8,
                ),
            )
        })
        .prop_map(|(v33, mut assets, holdings, target_hf, steps)| {
            let n = assets.len();
            // At least one listed collateral asset and one debt asset.
            if assets.iter().all(|a| a.params.is_none()) {
                assets[0].params = Some(RiskParams {
                    ltv: 0.77,
                    liquidation_threshold: 0.8,
                    liquidation_bonus: 0.05,
                    protocol_fee: 0.1,
                });
            }
            let first_listed = assets.iter().position(|a| a.params.is_some()).unwrap();
            let mut collateral = vec![0.0; n];
            let mut debt = vec![0.0; n];
            for (asset, &(has_c, c_u, has_d, d_u)) in holdings.iter().enumerate() {
                let price = assets[asset].price;
                // Collateral $50 .. $5M per asset: both sides of the $2,000 / $1,000 lines.
                if has_c || asset == first_listed {
                    collateral[asset] = log_uniform(c_u, 50.0, 5e6) / price;
                }
                if has_d {
                    debt[asset] = log_uniform(d_u, 0.1, 1.0);
                }
            }
            if debt.iter().all(|&d| d == 0.0) {
                debt[(first_listed + 1) % n] = 1.0;
            }
            // Scale the debt so that the health factor is `target_hf`: the debt row holds weights,
            // the USD debt is weighted collateral / target.
            let weighted: f64 = (0..n)
                .filter_map(|a| {
                    assets[a]
                        .params
                        .map(|p| collateral[a] * assets[a].price * p.liquidation_threshold)
                })
                .sum();
            let weight_total: f64 = debt.iter().sum();
            for (asset, d) in debt.iter_mut().enumerate() {
                *d = weighted / target_hf * (*d / weight_total) / assets[asset].price;
            }
            Scenario {
                rules: if v33 {
                    AaveRules::V3_3
                } else {
                    AaveRules::V3_0
                },
                assets,
                collateral,
                debt,
                steps,
            }
        })
}

fn build(scenario: &Scenario) -> (LendingProtocol, Vec<f64>, AccountId) {
    let n = scenario.assets.len();
    let mut protocol = LendingProtocol::new(
        "p".into(),
        scenario.rules,
        scenario.assets.iter().map(|a| a.params).collect(),
        (0..n).map(|i| Some(OracleId(i as u16))).collect(),
    );
    let account = protocol.add_account(String::new(), &scenario.collateral, &scenario.debt);
    let prices = scenario.assets.iter().map(|a| a.price).collect();
    (protocol, prices, account)
}

/// The `i`-th (cyclically) asset whose balance in `row` is positive and that passes `eligible`.
fn pick(row: &[f64], i: usize, eligible: impl Fn(usize) -> bool) -> Option<AssetId> {
    let held: Vec<usize> = (0..row.len())
        .filter(|&a| row[a] > 0.0 && eligible(a))
        .collect();
    (!held.is_empty()).then(|| AssetId(held[i % held.len()] as u16))
}

/// Counts of what the steps did, to make sure the interesting branches are reached.
#[derive(Debug, Default)]
struct Seen {
    liquidations: u32,
    exhausted: u32,
    half_close: u32,
    dust: u32,
}

fn run_scenario(scenario: &Scenario, seen: &mut Seen) -> Result<(), TestCaseError> {
    let (mut protocol, prices, account) = build(scenario);
    let n = scenario.assets.len();
    for &(largest, c_pick, d_pick, cover_kind, cover_u) in &scenario.steps {
        let health_factor = protocol.health_factor(account, &prices);
        let pair = if largest {
            protocol.largest_pair(account, &prices)
        } else {
            let c = pick(protocol.collateral_row(account), c_pick, |a| {
                protocol.risk_params[a].is_some()
            });
            let d = pick(protocol.debt_row(account), d_pick, |_| true);
            c.zip(d)
        };
        let Some((c_asset, d_asset)) = pair else {
            break;
        };
        let user_debt = protocol.debt_row(account)[d_asset.index()];
        let cover = match cover_kind {
            0 => f64::INFINITY,
            1 => user_debt * 1e-9,
            _ => user_debt * log_uniform(cover_u, 1e-3, 1.5),
        };
        let plan = match protocol.plan_liquidation(account, c_asset, d_asset, cover, &prices) {
            Ok(plan) => plan,
            Err(LiquidationRefusal::Healthy) => {
                prop_assert!(health_factor >= 1.0);
                break;
            }
            Err(LiquidationRefusal::WouldLeaveDust) => {
                prop_assert_eq!(scenario.rules, AaveRules::V3_3);
                seen.dust += 1;
                continue;
            }
            Err(other) => {
                return Err(TestCaseError::fail(format!(
                    "unexpected refusal {other:?} for a held pair"
                )))
            }
        };
        seen.liquidations += 1;
        prop_assert!(health_factor < 1.0);
        prop_assert_eq!(plan.health_factor_before, health_factor);
        let params = protocol.risk_params[c_asset.index()].unwrap();
        let bonus = params.liquidation_bonus;

        // Value: seized = repaid + bonus.
        prop_assert!(
            rel_close(
                plan.collateral_seized_usd(),
                plan.debt_repaid_usd() * (1.0 + bonus),
                1e-9
            ),
            "seized {} vs repaid {} * (1 + {})",
            plan.collateral_seized_usd(),
            plan.debt_repaid_usd(),
            bonus
        );
        // Split of the seized collateral.
        prop_assert!(rel_close(
            plan.collateral_to_liquidator + plan.protocol_fee_collateral,
            plan.collateral_seized,
            1e-12
        ));
        let bonus_part = plan.collateral_seized * bonus / (1.0 + bonus);
        prop_assert!(
            (plan.protocol_fee_collateral - bonus_part * params.protocol_fee).abs()
                <= 1e-9 * plan.collateral_seized,
            "fee {} vs {} * {}",
            plan.protocol_fee_collateral,
            bonus_part,
            params.protocol_fee
        );
        prop_assert!(plan.protocol_fee_collateral >= 0.0);
        prop_assert!(plan.collateral_to_liquidator >= 0.0);

        // Limits.
        let user_collateral = protocol.collateral_row(account)[c_asset.index()];
        let total_debt_usd = protocol.debt_usd(account, &prices);
        prop_assert!(plan.debt_repaid > 0.0);
        prop_assert!(plan.debt_repaid <= cover);
        prop_assert!(plan.debt_repaid <= user_debt * (1.0 + 1e-12));
        prop_assert!(plan.collateral_seized <= user_collateral);
        if plan.close_factor == 0.5 {
            seen.half_close += 1;
            prop_assert!(health_factor > 0.95);
            match scenario.rules {
                // v3.0: half of this reserve's debt.
                AaveRules::V3_0 => {
                    prop_assert!(plan.debt_repaid <= 0.5 * user_debt * (1.0 + 1e-12))
                }
                // v3.3: half of the account's total debt, in value.
                AaveRules::V3_3 => {
                    prop_assert!(plan.debt_repaid_usd() <= 0.5 * total_debt_usd * (1.0 + 1e-12))
                }
            }
        } else {
            prop_assert_eq!(plan.close_factor, 1.0);
        }
        if scenario.rules == AaveRules::V3_3
            && plan.debt_repaid < user_debt
            && plan.collateral_seized < user_collateral
        {
            let debt_left_usd = (user_debt - plan.debt_repaid) * plan.debt_price;
            let coll_left_usd =
                (user_collateral - plan.collateral_to_liquidator) * plan.collateral_price;
            prop_assert!(debt_left_usd >= 1_000.0, "dust debt {debt_left_usd}");
            prop_assert!(coll_left_usd >= 1_000.0, "dust collateral {coll_left_usd}");
        }

        let collateral_before = protocol.collateral_row(account).to_vec();
        let debt_before = protocol.debt_row(account).to_vec();
        let debt_before_usd = protocol.debt_usd(account, &prices);
        let bad_debt = protocol.apply_liquidation(account, &plan, &prices);
        let collateral_after = protocol.collateral_row(account).to_vec();
        let debt_after = protocol.debt_row(account).to_vec();

        prop_assert!(collateral_after
            .iter()
            .chain(&debt_after)
            .all(|&x| x >= 0.0));
        for asset in 0..n {
            if asset != c_asset.index() {
                prop_assert_eq!(collateral_after[asset], collateral_before[asset]);
            }
        }
        // The collateral balance falls by what was seized (to zero when all of it was).
        let c = c_asset.index();
        if plan.collateral_seized >= collateral_before[c] {
            prop_assert_eq!(collateral_after[c], 0.0);
        } else {
            prop_assert!(
                (collateral_before[c] - collateral_after[c] - plan.collateral_seized).abs()
                    <= 1e-12 * collateral_before[c]
            );
        }
        prop_assert_eq!(plan.exhausts_collateral, !protocol.has_collateral(account));
        prop_assert!(bad_debt >= 0.0);
        if bad_debt > 0.0 {
            prop_assert!(!protocol.has_collateral(account));
        }
        let written_off = scenario.rules == AaveRules::V3_3 && plan.exhausts_collateral;
        if written_off {
            seen.exhausted += 1;
            prop_assert!(
                debt_after.iter().all(|&d| d == 0.0),
                "v3.3 leaves {debt_after:?}"
            );
            // Every dollar of debt was either repaid or written off.
            prop_assert!(
                (debt_before_usd - plan.debt_repaid_usd() - bad_debt).abs()
                    <= 1e-9 * debt_before_usd,
                "debt {} = repaid {} + bad {}",
                debt_before_usd,
                plan.debt_repaid_usd(),
                bad_debt
            );
        } else {
            let d = d_asset.index();
            for asset in 0..n {
                if asset != d {
                    prop_assert_eq!(debt_after[asset], debt_before[asset]);
                }
            }
            prop_assert!(
                (debt_before[d] - debt_after[d] - plan.debt_repaid).abs() <= 1e-12 * debt_before[d]
            );
            if plan.exhausts_collateral {
                // v3.0: the debt stays on the account, unbacked; all of it is bad debt.
                seen.exhausted += 1;
                prop_assert!(rel_close(
                    bad_debt,
                    protocol.debt_usd(account, &prices),
                    1e-12
                ));
            } else {
                prop_assert_eq!(bad_debt, 0.0);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn test_liquidation_conserves_value(scenario in scenario_strategy()) {
        let mut seen = Seen::default();
        run_scenario(&scenario, &mut seen)?;
    }
}

/// The same property over a fixed batch, counting what was reached: the property above is only
/// meaningful if liquidations, collateral exhaustion, the 50% close factor and the dust rule occur.
#[test]
fn test_liquidation_properties_reach_every_branch() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config::default());
    let strategy = scenario_strategy();
    let mut seen = Seen::default();
    for _ in 0..1_000 {
        let scenario = strategy.new_tree(&mut runner).unwrap().current();
        run_scenario(&scenario, &mut seen).unwrap();
    }
    eprintln!("{seen:?}");
    assert!(seen.liquidations > 1_000, "{seen:?}");
    assert!(seen.exhausted > 50, "{seen:?}");
    assert!(seen.half_close > 50, "{seen:?}");
    assert!(seen.dust > 20, "{seen:?}");
}

/// By hand: 1 WETH at $1,000 (LT 0.8, bonus 10%, fee 20% of the bonus) and 0.5 WBTC at $20,000 (not
/// listed) against 950 USDC: HF = 800/950 = 0.842 <= 0.95, close factor 100%. Covering all 950 USDC
/// needs 950*1.1 = $1,045 of WETH, more than the $1,000 held: all 1 WETH is seized, repaying
/// 1,000/1.1 = 909.0909 USDC; the bonus part is 1 - 1/1.1 = 0.090909 WETH, the fee 20% of it =
/// 0.0181818 WETH. The unlisted WBTC cannot be seized.
#[test]
fn test_unlisted_asset_cannot_be_seized() {
    let listed = RiskParams {
        ltv: 0.75,
        liquidation_threshold: 0.8,
        liquidation_bonus: 0.1,
        protocol_fee: 0.2,
    };
    for rules in [AaveRules::V3_0, AaveRules::V3_3] {
        let mut protocol = LendingProtocol::new(
            "p".into(),
            rules,
            vec![Some(listed), None, None],
            vec![Some(OracleId(0)), Some(OracleId(1)), Some(OracleId(2))],
        );
        let account = protocol.add_account(String::new(), &[1.0, 0.5, 0.0], &[0.0, 0.0, 950.0]);
        let prices = [1_000.0, 20_000.0, 1.0];
        assert!((protocol.health_factor(account, &prices) - 800.0 / 950.0).abs() < 1e-12);
        let plan = protocol
            .plan_liquidation(account, AssetId(0), AssetId(2), f64::INFINITY, &prices)
            .unwrap();
        assert_eq!(plan.close_factor, 1.0);
        assert_eq!(plan.collateral_seized, 1.0);
        assert!((plan.debt_repaid - 1_000.0 / 1.1).abs() < 1e-9);
        assert!((plan.protocol_fee_collateral - 0.2 * (1.0 - 1.0 / 1.1)).abs() < 1e-12);
        assert_eq!(
            protocol.plan_liquidation(account, AssetId(1), AssetId(2), f64::INFINITY, &prices),
            Err(LiquidationRefusal::NotCollateral)
        );
    }
}
