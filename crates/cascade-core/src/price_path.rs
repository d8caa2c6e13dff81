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
}
