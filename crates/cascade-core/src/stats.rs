//! Statistics of a Monte Carlo sample: mean, quantiles, value at risk and expected shortfall.
//!
//! Definitions (for a sample `x_1 <= ... <= x_n` of losses, larger is worse):
//! - quantile `q_p = x_k` with `k = ceil(p * n)` (the lower empirical quantile: the smallest sample
//!   value `x` with `F_n(x) >= p`), so VaR never interpolates between paths and is always the loss of
//!   a path that can be re-run;
//! - value at risk `VaR_a = q_a`;
//! - expected shortfall (Acerbi and Tasche 2002, "On the coherence of expected shortfall", eq. 3.2):
//!   `ES_a = ( sum_{i > k} x_i + (k - a n) x_k ) / ((1 - a) n)` with `k = ceil(a n)`: the mean of
//!   the worst `(1 - a)` share of paths, the boundary path counted by the fraction of it that lies in
//!   the tail. `ES_a >= VaR_a` always.

use serde::Serialize;

/// Summary statistics of one quantity over the paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    pub n: u64,
    pub mean: f64,
    pub std_dev: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub var_95: f64,
    pub var_99: f64,
    pub es_95: f64,
    pub es_99: f64,
}

impl Distribution {
    /// Statistics of `values`; `None` for an empty sample or one holding a NaN.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mean = sorted.iter().sum::<f64>() / n;
        let variance = if sorted.len() > 1 {
            sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Some(Distribution {
            n: sorted.len() as u64,
            mean,
            std_dev: variance.sqrt(),
            min: sorted[0],
            p50: quantile(&sorted, 0.50),
            p90: quantile(&sorted, 0.90),
            p95: quantile(&sorted, 0.95),
            p99: quantile(&sorted, 0.99),
            max: sorted[sorted.len() - 1],
            var_95: quantile(&sorted, 0.95),
            var_99: quantile(&sorted, 0.99),
            es_95: expected_shortfall(&sorted, 0.95),
            es_99: expected_shortfall(&sorted, 0.99),
        })
    }
}

/// `p * n`, rounded to 9 decimals: in floating point the product can land a hair off an integer
/// (0.95 * 100 = 95.00000000000001), and an exact product must give its exact rank.
fn position(n: usize, p: f64) -> f64 {
    ((p * n as f64) * 1e9).round() / 1e9
}

/// The rank `k = ceil(p n)` (1-based, clamped to `1..=n`) of the lower empirical `p`-quantile.
fn rank(n: usize, p: f64) -> usize {
    (position(n, p).ceil() as usize).clamp(1, n)
}

/// The lower empirical `p`-quantile of an ascending sample.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[rank(sorted.len(), p) - 1]
}

/// Acerbi–Tasche expected shortfall at level `a` of an ascending sample of losses.
pub fn expected_shortfall(sorted: &[f64], a: f64) -> f64 {
    let n = sorted.len();
    let k = rank(n, a);
    let tail_weight = n as f64 - position(n, a);
    if tail_weight <= 0.0 {
        return sorted[n - 1];
    }
    let beyond: f64 = sorted[k..].iter().sum();
    let boundary_share = k as f64 - position(n, a);
    (beyond + boundary_share * sorted[k - 1]) / tail_weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_one_to_a_hundred_by_hand() {
        // Losses 1..=100. VaR95 = x_95 = 95 (95 of the 100 paths lose at most 95). ES95 = mean of
        // the worst 5 paths = (96+97+98+99+100)/5 = 98; the boundary share k - a n = 95 - 95 = 0.
        // ES99 = x_100 = 100. Mean 50.5; sample variance (n(n+1)/12 ... ) = 841.666..., sd 29.0115.
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = Distribution::of(&values).unwrap();
        assert_eq!(d.var_95, 95.0);
        assert_eq!(d.var_99, 99.0);
        assert_eq!(d.es_95, 98.0);
        assert_eq!(d.es_99, 100.0);
        assert_eq!(d.p50, 50.0);
        assert_eq!(d.mean, 50.5);
        assert!((d.std_dev - (841.0f64 + 2.0 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn test_boundary_path_counts_by_its_share() {
        // Ten losses 1..=10 at a = 0.95: k = ceil(9.5) = 10, tail weight 0.5 path, boundary share
        // 10 - 9.5 = 0.5, so ES = (0 + 0.5 * 10) / 0.5 = 10 = VaR. At a = 0.85: k = ceil(8.5) = 9,
        // tail weight 1.5, ES = (10 + 0.5 * 9) / 1.5 = 9.6667.
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(expected_shortfall(&values, 0.95), 10.0);
        assert!((expected_shortfall(&values, 0.85) - 14.5 / 1.5).abs() < 1e-12);
    }

    #[test]
    fn test_exponential_losses_match_closed_forms() {
        // A stratified sample of Exp(1): x_i = -ln(1 - (i - 1/2)/n). For Exp(1), VaR_a = -ln(1-a)
        // and ES_a = VaR_a + 1 (memorylessness). With n = 10^6 the sample's VaR is within one
        // stratum of the true one (relative spacing 1/((1-a) n) = 2e-4 at a = 0.95), its ES within
        // about the same.
        let n = 1_000_000;
        let values: Vec<f64> = (1..=n)
            .map(|i| -(1.0 - (i as f64 - 0.5) / n as f64).ln())
            .collect();
        let d = Distribution::of(&values).unwrap();
        for (a, var, es) in [(0.95, d.var_95, d.es_95), (0.99, d.var_99, d.es_99)] {
            let exact_var = -(1.0f64 - a).ln();
            assert!(
                (var - exact_var).abs() < 1e-3,
                "VaR{a}: {var} vs {exact_var}"
            );
            assert!((es - (exact_var + 1.0)).abs() < 1e-3, "ES{a}: {es}");
        }
        assert!((d.mean - 1.0).abs() < 1e-3);
    }

    #[test]
    fn test_empty_and_nan_samples_have_no_distribution() {
        assert!(Distribution::of(&[]).is_none());
        assert!(Distribution::of(&[1.0, f64::NAN]).is_none());
        let one = Distribution::of(&[3.0]).unwrap();
        assert_eq!((one.var_99, one.es_99, one.std_dev), (3.0, 3.0, 0.0));
    }
}
