//! A lending protocol (Aave v3 style): accounts with several collateral and debt assets, the health
//! factor, and the liquidation rules of Aave v3.0 and v3.3 in real numbers. `exact` holds the same
//! rules in the contracts' integer arithmetic; the tests check that the two agree.

use rayon::prelude::*;

use crate::ids::{AccountId, AssetId, OracleId};
use crate::names::{AccountName, Name};
use crate::setup::LendingSetup;

pub use crate::exact::AaveRules;

/// Constants of Aave v3.3's `LiquidationLogic`, in USD.
pub mod aave_constants {
    /// Close factor applied while the health factor is above [`CLOSE_FACTOR_HF_THRESHOLD`].
    pub const DEFAULT_CLOSE_FACTOR: f64 = 0.5;
    /// At or below this health factor the whole debt may be liquidated.
    pub const CLOSE_FACTOR_HF_THRESHOLD: f64 = 0.95;
    /// v3.3: a reserve whose collateral or debt is worth less than this may be liquidated in full.
    pub const MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD_USD: f64 = 2000.0;
    /// v3.3: a partial liquidation must leave at least this much debt and collateral (the dust rule).
    pub const MIN_LEFTOVER_BASE_USD: f64 = 1000.0;
}
use aave_constants::*;

/// Risk parameters of one asset listed in the protocol (fractions, not basis points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskParams {
    /// Maximum loan-to-value a borrower may open at (borrowing power).
    pub ltv: f64,
    /// Weight of the collateral in the health factor.
    pub liquidation_threshold: f64,
    /// Extra collateral a liquidator receives, as a fraction of the debt repaid (0.05 = 5%).
    pub liquidation_bonus: f64,
    /// Share of the bonus that goes to the protocol's treasury.
    pub protocol_fee: f64,
}

/// Why a liquidation cannot go ahead (the contract would revert).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationRefusal {
    /// Health factor is not below 1.
    Healthy,
    /// The account has no debt in the chosen debt asset.
    NoDebt,
    /// The account has no balance of the chosen collateral asset.
    NoCollateral,
    /// The asset is not accepted as collateral.
    NotCollateral,
    /// v3.3: the liquidation would leave less than $1,000 of debt or collateral without clearing either.
    WouldLeaveDust,
    /// `debt_to_cover` is zero, negative or NaN (the contract reverts on a zero burn).
    InvalidAmount,
}

/// What one liquidation call does, in asset units and USD at the oracle prices it ran at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationPlan {
    pub collateral_asset: AssetId,
    pub debt_asset: AssetId,
    pub health_factor_before: f64,
    /// The close factor the rules applied (0.5 or 1.0).
    pub close_factor: f64,
    pub debt_repaid: f64,
    /// Collateral taken from the account: to the liquidator plus the protocol fee.
    pub collateral_seized: f64,
    pub collateral_to_liquidator: f64,
    pub protocol_fee_collateral: f64,
    pub collateral_price: f64,
    pub debt_price: f64,
    /// The account holds no collateral at all after this call.
    pub exhausts_collateral: bool,
    /// The bonus applied, as a fraction of the debt repaid.
    pub bonus: f64,
}

/// The parts of a liquidation call that a mechanism sets (see [`crate::setup::LendingMechanism`]);
/// [`LiquidationTerms::rules`] gives the protocol's own (Aave) terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationTerms {
    /// Bonus as a fraction of the debt repaid; `None`: the collateral's `liquidation_bonus`.
    pub bonus: Option<f64>,
    /// Protocol's share of the bonus; `None`: the collateral's `protocol_fee`.
    pub protocol_fee: Option<f64>,
    /// The whole debt may be repaid in one call, whatever the health factor.
    pub close_in_full: bool,
    /// Health factors are divided by this (>= 1): a stepped-up margin requirement of a breaker.
    pub margin_multiplier: f64,
    /// At most this much debt (debt asset units) may be repaid by this call (chunks, rate limits).
    pub max_debt: f64,
    /// Whether v3.3's dust rule applies (Aave's own terms; Morpho and Euler have none).
    pub dust_rule: bool,
}

impl LiquidationPlan {
    pub fn debt_repaid_usd(&self) -> f64 {
        self.debt_repaid * self.debt_price
    }
    pub fn collateral_seized_usd(&self) -> f64 {
        self.collateral_seized * self.collateral_price
    }
}

/// A lending protocol and its accounts. Balances are dense rows, each account's collateral row then
/// its debt row: `balances[account * 2 * n_assets + asset]` and `[.. + n_assets + asset]`.
#[derive(Debug, Clone)]
pub struct LendingProtocol {
    pub name: String,
    pub rules: AaveRules,
    /// Every liquidation may repay the account's whole debt in one call (close factor 100%, as in
    /// Compound v3's absorb, Liquity, or a perp venue's full liquidation), whatever the health
    /// factor; the dust rule then never applies. Deficit accounting still follows `rules`.
    pub close_in_full: bool,
    pub n_assets: usize,
    /// Per asset: its risk parameters when it is listed as collateral.
    pub risk_params: Vec<Option<RiskParams>>,
    /// Per asset: the oracle the protocol reads it from (every asset an account holds has one).
    pub oracle_of_asset: Vec<Option<OracleId>>,
    /// Per account, its collateral row then its debt row (each `n_assets` long) side by side: a
    /// liquidation reads both, and one account's two rows then share a cache line or two.
    balances: Vec<f64>,
    n_accounts: usize,
    /// Per account: a label for reports (empty: the account index is used). Kept only from the
    /// first account with a label on (earlier ones get an empty label then): a book without labels
    /// holds none, so its clones copy no strings and an event's label reads no string.
    labels: Vec<Name>,
    /// How the engine liquidates this protocol (mechanism, pools, breakers); the default is the fixed
    /// spread keeper sale under `rules`.
    pub setup: LendingSetup,
}

impl LendingProtocol {
    pub fn new(
        name: String,
        rules: AaveRules,
        risk_params: Vec<Option<RiskParams>>,
        oracle_of_asset: Vec<Option<OracleId>>,
    ) -> Self {
        let n_assets = risk_params.len();
        assert_eq!(oracle_of_asset.len(), n_assets, "one oracle slot per asset");
        LendingProtocol {
            name,
            rules,
            close_in_full: false,
            n_assets,
            risk_params,
            oracle_of_asset,
            balances: Vec::new(),
            n_accounts: 0,
            labels: Vec::new(),
            setup: LendingSetup::default(),
        }
    }

    /// The protocol's own terms: its bonus and fee, its close factor, no breaker.
    pub fn rules_terms(&self) -> LiquidationTerms {
        LiquidationTerms {
            bonus: None,
            protocol_fee: None,
            close_in_full: self.close_in_full,
            margin_multiplier: 1.0,
            max_debt: f64::INFINITY,
            dust_rule: true,
        }
    }

    /// Empties an account (a takeover or an absorb) and returns its collateral and debt rows as they
    /// were.
    pub fn clear_account(&mut self, account: AccountId) -> (Vec<f64>, Vec<f64>) {
        let collateral = self.collateral_row(account).to_vec();
        let debt = self.debt_row(account).to_vec();
        let rows = self.row_range(account);
        self.balances[rows].fill(0.0);
        (collateral, debt)
    }

    /// Adds an account with the given balances (one per asset) and returns its id.
    pub fn add_account(&mut self, label: String, collateral: &[f64], debt: &[f64]) -> AccountId {
        assert_eq!(collateral.len(), self.n_assets);
        assert_eq!(debt.len(), self.n_assets);
        let id = AccountId(u32::try_from(self.n_accounts).expect("fewer than 2^32 accounts"));
        self.balances.extend_from_slice(collateral);
        self.balances.extend_from_slice(debt);
        if !label.is_empty() || !self.labels.is_empty() {
            self.labels.resize(self.n_accounts, Name::default());
            self.labels.push(Name::from(label));
        }
        self.n_accounts += 1;
        id
    }

    /// Adds `amount` units of `asset` to an account's collateral (negative: withdraws; a borrower's
    /// top-up or close).
    pub fn add_collateral(&mut self, account: AccountId, asset: AssetId, amount: f64) {
        let index = self.row_range(account).start + asset.index();
        let slot = &mut self.balances[index];
        *slot = (*slot + amount).max(0.0);
    }

    /// Repays `amount` units of an account's `asset` debt (a borrower's own repayment).
    pub fn repay(&mut self, account: AccountId, asset: AssetId, amount: f64) {
        let index = self.row_range(account).start + self.n_assets + asset.index();
        let slot = &mut self.balances[index];
        assert!(
            amount <= *slot * (1.0 + 1e-12),
            "repaying more than the debt"
        );
        *slot = (*slot - amount).max(0.0);
    }

    /// A copy, with the balances copied on the current rayon pool's threads (a large book's copy
    /// is mostly page faults, which the kernel serves per thread). Equal to `clone()`.
    pub fn par_clone(&self) -> Self {
        let mut balances = Vec::with_capacity(self.balances.len());
        balances.par_extend(self.balances.par_iter().copied());
        LendingProtocol {
            name: self.name.clone(),
            rules: self.rules,
            close_in_full: self.close_in_full,
            n_assets: self.n_assets,
            risk_params: self.risk_params.clone(),
            oracle_of_asset: self.oracle_of_asset.clone(),
            balances,
            n_accounts: self.n_accounts,
            labels: self.labels.clone(),
            setup: self.setup,
        }
    }

    pub fn n_accounts(&self) -> usize {
        self.n_accounts
    }

    /// Every account's collateral row and debt row, side by side (`2 * n_assets` per account).
    pub(crate) fn dense_rows(&self) -> &[f64] {
        &self.balances
    }

    /// Where an account's two rows lie in `balances`.
    fn row_range(&self, account: AccountId) -> std::ops::Range<usize> {
        let start = account.index() * 2 * self.n_assets;
        start..start + 2 * self.n_assets
    }

    pub fn collateral_row(&self, account: AccountId) -> &[f64] {
        let start = account.index() * 2 * self.n_assets;
        &self.balances[start..start + self.n_assets]
    }

    pub fn debt_row(&self, account: AccountId) -> &[f64] {
        let start = (account.index() * 2 + 1) * self.n_assets;
        &self.balances[start..start + self.n_assets]
    }

    /// The account's name in reports: its label, or its index when it has none (no allocation).
    pub fn label(&self, account: AccountId) -> AccountName {
        match self.labels.get(account.index()) {
            Some(label) if !label.is_empty() => AccountName::Label(label.clone()),
            _ => AccountName::Index(account.0),
        }
    }

    /// Liquidation-threshold-weighted collateral value in USD.
    pub fn weighted_collateral_usd(&self, account: AccountId, prices: &[f64]) -> f64 {
        let row = self.collateral_row(account);
        let mut total = 0.0;
        for (asset, &amount) in row.iter().enumerate() {
            if amount > 0.0 {
                if let Some(params) = &self.risk_params[asset] {
                    total += amount * prices[asset] * params.liquidation_threshold;
                }
            }
        }
        total
    }

    pub fn collateral_usd(&self, account: AccountId, prices: &[f64]) -> f64 {
        dot(self.collateral_row(account), prices)
    }

    pub fn debt_usd(&self, account: AccountId, prices: &[f64]) -> f64 {
        dot(self.debt_row(account), prices)
    }

    /// `HF = sum(collateral_i * price_i * LT_i) / sum(debt_j * price_j)`; infinite without debt.
    pub fn health_factor(&self, account: AccountId, prices: &[f64]) -> f64 {
        let debt = self.debt_usd(account, prices);
        if debt <= 0.0 {
            return f64::INFINITY;
        }
        self.weighted_collateral_usd(account, prices) / debt
    }

    /// Whether the account holds any collateral that counts: a balance of a listed collateral asset.
    /// (Aave counts only reserves used as collateral with a non-zero liquidation threshold, so an
    /// account holding only unlisted assets has "no collateral left".)
    pub fn has_collateral(&self, account: AccountId) -> bool {
        self.collateral_row(account)
            .iter()
            .enumerate()
            .any(|(asset, &amount)| amount > 0.0 && self.risk_params[asset].is_some())
    }

    /// The (collateral, debt) pair a liquidator goes for: the largest collateral by value among the
    /// listed ones, and the largest debt by value. `None` when either side is empty.
    pub fn largest_pair(&self, account: AccountId, prices: &[f64]) -> Option<(AssetId, AssetId)> {
        let collateral = largest_by_value(self.collateral_row(account), prices, |asset| {
            self.risk_params[asset].is_some()
        })?;
        let debt = largest_by_value(self.debt_row(account), prices, |_| true)?;
        Some((collateral, debt))
    }

    /// Works out what `liquidationCall(collateral, debt, account, debt_to_cover)` would do at `prices`
    /// under the protocol's rules, without changing anything.
    pub fn plan_liquidation(
        &self,
        account: AccountId,
        collateral_asset: AssetId,
        debt_asset: AssetId,
        debt_to_cover: f64,
        prices: &[f64],
    ) -> Result<LiquidationPlan, LiquidationRefusal> {
        self.plan_liquidation_with(
            account,
            collateral_asset,
            debt_asset,
            debt_to_cover,
            prices,
            &self.rules_terms(),
        )
    }

    /// [`plan_liquidation`](Self::plan_liquidation) under a mechanism's `terms`: its bonus and fee,
    /// its close rule, the margin multiplier of a breaker (the health factor the rules see is
    /// `HF / margin_multiplier`) and a cap on the debt repaid.
    pub fn plan_liquidation_with(
        &self,
        account: AccountId,
        collateral_asset: AssetId,
        debt_asset: AssetId,
        debt_to_cover: f64,
        prices: &[f64],
        terms: &LiquidationTerms,
    ) -> Result<LiquidationPlan, LiquidationRefusal> {
        let debt_to_cover = debt_to_cover.min(terms.max_debt);
        // Refusals come in the contract's order, so that a call failing several checks gives the
        // contract's reason: `validateLiquidationCall` checks the health factor, then the
        // collateral, then the debt; a zero amount only fails later, at the burn (the
        // differential test against the v3.0 bytecode, cascade-evm-tests, checks this).
        let mut health_factor = self.health_factor(account, prices);
        if terms.margin_multiplier != 1.0 {
            health_factor /= terms.margin_multiplier;
        }
        if health_factor >= 1.0 {
            return Err(LiquidationRefusal::Healthy);
        }
        let mut params =
            self.risk_params[collateral_asset.index()].ok_or(LiquidationRefusal::NotCollateral)?;
        if let Some(bonus) = terms.bonus {
            params.liquidation_bonus = bonus;
        }
        if let Some(fee) = terms.protocol_fee {
            params.protocol_fee = fee;
        }
        let user_debt = self.debt_row(account)[debt_asset.index()];
        let user_collateral = self.collateral_row(account)[collateral_asset.index()];
        if user_collateral <= 0.0 {
            return Err(LiquidationRefusal::NoCollateral);
        }
        if user_debt <= 0.0 {
            return Err(LiquidationRefusal::NoDebt);
        }
        if debt_to_cover.is_nan() || debt_to_cover <= 0.0 {
            return Err(LiquidationRefusal::InvalidAmount);
        }
        let collateral_price = prices[collateral_asset.index()];
        let debt_price = prices[debt_asset.index()];
        let reserve_debt_usd = user_debt * debt_price;
        let reserve_collateral_usd = user_collateral * collateral_price;

        let (close_factor, max_liquidatable_debt) = match self.rules {
            _ if terms.close_in_full => (1.0, user_debt),
            AaveRules::V3_3 => {
                let partial_allowed = reserve_collateral_usd
                    >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD_USD
                    && reserve_debt_usd >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD_USD
                    && health_factor > CLOSE_FACTOR_HF_THRESHOLD;
                if partial_allowed {
                    // The 50% applies to the account's total debt: a reserve holding less than
                    // half of it can be repaid in full.
                    let default_liquidatable_usd =
                        self.debt_usd(account, prices) * DEFAULT_CLOSE_FACTOR;
                    if reserve_debt_usd > default_liquidatable_usd {
                        (DEFAULT_CLOSE_FACTOR, default_liquidatable_usd / debt_price)
                    } else {
                        (1.0, user_debt)
                    }
                } else {
                    (1.0, user_debt)
                }
            }
            AaveRules::V3_0 => {
                let close_factor = if health_factor > CLOSE_FACTOR_HF_THRESHOLD {
                    DEFAULT_CLOSE_FACTOR
                } else {
                    1.0
                };
                (close_factor, user_debt * close_factor)
            }
        };
        let actual_debt = debt_to_cover.min(max_liquidatable_debt);

        let bonus_multiplier = 1.0 + params.liquidation_bonus;
        let base_collateral = actual_debt * debt_price / collateral_price;
        let max_collateral = base_collateral * bonus_multiplier;
        let (collateral_seized, debt_repaid) = if max_collateral > user_collateral {
            // Collateral runs out first: seize all of it and repay what it is worth net of the bonus.
            let debt_needed = user_collateral * collateral_price / debt_price / bonus_multiplier;
            (user_collateral, debt_needed.min(user_debt))
        } else {
            (max_collateral, actual_debt)
        };
        let bonus_collateral = collateral_seized - collateral_seized / bonus_multiplier;
        let protocol_fee_collateral = bonus_collateral * params.protocol_fee;
        let collateral_to_liquidator = collateral_seized - protocol_fee_collateral;

        if self.rules == AaveRules::V3_3
            && terms.dust_rule
            && debt_repaid < user_debt
            && collateral_seized < user_collateral
        {
            // As in the contract, the collateral left is counted before the fee is taken out.
            let debt_left_usd = (user_debt - debt_repaid) * debt_price;
            let collateral_left_usd =
                (user_collateral - collateral_to_liquidator) * collateral_price;
            if debt_left_usd < MIN_LEFTOVER_BASE_USD || collateral_left_usd < MIN_LEFTOVER_BASE_USD
            {
                return Err(LiquidationRefusal::WouldLeaveDust);
            }
        }

        let other_collateral =
            self.collateral_row(account)
                .iter()
                .enumerate()
                .any(|(asset, &amount)| {
                    asset != collateral_asset.index()
                        && amount > 0.0
                        && self.risk_params[asset].is_some()
                });
        let exhausts_collateral = collateral_seized >= user_collateral && !other_collateral;

        Ok(LiquidationPlan {
            collateral_asset,
            debt_asset,
            health_factor_before: health_factor,
            close_factor,
            debt_repaid,
            collateral_seized,
            collateral_to_liquidator,
            protocol_fee_collateral,
            collateral_price,
            debt_price,
            exhausts_collateral,
            bonus: params.liquidation_bonus,
        })
    }

    /// Applies a plan made by [`plan_liquidation`](Self::plan_liquidation) on the current balances.
    /// When the account is left without collateral, its remaining debt is bad debt: under v3.3 it is
    /// written off (the contract's deficit); under v3.0 it stays on the account, unbacked. Returns
    /// that debt's USD value at `prices`.
    pub fn apply_liquidation(
        &mut self,
        account: AccountId,
        plan: &LiquidationPlan,
        prices: &[f64],
    ) -> f64 {
        let start = self.row_range(account).start;
        let collateral = &mut self.balances[start + plan.collateral_asset.index()];
        *collateral = if plan.collateral_seized >= *collateral {
            0.0
        } else {
            *collateral - plan.collateral_seized
        };
        let debt_start = start + self.n_assets;
        let debt = &mut self.balances[debt_start + plan.debt_asset.index()];
        assert!(
            plan.debt_repaid <= *debt * (1.0 + 1e-12),
            "a liquidation repays more than the debt"
        );
        *debt = (*debt - plan.debt_repaid).max(0.0);
        if !plan.exhausts_collateral {
            return 0.0;
        }
        let bad_debt_usd = self.debt_usd(account, prices);
        if self.rules == AaveRules::V3_3 {
            self.balances[debt_start..debt_start + self.n_assets].fill(0.0);
        }
        bad_debt_usd
    }
}

fn dot(amounts: &[f64], prices: &[f64]) -> f64 {
    amounts
        .iter()
        .zip(prices)
        .map(|(amount, price)| amount * price)
        .sum()
}

/// The asset of `row` worth most at `prices` among those `eligible` with a positive amount (the
/// first on ties).
pub(crate) fn largest_by_value(
    row: &[f64],
    prices: &[f64],
    eligible: impl Fn(usize) -> bool,
) -> Option<AssetId> {
    let mut best: Option<(usize, f64)> = None;
    for (asset, &amount) in row.iter().enumerate() {
        if amount > 0.0 && eligible(asset) {
            let value = amount * prices[asset];
            if best.is_none_or(|(_, best_value)| value > best_value) {
                best = Some((asset, value));
            }
        }
    }
    best.map(|(asset, _)| AssetId(asset as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Aave v3.3 test market: USDX (asset 0, $1), WBTC (asset 1), WETH (asset 2), LT 86%, bonus 5%,
    /// protocol fee 10% of the bonus.
    fn market(rules: AaveRules) -> LendingProtocol {
        let params = RiskParams {
            ltv: 0.825,
            liquidation_threshold: 0.86,
            liquidation_bonus: 0.05,
            protocol_fee: 0.1,
        };
        LendingProtocol::new(
            "aave".into(),
            rules,
            vec![None, Some(params), Some(params)],
            vec![Some(OracleId(0)), Some(OracleId(1)), Some(OracleId(2))],
        )
    }

    #[test]
    fn test_health_factor_by_hand() {
        // 1 WBTC at 20,250 with LT 0.86 against 20,500 USDX: 17,415 / 20,500 = 0.849512...
        let mut protocol = market(AaveRules::V3_3);
        let account = protocol.add_account(String::new(), &[0.0, 1.0, 0.0], &[20_500.0, 0.0, 0.0]);
        let hf = protocol.health_factor(account, &[1.0, 20_250.0, 1800.0]);
        assert!((hf - 17_415.0 / 20_500.0).abs() < 1e-12);
    }

    #[test]
    fn test_close_factor_is_half_above_095_and_full_at_or_below() {
        // 100 WETH at $1,800 = $180,000; debt = 180,000*0.86/HF.
        for (hf, expected) in [(0.97, 0.5), (0.94, 1.0)] {
            let mut protocol = market(AaveRules::V3_3);
            let debt = 180_000.0 * 0.86 / hf;
            let account =
                protocol.add_account(String::new(), &[0.0, 0.0, 100.0], &[debt, 0.0, 0.0]);
            let plan = protocol
                .plan_liquidation(
                    account,
                    AssetId(2),
                    AssetId(0),
                    f64::INFINITY,
                    &[1.0, 27_000.0, 1800.0],
                )
                .unwrap();
            assert_eq!(plan.close_factor, expected, "hf {hf}");
        }
    }

    #[test]
    fn test_refusals_come_in_the_contracts_order() {
        // Health factor, then collateral, then debt, then the amount (ValidationLogic, then the
        // burn), as the v3.0 bytecode reverts.
        let mut protocol = market(AaveRules::V3_0);
        let prices = [1.0, 27_000.0, 1800.0];
        // 1 WETH ($1,800, weighted 1,548) against 1,000 USDX: healthy.
        let healthy = protocol.add_account(String::new(), &[0.0, 0.0, 1.0], &[1000.0, 0.0, 0.0]);
        // 1 WETH against 2,000 USDX: HF 0.774.
        let unhealthy = protocol.add_account(String::new(), &[0.0, 0.0, 1.0], &[2000.0, 0.0, 0.0]);
        let plan = |account, collateral, debt, cover| {
            protocol.plan_liquidation(account, AssetId(collateral), AssetId(debt), cover, &prices)
        };
        assert_eq!(plan(healthy, 2, 0, 0.0), Err(LiquidationRefusal::Healthy));
        // Neither WBTC collateral nor WETH debt: the collateral is reported first.
        assert_eq!(
            plan(unhealthy, 1, 2, 0.0),
            Err(LiquidationRefusal::NoCollateral)
        );
        assert_eq!(plan(unhealthy, 2, 2, 0.0), Err(LiquidationRefusal::NoDebt));
        assert_eq!(
            plan(unhealthy, 2, 0, 0.0),
            Err(LiquidationRefusal::InvalidAmount)
        );
    }

    #[test]
    fn test_collateral_exhaustion_creates_bad_debt_under_v33() {
        // 1 WETH at $1,000 (LT 0.86) against 1,000 USDX: HF 0.86. Seizing all collateral repays
        // 1000/1.05 = 952.38 USDX; the remaining 47.62 is written off as bad debt.
        let mut protocol = market(AaveRules::V3_3);
        let account = protocol.add_account(String::new(), &[0.0, 0.0, 1.0], &[1000.0, 0.0, 0.0]);
        let prices = [1.0, 27_000.0, 1000.0];
        let plan = protocol
            .plan_liquidation(account, AssetId(2), AssetId(0), f64::INFINITY, &prices)
            .unwrap();
        assert!(plan.exhausts_collateral);
        assert!((plan.debt_repaid - 1000.0 / 1.05).abs() < 1e-9);
        let bad_debt = protocol.apply_liquidation(account, &plan, &prices);
        assert!((bad_debt - (1000.0 - 1000.0 / 1.05)).abs() < 1e-9);
        assert_eq!(protocol.debt_usd(account, &prices), 0.0);
    }

    #[test]
    fn test_dust_rule_refuses_a_small_leftover() {
        // 2 WETH at $1,800 ($3,600, weighted 3,096) against $3,500 of USDX: HF 0.8846 <= 0.95, so the
        // close factor is 100%. Covering $3,000 leaves $500 of debt (< $1,000) while collateral
        // (3,000*1.05 = $3,150 of the $3,600) remains: refused. Covering all of it is allowed.
        let mut protocol = market(AaveRules::V3_3);
        let account = protocol.add_account(String::new(), &[0.0, 0.0, 2.0], &[3500.0, 0.0, 0.0]);
        let prices = [1.0, 27_000.0, 1800.0];
        assert_eq!(
            protocol.plan_liquidation(account, AssetId(2), AssetId(0), 3000.0, &prices),
            Err(LiquidationRefusal::WouldLeaveDust)
        );
        assert!(protocol
            .plan_liquidation(account, AssetId(2), AssetId(0), 3500.0, &prices)
            .is_ok());
        // Under v3.0 there is no dust rule; the close factor is 100% below 0.95 too.
        let mut old = market(AaveRules::V3_0);
        let account = old.add_account(String::new(), &[0.0, 0.0, 2.0], &[3500.0, 0.0, 0.0]);
        assert!(old
            .plan_liquidation(account, AssetId(2), AssetId(0), 3000.0, &prices)
            .is_ok());
    }

    #[test]
    fn test_unlabelled_accounts_are_named_by_index_before_and_after_a_label() {
        let mut protocol = market(AaveRules::V3_3);
        let balances = [0.0, 1.0, 0.0];
        for label in ["", "", "alice", "", "bob"] {
            protocol.add_account(label.into(), &balances, &balances);
        }
        assert_eq!(protocol.n_accounts(), 5);
        let labels: Vec<String> = (0..5)
            .map(|a| protocol.label(AccountId(a)).to_string())
            .collect();
        assert_eq!(labels, ["0", "1", "alice", "3", "bob"]);
        let mut plain = market(AaveRules::V3_3);
        plain.add_account(String::new(), &balances, &balances);
        assert_eq!(plain.label(AccountId(0)), "0");
        assert!(plain.labels.is_empty());
    }

    /// `par_clone` copies every account's balances and label, on any number of threads.
    #[test]
    fn test_par_clone_equals_the_protocol() {
        let mut protocol = market(AaveRules::V3_3);
        for account in 0..5_000u32 {
            let x = f64::from(account);
            let label = if account % 7 == 0 {
                format!("a{account}")
            } else {
                String::new()
            };
            protocol.add_account(label, &[x, 0.5 * x, 0.0], &[0.0, 0.0, 3.0 * x + 1.0]);
        }
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let copy = pool.install(|| protocol.par_clone());
            // Every field (`Debug` prints each float's shortest exact form): a field the
            // hand-built copy forgot would show.
            assert_eq!(format!("{copy:?}"), format!("{:?}", protocol.clone()));
            // Account 0 is labelled, so every account keeps a label slot.
            assert!(copy.balances.len() == 5_000 * 6 && copy.labels.len() == 5_000);
        }
    }
}
