//! A protocol's circuit breakers and dynamic margin as the engine keeps them: what each breaker
//! remembers (`mechanism::breaker`'s states) and the protocol's recent oracle prices.

use std::collections::VecDeque;

use crate::mechanism::breaker::{
    realized_volatility, GracePeriodState, LiquidationWindowState, VelocityMarginState,
    VolatilityMarginConfig,
};
use crate::setup::{BreakerModels, SECONDS_PER_YEAR};

#[derive(Debug, Clone)]
pub(crate) struct BreakerRuntime {
    pub models: BreakerModels,
    /// Per asset.
    grace: Vec<GracePeriodState>,
    /// Per asset: base units liquidated by timestamp.
    windows: Vec<LiquidationWindowState>,
    velocity: VelocityMarginState,
    /// Per asset: the protocol's price of the last blocks, newest last.
    history: Vec<VecDeque<f64>>,
    /// Per asset: whether the protocol prices it (reads an oracle for it).
    listed: Vec<bool>,
    periods_per_year: f64,
    /// Per asset, with a price floor: the window's average price and realised volatility, as of
    /// the last `observe` (`None` until the window has three prices). Computed once a block, not
    /// once per candidate account.
    floor_inputs: Vec<Option<(f64, f64)>>,
}

impl BreakerRuntime {
    pub fn new(models: BreakerModels, listed: Vec<bool>, block_time_seconds: f64) -> Self {
        let n_assets = listed.len();
        BreakerRuntime {
            models,
            grace: vec![GracePeriodState::default(); n_assets],
            windows: vec![LiquidationWindowState::default(); n_assets],
            velocity: VelocityMarginState::default(),
            history: vec![VecDeque::new(); n_assets],
            listed,
            periods_per_year: SECONDS_PER_YEAR / block_time_seconds,
            floor_inputs: vec![None; n_assets],
        }
    }

    /// Takes the block's prices (one per asset, as the protocol reads them).
    pub fn observe(&mut self, block: u64, now: u64, prices: &[f64]) {
        if self.models.is_empty() {
            return;
        }
        if let Some(grace) = self.models.grace_period {
            let down = grace
                .outage_blocks
                .is_some_and(|(start, end)| block >= start && block < end);
            for (asset, state) in self.grace.iter_mut().enumerate() {
                if self.listed[asset] {
                    state.observe(&grace.config, now, (!down).then_some(prices[asset]));
                }
            }
        }
        let keep = self.models.history_blocks();
        if keep > 1 {
            for (asset, history) in self.history.iter_mut().enumerate() {
                if self.listed[asset] {
                    history.push_back(prices[asset]);
                    while history.len() > keep {
                        history.pop_front();
                    }
                }
            }
        }
        if let Some(config) = self.models.rate_limit {
            for window in &mut self.windows {
                window.prune(&config, now);
            }
        }
        if let Some(config) = self.models.velocity_margin {
            self.velocity.prune(&config, now);
        }
        if let Some(floor) = self.models.price_floor {
            for asset in 0..self.history.len() {
                let history = &self.history[asset];
                let n = history.len().min(floor.window_blocks as usize + 1);
                self.floor_inputs[asset] = (n >= 3).then(|| {
                    let average = history.iter().skip(history.len() - n).sum::<f64>() / n as f64;
                    (average, self.volatility(asset, floor.window_blocks))
                });
            }
        }
    }

    fn volatility(&self, asset: usize, window_blocks: u32) -> f64 {
        let history = &self.history[asset];
        let n = history.len().min(window_blocks as usize + 1);
        let recent: Vec<f64> = history.iter().skip(history.len() - n).copied().collect();
        realized_volatility(&recent, self.periods_per_year)
    }

    /// What the maintenance requirement is multiplied by now: the velocity step-up times the
    /// volatility adjustment (1 when neither applies).
    pub fn margin_multiplier(&self, now: u64) -> f64 {
        let mut multiplier = 1.0;
        if let Some(config) = self.models.velocity_margin {
            multiplier *= self.velocity.margin_multiplier(&config, now);
        }
        if let Some(model) = self.models.volatility_margin {
            let sigma = (0..self.listed.len())
                .filter(|&asset| self.listed[asset])
                .map(|asset| self.volatility(asset, model.window_blocks))
                .fold(0.0, f64::max);
            let config = VolatilityMarginConfig {
                base_rate: 1.0,
                reference_volatility: model.reference_volatility,
                max_rate: model.max_multiplier,
            };
            multiplier *= config.margin_rate(sigma);
        }
        multiplier
    }

    /// Whether a liquidation of `asset` at `price` is held back now: a grace period runs (on any of
    /// the protocol's assets: the sentinel is protocol-wide), or the asset's price floor is armed and
    /// `price` is below it.
    pub fn blocked(&self, asset: usize, now: u64, price: f64) -> bool {
        if self.models.grace_period.is_some()
            && self
                .grace
                .iter()
                .zip(&self.listed)
                .any(|(state, &listed)| listed && !state.liquidations_allowed(now))
        {
            return true;
        }
        if let Some(floor) = self.models.price_floor {
            if let Some((average, sigma)) = self.floor_inputs[asset] {
                if !floor.config.allows_liquidation(price, sigma, average) {
                    return true;
                }
            }
        }
        false
    }

    /// Base units of `asset` the rate limit still allows now (infinite without one).
    pub fn capacity(&self, asset: usize, now: u64) -> f64 {
        match self.models.rate_limit {
            Some(config) if config.max_liquidation_in_window() > 0.0 => {
                self.windows[asset].capacity(&config, now)
            }
            _ => f64::INFINITY,
        }
    }

    /// The rate limit's `maxLiquidatableAmount` for a perp market with signed `skew` (records what it
    /// grants): `requested` when there is no rate limit.
    pub fn admit(
        &mut self,
        asset: usize,
        requested: f64,
        now: u64,
        skew: f64,
        liquidator: u32,
    ) -> f64 {
        match self.models.rate_limit {
            Some(config) => self.windows[asset].admit(&config, requested, now, skew, liquidator),
            None => requested,
        }
    }

    /// Books a liquidation: `base_units` of `asset` against the rate limit (unless already admitted)
    /// and `notional_usd` against the velocity margin.
    pub fn record(&mut self, asset: usize, base_units: f64, notional_usd: f64, now: u64) {
        if self.models.rate_limit.is_some() && base_units > 0.0 {
            self.windows[asset].record(base_units, now);
        }
        self.record_velocity(notional_usd, now);
    }

    pub fn record_velocity(&mut self, notional_usd: f64, now: u64) {
        if self.models.velocity_margin.is_some() && notional_usd > 0.0 {
            self.velocity.record(notional_usd, now);
        }
    }

    /// Whether time alone will change what the breakers allow: a grace period runs, the rate limit
    /// or the velocity margin remembers liquidations in its window, or a volatility window still
    /// holds a move.
    pub fn pending(&self, now: u64) -> bool {
        if self.models.is_empty() {
            return false;
        }
        if self.models.grace_period.is_some()
            && self.grace.iter().any(|g| !g.liquidations_allowed(now))
        {
            return true;
        }
        if let Some(config) = self.models.rate_limit {
            if self
                .windows
                .iter()
                .any(|w| w.liquidated_in_window(&config, now) > 0.0)
            {
                return true;
            }
        }
        if let Some(config) = self.models.velocity_margin {
            if self.velocity.velocity(&config, now) > 0.0 {
                return true;
            }
        }
        let flat = |history: &VecDeque<f64>| {
            history
                .iter()
                .all(|&p| history.front().is_none_or(|&f| (p / f - 1.0).abs() < 1e-12))
        };
        self.history.iter().any(|h| !flat(h))
    }
}
