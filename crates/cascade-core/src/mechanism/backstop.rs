//! Who absorbs what a liquidation cannot: an insurance fund (losses beyond a position's margin,
//! funded by liquidation fees), a backstop pool that takes a failing position over and unwinds it
//! slowly (Hyperliquid's liquidator vault inside HLP: "liquidation via transfer" once equity falls
//! below 2/3 of maintenance margin), and protocol-owned liquidity that buys liquidated collateral at a
//! discount within a budget.
//!
//! Sources: Hyperliquid's documentation ("Liquidations": the backstop liquidation takes over cross
//! positions with their margin, or one isolated position with its margin, when account equity drops
//! below 2/3 of the maintenance margin; the vault's profit goes to HLP depositors); BitMEX and Binance
//! insurance funds (fed by liquidation fees, drawn before auto-deleveraging).
//!
//! # Units
//! Quote (settlement) currency for money, base-asset units for sizes (signed, long > 0).

use crate::mechanism::perp::{CrossAccount, IsolatedPosition};

// ---------------------------------------------------------------------------
// Insurance fund
// ---------------------------------------------------------------------------

/// An insurance fund: paid into by liquidation fees, drawn by losses beyond a position's margin.
/// Its drawdown from the highest balance it has had is tracked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsuranceFund {
    pub balance: f64,
    /// Highest balance so far.
    pub peak: f64,
    pub total_contributed: f64,
    /// Losses it has covered.
    pub total_covered: f64,
    /// Losses it could not cover (for ADL or socialisation).
    pub total_uncovered: f64,
}

/// What [`InsuranceFund::cover`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FundCover {
    pub covered: f64,
    /// The part of the loss left for auto-deleveraging or socialisation.
    pub uncovered: f64,
}

impl InsuranceFund {
    pub fn new(balance: f64) -> Self {
        InsuranceFund {
            balance,
            peak: balance,
            total_contributed: 0.0,
            total_covered: 0.0,
            total_uncovered: 0.0,
        }
    }

    /// A fee or any other contribution.
    pub fn contribute(&mut self, amount: f64) {
        assert!(
            amount >= 0.0,
            "a negative contribution is a loss: use cover"
        );
        self.balance += amount;
        self.total_contributed += amount;
        self.peak = self.peak.max(self.balance);
    }

    /// Covers as much of `loss` as the balance allows.
    pub fn cover(&mut self, loss: f64) -> FundCover {
        assert!(loss >= 0.0, "a negative loss is a contribution");
        let covered = loss.min(self.balance.max(0.0));
        self.balance -= covered;
        self.total_covered += covered;
        self.total_uncovered += loss - covered;
        FundCover {
            covered,
            uncovered: loss - covered,
        }
    }

    /// `peak - balance`.
    pub fn drawdown(&self) -> f64 {
        self.peak - self.balance
    }

    /// Drawdown as a fraction of the peak (0 when the peak is 0).
    pub fn drawdown_fraction(&self) -> f64 {
        if self.peak > 0.0 {
            self.drawdown() / self.peak
        } else {
            0.0
        }
    }

    pub fn is_depleted(&self) -> bool {
        self.balance <= 0.0
    }
}

// ---------------------------------------------------------------------------
// Backstop pool: liquidation via transfer
// ---------------------------------------------------------------------------

/// Hyperliquid's threshold: backstop liquidation when equity < 2/3 of maintenance margin.
pub const HYPERLIQUID_BACKSTOP_FRACTION: f64 = 2.0 / 3.0;

/// Whether a position (or account) goes to the backstop: `equity < fraction * maintenance margin`.
pub fn should_backstop(equity: f64, maintenance_margin: f64, fraction: f64) -> bool {
    equity < fraction * maintenance_margin
}

/// A position held by the pool, booked at the mark price it was taken over at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackstopPosition {
    /// The caller's market index.
    pub market: usize,
    pub size: f64,
    pub entry_price: f64,
}

/// A pre-funded pool that takes over failing positions with their margin and unwinds them at most
/// `max_unwind_per_block` (base units, per market) per block instead of selling at once.
#[derive(Debug, Clone, PartialEq)]
pub struct BackstopPool {
    /// Quote held by the pool (its depositors' capital plus what it took over and realised).
    pub cash: f64,
    pub positions: Vec<BackstopPosition>,
    pub max_unwind_per_block: f64,
    /// PnL realised by unwinding.
    pub realized_pnl: f64,
}

/// What a takeover moved into the pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TakeOver {
    /// The account's equity at the mark: the margin plus unrealised PnL. Negative when the pool takes
    /// over a loss.
    pub equity_received: f64,
}

impl BackstopPool {
    pub fn new(cash: f64, max_unwind_per_block: f64) -> Self {
        BackstopPool {
            cash,
            positions: Vec::new(),
            max_unwind_per_block,
            realized_pnl: 0.0,
        }
    }

    /// `cash + sum(size * (mark - entry))`, `marks[market]` per market.
    pub fn equity(&self, marks: &[f64]) -> f64 {
        self.cash
            + self
                .positions
                .iter()
                .map(|p| p.size * (marks[p.market] - p.entry_price))
                .sum::<f64>()
    }

    fn book(&mut self, market: usize, size: f64, mark_price: f64) {
        if size != 0.0 {
            self.positions.push(BackstopPosition {
                market,
                size,
                entry_price: mark_price,
            });
        }
    }

    /// Takes over an isolated position (in `market`) with its margin: the pool books it at
    /// `mark_price` and receives the position's equity there in cash. The position is left empty.
    pub fn take_over_isolated(
        &mut self,
        position: &mut IsolatedPosition,
        market: usize,
        mark_price: f64,
    ) -> TakeOver {
        let equity = position.equity(mark_price);
        self.cash += equity;
        self.book(market, position.size, mark_price);
        position.size = 0.0;
        position.margin = 0.0;
        TakeOver {
            equity_received: equity,
        }
    }

    /// Takes over every position of a cross account with its collateral (`marks[market]` per
    /// market). The account is left empty.
    pub fn take_over_cross(&mut self, account: &mut CrossAccount, marks: &[f64]) -> TakeOver {
        let equity = account.equity(marks);
        self.cash += equity;
        for p in std::mem::take(&mut account.positions) {
            self.book(p.market, p.size, marks[p.market]);
        }
        account.collateral = 0.0;
        TakeOver {
            equity_received: equity,
        }
    }

    /// The trade this block's unwind sends to `market`'s venue: the pool's net size there, reversed,
    /// capped at `max_unwind_per_block` (negative: sell).
    pub fn planned_unwind(&self, market: usize) -> f64 {
        let net: f64 = self
            .positions
            .iter()
            .filter(|p| p.market == market)
            .map(|p| p.size)
            .sum();
        if net == 0.0 {
            return 0.0;
        }
        -net.signum() * net.abs().min(self.max_unwind_per_block)
    }

    /// Books an unwind trade (signed, reducing the pool's positions in `market`, oldest first) filled
    /// at `price`; returns the PnL it realised. A trade beyond the pool's position is cut to it.
    pub fn apply_unwind(&mut self, market: usize, trade: f64, price: f64) -> f64 {
        let mut remaining = trade.abs();
        let mut pnl = 0.0;
        for p in self.positions.iter_mut().filter(|p| p.market == market) {
            if remaining <= 0.0 {
                break;
            }
            if p.size * trade >= 0.0 {
                continue; // a trade on the same side would not reduce this position
            }
            let closed = p.size.abs().min(remaining);
            let closed_signed = closed * p.size.signum();
            pnl += closed_signed * (price - p.entry_price);
            p.size -= closed_signed;
            remaining -= closed;
        }
        self.positions.retain(|p| p.size != 0.0);
        self.cash += pnl;
        self.realized_pnl += pnl;
        pnl
    }
}

// ---------------------------------------------------------------------------
// Protocol-owned liquidity
// ---------------------------------------------------------------------------

/// The protocol as an internal buyer of liquidated collateral: it bids `oracle * (1 - discount)` and
/// spends at most `budget` (quote units) in all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProtocolOwnedLiquidity {
    pub budget: f64,
    /// Below the oracle price, a fraction (0.05 = bids 5% under).
    pub discount: f64,
    /// Quote spent so far.
    pub spent: f64,
    /// Collateral bought so far.
    pub inventory: f64,
}

/// One purchase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolFill {
    /// Collateral bought.
    pub bought: f64,
    /// Quote paid to the seller.
    pub paid: f64,
    pub price: f64,
}

impl ProtocolOwnedLiquidity {
    pub fn new(budget: f64, discount: f64) -> Self {
        ProtocolOwnedLiquidity {
            budget,
            discount,
            spent: 0.0,
            inventory: 0.0,
        }
    }

    pub fn budget_left(&self) -> f64 {
        (self.budget - self.spent).max(0.0)
    }

    pub fn bid_price(&self, oracle_price: f64) -> f64 {
        oracle_price * (1.0 - self.discount)
    }

    /// Buys as much of `offered` collateral as the budget allows at the bid.
    pub fn buy(&mut self, offered: f64, oracle_price: f64) -> PolFill {
        let price = self.bid_price(oracle_price);
        let bought = if price > 0.0 {
            offered.max(0.0).min(self.budget_left() / price)
        } else {
            0.0
        };
        let paid = bought * price;
        self.spent += paid;
        self.inventory += bought;
        PolFill {
            bought,
            paid,
            price,
        }
    }
}
