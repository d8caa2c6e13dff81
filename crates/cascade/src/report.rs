//! The report folder of a run: `report.json`, `blocks.csv`, `liquidations.csv`. Written into a
//! temporary folder beside the target and renamed into place only when complete, so a failed run
//! never leaves a half-written report.

use cascade_core::engine::{AgentTotals, AttackOutcome};
use std::io::Write;
use std::path::{Path, PathBuf};

use cascade_core::engine::Simulation;
use cascade_core::report::{LiquidationEvent, Summary};
use serde::Serialize;

use crate::scenario::Scenario;

/// The version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Per-asset outcome.
#[derive(Debug, Clone, Serialize)]
pub struct AssetReport {
    pub symbol: String,
    pub initial_price: f64,
    /// Where the exogenous path ended.
    pub shocked_price: f64,
    /// Reference price at the stop (exogenous path times the permanent impact of liquidation flow).
    pub final_reference_price: f64,
    /// Lowest price seen at any of the asset's venues.
    pub lowest_venue_price: Option<f64>,
}

/// Per-keeper outcome.
#[derive(Debug, Clone, Serialize)]
pub struct KeeperReport {
    pub name: String,
    pub n_liquidations: u64,
    pub debt_repaid_usd: f64,
    pub profit_usd: f64,
}

/// Per-protocol outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolReport {
    pub name: String,
    /// `lending` (its mechanism in `mechanism`), `cdp`, `perp` or `options_vault`.
    pub kind: String,
    pub mechanism: String,
    pub n_accounts: u64,
    pub collateral_usd_initial: f64,
    pub debt_usd_initial: f64,
}

/// Everything in `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub cascade_version: String,
    pub scenario_name: String,
    pub seed: u64,
    pub summary: Summary,
    pub assets: Vec<AssetReport>,
    pub protocols: Vec<ProtocolReport>,
    pub keepers: Vec<KeeperReport>,
    /// What borrowers and keepers did and what block space crowded out (docs/agents.md); only when
    /// the scenario turns an agent on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<AgentTotals>,
    /// The oracle manipulation attack's cost and profit; only when the scenario has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackOutcome>,
    /// The scenario as run, with every default filled in.
    pub scenario: Scenario,
}

impl RunReport {
    /// Gathers the report of a finished simulation.
    pub fn new(scenario: &Scenario, seed: u64, finished: &Simulation) -> Self {
        let market = finished.market();
        let blocks = finished.blocks();
        let assets = market
            .assets
            .iter()
            .enumerate()
            .map(|(index, asset)| {
                let lowest_venue_price = market
                    .venues
                    .iter()
                    .enumerate()
                    .filter(|(_, venue)| venue.asset.index() == index)
                    .flat_map(|(venue_index, _)| {
                        blocks
                            .iter()
                            .map(move |record| record.venue_prices[venue_index])
                    })
                    .reduce(f64::min);
                AssetReport {
                    symbol: asset.symbol.clone(),
                    initial_price: asset.path.initial_price(),
                    shocked_price: blocks
                        .last()
                        .map_or(asset.path.initial_price(), |r| r.exogenous_prices[index]),
                    final_reference_price: blocks
                        .last()
                        .map_or(asset.path.initial_price(), |r| r.reference_prices[index]),
                    lowest_venue_price,
                }
            })
            .collect();
        let initial_prices: Vec<f64> = market
            .assets
            .iter()
            .map(|asset| asset.path.initial_price())
            .collect();
        // The market keeps the protocols as they were before the first block.
        let protocols = market
            .protocols
            .iter()
            .map(|protocol| {
                let accounts =
                    (0..protocol.n_accounts()).map(|i| cascade_core::ids::AccountId(i as u32));
                let (mut collateral, mut debt) = (0.0, 0.0);
                for account in accounts {
                    collateral += protocol.collateral_usd(account, &initial_prices);
                    debt += protocol.debt_usd(account, &initial_prices);
                }
                ProtocolReport {
                    name: protocol.name.clone(),
                    kind: "lending".to_string(),
                    mechanism: protocol.setup.mechanism.name().to_string(),
                    n_accounts: protocol.n_accounts() as u64,
                    collateral_usd_initial: collateral,
                    debt_usd_initial: debt,
                }
            })
            .chain(market.cdps.iter().map(|cdp| {
                let (collateral, debt) = cdp.totals(initial_prices.len());
                ProtocolReport {
                    name: cdp.name.clone(),
                    kind: "cdp".to_string(),
                    mechanism: "dutch_auction".to_string(),
                    n_accounts: cdp.n_vaults() as u64,
                    collateral_usd_initial: collateral
                        .iter()
                        .zip(&initial_prices)
                        .map(|(c, p)| c * p)
                        .sum(),
                    debt_usd_initial: debt * initial_prices[cdp.debt_asset.index()],
                }
            }))
            .chain(market.perps.iter().map(|perp| {
                let notional: f64 = perp
                    .accounts
                    .iter()
                    .flat_map(|a| a.positions.iter())
                    .map(|p| p.size.abs() * initial_prices[perp.markets[p.market].asset.index()])
                    .sum();
                ProtocolReport {
                    name: perp.name.clone(),
                    kind: "perp".to_string(),
                    mechanism: if perp.adl { "market_adl" } else { "market" }.to_string(),
                    n_accounts: perp.accounts.len() as u64,
                    collateral_usd_initial: perp.accounts.iter().map(|a| a.collateral).sum(),
                    debt_usd_initial: notional,
                }
            }))
            .chain(market.option_vaults.iter().map(|vault| {
                ProtocolReport {
                    name: vault.name.clone(),
                    kind: "options_vault".to_string(),
                    mechanism: "desk_takeover".to_string(),
                    n_accounts: vault.writers.len() as u64,
                    collateral_usd_initial: vault.writers.iter().map(|w| w.collateral_usd).sum(),
                    debt_usd_initial: vault
                        .writers
                        .iter()
                        .map(|w| {
                            -w.holding.quantity
                                * vault
                                    .inputs(&w.holding, initial_prices[vault.asset.index()], 0.0)
                                    .value()
                        })
                        .sum(),
                }
            }))
            .collect();
        let keepers = market
            .keepers
            .iter()
            .map(|keeper| {
                let mine = finished
                    .events()
                    .iter()
                    .filter(|event| event.keeper == keeper.name);
                let (mut n, mut repaid, mut profit) = (0, 0.0, 0.0);
                for event in mine {
                    n += 1;
                    repaid += event.debt_repaid_usd;
                    profit += event.keeper_profit_usd;
                }
                KeeperReport {
                    name: keeper.name.clone(),
                    n_liquidations: n,
                    debt_repaid_usd: repaid,
                    profit_usd: profit,
                }
            })
            .collect();
        RunReport {
            cascade_version: VERSION.to_string(),
            scenario_name: scenario.simulation.name.clone(),
            seed,
            summary: finished.summary(),
            assets,
            protocols,
            keepers,
            agents: market.agents.is_active().then(|| finished.agent_totals()),
            attack: finished.attack_outcome(),
            scenario: scenario.clone(),
        }
    }

    /// `report.json`'s text.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report always serialises");
        text.push('\n');
        text
    }
}

/// `blocks.csv`: one row per block.
pub fn blocks_csv(simulation: &Simulation) -> String {
    let market = simulation.market();
    let mut header = vec!["block".to_string()];
    header.extend(
        market
            .assets
            .iter()
            .map(|a| format!("exogenous_{}", a.symbol)),
    );
    header.extend(
        market
            .assets
            .iter()
            .map(|a| format!("reference_{}", a.symbol)),
    );
    header.extend(market.venues.iter().map(|v| format!("venue_{}", v.name)));
    header.extend(market.oracles.iter().map(|o| format!("oracle_{}", o.name)));
    for column in [
        "n_liquidatable",
        "n_liquidations",
        "collateral_seized_usd",
        "debt_repaid_usd",
        "bonus_usd",
        "bad_debt_usd",
        "cumulative_bad_debt_usd",
        "keeper_profit_usd",
        "arbitrage_volume_usd",
    ] {
        header.push(column.to_string());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).expect("writing to memory");
    for record in simulation.blocks() {
        let mut row = vec![record.block.to_string()];
        let numbers = record
            .exogenous_prices
            .iter()
            .chain(&record.reference_prices)
            .chain(&record.venue_prices)
            .chain(&record.oracle_prices);
        row.extend(numbers.map(|value| value.to_string()));
        row.push(record.n_liquidatable.to_string());
        row.push(record.n_liquidations.to_string());
        for value in [
            record.collateral_seized_usd,
            record.debt_repaid_usd,
            record.bonus_usd,
            record.bad_debt_usd,
            record.cumulative_bad_debt_usd,
            record.keeper_profit_usd,
            record.arbitrage_volume_usd,
        ] {
            row.push(value.to_string());
        }
        writer.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 fields")
}

/// `liquidations.csv`: one row per liquidation, columns as the fields of [`LiquidationEvent`].
pub fn liquidations_csv(events: &[LiquidationEvent]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "block",
            "protocol",
            "account",
            "keeper",
            "collateral_asset",
            "debt_asset",
            "health_factor_before",
            "health_factor_after",
            "close_factor",
            "debt_repaid",
            "debt_repaid_usd",
            "collateral_seized",
            "collateral_seized_usd",
            "bonus_usd",
            "protocol_fee_usd",
            "collateral_price",
            "debt_price",
            "venue",
            "collateral_sold",
            "sale_proceeds_usd",
            "gas_usd",
            "keeper_profit_usd",
            "bad_debt_usd",
            "kind",
        ])
        .expect("writing to memory");
    for e in events {
        let health_factor_after = if e.health_factor_after.is_finite() {
            e.health_factor_after.to_string()
        } else {
            "inf".to_string()
        };
        writer
            .write_record([
                e.block.to_string(),
                e.protocol.to_string(),
                e.account.to_string(),
                e.keeper.to_string(),
                e.collateral_asset.to_string(),
                e.debt_asset.to_string(),
                e.health_factor_before.to_string(),
                health_factor_after,
                e.close_factor.to_string(),
                e.debt_repaid.to_string(),
                e.debt_repaid_usd.to_string(),
                e.collateral_seized.to_string(),
                e.collateral_seized_usd.to_string(),
                e.bonus_usd.to_string(),
                e.protocol_fee_usd.to_string(),
                e.collateral_price.to_string(),
                e.debt_price.to_string(),
                e.venue.to_string(),
                e.collateral_sold.to_string(),
                e.sale_proceeds_usd.to_string(),
                e.gas_usd.to_string(),
                e.keeper_profit_usd.to_string(),
                e.bad_debt_usd.to_string(),
                e.kind.as_str().to_string(),
            ])
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 fields")
}

/// Writes `files` (name, contents) into `dir` all-or-nothing: into a temporary sibling folder first,
/// then renamed over `dir` (an existing `dir` is replaced only after the new one is complete).
pub fn write_folder_atomically(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = dir
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir(&staging)?;
    let result = (|| {
        for (file_name, contents) in files {
            let mut file = std::fs::File::create(staging.join(file_name))?;
            file.write_all(contents)?;
            file.sync_all()?;
        }
        if dir.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(dir, &old)?;
            std::fs::rename(&staging, dir)?;
            std::fs::remove_dir_all(&old)
        } else {
            std::fs::rename(&staging, dir)
        }
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}
