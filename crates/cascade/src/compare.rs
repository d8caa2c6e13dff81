//! `cascade compare`: one scenario run under each applicable liquidation mechanism, pool and circuit
//! breaker, with the same seed, and the headline numbers of each run side by side (SPEC.md 3: "the
//! seeds' comparison tables, measured instead of asserted").
//!
//! The variants change one thing at a time. Lending protocols (every `[[protocols]]` entry at once)
//! go through: the fixed spread keeper sale under the rules' close factor, with a full close, in
//! chunks; the Dutch auction under its three curves; Compound's absorb and store-front sale;
//! Morpho's incentive; Euler's discount; an insurance fund; a backstop pool; protocol-owned
//! liquidity; and each circuit breaker on the plain fixed spread sale. Perp exchanges go through
//! fee-to-fund only, ADL, a backstop pool, chunks, cross margin and a rate limit; options vaults
//! through hedging desks on and off. The other protocols stay as the scenario writes them. The
//! parameters of each variant are set from the scenario's own size (documented in
//! docs/mechanisms.md, "cascade compare").

use std::path::Path;

use cascade_core::engine::{Market, Simulation};
use cascade_core::ids::AccountId;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::ScenarioError;
use crate::market::{build_market, Origin};
use crate::report::{write_folder_atomically, VERSION};
use crate::scenario::*;

/// One run of the comparison.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Short name for the table.
    pub name: String,
    /// The protocol type it changes (`lending`, `perps`, `options`; `all` for the scenario as
    /// written): the row's liquidation columns cover those protocols only.
    pub scope: String,
    /// What the variant changes, in words.
    pub description: String,
    pub scenario: Scenario,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub variant: String,
    /// Which protocols the liquidation columns cover (`all`, `lending`, `perps`, `options`); the
    /// price columns are the market's.
    pub scope: String,
    pub description: String,
    pub equilibrium_price: f64,
    /// `1 - equilibrium price / initial price` of the primary asset.
    pub equilibrium_drawdown: f64,
    pub max_drawdown: f64,
    pub amplification: f64,
    pub liquidated_value_usd: f64,
    pub bad_debt_usd: f64,
    pub bad_debt_uncovered_usd: f64,
    pub insurance_drawdown_usd: f64,
    pub backstop_drawdown_usd: f64,
    pub peak_liquidations_per_block: u32,
    pub blocks_to_equilibrium: u64,
    pub keeper_profit_usd: f64,
    pub n_liquidations: u64,
    pub auctions_started: u64,
    pub absorbs: u64,
    pub backstop_takeovers: u64,
    pub adl_events: u64,
    pub liquidations_deferred: u64,
    pub hedge_volume_usd: f64,
    pub stop_reason: String,
}

/// `compare.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    pub cascade_version: String,
    pub scenario_name: String,
    pub seed: u64,
    pub rows: Vec<CompareRow>,
}

/// The scale of the scenario the variants' parameters are set from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    /// Debt of the lending protocols at the initial prices (USD).
    lending_debt_usd: f64,
    /// Collateral of the lending protocols in their largest collateral asset (units).
    lending_collateral_units: f64,
    /// Open interest of the perp exchanges (USD at the initial prices).
    perp_open_interest_usd: f64,
    /// Open interest in base units.
    perp_open_interest_units: f64,
}

fn scale(market: &Market) -> Scale {
    let prices: Vec<f64> = market
        .assets
        .iter()
        .map(|a| a.path.initial_price())
        .collect();
    let mut debt = 0.0;
    let mut collateral = vec![0.0; prices.len()];
    for protocol in &market.protocols {
        for account in 0..protocol.n_accounts() {
            let account = AccountId(account as u32);
            debt += protocol.debt_usd(account, &prices);
            for (asset, amount) in protocol.collateral_row(account).iter().enumerate() {
                collateral[asset] += amount;
            }
        }
    }
    let largest = (0..prices.len())
        .max_by(|&a, &b| (collateral[a] * prices[a]).total_cmp(&(collateral[b] * prices[b])))
        .unwrap_or(0);
    let (mut oi_usd, mut oi_units) = (0.0, 0.0);
    for exchange in &market.perps {
        for account in &exchange.accounts {
            for position in &account.positions {
                let asset = exchange.markets[position.market].asset.index();
                oi_usd += position.size.abs() * prices[asset];
                oi_units += position.size.abs();
            }
        }
    }
    Scale {
        lending_debt_usd: debt,
        lending_collateral_units: collateral.get(largest).copied().unwrap_or(0.0),
        perp_open_interest_usd: oi_usd,
        perp_open_interest_units: oi_units,
    }
}

/// A lending protocol with the scenario's book and risk parameters and nothing else: the fixed
/// spread sale under the rules' close factor, no chunks, pools or breakers.
fn plain(protocol: &ProtocolConfig) -> ProtocolConfig {
    ProtocolConfig {
        close_factor: CloseFactorConfig::Rules,
        mechanism: MechanismConfig::FixedSpread,
        chunks: None,
        insurance_fund: None,
        backstop: None,
        protocol_owned_liquidity: None,
        breakers: None,
        borrowers: None,
        ..protocol.clone()
    }
}

fn dutch(curve: CurveConfig, debt_usd: f64) -> MechanismConfig {
    MechanismConfig::DutchAuction(DutchAuctionConfig {
        curve,
        buf: 1.2,
        tail_seconds: 8400,
        cusp: 0.45,
        chip: 0.001,
        tip_usd: 300.0,
        chop: None,
        hole_usd: Some(0.15 * debt_usd),
        global_hole_usd: None,
        dust_usd: 1000.0,
        stopped: 0,
        debt_asset: None,
    })
}

/// The variants `cascade compare` runs for `scenario` (the first is the scenario as written).
pub fn variants(scenario: &Scenario, origin: &Origin) -> Result<Vec<Variant>, ScenarioError> {
    let mut clean = scenario.clone();
    for protocol in &mut clean.protocols {
        *protocol = plain(protocol);
    }
    let scale = scale(&build_market(&clean, origin, scenario.simulation.seed)?);
    let mut out = vec![Variant {
        name: "as written".into(),
        scope: "all".into(),
        description: "the scenario as its file sets it".into(),
        scenario: scenario.clone(),
    }];
    let mut lending = |name: &str, description: &str, change: &dyn Fn(&mut ProtocolConfig)| {
        let mut variant = scenario.clone();
        for protocol in &mut variant.protocols {
            *protocol = plain(protocol);
            change(protocol);
        }
        out.push(Variant {
            name: name.into(),
            scope: "lending".into(),
            description: description.into(),
            scenario: variant,
        });
    };
    if !scenario.protocols.is_empty() {
        let d = scale.lending_debt_usd;
        lending(
            "fixed spread 50%",
            "keepers at the collateral's bonus, close factor 50% (100% below HF 0.95), Aave v3.3",
            &|_| {},
        );
        lending(
            "fixed spread full",
            "keepers may repay the whole debt in one call",
            &|p| p.close_factor = CloseFactorConfig::Full,
        );
        lending(
            "fixed spread chunks",
            "debt above $100k repaid 20% at a time, then a 60 s cooldown",
            &|p| {
                p.chunks = Some(ChunksConfig {
                    slice_fraction: 0.2,
                    threshold_usd: 100_000.0,
                    cooldown_seconds: 60,
                    rule: CooldownRuleConfig::Wait,
                })
            },
        );
        lending(
            "dutch linear",
            "vaults, Dutch auction from 1.2x oracle, linear to 0 over 2 h (tail 140 min, cusp 0.45)",
            &|p| p.mechanism = dutch(CurveConfig::Linear { tau_seconds: 7200 }, d),
        );
        lending(
            "dutch stairstep",
            "vaults, Dutch auction from 1.2x oracle, -1% every 90 s (Maker ETH-A)",
            &|p| {
                p.mechanism = dutch(
                    CurveConfig::Stairstep {
                        step_seconds: 90,
                        cut: 0.99,
                    },
                    d,
                )
            },
        );
        lending(
            "dutch exponential",
            "vaults, Dutch auction from 1.2x oracle, -1% every 90 s continuously (cut 0.999888/s)",
            &|p| {
                p.mechanism = dutch(
                    CurveConfig::Exponential {
                        cut: 0.99_f64.powf(1.0 / 90.0),
                    },
                    d,
                )
            },
        );
        // Maker reads its prices through the OSM: the same stairstep auction behind a one-hour
        // delayed feed of each collateral's oracle.
        let mut osm = scenario.clone();
        for protocol in &mut osm.protocols {
            *protocol = plain(protocol);
            protocol.mechanism = dutch(
                CurveConfig::Stairstep {
                    step_seconds: 90,
                    cut: 0.99,
                },
                d,
            );
            for market in &mut protocol.markets {
                if market.collateral.is_none() {
                    continue;
                }
                let name = format!("{}-osm", market.oracle);
                if !osm.oracles.iter().any(|o| o.name == name) {
                    osm.oracles.push(OracleConfig {
                        name: name.clone(),
                        kind: OracleKindConfig::Osm,
                        source: Some(SourceConfig::Oracle(market.oracle.clone())),
                        sources: None,
                        window_blocks: None,
                        deviation: None,
                        heartbeat_blocks: None,
                        hop_seconds: Some(3600),
                        latency_blocks: 0,
                    });
                }
                market.oracle = name;
            }
        }
        out.push(Variant {
            name: "dutch stairstep + OSM".into(),
            scope: "lending".into(),
            description: "the stairstep auction reading each collateral through a one-hour OSM"
                .into(),
            scenario: osm,
        });
        let mut lending = |name: &str, description: &str, change: &dyn Fn(&mut ProtocolConfig)| {
            let mut variant = scenario.clone();
            for protocol in &mut variant.protocols {
                *protocol = plain(protocol);
                change(protocol);
            }
            out.push(Variant {
                name: name.into(),
                scope: "lending".into(),
                description: description.into(),
                scenario: variant,
            });
        };
        lending(
            "compound absorb",
            "protocol absorbs, sells from reserves at 50% of the penalty off, at most 0.1% of debt per block",
            &|p| {
                p.mechanism = MechanismConfig::CompoundAbsorb {
                    store_front_price_factor: 0.5,
                    initial_reserves_usd: 0.02 * d,
                    target_reserves_usd: 0.05 * d,
                    max_sale_usd_per_block: 0.001 * d,
                }
            },
        );
        lending(
            "morpho LIF",
            "bonus from LLTV: min(1.15, 1/(1-0.3(1-LLTV))) - 1, any size",
            &|p| p.mechanism = MechanismConfig::Morpho,
        );
        lending(
            "euler discount",
            "discount 1 - HF up to 15%, any size, 60 s cool-off after a liquidation",
            &|p| {
                p.mechanism = MechanismConfig::Euler {
                    max_discount: 0.15,
                    cool_off_seconds: 60,
                }
            },
        );
        lending(
            "insurance fund",
            "fixed spread 50% with a fund of 0.5% of debt covering bad debt",
            &|p| {
                p.insurance_fund = Some(InsuranceFundConfig {
                    initial_usd: 0.005 * d,
                })
            },
        );
        lending(
            "backstop pool",
            "a pool of 25% of debt takes liquidatable accounts over, sells 0.05% of debt per block",
            &|p| {
                p.backstop = Some(BackstopConfig {
                    capital_usd: 0.25 * d,
                    max_unwind_usd_per_block: 0.0005 * d,
                    trigger: None,
                })
            },
        );
        lending(
            "protocol-owned liq.",
            "the protocol bids the oracle price for seized collateral, budget 5% of debt",
            &|p| {
                p.protocol_owned_liquidity = Some(PolConfig {
                    budget_usd: 0.05 * d,
                    discount: 0.0,
                })
            },
        );
        let units_per_window = 0.005 * scale.lending_collateral_units;
        let breaker = |breakers: BreakersConfig| {
            move |p: &mut ProtocolConfig| p.breakers = Some(breakers.clone())
        };
        lending(
            "breaker: rate limit",
            "Synthetix capacity: 0.5% of the book's main collateral per 60 s window",
            &breaker(BreakersConfig {
                rate_limit: Some(RateLimitConfig {
                    maker_fee: 0.0002,
                    taker_fee: 0.0006,
                    skew_scale: units_per_window / (0.0008 * 60.0),
                    limit_multiplier: 1.0,
                    window_seconds: 60,
                    max_liquidation_pd: 0.0,
                }),
                ..BreakersConfig::default()
            }),
        );
        lending(
            "breaker: grace period",
            "no liquidation for 10 min after a 1% oracle move between blocks",
            &breaker(BreakersConfig {
                grace_period: Some(GracePeriodConfigToml {
                    duration_seconds: 600,
                    jump_threshold: Some(0.01),
                    outage_blocks: None,
                }),
                ..BreakersConfig::default()
            }),
        );
        lending(
            "breaker: velocity margin",
            "requirements +10% per 1% of debt liquidated in 5 min, up to +30%",
            &breaker(BreakersConfig {
                velocity_margin: Some(VelocityMarginConfigToml {
                    window_seconds: 300,
                    trigger_usd: 0.01 * d,
                    step_up: 0.1,
                    max_multiplier: 1.3,
                }),
                ..BreakersConfig::default()
            }),
        );
        lending(
            "breaker: vol margin",
            "requirements x sigma/80% (50-block realised volatility), up to x1.3",
            &breaker(BreakersConfig {
                volatility_margin: Some(VolatilityMarginConfigToml {
                    reference_volatility: 0.8,
                    max_multiplier: 1.3,
                    window_blocks: 50,
                }),
                ..BreakersConfig::default()
            }),
        );
        lending(
            "breaker: price floor",
            "above 150% realised volatility (1 h), nothing liquidates below 90% of the 1 h average",
            &breaker(BreakersConfig {
                price_floor: Some(PriceFloorConfigToml {
                    trigger_volatility: 1.5,
                    floor_fraction: 0.9,
                    window_blocks: 300,
                }),
                ..BreakersConfig::default()
            }),
        );
    }
    if !scenario.perps.is_empty() {
        let oi = scale.perp_open_interest_usd;
        let oi_units = scale.perp_open_interest_units;
        let mut perp = |name: &str, description: &str, change: &dyn Fn(&mut PerpConfig)| {
            let mut variant = scenario.clone();
            for exchange in &mut variant.perps {
                exchange.adl = false;
                exchange.backstop = None;
                exchange.chunks = None;
                exchange.breakers = None;
                change(exchange);
            }
            out.push(Variant {
                name: name.into(),
                scope: "perps".into(),
                description: description.into(),
                scenario: variant,
            });
        };
        perp(
            "perps: fund only",
            "market liquidation, fee to the insurance fund, losses beyond it socialised",
            &|_| {},
        );
        perp(
            "perps: fund + ADL",
            "when a loss exceeds the fund, close at bankruptcy against the ranked opposite side",
            &|p| p.adl = true,
        );
        perp(
            "perps: backstop",
            "ADL on; below 2/3 of maintenance a pool of 10% of open interest takes over, sells 0.05% per block",
            &|p| {
                p.adl = true;
                p.backstop = Some(BackstopConfig {
                    capital_usd: 0.1 * oi,
                    max_unwind_usd_per_block: 0.0005 * oi,
                    trigger: None,
                });
            },
        );
        perp(
            "perps: chunks",
            "ADL on; above $100k notional, 20% at a time, whole position during a 30 s cooldown",
            &|p| {
                p.adl = true;
                p.chunks = Some(ChunksConfig {
                    slice_fraction: 0.2,
                    threshold_usd: 100_000.0,
                    cooldown_seconds: 30,
                    rule: CooldownRuleConfig::FullDuringCooldown,
                });
            },
        );
        perp(
            "perps: cross margin",
            "ADL on; every account's collateral backs all its positions",
            &|p| {
                p.adl = true;
                p.margin_mode = MarginModeConfig::Cross;
            },
        );
        perp(
            "perps: rate limit",
            "ADL on; Synthetix capacity of 0.5% of open interest per 60 s window",
            &|p| {
                p.adl = true;
                p.breakers = Some(BreakersConfig {
                    rate_limit: Some(RateLimitConfig {
                        maker_fee: 0.0002,
                        taker_fee: 0.0006,
                        skew_scale: 0.005 * oi_units / (0.0008 * 60.0),
                        limit_multiplier: 1.0,
                        window_seconds: 60,
                        max_liquidation_pd: 0.0,
                    }),
                    ..BreakersConfig::default()
                });
            },
        );
    }
    if !scenario.option_vaults.is_empty() {
        let mut vault = |name: &str, description: &str, change: &dyn Fn(&mut OptionVaultConfig)| {
            let mut variant = scenario.clone();
            for v in &mut variant.option_vaults {
                change(v);
            }
            out.push(Variant {
                name: name.into(),
                scope: "options".into(),
                description: description.into(),
                scenario: variant,
            });
        };
        vault(
            "options: no hedging",
            "the desks never rebalance their delta (no hedge flow)",
            &|v| {
                for maker in &mut v.market_makers {
                    maker.rebalance_band = 1e300;
                }
            },
        );
        vault(
            "options: hedge/block",
            "the desks rebalance every block with no band",
            &|v| {
                for maker in &mut v.market_makers {
                    maker.rebalance_band = 0.0;
                    maker.rebalance_blocks = 1;
                }
            },
        );
    }
    Ok(out)
}

/// Runs every variant of `scenario` with `seed` (the scenario's own when `None`), in parallel; the
/// rows come back in variant order.
pub fn run_compare(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
) -> Result<CompareReport, ScenarioError> {
    let seed = seed.unwrap_or(scenario.simulation.seed);
    let mut seeded = scenario.clone();
    seeded.simulation.seed = seed;
    let variants = variants(&seeded, origin)?;
    let rows = variants
        .par_iter()
        .map(|variant| -> Result<CompareRow, ScenarioError> {
            let market = build_market(&variant.scenario, origin, seed)?;
            let mut simulation = Simulation::new(market);
            simulation.run();
            Ok(row(variant, &simulation))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CompareReport {
        cascade_version: VERSION.to_string(),
        scenario_name: seeded.simulation.name.clone(),
        seed,
        rows,
    })
}

/// The kinds of protocol a scope covers.
fn in_scope(scope: &str, kind: &str) -> bool {
    match scope {
        "lending" => kind == "lending" || kind == "cdp",
        "perps" => kind == "perp",
        "options" => kind == "options_vault",
        _ => true,
    }
}

/// A finished run as a row: the market's prices and blocks, the scope's liquidations.
fn row(variant: &Variant, simulation: &Simulation) -> CompareRow {
    let s = simulation.summary();
    let outcomes: Vec<_> = simulation
        .protocol_outcomes()
        .into_iter()
        .filter(|o| in_scope(&variant.scope, &o.kind))
        .collect();
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    let mut peak = 0;
    let mut current = (u64::MAX, 0u32);
    for event in simulation.events() {
        if event.kind.is_liquidation() && names.contains(&event.protocol.as_str()) {
            if current.0 != event.block {
                current = (event.block, 0);
            }
            current.1 += 1;
            peak = peak.max(current.1);
        }
    }
    let sum = |f: fn(&cascade_core::report::ProtocolOutcome) -> f64| -> f64 {
        outcomes.iter().map(f).sum()
    };
    let count = |f: fn(&cascade_core::report::ProtocolOutcome) -> u64| -> u64 {
        outcomes.iter().map(f).sum()
    };
    let whole = variant.scope == "all";
    CompareRow {
        variant: variant.name.clone(),
        scope: variant.scope.clone(),
        description: variant.description.clone(),
        equilibrium_price: s.equilibrium_price,
        equilibrium_drawdown: s.final_drawdown,
        max_drawdown: s.max_drawdown,
        amplification: s.amplification,
        liquidated_value_usd: sum(|o| o.liquidated_value_usd),
        bad_debt_usd: sum(|o| o.bad_debt_usd),
        bad_debt_uncovered_usd: sum(|o| o.bad_debt_uncovered_usd),
        insurance_drawdown_usd: sum(|o| o.insurance_drawdown_usd),
        backstop_drawdown_usd: sum(|o| o.backstop_drawdown_usd),
        peak_liquidations_per_block: if whole {
            s.peak_liquidations_per_block
        } else {
            peak
        },
        blocks_to_equilibrium: s.blocks_to_equilibrium,
        keeper_profit_usd: sum(|o| o.keeper_profit_usd),
        n_liquidations: count(|o| o.n_liquidations),
        auctions_started: s.auctions_started,
        absorbs: s.absorbs,
        backstop_takeovers: s.backstop_takeovers,
        adl_events: s.adl_events,
        liquidations_deferred: s.liquidations_deferred,
        hedge_volume_usd: s.hedge_volume_usd,
        stop_reason: s.stop_reason.as_str().to_string(),
    }
}

impl CompareReport {
    /// `compare.json`'s text.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a comparison always serialises");
        text.push('\n');
        text
    }

    /// `compare.csv`: one row per variant, the columns of [`CompareRow`].
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in &self.rows {
            writer.serialize(row).expect("writing to memory");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory"))
            .expect("CSV of UTF-8 fields")
    }

    /// `report.html`: bars per variant and the table.
    pub fn to_html(&self) -> String {
        use crate::html::{compare_page, CompareChartData, CompareRow as ChartRow};
        let money = |v: f64| format!("{v:.2}");
        let rows = self
            .rows
            .iter()
            .map(|row| ChartRow {
                mechanism: row.variant.clone(),
                equilibrium_price: row.equilibrium_price,
                equilibrium_drawdown: row.equilibrium_drawdown,
                max_drawdown: row.max_drawdown,
                amplification: row.amplification,
                n_liquidations: row.n_liquidations,
                liquidated_value_usd: row.liquidated_value_usd,
                bad_debt_usd: row.bad_debt_usd,
                extra: vec![
                    ("scope".into(), row.scope.clone()),
                    (
                        "uncovered bad debt (USD)".into(),
                        money(row.bad_debt_uncovered_usd),
                    ),
                    (
                        "insurance drawdown (USD)".into(),
                        money(row.insurance_drawdown_usd),
                    ),
                    (
                        "backstop drawdown (USD)".into(),
                        money(row.backstop_drawdown_usd),
                    ),
                    (
                        "peak liquidations per block".into(),
                        row.peak_liquidations_per_block.to_string(),
                    ),
                    (
                        "blocks to equilibrium".into(),
                        row.blocks_to_equilibrium.to_string(),
                    ),
                    ("keeper profit (USD)".into(), money(row.keeper_profit_usd)),
                    ("what changes".into(), row.description.clone()),
                ],
            })
            .collect();
        compare_page(&CompareChartData {
            title: self.scenario_name.clone(),
            meta: vec![format!("seed {}", self.seed)],
            notes: vec![
                "Each row is the scenario with one thing changed, same seed. Price columns are \
                 the market's; liquidation columns cover the protocols of the row's scope."
                    .into(),
            ],
            rows,
            files: vec![
                ("compare.csv".into(), "one row per variant".into()),
                (
                    "compare.json".into(),
                    "the same, with the scenario and seed".into(),
                ),
            ],
        })
    }

    /// Writes `compare.csv`, `compare.json` and `report.html` into `dir`, all or nothing.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        write_folder_atomically(
            dir,
            &[
                ("compare.csv", self.to_csv().as_bytes()),
                ("compare.json", self.to_json().as_bytes()),
                ("report.html", self.to_html().as_bytes()),
            ],
        )
    }
}
