//! Venues: where seized collateral is sold and where arbitrageurs trade. Every venue trades one
//! asset (the base) against the quote currency (USD stablecoins, taken at $1).
//!
//! Three liquidity models:
//! - [`ConstantProductPool`]: Uniswap v2 math, `out = in*(1-fee)*R_out / (R_in + in*(1-fee))`, with the
//!   fee kept in the pool.
//! - [`ConcentratedLiquidityPool`]: Uniswap v3, liquidity on price ranges (its own module,
//!   [`crate::concentrated`]).
//! - [`OrderBook`]: a depth profile (base quantity available within a relative distance of the mid)
//!   whose shape follows the mid: a sale walks the bids from the mid down, and the mid moves to where
//!   the walk stopped. Between two given levels the depth is spread evenly in price, so the walk is
//!   continuous and exact (no rounding to levels).

pub use crate::concentrated::ConcentratedLiquidityPool;

/// What a sale into a venue gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaleQuote {
    /// Base units actually sold (less than asked only when an order book's bids or a concentrated
    /// pool's ranges run out).
    pub base_sold: f64,
    /// Quote (USD) received, after the venue's fee.
    pub quote_received: f64,
}

/// What a purchase from a venue costs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PurchaseQuote {
    /// Base units actually bought (less than asked when the venue runs out).
    pub base_bought: f64,
    /// Quote (USD) paid, fee included.
    pub quote_paid: f64,
}

/// One arbitrage trade of a block, from the arbitrageur's side.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ArbitrageTrade {
    /// Base units the arbitrageur bought from the venue (negative: sold to the venue).
    pub base_bought: f64,
    /// Quote (USD) the arbitrageur paid (negative: received).
    pub quote_paid: f64,
}

/// A constant-product pool (Uniswap v2).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantProductPool {
    pub reserve_base: f64,
    pub reserve_quote: f64,
    /// Fee as a fraction of the input (0.003 = 30 bps).
    pub fee: f64,
}

impl ConstantProductPool {
    /// A pool holding `liquidity_usd` in total, half in each token, at `price`.
    pub fn with_liquidity(price: f64, liquidity_usd: f64, fee: f64) -> Self {
        ConstantProductPool {
            reserve_base: liquidity_usd / 2.0 / price,
            reserve_quote: liquidity_usd / 2.0,
            fee,
        }
    }

    /// Uniswap v2 `getAmountOut` in real numbers.
    pub fn amount_out(amount_in: f64, reserve_in: f64, reserve_out: f64, fee: f64) -> f64 {
        let effective_in = amount_in * (1.0 - fee);
        effective_in * reserve_out / (reserve_in + effective_in)
    }

    pub fn price(&self) -> f64 {
        self.reserve_quote / self.reserve_base
    }

    pub fn quote_sell(&self, base_in: f64) -> SaleQuote {
        SaleQuote {
            base_sold: base_in,
            quote_received: Self::amount_out(
                base_in,
                self.reserve_base,
                self.reserve_quote,
                self.fee,
            ),
        }
    }

    pub fn sell(&mut self, base_in: f64) -> SaleQuote {
        let quote = self.quote_sell(base_in);
        self.reserve_base += base_in;
        self.reserve_quote -= quote.quote_received;
        quote
    }

    /// What buying `base_out` costs (Uniswap v2 `getAmountIn` in real numbers); at most 99.99% of the
    /// pool's base reserve can be bought.
    pub fn quote_buy(&self, base_out: f64) -> PurchaseQuote {
        let out = base_out.max(0.0).min(self.reserve_base * 0.9999);
        let quote_in = self.reserve_quote * out / ((self.reserve_base - out) * (1.0 - self.fee));
        PurchaseQuote {
            base_bought: out,
            quote_paid: quote_in,
        }
    }

    /// Buys `base_out` (see [`quote_buy`](Self::quote_buy)).
    pub fn buy(&mut self, base_out: f64) -> PurchaseQuote {
        let quote = self.quote_buy(base_out);
        self.reserve_quote += quote.quote_paid;
        self.reserve_base -= quote.base_bought;
        quote
    }

    /// Buys base with `quote_in`; returns the base received.
    pub fn buy_with_quote(&mut self, quote_in: f64) -> f64 {
        let base_out = Self::amount_out(quote_in, self.reserve_quote, self.reserve_base, self.fee);
        self.reserve_quote += quote_in;
        self.reserve_base -= base_out;
        base_out
    }

    /// Trades the pool toward `reference` until the marginal price, fee included, equals it, spending
    /// at most `budget_usd`.
    pub fn arbitrage(&mut self, reference: f64, budget_usd: f64) -> ArbitrageTrade {
        let invariant = self.reserve_base * self.reserve_quote;
        let price = self.price();
        let keep = 1.0 - self.fee;
        if price < reference * keep {
            // Buy base: the pool's quote reserve (fee-free part) must reach sqrt(k * target).
            let target = reference * keep;
            let effective_in = (invariant * target).sqrt() - self.reserve_quote;
            let quote_in = (effective_in / keep).min(budget_usd);
            if quote_in <= 0.0 {
                return ArbitrageTrade::default();
            }
            let base_out = self.buy_with_quote(quote_in);
            ArbitrageTrade {
                base_bought: base_out,
                quote_paid: quote_in,
            }
        } else if price > reference / keep {
            let target = reference / keep;
            let effective_in = (invariant / target).sqrt() - self.reserve_base;
            let base_in = (effective_in / keep).min(budget_usd / reference);
            if base_in <= 0.0 {
                return ArbitrageTrade::default();
            }
            let sale = self.sell(base_in);
            ArbitrageTrade {
                base_bought: -base_in,
                quote_paid: -sale.quote_received,
            }
        } else {
            ArbitrageTrade::default()
        }
    }
}

/// One side of an order book: cumulative base quantity available within a relative distance of the
/// mid, piecewise linear between the given points (and zero at distance zero).
#[derive(Debug, Clone, PartialEq)]
pub struct DepthLadder {
    /// Relative distances from the mid, strictly increasing, each in (0, 1).
    offsets: Vec<f64>,
    /// Cumulative base quantity up to each offset, strictly increasing.
    cumulative: Vec<f64>,
}

impl DepthLadder {
    /// Builds a ladder from (offset, size at that level) pairs sorted by offset. Returns `None` when
    /// the levels are empty, unsorted, outside (0, 1) or have a size that is not positive.
    pub fn from_levels(levels: &[(f64, f64)]) -> Option<Self> {
        if levels.is_empty() {
            return None;
        }
        let mut offsets = Vec::with_capacity(levels.len());
        let mut cumulative = Vec::with_capacity(levels.len());
        let mut total = 0.0;
        let mut previous_offset = 0.0;
        for &(offset, size) in levels {
            let valid = offset.is_finite() && size.is_finite();
            if !valid || offset <= previous_offset || offset >= 1.0 || size <= 0.0 {
                return None;
            }
            total += size;
            offsets.push(offset);
            cumulative.push(total);
            previous_offset = offset;
        }
        Some(DepthLadder {
            offsets,
            cumulative,
        })
    }

    /// A ladder whose USD depth within distance `x` of a mid at `price` is
    /// `depth_2pct_usd * (x / 0.02)^exponent`, sampled every `spacing` for `n_levels` levels.
    pub fn from_curve(
        price: f64,
        depth_2pct_usd: f64,
        spacing: f64,
        n_levels: usize,
        exponent: f64,
    ) -> Option<Self> {
        let cumulative_base = |x: f64| depth_2pct_usd * (x / 0.02).powf(exponent) / price;
        let mut levels = Vec::with_capacity(n_levels);
        let mut previous = 0.0;
        for level in 1..=n_levels {
            let offset = spacing * level as f64;
            if offset >= 1.0 {
                break;
            }
            let cumulative = cumulative_base(offset);
            levels.push((offset, cumulative - previous));
            previous = cumulative;
        }
        Self::from_levels(&levels)
    }

    /// Total base quantity on this side.
    pub fn total(&self) -> f64 {
        *self
            .cumulative
            .last()
            .expect("a ladder has at least one level")
    }

    /// Deepest relative distance on this side.
    pub fn max_offset(&self) -> f64 {
        *self
            .offsets
            .last()
            .expect("a ladder has at least one level")
    }

    fn segment(&self, index: usize) -> (f64, f64, f64, f64) {
        let (x0, q0) = if index == 0 {
            (0.0, 0.0)
        } else {
            (self.offsets[index - 1], self.cumulative[index - 1])
        };
        (x0, q0, self.offsets[index], self.cumulative[index])
    }

    /// Walks `quantity` base units from the mid. `side` is -1 for bids (prices `mid*(1-x)`) and +1 for
    /// asks (`mid*(1+x)`). Returns (quantity walked, distance reached, sum of quantity*price/mid).
    fn walk_quantity(&self, quantity: f64, side: f64) -> (f64, f64, f64) {
        let mut value = 0.0;
        for index in 0..self.offsets.len() {
            let (x0, q0, x1, q1) = self.segment(index);
            if quantity <= q1 {
                let x = x0 + (quantity - q0) / (q1 - q0) * (x1 - x0);
                value += (quantity - q0) * (1.0 + side * (x0 + x) / 2.0);
                return (quantity, x, value);
            }
            value += (q1 - q0) * (1.0 + side * (x0 + x1) / 2.0);
        }
        (self.total(), self.max_offset(), value)
    }

    /// Walks to distance `target` (clamped to the ladder). Same returns as `walk_quantity`.
    fn walk_to_offset(&self, target: f64, side: f64) -> (f64, f64, f64) {
        let mut value = 0.0;
        for index in 0..self.offsets.len() {
            let (x0, q0, x1, q1) = self.segment(index);
            if target <= x1 {
                let quantity = q0 + (target - x0) / (x1 - x0) * (q1 - q0);
                value += (quantity - q0) * (1.0 + side * (x0 + target) / 2.0);
                return (quantity, target, value);
            }
            value += (q1 - q0) * (1.0 + side * (x0 + x1) / 2.0);
        }
        (self.total(), self.max_offset(), value)
    }

    /// Walks the asks until `value` (sum of quantity*price/mid) is spent. Same returns.
    fn walk_ask_value(&self, budget: f64) -> (f64, f64, f64) {
        let mut value = 0.0;
        for index in 0..self.offsets.len() {
            let (x0, q0, x1, q1) = self.segment(index);
            let segment_value = (q1 - q0) * (1.0 + (x0 + x1) / 2.0);
            if value + segment_value >= budget {
                // On this segment quantity grows at density rho; the value from x0 to x is
                // rho*((x-x0) + (x^2-x0^2)/2), so x = sqrt((1+x0)^2 + 2*c/rho) - 1.
                let density = (q1 - q0) / (x1 - x0);
                let remaining = budget - value;
                let x =
                    (((1.0 + x0) * (1.0 + x0) + 2.0 * remaining / density).sqrt() - 1.0).min(x1);
                let quantity = q0 + density * (x - x0);
                return (quantity, x, budget);
            }
            value += segment_value;
        }
        (self.total(), self.max_offset(), value)
    }
}

/// An order book whose depth profile follows its mid.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBook {
    pub mid: f64,
    pub bids: DepthLadder,
    pub asks: DepthLadder,
    /// Taker fee as a fraction of the traded value.
    pub taker_fee: f64,
}

impl OrderBook {
    pub fn price(&self) -> f64 {
        self.mid
    }

    pub fn quote_sell(&self, base_in: f64) -> SaleQuote {
        let (base_sold, _, value) = self.bids.walk_quantity(base_in, -1.0);
        SaleQuote {
            base_sold,
            quote_received: value * self.mid * (1.0 - self.taker_fee),
        }
    }

    pub fn sell(&mut self, base_in: f64) -> SaleQuote {
        let (base_sold, offset, value) = self.bids.walk_quantity(base_in, -1.0);
        let quote = SaleQuote {
            base_sold,
            quote_received: value * self.mid * (1.0 - self.taker_fee),
        };
        self.mid *= 1.0 - offset;
        quote
    }

    pub fn quote_buy(&self, base_out: f64) -> PurchaseQuote {
        let (base_bought, _, value) = self.asks.walk_quantity(base_out.max(0.0), 1.0);
        PurchaseQuote {
            base_bought,
            quote_paid: value * self.mid * (1.0 + self.taker_fee),
        }
    }

    /// Buys `base_out` by walking the asks up; the mid moves to where the walk stopped.
    pub fn buy(&mut self, base_out: f64) -> PurchaseQuote {
        let (base_bought, offset, value) = self.asks.walk_quantity(base_out.max(0.0), 1.0);
        let quote = PurchaseQuote {
            base_bought,
            quote_paid: value * self.mid * (1.0 + self.taker_fee),
        };
        self.mid *= 1.0 + offset;
        quote
    }

    /// Trades toward `reference` until the marginal price, fee included, equals it, spending at most
    /// `budget_usd`.
    pub fn arbitrage(&mut self, reference: f64, budget_usd: f64) -> ArbitrageTrade {
        let fee = self.taker_fee;
        if self.mid * (1.0 + fee) < reference {
            let target = (reference / (self.mid * (1.0 + fee)) - 1.0).min(self.asks.max_offset());
            let (mut quantity, mut offset, mut value) = self.asks.walk_to_offset(target, 1.0);
            let mut cost = value * self.mid * (1.0 + fee);
            if cost > budget_usd {
                (quantity, offset, value) = self
                    .asks
                    .walk_ask_value(budget_usd / (self.mid * (1.0 + fee)));
                cost = value * self.mid * (1.0 + fee);
            }
            self.mid *= 1.0 + offset;
            ArbitrageTrade {
                base_bought: quantity,
                quote_paid: cost,
            }
        } else if self.mid * (1.0 - fee) > reference {
            let target = (1.0 - reference / (self.mid * (1.0 - fee))).min(self.bids.max_offset());
            let (mut quantity, _, _) = self.bids.walk_to_offset(target, -1.0);
            // Selling is limited by the capital it ties up, valued at the reference price.
            quantity = quantity.min(budget_usd / reference);
            let sale = self.sell(quantity);
            ArbitrageTrade {
                base_bought: -sale.base_sold,
                quote_paid: -sale.quote_received,
            }
        } else {
            ArbitrageTrade::default()
        }
    }
}

/// A venue of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Venue {
    ConstantProduct(ConstantProductPool),
    OrderBook(OrderBook),
    Concentrated(ConcentratedLiquidityPool),
}

impl Venue {
    /// The venue's current marginal (mid) price.
    pub fn price(&self) -> f64 {
        match self {
            Venue::ConstantProduct(pool) => pool.price(),
            Venue::OrderBook(book) => book.price(),
            Venue::Concentrated(pool) => pool.price(),
        }
    }

    /// What selling `base_in` would give, without trading.
    pub fn quote_sell(&self, base_in: f64) -> SaleQuote {
        match self {
            Venue::ConstantProduct(pool) => pool.quote_sell(base_in),
            Venue::OrderBook(book) => book.quote_sell(base_in),
            Venue::Concentrated(pool) => pool.quote_sell(base_in),
        }
    }

    /// Sells `base_in` into the venue.
    pub fn sell(&mut self, base_in: f64) -> SaleQuote {
        match self {
            Venue::ConstantProduct(pool) => pool.sell(base_in),
            Venue::OrderBook(book) => book.sell(base_in),
            Venue::Concentrated(pool) => pool.sell(base_in),
        }
    }

    /// What buying `base_out` would cost, without trading.
    pub fn quote_buy(&self, base_out: f64) -> PurchaseQuote {
        match self {
            Venue::ConstantProduct(pool) => pool.quote_buy(base_out),
            Venue::OrderBook(book) => book.quote_buy(base_out),
            Venue::Concentrated(pool) => pool.quote_buy(base_out),
        }
    }

    /// Buys `base_out` from the venue.
    pub fn buy(&mut self, base_out: f64) -> PurchaseQuote {
        match self {
            Venue::ConstantProduct(pool) => pool.buy(base_out),
            Venue::OrderBook(book) => book.buy(base_out),
            Venue::Concentrated(pool) => pool.buy(base_out),
        }
    }

    /// Moves the venue toward `reference` with at most `budget_usd` of capital.
    pub fn arbitrage(&mut self, reference: f64, budget_usd: f64) -> ArbitrageTrade {
        match self {
            Venue::ConstantProduct(pool) => pool.arbitrage(reference, budget_usd),
            Venue::OrderBook(book) => book.arbitrage(reference, budget_usd),
            Venue::Concentrated(pool) => pool.arbitrage(reference, budget_usd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn test_constant_product_sale_keeps_the_fee_in_the_pool() {
        // 1 ETH into 100 ETH / 200,000 USDC at 0.3%: 0.997*200000/(100.997) = 1974.3160687...
        let mut pool = ConstantProductPool {
            reserve_base: 100.0,
            reserve_quote: 200_000.0,
            fee: 0.003,
        };
        let sale = pool.sell(1.0);
        assert!(close(
            sale.quote_received,
            0.997 * 200_000.0 / 100.997,
            1e-12
        ));
        assert!(pool.reserve_base * pool.reserve_quote > 100.0 * 200_000.0);
    }

    #[test]
    fn test_constant_product_arbitrage_stops_at_the_fee_band() {
        let mut pool = ConstantProductPool::with_liquidity(1500.0, 3_000_000.0, 0.003);
        let trade = pool.arbitrage(2000.0, f64::INFINITY);
        assert!(trade.base_bought > 0.0);
        // The marginal buy price after the trade, P/(1-fee), is the reference (fee accrual into the
        // reserves moves P slightly above the fee-free target, so allow 0.3%).
        let marginal = pool.price() / 0.997;
        assert!(close(marginal, 2000.0, 3e-3), "{marginal}");
        // A second arbitrage finds nothing to do.
        let again = pool.arbitrage(2000.0 * 0.999, f64::INFINITY);
        assert_eq!(again, ArbitrageTrade::default());
    }

    #[test]
    fn test_constant_product_arbitrage_respects_the_budget() {
        let mut pool = ConstantProductPool::with_liquidity(1500.0, 3_000_000.0, 0.003);
        let trade = pool.arbitrage(2000.0, 10_000.0);
        assert!(close(trade.quote_paid, 10_000.0, 1e-12));
        assert!(pool.price() < 1600.0);
    }

    #[test]
    fn test_order_book_walk_by_hand() {
        // Bids: 10 units within 1%, 10 more between 1% and 3%. Mid 100, no fee.
        // Selling 15: the first 10 average 99.5 (uniform over 100..99), the next 5 fill 1%..2%
        // averaging 98.5: proceeds 995 + 492.5 = 1487.5; the mid moves to 98.
        let ladder = DepthLadder::from_levels(&[(0.01, 10.0), (0.03, 10.0)]).unwrap();
        let mut book = OrderBook {
            mid: 100.0,
            bids: ladder.clone(),
            asks: ladder,
            taker_fee: 0.0,
        };
        let sale = book.sell(15.0);
        assert!(close(sale.quote_received, 1487.5, 1e-12));
        assert!(close(book.mid, 98.0, 1e-12));
        // The bids run out after 20 units: a sale of 50 sells 20 and moves the mid 3%.
        let quote = book.quote_sell(50.0);
        assert_eq!(quote.base_sold, 20.0);
    }

    #[test]
    fn test_order_book_arbitrage_buys_back_to_reference() {
        // Asks: 10 units within 1%, mid 99, reference 99.99 = 99*(1+0.01): the arbitrage takes the whole
        // first segment, paying 10 * 99 * 1.005 = 994.95.
        let ladder = DepthLadder::from_levels(&[(0.01, 10.0), (0.03, 10.0)]).unwrap();
        let mut book = OrderBook {
            mid: 99.0,
            bids: ladder.clone(),
            asks: ladder,
            taker_fee: 0.0,
        };
        let trade = book.arbitrage(99.99, f64::INFINITY);
        assert!(close(trade.base_bought, 10.0, 1e-9));
        assert!(close(trade.quote_paid, 994.95, 1e-9));
        assert!(close(book.mid, 99.99, 1e-12));
    }

    #[test]
    fn test_order_book_arbitrage_budget_solves_the_quadratic() {
        // rho = 10 units / 0.01 = 1000 units per unit distance; spending c moves the mid to x with
        // c = rho*99*(x + x^2/2). For x = 0.005: c = 99,000 * 0.0050125 = 496.2375, buying 5 units.
        let ladder = DepthLadder::from_levels(&[(0.01, 10.0)]).unwrap();
        let mut book = OrderBook {
            mid: 99.0,
            bids: ladder.clone(),
            asks: ladder,
            taker_fee: 0.0,
        };
        let trade = book.arbitrage(200.0, 496.2375);
        assert!(close(trade.quote_paid, 496.2375, 1e-9));
        assert!(close(trade.base_bought, 5.0, 1e-9));
        assert!(close(book.mid, 99.0 * 1.005, 1e-12));
    }

    #[test]
    fn test_depth_curve_has_the_stated_depth_at_two_percent() {
        let ladder = DepthLadder::from_curve(2000.0, 10_000_000.0, 0.001, 100, 1.0).unwrap();
        let (quantity, _, _) = ladder.walk_to_offset(0.02, -1.0);
        assert!(close(quantity * 2000.0, 10_000_000.0, 1e-9));
    }

    #[test]
    fn test_ladder_rejects_bad_levels() {
        assert!(DepthLadder::from_levels(&[]).is_none());
        assert!(DepthLadder::from_levels(&[(0.02, 1.0), (0.01, 1.0)]).is_none());
        assert!(DepthLadder::from_levels(&[(0.01, -1.0)]).is_none());
        assert!(DepthLadder::from_levels(&[(0.01, f64::NAN)]).is_none());
    }
}
