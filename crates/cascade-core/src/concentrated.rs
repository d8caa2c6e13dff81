//! The concentrated-liquidity venue (Uniswap v3) in real numbers.
//!
//! Liquidity providers put liquidity `L` on price ranges `[lower, upper]`. Inside a range the pool
//! is a constant-product curve with virtual reserves `x = L/sqrt(P)` (base) and `y = L*sqrt(P)`
//! (quote); between two adjacent range edges the liquidity in use is the sum of the ranges that
//! cover that segment, and a swap walks the segments one after the other:
//!
//! - selling base (price down) from `sqrt(P)` to `sqrt(Q)` takes `L * (1/sqrt(Q) - 1/sqrt(P))` base
//!   and pays `L * (sqrt(P) - sqrt(Q))` quote;
//! - buying base (price up) takes `L * (sqrt(Q) - sqrt(P))` quote and pays
//!   `L * (1/sqrt(P) - 1/sqrt(Q))` base;
//! - the fee is taken from the input before it reaches the curve and leaves the pool (it goes to
//!   the liquidity providers; unlike Uniswap v2, it does not deepen the curve).
//!
//! Base is the v3 pool's token0 and quote (USD) its token1, so the price is token1 per token0 and
//! selling base is `zeroForOne`. The exact integer reference is
//! [`crate::concentrated_exact::ExactPool`]; the two agree to about 1e-12 relative (see
//! `tests/concentrated_vs_exact.rs` and `docs/venues.md` for the bound).
//!
//! Crossing convention (as the v3 pool's): a range is in use when `lower <= P < upper`; a sale that
//! ends exactly on an edge has crossed it (the segment below is current), a purchase that ends on
//! one has crossed it too (the segment above is current).
//!
//! Where there is no liquidity at all (below the lowest edge or above the highest), a swap without
//! a price limit stops at that edge and returns what it could not sell; a swap with a limit (the
//! arbitrageurs') moves the price to the limit for free, as a v3 pool's price moves through empty
//! ticks.

use crate::venue::{ArbitrageTrade, PurchaseQuote, SaleQuote};

/// `ln(1.0001) / 2` (one tick is a factor 1.0001 in price, sqrt(1.0001) in sqrt price), split so
/// that `n * HALF_LN_TICK_HI` is exact for every `|n| < 2^21`: the high part has 32 significant
/// bits, the low part is the rest of a 60-digit value. Computing `exp(n * ln(1.0001) / 2)` from the
/// rounded constant would be off by `n * 1e-16` relative (1e-14 at the extreme ticks); this keeps
/// every tick's price within about two ulps.
const HALF_LN_TICK_HI: f64 = 4.999750015599602e-05;
const HALF_LN_TICK_LO: f64 = 1.0658145735523681e-14;

/// `sqrt(1.0001)^n` for an integer `n`.
fn sqrt_tick_power(n: i32) -> f64 {
    let n = f64::from(n);
    let high = (n * HALF_LN_TICK_HI).exp();
    high + high * (n * HALF_LN_TICK_LO).exp_m1()
}

fn ln_tick() -> f64 {
    2.0 * (HALF_LN_TICK_HI + HALF_LN_TICK_LO)
}

/// The price at a tick: `1.0001^tick`.
pub fn price_at_tick(tick: i32) -> f64 {
    sqrt_tick_power(2 * tick)
}

/// `sqrt(1.0001^tick)`.
pub fn sqrt_price_at_tick(tick: i32) -> f64 {
    sqrt_tick_power(tick)
}

/// The multiple of `tick_spacing` whose price is nearest to `price` in log terms.
pub fn nearest_usable_tick(price: f64, tick_spacing: i32) -> i32 {
    let ticks = price.ln() / ln_tick() / f64::from(tick_spacing);
    ticks.round() as i32 * tick_spacing
}

/// Liquidity `liquidity` on the price range `[lower_price, upper_price)` (quote per base).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidityRange {
    pub lower_price: f64,
    pub upper_price: f64,
    /// `L = sqrt(x * y)` of the range's curve, in sqrt(base * quote) units.
    pub liquidity: f64,
}

impl LiquidityRange {
    /// The range whose tokens are worth `value` (quote) at `price`.
    pub fn with_value(lower_price: f64, upper_price: f64, price: f64, value: f64) -> Self {
        let unit = LiquidityRange {
            lower_price,
            upper_price,
            liquidity: 1.0,
        };
        LiquidityRange {
            liquidity: value / unit.value_at(price),
            ..unit
        }
    }

    /// Base and quote the range holds at `price`: all base below the range, all quote above it.
    pub fn amounts_at(&self, price: f64) -> (f64, f64) {
        let (a, b) = (self.lower_price.sqrt(), self.upper_price.sqrt());
        let p = price.sqrt().clamp(a, b);
        let base = self.liquidity * (b - p) / (p * b);
        let quote = self.liquidity * (p - a);
        (base, quote)
    }

    /// What the range's tokens are worth at `price`, in quote.
    pub fn value_at(&self, price: f64) -> f64 {
        let (base, quote) = self.amounts_at(price);
        base * price + quote
    }
}

/// A swap's result from the trader's side.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SwapFill {
    /// Input taken, fee included (less than offered when the liquidity ran out or the limit was
    /// reached).
    pub amount_in: f64,
    /// Output paid.
    pub amount_out: f64,
    /// The part of `amount_in` taken as fee.
    pub fee_paid: f64,
}

/// A Uniswap v3 pool in real numbers; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcentratedLiquidityPool {
    sqrt_price: f64,
    /// Distinct range edges as sqrt prices, ascending.
    edges: Vec<f64>,
    /// Liquidity of each segment: segment `i` lies between `edges[i - 1]` and `edges[i]`; the
    /// first (below every edge) and the last (above every edge) hold none.
    segment_liquidity: Vec<f64>,
    /// The segment the price is in.
    segment: usize,
    /// Fee as a fraction of the input (0.003 = 30 bps).
    pub fee: f64,
}

impl ConcentratedLiquidityPool {
    /// A pool at `price` with the given ranges. `None` when the price or a range is not positive
    /// and finite, a range is empty (`lower >= upper`), no range is given, or the fee is outside
    /// `[0, 1)`.
    pub fn new(price: f64, ranges: &[LiquidityRange], fee: f64) -> Option<Self> {
        let bounds: Vec<(f64, f64, f64)> = ranges
            .iter()
            .map(|r| (r.lower_price.sqrt(), r.upper_price.sqrt(), r.liquidity))
            .collect();
        Self::from_sqrt_bounds(price.sqrt(), &bounds, fee)
    }

    /// A pool whose ranges are given by ticks, `(tick_lower, tick_upper, liquidity)`, at sqrt price
    /// `sqrt_price`: the same description as [`crate::concentrated_exact::ExactPool`]'s positions.
    pub fn with_ticks(sqrt_price: f64, positions: &[(i32, i32, f64)], fee: f64) -> Option<Self> {
        let bounds: Vec<(f64, f64, f64)> = positions
            .iter()
            .map(|&(lower, upper, liquidity)| {
                (
                    sqrt_price_at_tick(lower),
                    sqrt_price_at_tick(upper),
                    liquidity,
                )
            })
            .collect();
        Self::from_sqrt_bounds(sqrt_price, &bounds, fee)
    }

    /// From `(sqrt lower, sqrt upper, liquidity)` triples.
    fn from_sqrt_bounds(sqrt_price: f64, bounds: &[(f64, f64, f64)], fee: f64) -> Option<Self> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let valid = positive(sqrt_price)
            && !bounds.is_empty()
            && (0.0..1.0).contains(&fee)
            && bounds
                .iter()
                .all(|&(a, b, l)| positive(a) && positive(b) && a < b && positive(l));
        if !valid {
            return None;
        }
        let mut edges: Vec<f64> = bounds.iter().flat_map(|&(a, b, _)| [a, b]).collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        // Each segment's liquidity summed afresh from the ranges that cover it (a running sum of
        // additions and removals would leave rounding residue in the empty segments).
        let mut segment_liquidity = vec![0.0; edges.len() + 1];
        for (index, window) in edges.windows(2).enumerate() {
            segment_liquidity[index + 1] = bounds
                .iter()
                .filter(|&&(a, b, _)| a <= window[0] && window[1] <= b)
                .map(|&(_, _, l)| l)
                .sum();
        }
        let segment = edges.partition_point(|&edge| edge <= sqrt_price);
        Some(ConcentratedLiquidityPool {
            sqrt_price,
            edges,
            segment_liquidity,
            segment,
            fee,
        })
    }

    /// The marginal price, quote per base.
    pub fn price(&self) -> f64 {
        self.sqrt_price * self.sqrt_price
    }

    pub fn sqrt_price(&self) -> f64 {
        self.sqrt_price
    }

    /// The liquidity in use at the current price.
    pub fn liquidity(&self) -> f64 {
        self.segment_liquidity[self.segment]
    }

    /// The lowest and highest prices at which the pool holds liquidity.
    pub fn price_bounds(&self) -> (f64, f64) {
        let first = self.edges[0];
        let last = self.edges[self.edges.len() - 1];
        (first * first, last * last)
    }

    /// Swaps an exact input, base for quote (`zero_for_one`, price down) or quote for base, until
    /// the input is spent, the price reaches `sqrt_price_limit`, or the liquidity runs out. Pass
    /// `0.0` (down) or `f64::INFINITY` (up) for no limit.
    pub fn swap_exact_in(
        &mut self,
        zero_for_one: bool,
        amount_in: f64,
        sqrt_price_limit: f64,
    ) -> SwapFill {
        let (fill, sqrt_price, segment) = self.simulate(zero_for_one, amount_in, sqrt_price_limit);
        self.sqrt_price = sqrt_price;
        self.segment = segment;
        fill
    }

    /// What [`Self::swap_exact_in`] would do: the fill and the state it would leave.
    fn simulate(&self, zero_for_one: bool, amount_in: f64, limit: f64) -> (SwapFill, f64, usize) {
        let keep = 1.0 - self.fee;
        let offered = amount_in.max(0.0) * keep;
        // Input (fee excluded) still to reach the curve, and what the curve took of it.
        let mut net = offered;
        let mut taken = 0.0;
        let mut out = 0.0;
        let mut sqrt_price = self.sqrt_price;
        let mut segment = self.segment;
        let n_edges = self.edges.len();
        loop {
            let short_of_limit = if zero_for_one {
                sqrt_price > limit
            } else {
                sqrt_price < limit
            };
            if net <= 0.0 || !short_of_limit {
                break;
            }
            // The next edge in the direction of the trade, if any.
            let edge = if zero_for_one {
                segment.checked_sub(1).map(|i| self.edges[i])
            } else {
                (segment < n_edges).then(|| self.edges[segment])
            };
            let Some(edge) = edge else {
                // No liquidity beyond: only a limit moves the price on, for free.
                if limit.is_finite() && limit > 0.0 {
                    sqrt_price = limit;
                }
                break;
            };
            let target = if zero_for_one {
                edge.max(limit)
            } else {
                edge.min(limit)
            };
            let liquidity = self.segment_liquidity[segment];
            // Input needed to reach the target, and the output on the way.
            let (needed, paid) = if zero_for_one {
                let gap = sqrt_price - target;
                (liquidity * gap / (sqrt_price * target), liquidity * gap)
            } else {
                let gap = target - sqrt_price;
                (liquidity * gap, liquidity * gap / (sqrt_price * target))
            };
            if net >= needed {
                net -= needed;
                taken += needed;
                out += paid;
                sqrt_price = target;
                if target == edge {
                    if zero_for_one {
                        segment -= 1;
                    } else {
                        segment += 1;
                    }
                }
            } else {
                // Stops inside the segment; the forms below avoid subtracting close numbers.
                if zero_for_one {
                    let denominator = liquidity + net * sqrt_price;
                    out += liquidity * net * sqrt_price * sqrt_price / denominator;
                    sqrt_price = liquidity * sqrt_price / denominator;
                } else {
                    let next = sqrt_price + net / liquidity;
                    out += net / (sqrt_price * next);
                    sqrt_price = next;
                }
                taken += net;
                net = 0.0;
            }
        }
        // All of the input when it was spent (exactly, whatever the rounding of the sum of the
        // steps), else what the curve took plus its fee; finite even for an unlimited input.
        let amount_in = if net <= 0.0 {
            amount_in.max(0.0)
        } else {
            taken / keep
        };
        let fill = SwapFill {
            amount_in,
            amount_out: out,
            fee_paid: amount_in * self.fee,
        };
        (fill, sqrt_price, segment)
    }

    pub fn quote_sell(&self, base_in: f64) -> SaleQuote {
        let (fill, _, _) = self.simulate(true, base_in, 0.0);
        SaleQuote {
            base_sold: fill.amount_in,
            quote_received: fill.amount_out,
        }
    }

    pub fn sell(&mut self, base_in: f64) -> SaleQuote {
        let fill = self.swap_exact_in(true, base_in, 0.0);
        SaleQuote {
            base_sold: fill.amount_in,
            quote_received: fill.amount_out,
        }
    }

    /// Buys base with `quote_in`; returns the fill.
    /// What buying `base_out` (exact output, quote for base, price up) would cost: the smallest
    /// quote input whose exact-input swap pays at least `base_out`, found by bisection on the
    /// monotone input-output curve (to 1e-12 relative), capped at what the pool's liquidity holds.
    pub fn quote_buy(&self, base_out: f64) -> PurchaseQuote {
        let wanted = base_out.max(0.0);
        if wanted == 0.0 {
            return PurchaseQuote::default();
        }
        let out_for = |quote_in: f64| self.simulate(false, quote_in, f64::INFINITY).0;
        // Grow an upper bound until it buys enough or the pool's liquidity runs out.
        let mut high = wanted * self.price().max(f64::MIN_POSITIVE) * 1.01;
        let mut fill = out_for(high);
        let mut rounds = 0;
        while fill.amount_out < wanted && fill.amount_in >= high * (1.0 - 1e-12) && rounds < 200 {
            high *= 2.0;
            fill = out_for(high);
            rounds += 1;
        }
        if fill.amount_out < wanted {
            // The pool holds less than asked: everything there is, for what it costs.
            return PurchaseQuote {
                base_bought: fill.amount_out,
                quote_paid: fill.amount_in,
            };
        }
        let mut low = 0.0;
        for _ in 0..200 {
            if high - low <= high * 1e-12 {
                break;
            }
            let middle = 0.5 * (low + high);
            if out_for(middle).amount_out >= wanted {
                high = middle;
            } else {
                low = middle;
            }
        }
        let fill = out_for(high);
        PurchaseQuote {
            base_bought: fill.amount_out,
            quote_paid: fill.amount_in,
        }
    }

    /// Buys `base_out` (see [`quote_buy`](Self::quote_buy)).
    pub fn buy(&mut self, base_out: f64) -> PurchaseQuote {
        let quote = self.quote_buy(base_out);
        if quote.quote_paid > 0.0 {
            self.swap_exact_in(false, quote.quote_paid, f64::INFINITY);
        }
        quote
    }

    pub fn buy_with_quote(&mut self, quote_in: f64) -> SwapFill {
        self.swap_exact_in(false, quote_in, f64::INFINITY)
    }

    /// Trades the pool toward `reference` until the marginal price, fee included, equals it,
    /// spending at most `budget_usd` (buying) or selling at most `budget_usd / reference` base.
    pub fn arbitrage(&mut self, reference: f64, budget_usd: f64) -> ArbitrageTrade {
        let keep = 1.0 - self.fee;
        let price = self.price();
        if price < reference * keep {
            let fill = self.swap_exact_in(false, budget_usd, (reference * keep).sqrt());
            ArbitrageTrade {
                base_bought: fill.amount_out,
                quote_paid: fill.amount_in,
            }
        } else if price > reference / keep {
            let fill = self.swap_exact_in(true, budget_usd / reference, (reference / keep).sqrt());
            ArbitrageTrade {
                base_bought: -fill.amount_in,
                quote_paid: -fill.amount_out,
            }
        } else {
            ArbitrageTrade::default()
        }
    }
}

/// Ranges of `2 * n_bands` bands of width `band_width` (a fraction of `price`) on each side of
/// `price`: band `k` (from 0, next to the price) covers `[P(1 + k w), P(1 + (k + 1) w)]` above and
/// `[P(1 - (k + 1) w), P(1 - k w)]` below, with liquidity proportional to `decay^k`, the whole
/// worth `value` (quote) at `price`. With `tick_spacing`, every edge is moved to the nearest
/// usable tick. `None` when the bands reach zero (`n_bands * band_width >= 1`) or, once on ticks,
/// a band is empty.
pub fn symmetric_bands(
    price: f64,
    n_bands: u32,
    band_width: f64,
    decay: f64,
    value: f64,
    tick_spacing: Option<i32>,
) -> Option<Vec<LiquidityRange>> {
    if n_bands == 0 || f64::from(n_bands) * band_width >= 1.0 || band_width <= 0.0 {
        return None;
    }
    let snap = |edge: f64| match tick_spacing {
        Some(spacing) => price_at_tick(nearest_usable_tick(edge, spacing)),
        None => edge,
    };
    let mut ranges = Vec::with_capacity(2 * n_bands as usize);
    for band in 0..n_bands {
        let (k, weight) = (f64::from(band), decay.powf(f64::from(band)));
        let below = (
            snap(price * (1.0 - (k + 1.0) * band_width)),
            snap(price * (1.0 - k * band_width)),
        );
        let above = (
            snap(price * (1.0 + k * band_width)),
            snap(price * (1.0 + (k + 1.0) * band_width)),
        );
        for (lower, upper) in [below, above] {
            if lower >= upper {
                return None;
            }
            ranges.push(LiquidityRange {
                lower_price: lower,
                upper_price: upper,
                liquidity: weight,
            });
        }
    }
    let unit_value: f64 = ranges.iter().map(|r| r.value_at(price)).sum();
    for range in &mut ranges {
        range.liquidity *= value / unit_value;
    }
    Some(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::ConstantProductPool;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1e-300)
    }

    /// One range holding all liquidity around the price, as wide as the test needs.
    fn one_range(
        lower: f64,
        upper: f64,
        liquidity: f64,
        price: f64,
        fee: f64,
    ) -> ConcentratedLiquidityPool {
        let range = LiquidityRange {
            lower_price: lower,
            upper_price: upper,
            liquidity,
        };
        ConcentratedLiquidityPool::new(price, &[range], fee).unwrap()
    }

    #[test]
    fn test_inside_a_range_it_is_a_constant_product_pool() {
        // L = 10,000 at price 100: virtual reserves x = L/10 = 1000 base, y = L*10 = 100,000 quote;
        // a v2 pool with those reserves pays the same for any sale that stays in the range.
        let mut pool = one_range(25.0, 400.0, 10_000.0, 100.0, 0.003);
        let v2 = ConstantProductPool {
            reserve_base: 1000.0,
            reserve_quote: 100_000.0,
            fee: 0.003,
        };
        for amount in [0.001, 1.0, 50.0, 500.0] {
            let a = pool.quote_sell(amount);
            let b = v2.quote_sell(amount);
            assert_eq!(a.base_sold, amount);
            assert!(
                close(a.quote_received, b.quote_received, 1e-12),
                "{a:?} {b:?}"
            );
        }
        // Unlike v2, the fee leaves the curve: after sales the price is (L / (x + 0.997 * sold))^2.
        for amount in [0.001, 1.0, 50.0, 500.0] {
            pool.sell(amount);
        }
        let x: f64 = 1000.0 + 0.997 * (0.001 + 1.0 + 50.0 + 500.0);
        assert!(close(pool.price(), (10_000.0 / x).powi(2), 1e-12));
    }

    #[test]
    fn test_sale_runs_out_at_the_lowest_edge() {
        // L = 1000 from price 81 to 121, price 100 (sqrt 9..11, at 10). Base to the bottom, no fee:
        // L * (1/9 - 1/10) = 1000/90 = 11.11..; quote out L * (10 - 9) = 1000.
        let mut pool = one_range(81.0, 121.0, 1000.0, 100.0, 0.0);
        let sale = pool.sell(50.0);
        assert!(close(sale.base_sold, 1000.0 / 90.0, 1e-12));
        assert!(close(sale.quote_received, 1000.0, 1e-12));
        assert!(close(pool.price(), 81.0, 1e-12));
        assert_eq!(pool.liquidity(), 0.0);
        // Nothing more can be sold; a limit (arbitrage) moves the empty pool's price for free.
        assert_eq!(pool.quote_sell(1.0).base_sold, 0.0);
        let trade = pool.arbitrage(64.0, 1e9);
        assert_eq!(trade, ArbitrageTrade::default());
        assert!(close(pool.price(), 64.0, 1e-12));
        // Buying back first crosses the empty stretch for free, then pays for the range:
        // from sqrt 9 to sqrt 10 costs L * (10 - 9) = 1000 quote for 1000/90 base.
        let trade = pool.arbitrage(100.0, 1e9);
        assert!(close(trade.quote_paid, 1000.0, 1e-12));
        assert!(close(trade.base_bought, 1000.0 / 90.0, 1e-12));
        assert!(close(pool.price(), 100.0, 1e-12));
    }

    #[test]
    fn test_crossing_two_ranges_by_hand() {
        // Ranges: [64, 144] with L = 1000 and [81, 121] with L = 1000: L = 2000 on sqrt 9..11,
        // 1000 on sqrt 8..9 and 11..12. Price 100 (sqrt 10), no fee. Sell 20 base:
        // to sqrt 9: 2000 * (1/9 - 1/10) = 22.22 > 20, so it stops inside: 1/sqrt(Q) = 1/10 + 20/2000
        // = 0.11, sqrt(Q) = 9.0909..., quote out = 2000 * (10 - 9.0909...) = 1818.18...
        let ranges = [
            LiquidityRange {
                lower_price: 64.0,
                upper_price: 144.0,
                liquidity: 1000.0,
            },
            LiquidityRange {
                lower_price: 81.0,
                upper_price: 121.0,
                liquidity: 1000.0,
            },
        ];
        let pool = ConcentratedLiquidityPool::new(100.0, &ranges, 0.0).unwrap();
        let quote = pool.quote_sell(20.0);
        assert!(close(
            quote.quote_received,
            2000.0 * (10.0 - 1.0 / 0.11),
            1e-12
        ));
        // Sell 30: 22.22 to sqrt 9 (quote 2000), then 7.77 at L = 1000: 1/sqrt(Q) = 1/9 + 7.77/1000
        // = 0.118888..., sqrt(Q) = 8.4112..., quote 1000 * (9 - 8.4112...).
        let mut pool = pool;
        let sale = pool.sell(30.0);
        let rest = 30.0 - 2000.0 / 90.0;
        let sqrt_q = 1.0 / (1.0 / 9.0 + rest / 1000.0);
        assert!(close(
            sale.quote_received,
            2000.0 + 1000.0 * (9.0 - sqrt_q),
            1e-12
        ));
        assert!(close(pool.sqrt_price(), sqrt_q, 1e-12));
        assert_eq!(pool.liquidity(), 1000.0);
        assert_eq!(pool.price_bounds(), (64.0, 144.0));
    }

    #[test]
    fn test_arbitrage_stops_at_the_fee_band_and_respects_the_budget() {
        let mut pool = one_range(1000.0, 4000.0, 50_000.0, 2000.0, 0.003);
        let trade = pool.arbitrage(2100.0, f64::INFINITY);
        assert!(trade.base_bought > 0.0);
        assert!(close(pool.price(), 2100.0 * 0.997, 1e-12));
        // Within the fee band, nothing to do.
        assert_eq!(
            pool.arbitrage(2100.0 * 0.999, f64::INFINITY),
            ArbitrageTrade::default()
        );
        let mut pool = one_range(1000.0, 4000.0, 50_000.0, 2000.0, 0.003);
        let trade = pool.arbitrage(1500.0, 10_000.0);
        assert!(close(-trade.base_bought, 10_000.0 / 1500.0, 1e-12));
        assert!(pool.price() > 1500.0 / 0.997);
    }

    #[test]
    fn test_range_value_by_hand() {
        // L = 1000 on [81, 121] at 100: base L*(1/10 - 1/11) = 9.0909, quote L*(10 - 9) = 1000;
        // worth 9.0909*100 + 1000 = 1909.09.
        let range = LiquidityRange {
            lower_price: 81.0,
            upper_price: 121.0,
            liquidity: 1000.0,
        };
        let (base, quote) = range.amounts_at(100.0);
        assert!(close(base, 1000.0 / 110.0, 1e-12));
        assert!(close(quote, 1000.0, 1e-12));
        let again = LiquidityRange::with_value(81.0, 121.0, 100.0, range.value_at(100.0));
        assert!(close(again.liquidity, 1000.0, 1e-12));
        // Below the range all base, above all quote.
        assert_eq!(range.amounts_at(50.0).1, 0.0);
        assert_eq!(range.amounts_at(200.0).0, 0.0);
    }

    #[test]
    fn test_bands_are_symmetric_and_worth_the_value() {
        let ranges = symmetric_bands(2000.0, 5, 0.01, 0.8, 1e6, None).unwrap();
        assert_eq!(ranges.len(), 10);
        let total: f64 = ranges.iter().map(|r| r.value_at(2000.0)).sum();
        assert!(close(total, 1e6, 1e-12));
        assert!(close(ranges[0].lower_price, 1980.0, 1e-15));
        assert!(close(ranges[9].upper_price, 2100.0, 1e-15));
        assert!(close(ranges[2].liquidity / ranges[0].liquidity, 0.8, 1e-12));
        // On ticks of spacing 60 (0.6%), bands of 0.1% collapse.
        assert!(symmetric_bands(2000.0, 5, 0.001, 1.0, 1e6, Some(60)).is_none());
        let snapped = symmetric_bands(2000.0, 5, 0.01, 1.0, 1e6, Some(10)).unwrap();
        let tick = nearest_usable_tick(snapped[3].upper_price, 10);
        assert!(close(snapped[3].upper_price, price_at_tick(tick), 1e-15));
        assert!(symmetric_bands(2000.0, 100, 0.01, 1.0, 1e6, None).is_none());
    }

    #[test]
    fn test_tick_prices() {
        assert_eq!(price_at_tick(0), 1.0);
        assert!(close(price_at_tick(1), 1.0001, 1e-15));
        assert!(close(sqrt_price_at_tick(-6932), 0.5f64.sqrt(), 1e-4));
        assert_eq!(nearest_usable_tick(1.0001_f64.powi(125), 60), 120);
        assert_eq!(nearest_usable_tick(1.0001_f64.powi(-125), 60), -120);
    }
}
