//! The position book: one row per (owner, protocol, collateral asset), in columns, as the metrics read
//! it. This is the shape of a liquidation-price snapshot (DefiLlama's liquidation adapters, Coinglass
//! style heatmaps): a collateral holding, the debt it backs, and the price of that collateral at which
//! the position becomes liquidatable.
//!
//! A lending account with several collateral assets becomes several rows, one per collateral asset.
//! Row `i` carries a share of the account's debt in proportion to its liquidation-threshold-weighted
//! collateral (`debt_i = debt * c_i*P_i*LT_i / sum_j c_j*P_j*LT_j`, so the shares add up to the debt),
//! and the liquidation price of asset `i` with every other price held fixed:
//! `L_i = (debt - sum_{j != i} c_j*P_j*LT_j) / (c_i*LT_i)`, 0 when the other collateral alone covers the
//! debt (that asset's price can fall to zero without a liquidation).
//!
//! Strings (owners) live in one buffer with offsets; assets and protocols are small dictionaries
//! indexed by `u16`. Unknown optional values are `NaN` (floats) or [`NO_ASSET`].

use crate::ids::AccountId;
use crate::lending::LendingProtocol;

/// `debt_asset` of a row whose debt asset is unknown.
pub const NO_ASSET: u16 = u16::MAX;

/// The most distinct assets (or protocols) a book can name.
pub const MAX_DICTIONARY: usize = u16::MAX as usize - 1;

/// One row to add; optional fields are `None` when the source does not give them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionRow<'a> {
    pub owner: &'a str,
    pub protocol: &'a str,
    pub collateral_asset: &'a str,
    /// Units of the collateral asset (1.0 = one ETH).
    pub collateral_amount: f64,
    pub debt_asset: Option<&'a str>,
    /// Units of the debt asset.
    pub debt_amount: Option<f64>,
    /// USD per unit of the collateral asset at which the position becomes liquidatable; 0 when no
    /// price of this asset liquidates it.
    pub liquidation_price: f64,
    pub liquidation_threshold: Option<f64>,
    pub ltv: Option<f64>,
    pub liquidation_bonus: Option<f64>,
}

/// A book of positions in columns. Build it with [`push`](Self::push).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PositionBook {
    /// Asset names (a symbol, or DefiLlama's `chain:address`), indexed by the `u16` ids below.
    pub assets: Vec<String>,
    /// Per asset: its current USD price, `NaN` when not known.
    pub asset_prices: Vec<f64>,
    /// Protocol names, indexed by `protocol`.
    pub protocols: Vec<String>,
    owner_text: String,
    owner_ends: Vec<usize>,
    pub protocol: Vec<u16>,
    pub collateral_asset: Vec<u16>,
    pub collateral_amount: Vec<f64>,
    /// [`NO_ASSET`] when unknown.
    pub debt_asset: Vec<u16>,
    /// `NaN` when unknown.
    pub debt_amount: Vec<f64>,
    pub liquidation_price: Vec<f64>,
    /// `NaN` when unknown.
    pub liquidation_threshold: Vec<f64>,
    /// `NaN` when unknown.
    pub ltv: Vec<f64>,
    /// `NaN` when unknown.
    pub liquidation_bonus: Vec<f64>,
}

/// A dictionary grew past [`MAX_DICTIONARY`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyNames;

fn intern(names: &mut Vec<String>, name: &str) -> Result<u16, TooManyNames> {
    // Books name a handful of assets and protocols; rows come in runs of the same one, so the scan
    // starts from the most recent name.
    if let Some(index) = names.iter().rposition(|existing| existing == name) {
        return Ok(index as u16);
    }
    if names.len() >= MAX_DICTIONARY {
        return Err(TooManyNames);
    }
    names.push(name.to_string());
    Ok((names.len() - 1) as u16)
}

impl PositionBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves room for `n_rows` more rows.
    pub fn reserve(&mut self, n_rows: usize) {
        self.owner_ends.reserve(n_rows);
        self.protocol.reserve(n_rows);
        self.collateral_asset.reserve(n_rows);
        self.collateral_amount.reserve(n_rows);
        self.debt_asset.reserve(n_rows);
        self.debt_amount.reserve(n_rows);
        self.liquidation_price.reserve(n_rows);
        self.liquidation_threshold.reserve(n_rows);
        self.ltv.reserve(n_rows);
        self.liquidation_bonus.reserve(n_rows);
    }

    pub fn len(&self) -> usize {
        self.owner_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner_ends.is_empty()
    }

    /// The id of asset `name`, adding it to the dictionary (price unknown) when new.
    pub fn asset_id(&mut self, name: &str) -> Result<u16, TooManyNames> {
        let id = intern(&mut self.assets, name)?;
        if self.asset_prices.len() < self.assets.len() {
            self.asset_prices.push(f64::NAN);
        }
        Ok(id)
    }

    /// The id of asset `name` if the book names it.
    pub fn find_asset(&self, name: &str) -> Option<u16> {
        self.assets
            .iter()
            .position(|existing| existing == name)
            .map(|index| index as u16)
    }

    /// The owner of row `row`.
    pub fn owner(&self, row: usize) -> &str {
        let start = if row == 0 {
            0
        } else {
            self.owner_ends[row - 1]
        };
        &self.owner_text[start..self.owner_ends[row]]
    }

    /// Appends a row. Fails only when the row names one asset or protocol too many.
    pub fn push(&mut self, row: &PositionRow<'_>) -> Result<(), TooManyNames> {
        let protocol = intern(&mut self.protocols, row.protocol)?;
        let collateral_asset = self.asset_id(row.collateral_asset)?;
        let debt_asset = match row.debt_asset {
            Some(name) => self.asset_id(name)?,
            None => NO_ASSET,
        };
        self.owner_text.push_str(row.owner);
        self.owner_ends.push(self.owner_text.len());
        self.protocol.push(protocol);
        self.collateral_asset.push(collateral_asset);
        self.collateral_amount.push(row.collateral_amount);
        self.debt_asset.push(debt_asset);
        self.debt_amount.push(row.debt_amount.unwrap_or(f64::NAN));
        self.liquidation_price.push(row.liquidation_price);
        self.liquidation_threshold
            .push(row.liquidation_threshold.unwrap_or(f64::NAN));
        self.ltv.push(row.ltv.unwrap_or(f64::NAN));
        self.liquidation_bonus
            .push(row.liquidation_bonus.unwrap_or(f64::NAN));
        Ok(())
    }

    /// Row `row` as a [`PositionRow`] (unknowns as `None`).
    pub fn row(&self, row: usize) -> PositionRow<'_> {
        let known = |value: f64| (!value.is_nan()).then_some(value);
        let debt_asset = self.debt_asset[row];
        PositionRow {
            owner: self.owner(row),
            protocol: &self.protocols[self.protocol[row] as usize],
            collateral_asset: &self.assets[self.collateral_asset[row] as usize],
            collateral_amount: self.collateral_amount[row],
            debt_asset: (debt_asset != NO_ASSET).then(|| self.assets[debt_asset as usize].as_str()),
            debt_amount: known(self.debt_amount[row]),
            liquidation_price: self.liquidation_price[row],
            liquidation_threshold: known(self.liquidation_threshold[row]),
            ltv: known(self.ltv[row]),
            liquidation_bonus: known(self.liquidation_bonus[row]),
        }
    }

    /// The current price of the collateral of row `row` (`NaN` when unknown).
    pub fn collateral_price(&self, row: usize) -> f64 {
        self.asset_prices[self.collateral_asset[row] as usize]
    }

    /// USD value of the debt of row `row`; `NaN` when the amount, the asset or its price is unknown.
    pub fn debt_usd(&self, row: usize) -> f64 {
        let asset = self.debt_asset[row];
        if asset == NO_ASSET {
            return if self.debt_amount[row] == 0.0 {
                0.0
            } else {
                f64::NAN
            };
        }
        self.debt_amount[row] * self.asset_prices[asset as usize]
    }

    /// The book of a lending protocol's accounts at `prices` (one per asset, named by `symbols`), one
    /// row per account and collateral asset held, as the module documentation describes.
    pub fn from_protocol(protocol: &LendingProtocol, symbols: &[String], prices: &[f64]) -> Self {
        let mut book = PositionBook::new();
        book.push_protocol(protocol, symbols, prices);
        book
    }

    /// Appends the rows of `protocol` as [`from_protocol`](Self::from_protocol) makes them, setting the
    /// prices of `symbols` to `prices`.
    pub fn push_protocol(
        &mut self,
        protocol: &LendingProtocol,
        symbols: &[String],
        prices: &[f64],
    ) {
        let book = self;
        for (symbol, &price) in symbols.iter().zip(prices) {
            let id = book.asset_id(symbol).expect("a market has few assets");
            book.asset_prices[id as usize] = price;
        }
        book.reserve(protocol.n_accounts());
        for account_index in 0..protocol.n_accounts() {
            let account = AccountId(account_index as u32);
            let collateral = protocol.collateral_row(account);
            let debt_usd = protocol.debt_usd(account, prices);
            let weighted_total = protocol.weighted_collateral_usd(account, prices);
            let debt_asset =
                crate::lending::largest_by_value(protocol.debt_row(account), prices, |_| true)
                    .map(|asset| asset.index());
            let owner = protocol.label(account).to_string();
            for (asset, &amount) in collateral.iter().enumerate() {
                let Some(params) = protocol.risk_params[asset] else {
                    continue;
                };
                if amount <= 0.0 {
                    continue;
                }
                let weighted = amount * prices[asset] * params.liquidation_threshold;
                let share = if weighted_total > 0.0 {
                    weighted / weighted_total
                } else {
                    0.0
                };
                let others = weighted_total - weighted;
                let liquidation_price =
                    ((debt_usd - others) / (amount * params.liquidation_threshold)).max(0.0);
                let (debt_asset_name, debt_amount) = match debt_asset {
                    Some(debt) => (
                        Some(symbols[debt].as_str()),
                        Some(debt_usd * share / prices[debt]),
                    ),
                    None => (None, Some(0.0)),
                };
                book.push(&PositionRow {
                    owner: &owner,
                    protocol: &protocol.name,
                    collateral_asset: &symbols[asset],
                    collateral_amount: amount,
                    debt_asset: debt_asset_name,
                    debt_amount,
                    liquidation_price,
                    liquidation_threshold: Some(params.liquidation_threshold),
                    ltv: Some(params.ltv),
                    liquidation_bonus: Some(params.liquidation_bonus),
                })
                .expect("a market has few assets");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::AaveRules;
    use crate::ids::OracleId;
    use crate::lending::RiskParams;

    #[test]
    fn test_two_collateral_account_splits_debt_and_prices_each_asset() {
        // ETH (LT 0.8) and BTC (LT 0.7), USDC debt. 10 ETH at 2000 (weighted 16,000), 1 BTC at
        // 40,000 (weighted 28,000), debt 33,000: HF = 44,000 / 33,000 = 1.3333.
        // ETH row: debt share 16/44 * 33,000 = 12,000; L = (33,000 - 28,000) / (10 * 0.8) = 625.
        // BTC row: debt share 28/44 * 33,000 = 21,000; L = (33,000 - 16,000) / (1 * 0.7) = 24,285.71.
        let params = |lt: f64| {
            Some(RiskParams {
                ltv: lt - 0.05,
                liquidation_threshold: lt,
                liquidation_bonus: 0.05,
                protocol_fee: 0.1,
            })
        };
        let mut protocol = LendingProtocol::new(
            "p".into(),
            AaveRules::V3_3,
            vec![params(0.8), params(0.7), None],
            vec![Some(OracleId(0)); 3],
        );
        protocol.add_account("alice".into(), &[10.0, 1.0, 0.0], &[0.0, 0.0, 33_000.0]);
        let symbols: Vec<String> = ["ETH", "BTC", "USDC"].map(String::from).to_vec();
        let book = PositionBook::from_protocol(&protocol, &symbols, &[2000.0, 40_000.0, 1.0]);
        assert_eq!(book.len(), 2);
        assert_eq!(book.owner(0), "alice");
        assert!((book.debt_usd(0) - 12_000.0).abs() < 1e-9);
        assert!((book.debt_usd(1) - 21_000.0).abs() < 1e-9);
        assert!((book.liquidation_price[0] - 625.0).abs() < 1e-9);
        assert!((book.liquidation_price[1] - 17_000.0 / 0.7).abs() < 1e-9);
        assert_eq!(book.row(1).debt_asset, Some("USDC"));
    }
}
