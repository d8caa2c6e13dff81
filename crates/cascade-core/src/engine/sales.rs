//! Selling and buying: the venues every protocol shares, the choice between a venue and
//! protocol-owned liquidity, and what keepers have left to spend in a block.

use crate::ids::{AssetId, VenueId};
use crate::mechanism::backstop::ProtocolOwnedLiquidity;
use crate::names::Name;
use crate::venue::{SaleQuote, Venue};

use super::{KeeperModel, Market};

/// The venues, by asset, and the flow forced into them this block.
#[derive(Debug, Clone)]
pub(crate) struct Trading {
    pub venues: Vec<Venue>,
    pub venues_of_asset: Vec<Vec<VenueId>>,
    /// Per venue: its name in events.
    pub names: Vec<Name>,
    /// The name of sales to protocol-owned liquidity in events.
    pub protocol_owned_liquidity: Name,
    /// Per asset: USD value (at the reference price) of what liquidations, backstop unwinds and
    /// hedges sold this block, net of what hedges bought; it moves the next block's reference price.
    pub sold_usd: Vec<f64>,
}

/// How to sell a lot: the best venue (or the external market at the reference price when the asset
/// has none), possibly after selling part of it to protocol-owned liquidity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SalePlan {
    /// Units offered to protocol-owned liquidity (0: none).
    pub to_pol: f64,
    /// What the whole lot fetches.
    pub proceeds: f64,
}

/// What a sale did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SaleDone {
    /// The venue's name (empty without one; `protocol-owned-liquidity` when the POL took it all).
    pub venue: Name,
    /// Units sold in all (venue or external market plus POL).
    pub sold: f64,
    /// Units sold to the market (venue or external).
    pub to_market: f64,
    /// Units the POL bought.
    pub to_pol: f64,
    pub proceeds: f64,
}

impl Trading {
    pub fn new(market: &Market) -> Self {
        let mut venues_of_asset = vec![Vec::new(); market.assets.len()];
        for (index, venue) in market.venues.iter().enumerate() {
            venues_of_asset[venue.asset.index()].push(VenueId(index as u16));
        }
        Trading {
            venues: market.venues.iter().map(|v| v.initial.clone()).collect(),
            venues_of_asset,
            names: market.venues.iter().map(|v| Name::new(&v.name)).collect(),
            protocol_owned_liquidity: Name::new("protocol-owned-liquidity"),
            sold_usd: vec![0.0; market.assets.len()],
        }
    }

    /// The venue of `asset` that pays most for `amount`, and what it pays; `None` when the asset has
    /// no venue (then it is valued at its reference price).
    pub fn best_sale(&self, asset: AssetId, amount: f64) -> Option<(VenueId, SaleQuote)> {
        let mut best: Option<(VenueId, SaleQuote)> = None;
        for &venue in &self.venues_of_asset[asset.index()] {
            let quote = self.venues[venue.index()].quote_sell(amount);
            if best.is_none_or(|(_, b)| quote.quote_received > b.quote_received) {
                best = Some((venue, quote));
            }
        }
        best
    }

    /// The highest price per unit any sale of `asset` can fetch: the best venue spot price (or the
    /// reference price when the asset has no venue).
    pub fn best_spot(&self, asset: AssetId, reference: &[f64]) -> f64 {
        let venues = &self.venues_of_asset[asset.index()];
        if venues.is_empty() {
            return reference[asset.index()];
        }
        venues
            .iter()
            .map(|venue| self.venues[venue.index()].price())
            .fold(f64::MIN, f64::max)
    }

    /// What selling `amount` into the market fetches.
    pub fn market_proceeds(&self, asset: AssetId, amount: f64, reference: &[f64]) -> f64 {
        match self.best_sale(asset, amount) {
            Some((_, quote)) => quote.quote_received,
            None => amount * reference[asset.index()],
        }
    }

    /// The better of selling everything to the market and selling to `pol` (bidding at its price
    /// for `oracle_price`) first, the rest to the market.
    pub fn plan_sale(
        &self,
        asset: AssetId,
        amount: f64,
        reference: &[f64],
        pol: Option<(&ProtocolOwnedLiquidity, f64)>,
    ) -> SalePlan {
        let market_only = SalePlan {
            to_pol: 0.0,
            proceeds: self.market_proceeds(asset, amount, reference),
        };
        let Some((pol, oracle_price)) = pol else {
            return market_only;
        };
        let bid = pol.bid_price(oracle_price);
        if bid <= 0.0 || pol.budget_left() <= 0.0 {
            return market_only;
        }
        let to_pol = amount.min(pol.budget_left() / bid);
        let rest = amount - to_pol;
        let rest_proceeds = if rest > 0.0 {
            self.market_proceeds(asset, rest, reference)
        } else {
            0.0
        };
        let with_pol = to_pol * bid + rest_proceeds;
        if with_pol > market_only.proceeds {
            SalePlan {
                to_pol,
                proceeds: with_pol,
            }
        } else {
            market_only
        }
    }

    /// Sells `amount` of `asset` as `plan` says: to `pol` first, the rest into the best venue (or the
    /// external market at the reference price). Adds the market part to this block's flow.
    pub fn sell(
        &mut self,
        asset: AssetId,
        amount: f64,
        plan: &SalePlan,
        reference: &[f64],
        pol: Option<(&mut ProtocolOwnedLiquidity, f64)>,
    ) -> SaleDone {
        let mut proceeds = 0.0;
        let mut to_pol = 0.0;
        if let (Some((pol, oracle_price)), true) = (pol, plan.to_pol > 0.0) {
            let fill = pol.buy(plan.to_pol, oracle_price);
            to_pol = fill.bought;
            proceeds += fill.paid;
        }
        let rest = amount - to_pol;
        let (venue, to_market) = if rest > 0.0 {
            match self.best_sale(asset, rest) {
                Some((venue, _)) => {
                    let done = self.venues[venue.index()].sell(rest);
                    proceeds += done.quote_received;
                    (self.names[venue.index()].clone(), done.base_sold)
                }
                None => {
                    proceeds += rest * reference[asset.index()];
                    (Name::default(), rest)
                }
            }
        } else {
            (self.protocol_owned_liquidity.clone(), 0.0)
        };
        self.sold_usd[asset.index()] += to_market * reference[asset.index()];
        SaleDone {
            venue,
            sold: to_market + to_pol,
            to_market,
            to_pol,
            proceeds,
        }
    }

    /// Buys up to `amount` of `asset` from the cheapest venue (at the reference price when the
    /// asset has none); returns (units bought, USD paid). Subtracts the purchase from this block's
    /// flow.
    pub fn buy(&mut self, asset: AssetId, amount: f64, reference: &[f64]) -> (f64, f64) {
        let (bought, paid) = match self.cheapest_purchase(asset, amount) {
            Some((venue, _)) => {
                let done = self.venues[venue.index()].buy(amount);
                (done.base_bought, done.quote_paid)
            }
            None => (amount, amount * reference[asset.index()]),
        };
        self.sold_usd[asset.index()] -= bought * reference[asset.index()];
        (bought, paid)
    }
}

impl Trading {
    /// The venue where buying `amount` costs least per unit bought, and that unit price.
    fn cheapest_purchase(&self, asset: AssetId, amount: f64) -> Option<(VenueId, f64)> {
        let mut best: Option<(VenueId, f64)> = None;
        for &venue in &self.venues_of_asset[asset.index()] {
            let quote = self.venues[venue.index()].quote_buy(amount);
            let unit = quote.quote_paid / quote.base_bought.max(f64::MIN_POSITIVE);
            if best.is_none_or(|(_, b)| unit < b) {
                best = Some((venue, unit));
            }
        }
        best
    }

    /// What buying `amount` would cost (at the reference price for an asset without venues).
    pub fn purchase_cost(&self, asset: AssetId, amount: f64, reference: &[f64]) -> f64 {
        match self.cheapest_purchase(asset, amount) {
            Some((_, unit)) => unit * amount,
            None => amount * reference[asset.index()],
        }
    }
}

/// What each keeper may still do this block: liquidation calls and capital.
#[derive(Debug, Clone)]
pub(crate) struct KeeperBudget {
    pub calls_left: Vec<u32>,
    pub capital_left: Vec<f64>,
    pub lowest_min_profit: f64,
    /// Per keeper: kept from the account being considered (agents' latency).
    pub unavailable: Vec<bool>,
}

impl KeeperBudget {
    pub fn new(keepers: &[KeeperModel]) -> Self {
        KeeperBudget {
            calls_left: keepers
                .iter()
                .map(|k| k.max_liquidations_per_block)
                .collect(),
            capital_left: keepers.iter().map(|k| k.capital_usd_per_block).collect(),
            lowest_min_profit: keepers
                .iter()
                .map(|k| k.min_profit_usd)
                .fold(f64::INFINITY, f64::min),
            unavailable: vec![false; keepers.len()],
        }
    }

    pub fn exhausted(&self) -> bool {
        self.calls_left.iter().all(|&left| left == 0)
    }

    /// Spends one call and `cost` of `keeper`'s capital.
    pub fn spend(&mut self, keeper: usize, cost: f64) {
        self.calls_left[keeper] -= 1;
        self.capital_left[keeper] -= cost;
    }

    /// The keeper that earns the most from one of `options` (profit, capital it needs), each keeper
    /// able (a call left, the capital) and above its minimum profit; returns (keeper, option index).
    /// Ties go to the earlier option, then the earlier keeper.
    pub fn best(&self, keepers: &[KeeperModel], options: &[(f64, f64)]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize, f64)> = None;
        for (option, &(profit, cost)) in options.iter().enumerate() {
            for (keeper_index, keeper) in keepers.iter().enumerate() {
                let able = self.calls_left[keeper_index] > 0
                    && self.capital_left[keeper_index] >= cost
                    && !self.unavailable[keeper_index];
                if able
                    && profit >= keeper.min_profit_usd
                    && best.is_none_or(|(_, _, p)| profit > p)
                {
                    best = Some((keeper_index, option, profit));
                }
            }
        }
        best.map(|(keeper, option, _)| (keeper, option))
    }
}
