//! Stochastic price processes for Monte Carlo (SPEC 1.9): geometric Brownian motion, Merton
//! jump-diffusion, GARCH(1,1) with Student-t innovations, a stationary bootstrap of historical
//! returns, assets correlated through a Cholesky factor, and pegged (liquid-staking) tokens that
//! de-peg from their underlying.
//!
//! A [`ProcessConfig`] (its fields map 1:1 to scenario keys; `docs/price-processes.md` proposes the
//! TOML) is checked once by [`ProcessModel::new`]; the model then draws any number of paths, each a dense
//! `n_blocks x n_assets` array of prices ([`PricePaths`], row 0 = the start prices). The path of
//! `(seed, path_index)` is the same bit for bit on every run, platform and thread count: every draw
//! comes from [`stream_rng`], in four streams ([`Stream::PriceShocks`], [`Stream::PriceJumps`],
//! [`Stream::PriceBootstrap`], [`Stream::PriceDepeg`]) so that switching jumps, a bootstrap asset or a
//! pegged token on or off leaves the other draws where they were.
//!
//! Units: rates and volatilities are annualised over a 365.25-day year (crypto trades every day),
//! times are in seconds; one step of every process is one block of `block_seconds`, so
//! `dt = block_seconds / SECONDS_PER_YEAR` (12 s blocks: dt = 3.80e-7). The formulas, the defaults
//! and how the tests check the moments are in `docs/price-processes.md`.

use rand::Rng;
use rand_distr::{Beta, ChiSquared, Distribution, Exp1, StandardNormal};

use crate::ids::AssetId;
use crate::rng::{stream_rng, SimRng, Stream};

/// Seconds in the year that annualised parameters refer to (365.25 days).
pub const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// A de-peg never takes more than this share of the peg ratio, so the ratio stays positive.
const MAX_DEPEG_SIZE: f64 = 1.0 - 1e-9;

/// How far below zero a Cholesky pivot may fall through rounding and still count as zero (a
/// positive semi-definite matrix with perfectly correlated assets has zero pivots).
const PIVOT_TOLERANCE: f64 = 1e-10;

/// The price processes of every asset of a simulation: one section of a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessConfig {
    /// Seconds between blocks (12 on Ethereum mainnet). One step of every process is one block.
    pub block_seconds: f64,
    /// One process per asset; asset `i` is column `i` of the output.
    pub assets: Vec<AssetProcess>,
    /// Which assets' Gaussian shocks are correlated, and how; every other asset moves
    /// independently. Default: none.
    pub correlation: Correlation,
}

/// The correlation of the Gaussian shocks of some GBM, Merton or GARCH assets (their diffusion
/// shocks, and for GARCH the normal part of the Student-t innovations). A bootstrap asset takes its
/// correlation from history and a pegged one from its underlying, so neither may be listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correlation {
    /// The correlated assets, each once; row and column `k` of `matrix` are `assets[k]`.
    pub assets: Vec<AssetId>,
    /// Symmetric, unit diagonal, entries in [-1, 1], positive semi-definite (perfectly correlated
    /// assets are allowed).
    pub matrix: Vec<Vec<f64>>,
}

/// The process of one asset.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetProcess {
    Gbm(Gbm),
    Merton(Merton),
    Garch(Garch),
    Bootstrap(Bootstrap),
    Pegged(Pegged),
}

/// Geometric Brownian motion: `dS/S = drift dt + volatility dW`, so the log return over `T` years
/// is normal with mean `(drift - volatility^2/2) T` and variance `volatility^2 T`, and
/// `E[S_T] = S_0 exp(drift T)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gbm {
    /// Arithmetic drift per year (0.1 = the expected price grows 10.5% a year). Default 0.
    pub drift: f64,
    /// Annualised volatility of log returns (0.8 = 80%). Default 0.8.
    pub volatility: f64,
}

impl Default for Gbm {
    fn default() -> Self {
        Gbm {
            drift: 0.0,
            volatility: 0.8,
        }
    }
}

/// Merton jump-diffusion: GBM plus jumps at the events of a Poisson process; each jump adds a
/// normal `N(jump_mean, jump_volatility^2)` to the log price. The drift is compensated so that
/// `E[S_T] = S_0 exp(drift T)` still holds. Jumps are independent across assets (only the diffusion
/// shocks are correlated).
#[derive(Debug, Clone, PartialEq)]
pub struct Merton {
    /// Arithmetic drift per year, jumps included. Default 0.
    pub drift: f64,
    /// Annualised volatility of the diffusion part. Default 0.6.
    pub volatility: f64,
    /// Expected number of jumps per year. Default 10.
    pub jump_intensity: f64,
    /// Mean of one jump's log size (-0.05 = a jump of about -5%). Default -0.05.
    pub jump_mean: f64,
    /// Standard deviation of one jump's log size. Default 0.05.
    pub jump_volatility: f64,
}

impl Default for Merton {
    fn default() -> Self {
        Merton {
            drift: 0.0,
            volatility: 0.6,
            jump_intensity: 10.0,
            jump_mean: -0.05,
            jump_volatility: 0.05,
        }
    }
}

/// GARCH(1,1) with Student-t innovations, one step per block:
/// `r_t = mean_log_return dt + sqrt(h_t) z_t`, `h_{t+1} = omega + alpha h_t z_t^2 + beta h_t`, with
/// `z_t` Student-t scaled to unit variance and `omega = v (1 - alpha - beta)`, where
/// `v = long_run_volatility^2 dt` is the long-run (unconditional) variance of one block's return.
///
/// `alpha` and `beta` are per block: a volatility shock decays by `alpha + beta` each block (half
/// life `ln 2 / -ln(alpha + beta)` blocks). Parameters fitted on daily or hourly bars do not carry
/// over unchanged; keep the half life in seconds and the long-run volatility, and re-derive
/// `alpha + beta` for the block time.
#[derive(Debug, Clone, PartialEq)]
pub struct Garch {
    /// Mean log return per year (not an arithmetic drift: with Student-t innovations `E[S_T]` is
    /// not finite). Default 0.
    pub mean_log_return: f64,
    /// Long-run annualised volatility, `sqrt(v / dt)`. Default 0.8.
    pub long_run_volatility: f64,
    /// Weight of the last squared shock. Default 0.05.
    pub alpha: f64,
    /// Weight of the last variance. Default 0.93. `alpha + beta < 1`.
    pub beta: f64,
    /// Degrees of freedom of the Student-t innovations, above 2; `inf` gives normal innovations.
    /// Default 5.
    pub degrees_of_freedom: f64,
    /// Annualised volatility of the first block (a path can start in a storm); `None` starts at
    /// the long-run volatility. Default `None`.
    pub initial_volatility: Option<f64>,
}

impl Default for Garch {
    fn default() -> Self {
        Garch {
            mean_log_return: 0.0,
            long_run_volatility: 0.8,
            alpha: 0.05,
            beta: 0.93,
            degrees_of_freedom: 5.0,
            initial_volatility: None,
        }
    }
}

/// Stationary bootstrap (Politis and Romano, 1994) of historical log returns: the path replays the
/// history's bars in blocks of consecutive bars; each next bar starts a new block at a uniformly
/// drawn bar with probability `1 / mean_block_length`, and otherwise is the bar after the last one
/// (wrapping from the last bar to the first). Block lengths are geometric with mean
/// `mean_block_length`, which keeps the short-range dependence of the history (volatility clusters)
/// and gives a stationary series.
///
/// A bar lasts `bar_seconds`; the log price moves linearly in time within a bar, so with 10-minute
/// bars and 12 s blocks each block gets 1/50 of the bar's return and every bar's move happens in full
/// over its 50 blocks. (The other choice, scaling returns by `sqrt(block / bar)` and drawing one per
/// block, would keep the variance per unit of time but not the shape of the history's moves: the
/// bootstrap is there to replay real moves.) All bootstrap assets of a model share one sequence of
/// bar indices, so their history's correlation is kept; they must have as many returns, the same
/// `bar_seconds` and the same `mean_block_length`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Log returns of consecutive bars: `ln(p[i+1] / p[i])` (see [`log_returns_from_prices`]).
    pub log_returns: Vec<f64>,
    /// Length of one bar of the history in seconds (600 for 10-minute bars, 86400 for daily).
    pub bar_seconds: f64,
    /// Mean number of consecutive bars per bootstrap block, at least 1 (1: every bar drawn
    /// independently). Default 6.
    pub mean_block_length: f64,
}

/// A token pegged to another asset (a liquid-staking token such as stETH to ETH): its price is the
/// underlying's price times a peg ratio `q = exp(y)`. The log ratio `y` mean-reverts to
/// `ln target_ratio` (a discrete Ornstein-Uhlenbeck process with the given half life and
/// volatility), drops by `ln(1 - D)` at each de-peg event (Poisson, `depeg_intensity` per year,
/// `D` beta-distributed with mean `depeg_size_mean` and standard deviation `depeg_size_sd`), and
/// is capped at `ln target_ratio`: the token never trades above its target ratio. Row 0 is the
/// start price given to `simulate`; the start ratio is `start[pegged] / start[underlying]`, capped.
#[derive(Debug, Clone, PartialEq)]
pub struct Pegged {
    /// The asset whose price the token tracks (not itself pegged).
    pub underlying: AssetId,
    /// The ratio the token returns to, and its cap. Default 1.
    pub target_ratio: f64,
    /// Expected number of de-peg events per year. Default 1.
    pub depeg_intensity: f64,
    /// Mean fraction of the ratio one de-peg takes away (0.05 = 5%), in (0, 1). Default 0.05.
    pub depeg_size_mean: f64,
    /// Standard deviation of that fraction; 0 gives every de-peg the mean size. Below
    /// `sqrt(mean (1 - mean))`. Default 0.03.
    pub depeg_size_sd: f64,
    /// Seconds for the gap between the log ratio and its target to halve; `inf`: no recovery.
    /// Default 259200 (3 days).
    pub recovery_half_life_seconds: f64,
    /// Annualised volatility of the log ratio (noise of the Ornstein-Uhlenbeck process). Default 0.
    pub ratio_volatility: f64,
}

impl Pegged {
    /// A token pegged to `underlying` with the default parameters.
    pub fn with_defaults(underlying: AssetId) -> Self {
        Pegged {
            underlying,
            target_ratio: 1.0,
            depeg_intensity: 1.0,
            depeg_size_mean: 0.05,
            depeg_size_sd: 0.03,
            recovery_half_life_seconds: 3.0 * 86_400.0,
            ratio_volatility: 0.0,
        }
    }
}

/// A configuration the model cannot accept. Each names the field and says what would be right.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProcessError {
    #[error("block_seconds = {value}: must be a positive, finite number of seconds")]
    BlockSeconds { value: f64 },
    #[error("assets[{}].{field}: {message}", asset.0)]
    Parameter {
        asset: AssetId,
        field: &'static str,
        message: String,
    },
    #[error("{n_assets} assets: at most 65535 (asset ids are 16-bit)")]
    TooManyAssets { n_assets: usize },
    #[error("correlation.assets[{position}]: {message}")]
    CorrelationAsset { position: usize, message: String },
    #[error("correlation.matrix: {message}")]
    CorrelationShape { message: String },
    #[error("correlation.matrix[{row}][{column}] = {value}: {message}")]
    CorrelationEntry {
        row: usize,
        column: usize,
        value: f64,
        message: &'static str,
    },
    #[error(
        "correlation.matrix is not positive semi-definite: the Cholesky factorisation fails at \
         row {row} (pivot {pivot:.3e}); the correlations of correlation.assets[{row}] with the \
         assets listed before it are inconsistent with each other"
    )]
    CorrelationNotPositiveSemiDefinite { row: usize, pivot: f64 },
    #[error("prices[{index}] = {value}: a price must be positive and finite")]
    Price { index: usize, value: f64 },
    #[error("{got} start prices for {expected} assets: one per asset")]
    StartPriceCount { expected: usize, got: usize },
    #[error("start price of asset {}: {message}", asset.0)]
    StartPrice { asset: AssetId, message: String },
}

/// The log returns `ln(p[i+1] / p[i])` of a price series (one fewer than the prices).
pub fn log_returns_from_prices(prices: &[f64]) -> Result<Vec<f64>, ProcessError> {
    if let Some((index, &value)) = prices
        .iter()
        .enumerate()
        .find(|(_, p)| !(p.is_finite() && **p > 0.0))
    {
        return Err(ProcessError::Price { index, value });
    }
    Ok(prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect())
}

/// A de-peg of a pegged token: in `block`, its peg ratio was multiplied by `1 - size`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepegEvent {
    pub block: usize,
    pub asset: AssetId,
    pub size: f64,
}

/// One simulated path: `n_blocks` rows of one price per asset (row-major), row 0 the start prices,
/// and the de-peg events. Reuse one value across paths with [`ProcessModel::simulate_into`]: it
/// keeps its buffers, so a path allocates nothing once the first has run.
#[derive(Debug, Clone, Default)]
pub struct PricePaths {
    n_blocks: usize,
    n_assets: usize,
    prices: Vec<f64>,
    depeg_events: Vec<DepegEvent>,
    scratch: Scratch,
}

/// Per-path state, kept between paths so that its vectors are allocated once.
#[derive(Debug, Clone, Default)]
struct Scratch {
    shocks: Vec<f64>,
    normals: Vec<f64>,
    t_factors: Vec<f64>,
    /// Per asset: log return since block 0 (log ratio for pegged assets).
    log_level: Vec<f64>,
    /// Per asset: GARCH conditional variance of the next block's return.
    variance: Vec<f64>,
    /// Per asset: time of the next jump or de-peg event, in blocks since block 0.
    next_event: Vec<f64>,
    /// Bootstrap bars overlapping the current block: (source index, share of the bar).
    segments: Vec<(usize, f64)>,
}

impl PricePaths {
    /// An empty path, to be filled by [`ProcessModel::simulate_into`].
    pub fn new() -> Self {
        Self::default()
    }

    pub fn n_blocks(&self) -> usize {
        self.n_blocks
    }

    pub fn n_assets(&self) -> usize {
        self.n_assets
    }

    /// The price of `asset` at `block`.
    #[inline]
    pub fn price(&self, block: usize, asset: AssetId) -> f64 {
        self.prices[block * self.n_assets + asset.index()]
    }

    /// Every asset's price at `block`.
    #[inline]
    pub fn row(&self, block: usize) -> &[f64] {
        &self.prices[block * self.n_assets..(block + 1) * self.n_assets]
    }

    /// All prices, row-major: block by block, one price per asset.
    pub fn prices(&self) -> &[f64] {
        &self.prices
    }

    /// The prices of one asset, block by block (e.g. for a `ReferencePath::Series`).
    pub fn column(&self, asset: AssetId) -> impl Iterator<Item = f64> + '_ {
        self.prices
            .iter()
            .skip(asset.index())
            .step_by(self.n_assets.max(1))
            .copied()
    }

    /// The de-peg events, in block order (within a block, in asset order).
    pub fn depeg_events(&self) -> &[DepegEvent] {
        &self.depeg_events
    }
}

/// One step of one asset, with every constant precomputed per block.
#[derive(Debug, Clone)]
enum Step {
    Gbm {
        shock: usize,
        log_drift: f64,
        scale: f64,
    },
    Merton {
        shock: usize,
        log_drift: f64,
        scale: f64,
        /// Expected jumps per block.
        jump_rate: f64,
        jump_mean: f64,
        jump_volatility: f64,
    },
    Garch {
        shock: usize,
        /// The Student-t mixing group, `None` for normal innovations.
        t_group: Option<usize>,
        mean: f64,
        omega: f64,
        alpha: f64,
        beta: f64,
        initial_variance: f64,
    },
    Bootstrap {
        log_returns: Vec<f64>,
    },
    Pegged {
        underlying: usize,
        log_target: f64,
        /// Share of the log gap to the target left after one block.
        persistence: f64,
        noise_sd: f64,
        /// Expected de-pegs per block.
        event_rate: f64,
        size: DepegSize,
    },
}

#[derive(Debug, Clone)]
enum DepegSize {
    Fixed(f64),
    Beta(Beta<f64>),
}

/// A set of Student-t assets sharing one chi-square draw per block.
#[derive(Debug, Clone)]
struct TGroup {
    chi_square: ChiSquared<f64>,
    /// `nu - 2`: the innovation is `normal * sqrt((nu - 2) / chi_square)`, unit variance.
    nu_minus_two: f64,
}

/// The shared bar clock of the bootstrap assets.
#[derive(Debug, Clone)]
struct BootstrapClock {
    n_bars: usize,
    bar_seconds: f64,
    restart_probability: f64,
}

/// A checked [`ProcessConfig`], ready to draw paths.
#[derive(Debug, Clone)]
pub struct ProcessModel {
    block_seconds: f64,
    steps: Vec<Step>,
    /// Number of Gaussian shocks per block (one per GBM, Merton or GARCH asset): first the
    /// correlated assets in the order of `correlation.assets`, then the others in asset order.
    n_shocks: usize,
    /// Number of correlated shocks (the first ones).
    n_correlated: usize,
    /// Lower Cholesky factor of their correlation, row-major `n_correlated x n_correlated`; empty
    /// when no off-diagonal entry is non-zero.
    cholesky: Vec<f64>,
    t_groups: Vec<TGroup>,
    bootstrap: Option<BootstrapClock>,
    has_pegged: bool,
}

/// Checks the fields of one asset's process: every error names the asset and the field.
struct Fields {
    asset: usize,
}

impl Fields {
    fn error(&self, field: &'static str, message: String) -> ProcessError {
        ProcessError::Parameter {
            asset: AssetId(self.asset as u16),
            field,
            message,
        }
    }

    fn finite(&self, field: &'static str, value: f64, unit: &str) -> Result<f64, ProcessError> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(self.error(field, format!("{value}: must be a finite number ({unit})")))
        }
    }

    /// `value` finite and `>= min`.
    fn at_least(
        &self,
        field: &'static str,
        value: f64,
        min: f64,
        unit: &str,
    ) -> Result<f64, ProcessError> {
        if value.is_finite() && value >= min {
            Ok(value)
        } else {
            Err(self.error(
                field,
                format!("{value}: must be a finite number >= {min} ({unit})"),
            ))
        }
    }

    /// `value` finite and `> min`.
    fn above(
        &self,
        field: &'static str,
        value: f64,
        min: f64,
        unit: &str,
    ) -> Result<f64, ProcessError> {
        if value.is_finite() && value > min {
            Ok(value)
        } else {
            Err(self.error(
                field,
                format!("{value}: must be a finite number > {min} ({unit})"),
            ))
        }
    }
}

fn is_diffusive(process: &AssetProcess) -> bool {
    matches!(
        process,
        AssetProcess::Gbm(_) | AssetProcess::Merton(_) | AssetProcess::Garch(_)
    )
}

impl Gbm {
    fn step(&self, fields: &Fields, dt: f64, shock: usize) -> Result<Step, ProcessError> {
        let drift = fields.finite("drift", self.drift, "per year")?;
        let volatility = fields.at_least("volatility", self.volatility, 0.0, "annualised")?;
        Ok(Step::Gbm {
            shock,
            log_drift: (drift - 0.5 * volatility * volatility) * dt,
            scale: volatility * dt.sqrt(),
        })
    }
}

impl Merton {
    fn step(&self, fields: &Fields, dt: f64, shock: usize) -> Result<Step, ProcessError> {
        let drift = fields.finite("drift", self.drift, "per year")?;
        let volatility = fields.at_least("volatility", self.volatility, 0.0, "annualised")?;
        let intensity =
            fields.at_least("jump_intensity", self.jump_intensity, 0.0, "jumps per year")?;
        let jump_mean = fields.finite("jump_mean", self.jump_mean, "mean log jump")?;
        let jump_volatility = fields.at_least(
            "jump_volatility",
            self.jump_volatility,
            0.0,
            "sd of the log jump",
        )?;
        // E[e^Y] - 1: the compensator that keeps E[S_T] = S_0 e^{drift T}.
        let mean_jump = (jump_mean + 0.5 * jump_volatility * jump_volatility).exp_m1();
        let log_drift = (drift - 0.5 * volatility * volatility - intensity * mean_jump) * dt;
        if !log_drift.is_finite() {
            return Err(fields.error(
                "jump_mean",
                format!(
                    "{jump_mean}: with jump_volatility = {jump_volatility}, E[e^jump] overflows"
                ),
            ));
        }
        Ok(Step::Merton {
            shock,
            log_drift,
            scale: volatility * dt.sqrt(),
            jump_rate: intensity * dt,
            jump_mean,
            jump_volatility,
        })
    }
}

impl Garch {
    fn step(
        &self,
        fields: &Fields,
        dt: f64,
        shock: usize,
        t_group: Option<usize>,
    ) -> Result<Step, ProcessError> {
        let mean = fields.finite("mean_log_return", self.mean_log_return, "per year")?;
        let long_run = fields.above(
            "long_run_volatility",
            self.long_run_volatility,
            0.0,
            "annualised",
        )?;
        let alpha =
            fields.at_least("alpha", self.alpha, 0.0, "weight of the last squared shock")?;
        let beta = fields.at_least("beta", self.beta, 0.0, "weight of the last variance")?;
        if alpha + beta >= 1.0 {
            return Err(fields.error(
                "alpha + beta",
                format!(
                    "{alpha} + {beta} = {}: must be below 1, or the variance has no long-run level",
                    alpha + beta
                ),
            ));
        }
        let nu = self.degrees_of_freedom;
        if nu.is_nan() || nu <= 2.0 {
            return Err(fields.error(
                "degrees_of_freedom",
                format!(
                    "{nu}: must be above 2 (a Student-t has a finite variance only then), \
                     or inf for normal innovations"
                ),
            ));
        }
        let long_run_variance = long_run * long_run * dt;
        let initial_variance = match self.initial_volatility {
            None => long_run_variance,
            Some(v) => {
                let v = fields.at_least("initial_volatility", v, 0.0, "annualised")?;
                v * v * dt
            }
        };
        Ok(Step::Garch {
            shock,
            t_group,
            mean: mean * dt,
            omega: long_run_variance * (1.0 - alpha - beta),
            alpha,
            beta,
            initial_variance,
        })
    }
}

impl Bootstrap {
    fn clock(&self, fields: &Fields) -> Result<BootstrapClock, ProcessError> {
        if self.log_returns.is_empty() {
            return Err(fields.error(
                "log_returns",
                "empty: the bootstrap needs at least one historical return".to_string(),
            ));
        }
        if let Some((index, value)) = self
            .log_returns
            .iter()
            .enumerate()
            .find(|(_, r)| !r.is_finite())
        {
            return Err(fields.error(
                "log_returns",
                format!("return {index} = {value}: every return must be finite"),
            ));
        }
        let bar_seconds = fields.above(
            "bar_seconds",
            self.bar_seconds,
            0.0,
            "seconds per historical bar",
        )?;
        let mean_block_length =
            fields.at_least("mean_block_length", self.mean_block_length, 1.0, "bars")?;
        Ok(BootstrapClock {
            n_bars: self.log_returns.len(),
            bar_seconds,
            restart_probability: 1.0 / mean_block_length,
        })
    }
}

impl BootstrapClock {
    /// Bootstrap assets replay the same bars: their clocks must agree with the first one's.
    fn check_aligned(
        &self,
        fields: &Fields,
        first: usize,
        shared: &BootstrapClock,
    ) -> Result<(), ProcessError> {
        let mismatch = if self.n_bars != shared.n_bars {
            Some((
                "log_returns",
                format!("{} returns", self.n_bars),
                format!("{} returns", shared.n_bars),
            ))
        } else if self.bar_seconds != shared.bar_seconds {
            Some((
                "bar_seconds",
                self.bar_seconds.to_string(),
                shared.bar_seconds.to_string(),
            ))
        } else if self.restart_probability != shared.restart_probability {
            Some((
                "mean_block_length",
                (1.0 / self.restart_probability).to_string(),
                (1.0 / shared.restart_probability).to_string(),
            ))
        } else {
            None
        };
        match mismatch {
            None => Ok(()),
            Some((field, got, expected)) => Err(fields.error(
                field,
                format!(
                    "{got}, but asset {first} has {expected}: bootstrap assets replay the same \
                     bars, so their histories must be aligned"
                ),
            )),
        }
    }
}

impl Pegged {
    fn step(
        &self,
        fields: &Fields,
        config: &ProcessConfig,
        block_seconds: f64,
    ) -> Result<Step, ProcessError> {
        let underlying = self.underlying.index();
        match config.assets.get(underlying) {
            None => {
                return Err(fields.error(
                    "underlying",
                    format!(
                        "asset {underlying}: there are only {} assets",
                        config.assets.len()
                    ),
                ))
            }
            Some(AssetProcess::Pegged(_)) => {
                return Err(fields.error(
                    "underlying",
                    format!(
                        "asset {underlying} is itself pegged: the underlying must have a \
                         process of its own"
                    ),
                ))
            }
            Some(_) => {}
        }
        let target = fields.above("target_ratio", self.target_ratio, 0.0, "peg ratio")?;
        let intensity = fields.at_least(
            "depeg_intensity",
            self.depeg_intensity,
            0.0,
            "events per year",
        )?;
        let m = self.depeg_size_mean;
        if !(m > 0.0 && m < 1.0) {
            return Err(fields.error(
                "depeg_size_mean",
                format!("{m}: must be in (0, 1) (a fraction of the peg ratio)"),
            ));
        }
        let s = fields.at_least("depeg_size_sd", self.depeg_size_sd, 0.0, "fraction")?;
        let size = if s == 0.0 {
            DepegSize::Fixed(m)
        } else {
            // Beta(a, b) with mean m and variance s^2: a + b = m (1 - m) / s^2 - 1.
            let concentration = m * (1.0 - m) / (s * s) - 1.0;
            let beta = (concentration > 0.0)
                .then(|| Beta::new(m * concentration, (1.0 - m) * concentration).ok())
                .flatten()
                .ok_or_else(|| {
                    fields.error(
                        "depeg_size_sd",
                        format!(
                            "{s}: must be below sqrt(mean (1 - mean)) = {} for a distribution \
                             on (0, 1) with mean {m}",
                            (m * (1.0 - m)).sqrt()
                        ),
                    )
                })?;
            DepegSize::Beta(beta)
        };
        let half_life = self.recovery_half_life_seconds;
        if half_life.is_nan() || half_life <= 0.0 {
            return Err(fields.error(
                "recovery_half_life_seconds",
                format!("{half_life}: must be positive (inf: no recovery)"),
            ));
        }
        let ratio_volatility =
            fields.at_least("ratio_volatility", self.ratio_volatility, 0.0, "annualised")?;
        // Exact discretisation of dy = -k (y - ln target) dt + ratio_volatility dW with
        // k = ln 2 / half life: persistence e^{-k dt}, noise variance sigma^2 (1 - e^{-2 k dt}) / 2k.
        let dt = block_seconds / SECONDS_PER_YEAR;
        let reversion_per_year = std::f64::consts::LN_2 * SECONDS_PER_YEAR / half_life;
        let persistence = (-reversion_per_year * dt).exp();
        let noise_sd = if reversion_per_year > 0.0 {
            ratio_volatility
                * ((1.0 - persistence * persistence) / (2.0 * reversion_per_year)).sqrt()
        } else {
            ratio_volatility * dt.sqrt()
        };
        Ok(Step::Pegged {
            underlying,
            log_target: target.ln(),
            persistence,
            noise_sd,
            event_rate: intensity * dt,
            size,
        })
    }
}

impl ProcessModel {
    /// Checks `config` and precomputes what each block needs. Every error names the field.
    pub fn new(config: &ProcessConfig) -> Result<Self, ProcessError> {
        let block_seconds = config.block_seconds;
        if !(block_seconds.is_finite() && block_seconds > 0.0) {
            return Err(ProcessError::BlockSeconds {
                value: block_seconds,
            });
        }
        if config.assets.len() > usize::from(u16::MAX) {
            return Err(ProcessError::TooManyAssets {
                n_assets: config.assets.len(),
            });
        }
        let dt = block_seconds / SECONDS_PER_YEAR;
        let n_assets = config.assets.len();

        check_correlation(config)?;
        let correlation = &config.correlation;
        // Shock slots: the correlated assets first, in the matrix's order, then the others.
        let n_correlated = correlation.assets.len();
        let mut shock_of = vec![usize::MAX; n_assets];
        for (position, asset) in correlation.assets.iter().enumerate() {
            shock_of[asset.index()] = position;
        }
        let mut n_shocks = n_correlated;
        for (asset, process) in config.assets.iter().enumerate() {
            if is_diffusive(process) && shock_of[asset] == usize::MAX {
                shock_of[asset] = n_shocks;
                n_shocks += 1;
            }
        }
        let uncorrelated = correlation.matrix.iter().enumerate().all(|(row, entries)| {
            entries
                .iter()
                .enumerate()
                .all(|(column, &value)| row == column || value == 0.0)
        });
        let cholesky = if uncorrelated {
            Vec::new()
        } else {
            let flat: Vec<f64> = correlation.matrix.iter().flatten().copied().collect();
            cholesky_lower(&flat, n_correlated).map_err(|(row, pivot)| {
                ProcessError::CorrelationNotPositiveSemiDefinite { row, pivot }
            })?
        };
        let t_group_of = student_t_groups(config);
        let n_groups = t_group_of.iter().flatten().max().map_or(0, |g| g + 1);
        let mut t_groups: Vec<Option<TGroup>> = vec![None; n_groups];

        let mut steps = Vec::with_capacity(n_assets);
        let mut bootstrap: Option<(usize, BootstrapClock)> = None;
        for (asset, process) in config.assets.iter().enumerate() {
            let fields = Fields { asset };
            let shock = shock_of[asset];
            let step = match process {
                AssetProcess::Gbm(p) => p.step(&fields, dt, shock)?,
                AssetProcess::Merton(p) => p.step(&fields, dt, shock)?,
                AssetProcess::Garch(p) => {
                    let step = p.step(&fields, dt, shock, t_group_of[asset])?;
                    if let Some(group) = t_group_of[asset] {
                        let nu = p.degrees_of_freedom;
                        t_groups[group] = Some(TGroup {
                            chi_square: ChiSquared::new(nu).map_err(|e| {
                                fields.error("degrees_of_freedom", format!("{nu}: {e}"))
                            })?,
                            nu_minus_two: nu - 2.0,
                        });
                    }
                    step
                }
                AssetProcess::Bootstrap(p) => {
                    let clock = p.clock(&fields)?;
                    match &bootstrap {
                        None => bootstrap = Some((asset, clock)),
                        Some((first, shared)) => clock.check_aligned(&fields, *first, shared)?,
                    }
                    Step::Bootstrap {
                        log_returns: p.log_returns.clone(),
                    }
                }
                AssetProcess::Pegged(p) => p.step(&fields, config, block_seconds)?,
            };
            steps.push(step);
        }
        let has_pegged = steps.iter().any(|s| matches!(s, Step::Pegged { .. }));
        Ok(ProcessModel {
            block_seconds,
            steps,
            n_shocks,
            n_correlated,
            cholesky,
            t_groups: t_groups
                .into_iter()
                .map(|g| g.expect("every group has a member"))
                .collect(),
            bootstrap: bootstrap.map(|(_, clock)| clock),
            has_pegged,
        })
    }

    pub fn n_assets(&self) -> usize {
        self.steps.len()
    }

    pub fn block_seconds(&self) -> f64 {
        self.block_seconds
    }

    /// Years per block.
    pub fn dt_years(&self) -> f64 {
        self.block_seconds / SECONDS_PER_YEAR
    }

    /// Checks start prices once, before drawing paths: one per asset, positive and finite, and a
    /// pegged token not above `target_ratio` times its underlying (`simulate` would cap its ratio).
    pub fn check_start_prices(&self, start_prices: &[f64]) -> Result<(), ProcessError> {
        if start_prices.len() != self.n_assets() {
            return Err(ProcessError::StartPriceCount {
                expected: self.n_assets(),
                got: start_prices.len(),
            });
        }
        for (asset, &price) in start_prices.iter().enumerate() {
            if !(price.is_finite() && price > 0.0) {
                return Err(ProcessError::StartPrice {
                    asset: AssetId(asset as u16),
                    message: format!("{price}: must be positive and finite"),
                });
            }
            if let Step::Pegged {
                underlying,
                log_target,
                ..
            } = &self.steps[asset]
            {
                let ratio = price / start_prices[*underlying];
                if ratio.ln() > *log_target + 1e-12 {
                    return Err(ProcessError::StartPrice {
                        asset: AssetId(asset as u16),
                        message: format!(
                            "{price} is {ratio} times the underlying's {}, above target_ratio = {}",
                            start_prices[*underlying],
                            log_target.exp()
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Path `path_index` of `seed`: `n_blocks` rows (row 0 = `start_prices`).
    pub fn simulate(
        &self,
        seed: u64,
        path_index: u64,
        n_blocks: usize,
        start_prices: &[f64],
    ) -> PricePaths {
        let mut out = PricePaths::new();
        self.simulate_into(seed, path_index, n_blocks, start_prices, &mut out);
        out
    }

    /// [`ProcessModel::simulate`] into `out`, reusing its buffers (no allocation once they are
    /// large enough). The result does not depend on what `out` held before.
    ///
    /// # Panics
    /// If `start_prices` does not have one price per asset (see [`ProcessModel::check_start_prices`]).
    pub fn simulate_into(
        &self,
        seed: u64,
        path_index: u64,
        n_blocks: usize,
        start_prices: &[f64],
        out: &mut PricePaths,
    ) {
        let n_assets = self.n_assets();
        assert_eq!(
            start_prices.len(),
            n_assets,
            "one start price per asset of the process model"
        );
        out.n_blocks = n_blocks;
        out.n_assets = n_assets;
        out.prices.clear();
        out.prices.resize(n_blocks * n_assets, 0.0);
        out.depeg_events.clear();
        if n_blocks == 0 {
            return;
        }
        out.prices[..n_assets].copy_from_slice(start_prices);

        let mut shock_rng = stream_rng(seed, path_index, Stream::PriceShocks);
        let mut jump_rng = stream_rng(seed, path_index, Stream::PriceJumps);
        let mut bootstrap_rng = stream_rng(seed, path_index, Stream::PriceBootstrap);
        let mut depeg_rng = stream_rng(seed, path_index, Stream::PriceDepeg);

        let scratch = &mut out.scratch;
        let reset = |v: &mut Vec<f64>, n: usize| {
            v.clear();
            v.resize(n, 0.0);
        };
        reset(&mut scratch.shocks, self.n_shocks);
        reset(&mut scratch.normals, self.n_correlated);
        reset(&mut scratch.t_factors, self.t_groups.len());
        reset(&mut scratch.log_level, n_assets);
        reset(&mut scratch.variance, n_assets);
        reset(&mut scratch.next_event, n_assets);

        // Initial state; the first event times are drawn in asset order.
        for (asset, step) in self.steps.iter().enumerate() {
            match step {
                Step::Merton { jump_rate, .. } => {
                    scratch.next_event[asset] = first_event(*jump_rate, &mut jump_rng);
                }
                Step::Garch {
                    initial_variance, ..
                } => scratch.variance[asset] = *initial_variance,
                Step::Pegged {
                    underlying,
                    log_target,
                    event_rate,
                    ..
                } => {
                    let ratio = start_prices[asset] / start_prices[*underlying];
                    scratch.log_level[asset] = ratio.ln().min(*log_target);
                    scratch.next_event[asset] = first_event(*event_rate, &mut depeg_rng);
                }
                Step::Gbm { .. } | Step::Bootstrap { .. } => {}
            }
        }
        let mut cursor = self
            .bootstrap
            .as_ref()
            .map(|clock| BarCursor::new(clock, &mut bootstrap_rng));

        for block in 1..n_blocks {
            self.draw_shocks(&mut shock_rng, scratch);
            if let (Some(clock), Some(cursor)) = (&self.bootstrap, cursor.as_mut()) {
                let start = ((block - 1) as f64 * self.block_seconds) / clock.bar_seconds;
                let end = (block as f64 * self.block_seconds) / clock.bar_seconds;
                cursor.segments(start, end, clock, &mut bootstrap_rng, &mut scratch.segments);
            }
            let (previous, rest) = out.prices.split_at_mut(block * n_assets);
            let row = &mut rest[..n_assets];
            let first_row = &previous[..n_assets];
            let now = block as f64;
            for (asset, step) in self.steps.iter().enumerate() {
                let log_return = match step {
                    Step::Gbm {
                        shock,
                        log_drift,
                        scale,
                    } => log_drift + scale * scratch.shocks[*shock],
                    Step::Merton {
                        shock,
                        log_drift,
                        scale,
                        jump_rate,
                        jump_mean,
                        jump_volatility,
                    } => {
                        let mut r = log_drift + scale * scratch.shocks[*shock];
                        let next = &mut scratch.next_event[asset];
                        if *next <= now {
                            let mut n_jumps = 0u32;
                            while *next <= now {
                                n_jumps += 1;
                                *next += next_gap(*jump_rate, &mut jump_rng);
                            }
                            // The sum of n normal jumps is N(n mean, n sd^2).
                            let n = f64::from(n_jumps);
                            let z: f64 = jump_rng.sample(StandardNormal);
                            r += n * jump_mean + n.sqrt() * jump_volatility * z;
                        }
                        r
                    }
                    Step::Garch {
                        shock,
                        t_group,
                        mean,
                        omega,
                        alpha,
                        beta,
                        ..
                    } => {
                        let z = match t_group {
                            Some(g) => scratch.shocks[*shock] * scratch.t_factors[*g],
                            None => scratch.shocks[*shock],
                        };
                        let h = scratch.variance[asset];
                        let innovation = h.sqrt() * z;
                        scratch.variance[asset] =
                            omega + alpha * innovation * innovation + beta * h;
                        mean + innovation
                    }
                    Step::Bootstrap { log_returns } => scratch
                        .segments
                        .iter()
                        .map(|&(bar, share)| share * log_returns[bar])
                        .sum(),
                    Step::Pegged { .. } => continue,
                };
                scratch.log_level[asset] += log_return;
                row[asset] = first_row[asset] * scratch.log_level[asset].exp();
            }
            if self.has_pegged {
                for (asset, step) in self.steps.iter().enumerate() {
                    let Step::Pegged {
                        underlying,
                        log_target,
                        persistence,
                        noise_sd,
                        event_rate,
                        size,
                    } = step
                    else {
                        continue;
                    };
                    let gap = scratch.log_level[asset] - log_target;
                    let mut y = log_target + gap * persistence;
                    if *noise_sd > 0.0 {
                        let z: f64 = depeg_rng.sample(StandardNormal);
                        y += noise_sd * z;
                    }
                    let next = &mut scratch.next_event[asset];
                    while *next <= now {
                        let drop = match size {
                            DepegSize::Fixed(d) => *d,
                            DepegSize::Beta(beta) => beta.sample(&mut depeg_rng),
                        }
                        .min(MAX_DEPEG_SIZE);
                        y += (-drop).ln_1p();
                        out.depeg_events.push(DepegEvent {
                            block,
                            asset: AssetId(asset as u16),
                            size: drop,
                        });
                        *next += next_gap(*event_rate, &mut depeg_rng);
                    }
                    let y = y.min(*log_target);
                    scratch.log_level[asset] = y;
                    row[asset] = row[*underlying] * y.exp();
                }
            }
        }
    }

    /// This block's correlated standard normal shocks and Student-t mixing factors.
    #[inline]
    fn draw_shocks(&self, rng: &mut SimRng, scratch: &mut Scratch) {
        let k = self.n_correlated;
        if self.cholesky.is_empty() {
            for shock in scratch.shocks.iter_mut() {
                *shock = rng.sample(StandardNormal);
            }
        } else {
            for normal in scratch.normals[..k].iter_mut() {
                *normal = rng.sample(StandardNormal);
            }
            for shock in scratch.shocks[k..].iter_mut() {
                *shock = rng.sample(StandardNormal);
            }
            for i in 0..k {
                let row = &self.cholesky[i * k..i * k + i + 1];
                scratch.shocks[i] = row
                    .iter()
                    .zip(&scratch.normals[..=i])
                    .map(|(l, z)| l * z)
                    .sum();
            }
        }
        for (factor, group) in scratch.t_factors.iter_mut().zip(&self.t_groups) {
            let chi_square = group.chi_square.sample(rng);
            *factor = (group.nu_minus_two / chi_square).sqrt();
        }
    }
}

/// Time (in blocks) of the first event of a Poisson process with `rate` events per block.
fn first_event(rate: f64, rng: &mut SimRng) -> f64 {
    if rate > 0.0 {
        next_gap(rate, rng)
    } else {
        f64::INFINITY
    }
}

#[inline]
fn next_gap(rate: f64, rng: &mut SimRng) -> f64 {
    let e: f64 = rng.sample(Exp1);
    e / rate
}

/// Where the bootstrap stands in the history: virtual bar `bar` of the path replays history bar
/// `index`.
struct BarCursor {
    bar: u64,
    index: usize,
}

impl BarCursor {
    fn new(clock: &BootstrapClock, rng: &mut SimRng) -> Self {
        BarCursor {
            bar: 0,
            index: rng.gen_range(0..clock.n_bars),
        }
    }

    /// The history bar that virtual bar `bar` replays (`bar` never decreases between calls).
    fn index_of(&mut self, bar: u64, clock: &BootstrapClock, rng: &mut SimRng) -> usize {
        while self.bar < bar {
            self.bar += 1;
            self.index = if rng.gen::<f64>() < clock.restart_probability {
                rng.gen_range(0..clock.n_bars)
            } else if self.index + 1 == clock.n_bars {
                0
            } else {
                self.index + 1
            };
        }
        self.index
    }

    /// The history bars a block spanning bar time `[start, end)` covers, with the share of each.
    fn segments(
        &mut self,
        start: f64,
        end: f64,
        clock: &BootstrapClock,
        rng: &mut SimRng,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.clear();
        let first = start.floor();
        let last = end.floor();
        if first == last {
            out.push((self.index_of(first as u64, clock, rng), end - start));
            return;
        }
        out.push((self.index_of(first as u64, clock, rng), first + 1.0 - start));
        let mut bar = first as u64 + 1;
        while (bar as f64) < last {
            out.push((self.index_of(bar, clock, rng), 1.0));
            bar += 1;
        }
        if end > last {
            out.push((self.index_of(last as u64, clock, rng), end - last));
        }
    }
}

/// The correlated assets and their matrix, checked entry by entry (positive semi-definiteness is
/// left to the Cholesky factorisation).
fn check_correlation(config: &ProcessConfig) -> Result<(), ProcessError> {
    let Correlation { assets, matrix } = &config.correlation;
    let n = assets.len();
    for (position, asset) in assets.iter().enumerate() {
        let message = match config.assets.get(asset.index()) {
            None => Some(format!(
                "asset {}: there are only {} assets",
                asset.0,
                config.assets.len()
            )),
            Some(process) if !is_diffusive(process) => Some(format!(
                "asset {} is a bootstrap or pegged asset: its correlation comes from its history \
                 or its underlying; only GBM, Merton and GARCH assets can be listed",
                asset.0
            )),
            Some(_) if assets[..position].contains(asset) => {
                Some(format!("asset {} is listed twice", asset.0))
            }
            Some(_) => None,
        };
        if let Some(message) = message {
            return Err(ProcessError::CorrelationAsset { position, message });
        }
    }
    if matrix.len() != n {
        return Err(ProcessError::CorrelationShape {
            message: format!(
                "{} rows for {n} assets: one row per listed asset",
                matrix.len()
            ),
        });
    }
    if let Some((row, entries)) = matrix.iter().enumerate().find(|(_, r)| r.len() != n) {
        return Err(ProcessError::CorrelationShape {
            message: format!(
                "row {row} has {} entries for {n} assets: one per listed asset",
                entries.len()
            ),
        });
    }
    let entry = |row, column, message| ProcessError::CorrelationEntry {
        row,
        column,
        value: matrix[row][column],
        message,
    };
    // Range first, so that a NaN is named where it is and not as an asymmetry of its mirror.
    for (row, entries) in matrix.iter().enumerate() {
        for (column, value) in entries.iter().enumerate() {
            if !value.is_finite() || value.abs() > 1.0 {
                return Err(entry(
                    row,
                    column,
                    "a correlation must be a number in [-1, 1]",
                ));
            }
        }
    }
    for (row, entries) in matrix.iter().enumerate() {
        for (column, &value) in entries.iter().enumerate() {
            if row == column && value != 1.0 {
                return Err(entry(row, column, "the diagonal must be 1"));
            }
            if value != matrix[column][row] {
                return Err(entry(
                    row,
                    column,
                    "the matrix must be symmetric: this entry differs from its mirror",
                ));
            }
        }
    }
    Ok(())
}

/// Lower Cholesky factor of the `n x n` row-major positive semi-definite `matrix`. A zero pivot
/// (perfect correlation) gives a zero column; a negative one fails with `(row, pivot)`.
fn cholesky_lower(matrix: &[f64], n: usize) -> Result<Vec<f64>, (usize, f64)> {
    let mut lower = vec![0.0f64; n * n];
    for j in 0..n {
        let pivot = matrix[j * n + j] - (0..j).map(|k| lower[j * n + k].powi(2)).sum::<f64>();
        if pivot < -PIVOT_TOLERANCE {
            return Err((j, pivot));
        }
        if pivot <= PIVOT_TOLERANCE {
            // Column j is a combination of the earlier ones: every later row must agree with it.
            for i in j + 1..n {
                let residual = matrix[i * n + j]
                    - (0..j)
                        .map(|k| lower[i * n + k] * lower[j * n + k])
                        .sum::<f64>();
                if residual.abs() > 1e-8 {
                    return Err((i, pivot));
                }
            }
            continue;
        }
        let diagonal = pivot.sqrt();
        lower[j * n + j] = diagonal;
        for i in j + 1..n {
            let sum: f64 = (0..j).map(|k| lower[i * n + k] * lower[j * n + k]).sum();
            lower[i * n + j] = (matrix[i * n + j] - sum) / diagonal;
        }
    }
    Ok(lower)
}

/// Student-t mixing groups: GARCH assets with the same (finite) degrees of freedom that are linked
/// by non-zero correlations, directly or through other such assets, share one chi-square draw per
/// block, so their innovations are jointly Student-t with exactly the configured correlation.
fn student_t_groups(config: &ProcessConfig) -> Vec<Option<usize>> {
    let n = config.assets.len();
    let nu: Vec<Option<f64>> = config
        .assets
        .iter()
        .map(|p| match p {
            AssetProcess::Garch(g) if g.degrees_of_freedom.is_finite() => {
                Some(g.degrees_of_freedom)
            }
            _ => None,
        })
        .collect();
    // Union-find over the t assets.
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let Correlation { assets, matrix } = &config.correlation;
    for (p, first) in assets.iter().enumerate() {
        for (q, second) in assets.iter().enumerate().skip(p + 1) {
            let (i, j) = (first.index(), second.index());
            if nu[i].is_some() && nu[i] == nu[j] && matrix[p][q] != 0.0 {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut group_of_root = vec![usize::MAX; n];
    let mut n_groups = 0;
    let mut groups = vec![None; n];
    for i in 0..n {
        if nu[i].is_none() {
            continue;
        }
        let r = root(&mut parent, i);
        if group_of_root[r] == usize::MAX {
            group_of_root[r] = n_groups;
            n_groups += 1;
        }
        groups[i] = Some(group_of_root[r]);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cholesky_of_two_by_two_is_the_textbook_factor() {
        // [[1, r], [r, 1]] = L L^T with L = [[1, 0], [r, sqrt(1 - r^2)]].
        let l = cholesky_lower(&[1.0, 0.6, 0.6, 1.0], 2).unwrap();
        assert_eq!(l[0], 1.0);
        assert_eq!(l[1], 0.0);
        assert!((l[2] - 0.6).abs() < 1e-15);
        assert!((l[3] - 0.8).abs() < 1e-15);
    }

    #[test]
    fn test_cholesky_accepts_perfect_correlation_and_rejects_inconsistent_ones() {
        // Assets 0 and 1 perfectly correlated, asset 2 independent: semi-definite, accepted.
        let m = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let l = cholesky_lower(&m, 3).unwrap();
        assert_eq!(&l[3..6], &[1.0, 0.0, 0.0]);
        // 0 ~ 1 and 1 ~ 2 strongly, 0 ~ 2 strongly negative: not a correlation matrix.
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert_eq!(cholesky_lower(&bad, 3).unwrap_err().0, 2);
    }

    #[test]
    fn test_bootstrap_segments_split_a_block_across_bars() {
        let clock = BootstrapClock {
            n_bars: 10,
            bar_seconds: 1.0,
            restart_probability: 0.0,
        };
        let mut rng = stream_rng(1, 0, Stream::PriceBootstrap);
        let mut cursor = BarCursor::new(&clock, &mut rng);
        let first = cursor.index;
        let mut segments = Vec::new();
        cursor.segments(0.5, 2.25, &clock, &mut rng, &mut segments);
        // Half of bar 0, all of bar 1, a quarter of bar 2; no restarts: consecutive bars.
        assert_eq!(
            segments,
            vec![
                (first, 0.5),
                ((first + 1) % 10, 1.0),
                ((first + 2) % 10, 0.25)
            ]
        );
        // A block ending exactly on a bar boundary draws nothing from the next bar.
        cursor.segments(2.25, 3.0, &clock, &mut rng, &mut segments);
        assert_eq!(segments, vec![((first + 2) % 10, 0.75)]);
        assert_eq!(cursor.bar, 2);
    }
}
