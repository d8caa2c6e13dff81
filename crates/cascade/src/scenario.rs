//! The scenario file: its schema (TOML, also printed as JSON Schema by `cascade schema`), its
//! validation, and how it becomes a [`Market`](cascade_core::engine::Market).
//!
//! Every table rejects unknown keys. Validation names the offending field by its path
//! (`assets[0].price_path.drop`) and says what would be right.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn default_block_time() -> f64 {
    12.0
}
fn default_max_blocks() -> u64 {
    3000
}
fn default_settle_tolerance() -> f64 {
    1e-6
}
fn default_seed() -> u64 {
    1
}
fn default_decimals() -> u32 {
    18
}
fn default_exponent() -> f64 {
    1.0
}
fn default_decay() -> f64 {
    1.0
}
fn default_close_column() -> String {
    "close".to_string()
}
fn default_blocks_per_bar() -> u64 {
    50
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub simulation: SimulationConfig,
    #[serde(default)]
    pub chain: ChainConfig,
    /// Assets, each with its exogenous price path. At least one.
    pub assets: Vec<AssetConfig>,
    /// Venues where collateral is sold and arbitrageurs trade.
    #[serde(default)]
    pub venues: Vec<VenueConfig>,
    /// Oracles, in evaluation order: an oracle may read only oracles listed before it.
    pub oracles: Vec<OracleConfig>,
    /// Lending protocols (and CDP protocols: a lending book under the `dutch_auction` mechanism).
    #[serde(default)]
    pub protocols: Vec<ProtocolConfig>,
    /// Perpetual futures exchanges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perps: Vec<PerpConfig>,
    /// Options vaults and their delta-hedging market makers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_vaults: Vec<OptionVaultConfig>,
    /// Liquidators.
    pub keepers: Vec<KeeperConfig>,
    /// An oracle manipulation attack on a thin venue (docs/microstructure.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackConfig>,
    /// Monte Carlo settings for `cascade stress` and `cascade sweep` (the assets' `process`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressConfig>,
    /// The grid `cascade sweep` uses when the command line gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepConfig>,
}

/// Default grid of `cascade sweep` (see `cascade sweep --help` for the axis syntax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Axes, each `NAME=VALUES`: e.g. `ETH.liquidation_threshold=0.78:0.88:0.02`.
    pub grid: Vec<String>,
    /// Paths per point when `--paths` is not given (default: `stress.paths`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<u64>,
}

fn default_stress_paths() -> u64 {
    1000
}
fn default_stress_blocks() -> u64 {
    500
}

/// How `cascade stress` draws its price paths: every asset with a `process` follows it; the others
/// stay at their initial price. Path `i` is a pure function of (`simulation.seed`, `i`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StressConfig {
    /// Paths to run when `--paths` is not given.
    #[serde(default = "default_stress_paths")]
    pub paths: u64,
    /// Blocks each drawn path lasts; afterwards prices stay at their last value while the run goes
    /// on to equilibrium (or `simulation.max_blocks`).
    #[serde(default = "default_stress_blocks")]
    pub blocks: u64,
    /// Correlations between the Gaussian shocks of two assets' processes (0 when not listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<CorrelationConfig>,
}

impl Default for StressConfig {
    /// What a scenario without a `[stress]` section stress-tests with.
    fn default() -> Self {
        StressConfig {
            paths: default_stress_paths(),
            blocks: default_stress_blocks(),
            correlations: Vec::new(),
        }
    }
}

impl Scenario {
    /// The scenario's `[stress]` section, or the defaults.
    pub fn stress_settings(&self) -> StressConfig {
        self.stress.clone().unwrap_or_default()
    }
}

/// The correlation of two assets' shocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationConfig {
    /// Two asset symbols.
    pub assets: [String; 2],
    /// In [-1, 1].
    pub rho: f64,
}

/// A stochastic price process (annualised parameters over a 365.25-day year; formulas and defaults
/// in docs/price-processes.md). Absent parameters take the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProcessConfig {
    /// Geometric Brownian motion.
    Gbm {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drift: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        volatility: Option<f64>,
    },
    /// GBM plus Poisson jumps with normal log sizes.
    Merton {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drift: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        volatility: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jump_intensity: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jump_mean: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jump_volatility: Option<f64>,
    },
    /// GARCH(1,1) with Student-t innovations, one step per block.
    Garch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_log_return: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        long_run_volatility: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alpha: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        degrees_of_freedom: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial_volatility: Option<f64>,
    },
    /// Stationary bootstrap of the log returns of a price CSV (`time` and a price column, evenly
    /// spaced bars; the bar length is read from the times). Relative to the scenario's folder.
    Bootstrap {
        file: String,
        #[serde(default = "default_close_column")]
        column: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_block_length: Option<f64>,
    },
    /// A token pegged to another asset (a liquid-staking token) that can de-peg and recover.
    Pegged {
        underlying: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_ratio: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depeg_intensity: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depeg_size_mean: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depeg_size_sd: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recovery_half_life_seconds: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ratio_volatility: Option<f64>,
    },
}

/// Run-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// A name for reports.
    pub name: String,
    /// Seed of every random draw (the account generator); `--seed` overrides it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Stop after this many blocks if no equilibrium came first.
    #[serde(default = "default_max_blocks")]
    pub max_blocks: u64,
    /// Seconds per block (Ethereum: 12).
    #[serde(default = "default_block_time")]
    pub block_time_seconds: f64,
    /// Relative price change under which a price counts as settled (equilibrium test).
    #[serde(default = "default_settle_tolerance")]
    pub settle_tolerance: f64,
}

/// Gas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Gas price paid by liquidation transactions, in gwei.
    pub gas_price_gwei: f64,
    /// Gas used by one liquidation transaction including the sale of the collateral.
    pub liquidation_gas: f64,
    /// Symbol of the asset gas is paid in (its reference price converts gas to USD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_token: Option<String>,
    /// Price of the gas token when `gas_token` is not one of the assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_token_price_usd: Option<f64>,
    /// Gas per block. Setting it turns on block space (docs/agents.md): liquidations and borrower
    /// transactions compete for what ordinary traffic leaves. Absent: unlimited blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_gas_limit: Option<f64>,
    /// How the gas price moves (default `constant`: `gas_price_gwei` every block). `series` replays
    /// a CSV for keepers' gas and, with block space, the base fee; `congestion` needs
    /// `block_gas_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<GasPriceConfig>,
    /// Share of each block ordinary traffic takes first (default 0.5, the EIP-1559 target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_gas_fraction: Option<f64>,
    /// Gas of a borrower's top-up, repayment or close (default 250000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrower_action_gas: Option<f64>,
    /// Priority fee (gwei) a borrower at full stress bids (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrower_tip_gwei: Option<f64>,
}

fn default_gas_column() -> String {
    "p60_gwei".to_string()
}

/// How `[chain]`'s gas price moves (docs/agents.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GasPriceConfig {
    /// `gas_price_gwei` every block.
    Constant,
    /// EIP-1559 (needs `block_gas_limit`): base fee times `1 + max_change * (used - target) /
    /// target` per block, starting at `gas_price_gwei`.
    Congestion {
        /// Target fullness (default 0.5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_fullness: Option<f64>,
        /// Largest change per block (default 0.125, EIP-1559's 1/8).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_change: Option<f64>,
        /// Floor (gwei, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_gwei: Option<f64>,
    },
    /// The chain's gas price replayed from a CSV (a `time` column in UTC at a constant interval and
    /// a gwei column, as in shared/reference/prices), `blocks_per_bar` blocks a bar and linear
    /// between bars, like a price `replay` (`blocks_per_bar * block_time_seconds` must be the bar
    /// spacing); the last bar holds after the end. It replaces
    /// `gas_price_gwei`: keepers' gas cost and `max_gas_price_gwei`, and the base fee when
    /// `block_gas_limit` is set. The path is relative to the scenario file's folder.
    Series {
        file: String,
        /// The column of gwei (default `p60_gwei`: the price that got 60% of a bar's transactions in).
        #[serde(default = "default_gas_column")]
        column: String,
        /// Blocks per bar (default 50: 10-minute bars of 12 s blocks).
        #[serde(default = "default_blocks_per_bar")]
        blocks_per_bar: u64,
    },
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            gas_price_gwei: 20.0,
            liquidation_gas: 400_000.0,
            gas_token: None,
            gas_token_price_usd: Some(3000.0),
            block_gas_limit: None,
            gas_price: None,
            background_gas_fraction: None,
            borrower_action_gas: None,
            borrower_tip_gwei: None,
        }
    }
}

/// An asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// Ticker, unique in the scenario.
    pub symbol: String,
    /// Price at block 0 (USD). Required except for a replay, where it rescales the series if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_price: Option<f64>,
    /// Token decimals. Echoed in the report; the real-number engine does not use them yet (they are
    /// for the integer checks of `cascade_core::exact`).
    #[serde(default = "default_decimals")]
    pub decimals: u32,
    /// USD of net selling on the external market that moves the reference price down 1% for good.
    /// Absent: infinitely deep (arbitrage never moves the reference price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_depth_usd: Option<f64>,
    /// The exogenous path. Absent: constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_path: Option<PricePathConfig>,
    /// The Monte Carlo process `cascade stress` draws this asset's paths from (instead of
    /// `price_path`). Absent: constant at the initial price in stress tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessConfig>,
}

/// An exogenous price path. Drops are fractions of the initial price (0.25 = -25%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PricePathConfig {
    /// No movement.
    Constant,
    /// An instant fall at one block.
    Shock { at_block: u64, drop: f64 },
    /// The same dollar fall each block.
    LinearCrash {
        start_block: u64,
        duration_blocks: u64,
        drop: f64,
    },
    /// The same percentage fall each block.
    ExponentialCrash {
        start_block: u64,
        duration_blocks: u64,
        drop: f64,
    },
    /// Replays a price CSV (a `time` column in UTC RFC 3339, e.g. `2020-03-12T00:00:00Z`, at a constant
    /// interval, and a price column), holding each bar's price for `blocks_per_bar` blocks with linear
    /// interpolation between bars; `blocks_per_bar * block_time_seconds` must be the file's bar
    /// spacing (50 for 10-minute bars of 12 s blocks). The path is relative to the scenario file's
    /// folder.
    Replay {
        file: String,
        #[serde(default = "default_close_column")]
        column: String,
        #[serde(default = "default_blocks_per_bar")]
        blocks_per_bar: u64,
    },
    /// A token pegged to another asset (a liquid-staking token such as stETH to ETH): the
    /// underlying's exogenous path times a peg ratio that can de-peg and recover
    /// (docs/contagion.md).
    Pegged(PeggedPathConfig),
}

/// The `pegged` price path. The peg ratio starts at `initial_price / underlying's initial_price`
/// (1 when the token's `initial_price` is absent), loses `depeg_size` of itself from `at_block`
/// (linearly over `duration_blocks`; at once when 0) and, with `recovery_blocks`, returns linearly
/// to its start over that many blocks. Only the exogenous paths are coupled: what forced sales do
/// to the underlying's price stays with the underlying, what they do to the token's with the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeggedPathConfig {
    /// Symbol of the asset the token tracks (its own path must not be `pegged`).
    pub underlying: String,
    /// Block the de-peg starts at (default 0).
    #[serde(default)]
    pub at_block: u64,
    /// Fraction of the peg ratio lost at the bottom, in [0, 1) (0.06 = 6%; default 0: no de-peg).
    #[serde(default)]
    pub depeg_size: f64,
    /// Blocks over which the ratio falls to its bottom (default 0: all at `at_block`).
    #[serde(default)]
    pub duration_blocks: u64,
    /// Blocks over which the ratio returns to its start after the bottom (at least 1). Absent: the
    /// de-peg does not recover within the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_blocks: Option<u64>,
}

/// A venue trading one asset against USD. Fields after `kind` apply to one kind each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// Unique name.
    pub name: String,
    /// Symbol of the asset traded.
    pub asset: String,
    pub kind: VenueKind,
    /// Capital the arbitrageurs of this venue deploy per block (USD).
    pub arbitrage_capital_usd_per_block: f64,
    /// constant_product: USD held in the pool, half per side at the initial price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidity_usd: Option<f64>,
    /// constant_product, uniswap-v3: swap fee in basis points (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_bps: Option<f64>,
    /// order_book: taker fee in basis points (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fee_bps: Option<f64>,
    /// order_book: parametric depth (give this or `levels_file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<DepthCurveConfig>,
    /// order_book: CSV with columns `side,price,size` (`bid`/`ask`, USD, base units), relative to the
    /// scenario file's folder. Its mid is `(best bid + best ask)/2`; the book keeps its shape
    /// relative to the mid as the mid moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels_file: Option<String>,
    /// uniswap-v3: ticks between usable range edges; every edge moves to the nearest usable tick
    /// (a tick is a factor 1.0001 in price). Default from the fee tier: 1, 5, 30, 100 bps give 1,
    /// 10, 60, 200; another fee needs it given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_spacing: Option<u32>,
    /// uniswap-v3: liquidity positions (this, `bands`, or both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<PositionConfig>>,
    /// uniswap-v3: liquidity in bands on both sides of the initial price (this, `positions`, or
    /// both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands: Option<BandsConfig>,
    /// order_book: depth that thins as the price falls and as volatility rises, is consumed by
    /// trades and refills at a resilience rate (`depth_dynamics = {}` takes every default). Absent:
    /// the book keeps its depth whatever happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_dynamics: Option<DepthDynamicsConfig>,
}

/// An order book's liquidity depth variance (docs/microstructure.md gives the formulas and why each
/// default). Each block a side's depth is
/// `max(floor, min(1, mid/initial)^price_elasticity / (1 + stress_sensitivity*volatility) - consumed)`
/// times its nominal depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepthDynamicsConfig {
    /// Exponent of the thinning as the mid falls below its start (default 2: a quarter of the
    /// depth at half the price; 0 turns it off).
    #[serde(default = "default_price_elasticity")]
    pub price_elasticity: f64,
    /// Thinning by volatility, the mean absolute log move of the mid per block (default 100: half
    /// the depth at 1% a block; 0 turns it off).
    #[serde(default = "default_stress_sensitivity")]
    pub stress_sensitivity: f64,
    /// Half-life of that volatility estimate, blocks (default 25, five minutes of 12 s blocks).
    #[serde(default = "default_volatility_half_life")]
    pub volatility_half_life_blocks: f64,
    /// Half-life in which depth taken by trades comes back, blocks (default 5, one minute; 0: at once).
    #[serde(default = "default_resilience_half_life")]
    pub resilience_half_life_blocks: f64,
    /// Least depth a side keeps, as a fraction of nominal (default 0.05).
    #[serde(default = "default_depth_floor")]
    pub floor: f64,
}

fn default_price_elasticity() -> f64 {
    cascade_core::venue::DepthDynamics::DEFAULT.price_elasticity
}

fn default_stress_sensitivity() -> f64 {
    cascade_core::venue::DepthDynamics::DEFAULT.stress_sensitivity
}

fn default_volatility_half_life() -> f64 {
    cascade_core::venue::DepthDynamics::DEFAULT.volatility_half_life_blocks
}

fn default_resilience_half_life() -> f64 {
    cascade_core::venue::DepthDynamics::DEFAULT.resilience_half_life_blocks
}

fn default_depth_floor() -> f64 {
    cascade_core::venue::DepthDynamics::DEFAULT.floor
}

/// The liquidity model of a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    /// Uniswap v2 constant-product pool.
    ConstantProduct,
    /// Order book whose depth profile follows the mid.
    OrderBook,
    /// Uniswap v3 concentrated-liquidity pool: liquidity on price ranges.
    #[serde(rename = "uniswap-v3")]
    UniswapV3,
}

/// A Uniswap v3 position: liquidity on a price range, sized by what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionConfig {
    /// Lower edge of the range (USD per unit of the asset).
    pub lower_price: f64,
    /// Upper edge of the range (USD per unit), above `lower_price`.
    pub upper_price: f64,
    /// What the position's tokens are worth at the asset's initial price (USD): all in the asset
    /// when the range is above that price, all in USD when below, both inside.
    pub liquidity_usd: f64,
}

/// Liquidity in `count` bands of `width` on each side of the initial price `P`: band `k` (from 0,
/// next to the price) spans `P(1 + k w)..P(1 + (k + 1) w)` above and `P(1 - (k + 1) w)..P(1 - k w)`
/// below, with liquidity (depth) proportional to `decay^k`. `decay = 1` is a Uniswap v2 curve cut off
/// at `P(1 ± count w)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BandsConfig {
    /// Bands on each side.
    pub count: u32,
    /// Width of a band as a fraction of the initial price (0.01 = 1%); `count * width` must stay
    /// below 1.
    pub width: f64,
    /// What all the bands are worth together at the initial price (USD).
    pub liquidity_usd: f64,
    /// Depth of each band relative to the one before it, away from the price (default 1: even).
    #[serde(default = "default_decay")]
    pub decay: f64,
}

/// USD depth within distance `x` of the mid: `depth_2pct_usd * (x / 2%)^exponent`, on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepthCurveConfig {
    pub depth_2pct_usd: f64,
    /// Distance between levels, in basis points of the mid.
    pub level_spacing_bps: f64,
    /// Number of levels per side.
    pub levels: u32,
    #[serde(default = "default_exponent")]
    pub exponent: f64,
}

/// Where an oracle reads (exactly one key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// A venue's spot price.
    Venue(String),
    /// An asset's reference price (external index).
    Reference(String),
    /// Another oracle listed earlier.
    Oracle(String),
    /// A fixed price.
    Constant(f64),
}

/// An oracle. Fields after `kind` apply to some kinds only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OracleConfig {
    /// Unique name.
    pub name: String,
    pub kind: OracleKindConfig,
    /// spot, twap, push: where the oracle reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceConfig>,
    /// median: the sources (at least one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<SourceConfig>>,
    /// twap: window length in blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_blocks: Option<u32>,
    /// push: publish when the source moves by more than this fraction (0.005 = 0.5%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<f64>,
    /// push: publish at least this often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_blocks: Option<u32>,
    /// osm: seconds between pokes (Maker's `hop`, default 3600); protocols see the source as it was
    /// one to two hops ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop_seconds: Option<u64>,
    /// The protocol sees what the oracle published this many blocks ago.
    #[serde(default)]
    pub latency_blocks: u32,
}

/// What an oracle computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OracleKindConfig {
    /// The source's current value.
    Spot,
    /// Mean of the source over `window_blocks`.
    Twap,
    /// Median of `sources`.
    Median,
    /// Chainlink style: publish on `deviation` or every `heartbeat_blocks`.
    Push,
    /// Maker's Oracle Security Module: the previous hour's price (`hop_seconds`).
    Osm,
}

/// A protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolConfig {
    pub name: String,
    /// Liquidation rules: `aave-v3.3` (default) or `aave-v3.0`.
    #[serde(default)]
    pub rules: RulesConfig,
    /// `rules` (default): the version's close factor (50%, or 100% near insolvency); `full`: every
    /// liquidation may repay the whole debt at once (Compound v3 absorb, Liquity, perp venues).
    #[serde(default)]
    pub close_factor: CloseFactorConfig,
    /// Listed assets: each with its oracle and, if it counts as collateral, its risk parameters.
    pub markets: Vec<MarketConfig>,
    pub accounts: AccountsConfig,
    /// How accounts are liquidated (default: `fixed_spread`, keepers at the collateral's bonus).
    #[serde(default, skip_serializing_if = "MechanismConfig::is_default")]
    pub mechanism: MechanismConfig,
    /// Partial liquidation in chunks with a cooldown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<ChunksConfig>,
    /// An insurance fund that covers bad debt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_fund: Option<InsuranceFundConfig>,
    /// A backstop pool that takes accounts over and unwinds them slowly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backstop: Option<BackstopConfig>,
    /// The protocol as an internal buyer of seized collateral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_owned_liquidity: Option<PolConfig>,
    /// Circuit breakers and dynamic margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakers: Option<BreakersConfig>,
    /// Borrowers who top up, repay or panic-close near liquidation (docs/agents.md). Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrowers: Option<BorrowersConfig>,
}

/// Borrower behaviour of a protocol; every field optional, defaults in docs/agents.md.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BorrowersConfig {
    /// Accounts below this health factor consider acting (default 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<f64>,
    /// Probability per block of acting at health factor 1, before stress (default 0.02).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_probability: Option<f64>,
    /// Probability times `1 + s * drop` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_drop_sensitivity: Option<f64>,
    /// Herding strength on liquidations seen (default 0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub herding: Option<f64>,
    /// Blocks of liquidations remembered (default 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub herding_window_blocks: Option<u32>,
    /// Liquidations at which herding reaches 63% (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub herding_scale: Option<f64>,
    /// Weights of top-up, repay and panic close (default 0.5, 0.3, 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_up_weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repay_weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic_weight: Option<f64>,
    /// Health factor top-ups and repayments restore (default 1.25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_health_factor: Option<f64>,
    /// Disposition effect: accounts in loss act with probability times `1 - this` (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_effect: Option<f64>,
}

/// A liquidation mechanism (SPEC.md 1.5). Fractions are fractions, times are seconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MechanismConfig {
    /// Keepers repay debt for collateral at the fixed `liquidation_bonus` (Aave v3 rules).
    #[default]
    FixedSpread,
    /// Morpho Blue: bonus `min(1.15, 1 / (1 - 0.3 (1 - LLTV))) - 1`, LLTV = the liquidation threshold.
    Morpho,
    /// Euler v2: discount `min(max_discount, 1 - health factor)`; no liquidation within
    /// `cool_off_seconds` of the account's last liquidation.
    Euler {
        #[serde(default = "default_euler_max_discount")]
        max_discount: f64,
        #[serde(default)]
        cool_off_seconds: u64,
    },
    /// Compound III: the protocol absorbs liquidatable accounts into its reserves and sells the
    /// collateral at `oracle * (1 - store_front_price_factor * (1 - liquidation_factor))`
    /// (`liquidation_factor = 1 - liquidation_bonus`) while reserves are below `target_reserves_usd`,
    /// at most `max_sale_usd_per_block` per block.
    CompoundAbsorb {
        #[serde(default = "default_store_front_price_factor")]
        store_front_price_factor: f64,
        initial_reserves_usd: f64,
        target_reserves_usd: f64,
        max_sale_usd_per_block: f64,
    },
    /// Maker Liquidations 2.0: the book becomes CDP vaults (one per account and collateral,
    /// `mat = 1 / liquidation_threshold`) liquidated by Dutch auction.
    DutchAuction(DutchAuctionConfig),
}

impl MechanismConfig {
    pub fn is_default(&self) -> bool {
        *self == MechanismConfig::FixedSpread
    }
}

fn default_euler_max_discount() -> f64 {
    0.15
}
fn default_store_front_price_factor() -> f64 {
    0.5
}
fn default_buf() -> f64 {
    1.2
}
fn default_tail_seconds() -> u64 {
    8400
}
fn default_cusp() -> f64 {
    0.45
}
fn default_chip() -> f64 {
    0.001
}
fn default_tip_usd() -> f64 {
    300.0
}

/// Maker's Dog and Clipper parameters (ETH-A's by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DutchAuctionConfig {
    /// The price curve (`calc`).
    pub curve: CurveConfig,
    /// Starting price over the oracle price, `top = oracle * buf` (default 1.2).
    #[serde(default = "default_buf")]
    pub buf: f64,
    /// Seconds after which an auction must be reset (default 8400).
    #[serde(default = "default_tail_seconds")]
    pub tail_seconds: u64,
    /// Fraction of `top` below which an auction must be reset (default 0.45).
    #[serde(default = "default_cusp")]
    pub cusp: f64,
    /// Keeper incentive as a fraction of the tab (default 0.001).
    #[serde(default = "default_chip")]
    pub chip: f64,
    /// Flat keeper incentive in USD (default 300).
    #[serde(default = "default_tip_usd")]
    pub tip_usd: f64,
    /// Penalty multiplier `chop`; absent: `1 + liquidation_bonus` of each collateral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chop: Option<f64>,
    /// Per collateral `hole` (USD of tab in live auctions); absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hole_usd: Option<f64>,
    /// Global `Hole`; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_hole_usd: Option<f64>,
    /// Smallest debt a vault or a partial auction may leave (default 0).
    #[serde(default)]
    pub dust_usd: f64,
    /// The Clipper's circuit breaker `stopped`: 0 all allowed, 1 no new auctions, 2 no resets
    /// either, 3 no takes either.
    #[serde(default)]
    pub stopped: u8,
    /// The asset vaults owe (DAI); absent: the first listed asset that is not collateral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debt_asset: Option<String>,
}

/// An auction price curve (Maker's abaci).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CurveConfig {
    /// `top * (tau - dur) / tau`.
    Linear { tau_seconds: u64 },
    /// `top * cut^floor(dur / step)`; `cut` in (0, 1).
    Stairstep { step_seconds: u64, cut: f64 },
    /// `top * cut^dur`; `cut` per second in (0, 1).
    Exponential { cut: f64 },
}

/// Liquidation in chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChunksConfig {
    /// Fraction of the position liquidated per chunk, in (0, 1] (Hyperliquid: 0.2).
    pub slice_fraction: f64,
    /// Positions above this notional (USD; debt for lending) are liquidated in chunks.
    pub threshold_usd: f64,
    /// Seconds after a chunk (Hyperliquid: 30).
    pub cooldown_seconds: u64,
    /// `wait` (default): nothing more until the cooldown has passed; `full_during_cooldown`
    /// (Hyperliquid): a liquidation during the cooldown takes the whole position.
    #[serde(default)]
    pub rule: CooldownRuleConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CooldownRuleConfig {
    #[default]
    Wait,
    FullDuringCooldown,
}

/// An insurance fund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsuranceFundConfig {
    pub initial_usd: f64,
}

/// A backstop pool (Hyperliquid's liquidator vault).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackstopConfig {
    pub capital_usd: f64,
    /// Most it sells per block and asset (USD at the reference price).
    pub max_unwind_usd_per_block: f64,
    /// Lending: accounts below this health factor go to the pool (default 1: all liquidatable ones).
    /// Perps: positions whose equity is below this fraction of maintenance margin (default 2/3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<f64>,
}

/// Protocol-owned liquidity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolConfig {
    pub budget_usd: f64,
    /// It bids `oracle * (1 - discount)`.
    pub discount: f64,
}

/// Circuit breakers and dynamic margin (SPEC.md 1.6); each is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakersConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<GracePeriodConfigToml>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity_margin: Option<VelocityMarginConfigToml>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatility_margin: Option<VolatilityMarginConfigToml>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_floor: Option<PriceFloorConfigToml>,
}

fn default_one() -> f64 {
    1.0
}

/// Synthetix perps v3 liquidation capacity: at most `(maker_fee + taker_fee) * skew_scale *
/// limit_multiplier * window_seconds` base units liquidated per window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub maker_fee: f64,
    pub taker_fee: f64,
    /// Base units.
    pub skew_scale: f64,
    #[serde(default = "default_one")]
    pub limit_multiplier: f64,
    pub window_seconds: u64,
    /// Perps: below this `|skew| / skew_scale` a full window may liquidate once more (0: never).
    #[serde(default)]
    pub max_liquidation_pd: f64,
}

/// No liquidation while the oracle is down nor for `duration_seconds` after it comes back or after
/// a move of `jump_threshold` (a fraction) between two blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GracePeriodConfigToml {
    pub duration_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump_threshold: Option<f64>,
    /// An oracle (or sequencer) outage over blocks `[start, end)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_blocks: Option<[u64; 2]>,
}

/// Maintenance requirement times `min(max_multiplier, 1 + step_up * floor(v / trigger_usd))`, `v`
/// the notional liquidated in the last `window_seconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VelocityMarginConfigToml {
    pub window_seconds: u64,
    pub trigger_usd: f64,
    pub step_up: f64,
    pub max_multiplier: f64,
}

/// Maintenance requirement times `min(max_multiplier, max(1, sigma / reference_volatility))`,
/// `sigma` the annualised realised volatility of the oracle price over `window_blocks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolatilityMarginConfigToml {
    pub reference_volatility: f64,
    pub max_multiplier: f64,
    pub window_blocks: u32,
}

/// While the realised volatility over `window_blocks` is above `trigger_volatility`, no liquidation
/// executes below `floor_fraction` times the price's average over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceFloorConfigToml {
    pub trigger_volatility: f64,
    pub floor_fraction: f64,
    pub window_blocks: u32,
}

/// A perpetual futures exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerpConfig {
    pub name: String,
    /// `isolated` (default) or `cross`.
    #[serde(default)]
    pub margin_mode: MarginModeConfig,
    pub markets: Vec<PerpMarketConfig>,
    /// Fraction of the closed notional paid to the insurance fund on liquidation.
    pub liquidation_fee: f64,
    pub insurance_fund_usd: f64,
    /// Auto-deleverage when a loss exceeds the insurance fund.
    #[serde(default)]
    pub adl: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backstop: Option<BackstopConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<ChunksConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<FundingConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_owned_liquidity: Option<PolConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakers: Option<BreakersConfig>,
    pub accounts: PerpAccountsConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarginModeConfig {
    #[default]
    Isolated,
    Cross,
}

/// One perp market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerpMarketConfig {
    pub asset: String,
    /// The oracle giving the mark price.
    pub oracle: String,
    /// Maintenance tiers by notional, increasing caps; the last may omit its cap.
    pub tiers: Vec<TierConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notional_cap_usd: Option<f64>,
    pub maintenance_margin_rate: f64,
    pub max_leverage: f64,
}

/// Funding every `interval_seconds`: `premium + clamp(interest_rate - premium, +/- clamp)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingConfig {
    pub interval_seconds: u64,
    #[serde(default)]
    pub interest_rate: f64,
    #[serde(default)]
    pub clamp: f64,
}

/// A synthetic perp book (log-normal notionals and leverage, entries spread around today's price).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerpAccountsConfig {
    pub n_accounts: u32,
    pub long_share: f64,
    pub median_notional_usd: f64,
    pub notional_sigma: f64,
    pub max_notional_usd: f64,
    pub leverage_median: f64,
    pub leverage_sigma: f64,
    /// Standard deviation of `ln(entry / initial price)`.
    #[serde(default)]
    pub entry_spread: f64,
    /// Cross margin: share of accounts with a position in a second market.
    #[serde(default)]
    pub multi_market_share: f64,
}

/// An options vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionVaultConfig {
    pub name: String,
    /// The underlying.
    pub asset: String,
    /// The oracle the vault marks the underlying at.
    pub oracle: String,
    /// Risk-free rate per year (also the cost of carry).
    #[serde(default)]
    pub rate: f64,
    /// The margin covers a move of `spot_move` either way with implied volatility up `vol_rise`.
    pub stress: OptionStressConfig,
    /// Paid to the liquidating desk, a fraction of the options' value.
    pub liquidation_penalty: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_fund_usd: Option<f64>,
    pub writers: WritersConfig,
    /// Delta-hedging desks; the first one takes liquidated shorts over.
    #[serde(default)]
    pub market_makers: Vec<MarketMakerConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionStressConfig {
    pub spot_move: f64,
    pub vol_rise: f64,
}

/// Synthetic writers of short puts and calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WritersConfig {
    pub n_writers: u32,
    pub put_share: f64,
    /// Strikes as fractions of the initial price.
    pub put_strikes: Vec<f64>,
    pub call_strikes: Vec<f64>,
    pub expiry_days: f64,
    /// Implied volatility (annualised).
    pub volatility: f64,
    pub median_notional_usd: f64,
    pub notional_sigma: f64,
    /// Collateral = margin times `1 + buffer`, `buffer` log-normal with this median and sigma.
    pub buffer_median: f64,
    pub buffer_sigma: f64,
}

/// A desk that delta-hedges its option book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketMakerConfig {
    pub name: String,
    /// No trade while the net delta is within this band (units of the underlying).
    pub rebalance_band: f64,
    /// Blocks between rebalances (default 1).
    #[serde(default = "default_rebalance_blocks")]
    pub rebalance_blocks: u64,
    /// The desk's options (quantity < 0: short).
    pub book: Vec<OptionLineConfig>,
}

fn default_rebalance_blocks() -> u64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionLineConfig {
    pub kind: OptionKindConfig,
    /// Strike as a fraction of the initial price.
    pub strike_fraction: f64,
    pub expiry_days: f64,
    pub volatility: f64,
    pub quantity: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionKindConfig {
    Call,
    Put,
}

/// Liquidation rule version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum RulesConfig {
    #[serde(rename = "aave-v3.0")]
    AaveV30,
    #[default]
    #[serde(rename = "aave-v3.3")]
    AaveV33,
}

/// How much of an account's debt one liquidation may repay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseFactorConfig {
    /// As the rule version says.
    #[default]
    Rules,
    /// The whole debt in one call.
    Full,
}

/// An asset listed in a protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    pub asset: String,
    /// Name of the oracle the protocol reads this asset's price from.
    pub oracle: String,
    /// Risk parameters when the asset counts as collateral; absent: borrow only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<CollateralConfig>,
}

/// Risk parameters (fractions: 0.86 = 86%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollateralConfig {
    pub ltv: f64,
    pub liquidation_threshold: f64,
    /// Bonus to the liquidator as a fraction of the debt repaid (0.05 = 5%, Aave's 10500).
    pub liquidation_bonus: f64,
    /// Share of the bonus kept by the protocol (0.10 = 10%).
    #[serde(default)]
    pub protocol_fee: f64,
}

/// Where a protocol's accounts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccountsConfig {
    /// The seeded generator (see `cascade_core::generator`).
    Synthetic(GeneratorConfig),
    /// A CSV with columns `account,asset,collateral,debt` (one row per account and asset, amounts in
    /// asset units), relative to the scenario file's folder.
    File { path: String },
}

/// Parameters of the synthetic book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    pub n_accounts: u32,
    pub collateral: Vec<CollateralChoiceConfig>,
    pub debt: Vec<DebtChoiceConfig>,
    #[serde(default)]
    pub multi_collateral_share: f64,
    #[serde(default)]
    pub multi_debt_share: f64,
    pub median_collateral_usd: f64,
    pub collateral_usd_sigma: f64,
    pub max_collateral_usd: f64,
    pub health_factor_median: f64,
    pub health_factor_sigma: f64,
    #[serde(default)]
    pub round_number_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollateralChoiceConfig {
    pub asset: String,
    pub weight: f64,
    #[serde(default)]
    pub round_price_step: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtChoiceConfig {
    pub asset: String,
    pub weight: f64,
}

/// An attacker that pushes a venue an oracle reads, liquidates the accounts the false price
/// exposes (front-running every keeper while it pushes), then buys back. The report gives its cost
/// and profit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackConfig {
    /// The venue pushed (an oracle should read it for the attack to work).
    pub venue: String,
    /// First block of the push.
    pub start_block: u64,
    /// Blocks the price is held down (default 1); the attacker buys back in the block after.
    #[serde(default = "default_hold_blocks")]
    pub hold_blocks: u64,
    /// Target discount of the venue to the reference price (0.3 = 30% below).
    pub push: f64,
    /// Most the attacker sells in all, valued at the reference price (USD).
    pub capital_usd: f64,
    /// Debt it can repay in liquidations per block (USD).
    pub liquidation_capital_usd_per_block: f64,
    /// Fee on the value it borrows to sell (default 0.0005: Aave v3's flash-loan premium of 5 bps).
    #[serde(default = "default_borrow_fee")]
    pub borrow_fee: f64,
}

fn default_hold_blocks() -> u64 {
    1
}

fn default_borrow_fee() -> f64 {
    0.0005
}

/// A liquidator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeeperConfig {
    pub name: String,
    /// Smallest profit after slippage and gas (USD) the keeper acts for.
    pub min_profit_usd: f64,
    pub max_liquidations_per_block: u32,
    /// Debt the keeper can repay per block (USD).
    pub capital_usd_per_block: f64,
    /// Highest gas price (gwei) the keeper bids; in blocks whose gas price (`chain`: with block space
    /// the block's base fee, congestion included) is higher its transactions are not included.
    /// Absent: always included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gas_price_gwei: Option<f64>,
    /// Blocks between an account becoming liquidatable and this keeper acting (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_blocks: Option<u32>,
    /// Share of a contested liquidation's profit bid as priority fee (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_bid_share: Option<f64>,
    /// `dump` (default): sell seized collateral at once; `hold_fraction`: keep `hold_fraction` and
    /// sell `hold_sell_per_block` of the stock each later block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<KeeperSaleConfig>,
    /// With `sale = "hold_fraction"` (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_fraction: Option<f64>,
    /// With `sale = "hold_fraction"` (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_sell_per_block: Option<f64>,
    /// Most collateral held (USD; default unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_limit_usd: Option<f64>,
}

/// What a keeper does with seized collateral.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeeperSaleConfig {
    Dump,
    HoldFraction,
}
