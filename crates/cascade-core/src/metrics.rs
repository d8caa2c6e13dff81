//! The systemic-risk metrics of SPEC section 2, as pure functions. Those of a position snapshot read a
//! [`PositionBook`] and the current prices in it; liquidation velocity reads an engine run's block
//! records; the critical shock is a bisection over a closure `shock -> cascades?` that the `cascade`
//! crate backs with the engine. `docs/metrics.md` gives every formula, its units and what the seeds
//! say about it.
//!
//! Vocabulary shared by the functions:
//! - the **distance** of a position is `d = 1 - L/P`, with `L` its liquidation price and `P` the current
//!   price of its collateral: the fall (fraction of the price) that makes it liquidatable. `d < 0`: it
//!   is liquidatable now. A position with `L <= 0` has no liquidation price (no fall of this asset
//!   alone liquidates it).
//! - the **notional** of a position is its collateral at the current price, `c * P` (USD): what is
//!   there to be seized and sold.
//! - a position is **at risk** when `L > 0` and `d <= x`, `x` the at-risk band (default 10%): a fall of
//!   at most `x` liquidates it. For a one-collateral position `HF = P/L`, so at risk means
//!   `HF <= 1/(1-x)` (1.111 for 10%).

use serde::Serialize;

use crate::positions::PositionBook;
use crate::report::BlockRecord;

/// The width of the overhang's price bins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "width")]
pub enum BinWidth {
    /// A fraction of the current price (0.01: bins of 1% of the price, counted down from it).
    Relative(f64),
    /// USD per unit; bins sit on multiples of it (100: 2900-3000, 2800-2900...), the top one cut at
    /// the current price.
    Absolute(f64),
}

/// What the snapshot metrics need besides the book.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    pub bin_width: BinWidth,
    /// How far below the current price the bins go (fraction of the price): 0.5 = down to half.
    pub range: f64,
    /// The at-risk band `x` (fraction of the price).
    pub at_risk_distance: f64,
    /// Per asset of the book: liquidity for the margin-to-liquidity ratio (the seeds: 24-hour trading
    /// volume, USD). `None`: that ratio is not computed for the asset.
    pub liquidity_usd: Vec<Option<f64>>,
    /// Per asset: market depth for the `(L*P)/D` rule (USD that can be sold before the price falls
    /// by the at-risk band). `None`: the rule is not evaluated for the asset.
    pub depth_usd: Vec<Option<f64>>,
    /// Liquidation penalty (bonus) for positions whose row gives none.
    pub default_penalty: Option<f64>,
}

impl MetricsConfig {
    /// Bins of 1% down to half the price, a 10% at-risk band, no liquidity, depth or penalty.
    pub fn new(n_assets: usize) -> Self {
        MetricsConfig {
            bin_width: BinWidth::Relative(0.01),
            range: 0.5,
            at_risk_distance: 0.10,
            liquidity_usd: vec![None; n_assets],
            depth_usd: vec![None; n_assets],
            default_penalty: None,
        }
    }
}

/// Sums over a set of positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub n_positions: u64,
    /// Units of the collateral asset.
    pub collateral_amount: f64,
    /// Collateral at the current price.
    pub collateral_usd: f64,
    /// Debt of the positions whose debt is known.
    pub debt_usd: f64,
}

impl Totals {
    fn add(&mut self, amount: f64, usd: f64, debt_usd: f64) {
        self.n_positions += 1;
        self.collateral_amount += amount;
        self.collateral_usd += usd;
        if debt_usd.is_finite() {
            self.debt_usd += debt_usd;
        }
    }
}

/// One price bin of the overhang.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OverhangBin {
    /// Liquidation prices in `[price_low, price_high)` (the top bin includes the current price).
    pub price_low: f64,
    pub price_high: f64,
    /// `1 - price_high/P` and `1 - price_low/P`: the falls at which the bin starts and finishes
    /// liquidating.
    pub distance_low: f64,
    pub distance_high: f64,
    #[serde(flatten)]
    pub totals: Totals,
    /// Collateral (USD) liquidatable once the price has fallen through this bin: this bin, every bin
    /// above it, and what is liquidatable now.
    pub cumulative_collateral_usd: f64,
}

/// The liquidation overhang of one asset (all protocols, or one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overhang {
    pub asset: String,
    /// `None`: every protocol of the book together.
    pub protocol: Option<String>,
    /// The current price the bins are measured from.
    pub price: f64,
    /// Positions whose liquidation price is above the current price.
    pub liquidatable_now: Totals,
    /// From the current price down, every bin of the range (empty ones too, so that a chart has the
    /// whole grid).
    pub bins: Vec<OverhangBin>,
    /// Liquidation prices below the range.
    pub below_range: Totals,
    /// Positions without a liquidation price (`L <= 0`).
    pub no_liquidation_price: Totals,
    pub total: Totals,
}

/// Where a position stands relative to the bins.
enum Place {
    Now,
    Bin(usize),
    Below,
    Never,
}

/// The bin grid of one asset at price `price`.
struct Grid {
    width: BinWidth,
    price: f64,
    /// For absolute bins: index (multiple of the width) of the top bin.
    top: f64,
    n_bins: usize,
}

impl Grid {
    fn new(width: BinWidth, price: f64, range: f64) -> Self {
        let floor = price * (1.0 - range);
        match width {
            BinWidth::Relative(w) => Grid {
                width,
                price,
                top: 0.0,
                n_bins: (range / w - 1e-9).ceil().max(1.0) as usize,
            },
            BinWidth::Absolute(w) => {
                // The top bin is the multiple of w just below the price (the price itself when it
                // sits on a multiple, in which case that bin is [P - w, P]).
                let top = (price / w).ceil() - 1.0;
                let lowest = (floor / w).floor();
                Grid {
                    width,
                    price,
                    top,
                    n_bins: (top - lowest + 1.0).max(1.0) as usize,
                }
            }
        }
    }

    fn place(&self, liquidation_price: f64) -> Place {
        if liquidation_price.is_nan() || liquidation_price <= 0.0 {
            return Place::Never;
        }
        if liquidation_price > self.price {
            return Place::Now;
        }
        let index = match self.width {
            BinWidth::Relative(w) => ((1.0 - liquidation_price / self.price) / w).floor(),
            BinWidth::Absolute(w) => self.top - (liquidation_price / w).floor(),
        };
        let index = index.max(0.0) as usize;
        if index >= self.n_bins {
            Place::Below
        } else {
            Place::Bin(index)
        }
    }

    /// (low, high) prices of bin `index`.
    fn edges(&self, index: usize) -> (f64, f64) {
        match self.width {
            BinWidth::Relative(w) => (
                self.price * (1.0 - (index + 1) as f64 * w),
                self.price * (1.0 - index as f64 * w),
            ),
            BinWidth::Absolute(w) => {
                let low = (self.top - index as f64) * w;
                (low, (low + w).min(self.price))
            }
        }
    }
}

/// The overhang of every priced collateral asset: all protocols together (first, one per asset, in
/// the book's asset order) and, when `per_protocol`, one per (protocol, asset) with positions.
pub fn overhang(book: &PositionBook, config: &MetricsConfig, per_protocol: bool) -> Vec<Overhang> {
    let n_assets = book.assets.len();
    let n_protocols = book.protocols.len();
    let n_groups = if per_protocol { n_protocols + 1 } else { 1 };
    let grids: Vec<Option<Grid>> = book
        .asset_prices
        .iter()
        .map(|&price| {
            (price.is_finite() && price > 0.0)
                .then(|| Grid::new(config.bin_width, price, config.range))
        })
        .collect();
    let empty = |asset: usize, protocol: Option<String>| -> Overhang {
        let bins = match &grids[asset] {
            Some(grid) => (0..grid.n_bins)
                .map(|index| {
                    let (low, high) = grid.edges(index);
                    OverhangBin {
                        price_low: low,
                        price_high: high,
                        distance_low: 1.0 - high / grid.price,
                        distance_high: 1.0 - low / grid.price,
                        totals: Totals::default(),
                        cumulative_collateral_usd: 0.0,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        Overhang {
            asset: book.assets[asset].clone(),
            protocol,
            price: book.asset_prices[asset],
            liquidatable_now: Totals::default(),
            bins,
            below_range: Totals::default(),
            no_liquidation_price: Totals::default(),
            total: Totals::default(),
        }
    };
    // groups[group * n_assets + asset]; group 0 is "all protocols", group 1 + p is protocol p.
    let mut groups: Vec<Option<Overhang>> = (0..n_groups * n_assets).map(|_| None).collect();
    for row in 0..book.len() {
        let asset = book.collateral_asset[row] as usize;
        let Some(grid) = &grids[asset] else {
            continue;
        };
        let amount = book.collateral_amount[row];
        let usd = amount * grid.price;
        let debt = book.debt_usd(row);
        let place = grid.place(book.liquidation_price[row]);
        // The protocol's name is cloned only when its group is first created, not per row.
        let mut add = |group: usize, protocol: Option<usize>| {
            let slot = &mut groups[group * n_assets + asset];
            let overhang = slot
                .get_or_insert_with(|| empty(asset, protocol.map(|p| book.protocols[p].clone())));
            overhang.total.add(amount, usd, debt);
            let totals = match place {
                Place::Now => &mut overhang.liquidatable_now,
                Place::Bin(index) => &mut overhang.bins[index].totals,
                Place::Below => &mut overhang.below_range,
                Place::Never => &mut overhang.no_liquidation_price,
            };
            totals.add(amount, usd, debt);
        };
        add(0, None);
        if per_protocol {
            let protocol = book.protocol[row] as usize;
            add(1 + protocol, Some(protocol));
        }
    }
    let mut out: Vec<Overhang> = groups.into_iter().flatten().collect();
    for overhang in &mut out {
        let mut cumulative = overhang.liquidatable_now.collateral_usd;
        for bin in &mut overhang.bins {
            cumulative += bin.totals.collateral_usd;
            bin.cumulative_collateral_usd = cumulative;
        }
    }
    out
}

/// Price-to-liquidation distance of one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceToLiquidationDistance {
    pub asset: String,
    pub price: f64,
    /// `sum(notional * d) / sum(notional)` over positions with a liquidation price at or below the
    /// current price (fraction of the price). `None` when there are none.
    pub weighted_mean_distance: Option<f64>,
    /// Collateral (USD) those positions hold.
    pub collateral_usd: f64,
    /// The bin of the overhang (all protocols) holding the most collateral: the largest cluster.
    pub largest_cluster: Option<OverhangBin>,
    /// Distance from the current price to the centre of the largest cluster,
    /// `1 - (low + high) / 2 / P`.
    pub distance_to_largest_cluster: Option<f64>,
}

/// PLD of every priced collateral asset, from the book and its all-protocol overhangs.
pub fn price_to_liquidation_distance(
    book: &PositionBook,
    overhangs: &[Overhang],
) -> Vec<PriceToLiquidationDistance> {
    let n_assets = book.assets.len();
    let mut weighted = vec![0.0; n_assets];
    let mut notional = vec![0.0; n_assets];
    for row in 0..book.len() {
        let asset = book.collateral_asset[row] as usize;
        let price = book.asset_prices[asset];
        let liquidation_price = book.liquidation_price[row];
        if !is_positive(price) || !is_positive(liquidation_price) || liquidation_price > price {
            continue;
        }
        let usd = book.collateral_amount[row] * price;
        weighted[asset] += usd * (1.0 - liquidation_price / price);
        notional[asset] += usd;
    }
    overhangs
        .iter()
        .filter(|overhang| overhang.protocol.is_none())
        .map(|overhang| {
            let asset = book
                .find_asset(&overhang.asset)
                .expect("overhangs come from the book") as usize;
            let largest = overhang
                .bins
                .iter()
                .filter(|bin| bin.totals.collateral_usd > 0.0)
                .fold(None::<&OverhangBin>, |best, bin| match best {
                    Some(b) if b.totals.collateral_usd >= bin.totals.collateral_usd => Some(b),
                    _ => Some(bin),
                })
                .copied();
            PriceToLiquidationDistance {
                asset: overhang.asset.clone(),
                price: overhang.price,
                weighted_mean_distance: (notional[asset] > 0.0)
                    .then(|| weighted[asset] / notional[asset]),
                collateral_usd: notional[asset],
                distance_to_largest_cluster: largest
                    .map(|bin| 1.0 - (bin.price_low + bin.price_high) / 2.0 / overhang.price),
                largest_cluster: largest,
            }
        })
        .collect()
}

/// K-value (leverage ceiling) and buffers of one (protocol, collateral asset).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverageCeiling {
    pub protocol: String,
    pub asset: String,
    /// The highest loan-to-value the rows give (the parameter; rows should agree).
    pub ltv: f64,
    /// The highest liquidation threshold the rows give; `None` when no row gives one.
    pub liquidation_threshold: Option<f64>,
    /// `1 / (1 - ltv)`: the leverage a borrower reaches by looping at the maximum LTV.
    pub k_value: f64,
    /// `liquidation_threshold - ltv`: collateral-value buffer between the most a borrower may borrow
    /// and liquidation.
    pub buffer: Option<f64>,
    /// `1 - ltv / liquidation_threshold`: the price fall that liquidates a position opened at the
    /// maximum LTV.
    pub price_buffer: Option<f64>,
    /// Notional-weighted mean of `collateral / (collateral - debt)` over positions whose debt is known
    /// and below their collateral: the leverage borrowers actually took.
    pub realised_leverage: Option<f64>,
}

/// The K-value of every (protocol, collateral asset) whose rows give an LTV, in protocol then asset
/// order.
pub fn leverage_ceilings(book: &PositionBook) -> Vec<LeverageCeiling> {
    let n_assets = book.assets.len();
    let n_groups = book.protocols.len() * n_assets;
    let mut ltv = vec![f64::NAN; n_groups];
    let mut threshold = vec![f64::NAN; n_groups];
    let mut leverage_weighted = vec![0.0; n_groups];
    let mut leverage_notional = vec![0.0; n_groups];
    for row in 0..book.len() {
        let group = book.protocol[row] as usize * n_assets + book.collateral_asset[row] as usize;
        // f64::max ignores NaN, so unknown values leave the group's maximum alone.
        ltv[group] = ltv[group].max(book.ltv[row]);
        threshold[group] = threshold[group].max(book.liquidation_threshold[row]);
        let usd = book.collateral_amount[row] * book.collateral_price(row);
        let debt = book.debt_usd(row);
        if usd > 0.0 && debt.is_finite() && debt < usd {
            leverage_weighted[group] += usd * usd / (usd - debt);
            leverage_notional[group] += usd;
        }
    }
    let mut out = Vec::new();
    for group in 0..n_groups {
        if ltv[group].is_nan() {
            continue;
        }
        let (protocol, asset) = (group / n_assets, group % n_assets);
        let lt = (!threshold[group].is_nan()).then_some(threshold[group]);
        out.push(LeverageCeiling {
            protocol: book.protocols[protocol].clone(),
            asset: book.assets[asset].clone(),
            ltv: ltv[group],
            liquidation_threshold: lt,
            k_value: 1.0 / (1.0 - ltv[group]),
            buffer: lt.map(|lt| lt - ltv[group]),
            price_buffer: lt.map(|lt| 1.0 - ltv[group] / lt),
            realised_leverage: (leverage_notional[group] > 0.0)
                .then(|| leverage_weighted[group] / leverage_notional[group]),
        });
    }
    out
}

/// `x > 0`, false for NaN (an unknown price or liquidation price).
fn is_positive(x: f64) -> bool {
    x > 0.0
}

/// Whether row `row` is at risk (see the module documentation), and its notional.
fn at_risk(book: &PositionBook, row: usize, band: f64) -> Option<f64> {
    let price = book.collateral_price(row);
    let liquidation_price = book.liquidation_price[row];
    if !is_positive(price) || !is_positive(liquidation_price) {
        return None;
    }
    (1.0 - liquidation_price / price <= band).then(|| book.collateral_amount[row] * price)
}

/// The at-risk collateral of one asset and the two ratios built on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRiskAsset {
    pub asset: String,
    /// Collateral (USD) of the positions at risk: the seeds' "collateral near liquidation
    /// thresholds" and the `L` of the `(L*P)/D` rule.
    pub at_risk_collateral_usd: f64,
    pub n_positions_at_risk: u64,
    /// The liquidity given for the asset (24-hour volume, USD).
    pub liquidity_usd: Option<f64>,
    /// `at_risk_collateral_usd / liquidity_usd`.
    pub margin_to_liquidity: Option<f64>,
    /// `P`: notional-weighted liquidation penalty (bonus) of the at-risk positions, from the rows or
    /// the configured default.
    pub penalty: Option<f64>,
    /// `D`: the depth given for the asset (USD).
    pub depth_usd: Option<f64>,
    /// `L * P / D`: above 1, seed 002's "death spiral" threshold is crossed.
    pub lpd_ratio: Option<f64>,
    pub lpd_above_one: Option<bool>,
}

/// Margin-to-liquidity and the `(L*P)/D` rule of every priced collateral asset.
pub fn at_risk_assets(book: &PositionBook, config: &MetricsConfig) -> Vec<AtRiskAsset> {
    let n_assets = book.assets.len();
    let mut usd = vec![0.0; n_assets];
    let mut count = vec![0u64; n_assets];
    let mut penalty_weighted = vec![0.0; n_assets];
    let mut penalty_notional = vec![0.0; n_assets];
    let mut collateral = vec![false; n_assets];
    for row in 0..book.len() {
        let asset = book.collateral_asset[row] as usize;
        collateral[asset] = true;
        let Some(notional) = at_risk(book, row, config.at_risk_distance) else {
            continue;
        };
        usd[asset] += notional;
        count[asset] += 1;
        let bonus = book.liquidation_bonus[row];
        let bonus = if bonus.is_nan() {
            config.default_penalty
        } else {
            Some(bonus)
        };
        if let Some(bonus) = bonus {
            penalty_weighted[asset] += notional * bonus;
            penalty_notional[asset] += notional;
        }
    }
    (0..n_assets)
        .filter(|&asset| collateral[asset] && book.asset_prices[asset] > 0.0)
        .map(|asset| {
            let liquidity = config.liquidity_usd.get(asset).copied().flatten();
            let depth = config.depth_usd.get(asset).copied().flatten();
            let penalty = if penalty_notional[asset] > 0.0 {
                Some(penalty_weighted[asset] / penalty_notional[asset])
            } else if count[asset] == 0 {
                config.default_penalty
            } else {
                None
            };
            let lpd = match (penalty, depth) {
                (Some(p), Some(d)) if d > 0.0 => Some(usd[asset] * p / d),
                _ => None,
            };
            AtRiskAsset {
                asset: book.assets[asset].clone(),
                at_risk_collateral_usd: usd[asset],
                n_positions_at_risk: count[asset],
                liquidity_usd: liquidity,
                margin_to_liquidity: liquidity.filter(|&l| l > 0.0).map(|l| usd[asset] / l),
                penalty,
                depth_usd: depth,
                lpd_ratio: lpd,
                lpd_above_one: lpd.map(|ratio| ratio > 1.0),
            }
        })
        .collect()
}

/// Systemic debt ratio of the whole book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemicDebt {
    /// Debt (USD) of the at-risk positions whose debt is known.
    pub at_risk_debt_usd: f64,
    /// Total value locked: collateral of every priced position at the current prices (USD).
    pub tvl_usd: f64,
    /// `at_risk_debt_usd / tvl_usd`; `None` when no position gives its debt or the TVL is 0.
    pub ratio: Option<f64>,
    /// Share of the at-risk positions (by notional) whose debt is known: below 1, the ratio
    /// understates.
    pub debt_known_share: f64,
}

pub fn systemic_debt(book: &PositionBook, config: &MetricsConfig) -> SystemicDebt {
    let (mut debt, mut tvl, mut known, mut at_risk_total) = (0.0, 0.0, 0.0, 0.0);
    for row in 0..book.len() {
        let price = book.collateral_price(row);
        if !is_positive(price) {
            continue;
        }
        tvl += book.collateral_amount[row] * price;
        if let Some(notional) = at_risk(book, row, config.at_risk_distance) {
            at_risk_total += notional;
            let row_debt = book.debt_usd(row);
            if row_debt.is_finite() {
                debt += row_debt;
                known += notional;
            }
        }
    }
    let any_debt = (0..book.len()).any(|row| book.debt_usd(row).is_finite());
    SystemicDebt {
        at_risk_debt_usd: debt,
        tvl_usd: tvl,
        ratio: (any_debt && tvl > 0.0).then(|| debt / tvl),
        debt_known_share: if at_risk_total > 0.0 {
            known / at_risk_total
        } else {
            1.0
        },
    }
}

/// Who holds the at-risk collateral.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// Distinct owners with at-risk collateral.
    pub n_owners_at_risk: u64,
    /// `ceil(n_owners_at_risk / 100)`: the top 1%.
    pub n_top_owners: u64,
    pub at_risk_collateral_usd: f64,
    /// At-risk collateral of the top 1% of those owners (by that collateral).
    pub top_collateral_usd: f64,
    /// `top_collateral_usd / at_risk_collateral_usd`; `None` when nothing is at risk.
    pub top_share: Option<f64>,
}

/// Share of the at-risk collateral (all assets, USD) held by the top 1% of the owners holding any. An
/// owner is its `owner` string across protocols and assets.
pub fn top_owner_concentration(book: &PositionBook, config: &MetricsConfig) -> Concentration {
    let mut holdings: Vec<(&str, f64)> = (0..book.len())
        .filter_map(|row| {
            at_risk(book, row, config.at_risk_distance).map(|usd| (book.owner(row), usd))
        })
        .collect();
    holdings.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut per_owner: Vec<f64> = Vec::new();
    let mut previous: Option<&str> = None;
    for (owner, usd) in holdings {
        if previous == Some(owner) {
            *per_owner.last_mut().expect("an owner was pushed") += usd;
        } else {
            per_owner.push(usd);
            previous = Some(owner);
        }
    }
    per_owner.sort_unstable_by(|a, b| b.total_cmp(a));
    let total: f64 = per_owner.iter().sum();
    let n_top = per_owner.len().div_ceil(100);
    let top: f64 = per_owner[..n_top].iter().sum();
    Concentration {
        n_owners_at_risk: per_owner.len() as u64,
        n_top_owners: n_top as u64,
        at_risk_collateral_usd: total,
        top_collateral_usd: top,
        top_share: (total > 0.0).then(|| top / total),
    }
}

/// Everything [`snapshot_metrics`] computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotMetrics {
    pub n_positions: u64,
    pub at_risk_distance: f64,
    pub bin_width: BinWidth,
    pub range: f64,
    pub overhang: Vec<Overhang>,
    pub overhang_by_protocol: Vec<Overhang>,
    pub price_to_liquidation_distance: Vec<PriceToLiquidationDistance>,
    pub leverage_ceiling: Vec<LeverageCeiling>,
    pub at_risk: Vec<AtRiskAsset>,
    pub systemic_debt: SystemicDebt,
    pub concentration: Concentration,
}

/// Every metric of a position snapshot.
pub fn snapshot_metrics(book: &PositionBook, config: &MetricsConfig) -> SnapshotMetrics {
    let all = overhang(book, config, true);
    let (overhang, overhang_by_protocol): (Vec<Overhang>, Vec<Overhang>) =
        all.into_iter().partition(|o| o.protocol.is_none());
    SnapshotMetrics {
        n_positions: book.len() as u64,
        at_risk_distance: config.at_risk_distance,
        bin_width: config.bin_width,
        range: config.range,
        price_to_liquidation_distance: price_to_liquidation_distance(book, &overhang),
        overhang,
        overhang_by_protocol,
        leverage_ceiling: leverage_ceilings(book),
        at_risk: at_risk_assets(book, config),
        systemic_debt: systemic_debt(book, config),
        concentration: top_owner_concentration(book, config),
    }
}

/// Liquidations per block and per window of an engine run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidationVelocity {
    pub window_blocks: u64,
    /// The most liquidation calls in one block, and the first block where it happened.
    pub peak_per_block: u32,
    pub peak_block: u64,
    /// The most collateral (USD) seized in one block.
    pub peak_seized_usd_per_block: f64,
    /// The most calls in `window_blocks` consecutive blocks, and the first block of that window.
    pub peak_per_window: u64,
    pub peak_window_start: u64,
    pub peak_seized_usd_per_window: f64,
    /// Calls per block over the blocks from the first liquidation to the last one (0 without any).
    pub mean_per_active_block: f64,
    pub n_liquidations: u64,
}

/// Liquidation velocity from a run's block records (in block order), with windows of `window_blocks`
/// (at least 1).
pub fn liquidation_velocity(blocks: &[BlockRecord], window_blocks: u64) -> LiquidationVelocity {
    let window = window_blocks.max(1) as usize;
    let mut velocity = LiquidationVelocity {
        window_blocks: window as u64,
        peak_per_block: 0,
        peak_block: 0,
        peak_seized_usd_per_block: 0.0,
        peak_per_window: 0,
        peak_window_start: blocks.first().map_or(0, |record| record.block),
        peak_seized_usd_per_window: 0.0,
        mean_per_active_block: 0.0,
        n_liquidations: 0,
    };
    let (mut in_window, mut seized_in_window) = (0u64, 0.0);
    let (mut first, mut last) = (None, 0);
    for (index, record) in blocks.iter().enumerate() {
        let n = record.n_liquidations;
        velocity.n_liquidations += u64::from(n);
        if n > velocity.peak_per_block {
            velocity.peak_per_block = n;
            velocity.peak_block = record.block;
        }
        velocity.peak_seized_usd_per_block = velocity
            .peak_seized_usd_per_block
            .max(record.collateral_seized_usd);
        if n > 0 {
            first.get_or_insert(record.block);
            last = record.block;
        }
        in_window += u64::from(n);
        seized_in_window += record.collateral_seized_usd;
        if index >= window {
            let leaving = &blocks[index - window];
            in_window -= u64::from(leaving.n_liquidations);
            seized_in_window -= leaving.collateral_seized_usd;
        }
        let start = blocks[index.saturating_sub(window - 1)].block;
        if in_window > velocity.peak_per_window {
            velocity.peak_per_window = in_window;
            velocity.peak_window_start = start;
        }
        velocity.peak_seized_usd_per_window =
            velocity.peak_seized_usd_per_window.max(seized_in_window);
    }
    if let Some(first) = first {
        velocity.mean_per_active_block = velocity.n_liquidations as f64 / (last - first + 1) as f64;
    }
    velocity
}

/// Default of the self-sustaining test: the liquidations deepened the fall by at least 5% of the
/// shock.
pub const DEFAULT_MIN_EXTRA_FALL: f64 = 0.05;

/// The definition of a **self-sustaining** cascade used by the critical shock: the measured
/// amplification (`final drawdown / initial shock`, see `report::Summary::amplification`) is at
/// least `1 + min_extra_fall`, i.e. the liquidations the shock set off pushed the price on by at least
/// `min_extra_fall` of the shock after the exogenous path had done its part. It is the engine's
/// measurement of seed 002's "a single liquidation causes enough slippage to trigger at least one
/// additional liquidation": a shock that only liquidates the positions it reaches directly moves the
/// price little further.
pub fn is_self_sustaining(amplification: f64, min_extra_fall: f64) -> bool {
    amplification >= 1.0 + min_extra_fall
}

/// What the bisection over shock sizes found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CriticalShock {
    /// `calm` does not cascade, `cascading` does, and `cascading - calm <= tolerance`: the critical
    /// shock lies between them; `cascading` is reported as the critical shock.
    Bracketed {
        calm: f64,
        cascading: f64,
        evaluations: u32,
    },
    /// Even the smallest shock of the range cascades.
    BelowRange { lowest: f64, evaluations: u32 },
    /// Even the largest shock of the range does not cascade.
    AboveRange { highest: f64, evaluations: u32 },
}

impl CriticalShock {
    /// The critical shock when bracketed (the smallest shock found to cascade).
    pub fn shock(&self) -> Option<f64> {
        match self {
            CriticalShock::Bracketed { cascading, .. } => Some(*cascading),
            _ => None,
        }
    }
}

/// Finds the smallest shock in `[lowest, highest]` for which `cascades(shock)` is true, by bisection
/// down to `tolerance` (fraction of the price, e.g. 0.0025). `cascades` is any `shock -> outcome`
/// test: the engine (see the `cascade` crate's `shock` module) or, in tests, a closure. When the
/// outcome is not monotone in the shock, the answer is still a bracket: a calm shock and a cascading
/// one closer than `tolerance` apart. Errors of `cascades` stop the search.
pub fn find_critical_shock<E>(
    lowest: f64,
    highest: f64,
    tolerance: f64,
    mut cascades: impl FnMut(f64) -> Result<bool, E>,
) -> Result<CriticalShock, E> {
    assert!(
        lowest < highest && tolerance > 0.0,
        "a non-empty range and a positive tolerance"
    );
    let mut evaluations = 1;
    if !cascades(highest)? {
        return Ok(CriticalShock::AboveRange {
            highest,
            evaluations,
        });
    }
    evaluations += 1;
    if cascades(lowest)? {
        return Ok(CriticalShock::BelowRange {
            lowest,
            evaluations,
        });
    }
    let (mut calm, mut cascading) = (lowest, highest);
    while cascading - calm > tolerance {
        let middle = 0.5 * (calm + cascading);
        evaluations += 1;
        if cascades(middle)? {
            cascading = middle;
        } else {
            calm = middle;
        }
    }
    Ok(CriticalShock::Bracketed {
        calm,
        cascading,
        evaluations,
    })
}

/// The seeds' `(L*P)/D` rule on its own, for callers that have the three numbers.
pub fn lpd_ratio(geared_exposure_usd: f64, penalty: f64, depth_usd: f64) -> f64 {
    geared_exposure_usd * penalty / depth_usd
}
