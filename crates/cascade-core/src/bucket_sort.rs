//! The bucket sort of large arrays of entries by a non-negative `f64` key, shared by the sorted
//! book ([`crate::fast`]) and the health index's rebuilds ([`crate::health_index`]).

/// Entries to sort, produced in the same order each time they are visited.
pub(crate) trait Entries<T> {
    fn each(&self, visit: impl FnMut(T));
}

impl<T: Copy> Entries<T> for [T] {
    fn each(&self, visit: impl FnMut(T)) {
        self.iter().copied().for_each(visit);
    }
}

/// The `n` entries of `source` sorted ascending by `key` (non-negative, not NaN; recomputed, not
/// stored, so the sort moves the entries themselves), given the lowest and highest of the keys'
/// bit patterns. A bucket sort whose bucket is a monotone function of the key's bit pattern (for
/// non-negative floats the bits order like the values, and spread roughly like their logarithm,
/// which suits log-normal books), then a comparison sort inside each small bucket. Entries with
/// equal keys keep no particular order (neither the sorted book nor the health index depends on
/// it), but the order is a function of the input: the same entries in the same order always sort
/// the same way.
///
/// The buckets are filled in two scatters: first from `source` (visited twice, for the counts and
/// for the scatter) into about a thousand coarse buckets (runs of consecutive fine ones), which
/// writes a thousand sequential streams into the one array the sort allocates, then each coarse
/// bucket, through a buffer small enough to stay in cache, into its fine buckets. Each scatter is
/// stable, so every fine bucket receives its entries in input order, exactly as one scatter
/// straight into the fine buckets would give them (which missed the cache and the TLB on almost
/// every entry of a large book).
pub(crate) fn bucket_sort<T: Copy + Default, S: Entries<T> + ?Sized>(
    source: &S,
    n: usize,
    (low, high): (u64, u64),
    key: impl Fn(&T) -> f64,
) -> Vec<T> {
    let mut sorted = Vec::new();
    bucket_sort_into(source, n, (low, high), key, T::default(), &mut sorted);
    sorted
}

/// [`bucket_sort`] into `sorted` (whose allocation is reused; its contents are replaced), with
/// `filler` as the value of slots not yet written.
pub(crate) fn bucket_sort_into<T: Copy, S: Entries<T> + ?Sized>(
    source: &S,
    n: usize,
    (low, high): (u64, u64),
    key: impl Fn(&T) -> f64,
    filler: T,
    sorted: &mut Vec<T>,
) {
    let by_key = |a: &T, b: &T| key(a).total_cmp(&key(b));
    sorted.clear();
    if n < 1024 {
        source.each(|entry| sorted.push(entry));
        sorted.sort_unstable_by(by_key);
        return;
    }
    let n_buckets = n / 8;
    // u64 -> f64 conversion, a positive scale and truncation are all monotone, so the bucket never
    // decreases as the key grows (a u128 division per entry costs more than the rest of the pass).
    let scale = n_buckets as f64 / ((high - low) as f64 + 1.0);
    let bucket =
        |entry: &T| (((key(entry).to_bits() - low) as f64 * scale) as usize).min(n_buckets - 1);
    // Coarse bucket `g` holds the fine buckets `g << shift ..(g + 1) << shift`.
    let mut shift = 0;
    while (n_buckets - 1) >> shift >= COARSE_BUCKETS {
        shift += 1;
    }
    let n_coarse = ((n_buckets - 1) >> shift) + 1;
    let mut coarse_starts = vec![0usize; n_coarse + 1];
    source.each(|entry| coarse_starts[(bucket(&entry) >> shift) + 1] += 1);
    for index in 1..coarse_starts.len() {
        coarse_starts[index] += coarse_starts[index - 1];
    }
    assert_eq!(coarse_starts[n_coarse], n, "the source holds n entries");
    let mut next = coarse_starts.clone();
    sorted.resize(n, filler);
    source.each(|entry| {
        let slot = &mut next[bucket(&entry) >> shift];
        sorted[*slot] = entry;
        *slot += 1;
    });
    // Each coarse bucket into its fine buckets (in `buffer`), each fine bucket sorted, and back.
    let mut fine_starts = vec![0usize; (1 << shift) + 1];
    let mut fine_next = vec![0usize; 1 << shift];
    let mut buffer: Vec<T> = Vec::new();
    for (group, range) in coarse_starts.windows(2).enumerate() {
        let staged = &mut sorted[range[0]..range[1]];
        if staged.len() < 2 {
            continue;
        }
        let first = group << shift;
        fine_starts.fill(0);
        for entry in staged.iter() {
            fine_starts[bucket(entry) - first + 1] += 1;
        }
        for index in 1..fine_starts.len() {
            fine_starts[index] += fine_starts[index - 1];
        }
        fine_next.copy_from_slice(&fine_starts[..1 << shift]);
        buffer.clear();
        buffer.resize(staged.len(), filler);
        for entry in staged.iter() {
            let slot = &mut fine_next[bucket(entry) - first];
            buffer[*slot] = *entry;
            *slot += 1;
        }
        for window in fine_starts.windows(2) {
            if window[1] - window[0] > 1 {
                buffer[window[0]..window[1]].sort_unstable_by(by_key);
            }
        }
        staged.copy_from_slice(&buffer);
    }
}

/// About how many coarse buckets [`bucket_sort_into`] scatters into first.
const COARSE_BUCKETS: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The earlier bucket sort, one scatter straight into the fine buckets: the reference whose
    /// order [`bucket_sort`] must reproduce exactly (ties included).
    fn sort_by_key_one_scatter<T: Copy + Default>(
        entries: Vec<T>,
        key: impl Fn(&T) -> f64,
    ) -> Vec<T> {
        let n = entries.len();
        let by_key = |a: &T, b: &T| key(a).total_cmp(&key(b));
        if n < 1024 {
            let mut entries = entries;
            entries.sort_unstable_by(by_key);
            return entries;
        }
        let (low, high) = entries.iter().fold((u64::MAX, 0), |(low, high), entry| {
            let bits = key(entry).to_bits();
            (low.min(bits), high.max(bits))
        });
        let n_buckets = n / 8;
        // u64 -> f64 conversion, a positive scale and truncation are all monotone, so the bucket never
        // decreases as the key grows (a u128 division per entry costs more than the rest of the pass).
        let scale = n_buckets as f64 / ((high - low) as f64 + 1.0);
        let bucket =
            |entry: &T| (((key(entry).to_bits() - low) as f64 * scale) as usize).min(n_buckets - 1);
        let mut starts = vec![0usize; n_buckets + 1];
        for entry in &entries {
            starts[bucket(entry) + 1] += 1;
        }
        for index in 1..starts.len() {
            starts[index] += starts[index - 1];
        }
        let mut next = starts.clone();
        let mut sorted = vec![T::default(); n];
        for entry in entries {
            let slot = &mut next[bucket(&entry)];
            sorted[*slot] = entry;
            *slot += 1;
        }
        for window in starts.windows(2) {
            sorted[window[0]..window[1]].sort_unstable_by(by_key);
        }
        sorted
    }

    /// [`bucket_sort`] of a vector.
    fn sort_by_key<T: Copy + Default>(entries: Vec<T>, key: impl Fn(&T) -> f64) -> Vec<T> {
        let key_bits = entries.iter().fold((u64::MAX, 0), |(low, high), entry| {
            let bits = key(entry).to_bits();
            (low.min(bits), high.max(bits))
        });
        bucket_sort(&entries[..], entries.len(), key_bits, key)
    }

    #[test]
    fn test_bucket_sort_orders_like_a_comparison_sort() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in [0, 1, 100, 5_000, 50_000] {
            // Log-normal-ish keys over many orders of magnitude, some repeated, some zero.
            let entries: Vec<(f64, f64, f64)> = (0..n)
                .map(|i| {
                    let key = if i % 97 == 0 {
                        0.0
                    } else if i % 13 == 0 {
                        0.25
                    } else {
                        (rng.gen_range(-20.0..20.0f64)).exp()
                    };
                    (key, i as f64, 0.0)
                })
                .collect();
            let mut expected: Vec<f64> = entries.iter().map(|e| e.0).collect();
            expected.sort_by(f64::total_cmp);
            let sorted = sort_by_key(entries.clone(), |e| e.0);
            let keys: Vec<f64> = sorted.iter().map(|e| e.0).collect();
            assert_eq!(keys, expected, "n = {n}");
            // A permutation: every entry once.
            let mut ids: Vec<u64> = sorted.iter().map(|e| e.1 as u64).collect();
            ids.sort_unstable();
            assert_eq!(ids, (0..n as u64).collect::<Vec<_>>());
        }
    }

    #[test]
    fn test_two_scatters_give_the_one_scatter_order_exactly() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in [1_000, 5_000, 50_000, 300_000] {
            // Many ties (keys from few distinct values) among distinct entries, and a wide spread.
            let entries: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let key = if i % 3 == 0 {
                        f64::from(rng.gen_range(0..50u32)) / 8.0
                    } else {
                        (rng.gen_range(-5.0..5.0f64)).exp()
                    };
                    (key, i as f64)
                })
                .collect();
            let expected = sort_by_key_one_scatter(entries.clone(), |e| e.0);
            let sorted = sort_by_key(entries, |e| e.0);
            assert!(
                expected
                    .iter()
                    .zip(&sorted)
                    .all(|(a, b)| a.0.to_bits() == b.0.to_bits() && a.1 == b.1),
                "n = {n}"
            );
        }
    }
}
