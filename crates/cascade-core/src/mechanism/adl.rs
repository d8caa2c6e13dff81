//! Auto-deleveraging (ADL): when a liquidated perp position cannot be closed in the market before
//! its mark reaches the bankruptcy price and the insurance fund cannot cover the loss, the exchange
//! closes it against the opposite side's positions, at the bankruptcy price, in ranking order.
//!
//! Ranking (BitMEX, "Auto-Deleveraging" support page; the same rule at MEXC and others):
//! `score = PnL% * effective leverage` when `PnL% > 0`, `PnL% / effective leverage` otherwise, with
//! `effective leverage = |mark value| / (mark value - bankrupt value)` and
//! `PnL% = (mark value - entry value) / |entry value|`, a value being the signed size times a price.
//! Positions are ranked highest score first: the most profitable and most leveraged go first.
//! Hyperliquid ranks by unrealised PnL and leverage in the same spirit.
//!
//! Closing the bankrupt position at its bankruptcy price leaves its equity at exactly zero, so the
//! insurance fund takes no loss: the deleveraged counterparties give up the profit they would have had
//! beyond that price.
//!
//! # Units
//! Sizes are signed base-asset units (long > 0); prices in quote per base unit.

/// One position that may be deleveraged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdlCandidate {
    /// The account, for reports and as the tie-breaker (lower first).
    pub account: u32,
    /// Signed size: long > 0, short < 0.
    pub size: f64,
    pub entry_price: f64,
    /// The price at which the position's equity would be zero.
    pub bankruptcy_price: f64,
}

impl AdlCandidate {
    /// `(mark value - entry value) / |entry value|`.
    pub fn pnl_fraction(&self, mark_price: f64) -> f64 {
        let entry_value = self.size * self.entry_price;
        (self.size * mark_price - entry_value) / entry_value.abs()
    }

    /// `|mark value| / (mark value - bankrupt value)`: notional over equity. Infinite when the
    /// position has no equity left at the mark.
    pub fn effective_leverage(&self, mark_price: f64) -> f64 {
        let mark_value = self.size * mark_price;
        let equity = mark_value - self.size * self.bankruptcy_price;
        if equity <= 0.0 {
            f64::INFINITY
        } else {
            mark_value.abs() / equity
        }
    }

    /// The BitMEX ranking score at `mark_price`.
    pub fn score(&self, mark_price: f64) -> f64 {
        let pnl = self.pnl_fraction(mark_price);
        let leverage = self.effective_leverage(mark_price);
        if pnl > 0.0 {
            pnl * leverage
        } else {
            pnl / leverage
        }
    }
}

/// The deleveraging queue against a liquidated position of signed size `liquidated_size`: indices
/// into `candidates` of the positions on the other side, highest score first (ties: lower account
/// first, then lower index), at `mark_price`.
pub fn adl_queue(candidates: &[AdlCandidate], liquidated_size: f64, mark_price: f64) -> Vec<usize> {
    let mut queue: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.size != 0.0 && c.size.signum() == -liquidated_size.signum())
        .map(|(i, c)| (i, c.score(mark_price)))
        .collect();
    queue.sort_by(|(i, a), (j, b)| {
        b.total_cmp(a)
            .then(candidates[*i].account.cmp(&candidates[*j].account))
            .then(i.cmp(j))
    });
    queue.into_iter().map(|(i, _)| i).collect()
}

/// One counterparty closed by ADL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdlFill {
    /// Index into the candidates.
    pub index: usize,
    pub account: u32,
    /// Signed size removed from the counterparty's position (opposite to its sign).
    pub size_change: f64,
    /// The bankruptcy price of the liquidated position.
    pub price: f64,
    /// The counterparty's realised PnL on the closed part: `closed size * (price - entry)`.
    pub realized_pnl: f64,
}

/// The result of [`auto_deleverage`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdlOutcome {
    pub fills: Vec<AdlFill>,
    /// Signed size of the liquidated position left unclosed (no counterparties left).
    pub unfilled: f64,
}

/// Closes the liquidated position (signed `liquidated_size`) at `bankruptcy_price` against the
/// counterparties in `order` (e.g. [`adl_queue`]), each up to its whole size, until it is closed.
pub fn deleverage_in_order(
    candidates: &[AdlCandidate],
    order: &[usize],
    liquidated_size: f64,
    bankruptcy_price: f64,
) -> AdlOutcome {
    let mut remaining = liquidated_size.abs();
    let mut fills = Vec::new();
    for &index in order {
        if remaining <= 0.0 {
            break;
        }
        let c = &candidates[index];
        let closed = c.size.abs().min(remaining);
        if closed <= 0.0 {
            continue;
        }
        remaining -= closed;
        let closed_signed = closed * c.size.signum();
        fills.push(AdlFill {
            index,
            account: c.account,
            size_change: -closed_signed,
            price: bankruptcy_price,
            realized_pnl: closed_signed * (bankruptcy_price - c.entry_price),
        });
    }
    AdlOutcome {
        fills,
        unfilled: remaining * liquidated_size.signum(),
    }
}

/// Ranks the opposite side at `mark_price` and deleverages in that order: [`adl_queue`] then
/// [`deleverage_in_order`].
pub fn auto_deleverage(
    candidates: &[AdlCandidate],
    liquidated_size: f64,
    bankruptcy_price: f64,
    mark_price: f64,
) -> AdlOutcome {
    let order = adl_queue(candidates, liquidated_size, mark_price);
    deleverage_in_order(candidates, &order, liquidated_size, bankruptcy_price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_position_without_equity_has_infinite_leverage() {
        let c = AdlCandidate {
            account: 1,
            size: 1.0,
            entry_price: 100.0,
            bankruptcy_price: 100.0,
        };
        assert_eq!(c.effective_leverage(100.0), f64::INFINITY);
    }

    #[test]
    fn test_no_counterparties_leaves_all_unfilled() {
        let outcome = auto_deleverage(&[], -3.0, 100.0, 100.0);
        assert!(outcome.fills.is_empty());
        assert_eq!(outcome.unfilled, -3.0);
    }
}
