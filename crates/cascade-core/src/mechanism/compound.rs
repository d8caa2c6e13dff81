//! Compound III ("Comet") liquidation: the protocol absorbs an underwater account, then sells the
//! seized collateral from its reserves at a discount (`compound-finance/comet`, `contracts/Comet.sol`:
//! `isLiquidatable`, `absorbInternal`, `buyCollateral`, `quoteCollateral`, `getReserves`).
//!
//! - `absorb`: every collateral balance is seized into the protocol; the account's base balance is
//!   credited with `sum(value_i * liquidationFactor_i) / basePrice`, floored at zero: the debt is gone,
//!   any surplus becomes a base supply of the account, and the protocol's reserves pay the difference
//!   (`newBalance - oldBalance`).
//! - `buyCollateral`: while reserves are below `targetReserves`, anyone may buy seized collateral for
//!   base at `assetPrice * (1 - storeFrontPriceFactor * (1 - liquidationFactor))`.
//!
//! # Units
//! Base amounts in base-token units, collateral in its token's units, prices in USD (the contract's
//! 8-decimal price feeds as real numbers), factors as fractions.
//!
//! # Simplified
//! Interest indexes are 1 (principal = present value); the absorber's "liquidator points" and gas
//! accounting are absent; rounding is real-number.

/// One collateral asset's factors (`AssetInfo`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CometAssetConfig {
    /// Share of the value that counts toward borrowing (`borrowCollateralFactor`).
    pub borrow_collateral_factor: f64,
    /// Share of the value that counts toward staying solvent (`liquidateCollateralFactor`).
    pub liquidate_collateral_factor: f64,
    /// Share of the value credited to the account at absorption (`liquidationFactor`, e.g. 0.93).
    pub liquidation_factor: f64,
}

/// A Comet market's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct CometConfig {
    pub assets: Vec<CometAssetConfig>,
    /// `storeFrontPriceFactor`: the share of `1 - liquidationFactor` given to collateral buyers.
    pub store_front_price_factor: f64,
    /// `targetReserves`: collateral is for sale only while reserves are below this (base units).
    pub target_reserves: f64,
}

/// An account: a signed base balance and collateral balances (one per configured asset).
#[derive(Debug, Clone, PartialEq)]
pub struct CometAccount {
    /// Positive: supplied base; negative: borrowed base.
    pub base_balance: f64,
    pub collateral: Vec<f64>,
}

/// The market's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct CometState {
    pub config: CometConfig,
    /// Base supplied by all accounts (`totalSupplyBase`).
    pub total_supply_base: f64,
    /// Base borrowed by all accounts (`totalBorrowBase`).
    pub total_borrow_base: f64,
    /// Base tokens the contract holds.
    pub base_cash: f64,
    /// Collateral owned by the protocol (seized and not yet sold), per asset.
    pub collateral_reserves: Vec<f64>,
}

/// Oracle prices in USD: the base token's and each collateral asset's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CometPrices<'a> {
    pub base: f64,
    pub assets: &'a [f64],
}

/// Why a call would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CometRefusal {
    /// `NotLiquidatable`.
    NotLiquidatable,
    /// `NotForSale`: reserves are at or above target.
    NotForSale,
    /// `TooMuchSlippage`: the quote is below the buyer's minimum.
    TooMuchSlippage,
    /// `InsufficientReserves`: the protocol holds less of the collateral than quoted.
    InsufficientReserves,
}

/// What `absorb` did.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsorbOutcome {
    /// Collateral seized, per asset.
    pub seized: Vec<f64>,
    /// USD value of the seized collateral at the oracle.
    pub seized_value: f64,
    /// USD credited to the account: `sum(value * liquidationFactor)`.
    pub credited_value: f64,
    /// Debt wiped (base units).
    pub debt_absorbed: f64,
    /// Base supply credited to the account beyond its debt.
    pub surplus_to_account: f64,
    /// Base paid out of reserves: `newBalance - oldBalance` (debt absorbed + surplus).
    pub reserves_paid: f64,
    /// Debt not covered by the credited value (base units): the deficit the reserves absorb
    /// without a matching collateral value credited.
    pub deficit: f64,
}

impl CometState {
    /// A market with no accounts' balances yet and no seized collateral.
    pub fn new(config: CometConfig, base_cash: f64) -> Self {
        let n_assets = config.assets.len();
        CometState {
            config,
            total_supply_base: 0.0,
            total_borrow_base: 0.0,
            base_cash,
            collateral_reserves: vec![0.0; n_assets],
        }
    }

    /// `getReserves`: `base cash - total supply + total borrow` (may be negative).
    pub fn reserves(&self) -> f64 {
        self.base_cash - self.total_supply_base + self.total_borrow_base
    }

    /// `isLiquidatable`: `sum(collateral_i * price_i * liquidateCollateralFactor_i) + base_balance *
    /// base_price < 0`.
    pub fn is_liquidatable(&self, account: &CometAccount, prices: CometPrices) -> bool {
        let liquidity: f64 = account
            .collateral
            .iter()
            .zip(&self.config.assets)
            .zip(prices.assets)
            .map(|((amount, asset), price)| amount * price * asset.liquidate_collateral_factor)
            .sum();
        liquidity + account.base_balance * prices.base < 0.0
    }

    /// `absorbInternal`: seizes all the account's collateral into the protocol and credits the
    /// account `sum(value_i * liquidationFactor_i) / base_price`, with the new balance floored at 0.
    pub fn absorb(
        &mut self,
        account: &mut CometAccount,
        prices: CometPrices,
    ) -> Result<AbsorbOutcome, CometRefusal> {
        if !self.is_liquidatable(account, prices) {
            return Err(CometRefusal::NotLiquidatable);
        }
        let old_balance = account.base_balance;
        let mut seized = vec![0.0; account.collateral.len()];
        let (mut seized_value, mut credited_value) = (0.0, 0.0);
        for (i, amount) in account.collateral.iter_mut().enumerate() {
            if *amount > 0.0 {
                let value = *amount * prices.assets[i];
                seized_value += value;
                credited_value += value * self.config.assets[i].liquidation_factor;
                seized[i] = *amount;
                self.collateral_reserves[i] += *amount;
                *amount = 0.0;
            }
        }
        let delta_balance = credited_value / prices.base;
        let new_balance = (old_balance + delta_balance).max(0.0);
        account.base_balance = new_balance;
        // repayAndSupplyAmount(old, new) for old < 0 <= new.
        let debt_absorbed = -old_balance.min(0.0);
        let surplus_to_account = new_balance - old_balance.max(0.0);
        self.total_borrow_base -= debt_absorbed;
        self.total_supply_base += surplus_to_account;
        Ok(AbsorbOutcome {
            seized,
            seized_value,
            credited_value,
            debt_absorbed,
            surplus_to_account,
            reserves_paid: new_balance - old_balance,
            deficit: (debt_absorbed - delta_balance).max(0.0),
        })
    }

    /// The discounted price at which the protocol sells `asset`:
    /// `price * (1 - storeFrontPriceFactor * (1 - liquidationFactor))`.
    pub fn store_front_price(&self, asset: usize, asset_price: f64) -> f64 {
        let discount = self.config.store_front_price_factor
            * (1.0 - self.config.assets[asset].liquidation_factor);
        asset_price * (1.0 - discount)
    }

    /// `quoteCollateral`: collateral units `base_amount` buys:
    /// `base_price * base_amount / store_front_price`.
    pub fn quote_collateral(&self, asset: usize, base_amount: f64, prices: CometPrices) -> f64 {
        prices.base * base_amount / self.store_front_price(asset, prices.assets[asset])
    }

    /// `buyCollateral`: pays `base_amount` into the protocol for the quoted collateral, allowed only
    /// while reserves are below target. Returns the collateral bought.
    pub fn buy_collateral(
        &mut self,
        asset: usize,
        min_amount: f64,
        base_amount: f64,
        prices: CometPrices,
    ) -> Result<f64, CometRefusal> {
        let reserves = self.reserves();
        if reserves >= 0.0 && reserves >= self.config.target_reserves {
            return Err(CometRefusal::NotForSale);
        }
        let amount = self.quote_collateral(asset, base_amount, prices);
        if amount < min_amount {
            return Err(CometRefusal::TooMuchSlippage);
        }
        if amount > self.collateral_reserves[asset] {
            return Err(CometRefusal::InsufficientReserves);
        }
        self.base_cash += base_amount;
        self.collateral_reserves[asset] -= amount;
        Ok(amount)
    }
}
