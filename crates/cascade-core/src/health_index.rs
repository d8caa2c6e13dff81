//! Finds the accounts that may have become liquidatable without rescanning the whole book.
//!
//! Every indexed account is keyed by its health factor at a snapshot of prices `p0` (computed with
//! its balances when it was keyed), and accounts are grouped by the set of assets they hold (which
//! collateral, which debt) and sorted by that key `HF0`. For an account whose balances have not
//! changed since it was keyed,
//!
//! `HF(p) = sum(c_i p_i LT_i) / sum(d_j q_j) >= HF0 * min_i(p_i/p0_i) / max_j(q_j/q0_j)`
//!
//! over the group's collateral assets `i` and debt assets `j` (a superset of the assets it holds
//! keeps the bound: the minimum over more ratios is lower, the maximum higher). So only accounts
//! with `HF0 < max_j(q_j/q0_j) / min_i(p_i/p0_i)` can be below 1: a prefix of each sorted list,
//! found by binary search.
//!
//! An account whose balances change (liquidated, repaid, topped up) is `touch`ed, and keyed again
//! there and then (its rows are in the cache) at the same snapshot `p0` with its new balances, into
//! the group of the assets it now holds; its older entries go stale (each entry carries the
//! account's version when it was written). The entries re-keyed between two queries form a sorted
//! run of their own; runs
//! are merged as they grow (as a binary counter merges, so each entry is moved O(log n) times) and
//! stale entries are dropped when merged. A query scans each run's prefix and skips stale entries,
//! and a run's leading stale entries are skipped for good (a cascade liquidates in key order, so
//! they gather at the front). The index is rebuilt at current prices, sorting the whole book again,
//! only when the snapshot has drifted so far that the prefixes hold many live accounts that are
//! not below the threshold (multi-asset accounts whose bound has gone loose): once the
//! queries since the last rebuild have wasted a quarter of a full scan's checks, the next query
//! sorts the book at its prices.

use rayon::prelude::*;

use crate::bucket_sort::{bucket_sort_into, key_bit_range, par_bucket_sort, PartedEntries};
use crate::ids::AccountId;
use crate::lending::LendingProtocol;

/// One account's key in one run: its health factor at the snapshot prices, and the account's
/// version when the key was computed (the entry is live while the account's version is the same).
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: f64,
    account: AccountId,
    version: u32,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            key: 0.0,
            account: AccountId(0),
            version: 0,
        }
    }
}

/// Entries sorted by key, of which the first `first_live` are known to be stale.
#[derive(Debug, Clone, Default)]
struct Run {
    entries: Vec<Entry>,
    first_live: usize,
}

#[derive(Debug, Clone)]
struct Group {
    signature: (u64, u64),
    collateral_assets: Vec<usize>,
    debt_assets: Vec<usize>,
    /// Sorted runs: the build's, then re-keyed accounts' (older first).
    runs: Vec<Run>,
    /// Accounts re-keyed into this group since the last query, not yet sorted into a run.
    pending: Vec<Entry>,
}

/// The candidate finder of one lending protocol.
#[derive(Debug, Clone)]
pub struct HealthIndex {
    groups: Vec<Group>,
    snapshot_prices: Vec<f64>,
    /// The assets the protocol lists as collateral, as a bit mask (its risk parameters are fixed
    /// for a run; taken again at every rebuild).
    listed: u64,
    /// Per account: how many times it has been re-keyed (an entry with another version is stale).
    versions: Vec<u32>,
    n_indexed: usize,
    /// Live accounts the queries since the last rebuild checked and found above their threshold:
    /// the cost of a drifted snapshot, paid for again by every query until a rebuild.
    n_wasted: usize,
    /// The sort's second buffer, kept between sorts (a fresh one costs its page faults).
    scratch: Vec<Entry>,
    /// A query's prefix entries (account, version), kept between queries.
    prefix_scratch: Vec<(AccountId, u32)>,
    /// Number of rebuilds so far (for diagnostics and tests).
    pub n_rebuilds: u64,
    /// Number of merges of two runs so far (for diagnostics and tests).
    pub n_merges: u64,
}

impl HealthIndex {
    /// Indexes every account of `protocol` at `prices`.
    pub fn new(protocol: &LendingProtocol, prices: &[f64]) -> Self {
        assert!(
            protocol.n_assets <= 64,
            "the index keys asset sets by 64-bit masks"
        );
        let mut index = HealthIndex {
            groups: Vec::new(),
            snapshot_prices: Vec::new(),
            listed: listed_mask(protocol),
            versions: vec![0; protocol.n_accounts()],
            n_indexed: 0,
            n_wasted: 0,
            scratch: Vec::new(),
            prefix_scratch: Vec::new(),
            n_rebuilds: 0,
            n_merges: 0,
        };
        index.rebuild(protocol, prices);
        index
    }

    /// Keys every account at `prices` into one sorted run per group, on the current rayon pool's
    /// threads (the same runs at any number of threads: the accounts are keyed in chunks whose
    /// results are taken in chunk order, and the sort is deterministic).
    fn rebuild(&mut self, protocol: &LendingProtocol, prices: &[f64]) {
        self.snapshot_prices = prices.to_vec();
        let n_accounts = protocol.n_accounts();
        let versions = &self.versions;
        self.listed = listed_mask(protocol);
        let listed = self.listed;
        // Per chunk of accounts: its entries, one list per signature in order of first appearance
        // (few distinct signatures exist in a book: the most recent one is tried first).
        let chunks: Vec<SignatureLists> = (0..n_accounts.div_ceil(KEY_CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut lists: SignatureLists = Vec::new();
                let mut last = usize::MAX;
                let first = chunk * KEY_CHUNK;
                let end = (first + KEY_CHUNK).min(n_accounts);
                for (account_index, &version) in (first..end).zip(&versions[first..end]) {
                    let account = AccountId(account_index as u32);
                    let signature = masks(protocol, account, listed);
                    // No debt: never liquidatable. No collateral: nothing to seize.
                    if signature.0 == 0 || signature.1 == 0 {
                        continue;
                    }
                    if last == usize::MAX || lists[last].0 != signature {
                        last = match lists.iter().position(|(s, _)| *s == signature) {
                            Some(found) => found,
                            None => {
                                // Room for the rest of the chunk: usually the one signature.
                                lists.push((signature, Vec::with_capacity(end - account_index)));
                                lists.len() - 1
                            }
                        };
                    }
                    lists[last].1.push(Entry {
                        key: protocol.health_factor(account, prices),
                        account,
                        version,
                    });
                }
                lists
            })
            .collect();
        let mut signatures: Vec<(u64, u64)> = chunks
            .iter()
            .flat_map(|lists| lists.iter().map(|(signature, _)| *signature))
            .collect();
        signatures.sort_unstable();
        signatures.dedup();
        self.groups.clear();
        let mut n_indexed = 0;
        for signature in signatures {
            let parts: Vec<&[Entry]> = chunks
                .iter()
                .filter_map(|lists| {
                    lists
                        .iter()
                        .find(|(s, _)| *s == signature)
                        .map(|(_, entries)| &entries[..])
                })
                .collect();
            let entries = sort_parts_by_key(&parts);
            n_indexed += entries.len();
            let group = self.group_of(signature);
            self.groups[group].runs.push(Run {
                entries,
                first_live: 0,
            });
        }
        self.n_indexed = n_indexed;
        self.n_wasted = 0;
        self.n_rebuilds += 1;
    }

    /// The group of `signature`, created (empty) when the index has none. Groups are kept in
    /// signature order.
    fn group_of(&mut self, signature: (u64, u64)) -> usize {
        match self
            .groups
            .binary_search_by_key(&signature, |group| group.signature)
        {
            Ok(found) => found,
            Err(at) => {
                self.groups.insert(
                    at,
                    Group {
                        signature,
                        collateral_assets: bits(signature.0),
                        debt_assets: bits(signature.1),
                        runs: Vec::new(),
                        pending: Vec::new(),
                    },
                );
                at
            }
        }
    }

    /// Records that an account's balances changed: its older entries go stale, and it is keyed
    /// again, at the snapshot prices with its balances now, into its group's pending entries (now,
    /// while the caller has just read or written its rows; the next query sorts the pending entries
    /// into a run). Touching an account twice, or one whose balances did not change, is harmless.
    pub fn touch(&mut self, protocol: &LendingProtocol, account: AccountId) {
        let version = &mut self.versions[account.index()];
        *version = version.wrapping_add(1);
        let version = *version;
        let signature = masks(protocol, account, self.listed);
        // No debt: never liquidatable. No collateral: nothing to seize.
        if signature.0 == 0 || signature.1 == 0 {
            return;
        }
        let group = self.group_of(signature);
        self.groups[group].pending.push(Entry {
            key: protocol.health_factor(account, &self.snapshot_prices),
            account,
            version,
        });
    }

    /// Sorts each group's pending (re-keyed) entries into a new run, and merges the newest run into
    /// the one before it while that one's live entries are at most twice as many (so runs shrink
    /// geometrically from the oldest, and each entry is moved O(log n) times).
    fn flush_pending(&mut self) {
        for group in &mut self.groups {
            if group.pending.is_empty() {
                continue;
            }
            let mut entries = std::mem::take(&mut group.pending);
            sort_by_key(&mut entries, &mut self.scratch);
            group.runs.push(Run {
                entries,
                first_live: 0,
            });
            while let [.., older, newer] = &group.runs[..] {
                let older_live = older.entries.len() - older.first_live;
                if older_live > 2 * newer.entries.len() {
                    break;
                }
                let newer = group.runs.pop().expect("two runs");
                let older = group.runs.pop().expect("two runs");
                group.runs.push(merge_live(older, newer, &self.versions));
                self.n_merges += 1;
            }
        }
    }

    /// Every account of `protocol` whose health factor at `prices` is below 1 and that still holds
    /// collateral, with that health factor, in account order.
    pub fn liquidatable(
        &mut self,
        protocol: &LendingProtocol,
        prices: &[f64],
    ) -> Vec<(AccountId, f64)> {
        self.below(protocol, prices, 1.0)
    }

    /// Every account of `protocol` whose health factor at `prices` is below `threshold` and that
    /// still holds collateral, with that health factor, in account order.
    pub fn below(
        &mut self,
        protocol: &LendingProtocol,
        prices: &[f64],
        threshold: f64,
    ) -> Vec<(AccountId, f64)> {
        // The checks wasted on a drifted snapshot have cost about as much as a rebuild (one health
        // factor per account, and a sort): rebuild at these prices (rent or buy).
        if self.n_wasted > (self.n_indexed / 4).max(256) {
            self.rebuild(protocol, prices);
        } else {
            self.flush_pending();
        }
        // The prefixes' entries, then checked in account order: the versions and the balance
        // rows are then read in address order (the prefixes list accounts in key order, which
        // would miss the cache on every one of them in a large book).
        let mut prefixes = std::mem::take(&mut self.prefix_scratch);
        prefixes.clear();
        for group in &mut self.groups {
            let worst_collateral = group
                .collateral_assets
                .iter()
                .map(|&asset| prices[asset] / self.snapshot_prices[asset])
                .fold(f64::INFINITY, f64::min);
            let worst_debt = group
                .debt_assets
                .iter()
                .map(|&asset| prices[asset] / self.snapshot_prices[asset])
                .fold(0.0, f64::max);
            // A hair of slack so that rounding in the bound never hides an account. A price of 0
            // on both sides (0 / 0) bounds nothing: the whole group is checked.
            let bound = threshold * worst_debt / worst_collateral * (1.0 + 1e-9);
            let bound = if bound.is_nan() { f64::INFINITY } else { bound };
            for run in &mut group.runs {
                let prefix = run.entries.partition_point(|entry| entry.key < bound);
                while run.first_live < prefix
                    && !is_live(&run.entries[run.first_live], &self.versions)
                {
                    run.first_live += 1;
                }
                prefixes.extend(
                    run.entries[run.first_live.min(prefix)..prefix]
                        .iter()
                        .map(|entry| (entry.account, entry.version)),
                );
            }
        }
        prefixes.sort_unstable();
        let mut found = Vec::new();
        let mut n_checked = 0usize;
        for &(account, version) in &prefixes {
            // A stale entry (the account was re-keyed since): its live entry is elsewhere.
            if self.versions[account.index()] != version {
                continue;
            }
            n_checked += 1;
            let health_factor = protocol.health_factor(account, prices);
            if health_factor < threshold && protocol.has_collateral(account) {
                found.push((account, health_factor));
            }
        }
        self.prefix_scratch = prefixes;
        self.n_wasted += n_checked - found.len();
        // In account order already: an account has one live entry.
        found
    }
}

fn is_live(entry: &Entry, versions: &[u32]) -> bool {
    versions[entry.account.index()] == entry.version
}

/// The live entries of two sorted runs, merged into one sorted run.
fn merge_live(older: Run, newer: Run, versions: &[u32]) -> Run {
    let mut merged =
        Vec::with_capacity(older.entries.len() - older.first_live + newer.entries.len());
    let mut a = older.entries[older.first_live..]
        .iter()
        .filter(|entry| is_live(entry, versions))
        .peekable();
    let mut b = newer.entries[newer.first_live..]
        .iter()
        .filter(|entry| is_live(entry, versions))
        .peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if y.key.total_cmp(&x.key).is_lt() {
                    b.next()
                } else {
                    a.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        merged.extend(next.copied());
    }
    Run {
        entries: merged,
        first_live: 0,
    }
}

/// Accounts keyed per task when the index is (re)built.
const KEY_CHUNK: usize = 1 << 15;

/// One chunk's entries: a list per (collateral, debt) signature, in order of first appearance.
type SignatureLists = Vec<((u64, u64), Vec<Entry>)>;

/// Consecutive parts of one list of entries, visited part by part.
struct Parts<'a>(&'a [&'a [Entry]]);

impl PartedEntries<Entry> for Parts<'_> {
    fn units(&self) -> usize {
        self.0.len()
    }

    fn each_in(&self, units: std::ops::Range<usize>, mut visit: impl FnMut(Entry)) {
        for part in &self.0[units] {
            part.iter().for_each(|&entry| visit(entry));
        }
    }
}

/// The entries of `parts` (taken in order) sorted by key, on the current rayon pool's threads
/// (the same order at any number of threads).
fn sort_parts_by_key(parts: &[&[Entry]]) -> Vec<Entry> {
    let n: usize = parts.iter().map(|part| part.len()).sum();
    // The bucket sort needs keys whose bits order like their values: non-negative, not NaN (a
    // health factor of an account with debt, at non-negative prices).
    let (low, high) = parts
        .par_iter()
        .map(|part| key_bit_range(part, |entry| entry.key))
        .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if high > f64::INFINITY.to_bits() {
        let mut entries: Vec<Entry> = parts.concat();
        entries.sort_unstable_by(|a, b| a.key.total_cmp(&b.key));
        return entries;
    }
    par_bucket_sort(&Parts(parts), n, (low, high), |entry| entry.key)
}

/// The assets an account holds: (listed collateral with a positive balance, positive debts), as
/// bit masks. `listed` is [`listed_mask`] of the protocol.
fn masks(protocol: &LendingProtocol, account: AccountId, listed: u64) -> (u64, u64) {
    let held = |row: &[f64]| {
        row.iter().enumerate().fold(0u64, |mask, (asset, &amount)| {
            mask | (u64::from(amount > 0.0) << asset)
        })
    };
    (
        held(protocol.collateral_row(account)) & listed,
        held(protocol.debt_row(account)),
    )
}

/// The assets the protocol lists as collateral, as a bit mask.
fn listed_mask(protocol: &LendingProtocol) -> u64 {
    protocol
        .risk_params
        .iter()
        .enumerate()
        .fold(0, |mask, (asset, params)| {
            mask | (u64::from(params.is_some()) << asset)
        })
}

fn bits(mask: u64) -> Vec<usize> {
    (0..64).filter(|bit| mask & (1 << bit) != 0).collect()
}

/// Sorts `entries` by key, with `scratch` as the second buffer. Entries with equal keys keep no
/// particular order: the index finds candidates by the sorted keys alone, and
/// [`HealthIndex::below`] returns them in account order.
fn sort_by_key(entries: &mut Vec<Entry>, scratch: &mut Vec<Entry>) {
    // The bucket sort needs keys whose bits order like their values: non-negative, not NaN (a
    // health factor of an account with debt, at non-negative prices).
    let (low, high) = key_bit_range(entries, |entry| entry.key);
    if high > f64::INFINITY.to_bits() {
        entries.sort_unstable_by(|a, b| a.key.total_cmp(&b.key));
        return;
    }
    bucket_sort_into(
        &entries[..],
        entries.len(),
        (low, high),
        |entry| entry.key,
        Entry::default(),
        scratch,
    );
    std::mem::swap(entries, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_sort_by_key_orders_by_total_order() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for negatives in [false, true] {
            let mut entries: Vec<Entry> = (0..20_000u32)
                .map(|i| {
                    let value = match next() % 5 {
                        0 => (next() % 7) as f64 / 4.0,
                        1 if negatives => -((next() % 1000) as f64) / 3.0,
                        2 => f64::INFINITY,
                        // Finite positives over the whole exponent range, 2^-1024 to 2^1023.
                        _ => ((next() % 2048) as f64 - 1024.0).exp2(),
                    };
                    Entry {
                        key: value,
                        account: AccountId(i),
                        version: 0,
                    }
                })
                .collect();
            let mut expected: Vec<u64> = entries.iter().map(|e| e.key.to_bits()).collect();
            expected.sort_by(|a, b| f64::from_bits(*a).total_cmp(&f64::from_bits(*b)));
            let mut ids: Vec<u32> = entries.iter().map(|e| e.account.0).collect();
            sort_by_key(&mut entries, &mut Vec::new());
            let keys: Vec<u64> = entries.iter().map(|e| e.key.to_bits()).collect();
            assert_eq!(keys, expected);
            // A permutation of the entries.
            let mut sorted_ids: Vec<u32> = entries.iter().map(|e| e.account.0).collect();
            sorted_ids.sort_unstable();
            ids.sort_unstable();
            assert_eq!(sorted_ids, ids);
        }
    }
}
