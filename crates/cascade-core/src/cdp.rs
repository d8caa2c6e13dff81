//! CDP vaults (Maker style): each vault locks one collateral type (`ink`) against normalised debt
//! (`art`, owing `art * rate` of the protocol's debt asset) and is unsafe when
//! `ink * price / mat < art * rate`. Unsafe vaults are liquidated by Dutch auction
//! (`mechanism::maker`: `bark` under `Hole`/`hole`, `take`, `redo`); the engine runs them in
//! `engine::cdp`.
//!
//! A lending book becomes a vault book with [`CdpProtocol::from_lending`]: one vault per account and
//! collateral asset, the account's debt apportioned by liquidation-threshold-weighted collateral
//! value, so every vault starts at its account's health factor (`mat = 1 / liquidation_threshold`).

use crate::ids::{AccountId, AssetId, OracleId};
use crate::lending::LendingProtocol;
use crate::mechanism::maker::{ClipperConfig, IlkLiquidationConfig, StopLevel, Vault};
use crate::names::AccountName;
use crate::setup::{BreakerModels, PolModel};

/// One collateral type (`ilk`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdpIlk {
    pub asset: AssetId,
    /// Liquidation ratio `mat` (e.g. 1.45): collateral value / debt below which a vault is unsafe.
    pub liquidation_ratio: f64,
    /// Smallest debt a vault may keep (debt asset units).
    pub dust: f64,
    /// The Dog's `chop` and `hole` and the Clipper's parameters.
    pub liquidation: IlkLiquidationConfig,
    /// The Clipper's circuit breaker.
    pub stopped: StopLevel,
}

/// One vault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdpVault {
    /// Index into [`CdpProtocol::ilks`].
    pub ilk: usize,
    /// `owner` is the vault's own index (collateral left after an auction goes back to it).
    pub vault: Vault,
}

/// The auction parameters a lending book gets when it is turned into vaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DutchAuctionModel {
    /// `chop`; `None`: `1 + liquidation_bonus` of each collateral.
    pub chop: Option<f64>,
    /// Per-ilk `hole` (debt asset units).
    pub hole: f64,
    /// Global `Hole`.
    pub global_hole: f64,
    pub dust: f64,
    pub clipper: ClipperConfig,
    pub stopped: StopLevel,
}

/// A Maker-style CDP protocol.
#[derive(Debug, Clone)]
pub struct CdpProtocol {
    pub name: String,
    pub ilks: Vec<CdpIlk>,
    /// What vaults owe (DAI); its price is read from `oracle_of_asset` like every other.
    pub debt_asset: AssetId,
    /// Global `Hole` (debt asset units).
    pub global_hole: f64,
    /// Per asset: the oracle the protocol reads (an OSM for Maker).
    pub oracle_of_asset: Vec<Option<OracleId>>,
    pub vaults: Vec<CdpVault>,
    /// Per vault: its name in reports (none: named by index).
    pub labels: Vec<AccountName>,
    pub protocol_owned_liquidity: Option<PolModel>,
    pub breakers: BreakerModels,
}

impl CdpProtocol {
    /// The lending book `lending` as vaults under `auction` (see the module doc). Debt in several
    /// assets is summed at `prices` into `debt_asset` units. Accounts without debt or collateral are
    /// dropped.
    pub fn from_lending(
        lending: &LendingProtocol,
        debt_asset: AssetId,
        auction: &DutchAuctionModel,
        prices: &[f64],
    ) -> Self {
        let mut ilk_of_asset: Vec<Option<usize>> = vec![None; lending.n_assets];
        let mut ilks = Vec::new();
        for (asset, params) in lending.risk_params.iter().enumerate() {
            if let Some(params) = params {
                ilk_of_asset[asset] = Some(ilks.len());
                ilks.push(CdpIlk {
                    asset: AssetId(asset as u16),
                    liquidation_ratio: 1.0 / params.liquidation_threshold,
                    dust: auction.dust,
                    liquidation: IlkLiquidationConfig {
                        chop: auction.chop.unwrap_or(1.0 + params.liquidation_bonus),
                        hole: auction.hole,
                        clipper: auction.clipper,
                    },
                    stopped: auction.stopped,
                });
            }
        }
        let mut vaults = Vec::new();
        let mut labels = Vec::new();
        for account_index in 0..lending.n_accounts() {
            let account = AccountId(account_index as u32);
            let debt_usd = lending.debt_usd(account, prices);
            let weighted = lending.weighted_collateral_usd(account, prices);
            if debt_usd <= 0.0 || weighted <= 0.0 {
                continue;
            }
            for (asset, &amount) in lending.collateral_row(account).iter().enumerate() {
                let (Some(ilk), Some(params)) = (ilk_of_asset[asset], lending.risk_params[asset])
                else {
                    continue;
                };
                if amount <= 0.0 {
                    continue;
                }
                let share = amount * prices[asset] * params.liquidation_threshold / weighted;
                let owner = vaults.len() as u32;
                vaults.push(CdpVault {
                    ilk,
                    vault: Vault {
                        owner,
                        ink: amount,
                        art: debt_usd * share / prices[debt_asset.index()],
                    },
                });
                labels.push(lending.label(account));
            }
        }
        CdpProtocol {
            name: lending.name.clone(),
            ilks,
            debt_asset,
            global_hole: auction.global_hole,
            oracle_of_asset: lending.oracle_of_asset.clone(),
            vaults,
            labels,
            protocol_owned_liquidity: lending.setup.protocol_owned_liquidity,
            breakers: lending.setup.breakers,
        }
    }

    pub fn n_vaults(&self) -> usize {
        self.vaults.len()
    }

    /// The vault's name in reports: its label, or its index when it has none (no allocation).
    pub fn label(&self, vault: usize) -> AccountName {
        match self.labels.get(vault) {
            Some(label) => label.clone(),
            None => AccountName::Index(vault as u32),
        }
    }

    /// `ink * price / (art * rate * mat)` (rate = 1: no stability fee accrues during a run):
    /// below 1 the vault is unsafe. Infinite without debt.
    pub fn collateralization(&self, vault: &CdpVault, prices: &[f64]) -> f64 {
        let ilk = &self.ilks[vault.ilk];
        let debt = vault.vault.art * prices[self.debt_asset.index()];
        if debt <= 0.0 {
            return f64::INFINITY;
        }
        vault.vault.ink * prices[ilk.asset.index()] / (debt * ilk.liquidation_ratio)
    }

    /// Total collateral (per asset, units) and debt (debt asset units) in the vaults.
    pub fn totals(&self, n_assets: usize) -> (Vec<f64>, f64) {
        let mut collateral = vec![0.0; n_assets];
        let mut debt = 0.0;
        for vault in &self.vaults {
            collateral[self.ilks[vault.ilk].asset.index()] += vault.vault.ink;
            debt += vault.vault.art;
        }
        (collateral, debt)
    }
}
