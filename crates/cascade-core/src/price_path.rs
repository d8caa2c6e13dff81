//! Exogenous reference price paths: the "fair" price the rest of the world quotes, before any
//! liquidation in the simulation moves it (see `engine` for the permanent impact on top of it).

/// How an asset's exogenous price evolves block by block. All drops are fractions of the
/// initial price (0.2 = a 20% fall).
#[derive(Debug, Clone, PartialEq)]
pub enum ReferencePath {
    /// The price never moves.
    Constant { initial_price: f64 },
    /// The price falls by `drop` at `at_block`, then stays.
    Shock {
        initial_price: f64,
        at_block: u64,
        drop: f64,
    },
    /// The price falls by the same dollar amount each block from `start_block` for `duration_blocks`.
    LinearCrash {
        initial_price: f64,
        start_block: u64,
        duration_blocks: u64,
        drop: f64,
    },
    /// The price falls by the same percentage each block (geometric interpolation) from `start_block`
    /// for `duration_blocks`, reaching `initial*(1-drop)`.
    ExponentialCrash {
        initial_price: f64,
        start_block: u64,
        duration_blocks: u64,
        drop: f64,
    },
    /// One price per block (a replayed or simulated history); the last value holds after the end.
    Series { prices: Vec<f64> },
    /// A token pegged to another asset (a liquid-staking token such as stETH to ETH): the
    /// underlying's exogenous path times a peg ratio ([`PegRatio`]). Only the exogenous paths are
    /// coupled: the permanent impact of forced sales stays with the asset they were sold in.
    Pegged {
        underlying: Box<ReferencePath>,
        ratio: PegRatio,
    },
}

/// The peg ratio of a [`ReferencePath::Pegged`] token (token price / underlying price), block by
/// block: `start_ratio` until `at_block`, down by `depeg_size` of it (linearly over
/// `duration_blocks`; at once when 0), then, with `recovery_blocks`, linearly back to
/// `start_ratio` over that many blocks; without, it stays de-pegged.
#[derive(Debug, Clone, PartialEq)]
pub struct PegRatio {
    pub start_ratio: f64,
    pub at_block: u64,
    pub duration_blocks: u64,
    /// Fraction of the ratio lost at the bottom, in [0, 1).
    pub depeg_size: f64,
    /// At least 1 when given.
    pub recovery_blocks: Option<u64>,
}

impl PegRatio {
    /// The block where the de-peg is deepest (and from which the recovery starts).
    fn bottom_block(&self) -> u64 {
        self.at_block.saturating_add(self.duration_blocks)
    }

    /// The ratio at `block`.
    pub fn ratio_at(&self, block: u64) -> f64 {
        let bottom = self.bottom_block();
        let lost = match self.recovery_blocks {
            Some(recovery) if block > bottom => {
                1.0 - crash_progress(block, bottom, recovery.max(1))
            }
            _ => crash_progress(block, self.at_block, self.duration_blocks),
        };
        self.start_ratio * (1.0 - self.depeg_size * lost)
    }

    /// The first block from which the ratio no longer changes.
    fn settled_from_block(&self) -> u64 {
        if self.depeg_size == 0.0 {
            0
        } else {
            self.bottom_block()
                .saturating_add(self.recovery_blocks.unwrap_or(0))
        }
    }

    /// The block the de-peg starts at (`None` when it never moves).
    fn first_move_block(&self) -> Option<u64> {
        (self.depeg_size != 0.0).then_some(self.at_block)
    }
}

impl ReferencePath {
    /// The price at block 0.
    pub fn initial_price(&self) -> f64 {
        match self {
            ReferencePath::Constant { initial_price }
            | ReferencePath::Shock { initial_price, .. }
            | ReferencePath::LinearCrash { initial_price, .. }
            | ReferencePath::ExponentialCrash { initial_price, .. } => *initial_price,
            ReferencePath::Series { prices } => prices[0],
            ReferencePath::Pegged { underlying, ratio } => {
                underlying.initial_price() * ratio.start_ratio
            }
        }
    }

    /// The exogenous price at `block`.
    pub fn price_at(&self, block: u64) -> f64 {
        match self {
            ReferencePath::Constant { initial_price } => *initial_price,
            ReferencePath::Shock {
                initial_price,
                at_block,
                drop,
            } => {
                if block >= *at_block {
                    initial_price * (1.0 - drop)
                } else {
                    *initial_price
                }
            }
            ReferencePath::LinearCrash {
                initial_price,
                start_block,
                duration_blocks,
                drop,
            } => {
                let progress = crash_progress(block, *start_block, *duration_blocks);
                initial_price * (1.0 - drop * progress)
            }
            ReferencePath::ExponentialCrash {
                initial_price,
                start_block,
                duration_blocks,
                drop,
            } => {
                let progress = crash_progress(block, *start_block, *duration_blocks);
                initial_price * (1.0 - drop).powf(progress)
            }
            ReferencePath::Series { prices } => {
                let last = prices.len() - 1;
                prices[(block as usize).min(last)]
            }
            ReferencePath::Pegged { underlying, ratio } => {
                underlying.price_at(block) * ratio.ratio_at(block)
            }
        }
    }

    /// The first block from which the path no longer changes (the run cannot reach equilibrium before).
    pub fn settled_from_block(&self) -> u64 {
        match self {
            ReferencePath::Constant { .. } => 0,
            ReferencePath::Shock { at_block, .. } => *at_block,
            ReferencePath::LinearCrash {
                start_block,
                duration_blocks,
                ..
            }
            | ReferencePath::ExponentialCrash {
                start_block,
                duration_blocks,
                ..
            } => start_block + duration_blocks,
            ReferencePath::Series { prices } => prices.len().saturating_sub(1) as u64,
            ReferencePath::Pegged { underlying, ratio } => underlying
                .settled_from_block()
                .max(ratio.settled_from_block()),
        }
    }

    /// The first block at which the path departs from its initial price (`None`: never). For a
    /// crash over several blocks that is its start block, where the price is still the initial one.
    pub fn first_move_block(&self) -> Option<u64> {
        match self {
            ReferencePath::Constant { .. } => None,
            ReferencePath::Shock { at_block, .. } => Some(*at_block),
            ReferencePath::LinearCrash { start_block, .. }
            | ReferencePath::ExponentialCrash { start_block, .. } => Some(*start_block),
            ReferencePath::Series { prices } => prices
                .iter()
                .position(|&price| price != prices[0])
                .map(|block| block as u64),
            ReferencePath::Pegged { underlying, ratio } => {
                match (underlying.first_move_block(), ratio.first_move_block()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// The largest fall of the path below its initial price, as a fraction: the exogenous shock.
    pub fn max_drawdown(&self, until_block: u64) -> f64 {
        let initial = self.initial_price();
        let lowest = match self {
            ReferencePath::Series { prices } => {
                let end = (until_block as usize + 1).min(prices.len());
                prices[..end].iter().copied().fold(f64::INFINITY, f64::min)
            }
            // A de-peg that recovers is not monotone, nor is a replayed underlying: every block up
            // to where the path settles (it is constant after).
            ReferencePath::Pegged { .. } => (0..=until_block.min(self.settled_from_block()))
                .map(|block| self.price_at(block))
                .fold(f64::INFINITY, f64::min),
            // Every analytic path is monotone, so its lowest point is where it stands at the end.
            _ => self.price_at(until_block),
        };
        (1.0 - lowest / initial).max(0.0)
    }
}

fn crash_progress(block: u64, start_block: u64, duration_blocks: u64) -> f64 {
    if block >= start_block + duration_blocks {
        // Also a zero-duration crash: all of it at `start_block`, where `settled_from_block` says.
        1.0
    } else if block <= start_block {
        0.0
    } else {
        (block - start_block) as f64 / duration_blocks as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_linear_crash_halfway_is_half_the_drop() {
        // 2000 * (1 - 0.3 * 5/10) = 1700
        let path = ReferencePath::LinearCrash {
            initial_price: 2000.0,
            start_block: 10,
            duration_blocks: 10,
            drop: 0.3,
        };
        assert_eq!(path.price_at(0), 2000.0);
        assert!((path.price_at(15) - 1700.0).abs() < 1e-9);
        assert!((path.price_at(40) - 1400.0).abs() < 1e-9);
        assert_eq!(path.settled_from_block(), 20);
    }

    #[test]
    fn test_exponential_crash_falls_by_a_constant_ratio_per_block() {
        // (1-0.36)^(1/2) = 0.8: halfway through the price is 80% of the start, at the end 64%.
        let path = ReferencePath::ExponentialCrash {
            initial_price: 100.0,
            start_block: 0,
            duration_blocks: 2,
            drop: 0.36,
        };
        assert!((path.price_at(1) - 80.0).abs() < 1e-9);
        assert!((path.price_at(2) - 64.0).abs() < 1e-9);
    }

    #[test]
    fn test_shock_and_series_drawdown() {
        let shock = ReferencePath::Shock {
            initial_price: 50.0,
            at_block: 3,
            drop: 0.1,
        };
        assert_eq!(shock.price_at(2), 50.0);
        assert!((shock.price_at(3) - 45.0).abs() < 1e-12);
        assert!((shock.max_drawdown(100) - 0.1).abs() < 1e-12);
        let series = ReferencePath::Series {
            prices: vec![100.0, 80.0, 90.0],
        };
        assert_eq!(series.price_at(7), 90.0);
        assert!((series.max_drawdown(10) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn test_pegged_path_is_the_underlying_times_a_ratio_that_de_pegs_and_recovers() {
        // ETH: 3000, -20% at block 10 -> 2400. Ratio: 1 until block 20, down 10% linearly over 10
        // blocks (bottom 0.9 at block 30), back to 1 linearly over 20 blocks (block 50).
        let path = ReferencePath::Pegged {
            underlying: Box::new(ReferencePath::Shock {
                initial_price: 3000.0,
                at_block: 10,
                drop: 0.2,
            }),
            ratio: PegRatio {
                start_ratio: 1.0,
                at_block: 20,
                duration_blocks: 10,
                depeg_size: 0.1,
                recovery_blocks: Some(20),
            },
        };
        assert_eq!(path.initial_price(), 3000.0);
        assert_eq!(path.price_at(5), 3000.0);
        assert_eq!(path.price_at(15), 2400.0);
        // 2400 * (1 - 0.1 * 5/10) = 2280
        assert!((path.price_at(25) - 2280.0).abs() < 1e-9);
        // 2400 * 0.9 = 2160 at the bottom
        assert!((path.price_at(30) - 2160.0).abs() < 1e-9);
        // halfway back: 2400 * (1 - 0.1 * (1 - 10/20)) = 2280
        assert!((path.price_at(40) - 2280.0).abs() < 1e-9);
        assert!((path.price_at(50) - 2400.0).abs() < 1e-9);
        assert!((path.price_at(500) - 2400.0).abs() < 1e-9);
        assert_eq!(path.settled_from_block(), 50);
        assert_eq!(path.first_move_block(), Some(10));
        // The lowest point is the bottom, not the end: 1 - 2160/3000 = 0.28.
        assert!((path.max_drawdown(1000) - 0.28).abs() < 1e-12);
        // Cut off before the de-peg, only the ETH shock counts: 1 - 2400/3000 = 0.2.
        assert!((path.max_drawdown(19) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn test_instant_de_peg_without_recovery_stays_down() {
        // 2000 * 0.998 = 1996 before; 1996 * (1 - 0.05) = 1896.2 from block 5 on.
        let path = ReferencePath::Pegged {
            underlying: Box::new(ReferencePath::Constant {
                initial_price: 2000.0,
            }),
            ratio: PegRatio {
                start_ratio: 0.998,
                at_block: 5,
                duration_blocks: 0,
                depeg_size: 0.05,
                recovery_blocks: None,
            },
        };
        assert!((path.price_at(4) - 1996.0).abs() < 1e-9);
        assert!((path.price_at(5) - 1896.2).abs() < 1e-9);
        assert!((path.price_at(10_000) - 1896.2).abs() < 1e-9);
        assert_eq!(path.settled_from_block(), 5);
        assert_eq!(path.first_move_block(), Some(5));
        assert!((path.max_drawdown(100) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn test_pegged_path_without_de_peg_follows_its_underlying() {
        let underlying = ReferencePath::LinearCrash {
            initial_price: 3000.0,
            start_block: 3,
            duration_blocks: 7,
            drop: 0.3,
        };
        let path = ReferencePath::Pegged {
            underlying: Box::new(underlying.clone()),
            ratio: PegRatio {
                start_ratio: 1.0,
                at_block: 4,
                duration_blocks: 2,
                depeg_size: 0.0,
                recovery_blocks: Some(5),
            },
        };
        for block in 0..20 {
            assert_eq!(path.price_at(block), underlying.price_at(block));
        }
        assert_eq!(path.settled_from_block(), underlying.settled_from_block());
        assert_eq!(path.first_move_block(), underlying.first_move_block());
        let flat = ReferencePath::Pegged {
            underlying: Box::new(ReferencePath::Constant { initial_price: 1.0 }),
            ratio: PegRatio {
                start_ratio: 1.0,
                at_block: 4,
                duration_blocks: 2,
                depeg_size: 0.0,
                recovery_blocks: None,
            },
        };
        assert_eq!(flat.first_move_block(), None);
        assert_eq!(flat.settled_from_block(), 0);
    }
}
