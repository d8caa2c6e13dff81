//! Turns a parsed [`Scenario`] into a [`Market`]: checks every value, resolves names to ids, loads
//! the data files it names, and generates the synthetic accounts.

use std::path::{Path, PathBuf};

use cascade_core::agents::{
    AgentsModel, BlockSpaceModel, BorrowerModel, GasPriceModel, KeeperBehaviour, KeeperSale,
};
use cascade_core::cdp::{CdpProtocol, DutchAuctionModel};
use cascade_core::concentrated::{
    nearest_usable_tick, price_at_tick, symmetric_bands, LiquidityRange,
};
use cascade_core::concentrated_exact::{MAX_TICK, MIN_TICK};
use cascade_core::engine::{
    AssetModel, AttackModel, ChainModel, EngineSettings, KeeperModel, Market, VenueModel,
};
use cascade_core::generator::{generate_accounts, CollateralChoice, DebtChoice, GeneratorModel};
use cascade_core::ids::{AssetId, OracleId, VenueId};
use cascade_core::lending::{AaveRules, LendingProtocol, RiskParams};
use cascade_core::mechanism::backstop::HYPERLIQUID_BACKSTOP_FRACTION;
use cascade_core::mechanism::breaker::{
    GracePeriodConfig, LiquidationCapacityConfig, VelocityMarginConfig, VolatilityFloorConfig,
};
use cascade_core::mechanism::maker::{ClipperConfig, PriceCurve, StopLevel};
use cascade_core::mechanism::options::{OptionHolding, OptionKind, OptionStress};
use cascade_core::mechanism::perp::{CooldownRule, MarginTiers, PartialLiquidationConfig};
use cascade_core::option_vault::{
    generate_writers, MarketMakerModel, OptionVault, WriterGeneratorModel,
};
use cascade_core::oracle::{OracleKind, OracleModel, PriceSource};
use cascade_core::perp_exchange::{
    generate_perp_accounts, FundingModel, MarginMode, PerpExchange, PerpGeneratorModel,
    PerpMarketModel,
};
use cascade_core::price_path::{PegRatio, ReferencePath};
use cascade_core::setup::{
    BackstopModel, BreakerModels, GracePeriodModel, InsuranceFundModel, LendingMechanism,
    LendingSetup, PolModel, PriceFloorModel, VolatilityMarginModel,
};
use cascade_core::venue::{
    ConcentratedLiquidityPool, ConstantProductPool, DepthDynamics, DepthLadder, OrderBook, Venue,
};

use crate::data;
use crate::error::ScenarioError;
use crate::scenario::*;

/// Where a scenario came from: its file (for messages) and the folder its data paths are relative to.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: PathBuf,
    pub base_dir: PathBuf,
}

struct Checker<'a> {
    origin: &'a Origin,
    /// `simulation.block_time_seconds`, for checks that relate blocks to a file's time.
    block_time_seconds: f64,
}

impl Checker<'_> {
    fn fail<T>(
        &self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError::Invalid {
            file: self.origin.file.clone(),
            field: field.into(),
            message: message.into(),
        })
    }

    fn finite(&self, field: &str, value: f64) -> Result<f64, ScenarioError> {
        if value.is_finite() {
            Ok(value)
        } else {
            self.fail(field, format!("is {value}; it must be a finite number"))
        }
    }

    fn positive(&self, field: &str, value: f64) -> Result<f64, ScenarioError> {
        if self.finite(field, value)? > 0.0 {
            Ok(value)
        } else {
            self.fail(field, format!("is {value}; it must be above zero"))
        }
    }

    fn non_negative(&self, field: &str, value: f64) -> Result<f64, ScenarioError> {
        if self.finite(field, value)? >= 0.0 {
            Ok(value)
        } else {
            self.fail(field, format!("is {value}; it must be zero or more"))
        }
    }

    /// A fraction in [0, 1) (or [0, 1] when `inclusive`).
    fn fraction(&self, field: &str, value: f64, inclusive: bool) -> Result<f64, ScenarioError> {
        self.finite(field, value)?;
        let ok = value >= 0.0 && (value < 1.0 || (inclusive && value == 1.0));
        if ok {
            Ok(value)
        } else {
            let range = if inclusive {
                "between 0 and 1"
            } else {
                "at least 0 and below 1"
            };
            self.fail(
                field,
                format!("is {value}; it is a fraction and must be {range} (0.05 means 5%)"),
            )
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.origin.base_dir.join(relative)
    }
}

fn unique<'n>(
    checker: &Checker,
    section: &str,
    key: &str,
    names: impl Iterator<Item = &'n str>,
) -> Result<(), ScenarioError> {
    let mut seen: Vec<&str> = Vec::new();
    for (index, name) in names.enumerate() {
        if name.is_empty() {
            return checker.fail(format!("{section}[{index}].{key}"), "must not be empty");
        }
        if seen.contains(&name) {
            return checker.fail(
                format!("{section}[{index}].{key}"),
                format!("`{name}` is used twice; names must be unique"),
            );
        }
        seen.push(name);
    }
    Ok(())
}

fn lookup(
    checker: &Checker,
    field: &str,
    name: &str,
    names: &[&str],
    what: &str,
) -> Result<usize, ScenarioError> {
    names
        .iter()
        .position(|candidate| *candidate == name)
        .map_or_else(
            || {
                checker.fail(
                    field,
                    format!(
                        "no {what} is named `{name}`; the {what}s are: {}",
                        names.join(", ")
                    ),
                )
            },
            Ok,
        )
}

/// Checks `scenario` and builds the market it describes, with accounts generated from `seed`.
pub fn build_market(
    scenario: &Scenario,
    origin: &Origin,
    seed: u64,
) -> Result<Market, ScenarioError> {
    let checker = Checker {
        origin,
        block_time_seconds: scenario.simulation.block_time_seconds,
    };
    let c = &checker;

    let simulation = &scenario.simulation;
    if simulation.max_blocks == 0 || simulation.max_blocks > 10_000_000 {
        return c.fail(
            "simulation.max_blocks",
            format!(
                "is {}; it must be between 1 and 10,000,000",
                simulation.max_blocks
            ),
        );
    }
    c.positive(
        "simulation.block_time_seconds",
        simulation.block_time_seconds,
    )?;
    let tolerance = c.positive("simulation.settle_tolerance", simulation.settle_tolerance)?;
    if tolerance >= 0.01 {
        return c.fail(
            "simulation.settle_tolerance",
            format!("is {tolerance}; it must be below 0.01 (1%)"),
        );
    }

    // Assets.
    if scenario.assets.is_empty() {
        return c.fail("assets", "at least one asset is needed");
    }
    unique(
        c,
        "assets",
        "symbol",
        scenario.assets.iter().map(|a| a.symbol.as_str()),
    )?;
    let symbols: Vec<&str> = scenario.assets.iter().map(|a| a.symbol.as_str()).collect();
    // Every path but the pegged ones first: a pegged path is built on its underlying's.
    let mut paths = Vec::with_capacity(scenario.assets.len());
    for (index, asset) in scenario.assets.iter().enumerate() {
        let field = |name: &str| format!("assets[{index}].{name}");
        if let Some(depth) = asset.external_depth_usd {
            c.positive(&field("external_depth_usd"), depth)?;
        }
        if asset.decimals > 36 {
            return c.fail(
                field("decimals"),
                format!("is {}; token decimals go up to 36", asset.decimals),
            );
        }
        paths.push(match &asset.price_path {
            Some(PricePathConfig::Pegged(_)) => None,
            _ => Some(build_path(c, index, asset)?),
        });
    }
    for (index, asset) in scenario.assets.iter().enumerate() {
        if let Some(PricePathConfig::Pegged(pegged)) = &asset.price_path {
            paths[index] = Some(build_pegged_path(
                c, index, asset, pegged, scenario, &paths,
            )?);
        }
    }
    let assets: Vec<AssetModel> = scenario
        .assets
        .iter()
        .zip(paths)
        .map(|(asset, path)| AssetModel {
            symbol: asset.symbol.clone(),
            path: path.expect("every path is built by one of the two loops above"),
            external_depth_usd: asset.external_depth_usd,
        })
        .collect();
    let initial_prices: Vec<f64> = assets
        .iter()
        .map(|asset| asset.path.initial_price())
        .collect();

    // Venues.
    unique(
        c,
        "venues",
        "name",
        scenario.venues.iter().map(|v| v.name.as_str()),
    )?;
    let mut venues = Vec::with_capacity(scenario.venues.len());
    for (index, venue) in scenario.venues.iter().enumerate() {
        let field = |name: &str| format!("venues[{index}].{name}");
        let asset = lookup(c, &field("asset"), &venue.asset, &symbols, "asset")?;
        let capital = c.non_negative(
            &field("arbitrage_capital_usd_per_block"),
            venue.arbitrage_capital_usd_per_block,
        )?;
        let price = initial_prices[asset];
        let built = build_venue(c, index, venue, price)?;
        venues.push(VenueModel {
            name: venue.name.clone(),
            asset: AssetId(asset as u16),
            initial: built,
            arbitrage_capital_usd_per_block: capital,
        });
    }
    let venue_names: Vec<&str> = scenario.venues.iter().map(|v| v.name.as_str()).collect();

    // Oracles.
    unique(
        c,
        "oracles",
        "name",
        scenario.oracles.iter().map(|o| o.name.as_str()),
    )?;
    let oracle_names: Vec<&str> = scenario.oracles.iter().map(|o| o.name.as_str()).collect();
    let mut oracles = Vec::with_capacity(scenario.oracles.len());
    for (index, oracle) in scenario.oracles.iter().enumerate() {
        let field = |name: &str| format!("oracles[{index}].{name}");
        let source = |source: &SourceConfig, name: &str| -> Result<PriceSource, ScenarioError> {
            Ok(match source {
                SourceConfig::Venue(venue) => PriceSource::Venue(VenueId(lookup(
                    c,
                    &field(name),
                    venue,
                    &venue_names,
                    "venue",
                )?
                    as u16)),
                SourceConfig::Reference(symbol) => PriceSource::Reference(AssetId(lookup(
                    c,
                    &field(name),
                    symbol,
                    &symbols,
                    "asset",
                )?
                    as u16)),
                SourceConfig::Oracle(other) => {
                    let position = lookup(c, &field(name), other, &oracle_names, "oracle")?;
                    if position >= index {
                        return c.fail(
                            field(name),
                            format!(
                                "oracle `{other}` must be listed before `{}` to be read by it",
                                oracle.name
                            ),
                        );
                    }
                    PriceSource::Oracle(OracleId(position as u16))
                }
                SourceConfig::Constant(price) => {
                    PriceSource::Constant(c.positive(&field(name), *price)?)
                }
            })
        };
        let single = || -> Result<PriceSource, ScenarioError> {
            match &oracle.source {
                Some(value) => source(value, "source"),
                None => c.fail(
                    field("source"),
                    format!("is required for kind `{}`", kind_name(oracle.kind)),
                ),
            }
        };
        let forbid = |present: bool, name: &str| -> Result<(), ScenarioError> {
            if present {
                c.fail(
                    field(name),
                    format!("does not apply to kind `{}`", kind_name(oracle.kind)),
                )
            } else {
                Ok(())
            }
        };
        if oracle.kind != OracleKindConfig::Median {
            forbid(oracle.sources.is_some(), "sources")?;
        }
        if oracle.kind != OracleKindConfig::Twap {
            forbid(oracle.window_blocks.is_some(), "window_blocks")?;
        }
        if oracle.kind != OracleKindConfig::Push {
            forbid(oracle.deviation.is_some(), "deviation")?;
            forbid(oracle.heartbeat_blocks.is_some(), "heartbeat_blocks")?;
        }
        if oracle.kind != OracleKindConfig::Osm {
            forbid(oracle.hop_seconds.is_some(), "hop_seconds")?;
        }
        let kind = match oracle.kind {
            OracleKindConfig::Spot => OracleKind::Spot { source: single()? },
            OracleKindConfig::Twap => {
                let window_blocks = oracle.window_blocks.unwrap_or(0);
                if window_blocks == 0 {
                    return c.fail(
                        field("window_blocks"),
                        "is required for a twap and must be at least 1",
                    );
                }
                OracleKind::Twap {
                    source: single()?,
                    window_blocks,
                }
            }
            OracleKindConfig::Median => {
                forbid(oracle.source.is_some(), "source")?;
                let list = oracle.sources.as_deref().unwrap_or(&[]);
                if list.is_empty() {
                    return c.fail(field("sources"), "a median needs at least one source");
                }
                let sources = list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| source(s, &format!("sources[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                OracleKind::Median { sources }
            }
            OracleKindConfig::Push => {
                let Some(deviation) = oracle.deviation else {
                    return c.fail(
                        field("deviation"),
                        "is required for a push oracle (e.g. 0.005 for 0.5%)",
                    );
                };
                let deviation = c.fraction(&field("deviation"), deviation, false)?;
                let heartbeat_blocks = oracle.heartbeat_blocks.unwrap_or(0);
                if heartbeat_blocks == 0 {
                    return c.fail(
                        field("heartbeat_blocks"),
                        "is required for a push oracle and must be at least 1",
                    );
                }
                OracleKind::Push {
                    source: single()?,
                    deviation,
                    heartbeat_blocks,
                }
            }
            OracleKindConfig::Osm => {
                let hop_seconds = oracle.hop_seconds.unwrap_or(3600);
                if hop_seconds == 0 {
                    return c.fail(
                        field("hop_seconds"),
                        "must be at least 1 (Maker's OSM waits 3600 seconds between pokes)",
                    );
                }
                let hop_blocks =
                    ((hop_seconds as f64 / simulation.block_time_seconds).round() as u64).max(1);
                OracleKind::Osm {
                    source: single()?,
                    hop_blocks,
                }
            }
        };
        oracles.push(OracleModel {
            name: oracle.name.clone(),
            kind,
            latency_blocks: oracle.latency_blocks,
        });
    }

    // Protocols.
    if scenario.protocols.is_empty()
        && scenario.perps.is_empty()
        && scenario.option_vaults.is_empty()
    {
        return c.fail(
            "protocols",
            "at least one protocol is needed (a [[protocols]], [[perps]] or [[option_vaults]] table)",
        );
    }
    // Names are unique across protocols, perp exchanges and options vaults: reports key on them.
    let mut seen: Vec<&str> = Vec::new();
    let named = scenario
        .protocols
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("protocols[{i}].name"), p.name.as_str()))
        .chain(
            scenario
                .perps
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("perps[{i}].name"), p.name.as_str())),
        )
        .chain(
            scenario
                .option_vaults
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("option_vaults[{i}].name"), v.name.as_str())),
        );
    for (field, name) in named {
        if name.is_empty() {
            return c.fail(field, "must not be empty");
        }
        if seen.contains(&name) {
            return c.fail(
                field,
                format!("`{name}` is used twice; protocol, perp and vault names must be unique"),
            );
        }
        seen.push(name);
    }
    let mut protocols = Vec::with_capacity(scenario.protocols.len());
    let mut borrowers = Vec::with_capacity(scenario.protocols.len());
    let mut cdps = Vec::new();
    for (index, protocol) in scenario.protocols.iter().enumerate() {
        let mut lending = build_protocol(
            c,
            index,
            protocol,
            &symbols,
            &oracle_names,
            &initial_prices,
            seed,
        )?;
        let field = |name: &str| format!("protocols[{index}].{name}");
        lending.setup = build_setup(c, &field(""), protocol)?;
        let borrower_model = match &protocol.borrowers {
            Some(config) => Some(build_borrowers(c, &field("borrowers."), config)?),
            None => None,
        };
        match &protocol.mechanism {
            MechanismConfig::DutchAuction(_) if borrower_model.is_some() => {
                return c.fail(
                    field("borrowers"),
                    "borrower behaviour applies to lending protocols, not `dutch_auction` vaults",
                );
            }
            MechanismConfig::DutchAuction(auction) => {
                let (model, debt_asset) =
                    build_auction(c, &field("mechanism."), auction, &lending, &symbols)?;
                cdps.push(CdpProtocol::from_lending(
                    &lending,
                    debt_asset,
                    &model,
                    &initial_prices,
                ));
            }
            _ => {
                protocols.push(lending);
                borrowers.push(borrower_model);
            }
        }
    }
    let mut perps = Vec::with_capacity(scenario.perps.len());
    for (index, perp) in scenario.perps.iter().enumerate() {
        perps.push(build_perp(
            c,
            index,
            perp,
            &symbols,
            &oracle_names,
            &initial_prices,
            seed,
        )?);
    }
    let mut option_vaults = Vec::with_capacity(scenario.option_vaults.len());
    for (index, vault) in scenario.option_vaults.iter().enumerate() {
        option_vaults.push(build_option_vault(
            c,
            index,
            vault,
            &symbols,
            &oracle_names,
            &initial_prices,
            seed,
        )?);
    }

    // Keepers.
    unique(
        c,
        "keepers",
        "name",
        scenario.keepers.iter().map(|k| k.name.as_str()),
    )?;
    let mut keepers = Vec::with_capacity(scenario.keepers.len());
    let mut keeper_behaviours = Vec::with_capacity(scenario.keepers.len());
    for (index, keeper) in scenario.keepers.iter().enumerate() {
        let field = |name: &str| format!("keepers[{index}].{name}");
        c.finite(&field("min_profit_usd"), keeper.min_profit_usd)?;
        if keeper.max_liquidations_per_block == 0 {
            return c.fail(field("max_liquidations_per_block"), "must be at least 1");
        }
        c.positive(
            &field("capital_usd_per_block"),
            keeper.capital_usd_per_block,
        )?;
        keeper_behaviours.push(build_keeper_behaviour(c, index, keeper)?);
        keepers.push(KeeperModel {
            name: keeper.name.clone(),
            min_profit_usd: keeper.min_profit_usd,
            max_liquidations_per_block: keeper.max_liquidations_per_block,
            capital_usd_per_block: keeper.capital_usd_per_block,
            max_gas_price_gwei: match keeper.max_gas_price_gwei {
                Some(cap) => Some(c.non_negative(&field("max_gas_price_gwei"), cap)?),
                None => None,
            },
        });
    }

    let attack = match &scenario.attack {
        Some(attack) => Some(build_attack(
            c,
            attack,
            &scenario.venues,
            simulation.max_blocks,
            &mut keepers,
        )?),
        None => None,
    };

    // Chain.
    let chain = &scenario.chain;
    c.non_negative("chain.gas_price_gwei", chain.gas_price_gwei)?;
    c.non_negative("chain.liquidation_gas", chain.liquidation_gas)?;
    let gas_token = match &chain.gas_token {
        Some(symbol) => Some(AssetId(
            lookup(c, "chain.gas_token", symbol, &symbols, "asset")? as u16,
        )),
        None => None,
    };
    let gas_token_price_usd = match (gas_token, chain.gas_token_price_usd) {
        (Some(_), Some(_)) => {
            return c.fail(
                "chain.gas_token_price_usd",
                "give either gas_token or gas_token_price_usd, not both",
            )
        }
        (Some(_), None) => 0.0,
        (None, Some(price)) => c.positive("chain.gas_token_price_usd", price)?,
        (None, None) => {
            return c.fail(
                "chain.gas_token",
                "name the asset gas is paid in, or give gas_token_price_usd",
            )
        }
    };

    // The chain's one gas price series: keepers and the block-space base fee both read it.
    let gas_price_series = match &chain.gas_price {
        Some(GasPriceConfig::Series {
            file,
            column,
            blocks_per_bar,
        }) => {
            let bars = load_replay(
                c,
                "chain.gas_price.blocks_per_bar",
                file,
                column,
                *blocks_per_bar,
            )?;
            Some(interpolate(&bars.prices, *blocks_per_bar, 1.0))
        }
        _ => None,
    };

    Ok(Market {
        assets,
        venues,
        oracles,
        protocols,
        cdps,
        perps,
        option_vaults,
        keepers,
        chain: ChainModel {
            block_time_seconds: simulation.block_time_seconds,
            gas_price_gwei: chain.gas_price_gwei,
            liquidation_gas: chain.liquidation_gas,
            gas_token,
            gas_token_price_usd,
            gas_price_series,
        },
        settings: EngineSettings {
            max_blocks: simulation.max_blocks,
            settle_tolerance: tolerance,
        },
        agents: AgentsModel {
            seed,
            path_index: 0,
            block_space: build_block_space(c, chain)?,
            keepers: keeper_behaviours,
            borrowers,
        },
        attack,
    })
}

/// The name the attacker's liquidations carry (no keeper of the scenario may use it).
pub const ATTACKER_KEEPER: &str = "attacker";

/// The attack, checked; its liquidation capital joins `keepers` as the keeper `attacker`.
fn build_attack(
    c: &Checker,
    attack: &AttackConfig,
    venues: &[VenueConfig],
    max_blocks: u64,
    keepers: &mut Vec<KeeperModel>,
) -> Result<AttackModel, ScenarioError> {
    let names: Vec<&str> = venues.iter().map(|v| v.name.as_str()).collect();
    let venue = lookup(c, "attack.venue", &attack.venue, &names, "venue")?;
    if attack.hold_blocks == 0 {
        return c.fail("attack.hold_blocks", "must be at least 1");
    }
    // The attacker buys back in block start_block + hold_blocks: the run must reach it.
    let close = attack.start_block.saturating_add(attack.hold_blocks);
    if close >= max_blocks {
        return c.fail(
            "attack.start_block",
            format!(
                "is {}: with hold_blocks = {} the attacker buys back in block {close}, but the run \
                 stops at simulation.max_blocks = {max_blocks}; start earlier, hold less or raise \
                 max_blocks",
                attack.start_block, attack.hold_blocks
            ),
        );
    }
    let push = c.fraction("attack.push", attack.push, false)?;
    if push == 0.0 {
        return c.fail(
            "attack.push",
            "is 0: the attacker would not move the venue; give the discount to reach, e.g. 0.3",
        );
    }
    if keepers.iter().any(|k| k.name == ATTACKER_KEEPER) {
        return c.fail(
            "keepers",
            format!(
                "a keeper is named `{ATTACKER_KEEPER}`, the name the attack's liquidations use; \
                 rename it"
            ),
        );
    }
    keepers.push(KeeperModel {
        name: ATTACKER_KEEPER.to_string(),
        min_profit_usd: 0.0,
        max_liquidations_per_block: u32::MAX,
        capital_usd_per_block: c.positive(
            "attack.liquidation_capital_usd_per_block",
            attack.liquidation_capital_usd_per_block,
        )?,
        max_gas_price_gwei: None,
    });
    Ok(AttackModel {
        venue: VenueId(venue as u16),
        keeper: keepers.len() - 1,
        start_block: attack.start_block,
        hold_blocks: attack.hold_blocks,
        push,
        capital_usd: c.positive("attack.capital_usd", attack.capital_usd)?,
        borrow_fee: c.fraction("attack.borrow_fee", attack.borrow_fee, false)?,
    })
}

fn kind_name(kind: OracleKindConfig) -> &'static str {
    match kind {
        OracleKindConfig::Spot => "spot",
        OracleKindConfig::Twap => "twap",
        OracleKindConfig::Median => "median",
        OracleKindConfig::Push => "push",
        OracleKindConfig::Osm => "osm",
    }
}

fn build_path(
    c: &Checker,
    index: usize,
    asset: &AssetConfig,
) -> Result<ReferencePath, ScenarioError> {
    let field = |name: &str| format!("assets[{index}].{name}");
    let path_field = |name: &str| format!("assets[{index}].price_path.{name}");
    let required_price = || -> Result<f64, ScenarioError> {
        match asset.initial_price {
            Some(price) => c.positive(&field("initial_price"), price),
            None => c.fail(
                field("initial_price"),
                "is required (the asset's USD price at block 0)",
            ),
        }
    };
    let path = asset
        .price_path
        .clone()
        .unwrap_or(PricePathConfig::Constant);
    Ok(match path {
        PricePathConfig::Constant => ReferencePath::Constant {
            initial_price: required_price()?,
        },
        PricePathConfig::Shock { at_block, drop } => {
            let drop = c.fraction(&path_field("drop"), drop, false)?;
            ReferencePath::Shock {
                initial_price: required_price()?,
                at_block,
                drop,
            }
        }
        PricePathConfig::LinearCrash {
            start_block,
            duration_blocks,
            drop,
        } => {
            let drop = c.fraction(&path_field("drop"), drop, false)?;
            ReferencePath::LinearCrash {
                initial_price: required_price()?,
                start_block,
                duration_blocks,
                drop,
            }
        }
        PricePathConfig::ExponentialCrash {
            start_block,
            duration_blocks,
            drop,
        } => {
            let drop = c.fraction(&path_field("drop"), drop, false)?;
            ReferencePath::ExponentialCrash {
                initial_price: required_price()?,
                start_block,
                duration_blocks,
                drop,
            }
        }
        PricePathConfig::Replay {
            file,
            column,
            blocks_per_bar,
        } => {
            let series = load_replay(
                c,
                &path_field("blocks_per_bar"),
                &file,
                &column,
                blocks_per_bar,
            )?;
            let scale = match asset.initial_price {
                Some(price) => c.positive(&field("initial_price"), price)? / series.prices[0],
                None => 1.0,
            };
            ReferencePath::Series {
                prices: interpolate(&series.prices, blocks_per_bar, scale),
            }
        }
        PricePathConfig::Pegged(_) => {
            unreachable!("build_market builds pegged paths with build_pegged_path")
        }
    })
}

/// A `pegged` path: the underlying's path (already in `paths`) times the peg ratio.
fn build_pegged_path(
    c: &Checker,
    index: usize,
    asset: &AssetConfig,
    pegged: &PeggedPathConfig,
    scenario: &Scenario,
    paths: &[Option<ReferencePath>],
) -> Result<ReferencePath, ScenarioError> {
    let path_field = |name: &str| format!("assets[{index}].price_path.{name}");
    let symbols: Vec<&str> = scenario.assets.iter().map(|a| a.symbol.as_str()).collect();
    let underlying = lookup(
        c,
        &path_field("underlying"),
        &pegged.underlying,
        &symbols,
        "asset",
    )?;
    if underlying == index {
        return c.fail(
            path_field("underlying"),
            format!(
                "`{}` is this asset itself; name the asset the token tracks (e.g. ETH for stETH)",
                pegged.underlying
            ),
        );
    }
    let underlying_pegged = matches!(
        scenario.assets[underlying].price_path,
        Some(PricePathConfig::Pegged(_))
    );
    let (false, Some(underlying_path)) = (underlying_pegged, &paths[underlying]) else {
        return c.fail(
            path_field("underlying"),
            format!(
                "`{}` (assets[{underlying}]) is itself pegged; the underlying needs a path of \
                 another kind (constant, shock, linear_crash, exponential_crash, replay)",
                pegged.underlying
            ),
        );
    };
    let depeg_size = c.fraction(&path_field("depeg_size"), pegged.depeg_size, false)?;
    if pegged.recovery_blocks == Some(0) {
        return c.fail(
            path_field("recovery_blocks"),
            "is 0; it must be at least 1 (leave it out for a de-peg that does not recover)",
        );
    }
    let start_ratio = match asset.initial_price {
        Some(price) => {
            c.positive(&format!("assets[{index}].initial_price"), price)?
                / underlying_path.initial_price()
        }
        None => 1.0,
    };
    Ok(ReferencePath::Pegged {
        underlying: Box::new(underlying_path.clone()),
        ratio: PegRatio {
            start_ratio,
            at_block: pegged.at_block,
            duration_blocks: pegged.duration_blocks,
            depeg_size,
            recovery_blocks: pegged.recovery_blocks,
        },
    })
}

/// A replayed CSV's bars (a price path or the gas price), after checking `blocks_per_bar` (whose
/// field path `blocks_field` names).
fn load_replay(
    c: &Checker,
    blocks_field: &str,
    file: &str,
    column: &str,
    blocks_per_bar: u64,
) -> Result<data::PriceSeries, ScenarioError> {
    if blocks_per_bar == 0 {
        return c.fail(
            blocks_field,
            "is 0; it must be at least 1 (50: 10-minute bars of 12 s blocks)",
        );
    }
    let series = data::load_price_series(&c.path(file), column)?;
    // The replay must keep the file's clock: `blocks_per_bar` blocks are one bar.
    let interval = series.interval_seconds as f64;
    let block = c.block_time_seconds;
    let spanned = blocks_per_bar as f64 * block;
    if interval > 0.0 && (spanned - interval).abs() > 1e-9 * interval {
        let right = interval / block;
        let fix = if right >= 1.0 && right.fract() == 0.0 {
            format!("use blocks_per_bar = {right}")
        } else {
            format!("choose a simulation.block_time_seconds that divides {interval} s")
        };
        return c.fail(
            blocks_field,
            format!(
                "is {blocks_per_bar}: {blocks_per_bar} blocks of {block} s span {spanned} s, but the \
                 bars of {file} are {interval} s apart, so the replay would run at the wrong speed; \
                 {fix}"
            ),
        );
    }
    Ok(series)
}

/// One price per block from one price per bar: linear between bars, `blocks_per_bar` blocks a bar.
pub fn interpolate(bars: &[f64], blocks_per_bar: u64, scale: f64) -> Vec<f64> {
    let mut prices = Vec::with_capacity((bars.len() - 1) * blocks_per_bar as usize + 1);
    for pair in bars.windows(2) {
        for step in 0..blocks_per_bar {
            let weight = step as f64 / blocks_per_bar as f64;
            prices.push((pair[0] + (pair[1] - pair[0]) * weight) * scale);
        }
    }
    prices.push(bars[bars.len() - 1] * scale);
    prices
}

fn build_venue(
    c: &Checker,
    index: usize,
    venue: &VenueConfig,
    price: f64,
) -> Result<Venue, ScenarioError> {
    let field = |name: &str| format!("venues[{index}].{name}");
    let kind = match venue.kind {
        VenueKind::ConstantProduct => "constant_product",
        VenueKind::OrderBook => "order_book",
        VenueKind::UniswapV3 => "uniswap-v3",
    };
    let forbid = |present: bool, name: &str| -> Result<(), ScenarioError> {
        if present {
            c.fail(field(name), format!("does not apply to kind `{kind}`"))
        } else {
            Ok(())
        }
    };
    if venue.kind != VenueKind::OrderBook && venue.depth_dynamics.is_some() {
        return c.fail(
            field("depth_dynamics"),
            format!("applies to order_book venues only, not to kind `{kind}`"),
        );
    }
    if venue.kind != VenueKind::UniswapV3 {
        forbid(venue.tick_spacing.is_some(), "tick_spacing")?;
        forbid(venue.positions.is_some(), "positions")?;
        forbid(venue.bands.is_some(), "bands")?;
    }
    match venue.kind {
        VenueKind::ConstantProduct => {
            forbid(venue.taker_fee_bps.is_some(), "taker_fee_bps")?;
            forbid(venue.depth.is_some(), "depth")?;
            forbid(venue.levels_file.is_some(), "levels_file")?;
            let Some(liquidity) = venue.liquidity_usd else {
                return c.fail(
                    field("liquidity_usd"),
                    "is required for a constant_product venue (USD in the pool)",
                );
            };
            let liquidity = c.finite(&field("liquidity_usd"), liquidity)?;
            if liquidity <= 0.0 {
                return c.fail(
                    field("liquidity_usd"),
                    format!(
                        "is {liquidity}: the venue is empty; a pool needs liquidity above zero"
                    ),
                );
            }
            let fee_bps = pool_fee_bps(c, &field("fee_bps"), venue.fee_bps)?;
            Ok(Venue::ConstantProduct(ConstantProductPool::with_liquidity(
                price,
                liquidity,
                fee_bps / 10_000.0,
            )))
        }
        VenueKind::OrderBook => {
            forbid(venue.liquidity_usd.is_some(), "liquidity_usd")?;
            forbid(venue.fee_bps.is_some(), "fee_bps")?;
            let taker_fee_bps =
                c.non_negative(&field("taker_fee_bps"), venue.taker_fee_bps.unwrap_or(0.0))?;
            if taker_fee_bps >= 10_000.0 {
                return c.fail(
                    field("taker_fee_bps"),
                    format!("is {taker_fee_bps}; must be below 10,000"),
                );
            }
            let (mid, bids, asks) = match (&venue.depth, &venue.levels_file) {
                (Some(depth), None) => {
                    let depth_usd =
                        c.finite(&field("depth.depth_2pct_usd"), depth.depth_2pct_usd)?;
                    if depth_usd <= 0.0 {
                        return c.fail(
                            field("depth.depth_2pct_usd"),
                            format!("is {depth_usd}: the venue is empty; depth must be above zero"),
                        );
                    }
                    let spacing = c
                        .positive(&field("depth.level_spacing_bps"), depth.level_spacing_bps)?
                        / 10_000.0;
                    if spacing >= 1.0 {
                        return c.fail(
                            field("depth.level_spacing_bps"),
                            "must be below 10,000 (100%)",
                        );
                    }
                    if depth.levels == 0 {
                        return c.fail(
                            field("depth.levels"),
                            "must be at least 1: the venue is empty",
                        );
                    }
                    let exponent = c.positive(&field("depth.exponent"), depth.exponent)?;
                    let ladder = DepthLadder::from_curve(
                        price,
                        depth_usd,
                        spacing,
                        depth.levels as usize,
                        exponent,
                    )
                    .map_or_else(
                        || c.fail(field("depth"), "gives no level below 100% of the mid"),
                        Ok,
                    )?;
                    (price, ladder.clone(), ladder)
                }
                (None, Some(file)) => {
                    let path = c.path(file);
                    let levels = data::load_order_book(&path)?;
                    let ladder = |levels: &[(f64, f64)]| {
                        DepthLadder::from_levels(levels).map_or_else(
                            || {
                                c.fail(
                                    field("levels_file"),
                                    format!("{}: the levels do not form a book", path.display()),
                                )
                            },
                            Ok,
                        )
                    };
                    // The book's shape is taken relative to its own mid and placed at the asset's price.
                    (price, ladder(&levels.bids)?, ladder(&levels.asks)?)
                }
                (Some(_), Some(_)) => {
                    return c.fail(field("depth"), "give either depth or levels_file, not both")
                }
                (None, None) => {
                    return c.fail(
                        field("depth"),
                        "an order_book needs depth (a curve) or levels_file (a CSV)",
                    )
                }
            };
            let book = OrderBook::new(mid, bids, asks, taker_fee_bps / 10_000.0);
            Ok(Venue::OrderBook(match &venue.depth_dynamics {
                Some(dynamics) => book.with_dynamics(depth_dynamics(c, &field, dynamics)?),
                None => book,
            }))
        }
        VenueKind::UniswapV3 => {
            forbid(venue.liquidity_usd.is_some(), "liquidity_usd")?;
            forbid(venue.taker_fee_bps.is_some(), "taker_fee_bps")?;
            forbid(venue.depth.is_some(), "depth")?;
            forbid(venue.levels_file.is_some(), "levels_file")?;
            build_concentrated(c, &field, venue, price)
        }
    }
}

/// An order book's depth dynamics, checked.
fn depth_dynamics(
    c: &Checker,
    field: &dyn Fn(&str) -> String,
    config: &DepthDynamicsConfig,
) -> Result<DepthDynamics, ScenarioError> {
    let name = |key: &str| field(&format!("depth_dynamics.{key}"));
    let floor = c.positive(&name("floor"), config.floor)?;
    if floor > 1.0 {
        return c.fail(
            name("floor"),
            format!("is {floor}; it is a fraction of the nominal depth, above 0 and at most 1"),
        );
    }
    Ok(DepthDynamics {
        price_elasticity: c.non_negative(&name("price_elasticity"), config.price_elasticity)?,
        stress_sensitivity: c
            .non_negative(&name("stress_sensitivity"), config.stress_sensitivity)?,
        volatility_half_life_blocks: c.positive(
            &name("volatility_half_life_blocks"),
            config.volatility_half_life_blocks,
        )?,
        resilience_half_life_blocks: c.non_negative(
            &name("resilience_half_life_blocks"),
            config.resilience_half_life_blocks,
        )?,
        floor,
    })
}

/// A pool fee in basis points (default 30), below 100%.
fn pool_fee_bps(c: &Checker, field: &str, fee_bps: Option<f64>) -> Result<f64, ScenarioError> {
    let fee_bps = c.non_negative(field, fee_bps.unwrap_or(30.0))?;
    if fee_bps >= 10_000.0 {
        return c.fail(
            field,
            format!("is {fee_bps}; a fee in basis points must be below 10,000"),
        );
    }
    Ok(fee_bps)
}

/// The Uniswap v3 tiers: fee in basis points and tick spacing.
const UNISWAP_V3_TIERS: [(f64, u32); 4] = [(1.0, 1), (5.0, 10), (30.0, 60), (100.0, 200)];

/// A `uniswap-v3` venue: its fee and tick spacing, then its ranges from `positions` and `bands`,
/// each edge on a usable tick.
fn build_concentrated(
    c: &Checker,
    field: &dyn Fn(&str) -> String,
    venue: &VenueConfig,
    price: f64,
) -> Result<Venue, ScenarioError> {
    let fee_bps = pool_fee_bps(c, &field("fee_bps"), venue.fee_bps)?;
    let tick_spacing = match venue.tick_spacing {
        Some(spacing) if (1..=16_384).contains(&spacing) => spacing as i32,
        Some(spacing) => {
            return c.fail(
                field("tick_spacing"),
                format!("is {spacing}; a tick spacing is between 1 and 16384 (Uniswap v3 uses 1, 10, 60, 200)"),
            )
        }
        None => match UNISWAP_V3_TIERS.iter().find(|(fee, _)| *fee == fee_bps) {
            Some(&(_, spacing)) => spacing as i32,
            None => {
                return c.fail(
                    field("tick_spacing"),
                    format!(
                        "is required: fee_bps = {fee_bps} is not a Uniswap v3 tier (1, 5, 30 or 100 \
                         bps, whose spacings are 1, 10, 60, 200)"
                    ),
                )
            }
        },
    };
    let spacing_pct = (price_at_tick(tick_spacing) - 1.0) * 100.0;
    if venue.positions.is_none() && venue.bands.is_none() {
        return c.fail(
            field("positions"),
            "a uniswap-v3 venue needs positions (a list of ranges), bands (around the price), or both",
        );
    }
    let mut ranges = Vec::new();
    if let Some(positions) = &venue.positions {
        if positions.is_empty() {
            return c.fail(field("positions"), "list at least one position");
        }
        for (index, position) in positions.iter().enumerate() {
            let pfield = |name: &str| field(&format!("positions[{index}].{name}"));
            let lower = c.positive(&pfield("lower_price"), position.lower_price)?;
            let upper = c.positive(&pfield("upper_price"), position.upper_price)?;
            if upper <= lower {
                return c.fail(
                    pfield("upper_price"),
                    format!("is {upper}; it must be above lower_price ({lower})"),
                );
            }
            let value = c.positive(&pfield("liquidity_usd"), position.liquidity_usd)?;
            let (lower_tick, upper_tick) = (
                nearest_usable_tick(lower, tick_spacing),
                nearest_usable_tick(upper, tick_spacing),
            );
            if lower_tick < MIN_TICK || upper_tick > MAX_TICK {
                return c.fail(
                    pfield("lower_price"),
                    "the range reaches beyond Uniswap v3's prices (1.0001^-887272 to 1.0001^887272)",
                );
            }
            if lower_tick == upper_tick {
                return c.fail(
                    pfield("upper_price"),
                    format!(
                        "{lower}..{upper} falls on a single usable tick; a range must span at least \
                         one tick spacing ({tick_spacing} ticks = {spacing_pct:.3}%)"
                    ),
                );
            }
            ranges.push(LiquidityRange::with_value(
                price_at_tick(lower_tick),
                price_at_tick(upper_tick),
                price,
                value,
            ));
        }
    }
    if let Some(bands) = &venue.bands {
        let bfield = |name: &str| field(&format!("bands.{name}"));
        if bands.count == 0 {
            return c.fail(bfield("count"), "must be at least 1: the venue is empty");
        }
        let width = c.positive(&bfield("width"), bands.width)?;
        if f64::from(bands.count) * width >= 1.0 {
            return c.fail(
                bfield("width"),
                format!(
                    "is {width}: {} bands of it reach zero below the price; count * width must \
                     stay below 1",
                    bands.count
                ),
            );
        }
        let value = c.positive(&bfield("liquidity_usd"), bands.liquidity_usd)?;
        let decay = c.positive(&bfield("decay"), bands.decay)?;
        match symmetric_bands(price, bands.count, width, decay, value, Some(tick_spacing)) {
            Some(band_ranges) => ranges.extend(band_ranges),
            None => {
                return c.fail(
                    bfield("width"),
                    format!(
                        "is {width}: a band must span at least one tick spacing ({tick_spacing} \
                         ticks = {spacing_pct:.3}%)"
                    ),
                )
            }
        }
    }
    match ConcentratedLiquidityPool::new(price, &ranges, fee_bps / 10_000.0) {
        Some(pool) => Ok(Venue::Concentrated(pool)),
        None => c.fail(field("positions"), "the ranges do not form a pool"),
    }
}

fn build_protocol(
    c: &Checker,
    index: usize,
    protocol: &ProtocolConfig,
    symbols: &[&str],
    oracle_names: &[&str],
    initial_prices: &[f64],
    seed: u64,
) -> Result<LendingProtocol, ScenarioError> {
    let field = |name: &str| format!("protocols[{index}].{name}");
    let n_assets = symbols.len();
    let mut risk_params: Vec<Option<RiskParams>> = vec![None; n_assets];
    let mut oracle_of_asset: Vec<Option<OracleId>> = vec![None; n_assets];
    if protocol.markets.is_empty() {
        return c.fail(field("markets"), "list at least one asset");
    }
    for (market_index, market) in protocol.markets.iter().enumerate() {
        let mfield = |name: &str| field(&format!("markets[{market_index}].{name}"));
        let asset = lookup(c, &mfield("asset"), &market.asset, symbols, "asset")?;
        if oracle_of_asset[asset].is_some() {
            return c.fail(
                mfield("asset"),
                format!("`{}` is listed twice in this protocol", market.asset),
            );
        }
        let oracle = lookup(c, &mfield("oracle"), &market.oracle, oracle_names, "oracle")?;
        oracle_of_asset[asset] = Some(OracleId(oracle as u16));
        if let Some(params) = &market.collateral {
            let ltv = c.fraction(&mfield("collateral.ltv"), params.ltv, false)?;
            let threshold = c.fraction(
                &mfield("collateral.liquidation_threshold"),
                params.liquidation_threshold,
                false,
            )?;
            let bonus = c.fraction(
                &mfield("collateral.liquidation_bonus"),
                params.liquidation_bonus,
                false,
            )?;
            let fee = c.fraction(
                &mfield("collateral.protocol_fee"),
                params.protocol_fee,
                true,
            )?;
            if ltv <= 0.0 || ltv > threshold {
                return c.fail(mfield("collateral.ltv"), format!("is {ltv}; it must be above 0 and at most the liquidation threshold ({threshold})"));
            }
            if threshold * (1.0 + bonus) >= 1.0 {
                return c.fail(
                    mfield("collateral.liquidation_bonus"),
                    format!("liquidation_threshold * (1 + liquidation_bonus) = {} must be below 1 (as Aave requires), or a liquidation at HF 1 would seize more than the collateral", threshold * (1.0 + bonus)),
                );
            }
            risk_params[asset] = Some(RiskParams {
                ltv,
                liquidation_threshold: threshold,
                liquidation_bonus: bonus,
                protocol_fee: fee,
            });
        }
    }
    if risk_params.iter().all(Option::is_none) {
        return c.fail(
            field("markets"),
            "no market has collateral parameters: nothing could ever be liquidated",
        );
    }
    let rules = match protocol.rules {
        RulesConfig::AaveV30 => AaveRules::V3_0,
        RulesConfig::AaveV33 => AaveRules::V3_3,
    };
    let mut lending = LendingProtocol::new(
        protocol.name.clone(),
        rules,
        risk_params.clone(),
        oracle_of_asset.clone(),
    );
    lending.close_in_full = protocol.close_factor == CloseFactorConfig::Full;
    match &protocol.accounts {
        AccountsConfig::Synthetic(generator) => {
            let model =
                generator_model(c, index, generator, symbols, &risk_params, &oracle_of_asset)?;
            generate_accounts(&mut lending, &model, initial_prices, seed);
        }
        AccountsConfig::File { path } => {
            let file = c.path(path);
            let accounts = data::load_accounts(&file)?;
            let mut collateral = vec![0.0; n_assets];
            let mut debt = vec![0.0; n_assets];
            for account in accounts {
                collateral.fill(0.0);
                debt.fill(0.0);
                for (symbol, amount, owed, line) in &account.balances {
                    let data_error = |message: String| ScenarioError::Data {
                        file: file.clone(),
                        line: *line,
                        message,
                    };
                    let Some(asset) = symbols.iter().position(|s| s == symbol) else {
                        return Err(data_error(format!(
                            "asset `{symbol}` is not one of the scenario's assets ({})",
                            symbols.join(", ")
                        )));
                    };
                    if oracle_of_asset[asset].is_none() {
                        return Err(data_error(format!(
                            "asset `{symbol}` is not listed in protocol `{}`",
                            protocol.name
                        )));
                    }
                    if *amount > 0.0 && risk_params[asset].is_none() {
                        return Err(data_error(format!("asset `{symbol}` is not collateral in protocol `{}`; its collateral must be 0", protocol.name)));
                    }
                    collateral[asset] += amount;
                    debt[asset] += owed;
                }
                lending.add_account(account.label, &collateral, &debt);
            }
        }
    }
    Ok(lending)
}

fn generator_model(
    c: &Checker,
    index: usize,
    generator: &GeneratorConfig,
    symbols: &[&str],
    risk_params: &[Option<RiskParams>],
    oracle_of_asset: &[Option<OracleId>],
) -> Result<GeneratorModel, ScenarioError> {
    let field = |name: &str| format!("protocols[{index}].accounts.{name}");
    if generator.n_accounts == 0 || generator.n_accounts > 50_000_000 {
        return c.fail(
            field("n_accounts"),
            format!(
                "is {}; it must be between 1 and 50,000,000",
                generator.n_accounts
            ),
        );
    }
    if generator.collateral.is_empty() {
        return c.fail(field("collateral"), "list at least one collateral asset");
    }
    if generator.debt.is_empty() {
        return c.fail(field("debt"), "list at least one debt asset");
    }
    let mut collateral = Vec::new();
    for (i, choice) in generator.collateral.iter().enumerate() {
        let f = field(&format!("collateral[{i}]"));
        let asset = lookup(c, &format!("{f}.asset"), &choice.asset, symbols, "asset")?;
        if risk_params[asset].is_none() {
            return c.fail(
                format!("{f}.asset"),
                format!(
                    "`{}` has no collateral parameters in this protocol's markets",
                    choice.asset
                ),
            );
        }
        collateral.push(CollateralChoice {
            asset: AssetId(asset as u16),
            weight: c.positive(&format!("{f}.weight"), choice.weight)?,
            round_price_step: c
                .non_negative(&format!("{f}.round_price_step"), choice.round_price_step)?,
        });
    }
    let mut debt = Vec::new();
    for (i, choice) in generator.debt.iter().enumerate() {
        let f = field(&format!("debt[{i}]"));
        let asset = lookup(c, &format!("{f}.asset"), &choice.asset, symbols, "asset")?;
        if oracle_of_asset[asset].is_none() {
            return c.fail(
                format!("{f}.asset"),
                format!(
                    "`{}` is not listed in this protocol's markets",
                    choice.asset
                ),
            );
        }
        debt.push(DebtChoice {
            asset: AssetId(asset as u16),
            weight: c.positive(&format!("{f}.weight"), choice.weight)?,
        });
    }
    let median = c.positive(
        &field("median_collateral_usd"),
        generator.median_collateral_usd,
    )?;
    let max = c.positive(&field("max_collateral_usd"), generator.max_collateral_usd)?;
    if max < median {
        return c.fail(
            field("max_collateral_usd"),
            format!("is {max}; it must be at least median_collateral_usd ({median})"),
        );
    }
    let health_factor_median = c.finite(
        &field("health_factor_median"),
        generator.health_factor_median,
    )?;
    if health_factor_median <= 1.0 {
        return c.fail(
            field("health_factor_median"),
            format!("is {health_factor_median}; borrowers open above 1, so it must be above 1"),
        );
    }
    Ok(GeneratorModel {
        n_accounts: generator.n_accounts,
        collateral,
        debt,
        multi_collateral_share: c.fraction(
            &field("multi_collateral_share"),
            generator.multi_collateral_share,
            true,
        )?,
        multi_debt_share: c.fraction(
            &field("multi_debt_share"),
            generator.multi_debt_share,
            true,
        )?,
        median_collateral_usd: median,
        collateral_usd_sigma: c.non_negative(
            &field("collateral_usd_sigma"),
            generator.collateral_usd_sigma,
        )?,
        max_collateral_usd: max,
        health_factor_median,
        health_factor_sigma: c
            .non_negative(&field("health_factor_sigma"), generator.health_factor_sigma)?,
        round_number_share: c.fraction(
            &field("round_number_share"),
            generator.round_number_share,
            true,
        )?,
    })
}

/// Fields a scenario no longer has, and what to write instead (added to the parser's "unknown
/// field" message).
const REPLACED_FIELDS: &[(&str, &str)] = &[(
    "gas_price_series",
    "`[chain] gas_price_series` is now `gas_price = { kind = \"series\", file = \"...\", \
     column = \"p60_gwei\", blocks_per_bar = 50 }` (one gas price series, linear between bars, \
     read by keepers and by the block-space base fee)",
)];

/// Parses scenario text. `file` names it in messages.
pub fn parse_scenario(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    toml::from_str(text).map_err(|error| {
        let mut message = error.to_string().trim_end().to_string();
        for (field, instead) in REPLACED_FIELDS {
            if message.contains(&format!("unknown field `{field}`")) {
                message.push_str(&format!("\n{instead}"));
            }
        }
        ScenarioError::Parse {
            file: file.to_path_buf(),
            message,
        }
    })
}

/// Reads and parses a scenario file.
pub fn read_scenario(file: &Path) -> Result<(Scenario, Origin), ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|reason| ScenarioError::Read {
        file: file.to_path_buf(),
        reason,
    })?;
    let scenario = parse_scenario(&text, file)?;
    let base_dir = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok((
        scenario,
        Origin {
            file: file.to_path_buf(),
            base_dir,
        },
    ))
}

/// A lending protocol's mechanism, pools and breakers. `prefix` is the protocol's field path with
/// a trailing dot (`protocols[0].`).
fn build_setup(
    c: &Checker,
    prefix: &str,
    protocol: &ProtocolConfig,
) -> Result<LendingSetup, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let mechanism = match &protocol.mechanism {
        MechanismConfig::FixedSpread | MechanismConfig::DutchAuction(_) => {
            LendingMechanism::FixedSpread
        }
        MechanismConfig::Morpho => LendingMechanism::Morpho,
        MechanismConfig::Euler {
            max_discount,
            cool_off_seconds,
        } => {
            let max_discount = c.fraction(&f("mechanism.max_discount"), *max_discount, false)?;
            if max_discount <= 0.0 {
                return c.fail(
                    f("mechanism.max_discount"),
                    "must be above 0: with no discount no liquidator would ever act (Euler uses 0.15 to 0.2)",
                );
            }
            LendingMechanism::Euler {
                max_discount,
                cool_off_seconds: *cool_off_seconds,
            }
        }
        MechanismConfig::CompoundAbsorb {
            store_front_price_factor,
            initial_reserves_usd,
            target_reserves_usd,
            max_sale_usd_per_block,
        } => LendingMechanism::CompoundAbsorb {
            store_front_price_factor: c.fraction(
                &f("mechanism.store_front_price_factor"),
                *store_front_price_factor,
                true,
            )?,
            initial_reserves_usd: c
                .non_negative(&f("mechanism.initial_reserves_usd"), *initial_reserves_usd)?,
            target_reserves_usd: c
                .non_negative(&f("mechanism.target_reserves_usd"), *target_reserves_usd)?,
            max_sale_usd_per_block: c.positive(
                &f("mechanism.max_sale_usd_per_block"),
                *max_sale_usd_per_block,
            )?,
        },
    };
    let chunks = match &protocol.chunks {
        Some(chunks) => Some(build_chunks(c, &f("chunks."), chunks)?),
        None => None,
    };
    let insurance_fund = match &protocol.insurance_fund {
        Some(fund) => Some(InsuranceFundModel {
            initial_usd: c.non_negative(&f("insurance_fund.initial_usd"), fund.initial_usd)?,
        }),
        None => None,
    };
    let backstop = match &protocol.backstop {
        Some(backstop) => Some(build_backstop(c, &f("backstop."), backstop, 1.0, 10.0)?),
        None => None,
    };
    let protocol_owned_liquidity = match &protocol.protocol_owned_liquidity {
        Some(pol) => Some(build_pol(c, &f("protocol_owned_liquidity."), pol)?),
        None => None,
    };
    let breakers = match &protocol.breakers {
        Some(breakers) => build_breakers(c, &f("breakers."), breakers)?,
        None => BreakerModels::default(),
    };
    if matches!(protocol.mechanism, MechanismConfig::CompoundAbsorb { .. }) && backstop.is_some() {
        return c.fail(
            f("backstop"),
            "does not combine with compound_absorb: the protocol itself absorbs every liquidatable account",
        );
    }
    if matches!(protocol.mechanism, MechanismConfig::DutchAuction(_))
        && (chunks.is_some() || insurance_fund.is_some() || backstop.is_some())
    {
        return c.fail(
            f("mechanism"),
            "dutch_auction vaults take breakers and protocol_owned_liquidity, not chunks, insurance_fund or backstop (Hole/hole limit the auctions instead)",
        );
    }
    Ok(LendingSetup {
        mechanism,
        chunks,
        insurance_fund,
        backstop,
        protocol_owned_liquidity,
        breakers,
    })
}

fn build_chunks(
    c: &Checker,
    prefix: &str,
    chunks: &ChunksConfig,
) -> Result<PartialLiquidationConfig, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let slice = c.finite(&f("slice_fraction"), chunks.slice_fraction)?;
    if !(slice > 0.0 && slice <= 1.0) {
        return c.fail(
            f("slice_fraction"),
            format!(
                "is {slice}; a chunk is a fraction of the position in (0, 1] (0.2 = 20% per chunk): \
                 above 1 it would liquidate more than the position, at 0 nothing"
            ),
        );
    }
    Ok(PartialLiquidationConfig {
        threshold_notional: c.non_negative(&f("threshold_usd"), chunks.threshold_usd)?,
        slice_fraction: slice,
        cooldown: chunks.cooldown_seconds,
        rule: match chunks.rule {
            CooldownRuleConfig::Wait => CooldownRule::WaitForCooldown,
            CooldownRuleConfig::FullDuringCooldown => CooldownRule::FullDuringCooldown,
        },
    })
}

fn build_backstop(
    c: &Checker,
    prefix: &str,
    backstop: &BackstopConfig,
    default_trigger: f64,
    max_trigger: f64,
) -> Result<BackstopModel, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let trigger = backstop.trigger.unwrap_or(default_trigger);
    let trigger = c.positive(&f("trigger"), trigger)?;
    if trigger > max_trigger {
        return c.fail(
            f("trigger"),
            format!("is {trigger}; it must be at most {max_trigger}"),
        );
    }
    Ok(BackstopModel {
        capital_usd: c.positive(&f("capital_usd"), backstop.capital_usd)?,
        max_unwind_usd_per_block: c.positive(
            &f("max_unwind_usd_per_block"),
            backstop.max_unwind_usd_per_block,
        )?,
        trigger,
    })
}

fn build_pol(c: &Checker, prefix: &str, pol: &PolConfig) -> Result<PolModel, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    Ok(PolModel {
        budget_usd: c.positive(&f("budget_usd"), pol.budget_usd)?,
        discount: c.fraction(&f("discount"), pol.discount, false)?,
    })
}

fn build_breakers(
    c: &Checker,
    prefix: &str,
    breakers: &BreakersConfig,
) -> Result<BreakerModels, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let rate_limit = match &breakers.rate_limit {
        Some(limit) => {
            let config = LiquidationCapacityConfig {
                maker_fee: c.fraction(&f("rate_limit.maker_fee"), limit.maker_fee, false)?,
                taker_fee: c.fraction(&f("rate_limit.taker_fee"), limit.taker_fee, false)?,
                skew_scale: c.positive(&f("rate_limit.skew_scale"), limit.skew_scale)?,
                limit_scalar: c
                    .positive(&f("rate_limit.limit_multiplier"), limit.limit_multiplier)?,
                window_seconds: limit.window_seconds,
                max_liquidation_pd: c.non_negative(
                    &f("rate_limit.max_liquidation_pd"),
                    limit.max_liquidation_pd,
                )?,
                endorsed_liquidator: None,
            };
            if limit.window_seconds == 0 {
                return c.fail(f("rate_limit.window_seconds"), "must be at least 1");
            }
            if config.max_liquidation_in_window() <= 0.0 {
                return c.fail(
                    f("rate_limit.taker_fee"),
                    "maker_fee + taker_fee is 0, so the window's capacity is 0; Synthetix then lifts the limit, which is the same as no rate_limit",
                );
            }
            Some(config)
        }
        None => None,
    };
    let grace_period = match &breakers.grace_period {
        Some(grace) => {
            let jump = match grace.jump_threshold {
                Some(jump) => c.positive(&f("grace_period.jump_threshold"), jump)?,
                None => f64::INFINITY,
            };
            let outage = match grace.outage_blocks {
                Some([start, end]) if end <= start => {
                    return c.fail(
                        f("grace_period.outage_blocks"),
                        format!("is [{start}, {end}]; the end must be after the start"),
                    )
                }
                Some([start, end]) => Some((start, end)),
                None => None,
            };
            Some(GracePeriodModel {
                config: GracePeriodConfig {
                    duration: grace.duration_seconds,
                    jump_threshold: jump,
                },
                outage_blocks: outage,
            })
        }
        None => None,
    };
    let velocity_margin = match &breakers.velocity_margin {
        Some(v) => {
            let max = c.finite(&f("velocity_margin.max_multiplier"), v.max_multiplier)?;
            if max < 1.0 {
                return c.fail(
                    f("velocity_margin.max_multiplier"),
                    format!("is {max}; a multiplier of the margin requirement must be at least 1"),
                );
            }
            if v.window_seconds == 0 {
                return c.fail(f("velocity_margin.window_seconds"), "must be at least 1");
            }
            Some(VelocityMarginConfig {
                window_seconds: v.window_seconds,
                trigger_notional: c.positive(&f("velocity_margin.trigger_usd"), v.trigger_usd)?,
                step_up: c.non_negative(&f("velocity_margin.step_up"), v.step_up)?,
                max_multiplier: max,
            })
        }
        None => None,
    };
    let volatility_margin = match &breakers.volatility_margin {
        Some(v) => {
            let max = c.finite(&f("volatility_margin.max_multiplier"), v.max_multiplier)?;
            if max < 1.0 {
                return c.fail(
                    f("volatility_margin.max_multiplier"),
                    format!("is {max}; a multiplier of the margin requirement must be at least 1"),
                );
            }
            if v.window_blocks < 2 {
                return c.fail(
                    f("volatility_margin.window_blocks"),
                    "must be at least 2 (a volatility needs two returns)",
                );
            }
            Some(VolatilityMarginModel {
                reference_volatility: c.positive(
                    &f("volatility_margin.reference_volatility"),
                    v.reference_volatility,
                )?,
                max_multiplier: max,
                window_blocks: v.window_blocks,
            })
        }
        None => None,
    };
    let price_floor = match &breakers.price_floor {
        Some(floor) => {
            if floor.window_blocks < 2 {
                return c.fail(
                    f("price_floor.window_blocks"),
                    "must be at least 2 (a volatility needs two returns)",
                );
            }
            let fraction = c.fraction(
                &f("price_floor.floor_fraction"),
                floor.floor_fraction,
                false,
            )?;
            if fraction <= 0.0 {
                return c.fail(
                    f("price_floor.floor_fraction"),
                    "must be above 0 (0.9 = no liquidation more than 10% below the average)",
                );
            }
            Some(PriceFloorModel {
                config: VolatilityFloorConfig {
                    trigger_volatility: c.non_negative(
                        &f("price_floor.trigger_volatility"),
                        floor.trigger_volatility,
                    )?,
                    floor_fraction: fraction,
                },
                window_blocks: floor.window_blocks,
            })
        }
        None => None,
    };
    Ok(BreakerModels {
        rate_limit,
        grace_period,
        velocity_margin,
        volatility_margin,
        price_floor,
    })
}

fn build_curve(
    c: &Checker,
    prefix: &str,
    curve: &CurveConfig,
) -> Result<PriceCurve, ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let cut_in_range = |field: &str, cut: f64| -> Result<f64, ScenarioError> {
        let cut = c.finite(field, cut)?;
        if cut >= 1.0 {
            c.fail(
                field,
                format!(
                    "is {cut}; with a cut of 1 or more the price never decays and no auction would \
                     ever clear: it must be below 1 (0.99 = 1% lower per step)"
                ),
            )
        } else if cut <= 0.0 {
            c.fail(
                field,
                format!("is {cut}; it must be above 0 (at 0 the price drops to zero at once)"),
            )
        } else {
            Ok(cut)
        }
    };
    let curve = match curve {
        CurveConfig::Linear { tau_seconds } => {
            if *tau_seconds == 0 {
                return c.fail(
                    f("tau_seconds"),
                    "is 0: the price would be 0 from the first second and the curve would never \
                     decay from `top`; it must be at least 1 (e.g. 7200 for two hours to zero)",
                );
            }
            PriceCurve::LinearDecrease { tau: *tau_seconds }
        }
        CurveConfig::Stairstep { step_seconds, cut } => {
            if *step_seconds == 0 {
                return c.fail(f("step_seconds"), "must be at least 1 (Maker's ETH-A: 90)");
            }
            PriceCurve::StairstepExponentialDecrease {
                step: *step_seconds,
                cut: cut_in_range(&f("cut"), *cut)?,
            }
        }
        CurveConfig::Exponential { cut } => PriceCurve::ExponentialDecrease {
            cut: cut_in_range(&f("cut"), *cut)?,
        },
    };
    curve.validate().map_err(|message| ScenarioError::Invalid {
        file: c.origin.file.clone(),
        field: prefix.trim_end_matches('.').to_string(),
        message: message.to_string(),
    })?;
    Ok(curve)
}

/// The Dutch auction parameters of a lending book turned into vaults, and the asset vaults owe.
fn build_auction(
    c: &Checker,
    prefix: &str,
    auction: &DutchAuctionConfig,
    lending: &LendingProtocol,
    symbols: &[&str],
) -> Result<(DutchAuctionModel, AssetId), ScenarioError> {
    let f = |name: &str| format!("{prefix}{name}");
    let curve = build_curve(c, &f("curve."), &auction.curve)?;
    let buf = c.finite(&f("buf"), auction.buf)?;
    if buf <= 0.0 {
        return c.fail(
            f("buf"),
            format!(
                "is {buf}; the starting price is oracle * buf, so buf must be above 0 (Maker uses \
                 1.2: auctions start 20% above the oracle)"
            ),
        );
    }
    let cusp = c.fraction(&f("cusp"), auction.cusp, false)?;
    let chip = c.fraction(&f("chip"), auction.chip, false)?;
    let tip = c.non_negative(&f("tip_usd"), auction.tip_usd)?;
    if auction.tail_seconds == 0 {
        return c.fail(
            f("tail_seconds"),
            "must be at least 1 (Maker's ETH-A: 8400)",
        );
    }
    let chop = match auction.chop {
        Some(chop) => {
            let chop = c.finite(&f("chop"), chop)?;
            if chop < 1.0 {
                return c.fail(
                    f("chop"),
                    format!("is {chop}; the penalty multiplier is at least 1 (1.13 = 13%)"),
                );
            }
            Some(chop)
        }
        None => None,
    };
    let hole = match auction.hole_usd {
        Some(hole) => c.positive(&f("hole_usd"), hole)?,
        None => f64::INFINITY,
    };
    let global_hole = match auction.global_hole_usd {
        Some(hole) => c.positive(&f("global_hole_usd"), hole)?,
        None => f64::INFINITY,
    };
    let stopped = match auction.stopped {
        0 => StopLevel::Running,
        1 => StopLevel::NoKick,
        2 => StopLevel::NoRedo,
        3 => StopLevel::NoTake,
        level => {
            return c.fail(
                f("stopped"),
                format!("is {level}; Maker's circuit breaker levels are 0, 1, 2 and 3"),
            )
        }
    };
    let debt_asset = match &auction.debt_asset {
        Some(symbol) => {
            let asset = lookup(c, &f("debt_asset"), symbol, symbols, "asset")?;
            if lending.oracle_of_asset[asset].is_none() {
                return c.fail(
                    f("debt_asset"),
                    format!("`{symbol}` is not listed in this protocol's markets"),
                );
            }
            AssetId(asset as u16)
        }
        None => {
            let Some(asset) = (0..lending.n_assets).find(|&a| {
                lending.oracle_of_asset[a].is_some() && lending.risk_params[a].is_none()
            }) else {
                return c.fail(
                    f("debt_asset"),
                    "is required: every listed asset is collateral, so name the one vaults owe",
                );
            };
            AssetId(asset as u16)
        }
    };
    Ok((
        DutchAuctionModel {
            chop,
            hole,
            global_hole,
            dust: c.non_negative(&f("dust_usd"), auction.dust_usd)?,
            clipper: ClipperConfig {
                buf,
                tail: auction.tail_seconds,
                cusp,
                chip,
                tip,
                calc: curve,
            },
            stopped,
        },
        debt_asset,
    ))
}

fn build_perp(
    c: &Checker,
    index: usize,
    perp: &PerpConfig,
    symbols: &[&str],
    oracle_names: &[&str],
    initial_prices: &[f64],
    seed: u64,
) -> Result<PerpExchange, ScenarioError> {
    let prefix = format!("perps[{index}].");
    let f = |name: &str| format!("{prefix}{name}");
    if perp.markets.is_empty() {
        return c.fail(f("markets"), "list at least one market");
    }
    let mut markets = Vec::with_capacity(perp.markets.len());
    let mut marks = Vec::with_capacity(perp.markets.len());
    for (m, market) in perp.markets.iter().enumerate() {
        let mf = |name: &str| f(&format!("markets[{m}].{name}"));
        let asset = lookup(c, &mf("asset"), &market.asset, symbols, "asset")?;
        if markets
            .iter()
            .any(|existing: &PerpMarketModel| existing.asset.index() == asset)
        {
            return c.fail(
                mf("asset"),
                format!("`{}` has two markets on this exchange", market.asset),
            );
        }
        let oracle = lookup(c, &mf("oracle"), &market.oracle, oracle_names, "oracle")?;
        if market.tiers.is_empty() {
            return c.fail(mf("tiers"), "list at least one maintenance tier");
        }
        let mut brackets = Vec::with_capacity(market.tiers.len());
        for (t, tier) in market.tiers.iter().enumerate() {
            let tf = |name: &str| mf(&format!("tiers[{t}].{name}"));
            let cap = match tier.notional_cap_usd {
                Some(cap) => c.positive(&tf("notional_cap_usd"), cap)?,
                None if t + 1 == market.tiers.len() => f64::INFINITY,
                None => {
                    return c.fail(
                        tf("notional_cap_usd"),
                        "is required on every tier but the last",
                    )
                }
            };
            let rate = c.fraction(
                &tf("maintenance_margin_rate"),
                tier.maintenance_margin_rate,
                false,
            )?;
            let leverage = c.finite(&tf("max_leverage"), tier.max_leverage)?;
            if leverage < 1.0 {
                return c.fail(
                    tf("max_leverage"),
                    format!("is {leverage}; it must be at least 1"),
                );
            }
            if rate * leverage >= 1.0 {
                return c.fail(
                    tf("maintenance_margin_rate"),
                    format!(
                        "is {rate}; at the tier's max leverage {leverage} a position would open \
                         below its maintenance margin (rate * max_leverage must be below 1)"
                    ),
                );
            }
            brackets.push((cap, rate, leverage));
        }
        let tiers = MarginTiers::new(&brackets).map_err(|message| ScenarioError::Invalid {
            file: c.origin.file.clone(),
            field: mf("tiers"),
            message: message.to_string(),
        })?;
        markets.push(PerpMarketModel {
            asset: AssetId(asset as u16),
            oracle: OracleId(oracle as u16),
            tiers,
        });
        marks.push(initial_prices[asset]);
    }
    let funding = match &perp.funding {
        Some(funding) => {
            if funding.interval_seconds == 0 {
                return c.fail(
                    f("funding.interval_seconds"),
                    "must be at least 1 (8 hours: 28800)",
                );
            }
            Some(FundingModel {
                interval_seconds: funding.interval_seconds,
                interest_rate: c.finite(&f("funding.interest_rate"), funding.interest_rate)?,
                clamp: c.non_negative(&f("funding.clamp"), funding.clamp)?,
            })
        }
        None => None,
    };
    let mut exchange = PerpExchange {
        name: perp.name.clone(),
        markets,
        margin_mode: match perp.margin_mode {
            MarginModeConfig::Isolated => MarginMode::Isolated,
            MarginModeConfig::Cross => MarginMode::Cross,
        },
        liquidation_fee_rate: c.fraction(&f("liquidation_fee"), perp.liquidation_fee, false)?,
        insurance_fund_usd: c.non_negative(&f("insurance_fund_usd"), perp.insurance_fund_usd)?,
        adl: perp.adl,
        backstop: match &perp.backstop {
            Some(backstop) => Some(build_backstop(
                c,
                &f("backstop."),
                backstop,
                HYPERLIQUID_BACKSTOP_FRACTION,
                1.0,
            )?),
            None => None,
        },
        chunks: match &perp.chunks {
            Some(chunks) => Some(build_chunks(c, &f("chunks."), chunks)?),
            None => None,
        },
        funding,
        protocol_owned_liquidity: match &perp.protocol_owned_liquidity {
            Some(pol) => Some(build_pol(c, &f("protocol_owned_liquidity."), pol)?),
            None => None,
        },
        breakers: match &perp.breakers {
            Some(breakers) => build_breakers(c, &f("breakers."), breakers)?,
            None => BreakerModels::default(),
        },
        accounts: Vec::new(),
        labels: Vec::new(),
    };
    let a = &perp.accounts;
    let af = |name: &str| f(&format!("accounts.{name}"));
    if a.n_accounts == 0 || a.n_accounts > 10_000_000 {
        return c.fail(
            af("n_accounts"),
            format!("is {}; it must be between 1 and 10,000,000", a.n_accounts),
        );
    }
    let median = c.positive(&af("median_notional_usd"), a.median_notional_usd)?;
    let max = c.positive(&af("max_notional_usd"), a.max_notional_usd)?;
    if max < median {
        return c.fail(
            af("max_notional_usd"),
            format!("is {max}; it must be at least median_notional_usd ({median})"),
        );
    }
    let leverage_median = c.finite(&af("leverage_median"), a.leverage_median)?;
    if leverage_median < 1.0 {
        return c.fail(
            af("leverage_median"),
            format!("is {leverage_median}; leverage is at least 1"),
        );
    }
    let model = PerpGeneratorModel {
        n_accounts: a.n_accounts,
        long_share: c.fraction(&af("long_share"), a.long_share, true)?,
        median_notional_usd: median,
        notional_sigma: c.non_negative(&af("notional_sigma"), a.notional_sigma)?,
        max_notional_usd: max,
        leverage_median,
        leverage_sigma: c.non_negative(&af("leverage_sigma"), a.leverage_sigma)?,
        entry_spread: c.non_negative(&af("entry_spread"), a.entry_spread)?,
        multi_market_share: c.fraction(&af("multi_market_share"), a.multi_market_share, true)?,
    };
    generate_perp_accounts(&mut exchange, &model, &marks, seed);
    Ok(exchange)
}

fn build_option_vault(
    c: &Checker,
    index: usize,
    vault: &OptionVaultConfig,
    symbols: &[&str],
    oracle_names: &[&str],
    initial_prices: &[f64],
    seed: u64,
) -> Result<OptionVault, ScenarioError> {
    let prefix = format!("option_vaults[{index}].");
    let f = |name: &str| format!("{prefix}{name}");
    let asset = lookup(c, &f("asset"), &vault.asset, symbols, "asset")?;
    let oracle = lookup(c, &f("oracle"), &vault.oracle, oracle_names, "oracle")?;
    let spot = initial_prices[asset];
    let kind = |k: OptionKindConfig| match k {
        OptionKindConfig::Call => OptionKind::Call,
        OptionKindConfig::Put => OptionKind::Put,
    };
    let years = |days: f64| days / 365.25;
    let mut market_makers = Vec::with_capacity(vault.market_makers.len());
    for (m, maker) in vault.market_makers.iter().enumerate() {
        let mf = |name: &str| f(&format!("market_makers[{m}].{name}"));
        let mut holdings = Vec::with_capacity(maker.book.len());
        for (l, line) in maker.book.iter().enumerate() {
            let lf = |name: &str| mf(&format!("book[{l}].{name}"));
            holdings.push(OptionHolding {
                kind: kind(line.kind),
                strike: spot * c.positive(&lf("strike_fraction"), line.strike_fraction)?,
                expiry: years(c.positive(&lf("expiry_days"), line.expiry_days)?),
                volatility: c.positive(&lf("volatility"), line.volatility)?,
                quantity: c.finite(&lf("quantity"), line.quantity)?,
            });
        }
        if maker.rebalance_blocks == 0 {
            return c.fail(mf("rebalance_blocks"), "must be at least 1");
        }
        market_makers.push(MarketMakerModel {
            name: maker.name.clone(),
            holdings,
            rebalance_band: c.non_negative(&mf("rebalance_band"), maker.rebalance_band)?,
            rebalance_blocks: maker.rebalance_blocks,
            initial_hedge: None,
        });
    }
    let mut built = OptionVault {
        name: vault.name.clone(),
        asset: AssetId(asset as u16),
        oracle: OracleId(oracle as u16),
        rate: c.finite(&f("rate"), vault.rate)?,
        stress: OptionStress {
            spot_move: c.fraction(&f("stress.spot_move"), vault.stress.spot_move, false)?,
            vol_rise: c.non_negative(&f("stress.vol_rise"), vault.stress.vol_rise)?,
        },
        liquidation_penalty: c.fraction(
            &f("liquidation_penalty"),
            vault.liquidation_penalty,
            false,
        )?,
        writers: Vec::new(),
        market_makers,
        insurance_fund: match vault.insurance_fund_usd {
            Some(usd) => Some(InsuranceFundModel {
                initial_usd: c.non_negative(&f("insurance_fund_usd"), usd)?,
            }),
            None => None,
        },
    };
    let w = &vault.writers;
    let wf = |name: &str| f(&format!("writers.{name}"));
    if w.n_writers > 1_000_000 {
        return c.fail(wf("n_writers"), "must be at most 1,000,000");
    }
    let put_share = c.fraction(&wf("put_share"), w.put_share, true)?;
    if put_share > 0.0 && w.put_strikes.is_empty() {
        return c.fail(
            wf("put_strikes"),
            "list at least one strike (a fraction of the price)",
        );
    }
    if put_share < 1.0 && w.call_strikes.is_empty() {
        return c.fail(
            wf("call_strikes"),
            "list at least one strike (a fraction of the price)",
        );
    }
    for (i, strike) in w.put_strikes.iter().enumerate() {
        c.positive(&wf(&format!("put_strikes[{i}]")), *strike)?;
    }
    for (i, strike) in w.call_strikes.iter().enumerate() {
        c.positive(&wf(&format!("call_strikes[{i}]")), *strike)?;
    }
    let model = WriterGeneratorModel {
        n_writers: w.n_writers,
        put_share,
        put_strikes: w.put_strikes.clone(),
        call_strikes: w.call_strikes.clone(),
        expiry_years: years(c.positive(&wf("expiry_days"), w.expiry_days)?),
        volatility: c.positive(&wf("volatility"), w.volatility)?,
        median_notional_usd: c.positive(&wf("median_notional_usd"), w.median_notional_usd)?,
        notional_sigma: c.non_negative(&wf("notional_sigma"), w.notional_sigma)?,
        buffer_median: c.positive(&wf("buffer_median"), w.buffer_median)?,
        buffer_sigma: c.non_negative(&wf("buffer_sigma"), w.buffer_sigma)?,
    };
    generate_writers(&mut built, &model, spot, seed);
    Ok(built)
}

/// `[chain]`'s block space (docs/agents.md): `None` without `block_gas_limit`.
fn build_block_space(
    c: &Checker,
    chain: &ChainConfig,
) -> Result<Option<BlockSpaceModel>, ScenarioError> {
    let congestion = matches!(chain.gas_price, Some(GasPriceConfig::Congestion { .. }));
    let Some(limit) = chain.block_gas_limit else {
        for (name, set) in [
            ("gas_price", congestion),
            (
                "background_gas_fraction",
                chain.background_gas_fraction.is_some(),
            ),
            ("borrower_action_gas", chain.borrower_action_gas.is_some()),
            ("borrower_tip_gwei", chain.borrower_tip_gwei.is_some()),
        ] {
            if set {
                return c.fail(
                    format!("chain.{name}"),
                    "needs chain.block_gas_limit (block space is off without it)",
                );
            }
        }
        return Ok(None);
    };
    c.positive("chain.block_gas_limit", limit)?;
    let gas_price = match &chain.gas_price {
        // The chain's gas price (constant or its one series, `ChainModel::gas_price_gwei_at`).
        None | Some(GasPriceConfig::Constant) | Some(GasPriceConfig::Series { .. }) => {
            GasPriceModel::Exogenous
        }
        Some(GasPriceConfig::Congestion {
            target_fullness,
            max_change,
            min_gwei,
        }) => {
            let target_fullness = target_fullness.unwrap_or(0.5);
            if !(target_fullness > 0.0 && target_fullness <= 1.0) {
                return c.fail(
                    "chain.gas_price.target_fullness",
                    format!(
                        "is {target_fullness}; it must be above 0 and at most 1 (0.5: EIP-1559)"
                    ),
                );
            }
            GasPriceModel::Congestion {
                target_fullness,
                max_change: c.fraction(
                    "chain.gas_price.max_change",
                    max_change.unwrap_or(0.125),
                    true,
                )?,
                min_gwei: c.non_negative("chain.gas_price.min_gwei", min_gwei.unwrap_or(1.0))?,
            }
        }
    };
    let background = chain.background_gas_fraction.unwrap_or(0.5);
    Ok(Some(BlockSpaceModel {
        block_gas_limit: limit,
        gas_price,
        background_gas_fraction: c.fraction("chain.background_gas_fraction", background, false)?,
        borrower_action_gas: c.positive(
            "chain.borrower_action_gas",
            chain.borrower_action_gas.unwrap_or(250_000.0),
        )?,
        borrower_tip_gwei: c.non_negative(
            "chain.borrower_tip_gwei",
            chain.borrower_tip_gwei.unwrap_or(2.0),
        )?,
    }))
}

/// A keeper's behaviour (docs/agents.md).
fn build_keeper_behaviour(
    c: &Checker,
    index: usize,
    keeper: &KeeperConfig,
) -> Result<KeeperBehaviour, ScenarioError> {
    let field = |name: &str| format!("keepers[{index}].{name}");
    let default = KeeperBehaviour::default();
    let hold_given = keeper.hold_fraction.is_some() || keeper.hold_sell_per_block.is_some();
    let sale = match keeper.sale {
        None | Some(KeeperSaleConfig::Dump) => {
            if hold_given {
                return c.fail(field("hold_fraction"), "needs sale = \"hold_fraction\"");
            }
            KeeperSale::Dump
        }
        Some(KeeperSaleConfig::HoldFraction) => {
            let fraction = c.fraction(
                &field("hold_fraction"),
                keeper.hold_fraction.unwrap_or(0.5),
                true,
            )?;
            let sell = keeper.hold_sell_per_block.unwrap_or(0.1);
            if !(sell > 0.0 && sell <= 1.0) {
                return c.fail(
                    field("hold_sell_per_block"),
                    format!("is {sell}; it must be above 0 and at most 1 (0.1: a tenth of the stock per block)"),
                );
            }
            KeeperSale::HoldFraction {
                fraction,
                sell_per_block: sell,
            }
        }
    };
    Ok(KeeperBehaviour {
        latency_blocks: keeper.latency_blocks.unwrap_or(default.latency_blocks),
        gas_bid_share: c.fraction(
            &field("gas_bid_share"),
            keeper.gas_bid_share.unwrap_or(default.gas_bid_share),
            true,
        )?,
        sale,
        inventory_limit_usd: match keeper.inventory_limit_usd {
            Some(limit) => c.non_negative(&field("inventory_limit_usd"), limit)?,
            None => default.inventory_limit_usd,
        },
    })
}

/// A protocol's borrower behaviour (docs/agents.md); `prefix` ends with a dot.
fn build_borrowers(
    c: &Checker,
    prefix: &str,
    config: &BorrowersConfig,
) -> Result<BorrowerModel, ScenarioError> {
    let d = BorrowerModel::default();
    let field = |name: &str| format!("{prefix}{name}");
    let band = c.finite(&field("band"), config.band.unwrap_or(d.band))?;
    if band <= 1.0 {
        return c.fail(
            field("band"),
            format!("is {band}; it must be above 1 (1.1: act below HF 1.1)"),
        );
    }
    let target = c.finite(
        &field("target_health_factor"),
        config
            .target_health_factor
            .unwrap_or(d.target_health_factor),
    )?;
    if target <= 1.0 {
        return c.fail(
            field("target_health_factor"),
            format!("is {target}; it must be above 1"),
        );
    }
    let weights = [
        c.non_negative(
            &field("top_up_weight"),
            config.top_up_weight.unwrap_or(d.top_up_weight),
        )?,
        c.non_negative(
            &field("repay_weight"),
            config.repay_weight.unwrap_or(d.repay_weight),
        )?,
        c.non_negative(
            &field("panic_weight"),
            config.panic_weight.unwrap_or(d.panic_weight),
        )?,
    ];
    if weights.iter().sum::<f64>() <= 0.0 {
        return c.fail(
            field("top_up_weight"),
            "the three action weights sum to 0; give one a positive weight",
        );
    }
    let window = config
        .herding_window_blocks
        .unwrap_or(d.herding_window_blocks);
    if window == 0 {
        return c.fail(field("herding_window_blocks"), "must be at least 1");
    }
    Ok(BorrowerModel {
        band,
        base_probability: c.fraction(
            &field("base_probability"),
            config.base_probability.unwrap_or(d.base_probability),
            true,
        )?,
        price_drop_sensitivity: c.non_negative(
            &field("price_drop_sensitivity"),
            config
                .price_drop_sensitivity
                .unwrap_or(d.price_drop_sensitivity),
        )?,
        herding: c.non_negative(&field("herding"), config.herding.unwrap_or(d.herding))?,
        herding_window_blocks: window,
        herding_scale: c.positive(
            &field("herding_scale"),
            config.herding_scale.unwrap_or(d.herding_scale),
        )?,
        top_up_weight: weights[0],
        repay_weight: weights[1],
        panic_weight: weights[2],
        target_health_factor: target,
        disposition_effect: c.fraction(
            &field("disposition_effect"),
            config.disposition_effect.unwrap_or(d.disposition_effect),
            true,
        )?,
    })
}
