//! Morpho Blue liquidations (`morpho-org/morpho-blue`: `src/Morpho.sol` `liquidate` and `_isHealthy`,
//! `src/libraries/ConstantsLib.sol` `LIQUIDATION_CURSOR` and `MAX_LIQUIDATION_INCENTIVE_FACTOR`).
//!
//! A market lends one loan token against one collateral token. A position is liquidatable when its
//! debt exceeds `collateral * price * LLTV`; a liquidator repays debt and seizes collateral worth the
//! repaid amount times the liquidation incentive factor (LIF), a function of the LLTV alone:
//! `LIF = min(1.15, 1 / (1 - 0.3 * (1 - LLTV)))`. When a liquidation takes the position's last
//! collateral, its remaining debt is bad debt, realised at once as a loss to the market's lenders.
//!
//! # Units
//! Collateral in collateral-token units; loan assets in loan-token units; `collateral_price` in loan
//! tokens per collateral unit (the real value of the oracle's 1e36-scaled price); `lltv` a fraction.
//! Borrow shares are the market's own unit: `assets = shares * total_borrow_assets / total_borrow_shares`.
//!
//! # Simplified
//! Real numbers instead of the contract's rounding (it rounds against the liquidator: `mulDivUp`,
//! `toSharesUp`, `toAssetsUp`), and no virtual shares (`VIRTUAL_SHARES = 1e6`, `VIRTUAL_ASSETS = 1`:
//! share conversions here are the plain ratio, 1:1 in an empty market). Interest accrual is left to
//! the caller.

/// `LIQUIDATION_CURSOR`: 0.3.
pub const LIQUIDATION_CURSOR: f64 = 0.3;
/// `MAX_LIQUIDATION_INCENTIVE_FACTOR`: 1.15 (a 15% bonus at most).
pub const MAX_LIQUIDATION_INCENTIVE_FACTOR: f64 = 1.15;

/// The liquidation incentive factor of a market with liquidation LTV `lltv` (a fraction):
/// `min(1.15, 1 / (1 - 0.3 * (1 - lltv)))`. The liquidator's bonus is `LIF - 1`
/// (LLTV 86%: 1 / 0.958 = 1.04384, a 4.38% bonus; LLTV 80%: 1 / 0.94 = 1.06383, 6.38%).
pub fn liquidation_incentive_factor(lltv: f64) -> f64 {
    MAX_LIQUIDATION_INCENTIVE_FACTOR.min(1.0 / (1.0 - LIQUIDATION_CURSOR * (1.0 - lltv)))
}

/// A market's totals (`Morpho.market[id]`) and its LLTV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphoMarket {
    /// Liquidation loan-to-value, a fraction (0.86 = 86%).
    pub lltv: f64,
    /// Loan tokens supplied by lenders, interest included.
    pub total_supply_assets: f64,
    pub total_supply_shares: f64,
    /// Loan tokens owed by borrowers, interest included.
    pub total_borrow_assets: f64,
    pub total_borrow_shares: f64,
}

/// A borrower's position (`Morpho.position[id][borrower]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphoPosition {
    pub borrow_shares: f64,
    /// Collateral-token units.
    pub collateral: f64,
}

/// What the liquidator fixes; the contract requires exactly one of the two to be non-zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LiquidateRequest {
    /// Seize this much collateral; the repaid shares follow.
    SeizeCollateral(f64),
    /// Repay this many borrow shares; the seized collateral follows.
    RepayShares(f64),
}

/// Why `liquidate` would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MorphoRefusal {
    /// `INCONSISTENT_INPUT`: the amount is zero, negative or not a number.
    InconsistentInput,
    /// `HEALTHY_POSITION`.
    HealthyPosition,
    /// More collateral than the position holds (an underflow in the contract).
    InsufficientCollateral,
    /// More shares than the position owes (an underflow in the contract).
    InsufficientBorrowShares,
}

/// The result of a liquidation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphoLiquidation {
    /// The factor applied.
    pub incentive_factor: f64,
    /// Collateral sent to the liquidator.
    pub seized_assets: f64,
    /// Borrow shares repaid.
    pub repaid_shares: f64,
    /// Loan tokens paid by the liquidator.
    pub repaid_assets: f64,
    /// Borrow shares written off because no collateral was left (0 otherwise).
    pub bad_debt_shares: f64,
    /// Loan tokens written off, taken from the lenders' `total_supply_assets`.
    pub bad_debt_assets: f64,
}

impl MorphoMarket {
    /// Borrow shares to assets (`toAssets`; 1:1 while the market has no shares).
    pub fn to_borrow_assets(&self, shares: f64) -> f64 {
        if self.total_borrow_shares > 0.0 {
            shares * self.total_borrow_assets / self.total_borrow_shares
        } else {
            shares
        }
    }

    /// Borrow assets to shares (`toShares`; 1:1 while the market has no shares).
    pub fn to_borrow_shares(&self, assets: f64) -> f64 {
        if self.total_borrow_assets > 0.0 {
            assets * self.total_borrow_shares / self.total_borrow_assets
        } else {
            assets
        }
    }

    /// What the position owes, in loan tokens.
    pub fn borrowed(&self, position: &MorphoPosition) -> f64 {
        self.to_borrow_assets(position.borrow_shares)
    }

    /// `_isHealthy`: `collateral * price * lltv >= borrowed` (always healthy without debt).
    pub fn is_healthy(&self, position: &MorphoPosition, collateral_price: f64) -> bool {
        position.borrow_shares <= 0.0
            || position.collateral * collateral_price * self.lltv >= self.borrowed(position)
    }

    /// `liquidate`: with `LIF = liquidation_incentive_factor(lltv)`,
    /// - seizing `s` collateral repays `s * price / LIF` loan tokens (converted to shares);
    /// - repaying `r` shares seizes `assets(r) * LIF / price` collateral.
    ///
    /// Either way `seized * price = repaid_assets * LIF`. If the position has no collateral left
    /// afterwards, its remaining shares are written off: `total_borrow_*` fall by them and the
    /// lenders' `total_supply_assets` by their value (bad debt realisation).
    pub fn liquidate(
        &mut self,
        position: &mut MorphoPosition,
        collateral_price: f64,
        request: LiquidateRequest,
    ) -> Result<MorphoLiquidation, MorphoRefusal> {
        let amount = match request {
            LiquidateRequest::SeizeCollateral(x) | LiquidateRequest::RepayShares(x) => x,
        };
        if amount.is_nan() || amount <= 0.0 || amount.is_infinite() {
            return Err(MorphoRefusal::InconsistentInput);
        }
        if self.is_healthy(position, collateral_price) {
            return Err(MorphoRefusal::HealthyPosition);
        }
        let incentive_factor = liquidation_incentive_factor(self.lltv);
        let (seized_assets, repaid_shares) = match request {
            LiquidateRequest::SeizeCollateral(seized) => {
                let repaid_assets = seized * collateral_price / incentive_factor;
                (seized, self.to_borrow_shares(repaid_assets))
            }
            LiquidateRequest::RepayShares(shares) => {
                let seized = self.to_borrow_assets(shares) * incentive_factor / collateral_price;
                (seized, shares)
            }
        };
        // The contract reduces the borrow shares before the collateral: that underflow comes first.
        if repaid_shares > position.borrow_shares {
            return Err(MorphoRefusal::InsufficientBorrowShares);
        }
        if seized_assets > position.collateral {
            return Err(MorphoRefusal::InsufficientCollateral);
        }
        let repaid_assets = self.to_borrow_assets(repaid_shares);

        position.borrow_shares -= repaid_shares;
        self.total_borrow_shares -= repaid_shares;
        self.total_borrow_assets = (self.total_borrow_assets - repaid_assets).max(0.0);
        position.collateral -= seized_assets;

        let (mut bad_debt_shares, mut bad_debt_assets) = (0.0, 0.0);
        if position.collateral == 0.0 && position.borrow_shares > 0.0 {
            bad_debt_shares = position.borrow_shares;
            bad_debt_assets = self
                .to_borrow_assets(bad_debt_shares)
                .min(self.total_borrow_assets);
            self.total_supply_assets -= bad_debt_assets;
            self.total_borrow_assets -= bad_debt_assets;
            self.total_borrow_shares -= bad_debt_shares;
            position.borrow_shares = 0.0;
        }
        Ok(MorphoLiquidation {
            incentive_factor,
            seized_assets,
            repaid_shares,
            repaid_assets,
            bad_debt_shares,
            bad_debt_assets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_incentive_factor_is_capped_at_115() {
        // LLTV 50%: 1 / (1 - 0.15) = 1.176 > 1.15.
        assert_eq!(liquidation_incentive_factor(0.5), 1.15);
        // LLTV 100%: no bonus.
        assert_eq!(liquidation_incentive_factor(1.0), 1.0);
    }

    #[test]
    fn test_zero_amount_is_inconsistent() {
        let mut market = MorphoMarket {
            lltv: 0.86,
            total_supply_assets: 1.0,
            total_supply_shares: 1.0,
            total_borrow_assets: 1.0,
            total_borrow_shares: 1.0,
        };
        let mut position = MorphoPosition {
            borrow_shares: 1.0,
            collateral: 1.0,
        };
        assert_eq!(
            market.liquidate(&mut position, 0.1, LiquidateRequest::RepayShares(0.0)),
            Err(MorphoRefusal::InconsistentInput)
        );
    }
}
