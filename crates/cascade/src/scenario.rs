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
    /// Protocols holding the positions.
    pub protocols: Vec<ProtocolConfig>,
    /// Liquidators.
    pub keepers: Vec<KeeperConfig>,
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
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            gas_price_gwei: 20.0,
            liquidation_gas: 400_000.0,
            gas_token: None,
            gas_token_price_usd: Some(3000.0),
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
    /// interpolation between bars. The path is relative to the scenario file's folder.
    Replay {
        file: String,
        #[serde(default = "default_close_column")]
        column: String,
        #[serde(default = "default_blocks_per_bar")]
        blocks_per_bar: u64,
    },
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
}
