//! The bucket sorts of large arrays of entries by a non-negative `f64` key: [`par_binned_sort`]
//! for the sorted book ([`crate::fast`]), whose scan counts the keys' bins as it checks the rows,
//! and [`bucket_sort`]/[`par_bucket_sort`] for the health index ([`crate::health_index`]).

use std::ops::Range;

use rayon::prelude::*;

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
    let (n_buckets, shift, bucket_of_key) = buckets(n, (low, high));
    let bucket = |entry: &T| bucket_of_key(key(entry));
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
    // Each coarse bucket into its fine buckets, each fine bucket sorted, and back.
    let mut fine = FineScratch::new(filler);
    for (group, range) in coarse_starts.windows(2).enumerate() {
        fine.sort(&mut sorted[range[0]..range[1]], 1 << shift, &key, |key| {
            bucket_of_key(key) - (group << shift)
        });
    }
}

/// The buffers of the second scatter, which sorts one coarse bucket through its fine buckets.
struct FineScratch<T> {
    starts: Vec<usize>,
    next: Vec<usize>,
    /// The coarse bucket's keys, computed once per entry (a key may cost a division).
    keys: Vec<f64>,
    /// (key, entry) scattered into the fine buckets.
    buffer: Vec<(f64, T)>,
    filler: T,
}

impl<T: Copy> FineScratch<T> {
    fn new(filler: T) -> Self {
        FineScratch {
            starts: Vec::new(),
            next: Vec::new(),
            keys: Vec::new(),
            buffer: Vec::new(),
            filler,
        }
    }

    /// Sorts `staged`, one coarse bucket, in place: a stable scatter into its `n_fine` fine
    /// buckets (`fine_of_key`, monotone, below `n_fine`) in the buffer, a comparison sort of each,
    /// and back. Each key is computed once; the sorts compare the stored keys, so they make the
    /// same comparisons, with the same outcomes, as sorts of the entries by `key` would (the same
    /// order, ties included).
    fn sort(
        &mut self,
        staged: &mut [T],
        n_fine: usize,
        key: impl Fn(&T) -> f64,
        fine_of_key: impl Fn(f64) -> usize,
    ) {
        if staged.len() < 2 {
            return;
        }
        self.starts.clear();
        self.starts.resize(n_fine + 1, 0);
        self.keys.clear();
        for entry in staged.iter() {
            let key = key(entry);
            self.keys.push(key);
            self.starts[fine_of_key(key) + 1] += 1;
        }
        for index in 1..self.starts.len() {
            self.starts[index] += self.starts[index - 1];
        }
        self.next.clear();
        self.next.extend_from_slice(&self.starts[..n_fine]);
        self.buffer.clear();
        self.buffer.resize(staged.len(), (0.0, self.filler));
        for (entry, &key) in staged.iter().zip(&self.keys) {
            let slot = &mut self.next[fine_of_key(key)];
            self.buffer[*slot] = (key, *entry);
            *slot += 1;
        }
        for window in self.starts.windows(2) {
            if window[1] - window[0] > 1 {
                self.buffer[window[0]..window[1]].sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        for (slot, &(_, entry)) in staged.iter_mut().zip(&self.buffer) {
            *slot = entry;
        }
    }
}

/// Entries that can be visited in parts: `units` units (rows, say), each holding zero or more
/// entries, and the entries of any run of units in the order [`Entries::each`] gives them.
pub(crate) trait PartedEntries<T>: Sync {
    fn units(&self) -> usize;
    fn each_in(&self, units: Range<usize>, visit: impl FnMut(T));
}

/// [`bucket_sort`] on the current rayon pool's threads, with exactly the same result at any number
/// of threads (one included): the same order, ties included, as the single-threaded sort.
///
/// The classic parallel counting sort, done for the coarse scatter: the source is cut into one
/// part per thread, each part counts its entries per coarse bucket, and coarse bucket `g` reserves
/// for each part, in part order, a range as long as that part's count; each part then scatters
/// into its own ranges. Every coarse bucket so receives its entries in input order, as the
/// single-threaded scatter gives them, however the source was cut. The second scatter and the
/// comparison sorts run per coarse bucket, which are independent.
pub(crate) fn par_bucket_sort<T, S>(
    source: &S,
    n: usize,
    (low, high): (u64, u64),
    key: impl Fn(&T) -> f64 + Sync,
) -> Vec<T>
where
    T: Copy + Default + Send + Sync,
    S: PartedEntries<T> + ?Sized,
{
    let threads = rayon::current_num_threads();
    if n < 1024 || threads == 1 {
        return bucket_sort(&Whole(source), n, (low, high), key);
    }
    let (n_buckets, shift, bucket_of_key) = buckets(n, (low, high));
    let n_coarse = ((n_buckets - 1) >> shift) + 1;
    let bucket = |entry: &T| bucket_of_key(key(entry));
    let units = source.units();
    let parts: Vec<Range<usize>> = (0..threads)
        .map(|part| units * part / threads..units * (part + 1) / threads)
        .collect();
    let counts: Vec<Vec<usize>> = parts
        .par_iter()
        .map(|range| {
            let mut counts = vec![0usize; n_coarse];
            source.each_in(range.clone(), |entry| counts[bucket(&entry) >> shift] += 1);
            counts
        })
        .collect();
    assert_eq!(
        counts.iter().flatten().sum::<usize>(),
        n,
        "the source holds n entries"
    );
    let mut sorted = Vec::with_capacity(n);
    sorted.par_extend(rayon::iter::repeat_n(T::default(), n));
    let groups = par_scatter(source, &parts, &counts, &mut sorted, |entry| {
        bucket(entry) >> shift
    });
    groups.into_par_iter().enumerate().for_each_init(
        || FineScratch::new(T::default()),
        |fine, (group, staged)| {
            fine.sort(staged, 1 << shift, &key, |key| {
                bucket_of_key(key) - (group << shift)
            });
        },
    );
    sorted
}

/// The parallel stable scatter both sorts share, the classic parallel counting sort: `sorted` is
/// cut, bucket after bucket, into one range per part (`counts[part][bucket]` long, the parts in
/// order within a bucket), and each part of `source` (`parts`, in order) scatters its entries into
/// its own ranges by `bucket_of`. Every bucket so holds its entries in input order however the
/// source was cut. Returns the buckets, in order.
fn par_scatter<'a, T, S>(
    source: &S,
    parts: &[Range<usize>],
    counts: &[Vec<usize>],
    sorted: &'a mut [T],
    bucket_of: impl Fn(&T) -> usize + Sync,
) -> Vec<&'a mut [T]>
where
    T: Copy + Send + Sync,
    S: PartedEntries<T> + ?Sized,
{
    let n_buckets = counts.first().map_or(0, Vec::len);
    let bucket_sizes: Vec<usize> = (0..n_buckets)
        .map(|bucket| counts.iter().map(|counts| counts[bucket]).sum())
        .collect();
    let mut ranges: Vec<Vec<&mut [T]>> = (0..parts.len())
        .map(|_| Vec::with_capacity(n_buckets))
        .collect();
    let mut rest = &mut *sorted;
    for bucket in 0..n_buckets {
        for (part, counts) in counts.iter().enumerate() {
            let (range, after) = std::mem::take(&mut rest).split_at_mut(counts[bucket]);
            ranges[part].push(range);
            rest = after;
        }
    }
    parts
        .par_iter()
        .zip(ranges)
        .for_each(|(units, mut ranges)| {
            source.each_in(units.clone(), |entry| {
                let range = &mut ranges[bucket_of(&entry)];
                let (slot, after) = std::mem::take(range)
                    .split_first_mut()
                    .expect("the counts reserved a slot for every entry");
                *slot = entry;
                *range = after;
            });
        });
    let mut buckets = Vec::with_capacity(n_buckets);
    let mut rest = sorted;
    for size in bucket_sizes {
        let (bucket, after) = std::mem::take(&mut rest).split_at_mut(size);
        buckets.push(bucket);
        rest = after;
    }
    buckets
}

/// The lowest and highest bit patterns of the keys of `entries` (the range [`bucket_sort`] needs;
/// `(u64::MAX, 0)` for none).
pub(crate) fn key_bit_range<T>(entries: &[T], key: impl Fn(&T) -> f64) -> (u64, u64) {
    entries.iter().fold((u64::MAX, 0), |(low, high), entry| {
        let bits = key(entry).to_bits();
        (low.min(bits), high.max(bits))
    })
}

/// Bits below a key's bin (see [`bin_of_key`]).
pub(crate) const BIN_SHIFT: u32 = 44;

/// The number of bins: one per value of a key bit pattern's top `64 - BIN_SHIFT` bits.
pub(crate) const N_BINS: usize = 1 << (64 - BIN_SHIFT);

/// A key's bin: the top 20 bits of its bit pattern (for a non-negative key: the exponent and the
/// first 8 bits of the mantissa, so each bin spans 0.2% to 0.4% of its keys' values). A bucketing
/// that needs no key range, so that a caller can count bins in the same pass that finds the range
/// (and checks the entries): [`par_binned_sort`] then reads the entries only once more.
pub(crate) fn bin_of_key(key: f64) -> usize {
    (key.to_bits() >> BIN_SHIFT) as usize
}

/// The `n` entries of `source` sorted ascending by `key` (non-negative, not NaN), given how many
/// entries of each part of `source` fall in each bin ([`bin_of_key`]; `counts[p]` for the units
/// `parts[p]`, the parts in order covering all units, each count array `N_BINS` long) and the
/// lowest and highest key bit patterns. On the current rayon pool's threads, with the same result
/// at any number of threads and however the units are cut into parts: each bin receives its
/// entries in input order (every part scatters into its own ranges, reserved in part order), then
/// each bin is sorted through fine buckets (about 8 entries each, a linear function of the bits
/// below the bin's) like [`bucket_sort`]'s coarse buckets. Entries with equal keys keep no
/// particular order, but the order is a function of the input.
pub(crate) fn par_binned_sort<T, S>(
    source: &S,
    parts: &[Range<usize>],
    counts: &[Vec<u32>],
    (low, high): (u64, u64),
    key: impl Fn(&T) -> f64 + Sync,
) -> Vec<T>
where
    T: Copy + Default + Send + Sync,
    S: PartedEntries<T> + ?Sized,
{
    assert_eq!(parts.len(), counts.len(), "one count array per part");
    let n: usize = counts
        .iter()
        .flat_map(|part| part.iter())
        .map(|&count| count as usize)
        .sum();
    if n == 0 {
        return Vec::new();
    }
    let (first_bin, last_bin) = ((low >> BIN_SHIFT) as usize, (high >> BIN_SHIFT) as usize);
    let part_counts: Vec<Vec<usize>> = counts
        .iter()
        .map(|counts| {
            counts[first_bin..=last_bin]
                .iter()
                .map(|&count| count as usize)
                .collect()
        })
        .collect();
    let mut sorted = Vec::with_capacity(n);
    sorted.par_extend(rayon::iter::repeat_n(T::default(), n));
    let bins = par_scatter(source, parts, &part_counts, &mut sorted, |entry| {
        bin_of_key(key(entry)) - first_bin
    });
    const LOW_BITS: u64 = (1 << BIN_SHIFT) - 1;
    bins.into_par_iter().for_each_init(
        || FineScratch::new(T::default()),
        |fine, staged| {
            let n_fine = (staged.len() / 8).max(1);
            let scale = n_fine as f64 / (1u64 << BIN_SHIFT) as f64;
            fine.sort(staged, n_fine, &key, |key| {
                (((key.to_bits() & LOW_BITS) as f64 * scale) as usize).min(n_fine - 1)
            });
        },
    );
    sorted
}

/// Parted entries visited whole.
struct Whole<'a, S: ?Sized>(&'a S);

impl<T, S: PartedEntries<T> + ?Sized> Entries<T> for Whole<'_, S> {
    fn each(&self, visit: impl FnMut(T)) {
        self.0.each_in(0..self.0.units(), visit);
    }
}

/// The number of fine buckets for `n` entries whose keys' bit patterns lie in `low..=high`, the
/// shift from a fine bucket to its coarse one (coarse bucket `g` holds the fine buckets
/// `g << shift..(g + 1) << shift`), and a key's fine bucket.
fn buckets(n: usize, (low, high): (u64, u64)) -> (usize, u32, impl Fn(f64) -> usize + Copy + Sync) {
    let n_buckets = n / 8;
    let mut shift = 0;
    while (n_buckets - 1) >> shift >= COARSE_BUCKETS {
        shift += 1;
    }
    // u64 -> f64 conversion, a positive scale and truncation are all monotone, so the bucket never
    // decreases as the key grows (a u128 division per entry costs more than the rest of the pass).
    let scale = n_buckets as f64 / ((high - low) as f64 + 1.0);
    let bucket_of_key =
        move |key: f64| (((key.to_bits() - low) as f64 * scale) as usize).min(n_buckets - 1);
    (n_buckets, shift, bucket_of_key)
}

/// About how many coarse buckets [`bucket_sort_into`] and [`par_bucket_sort`] scatter into first.
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
        let (low, high) = key_bit_range(&entries, &key);
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
        let key_bits = key_bit_range(&entries, &key);
        bucket_sort(&entries[..], entries.len(), key_bits, key)
    }

    /// `n` entries (key, index): every third key one of `n_ties` values in steps of 1/8 (many
    /// ties among distinct entries, zero among them), the others `exp(u)` for `u` uniform in
    /// `-spread..spread`.
    fn tied_entries(
        rng: &mut rand_chacha::ChaCha8Rng,
        n: usize,
        n_ties: u32,
        spread: f64,
    ) -> Vec<(f64, f64)> {
        use rand::Rng;
        (0..n)
            .map(|i| {
                let key = if i % 3 == 0 {
                    f64::from(rng.gen_range(0..n_ties)) / 8.0
                } else {
                    rng.gen_range(-spread..spread).exp()
                };
                (key, i as f64)
            })
            .collect()
    }

    /// Whether two sorts gave the same entries in the same order (keys compared by their bits).
    fn same_order(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0.to_bits() == y.0.to_bits() && x.1 == y.1)
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
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in [1_000, 5_000, 50_000, 300_000] {
            let entries = tied_entries(&mut rng, n, 50, 5.0);
            let expected = sort_by_key_one_scatter(entries.clone(), |e| e.0);
            let sorted = sort_by_key(entries, |e| e.0);
            assert!(same_order(&expected, &sorted), "n = {n}");
        }
    }

    /// A slice visited in parts of `step` entries (the last part shorter).
    struct Steps<'a, T>(&'a [T], usize);

    impl<T: Copy + Sync> PartedEntries<T> for Steps<'_, T> {
        fn units(&self) -> usize {
            self.0.len().div_ceil(self.1)
        }

        fn each_in(&self, units: Range<usize>, visit: impl FnMut(T)) {
            let end = (units.end * self.1).min(self.0.len());
            self.0[(units.start * self.1).min(end)..end]
                .iter()
                .copied()
                .for_each(visit);
        }
    }

    #[test]
    fn test_parallel_sort_gives_the_single_threaded_order_at_any_thread_count() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        for (n, step) in [
            (500, 7),
            (5_000, 1),
            (50_000, 13),
            (300_000, 1_000),
            (300_001, 3),
        ] {
            let entries = tied_entries(&mut rng, n, 50, 10.0);
            let key_bits = key_bit_range(&entries, |e| e.0);
            let expected = bucket_sort(&entries[..], n, key_bits, |e| e.0);
            for threads in [1, 2, 3, 5] {
                let sorted = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| par_bucket_sort(&Steps(&entries, step), n, key_bits, |e| e.0));
                assert!(same_order(&expected, &sorted), "n = {n}, {threads} threads");
            }
        }
    }

    /// The binned sort orders like a comparison sort (keys over many orders of magnitude, many
    /// ties, zeros, one crowded bin), and gives the same order, ties included, however the units
    /// are cut into parts and at any thread count.
    #[test]
    fn test_binned_sort_orders_keys_the_same_way_for_any_parts() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        for n in [0, 1, 700, 40_000, 200_000] {
            let entries: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let key = match i % 5 {
                        0 => f64::from(rng.gen_range(0..40u32)) / 8.0,
                        // A crowded bin: keys within 0.1% of 1.5.
                        1 => 1.5 + rng.gen_range(0.0..0.0015),
                        _ => (rng.gen_range(-30.0..30.0f64)).exp(),
                    };
                    (key, i as f64)
                })
                .collect();
            let mut expected: Vec<u64> = entries.iter().map(|e| e.0.to_bits()).collect();
            expected.sort_unstable();
            let key_bits = key_bit_range(&entries, |e| e.0);
            let sort = |step: usize, n_parts: usize, threads: usize| {
                let source = Steps(&entries, step);
                let units = source.units();
                let parts: Vec<Range<usize>> = (0..n_parts)
                    .map(|p| units * p / n_parts..units * (p + 1) / n_parts)
                    .collect();
                let counts: Vec<Vec<u32>> = parts
                    .iter()
                    .map(|units| {
                        let mut counts = vec![0u32; N_BINS];
                        source.each_in(units.clone(), |e| counts[bin_of_key(e.0)] += 1);
                        counts
                    })
                    .collect();
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| par_binned_sort(&source, &parts, &counts, key_bits, |e| e.0))
            };
            let one = sort(1, 1, 1);
            let keys: Vec<u64> = one.iter().map(|e| e.0.to_bits()).collect();
            assert_eq!(keys, expected, "n = {n}");
            let mut ids: Vec<u64> = one.iter().map(|e| e.1 as u64).collect();
            ids.sort_unstable();
            assert_eq!(ids, (0..n as u64).collect::<Vec<_>>(), "a permutation");
            for (step, n_parts, threads) in [(1, 2, 2), (13, 3, 3), (1_000, 5, 2), (7, 4, 1)] {
                let many = sort(step, n_parts, threads);
                assert!(
                    same_order(&one, &many),
                    "n = {n}, {n_parts} parts, {threads} threads"
                );
            }
        }
    }
}
