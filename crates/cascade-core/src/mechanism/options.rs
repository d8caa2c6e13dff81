//! Options: the generalized Black-Scholes-Merton value and greeks (cost of carry `b`, after E. G. Haug,
//! "The Complete Guide to Option Pricing Formulas", ch. 1), the margin of a short option position
//! (premium plus a greek-based stress add-on), and a delta-hedging market maker whose hedge flow is a
//! second-order source of a cascade: short gamma, it sells the underlying into a falling price.
//!
//! # Units
//! Prices (spot, strike, option value) in the quote currency; time in years; `rate` (`r`) and `carry`
//! (`b`) continuously compounded per year; volatility per square root of a year. `b = r` is a stock
//! without dividends, `b = r - q` one with a continuous yield `q`, `b = 0` an option on a future.
//! Vega and rho are per unit (per 1.00 of volatility or rate, not per percentage point); theta is per
//! year (`/ 365` for a calendar day).

use std::f64::consts::{FRAC_1_SQRT_2, PI};

// ---------------------------------------------------------------------------
// The normal distribution
// ---------------------------------------------------------------------------

/// The standard normal density `exp(-x^2/2) / sqrt(2 pi)`.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// The complementary error function: relative error below 1e-13 where the result is a normal
/// number (checked against the C library's `erfc`), absolute error below 1e-15.
///
/// For `x < 2`: `erfc = 1 - erf`, with `erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) /
/// (1*3*...*(2n+1))` (a series of positive terms, no cancellation inside it). For `x >= 2`: the
/// continued fraction `erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))`,
/// evaluated from a fixed depth backwards. Negative `x`: `erfc(-x) = 2 - erfc(x)`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / PI.sqrt() * (-x2).exp() * sum
    } else if x < 27.0 {
        let mut tail = x;
        for k in (1..=60).rev() {
            tail = x + (k as f64 / 2.0) / tail;
        }
        (-x * x).exp() / PI.sqrt() / tail
    } else {
        0.0
    }
}

/// The standard normal distribution function `N(x) = erfc(-x / sqrt(2)) / 2`.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * FRAC_1_SQRT_2)
}

/// The standard normal quantile: the `x` with `N(x) = p`, for `p` in `(0, 1)` (infinite at 0 and 1,
/// NaN outside). Bisection to a bracket, then Newton steps on `N`; accurate to about 1e-14.
pub fn norm_inv(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if norm_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut x = 0.5 * (lo + hi);
    for _ in 0..3 {
        let density = norm_pdf(x);
        if density == 0.0 {
            break;
        }
        x -= (norm_cdf(x) - p) / density;
    }
    x
}

// ---------------------------------------------------------------------------
// Generalized Black-Scholes-Merton
// ---------------------------------------------------------------------------

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Call,
    Put,
}

/// One European option under generalized Black-Scholes-Merton.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BsmInputs {
    pub kind: OptionKind,
    /// Price of the underlying.
    pub spot: f64,
    pub strike: f64,
    /// Years to expiry.
    pub time_to_expiry: f64,
    /// Risk-free rate `r`, continuous, per year.
    pub rate: f64,
    /// Cost of carry `b`, continuous, per year (`r - q` for a dividend yield `q`; 0 for a future).
    pub carry: f64,
    /// Volatility, per square root of a year.
    pub volatility: f64,
}

/// Value sensitivities of one option (per unit of the underlying).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    /// dV/dS.
    pub delta: f64,
    /// d2V/dS2.
    pub gamma: f64,
    /// dV/dsigma, per 1.00 of volatility.
    pub vega: f64,
    /// -dV/dT: the change in value as a year passes (negative for a long option, typically).
    pub theta: f64,
    /// dV/dr with the dividend yield `q = r - b` held fixed (Haug's rho for `b = r`).
    pub rho: f64,
    /// dV/db with `r` held fixed (minus the sensitivity to the dividend yield `q`).
    pub carry_rho: f64,
}

impl BsmInputs {
    /// An option on an asset paying a continuous yield `q`: `carry = rate - q`.
    pub fn with_dividend_yield(
        kind: OptionKind,
        spot: f64,
        strike: f64,
        time_to_expiry: f64,
        rate: f64,
        dividend_yield: f64,
        volatility: f64,
    ) -> Self {
        BsmInputs {
            kind,
            spot,
            strike,
            time_to_expiry,
            rate,
            carry: rate - dividend_yield,
            volatility,
        }
    }

    /// Whether the option has no time value left to model (expired or zero volatility): value is then
    /// the discounted intrinsic value of the forward.
    fn degenerate(&self) -> bool {
        self.time_to_expiry <= 0.0 || self.volatility <= 0.0
    }

    /// `(d1, d2)`: `d1 = (ln(S/K) + (b + sigma^2/2) T) / (sigma sqrt(T))`, `d2 = d1 - sigma sqrt(T)`.
    fn d1_d2(&self) -> (f64, f64) {
        let sd = self.volatility * self.time_to_expiry.sqrt();
        let d1 = ((self.spot / self.strike).ln()
            + (self.carry + 0.5 * self.volatility * self.volatility) * self.time_to_expiry)
            / sd;
        (d1, d1 - sd)
    }

    /// `exp((b - r) T)`: the underlying's discount for the carry it does not earn.
    fn carry_discount(&self) -> f64 {
        ((self.carry - self.rate) * self.time_to_expiry.max(0.0)).exp()
    }

    fn rate_discount(&self) -> f64 {
        (-self.rate * self.time_to_expiry.max(0.0)).exp()
    }

    /// The option's value:
    /// call `S e^((b-r)T) N(d1) - K e^(-rT) N(d2)`, put `K e^(-rT) N(-d2) - S e^((b-r)T) N(-d1)`.
    /// Expired or at zero volatility: `e^(-rT) max(F - K, 0)` (call) with `F = S e^(bT)`.
    pub fn value(&self) -> f64 {
        let (s_disc, k_disc) = (
            self.spot * self.carry_discount(),
            self.strike * self.rate_discount(),
        );
        if self.degenerate() {
            return match self.kind {
                OptionKind::Call => (s_disc - k_disc).max(0.0),
                OptionKind::Put => (k_disc - s_disc).max(0.0),
            };
        }
        let (d1, d2) = self.d1_d2();
        match self.kind {
            OptionKind::Call => s_disc * norm_cdf(d1) - k_disc * norm_cdf(d2),
            OptionKind::Put => k_disc * norm_cdf(-d2) - s_disc * norm_cdf(-d1),
        }
    }

    /// Delta, gamma, vega, theta and rhos (Haug's generalized formulas). For an expired or
    /// zero-volatility option delta is the step `e^((b-r)T)` (in the money) or 0, and the other
    /// greeks are 0.
    pub fn greeks(&self) -> Greeks {
        let carry_disc = self.carry_discount();
        if self.degenerate() {
            let value = self.value();
            let delta = match self.kind {
                OptionKind::Call if value > 0.0 => carry_disc,
                OptionKind::Put if value > 0.0 => -carry_disc,
                _ => 0.0,
            };
            return Greeks {
                delta,
                gamma: 0.0,
                vega: 0.0,
                theta: 0.0,
                rho: 0.0,
                carry_rho: 0.0,
            };
        }
        let (s, k, t, r, b, v) = (
            self.spot,
            self.strike,
            self.time_to_expiry,
            self.rate,
            self.carry,
            self.volatility,
        );
        let (d1, d2) = self.d1_d2();
        let k_disc = k * self.rate_discount();
        let density = norm_pdf(d1);
        let gamma = carry_disc * density / (s * v * t.sqrt());
        let vega = s * carry_disc * density * t.sqrt();
        let decay = -s * carry_disc * density * v / (2.0 * t.sqrt());
        match self.kind {
            OptionKind::Call => Greeks {
                delta: carry_disc * norm_cdf(d1),
                gamma,
                vega,
                theta: decay - (b - r) * s * carry_disc * norm_cdf(d1) - r * k_disc * norm_cdf(d2),
                rho: t * k_disc * norm_cdf(d2),
                carry_rho: t * s * carry_disc * norm_cdf(d1),
            },
            OptionKind::Put => Greeks {
                delta: carry_disc * (norm_cdf(d1) - 1.0),
                gamma,
                vega,
                theta: decay
                    + (b - r) * s * carry_disc * norm_cdf(-d1)
                    + r * k_disc * norm_cdf(-d2),
                rho: -t * k_disc * norm_cdf(-d2),
                carry_rho: -t * s * carry_disc * norm_cdf(-d1),
            },
        }
    }

    /// Elasticity (lambda): `delta * S / V`, the leverage of the option; 0 for a worthless option.
    pub fn elasticity(&self) -> f64 {
        let value = self.value();
        if value == 0.0 {
            0.0
        } else {
            self.greeks().delta * self.spot / value
        }
    }
}

// ---------------------------------------------------------------------------
// Short-option margin
// ---------------------------------------------------------------------------

/// The stress a short option must be collateralised against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionStress {
    /// Relative move of the underlying in either direction (0.15 = +/-15%).
    pub spot_move: f64,
    /// Rise of implied volatility, in volatility units (0.10 = +10 vol points).
    pub vol_rise: f64,
}

/// The margin of a short option position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShortOptionMargin {
    /// What buying the options back costs now: `quantity * value`.
    pub premium: f64,
    /// The stress loss above the premium: `quantity * add_on`.
    pub stress_add_on: f64,
    /// `premium + stress_add_on`.
    pub total: f64,
}

/// Margin of `quantity` (>= 0) short units of `option`: the premium plus a greek-based stress add-on.
///
/// Per unit, `add_on = max(0, max over dS in {-m S, +m S} of (delta dS + gamma dS^2 / 2) + vega dv)`
/// with `m = stress.spot_move` and `dv = stress.vol_rise`: the delta-gamma-vega approximation of how
/// much the option's value (the seller's loss) rises in the worse of a move down or up with
/// volatility rising. A Deribit-style portfolio margin would revalue on a grid instead; the greek form
/// is cheap enough to run per block and per account.
pub fn short_option_margin(
    option: &BsmInputs,
    quantity: f64,
    stress: &OptionStress,
) -> ShortOptionMargin {
    let value = option.value();
    let greeks = option.greeks();
    let ds = stress.spot_move * option.spot;
    let price_loss = [-ds, ds]
        .iter()
        .map(|&d| greeks.delta * d + 0.5 * greeks.gamma * d * d)
        .fold(f64::NEG_INFINITY, f64::max);
    let add_on = (price_loss + greeks.vega * stress.vol_rise).max(0.0);
    let premium = quantity * value;
    let stress_add_on = quantity * add_on;
    ShortOptionMargin {
        premium,
        stress_add_on,
        total: premium + stress_add_on,
    }
}

// ---------------------------------------------------------------------------
// Delta-hedging market maker
// ---------------------------------------------------------------------------

/// One line of an option book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionHolding {
    pub kind: OptionKind,
    pub strike: f64,
    /// Expiry, in years on the same clock as `now` in [`DeltaHedger`]'s methods.
    pub expiry: f64,
    /// Implied volatility the desk marks this line at.
    pub volatility: f64,
    /// Units held: positive long, negative short.
    pub quantity: f64,
}

/// A market maker that keeps its option book delta-neutral with the underlying.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaHedger {
    /// `r`, per year.
    pub rate: f64,
    /// `b`, per year.
    pub carry: f64,
    pub holdings: Vec<OptionHolding>,
    /// Units of the underlying held as the hedge (positive long).
    pub hedge: f64,
    /// The desk trades only when its net delta is beyond this band (units of the underlying).
    pub rebalance_band: f64,
}

impl DeltaHedger {
    fn inputs(&self, holding: &OptionHolding, spot: f64, now: f64) -> BsmInputs {
        BsmInputs {
            kind: holding.kind,
            spot,
            strike: holding.strike,
            time_to_expiry: holding.expiry - now,
            rate: self.rate,
            carry: self.carry,
            volatility: holding.volatility,
        }
    }

    /// The options' delta: `sum(quantity * delta)`, units of the underlying.
    pub fn options_delta(&self, spot: f64, now: f64) -> f64 {
        self.holdings
            .iter()
            .map(|h| h.quantity * self.inputs(h, spot, now).greeks().delta)
            .sum()
    }

    /// The options' gamma: `sum(quantity * gamma)`; negative for a desk that is short options.
    pub fn options_gamma(&self, spot: f64, now: f64) -> f64 {
        self.holdings
            .iter()
            .map(|h| h.quantity * self.inputs(h, spot, now).greeks().gamma)
            .sum()
    }

    /// Net delta of options plus hedge.
    pub fn net_delta(&self, spot: f64, now: f64) -> f64 {
        self.options_delta(spot, now) + self.hedge
    }

    /// The trade in the underlying that brings the net delta to zero (positive: buy, negative:
    /// sell), or 0 while `|net delta| <= rebalance_band`. Short gamma (short options), the desk's
    /// delta rises as the price falls, so the trade is a sale into the fall; long gamma, a purchase.
    pub fn hedge_trade(&self, spot: f64, now: f64) -> f64 {
        let net = self.net_delta(spot, now);
        if net.abs() <= self.rebalance_band {
            0.0
        } else {
            -net
        }
    }

    /// Applies [`DeltaHedger::hedge_trade`] to the hedge and returns it (the flow to send to a venue).
    pub fn rebalance(&mut self, spot: f64, now: f64) -> f64 {
        let trade = self.hedge_trade(spot, now);
        self.hedge += trade;
        trade
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_norm_cdf_symmetry_and_tails() {
        assert_eq!(norm_cdf(0.0), 0.5);
        for x in [0.1, 0.7, 1.5, 2.9, 3.1, 6.0] {
            assert!((norm_cdf(x) + norm_cdf(-x) - 1.0).abs() < 1e-15);
        }
        assert_eq!(norm_cdf(-40.0), 0.0);
        assert_eq!(norm_cdf(40.0), 1.0);
        assert!(norm_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn test_norm_inv_round_trips() {
        for p in [1e-10, 0.001, 0.05, 0.3, 0.5, 0.9, 0.975, 0.999999] {
            assert!(
                (norm_cdf(norm_inv(p)) - p).abs() < 1e-14 * p.max(1e-3),
                "{p}"
            );
        }
        assert!(norm_inv(1.5).is_nan());
        assert_eq!(norm_inv(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn test_expired_option_is_intrinsic() {
        let call = BsmInputs {
            kind: OptionKind::Call,
            spot: 110.0,
            strike: 100.0,
            time_to_expiry: 0.0,
            rate: 0.05,
            carry: 0.05,
            volatility: 0.2,
        };
        assert_eq!(call.value(), 10.0);
        assert_eq!(call.greeks().delta, 1.0);
        let put = BsmInputs {
            kind: OptionKind::Put,
            ..call
        };
        assert_eq!(put.value(), 0.0);
        assert_eq!(put.greeks().delta, 0.0);
        assert_eq!(put.elasticity(), 0.0);
    }
}
