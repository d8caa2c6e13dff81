//! The sorted-book fast path: the same block loop as [`crate::engine`] for the markets where the
//! liquidation state is a function of one price ratio, at a cost per block that does not grow with
//! the number of accounts.
//!
//! # The model subset it covers
//! [`SortedBook::new`] accepts a market only when all of these hold (otherwise it says which fails,
//! and callers fall back to the full engine):
//! - one lending protocol; every account borrows one debt asset `d` against one listed collateral
//!   asset `c` (the same pair for every account);
//! - liquidations close the whole debt ([`LendingProtocol::close_in_full`]);
//! - no venues: seized collateral is sold at the reference price into the external market, whose
//!   depth moves the next block's reference price (the engine's permanent impact);
//! - liquidations cost no gas and every keeper's minimum profit is zero, the keepers together can
//!   make a liquidation per account in one block, and each keeper's capital covers all the debt.
//!
//! Then, in every block, the accounts below a health factor of 1 are exactly those whose
//! `collateral * liquidation_threshold / debt` is below `price(d) / price(c)`: sorted once by that
//! key, the liquidatable accounts are a contiguous range after those already liquidated, the
//! insolvent ones (whose collateral does not cover the debt plus bonus) are a prefix of that range,
//! and every total a block needs is a difference of two prefix sums. A block costs a galloping
//! search from the previous frontier, so a path costs O(blocks + log(accounts) per liquidating
//! block), against O(liquidations * log(accounts)) for the engine's health index.
//!
//! # Agreement with the full engine
//! The oracles, the reference prices, the stop rule and the summary are the engine's own code. The
//! liquidation decision is the same predicate evaluated with the same floating-point expression
//! (health factor `collateral * price * threshold / (debt * price)`, insolvency `debt * price(d) /
//! price(c) * (1 + bonus) > collateral`), so the same accounts are liquidated in the same blocks.
//! Totals differ from the engine's per-event sums only by summation order: prefix sums are kept as
//! compensated (two-term) sums, and the test `fast_path_agrees_with_engine` holds them to 1e-9
//! relative.

use std::ops::Range;

use rayon::prelude::*;

use crate::bucket_sort::{bin_of_key, par_binned_sort, PartedEntries, N_BINS};
use crate::engine::{primary_asset_of, read_source, Market, SummaryParts};
use crate::ids::{AccountId, AssetId};
use crate::lending::{AaveRules, LendingProtocol, RiskParams};
use crate::oracle::OracleState;
use crate::price_path::ReferencePath;
use crate::report::{MechanismTotals, StopReason, Summary};

/// Why a market is outside the fast path's subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable(pub String);

impl std::fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the sorted-book fast path does not apply: {}", self.0)
    }
}

impl std::error::Error for NotApplicable {}

/// A compensated running sum (Neumaier): `hi + lo` carries about twice f64's precision, so a
/// difference of two prefix sums over a short range keeps its relative accuracy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct CompensatedSum {
    hi: f64,
    lo: f64,
}

impl CompensatedSum {
    fn add(self, value: f64) -> Self {
        let hi = self.hi + value;
        let lo = if self.hi.abs() >= value.abs() {
            (self.hi - hi) + value
        } else {
            (value - hi) + self.hi
        };
        CompensatedSum {
            hi,
            lo: self.lo + lo,
        }
    }

    fn minus(self, other: Self) -> f64 {
        (self.hi - other.hi) + (self.lo - other.lo)
    }
}

/// A lending book sorted by how soon its accounts become liquidatable, built once per market and
/// shared (read-only) by every path of a stress test.
#[derive(Debug, Clone, PartialEq)]
pub struct SortedBook {
    collateral_asset: AssetId,
    debt_asset: AssetId,
    params: RiskParams,
    rules: AaveRules,
    /// (collateral, debt) of the book's accounts, ascending by `collateral * threshold / debt`.
    accounts: Vec<(f64, f64)>,
    /// `prefix_x[k]`: sum of `x` over the first `k * PREFIX_CHUNK` accounts (a sum up to any index
    /// adds at most `PREFIX_CHUNK - 1` accounts to one of these).
    prefix_collateral: Vec<CompensatedSum>,
    prefix_debt: Vec<CompensatedSum>,
    /// Debt of accounts that hold no collateral at all (never liquidatable, insolvent throughout).
    stranded_debt: f64,
}

impl SortedBook {
    /// Sorts the market's one protocol by liquidation key, or says why the market is outside the
    /// fast path's subset.
    pub fn new(market: &Market) -> Result<Self, NotApplicable> {
        let fail = |reason: String| Err(NotApplicable(reason));
        if market.agents.is_active() {
            return fail(
                "it runs without agents (behavioural keepers, borrowers, block space)".into(),
            );
        }
        if !market.cdps.is_empty() || !market.perps.is_empty() || !market.option_vaults.is_empty() {
            return fail(
                "it covers lending protocols only (the scenario has CDP vaults, perps or options \
                 vaults)"
                    .into(),
            );
        }
        if let Some(protocol) = market.protocols.iter().find(|p| !p.setup.is_plain()) {
            return fail(format!(
                "it covers the plain fixed spread keeper sale; protocol `{}` uses another mechanism \
                 (`{}`), chunks, a pool or a circuit breaker",
                protocol.name,
                protocol.setup.mechanism.name()
            ));
        }
        if market.protocols.len() != 1 {
            return fail(format!(
                "it needs exactly one protocol, the scenario has {}",
                market.protocols.len()
            ));
        }
        if !market.venues.is_empty() {
            return fail("it needs a market without venues (sales at the reference price)".into());
        }
        let chain = &market.chain;
        if chain.gas_price_gwei * chain.liquidation_gas != 0.0 || chain.gas_price_series.is_some() {
            return fail("it needs liquidations that cost no gas".into());
        }
        if market.keepers.is_empty()
            || market
                .keepers
                .iter()
                .any(|k| k.min_profit_usd != 0.0 || k.max_gas_price_gwei.is_some())
        {
            return fail("it needs keepers whose minimum profit is zero".into());
        }
        let protocol = &market.protocols[0];
        if !protocol.close_in_full {
            return fail(
                "it needs liquidations that close the whole debt (close_factor = \"full\")".into(),
            );
        }
        // One pass over the protocol's rows checks the pair and measures the book.
        let scan = match par_scan_book(protocol) {
            Some(scan) => scan,
            None => scan_book(protocol)?,
        };
        let (collateral_asset, debt_asset) = scan.pair;
        let params = protocol.risk_params[collateral_asset.index()]
            .expect("scan_book returns a listed collateral");
        let capacity: u64 = market
            .keepers
            .iter()
            .map(|k| u64::from(k.max_liquidations_per_block))
            .sum();
        if capacity < protocol.n_accounts() as u64 {
            return fail(format!(
                "the keepers can make {capacity} liquidations per block, fewer than the {} accounts",
                protocol.n_accounts()
            ));
        }

        let threshold = params.liquidation_threshold;
        let rows = BookRows {
            protocol,
            collateral: collateral_asset.index(),
            debt: debt_asset.index(),
        };
        let accounts = par_binned_sort(
            &rows,
            &scan.parts,
            &scan.counts,
            scan.key_bits,
            |&(c, d)| c * threshold / d,
        );
        debug_assert_eq!(accounts.len(), scan.n_entries);
        let stranded_debt = scan.stranded_debt;
        // The two running sums are independent: one per thread.
        let (prefix_collateral, prefix_debt) = rayon::join(
            || prefix_sums(&accounts, |&(c, _)| c),
            || prefix_sums(&accounts, |&(_, d)| d),
        );
        Ok(SortedBook {
            collateral_asset,
            debt_asset,
            params,
            rules: protocol.rules,
            prefix_collateral,
            prefix_debt,
            accounts,
            stranded_debt,
        })
    }

    /// Accounts with debt and collateral (those that can be liquidated).
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn collateral_asset(&self) -> AssetId {
        self.collateral_asset
    }

    pub fn debt_asset(&self) -> AssetId {
        self.debt_asset
    }

    /// Total debt of the book, in debt-asset units.
    pub fn total_debt(&self) -> f64 {
        self.debt_between(0, self.len()) + self.stranded_debt
    }

    /// Bytes the book holds (its arrays), for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.accounts.capacity() * std::mem::size_of::<(f64, f64)>()
            + (self.prefix_collateral.capacity() + self.prefix_debt.capacity())
                * std::mem::size_of::<CompensatedSum>()
    }

    fn debt_between(&self, from: usize, to: usize) -> f64 {
        self.sum_to(&self.prefix_debt, to, |a| a.1)
            .minus(self.sum_to(&self.prefix_debt, from, |a| a.1))
    }

    fn collateral_between(&self, from: usize, to: usize) -> f64 {
        self.sum_to(&self.prefix_collateral, to, |a| a.0)
            .minus(self.sum_to(&self.prefix_collateral, from, |a| a.0))
    }

    /// The sum of `value` over accounts `..index`: a chunk's prefix plus the accounts after it.
    fn sum_to(
        &self,
        prefix: &[CompensatedSum],
        index: usize,
        value: impl Fn(&(f64, f64)) -> f64,
    ) -> CompensatedSum {
        let chunk = index / PREFIX_CHUNK;
        self.accounts[chunk * PREFIX_CHUNK..index]
            .iter()
            .fold(prefix[chunk], |sum, account| sum.add(value(account)))
    }

    /// Whether account `i` is below a health factor of 1 at these protocol prices: the lending
    /// model's expression, term for term.
    fn liquidatable(&self, i: usize, collateral_price: f64, debt_price: f64) -> bool {
        let (collateral, debt) = self.accounts[i];
        let weighted = collateral * collateral_price * self.params.liquidation_threshold;
        weighted / (debt * debt_price) < 1.0
    }

    /// Whether account `i`'s collateral no longer covers its debt plus the bonus (the lending
    /// model's `max_collateral > user_collateral`).
    fn insolvent(&self, i: usize, collateral_price: f64, debt_price: f64) -> bool {
        let (collateral, debt) = self.accounts[i];
        let base = debt * debt_price / collateral_price;
        base * (1.0 + self.params.liquidation_bonus) > collateral
    }

    /// Whether collateral value is below debt value (the summary's insolvent debt).
    fn underwater(&self, i: usize, collateral_price: f64, debt_price: f64) -> bool {
        let (collateral, debt) = self.accounts[i];
        debt * debt_price > collateral * collateral_price
    }
}

/// The first index in `from..len` at which `holds` is false, for a predicate true on a prefix of
/// that range: gallops from `from`, so the cost is logarithmic in the distance moved.
fn frontier(from: usize, len: usize, holds: impl Fn(usize) -> bool) -> usize {
    if from >= len || !holds(from) {
        return from;
    }
    // holds(low) is true; find high with holds(high) false (or high = len).
    let mut low = from;
    let mut step = 1;
    let mut high = loop {
        let probe = low + step;
        if probe >= len {
            break len;
        }
        if !holds(probe) {
            break probe;
        }
        low = probe;
        step *= 2;
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if holds(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    high
}

/// What one pass over a protocol's rows finds: the book's one (collateral, debt) pair, how many
/// accounts hold both (the entries to sort) and the range of their keys' bit patterns, and the
/// debt of accounts with no collateral.
struct BookScan {
    pair: (AssetId, AssetId),
    n_entries: usize,
    key_bits: (u64, u64),
    stranded_debt: f64,
    /// The parts the accounts were scanned in (in order, covering them all), and per part how
    /// many entries fall in each key bin ([`bin_of_key`]): the sort's first pass.
    parts: Vec<Range<usize>>,
    counts: Vec<Vec<u32>>,
}

/// The one asset with a positive amount in a row: `Ok(None)` for none, `Err` for several.
fn only(row: &[f64]) -> Result<Option<usize>, ()> {
    let mut found = None;
    for (asset, &amount) in row.iter().enumerate() {
        if amount > 0.0 {
            if found.is_some() {
                return Err(());
            }
            found = Some(asset);
        }
    }
    Ok(found)
}

/// Checks that every account holding both collateral and debt holds one asset of each, the same
/// pair for all, with a listed collateral (else says which account or why not), and measures the
/// book, in one pass over the rows.
fn scan_book(protocol: &LendingProtocol) -> Result<BookScan, NotApplicable> {
    let mut pair: Option<(usize, usize)> = None;
    let mut threshold = 0.0;
    let mut n_entries = 0;
    let (mut low, mut high) = (u64::MAX, 0);
    let mut stranded_debt = 0.0;
    let mut counts = vec![0u32; N_BINS];
    // An account's part in the book once the pair is known: an entry (counted, its key measured
    // and binned), debt without collateral, or nothing.
    let mut take = |account: AccountId, (c, d): (usize, usize), threshold: f64| {
        let (collateral, debt) = (
            protocol.collateral_row(account)[c],
            protocol.debt_row(account)[d],
        );
        if debt <= 0.0 {
            return;
        }
        if collateral <= 0.0 {
            stranded_debt += debt;
            return;
        }
        n_entries += 1;
        let key = collateral * threshold / debt;
        counts[bin_of_key(key)] += 1;
        let bits = key.to_bits();
        low = low.min(bits);
        high = high.max(bits);
    };
    for index in 0..protocol.n_accounts() {
        let account = AccountId(index as u32);
        let several = || {
            NotApplicable(format!(
                "account {} holds several collateral or debt assets",
                protocol.label(account)
            ))
        };
        let held = only(protocol.collateral_row(account)).map_err(|()| several())?;
        let owed = only(protocol.debt_row(account)).map_err(|()| several())?;
        if let (Some(c), Some(d)) = (held, owed) {
            if pair != Some((c, d)) {
                let Some(params) = protocol.risk_params[c] else {
                    return Err(NotApplicable(format!(
                        "account {} holds collateral that is not listed",
                        protocol.label(account)
                    )));
                };
                if pair.is_some() {
                    return Err(NotApplicable(
                        "accounts use different collateral/debt pairs".into(),
                    ));
                }
                pair = Some((c, d));
                threshold = params.liquidation_threshold;
                // Accounts before the first with both hold no entry, but may owe stranded debt.
                for earlier in 0..index {
                    take(AccountId(earlier as u32), (c, d), threshold);
                }
            }
        }
        if let Some(pair) = pair {
            take(account, pair, threshold);
        }
    }
    match pair {
        Some((c, d)) if c != d => Ok(BookScan {
            pair: (AssetId(c as u16), AssetId(d as u16)),
            n_entries,
            key_bits: (low, high),
            stranded_debt,
            parts: std::iter::once(0..protocol.n_accounts()).collect(),
            counts: vec![counts],
        }),
        Some(_) => Err(NotApplicable(
            "accounts borrow the asset they deposit".into(),
        )),
        None => Err(NotApplicable(
            "no account has both collateral and debt".into(),
        )),
    }
}

/// [`scan_book`] on the current rayon pool's threads, for the common case: `None` where the
/// sequential scan must run instead (one thread, or any account that makes the book fail or
/// needs its reason), else exactly the sequential scan's result. Each part of the accounts finds
/// its own pair from its first account holding both, checks and measures the accounts from there
/// and keeps their stranded debts in account order; the accounts before that (usually none) are
/// measured once every part's pair is known to be the same, and the stranded debts are summed in
/// account order, as the sequential scan adds them.
fn par_scan_book(protocol: &LendingProtocol) -> Option<BookScan> {
    let threads = rayon::current_num_threads();
    let n_accounts = protocol.n_accounts();
    if threads == 1 || n_accounts < 1 << 16 {
        return None;
    }
    /// What one part measured from its first account holding both assets on.
    #[derive(Default)]
    struct Part {
        /// The part's pair and the first account holding it (`None`: no account holds both).
        pair: Option<((usize, usize), usize)>,
        n_entries: usize,
        key_bits: (u64, u64),
        stranded: Vec<f64>,
        /// Entries per key bin (`N_BINS` long; empty for a part's lead, binned into the part).
        counts: Vec<u32>,
    }
    // An account's part in the book for `pair`: an entry (counted and measured; its key's bin
    // returned), the debt of an account with debt and no collateral, or nothing.
    let measure = |account: usize,
                   (c, d): (usize, usize),
                   threshold: f64,
                   part: &mut Part|
     -> Option<usize> {
        let account = AccountId(account as u32);
        let (collateral, debt) = (
            protocol.collateral_row(account)[c],
            protocol.debt_row(account)[d],
        );
        if debt <= 0.0 {
            return None;
        }
        if collateral <= 0.0 {
            part.stranded.push(debt);
            return None;
        }
        part.n_entries += 1;
        let key = collateral * threshold / debt;
        let bits = key.to_bits();
        part.key_bits = (part.key_bits.0.min(bits), part.key_bits.1.max(bits));
        Some(bin_of_key(key))
    };
    let part_range =
        |index: usize| n_accounts * index / threads..n_accounts * (index + 1) / threads;
    let threshold_of = |c: usize| protocol.risk_params[c].map(|p| p.liquidation_threshold);
    let parts: Option<Vec<Part>> = (0..threads)
        .into_par_iter()
        .map(|index| {
            let accounts = part_range(index);
            let mut part = Part {
                key_bits: (u64::MAX, 0),
                counts: vec![0; N_BINS],
                ..Part::default()
            };
            let mut threshold = 0.0;
            for account in accounts {
                let id = AccountId(account as u32);
                let held = only(protocol.collateral_row(id)).ok()?;
                let owed = only(protocol.debt_row(id)).ok()?;
                if let (Some(c), Some(d)) = (held, owed) {
                    match part.pair {
                        Some((pair, _)) if pair != (c, d) => return None,
                        Some(_) => {}
                        None => {
                            threshold = threshold_of(c)?;
                            part.pair = Some(((c, d), account));
                        }
                    }
                }
                if let Some((pair, _)) = part.pair {
                    if let Some(bin) = measure(account, pair, threshold, &mut part) {
                        part.counts[bin] += 1;
                    }
                }
            }
            Some(part)
        })
        .collect();
    let mut parts = parts?;
    let (c, d) = parts.iter().find_map(|part| part.pair)?.0;
    if c == d
        || parts
            .iter()
            .any(|part| part.pair.is_some_and(|(pair, _)| pair != (c, d)))
    {
        return None;
    }
    let threshold = threshold_of(c)?;
    let mut n_entries = 0;
    let (mut low, mut high) = (u64::MAX, 0);
    let mut stranded_debt = 0.0;
    for (index, part) in parts.iter_mut().enumerate() {
        // The part's accounts before its first holding both (all of them if none does).
        let start = part_range(index).start;
        let end = part.pair.map_or(part_range(index).end, |(_, first)| first);
        let mut lead = Part {
            key_bits: (u64::MAX, 0),
            ..Part::default()
        };
        for account in start..end {
            if let Some(bin) = measure(account, (c, d), threshold, &mut lead) {
                part.counts[bin] += 1;
            }
        }
        for part in [&lead, &*part] {
            n_entries += part.n_entries;
            (low, high) = (low.min(part.key_bits.0), high.max(part.key_bits.1));
            for &debt in &part.stranded {
                stranded_debt += debt;
            }
        }
    }
    Some(BookScan {
        pair: (AssetId(c as u16), AssetId(d as u16)),
        n_entries,
        key_bits: (low, high),
        stranded_debt,
        parts: (0..threads).map(part_range).collect(),
        counts: parts.into_iter().map(|part| part.counts).collect(),
    })
}

/// A protocol's (collateral, debt) of asset pair `(collateral, debt)` for every account holding
/// both, read straight from its dense rows, in account order.
struct BookRows<'a> {
    protocol: &'a LendingProtocol,
    collateral: usize,
    debt: usize,
}

impl PartedEntries<(f64, f64)> for BookRows<'_> {
    /// The accounts.
    fn units(&self) -> usize {
        self.protocol.n_accounts()
    }

    fn each_in(&self, accounts: std::ops::Range<usize>, mut visit: impl FnMut((f64, f64))) {
        let n_assets = self.protocol.n_assets;
        let rows =
            &self.protocol.dense_rows()[accounts.start * 2 * n_assets..accounts.end * 2 * n_assets];
        for row in rows.chunks_exact(2 * n_assets) {
            let (collateral, debt) = (row[self.collateral], row[n_assets + self.debt]);
            if debt <= 0.0 || collateral <= 0.0 {
                continue;
            }
            visit((collateral, debt));
        }
    }
}

/// The compensated sum of `part` over the first `k * PREFIX_CHUNK` accounts for every `k`, and
/// over all of them last.
fn prefix_sums(accounts: &[(f64, f64)], part: impl Fn(&(f64, f64)) -> f64) -> Vec<CompensatedSum> {
    let mut prefix = Vec::with_capacity(accounts.len() / PREFIX_CHUNK + 2);
    let mut sum = CompensatedSum::default();
    for chunk in accounts.chunks(PREFIX_CHUNK) {
        prefix.push(sum);
        for account in chunk {
            sum = sum.add(part(account));
        }
    }
    prefix.push(sum);
    prefix
}

/// Accounts per stored prefix sum.
const PREFIX_CHUNK: usize = 64;

/// What a fast-path run adds to the engine's [`Summary`].
#[derive(Debug, Clone, PartialEq)]
pub struct FastOutcome {
    pub summary: Summary,
    /// Accounts liquidated that the exogenous paths alone would not have made liquidatable (see
    /// [`crate::engine::Simulation::induced_liquidations`]), and the collateral value seized from them.
    pub induced_liquidations: u64,
    pub induced_seized_usd: f64,
}

/// Buffers a fast-path run reuses; one per worker thread avoids an allocation per path.
#[derive(Debug, Default)]
pub struct FastScratch {
    seized_per_block: Vec<f64>,
    /// Per liquidating block: (first account, end of the insolvent ones, end, prices (c, d)).
    liquidating_blocks: Vec<(usize, usize, usize, f64, f64)>,
}

/// Runs `market` with its assets following `paths` (one per asset, replacing the market's own) on
/// the sorted book. `book` must come from [`SortedBook::new`] on this market (same accounts).
pub fn run_fast(
    market: &Market,
    book: &SortedBook,
    paths: &[&ReferencePath],
    scratch: &mut FastScratch,
) -> Result<FastOutcome, NotApplicable> {
    assert_eq!(paths.len(), market.assets.len(), "one path per asset");
    let max_blocks = market.settings.max_blocks;
    let (c, d) = (book.collateral_asset.index(), book.debt_asset.index());
    // Keepers' capital must cover every liquidation: the most any block can repay is all the debt
    // at the highest reference price the debt asset reaches.
    let debt_price_ceiling = (0..max_blocks.min(paths_settled_from(paths) + 1))
        .map(|block| paths[d].price_at(block))
        .fold(0.0, f64::max);
    let most_repaid = book.total_debt() * debt_price_ceiling;
    if market
        .keepers
        .iter()
        .any(|k| k.capital_usd_per_block < most_repaid)
    {
        return Err(NotApplicable(format!(
            "a keeper's capital per block is below the book's debt (${most_repaid:.0})"
        )));
    }

    let n_assets = market.assets.len();
    let protocol = &market.protocols[0];
    let tolerance = market.settings.settle_tolerance;
    let settled_from = paths_settled_from(paths);
    let primary = primary_asset_of(paths, max_blocks);
    let bonus = book.params.liquidation_bonus;
    let fee_share = book.params.protocol_fee;
    let v3_3 = book.rules == AaveRules::V3_3;

    let mut exogenous: Vec<f64> = paths.iter().map(|p| p.price_at(0)).collect();
    let mut reference = exogenous.clone();
    let mut previous_reference = reference.clone();
    let mut impact_log = vec![0.0; n_assets];
    // `exp(impact_log)`, recomputed only when the log changes (the same value the engine computes
    // every block, so the prices stay bit-identical).
    let mut impact = vec![1.0; n_assets];
    let mut sold_last_block_usd = 0.0;
    let mut oracle_values: Vec<f64> = Vec::with_capacity(market.oracles.len());
    let mut oracle_states = Vec::with_capacity(market.oracles.len());
    for model in &market.oracles {
        let read = |source| read_source(source, &exogenous, &[], &oracle_values);
        let initial = model.kind.read_sources(read);
        oracle_states.push(OracleState::new(model, initial));
        oracle_values.push(initial);
    }
    let mut oracle_settled = vec![true; market.oracles.len()];
    let protocol_price = |asset: usize, oracle_values: &[f64], reference: &[f64]| match protocol
        .oracle_of_asset[asset]
    {
        Some(oracle) => oracle_values[oracle.index()],
        None => reference[asset],
    };

    // Accounts [0, liquidated) have been liquidated (in full); v3.0 leaves part of an insolvent
    // account's debt on it, unbacked.
    let mut liquidated = 0usize;
    let mut left_unbacked_debt = 0.0;
    let mut totals = Totals::default();
    let mut lowest_primary = reference[primary.index()];
    let mut peak = (0u64, 0u32);
    let mut n_liquidatable_last: u32;
    let mut prices: (f64, f64);
    scratch.seized_per_block.clear();
    scratch.liquidating_blocks.clear();
    let depth = market.assets[c].external_depth_usd;

    let mut block = 0u64;
    let stop_reason = loop {
        previous_reference.copy_from_slice(&reference);
        // 1. prices (the engine's update_reference_prices)
        for asset in 0..n_assets {
            if asset == c {
                if let Some(depth) = depth {
                    if sold_last_block_usd != 0.0 {
                        impact_log[asset] += (1.0 - 0.01_f64).ln() * sold_last_block_usd / depth;
                        impact[asset] = impact_log[asset].exp();
                    }
                }
            }
            exogenous[asset] = paths[asset].price_at(block);
            reference[asset] = exogenous[asset] * impact[asset];
        }
        sold_last_block_usd = 0.0;
        // 2. no venues, no arbitrage; 3. oracles
        for (index, model) in market.oracles.iter().enumerate() {
            let read = |source| read_source(source, &reference, &[], &oracle_values);
            let value = oracle_states[index].update(model, block, read);
            oracle_settled[index] = oracle_states[index].is_settled(model, tolerance);
            oracle_values[index] = value;
        }
        let collateral_price = protocol_price(c, &oracle_values, &reference);
        let debt_price = protocol_price(d, &oracle_values, &reference);
        prices = (collateral_price, debt_price);

        // 4. liquidations
        let end = frontier(liquidated, book.len(), |i| {
            book.liquidatable(i, collateral_price, debt_price)
        });
        let n_liquidatable = (end - liquidated) as u32;
        let mut n_liquidations = 0u32;
        let mut seized_usd_block = 0.0;
        // Every account's keeper margin has the sign of this one (per unit of debt, solvent case):
        // the engine skips an account whose margin is negative and liquidates it otherwise.
        let per_debt_seized = debt_price / collateral_price * (1.0 + bonus);
        let per_debt_to_keeper =
            per_debt_seized - (per_debt_seized - per_debt_seized / (1.0 + bonus)) * fee_share;
        let margin = per_debt_to_keeper * reference[c] - reference[d];
        if end > liquidated && margin >= 0.0 {
            let insolvent_end = frontier(liquidated, end, |i| {
                book.insolvent(i, collateral_price, debt_price)
            });
            // Solvent accounts: seize debt * price(d) / price(c) * (1 + bonus).
            let debt = book.debt_between(insolvent_end, end);
            let seized = debt * debt_price / collateral_price * (1.0 + bonus);
            // Insolvent accounts: seize all collateral, repay its value net of the bonus.
            let all_collateral = book.collateral_between(liquidated, insolvent_end);
            let insolvent_debt = book.debt_between(liquidated, insolvent_end);
            let repaid_insolvent = all_collateral * collateral_price / debt_price / (1.0 + bonus);
            let unbacked = (insolvent_debt - repaid_insolvent).max(0.0);

            let seized_total = seized + all_collateral;
            let repaid_total = debt + repaid_insolvent;
            let bonus_collateral = seized_total - seized_total / (1.0 + bonus);
            let fee_collateral = bonus_collateral * fee_share;
            let to_keepers = seized_total - fee_collateral;
            let seized_usd = seized_total * collateral_price;
            let repaid_usd = repaid_total * debt_price;
            let proceeds = to_keepers * reference[c];

            n_liquidations = n_liquidatable;
            seized_usd_block = seized_usd;
            totals.n += u64::from(n_liquidations);
            totals.seized_usd += seized_usd;
            totals.repaid_usd += repaid_usd;
            totals.bonus_usd += repaid_usd * bonus;
            totals.fees_usd += fee_collateral * collateral_price;
            totals.bad_debt_usd += unbacked * debt_price;
            totals.keeper_profit_usd += proceeds - repaid_total * reference[d];
            if !v3_3 {
                left_unbacked_debt += unbacked;
            }
            sold_last_block_usd = to_keepers * reference[c];
            scratch.liquidating_blocks.push((
                liquidated,
                insolvent_end,
                end,
                collateral_price,
                debt_price,
            ));
            liquidated = end;
        }
        n_liquidatable_last = n_liquidatable;
        scratch.seized_per_block.push(seized_usd_block);
        if n_liquidations > peak.1 {
            peak = (block, n_liquidations);
        }
        lowest_primary = lowest_primary.min(reference[primary.index()]);

        // The engine's stop rule.
        let moved = |before: f64, after: f64| (after / before - 1.0).abs() > tolerance;
        let reference_moving = previous_reference
            .iter()
            .zip(&reference)
            .any(|(b, a)| moved(*b, *a));
        let oracles_moving = oracle_settled.iter().any(|settled| !settled);
        let settled =
            block >= settled_from && n_liquidations == 0 && !reference_moving && !oracles_moving;
        block += 1;
        if settled {
            break if n_liquidatable == 0 {
                StopReason::NoLiquidatablePositions
            } else {
                StopReason::LiquidationUnprofitable
            };
        }
        if block >= max_blocks {
            break StopReason::BlockLimit;
        }
    };

    // Insolvent debt at the end: accounts not liquidated whose collateral is worth less than their
    // debt (a prefix of the rest), debt v3.0 left unbacked, and accounts without collateral.
    let (collateral_price, debt_price) = prices;
    let underwater_end = frontier(liquidated, book.len(), |i| {
        book.underwater(i, collateral_price, debt_price)
    });
    let insolvent_debt_usd = (book.debt_between(liquidated, underwater_end) * debt_price
        - book.collateral_between(liquidated, underwater_end) * collateral_price)
        .max(0.0)
        + (left_unbacked_debt + book.stranded_debt) * debt_price;

    // Induced liquidations: liquidated accounts that stay at or above HF 1 at the exogenous prices
    // of every block (prices read directly, no oracle). Among the sorted accounts they are the ones
    // past the furthest frontier any block's exogenous prices reach; a frontier moves only when the
    // predicate holds at the current one, so each block costs O(1) unless it extends it.
    let mut exogenous_frontier = 0;
    for index in 0..block.min(settled_from + 1) {
        let collateral_price = paths[c].price_at(index);
        let debt_price = paths[d].price_at(index);
        exogenous_frontier = frontier(exogenous_frontier, book.len(), |i| {
            book.liquidatable(i, collateral_price, debt_price)
        });
    }
    let induced_liquidations = liquidated.saturating_sub(exogenous_frontier) as u64;
    let mut induced_seized_usd = 0.0;
    for &(start, insolvent_end, end, collateral_price, debt_price) in &scratch.liquidating_blocks {
        // Seized value: all collateral of insolvent accounts, debt * (1 + bonus) of the others.
        let from = start.max(exogenous_frontier);
        if from >= end {
            continue;
        }
        let split = insolvent_end.clamp(from, end);
        induced_seized_usd += book.collateral_between(from, split) * collateral_price
            + book.debt_between(split, end) * debt_price / collateral_price
                * (1.0 + bonus)
                * collateral_price;
    }

    let mut seized_per_block = scratch
        .seized_per_block
        .iter()
        .enumerate()
        .map(|(block, &seized)| (block as u64, seized));
    let summary = SummaryParts {
        paths,
        primary,
        primary_symbol: &market.assets[primary.index()].symbol,
        blocks_run: block,
        equilibrium_price: reference[primary.index()],
        lowest_price: lowest_primary,
        n_liquidations: totals.n,
        n_accounts_liquidated: liquidated as u64,
        collateral_seized_usd: totals.seized_usd,
        debt_repaid_usd: totals.repaid_usd,
        bonus_usd: totals.bonus_usd,
        protocol_fees_usd: totals.fees_usd,
        bad_debt_usd: totals.bad_debt_usd,
        insolvent_debt_usd,
        keeper_profit_usd: totals.keeper_profit_usd,
        gas_usd: 0.0,
        peak_liquidations: peak,
        seized_per_block: &mut seized_per_block,
        stop_reason,
        n_liquidatable_at_stop: u64::from(n_liquidatable_last),
        mechanisms: MechanismTotals {
            bad_debt_uncovered_usd: totals.bad_debt_usd,
            ..MechanismTotals::default()
        },
    }
    .summary();
    Ok(FastOutcome {
        summary,
        induced_liquidations,
        induced_seized_usd,
    })
}

#[derive(Debug, Default)]
struct Totals {
    n: u64,
    seized_usd: f64,
    repaid_usd: f64,
    bonus_usd: f64,
    fees_usd: f64,
    bad_debt_usd: f64,
    keeper_profit_usd: f64,
}

fn paths_settled_from(paths: &[&ReferencePath]) -> u64 {
    paths
        .iter()
        .map(|path| path.settled_from_block())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_frontier_finds_the_end_of_a_true_prefix() {
        // The predicate `i < cut` holds on 0..cut; from `from`, the first index where it fails is
        // `cut` when `from < cut`, else `from` itself.
        for cut in [0usize, 1, 2, 3, 500, 999, 1000] {
            for from in [0usize, 1, 7, 400, 999, 1000] {
                let found = frontier(from, 1000, |i| i < cut);
                let expected = if from < cut { cut } else { from };
                assert_eq!(found, expected, "cut {cut} from {from}");
            }
        }
    }

    #[test]
    fn test_compensated_sum_keeps_small_ranges_exact() {
        // 1e16 + 1 + 1 - 1e16: a plain f64 prefix sum loses both ones (1e16 + 1 rounds to 1e16).
        let values = [1e16, 1.0, 1.0, 3.0];
        let mut sums = vec![CompensatedSum::default()];
        for v in values {
            let last = *sums.last().unwrap();
            sums.push(last.add(v));
        }
        assert_eq!(sums[3].minus(sums[1]), 2.0);
        assert_eq!(sums[4].minus(sums[1]), 5.0);
    }

    #[test]
    fn test_prefix_sums_match_the_one_loop_over_both_parts() {
        // The earlier build: one loop pushing both prefix sums every `PREFIX_CHUNK` accounts.
        let one_loop = |accounts: &[(f64, f64)]| {
            let (mut collateral, mut debt) = (Vec::new(), Vec::new());
            let mut sums = (CompensatedSum::default(), CompensatedSum::default());
            for (index, &(c, d)) in accounts.iter().enumerate() {
                if index % PREFIX_CHUNK == 0 {
                    collateral.push(sums.0);
                    debt.push(sums.1);
                }
                sums = (sums.0.add(c), sums.1.add(d));
            }
            collateral.push(sums.0);
            debt.push(sums.1);
            (collateral, debt)
        };
        let accounts: Vec<(f64, f64)> = (0..1_000)
            .map(|i| (1e12 / f64::from(i + 1), 0.1 * f64::from(i % 7)))
            .collect();
        for n in [0, 1, 63, 64, 65, 128, 1_000] {
            let accounts = &accounts[..n];
            let expected = one_loop(accounts);
            let collateral = prefix_sums(accounts, |&(c, _)| c);
            let debt = prefix_sums(accounts, |&(_, d)| d);
            let bits = |sums: &[CompensatedSum]| -> Vec<(u64, u64)> {
                sums.iter()
                    .map(|s| (s.hi.to_bits(), s.lo.to_bits()))
                    .collect()
            };
            assert_eq!(bits(&collateral), bits(&expected.0), "n = {n}");
            assert_eq!(bits(&debt), bits(&expected.1), "n = {n}");
        }
    }
}
