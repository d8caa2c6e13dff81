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
//!   continuous and exact (no rounding to levels). With [`DepthDynamics`] the quantity on each side
//!   is scaled: it thins as the mid falls below where it started and as the mid's volatility rises,
//!   trades consume it, and what they consumed refills at a resilience rate (SPEC 1.2, "liquidity
//!   depth variance"; `docs/microstructure.md`).

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

/// How an order book's depth varies with price, stress and its own trades. Every quantity is a
/// fraction of the book's nominal depth (its ladders as given).
///
/// Each block the book's environment factor is
/// `env = min(1, mid / initial_mid)^price_elasticity / (1 + stress_sensitivity * volatility)`, where
/// `volatility` is an exponentially weighted mean of `|ln(mid_t / mid_(t-1))|` per block with
/// half-life `volatility_half_life_blocks`. A trade that takes `q` base units from a side consumes
/// `q / nominal total` of it; consumption decays by half every `resilience_half_life_blocks` (the
/// book refilling). A side's scale is `max(floor, env - consumed)`: its ladder quantities are
/// multiplied by it, so the same sale walks deeper into a thinner book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthDynamics {
    /// Exponent of the thinning as the mid falls below its initial value (0: none).
    pub price_elasticity: f64,
    /// How strongly volatility thins the book (0: not at all); 100 halves it at 1% a block.
    pub stress_sensitivity: f64,
    /// Half-life of the volatility estimate, in blocks (> 0).
    pub volatility_half_life_blocks: f64,
    /// Half-life of consumed depth, in blocks (0: refills before the next trade, as without dynamics).
    pub resilience_half_life_blocks: f64,
    /// Smallest scale a side keeps, in (0, 1].
    pub floor: f64,
}

impl DepthDynamics {
    /// The defaults `docs/microstructure.md` argues for: depth down to a quarter at half the price,
    /// halved at 1% a block of volatility (5-minute half-life), consumed depth refilling with a
    /// one-minute half-life, never below 5% of nominal.
    pub const DEFAULT: DepthDynamics = DepthDynamics {
        price_elasticity: 2.0,
        stress_sensitivity: 100.0,
        volatility_half_life_blocks: 25.0,
        resilience_half_life_blocks: 5.0,
        floor: 0.05,
    };
}

/// The state of an order book's [`DepthDynamics`].
#[derive(Debug, Clone, PartialEq)]
pub struct DepthState {
    pub model: DepthDynamics,
    initial_mid: f64,
    last_mid: f64,
    /// Exponentially weighted mean of the absolute log change of the mid per block.
    volatility: f64,
    /// Fractions of the nominal depth that trades took and that have not refilled yet.
    consumed_bids: f64,
    consumed_asks: f64,
    /// The environment factor of this block (price and volatility).
    environment: f64,
}

impl DepthState {
    /// The state of a book starting at `mid`, at full depth.
    pub fn new(model: DepthDynamics, mid: f64) -> Self {
        DepthState {
            model,
            initial_mid: mid,
            last_mid: mid,
            volatility: 0.0,
            consumed_bids: 0.0,
            consumed_asks: 0.0,
            environment: 1.0,
        }
    }

    /// Current scale of the bids (fraction of the nominal quantity on offer).
    pub fn bid_scale(&self) -> f64 {
        (self.environment - self.consumed_bids).max(self.model.floor)
    }

    /// Current scale of the asks.
    pub fn ask_scale(&self) -> f64 {
        (self.environment - self.consumed_asks).max(self.model.floor)
    }

    /// The volatility estimate (mean absolute log change of the mid per block).
    pub fn volatility(&self) -> f64 {
        self.volatility
    }

    /// Advances one block: the consumed depth refills, the volatility estimate takes the mid's move
    /// since the last block, and the environment factor is recomputed at `mid`.
    pub fn begin_block(&mut self, mid: f64) {
        let model = self.model;
        let refill = if model.resilience_half_life_blocks > 0.0 {
            0.5_f64.powf(1.0 / model.resilience_half_life_blocks)
        } else {
            0.0
        };
        self.consumed_bids *= refill;
        self.consumed_asks *= refill;
        let weight = 0.5_f64.powf(1.0 / model.volatility_half_life_blocks);
        let change = (mid / self.last_mid).ln().abs();
        self.volatility = weight * self.volatility + (1.0 - weight) * change;
        self.last_mid = mid;
        let price_factor = (mid / self.initial_mid)
            .min(1.0)
            .powf(model.price_elasticity);
        self.environment = price_factor / (1.0 + model.stress_sensitivity * self.volatility);
    }

    /// Records that a trade took `fraction` of one side's nominal depth.
    fn consume(&mut self, side: Side, fraction: f64) {
        if self.model.resilience_half_life_blocks == 0.0 {
            // Refills before the next trade.
            return;
        }
        let consumed = match side {
            Side::Bids => &mut self.consumed_bids,
            Side::Asks => &mut self.consumed_asks,
        };
        *consumed = (*consumed + fraction).min(1.0);
    }

    /// Whether the book is back to the depth it will keep: nothing left to refill and no
    /// volatility left to decay (to within `tolerance` of the scale).
    pub fn is_settled(&self, tolerance: f64) -> bool {
        self.consumed_bids.max(self.consumed_asks) <= tolerance
            && self.model.stress_sensitivity * self.volatility <= tolerance
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Bids,
    Asks,
}

/// An order book whose depth profile follows its mid.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBook {
    pub mid: f64,
    pub bids: DepthLadder,
    pub asks: DepthLadder,
    /// Taker fee as a fraction of the traded value.
    pub taker_fee: f64,
    /// Depth that varies with price, stress and trades; `None`: the ladders as given, always.
    pub depth: Option<DepthState>,
}

impl OrderBook {
    /// A book without depth dynamics.
    pub fn new(mid: f64, bids: DepthLadder, asks: DepthLadder, taker_fee: f64) -> Self {
        OrderBook {
            mid,
            bids,
            asks,
            taker_fee,
            depth: None,
        }
    }

    /// The same book with `dynamics`, starting at full depth.
    pub fn with_dynamics(mut self, dynamics: DepthDynamics) -> Self {
        self.depth = Some(DepthState::new(dynamics, self.mid));
        self
    }

    pub fn price(&self) -> f64 {
        self.mid
    }

    /// Fractions of the nominal bids and asks on offer now (1 without depth dynamics).
    pub fn scales(&self) -> (f64, f64) {
        self.depth
            .as_ref()
            .map_or((1.0, 1.0), |depth| (depth.bid_scale(), depth.ask_scale()))
    }

    /// Starts a block for the depth dynamics (nothing without them).
    pub fn begin_block(&mut self) {
        if let Some(depth) = &mut self.depth {
            depth.begin_block(self.mid);
        }
    }

    fn consume(&mut self, side: Side, nominal_quantity: f64) {
        let total = match side {
            Side::Bids => self.bids.total(),
            Side::Asks => self.asks.total(),
        };
        if let Some(depth) = &mut self.depth {
            depth.consume(side, nominal_quantity / total);
        }
    }

    pub fn quote_sell(&self, base_in: f64) -> SaleQuote {
        let (scale, _) = self.scales();
        let (nominal, _, value) = self.bids.walk_quantity(base_in / scale, -1.0);
        SaleQuote {
            base_sold: nominal * scale,
            quote_received: value * scale * self.mid * (1.0 - self.taker_fee),
        }
    }

    pub fn sell(&mut self, base_in: f64) -> SaleQuote {
        let (scale, _) = self.scales();
        let (nominal, offset, value) = self.bids.walk_quantity(base_in / scale, -1.0);
        let quote = SaleQuote {
            base_sold: nominal * scale,
            quote_received: value * scale * self.mid * (1.0 - self.taker_fee),
        };
        self.mid *= 1.0 - offset;
        self.consume(Side::Bids, nominal * scale);
        quote
    }

    pub fn quote_buy(&self, base_out: f64) -> PurchaseQuote {
        let (_, scale) = self.scales();
        let (nominal, _, value) = self.asks.walk_quantity(base_out.max(0.0) / scale, 1.0);
        PurchaseQuote {
            base_bought: nominal * scale,
            quote_paid: value * scale * self.mid * (1.0 + self.taker_fee),
        }
    }

    /// Buys `base_out` by walking the asks up; the mid moves to where the walk stopped.
    pub fn buy(&mut self, base_out: f64) -> PurchaseQuote {
        let (_, scale) = self.scales();
        let (nominal, offset, value) = self.asks.walk_quantity(base_out.max(0.0) / scale, 1.0);
        let quote = PurchaseQuote {
            base_bought: nominal * scale,
            quote_paid: value * scale * self.mid * (1.0 + self.taker_fee),
        };
        self.mid *= 1.0 + offset;
        self.consume(Side::Asks, nominal * scale);
        quote
    }

    /// Trades toward `reference` until the marginal price, fee included, equals it, spending at most
    /// `budget_usd`.
    pub fn arbitrage(&mut self, reference: f64, budget_usd: f64) -> ArbitrageTrade {
        let fee = self.taker_fee;
        let (bid_scale, ask_scale) = self.scales();
        if self.mid * (1.0 + fee) < reference {
            let target = (reference / (self.mid * (1.0 + fee)) - 1.0).min(self.asks.max_offset());
            let (mut nominal, mut offset, mut value) = self.asks.walk_to_offset(target, 1.0);
            let mut cost = value * ask_scale * self.mid * (1.0 + fee);
            if cost > budget_usd {
                (nominal, offset, value) = self
                    .asks
                    .walk_ask_value(budget_usd / (self.mid * (1.0 + fee)) / ask_scale);
                cost = value * ask_scale * self.mid * (1.0 + fee);
            }
            self.mid *= 1.0 + offset;
            self.consume(Side::Asks, nominal * ask_scale);
            ArbitrageTrade {
                base_bought: nominal * ask_scale,
                quote_paid: cost,
            }
        } else if self.mid * (1.0 - fee) > reference {
            let target = (1.0 - reference / (self.mid * (1.0 - fee))).min(self.bids.max_offset());
            let (nominal, _, _) = self.bids.walk_to_offset(target, -1.0);
            // Selling is limited by the capital it ties up, valued at the reference price.
            let quantity = (nominal * bid_scale).min(budget_usd / reference);
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

    /// Starts a block: an order book's depth dynamics advance (other venues have no state in time).
    pub fn begin_block(&mut self) {
        if let Venue::OrderBook(book) = self {
            book.begin_block();
        }
    }

    /// The depth dynamics' state, for an order book that has them.
    pub fn depth(&self) -> Option<&DepthState> {
        match self {
            Venue::OrderBook(book) => book.depth.as_ref(),
            _ => None,
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
        // The marginal buy price after the trade, P/(1-fee), is the reference. By hand: the fee-free
        // input takes the quote reserve to sqrt(k * 1994) = 1,729,450.8 (k = 1.5e9) and the base
        // reserve to sqrt(k / 1994) = 867.327; the 0.3% fee on the input, 690.42, stays in the quote
        // reserve, so P = 1,730,141.2 / 867.327 = 1994.796 and P/0.997 = 2000.798: 4.0e-4 above the
        // reference. A fee-blind arbitrage (stopping at P = 2000) would be 3.0e-3 off.
        let marginal = pool.price() / 0.997;
        assert!(close(marginal, 2000.798, 1e-6), "{marginal}");
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
        let mut book = OrderBook::new(100.0, ladder.clone(), ladder, 0.0);
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
        let mut book = OrderBook::new(99.0, ladder.clone(), ladder, 0.0);
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
        let mut book = OrderBook::new(99.0, ladder.clone(), ladder, 0.0);
        let trade = book.arbitrage(200.0, 496.2375);
        assert!(close(trade.quote_paid, 496.2375, 1e-9));
        assert!(close(trade.base_bought, 5.0, 1e-9));
        assert!(close(book.mid, 99.0 * 1.005, 1e-12));
    }

    fn two_segment_book(dynamics: DepthDynamics) -> OrderBook {
        let ladder = DepthLadder::from_levels(&[(0.01, 10.0), (0.03, 10.0)]).unwrap();
        OrderBook::new(100.0, ladder.clone(), ladder, 0.0).with_dynamics(dynamics)
    }

    #[test]
    fn test_depth_thins_with_price_and_refills_by_hand() {
        // Elasticity 2, no stress term, consumed depth halving every block.
        let mut book = two_segment_book(DepthDynamics {
            price_elasticity: 2.0,
            stress_sensitivity: 0.0,
            volatility_half_life_blocks: 1.0,
            resilience_half_life_blocks: 1.0,
            floor: 0.05,
        });
        // The mid fell to 80: env = 0.8^2 = 0.64 of the nominal 20 units per side.
        book.mid = 80.0;
        book.begin_block();
        assert!(close(book.scales().0, 0.64, 1e-12));
        // Selling 6.4 units takes the whole (scaled) first segment: 6.4 units at 80*(1-0.5%) on
        // average = 509.44, the mid moves 1% to 79.2, and 6.4/20 = 0.32 of the bids is consumed:
        // the bid scale is 0.64 - 0.32 = 0.32; the asks are untouched.
        let sale = book.sell(6.4);
        assert!(close(sale.base_sold, 6.4, 1e-12));
        assert!(close(sale.quote_received, 509.44, 1e-12));
        assert!(close(book.mid, 79.2, 1e-12));
        assert!(close(book.scales().0, 0.32, 1e-12));
        assert!(close(book.scales().1, 0.64, 1e-12));
        // The same sale without dynamics would only reach 0.64% (6.4 of 10 units in the first 1%).
        let mut static_book = OrderBook::new(80.0, book.bids.clone(), book.asks.clone(), 0.0);
        static_book.sell(6.4);
        assert!(close(static_book.mid, 80.0 * (1.0 - 0.0064), 1e-12));
        // Next block: half the consumption refills (0.16 left); env = 0.792^2 = 0.627264.
        book.begin_block();
        assert!(close(book.scales().0, 0.627264 - 0.16, 1e-12));
        // After 60 blocks the consumption is gone (2^-60 of it) and the book is settled.
        for _ in 0..60 {
            book.begin_block();
        }
        assert!(book.depth.as_ref().unwrap().is_settled(1e-12));
        assert!(close(book.scales().0, 0.627264, 1e-12));
    }

    #[test]
    fn test_depth_thins_with_volatility_by_hand() {
        // Stress sensitivity 100, volatility half-life 1 block (weight 1/2), no price term.
        let mut book = two_segment_book(DepthDynamics {
            price_elasticity: 0.0,
            stress_sensitivity: 100.0,
            volatility_half_life_blocks: 1.0,
            resilience_half_life_blocks: 0.0,
            floor: 0.05,
        });
        book.mid = 99.0;
        book.begin_block();
        // volatility = 0.5 * ln(100/99) = 0.00502516..., env = 1 / (1 + 0.502516...) = 0.665551...
        let volatility = 0.5 * (100.0_f64 / 99.0).ln();
        assert!(close(
            book.depth.as_ref().unwrap().volatility(),
            volatility,
            1e-12
        ));
        assert!(close(
            book.scales().0,
            1.0 / (1.0 + 100.0 * volatility),
            1e-12
        ));
        // A quiet block halves the volatility.
        book.begin_block();
        assert!(close(
            book.scales().1,
            1.0 / (1.0 + 50.0 * volatility),
            1e-12
        ));
    }

    #[test]
    fn test_depth_never_goes_below_the_floor() {
        let mut book = two_segment_book(DepthDynamics {
            floor: 0.1,
            ..DepthDynamics::DEFAULT
        });
        // Selling everything the book has consumes it all; the floor keeps 10% of nominal.
        book.sell(1e9);
        assert!(close(book.scales().0, 0.1, 1e-12));
        let quote = book.quote_sell(1e9);
        assert!(close(quote.base_sold, 2.0, 1e-12));
    }

    #[test]
    fn test_thinner_book_means_deeper_sale_and_worse_proceeds() {
        // The same sale into a book at half depth walks twice as far and fetches less.
        let mut thin = two_segment_book(DepthDynamics {
            price_elasticity: 1.0,
            stress_sensitivity: 0.0,
            volatility_half_life_blocks: 1.0,
            resilience_half_life_blocks: 0.0,
            floor: 0.05,
        });
        thin.mid = 50.0;
        thin.begin_block();
        let mut full = OrderBook::new(50.0, thin.bids.clone(), thin.asks.clone(), 0.0);
        let a = thin.sell(4.0);
        let b = full.sell(4.0);
        // Full: 4 units reach 0.4%; half depth: 8 nominal units, 0.8%.
        assert!(close(full.mid, 50.0 * 0.996, 1e-12));
        assert!(close(thin.mid, 50.0 * 0.992, 1e-12));
        assert!(a.quote_received < b.quote_received);
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
