//! Behavioural agents and the chain's block space (SPEC 1.7 and 1.8): the models read from a
//! scenario and the pure formulas the engine's agent phase (`engine::agents`) applies.
//!
//! - **Block space** ([`BlockSpaceModel`]): a gas limit per block, a base fee that is the chain's
//!   gas price (constant or its replayed series, `ChainModel::gas_price_gwei_at`) or follows EIP-1559
//!   congestion pricing, ordinary traffic that takes its share first, borrower transactions that bid
//!   a small tip, and liquidation transactions that outbid them.
//! - **Keepers** ([`KeeperBehaviour`]): latency, gas bidding against each other, selling at once or
//!   holding part of the seized collateral, an inventory limit.
//! - **Borrowers** ([`BorrowerModel`]): near liquidation, top up, repay or panic-close with a
//!   probability that rises with stress (distance to liquidation, price drop, liquidations seen:
//!   herding), lowered by the disposition effect.
//!
//! Every default leaves a market as it was without agents; `docs/agents.md` gives the formulas and
//! why each default.

/// How the base fee (gwei per gas) moves from block to block.
#[derive(Debug, Clone, PartialEq)]
pub enum GasPriceModel {
    /// The chain's gas price, which the block's use does not move: `ChainModel::gas_price_gwei_at`
    /// (the constant `gas_price_gwei`, or the chain's one replayed series, interpolated per block).
    Exogenous,
    /// EIP-1559: `base' = base * (1 + max_change * (used - target) / target)`, with
    /// `target = target_fullness * block_gas_limit`, floored at `min_gwei`; starts at
    /// `ChainModel::gas_price_gwei`.
    Congestion {
        target_fullness: f64,
        max_change: f64,
        min_gwei: f64,
    },
}

/// The chain's block space. `None` in [`AgentsModel`]: unlimited blocks at the chain's gas price.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSpaceModel {
    pub block_gas_limit: f64,
    pub gas_price: GasPriceModel,
    /// Share of every block that ordinary traffic (swaps, transfers, arbitrage) takes before any
    /// liquidation or borrower transaction.
    pub background_gas_fraction: f64,
    /// Gas of one borrower transaction (a top-up, a repayment, a close with its swap).
    pub borrower_action_gas: f64,
    /// Priority fee a borrower bids at full stress (gwei); a calmer borrower bids proportionally less.
    pub borrower_tip_gwei: f64,
}

impl BlockSpaceModel {
    /// The base fee of the next block given this one's base fee and the gas it used.
    pub fn next_base_fee(&self, base_fee_gwei: f64, gas_used: f64) -> f64 {
        match &self.gas_price {
            GasPriceModel::Exogenous => base_fee_gwei,
            GasPriceModel::Congestion {
                target_fullness,
                max_change,
                min_gwei,
            } => {
                let target = target_fullness * self.block_gas_limit;
                let change = max_change * (gas_used - target) / target;
                (base_fee_gwei * (1.0 + change.clamp(-*max_change, *max_change))).max(*min_gwei)
            }
        }
    }
}

/// What a keeper does with seized collateral.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeeperSale {
    /// Sell everything into the best venue at once (the default, and the only behaviour before
    /// agents).
    Dump,
    /// Sell `1 - fraction` at once, hold `fraction` and sell `sell_per_block` of the held stock every
    /// later block.
    HoldFraction { fraction: f64, sell_per_block: f64 },
}

/// How a keeper behaves beyond its capacity (`KeeperModel`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeeperBehaviour {
    /// Blocks between an account becoming liquidatable and this keeper being able to act on it.
    pub latency_blocks: u32,
    /// Share of a contested liquidation's profit the keeper bids as priority fee (a priority gas
    /// auction): the winner is the highest bidder and pays the second highest bid.
    pub gas_bid_share: f64,
    pub sale: KeeperSale,
    /// Most collateral (USD at the reference price) the keeper holds; beyond it, it sells at once.
    pub inventory_limit_usd: f64,
}

impl Default for KeeperBehaviour {
    fn default() -> Self {
        KeeperBehaviour {
            latency_blocks: 0,
            gas_bid_share: 0.0,
            sale: KeeperSale::Dump,
            inventory_limit_usd: f64::INFINITY,
        }
    }
}

/// How the borrowers of one lending protocol react to stress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BorrowerModel {
    /// Accounts whose health factor is below `band` consider acting.
    pub band: f64,
    /// Probability per block that an account at health factor 1 acts, before stress multipliers.
    pub base_probability: f64,
    /// Multiplies the probability by `1 + price_drop_sensitivity * drop`, where `drop` is the fall of
    /// the account's main collateral since the start.
    pub price_drop_sensitivity: f64,
    /// Herding: liquidations seen make borrowers flee, not top up. It widens the band to
    /// `band + herding * h * (band - 1)`, where the accounts between `band` and the wider band can
    /// only panic-close, and multiplies the panic weight inside the band by `1 + herding * h`;
    /// `h = 1 - exp(-recent / herding_scale)` and `recent` counts the protocol's liquidations seen
    /// in the last `herding_window_blocks`.
    pub herding: f64,
    pub herding_window_blocks: u32,
    pub herding_scale: f64,
    /// Weights of the three actions (normalised).
    pub top_up_weight: f64,
    pub repay_weight: f64,
    pub panic_weight: f64,
    /// Top-ups and repayments bring the account back to this health factor.
    pub target_health_factor: f64,
    /// Disposition effect: an account whose main collateral is below its initial price acts with
    /// probability multiplied by `1 - disposition_effect`.
    pub disposition_effect: f64,
}

impl Default for BorrowerModel {
    fn default() -> Self {
        BorrowerModel {
            band: 1.1,
            base_probability: 0.02,
            price_drop_sensitivity: 5.0,
            herding: 0.0,
            herding_window_blocks: 25,
            herding_scale: 10.0,
            top_up_weight: 0.5,
            repay_weight: 0.3,
            panic_weight: 0.2,
            target_health_factor: 1.25,
            disposition_effect: 0.0,
        }
    }
}

/// What a borrower does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BorrowerAction {
    TopUp,
    Repay,
    PanicClose,
}

impl BorrowerModel {
    /// The herding intensity `h` for `recent` liquidations seen.
    pub fn herd(&self, recent: u64) -> f64 {
        if self.herding_scale > 0.0 {
            1.0 - (-(recent as f64) / self.herding_scale).exp()
        } else {
            0.0
        }
    }

    /// The band under herding `herd`: `band + herding * h * (band - 1)`.
    pub fn effective_band(&self, herd: f64) -> f64 {
        self.band + self.herding * herd * (self.band - 1.0)
    }

    /// How close to liquidation an account is: `(band' - HF) / (band' - 1)` clipped to [0, 1], with
    /// `band'` the effective band.
    pub fn closeness(&self, health_factor: f64, herd: f64) -> f64 {
        let band = self.effective_band(herd);
        ((band - health_factor) / (band - 1.0)).clamp(0.0, 1.0)
    }

    /// The probability an account acts this block: `base * closeness * (1 + s * drop) *
    /// (1 - disposition if in loss)`, capped at 1.
    pub fn act_probability(&self, health_factor: f64, drop: f64, herd: f64, in_loss: bool) -> f64 {
        let closeness = self.closeness(health_factor, herd);
        let mut p =
            self.base_probability * closeness * (1.0 + self.price_drop_sensitivity * drop.max(0.0));
        if in_loss {
            p *= 1.0 - self.disposition_effect;
        }
        p.clamp(0.0, 1.0)
    }

    /// The action for a uniform draw `u` in [0, 1): above the band (in its herding widening) a panic
    /// close; inside, weights `top_up`, `repay`, `panic * (1 + herding * h)`.
    pub fn choose(&self, health_factor: f64, herd: f64, u: f64) -> BorrowerAction {
        if health_factor >= self.band {
            return BorrowerAction::PanicClose;
        }
        let panic = self.panic_weight * (1.0 + self.herding * herd);
        let total = self.top_up_weight + self.repay_weight + panic;
        let x = u * total;
        if x < self.top_up_weight {
            BorrowerAction::TopUp
        } else if x < self.top_up_weight + self.repay_weight {
            BorrowerAction::Repay
        } else {
            BorrowerAction::PanicClose
        }
    }
}

/// Every behavioural model of a market. The default has none: the engine runs as without agents.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentsModel {
    /// Seed and path of the agents' random stream (`rng::Stream::Agents`).
    pub seed: u64,
    pub path_index: u64,
    pub block_space: Option<BlockSpaceModel>,
    /// One per keeper of the market, in order (empty: every keeper at the default).
    pub keepers: Vec<KeeperBehaviour>,
    /// One per lending protocol, in order (empty: no borrower acts).
    pub borrowers: Vec<Option<BorrowerModel>>,
}

impl AgentsModel {
    /// Whether any behaviour departs from the engine without agents.
    pub fn is_active(&self) -> bool {
        self.block_space.is_some()
            || self
                .keepers
                .iter()
                .any(|k| *k != KeeperBehaviour::default())
            || self.borrowers.iter().any(Option::is_some)
    }

    /// The behaviour of keeper `index`.
    pub fn keeper(&self, index: usize) -> KeeperBehaviour {
        self.keepers.get(index).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(gas_price: GasPriceModel) -> BlockSpaceModel {
        BlockSpaceModel {
            block_gas_limit: 30e6,
            gas_price,
            background_gas_fraction: 0.5,
            borrower_action_gas: 250_000.0,
            borrower_tip_gwei: 2.0,
        }
    }

    #[test]
    fn test_base_fee_rises_by_an_eighth_in_a_full_block() {
        let model = space(GasPriceModel::Congestion {
            target_fullness: 0.5,
            max_change: 0.125,
            min_gwei: 1.0,
        });
        assert!((model.next_base_fee(100.0, 30e6) - 112.5).abs() < 1e-9);
        assert!((model.next_base_fee(100.0, 15e6) - 100.0).abs() < 1e-9);
        assert!((model.next_base_fee(100.0, 0.0) - 87.5).abs() < 1e-9);
    }

    #[test]
    fn test_herding_raises_probability_and_panic_share() {
        let model = BorrowerModel {
            herding: 2.0,
            ..BorrowerModel::default()
        };
        let calm = model.act_probability(1.05, 0.1, 0.0, false);
        let herd = model.act_probability(1.05, 0.1, model.herd(20), false);
        assert!(herd > calm);
        assert_eq!(model.act_probability(1.15, 0.1, 0.0, false), 0.0);
        assert!(model.act_probability(1.15, 0.1, model.herd(20), false) > 0.0);
        assert_eq!(
            model.choose(1.15, model.herd(20), 0.0),
            BorrowerAction::PanicClose
        );
        assert_eq!(model.choose(1.05, 0.0, 0.9), BorrowerAction::PanicClose);
        assert_eq!(
            model.choose(1.05, model.herd(100), 0.6),
            BorrowerAction::PanicClose
        );
        assert_eq!(model.choose(1.05, 0.0, 0.6), BorrowerAction::Repay);
    }
}
