//! Finds the accounts that may have become liquidatable without rescanning the whole book.
//!
//! Every indexed account's health factor is computed once at a snapshot of prices `p0`, and accounts
//! are grouped by the set of assets they hold (which collateral, which debt) and sorted by that
//! snapshot health factor `HF0`. For an account whose balances have not changed since,
//!
//! `HF(p) = sum(c_i p_i LT_i) / sum(d_j q_j) >= HF0 * min_i(p_i/p0_i) / max_j(q_j/q0_j)`
//!
//! over the group's collateral assets `i` and debt assets `j`. So only accounts with
//! `HF0 < max_j(q_j/q0_j) / min_i(p_i/p0_i)` can be below 1: a prefix of the group's sorted list,
//! found by binary search. Accounts whose balances changed (liquidated) are kept in a short "touched"
//! list that is always checked exactly. When the prefixes or the touched list grow past a fraction of
//! the book, the index is rebuilt at the current prices (O(n log n), rare).

use crate::bucket_sort::bucket_sort_into;
use crate::ids::AccountId;
use crate::lending::LendingProtocol;

#[derive(Debug, Clone)]
struct Group {
    collateral_assets: Vec<usize>,
    debt_assets: Vec<usize>,
    /// (snapshot health factor, account), ascending.
    entries: Vec<(f64, AccountId)>,
}

/// The candidate finder of one lending protocol.
#[derive(Debug, Clone)]
pub struct HealthIndex {
    groups: Vec<Group>,
    snapshot_prices: Vec<f64>,
    touched: Vec<AccountId>,
    is_touched: Vec<bool>,
    n_indexed: usize,
    /// The sort's output buffer, kept between rebuilds (a fresh one costs its page faults).
    scratch: Vec<(f64, AccountId)>,
    /// Number of rebuilds so far (for diagnostics and tests).
    pub n_rebuilds: u64,
}

impl HealthIndex {
    /// Indexes every account of `protocol` at `prices`.
    pub fn new(protocol: &LendingProtocol, prices: &[f64]) -> Self {
        let mut index = HealthIndex {
            groups: Vec::new(),
            snapshot_prices: Vec::new(),
            touched: Vec::new(),
            is_touched: vec![false; protocol.n_accounts()],
            n_indexed: 0,
            scratch: Vec::new(),
            n_rebuilds: 0,
        };
        index.rebuild(protocol, prices);
        index
    }

    fn rebuild(&mut self, protocol: &LendingProtocol, prices: &[f64]) {
        let n_assets = protocol.n_assets;
        assert!(n_assets <= 64, "the index keys asset sets by 64-bit masks");
        // Few distinct (collateral, debt) signatures exist in a book, so a short list searched
        // linearly (most recent first) beats a map lookup per account.
        let mut signatures: Vec<(u64, u64)> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        // The previous groups' arrays, refilled (a rebuild mostly keeps the same groups).
        let mut spare: Vec<Vec<(f64, AccountId)>> = std::mem::take(&mut self.groups)
            .into_iter()
            .map(|group| {
                let mut entries = group.entries;
                entries.clear();
                entries
            })
            .collect();
        let mut last = usize::MAX;
        let mut n_indexed = 0;
        for account_index in 0..protocol.n_accounts() {
            let account = AccountId(account_index as u32);
            let signature = masks(protocol, account);
            // No debt: never liquidatable. No collateral: nothing to seize.
            if signature.0 == 0 || signature.1 == 0 {
                continue;
            }
            if last == usize::MAX || signatures[last] != signature {
                last = match signatures.iter().position(|&s| s == signature) {
                    Some(found) => found,
                    None => {
                        signatures.push(signature);
                        groups.push(Group {
                            collateral_assets: bits(signature.0),
                            debt_assets: bits(signature.1),
                            // The first group of a new index is usually the only one: room for
                            // the rest of the book spares its growth's copies.
                            entries: spare.pop().unwrap_or_else(|| {
                                if groups.is_empty() {
                                    Vec::with_capacity(protocol.n_accounts() - account_index)
                                } else {
                                    Vec::new()
                                }
                            }),
                        });
                        signatures.len() - 1
                    }
                };
            }
            groups[last]
                .entries
                .push((protocol.health_factor(account, prices), account));
            n_indexed += 1;
        }
        // Groups in signature order; entries by health factor (equal health factors in no
        // particular order: `below` returns its candidates in account order).
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by_key(|&g| signatures[g]);
        let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
        self.groups = order
            .into_iter()
            .map(|g| slots[g].take().expect("each group once"))
            .collect();
        for group in &mut self.groups {
            sort_by_health_factor(&mut group.entries, &mut self.scratch);
        }
        self.snapshot_prices = prices.to_vec();
        for account in self.touched.drain(..) {
            self.is_touched[account.index()] = false;
        }
        self.n_indexed = n_indexed;
        self.n_rebuilds += 1;
    }

    /// Records that an account's balances changed (so its snapshot no longer bounds it).
    pub fn touch(&mut self, account: AccountId) {
        if !self.is_touched[account.index()] {
            self.is_touched[account.index()] = true;
            self.touched.push(account);
        }
    }

    fn prefix_lengths(&self, prices: &[f64], threshold: f64) -> Vec<usize> {
        self.groups
            .iter()
            .map(|group| {
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
                // A hair of slack so that rounding in the bound never hides an account.
                let bound = threshold * worst_debt / worst_collateral * (1.0 + 1e-9);
                group
                    .entries
                    .partition_point(|&(health_factor, _)| health_factor < bound)
            })
            .collect()
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
        let mut prefixes = self.prefix_lengths(prices, threshold);
        let scanned: usize = prefixes.iter().sum();
        let limit = (self.n_indexed / 8).max(256);
        if scanned > limit || self.touched.len() > limit {
            self.rebuild(protocol, prices);
            prefixes = self.prefix_lengths(prices, threshold);
        }
        let mut found = Vec::new();
        let mut consider = |account: AccountId| {
            let health_factor = protocol.health_factor(account, prices);
            if health_factor < threshold && protocol.has_collateral(account) {
                found.push((account, health_factor));
            }
        };
        for (group, &prefix) in self.groups.iter().zip(&prefixes) {
            for &(_, account) in &group.entries[..prefix] {
                if !self.is_touched[account.index()] {
                    consider(account);
                }
            }
        }
        for &account in &self.touched {
            consider(account);
        }
        // Accounts are unique, so an unstable sort is still deterministic.
        found.sort_unstable_by_key(|&(account, _)| account);
        found
    }
}

fn masks(protocol: &LendingProtocol, account: AccountId) -> (u64, u64) {
    let mut collateral_mask = 0u64;
    let mut debt_mask = 0u64;
    for (asset, &amount) in protocol.collateral_row(account).iter().enumerate() {
        if amount > 0.0 && protocol.risk_params[asset].is_some() {
            collateral_mask |= 1 << asset;
        }
    }
    for (asset, &amount) in protocol.debt_row(account).iter().enumerate() {
        if amount > 0.0 {
            debt_mask |= 1 << asset;
        }
    }
    (collateral_mask, debt_mask)
}

fn bits(mask: u64) -> Vec<usize> {
    (0..64).filter(|bit| mask & (1 << bit) != 0).collect()
}

/// Sorts `entries` by health factor, with `scratch` as the second buffer. Entries with equal health
/// factors keep no particular order: the index finds candidates by the sorted keys alone, and
/// [`HealthIndex::below`] returns them in account order.
fn sort_by_health_factor(entries: &mut Vec<(f64, AccountId)>, scratch: &mut Vec<(f64, AccountId)>) {
    // The bucket sort needs keys whose bits order like their values: non-negative, not NaN (a
    // health factor of an account with debt, at non-negative prices).
    let (low, high) = entries.iter().fold((u64::MAX, 0), |(low, high), entry| {
        let bits = entry.0.to_bits();
        (low.min(bits), high.max(bits))
    });
    if high > f64::INFINITY.to_bits() {
        entries.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        return;
    }
    let filler = (0.0, AccountId(0));
    bucket_sort_into(
        &entries[..],
        entries.len(),
        (low, high),
        |e| e.0,
        filler,
        scratch,
    );
    std::mem::swap(entries, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_sort_by_health_factor_orders_by_total_order() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for negatives in [false, true] {
            let mut entries: Vec<(f64, AccountId)> = (0..20_000u32)
                .map(|i| {
                    let value = match next() % 5 {
                        0 => (next() % 7) as f64 / 4.0,
                        1 if negatives => -((next() % 1000) as f64) / 3.0,
                        2 => f64::INFINITY,
                        // Finite positives over the whole exponent range, 2^-1024 to 2^1023.
                        _ => ((next() % 2048) as f64 - 1024.0).exp2(),
                    };
                    (value, AccountId(i))
                })
                .collect();
            let mut expected: Vec<u64> = entries.iter().map(|e| e.0.to_bits()).collect();
            expected.sort_by(|a, b| f64::from_bits(*a).total_cmp(&f64::from_bits(*b)));
            let mut ids: Vec<u32> = entries.iter().map(|e| e.1 .0).collect();
            sort_by_health_factor(&mut entries, &mut Vec::new());
            let keys: Vec<u64> = entries.iter().map(|e| e.0.to_bits()).collect();
            assert_eq!(keys, expected);
            // A permutation of the entries.
            let mut sorted_ids: Vec<u32> = entries.iter().map(|e| e.1 .0).collect();
            sorted_ids.sort_unstable();
            ids.sort_unstable();
            assert_eq!(sorted_ids, ids);
        }
    }
}
