//! The seeded synthetic position book: tens of thousands of borrowers with realistic size, leverage
//! and clustering of liquidation prices around round numbers.
//!
//! Per account:
//! - collateral value: log-normal with median `median_collateral_usd` and log-sd `collateral_usd_sigma`,
//!   capped at `max_collateral_usd` (a few whales, many small accounts);
//! - one collateral asset drawn by weight; with probability `multi_collateral_share` a second one
//!   holding 20-50% of the value;
//! - one debt asset drawn by weight; with probability `multi_debt_share` a second one holding 20-80%;
//! - health factor: `h_min + excess` where `h_min` is the lowest the protocol lets a borrower open at
//!   (borrowing at the full LTV: `sum(c*LT)/sum(c*LTV)`) and `excess` is log-normal with median
//!   `health_factor_median - h_min` and log-sd `health_factor_sigma`;
//! - with probability `round_number_share`, a one-collateral one-debt account moves its debt so that
//!   its liquidation price sits on a multiple of the collateral's `round_price_step` (the nearest one it
//!   can borrow at): the clusters that heatmaps show.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::ids::AssetId;
use crate::lending::LendingProtocol;
use crate::rng::{stream_rng, Stream};

/// A collateral asset the generator may pick.
#[derive(Debug, Clone, PartialEq)]
pub struct CollateralChoice {
    pub asset: AssetId,
    pub weight: f64,
    /// Liquidation prices of clustered accounts sit on multiples of this (USD); 0 disables.
    pub round_price_step: f64,
}

/// A debt asset the generator may pick.
#[derive(Debug, Clone, PartialEq)]
pub struct DebtChoice {
    pub asset: AssetId,
    pub weight: f64,
}

/// The generator's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorModel {
    pub n_accounts: u32,
    pub collateral: Vec<CollateralChoice>,
    pub debt: Vec<DebtChoice>,
    pub multi_collateral_share: f64,
    pub multi_debt_share: f64,
    pub median_collateral_usd: f64,
    pub collateral_usd_sigma: f64,
    pub max_collateral_usd: f64,
    pub health_factor_median: f64,
    pub health_factor_sigma: f64,
    pub round_number_share: f64,
}

fn pick<T>(choices: &[T], weight: impl Fn(&T) -> f64, rng: &mut impl Rng) -> usize {
    let total: f64 = choices.iter().map(&weight).sum();
    let mut target = rng.gen::<f64>() * total;
    for (index, choice) in choices.iter().enumerate() {
        target -= weight(choice);
        if target < 0.0 {
            return index;
        }
    }
    choices.len() - 1
}

/// Fills `protocol` with `model.n_accounts` accounts drawn from stream `AccountGenerator` of `seed`,
/// valued at `prices` (one per asset). The protocol's risk parameters must list every collateral choice.
pub fn generate_accounts(
    protocol: &mut LendingProtocol,
    model: &GeneratorModel,
    prices: &[f64],
    seed: u64,
) {
    let mut rng = stream_rng(seed, 0, Stream::AccountGenerator);
    let size = LogNormal::new(model.median_collateral_usd.ln(), model.collateral_usd_sigma)
        .expect("validated: positive median and finite sigma");
    let n_assets = protocol.n_assets;
    let mut collateral = vec![0.0; n_assets];
    let mut debt = vec![0.0; n_assets];
    for _ in 0..model.n_accounts {
        collateral.fill(0.0);
        debt.fill(0.0);
        let value = size.sample(&mut rng).min(model.max_collateral_usd);

        let first = pick(&model.collateral, |c| c.weight, &mut rng);
        let mut shares = vec![(first, 1.0)];
        if model.collateral.len() > 1 && rng.gen::<f64>() < model.multi_collateral_share {
            let mut second = pick(&model.collateral, |c| c.weight, &mut rng);
            if second == first {
                second = (first + 1) % model.collateral.len();
            }
            let share = rng.gen_range(0.2..0.5);
            shares = vec![(first, 1.0 - share), (second, share)];
        }
        let mut weighted = 0.0;
        let mut borrowing_power = 0.0;
        for &(choice, share) in &shares {
            let asset = model.collateral[choice].asset.index();
            let params = protocol.risk_params[asset]
                .expect("generator collateral is listed in the protocol");
            collateral[asset] = value * share / prices[asset];
            weighted += value * share * params.liquidation_threshold;
            borrowing_power += value * share * params.ltv;
        }

        let minimum_health_factor = weighted / borrowing_power * 1.001;
        let excess_median = (model.health_factor_median - minimum_health_factor).max(1e-3);
        let excess = LogNormal::new(excess_median.ln(), model.health_factor_sigma)
            .expect("validated: finite sigma")
            .sample(&mut rng);
        let mut debt_usd = weighted / (minimum_health_factor + excess);

        let first_debt = pick(&model.debt, |d| d.weight, &mut rng);
        let clustered = shares.len() == 1 && rng.gen::<f64>() < model.round_number_share;
        let two_debts = model.debt.len() > 1 && rng.gen::<f64>() < model.multi_debt_share;
        if clustered && !two_debts {
            let choice = &model.collateral[first];
            let asset = choice.asset.index();
            let step = choice.round_price_step;
            if step > 0.0 {
                // Liquidation price L = debt / (amount * LT); move it to a multiple of `step`, never
                // above what the LTV allows.
                let amount = collateral[asset];
                let threshold = protocol.risk_params[asset]
                    .expect("listed")
                    .liquidation_threshold;
                let liquidation_price = debt_usd / (amount * threshold);
                // Borrowing at the most the LTV allows puts L at price / h_min.
                let highest = prices[asset] / minimum_health_factor;
                let mut rounded = (liquidation_price / step).round() * step;
                if rounded >= highest {
                    rounded = (highest / step).floor() * step;
                }
                if rounded > 0.0 {
                    debt_usd = rounded * amount * threshold;
                }
            }
        }
        if two_debts {
            let mut second = pick(&model.debt, |d| d.weight, &mut rng);
            if second == first_debt {
                second = (first_debt + 1) % model.debt.len();
            }
            let share = rng.gen_range(0.2..0.8);
            let (a, b) = (
                model.debt[first_debt].asset.index(),
                model.debt[second].asset.index(),
            );
            debt[a] = debt_usd * (1.0 - share) / prices[a];
            debt[b] = debt_usd * share / prices[b];
        } else {
            let a = model.debt[first_debt].asset.index();
            debt[a] = debt_usd / prices[a];
        }
        protocol.add_account(String::new(), &collateral, &debt);
    }
}
