//! The price processes against their known moments over many draws.
//!
//! Every tolerance is `Z = 5` standard errors of the estimator, and every standard error is computed
//! here from the theoretical moments of the process and the sample size (the derivations are in the
//! comments; docs/price-processes.md summarises them). The draws are seeded, so each test gives the
//! same numbers on every run; 5 standard errors leave a chance of about 6e-7 per check that a correct
//! model fails by bad luck of the seed, and none that a wrong one passes by luck of tuning.
//!
//! Standard errors (first order in 1/n, for n independent draws of X with central moments mu_k):
//! - sample mean: sqrt(mu_2 / n);
//! - sample variance m_2: its influence function is d^2 - mu_2 (d = X - mean; estimating the mean
//!   adds nothing at first order), so Var = (mu_4 - mu_2^2) / n;
//! - sample kurtosis m_4 / m_2^2: influence function
//!   IF = (d^4 - mu_4 - 4 mu_3 d) / mu_2^2 - 2 mu_4 (d^2 - mu_2) / mu_2^3
//!   (the `- 4 mu_3 d` is the estimated mean), so Var = E[IF^2] / n, which needs mu_2 ... mu_8:
//!   with a = 1/mu_2^2, b = -2 mu_4/mu_2^3, c = -4 a mu_3,
//!   E[IF^2] = a^2 mu_8 + b^2 mu_4 + c^2 mu_2 + 2ab mu_6 + 2ac mu_5 + 2bc mu_3 - (a mu_4 + b mu_2)^2.

// Moment formulas read best indexed by the order of the moment (k[4], mu[2 * k]).
#![allow(clippy::needless_range_loop)]

use cascade_core::ids::AssetId;
use cascade_core::process::{
    log_returns_from_prices, AssetProcess, Bootstrap, Correlation, Garch, Gbm, Merton, Pegged,
    PricePaths, ProcessConfig, ProcessError, ProcessModel, SECONDS_PER_YEAR,
};

const Z: f64 = 5.0;
const SEED: u64 = 20_240_501;

// ---------------------------------------------------------------------------------------------
// Moments and their standard errors

/// Central moments mu_0..mu_8 (mu_0 = 1, mu_1 = 0) and the mean of a distribution.
#[derive(Debug, Clone, Copy)]
struct Moments {
    mean: f64,
    mu: [f64; 9],
}

impl Moments {
    /// From the cumulants k_1..k_8 (`k[0]` unused), by the moment-cumulant relations.
    fn from_cumulants(k: [f64; 9]) -> Self {
        let mu = [
            1.0,
            0.0,
            k[2],
            k[3],
            k[4] + 3.0 * k[2].powi(2),
            k[5] + 10.0 * k[3] * k[2],
            k[6] + 15.0 * k[4] * k[2] + 10.0 * k[3].powi(2) + 15.0 * k[2].powi(3),
            k[7] + 21.0 * k[5] * k[2] + 35.0 * k[4] * k[3] + 105.0 * k[3] * k[2].powi(2),
            k[8] + 28.0 * k[6] * k[2]
                + 56.0 * k[5] * k[3]
                + 35.0 * k[4].powi(2)
                + 210.0 * k[4] * k[2].powi(2)
                + 280.0 * k[3].powi(2) * k[2]
                + 105.0 * k[2].powi(4),
        ];
        Moments { mean: k[1], mu }
    }

    /// The empirical distribution of `values` (every value equally likely).
    fn of_population(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let mut mu = [0.0; 9];
        for (k, m) in mu.iter_mut().enumerate() {
            *m = values
                .iter()
                .map(|v| (v - mean).powi(k as i32))
                .sum::<f64>()
                / n;
        }
        Moments { mean, mu }
    }

    fn variance(&self) -> f64 {
        self.mu[2]
    }

    fn excess_kurtosis(&self) -> f64 {
        self.mu[4] / self.mu[2].powi(2) - 3.0
    }

    fn se_mean(&self, n: usize) -> f64 {
        (self.mu[2] / n as f64).sqrt()
    }

    fn se_variance(&self, n: usize) -> f64 {
        ((self.mu[4] - self.mu[2].powi(2)) / n as f64).sqrt()
    }

    fn se_kurtosis(&self, n: usize) -> f64 {
        let mu = &self.mu;
        let a = 1.0 / mu[2].powi(2);
        let b = -2.0 * mu[4] / mu[2].powi(3);
        let c = -4.0 * a * mu[3];
        let second = a * a * mu[8]
            + b * b * mu[4]
            + c * c * mu[2]
            + 2.0 * a * b * mu[6]
            + 2.0 * a * c * mu[5]
            + 2.0 * b * c * mu[3];
        let first = a * mu[4] + b * mu[2];
        ((second - first * first) / n as f64).sqrt()
    }
}

/// Sample mean, variance (m_2) and excess kurtosis (m_4 / m_2^2 - 3).
fn sample_moments(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    (mean, m2, m4 / (m2 * m2) - 3.0)
}

fn assert_within(what: &str, sample: f64, expected: f64, standard_error: f64) {
    let z = (sample - expected) / standard_error;
    assert!(
        z.abs() <= Z,
        "{what}: sample {sample:.6e}, expected {expected:.6e}, standard error {standard_error:.3e} ({z:+.2} SE)"
    );
}

/// Checks mean, variance and excess kurtosis of `xs` against `theory`.
fn assert_moments(what: &str, xs: &[f64], theory: &Moments) {
    let n = xs.len();
    let (mean, variance, kurtosis) = sample_moments(xs);
    assert_within(
        &format!("{what} mean"),
        mean,
        theory.mean,
        theory.se_mean(n),
    );
    assert_within(
        &format!("{what} variance"),
        variance,
        theory.variance(),
        theory.se_variance(n),
    );
    assert_within(
        &format!("{what} excess kurtosis"),
        kurtosis,
        theory.excess_kurtosis(),
        theory.se_kurtosis(n),
    );
}

/// Raw moments E[Y^n], n = 0..8, of Y ~ N(m, s^2): sum over even j of C(n, j) m^(n-j) s^j (j-1)!!.
fn normal_raw_moments(m: f64, s: f64) -> [f64; 9] {
    let mut out = [0.0; 9];
    for (n, slot) in out.iter_mut().enumerate() {
        let mut total = 0.0;
        let mut binomial = 1.0; // C(n, j)
        for j in 0..=n {
            if j > 0 {
                binomial *= (n - j + 1) as f64 / j as f64;
            }
            if j % 2 == 0 {
                let double_factorial: f64 = (1..j).step_by(2).map(|i| i as f64).product();
                total += binomial * m.powi((n - j) as i32) * s.powi(j as i32) * double_factorial;
            }
        }
        *slot = total;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Drawing

/// The correlation `matrix` of the first `matrix.len()` assets.
fn first_assets(matrix: Vec<Vec<f64>>) -> Correlation {
    Correlation {
        assets: (0..matrix.len() as u16).map(AssetId).collect(),
        matrix,
    }
}

/// A model whose first `matrix.len()` assets are correlated by `matrix`.
fn model(block_seconds: f64, assets: Vec<AssetProcess>, matrix: Vec<Vec<f64>>) -> ProcessModel {
    ProcessModel::new(&ProcessConfig {
        block_seconds,
        assets,
        correlation: first_assets(matrix),
    })
    .unwrap()
}

/// The log return of `asset` from block `from` to block `to` of each of `n_paths` paths.
fn log_returns_across_paths(
    model: &ProcessModel,
    n_paths: usize,
    asset: usize,
    from: usize,
    to: usize,
) -> Vec<f64> {
    let start = vec![100.0; model.n_assets()];
    let mut path = PricePaths::new();
    (0..n_paths as u64)
        .map(|index| {
            model.simulate_into(SEED, index, to + 1, &start, &mut path);
            let id = AssetId(asset as u16);
            (path.price(to, id) / path.price(from, id)).ln()
        })
        .collect()
}

/// The block-by-block log returns of each asset along one path of `n_blocks` blocks.
fn log_returns_along_path(model: &ProcessModel, n_blocks: usize) -> Vec<Vec<f64>> {
    let start = vec![100.0; model.n_assets()];
    let path = model.simulate(SEED, 0, n_blocks, &start);
    (0..model.n_assets())
        .map(|asset| {
            let prices: Vec<f64> = path.column(AssetId(asset as u16)).collect();
            log_returns_from_prices(&prices).unwrap()
        })
        .collect()
}

fn years(blocks: usize, block_seconds: f64) -> f64 {
    blocks as f64 * block_seconds / SECONDS_PER_YEAR
}

// ---------------------------------------------------------------------------------------------
// GBM

#[test]
fn test_gbm_log_return_and_expected_price_match_theory() {
    // Daily blocks so that the drift is visible: T = 20 days, mu = 0.5, sigma = 0.8.
    // ln(S_T/S_0) ~ N((mu - sigma^2/2) T, sigma^2 T): cumulants k_1, k_2, and 0 beyond.
    let (drift, volatility, n_steps) = (0.5, 0.8, 20);
    let m = model(
        86_400.0,
        vec![AssetProcess::Gbm(Gbm { drift, volatility })],
        vec![],
    );
    let t = years(n_steps, 86_400.0);
    let xs = log_returns_across_paths(&m, 100_000, 0, 0, n_steps);
    let mut k = [0.0; 9];
    k[1] = (drift - volatility * volatility / 2.0) * t;
    k[2] = volatility * volatility * t;
    assert_moments("GBM log return", &xs, &Moments::from_cumulants(k));

    // E[S_T/S_0] = e^{mu T}; Var[S_T/S_0] = e^{2 mu T} (e^{sigma^2 T} - 1) (lognormal).
    let ratios: Vec<f64> = xs.iter().map(|x| x.exp()).collect();
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let variance = (2.0 * drift * t).exp() * ((volatility * volatility * t).exp() - 1.0);
    assert_within(
        "GBM E[S_T/S_0]",
        mean,
        (drift * t).exp(),
        (variance / ratios.len() as f64).sqrt(),
    );
}

#[test]
fn test_gbm_step_variance_uses_the_block_time() {
    // 12 s blocks: each block's log return is N((mu - sigma^2/2) dt, sigma^2 dt), independent across
    // blocks, so one long path gives n independent draws; dt = 12 / (365.25 * 86400).
    let (drift, volatility) = (0.1, 0.8);
    let m = model(
        12.0,
        vec![AssetProcess::Gbm(Gbm { drift, volatility })],
        vec![],
    );
    let dt = 12.0 / (365.25 * 86_400.0);
    assert_eq!(m.dt_years(), dt);
    let xs = &log_returns_along_path(&m, 200_001)[0];
    let mut k = [0.0; 9];
    k[1] = (drift - volatility * volatility / 2.0) * dt;
    k[2] = volatility * volatility * dt;
    assert_moments("GBM 12 s step", xs, &Moments::from_cumulants(k));
}

// ---------------------------------------------------------------------------------------------
// Merton

#[test]
fn test_merton_log_return_moments_match_the_closed_forms() {
    // X = ln(S_T/S_0) = (mu - sigma^2/2 - lambda k) T + sigma W_T + sum_{i <= N_T} Y_i,
    // N_T ~ Poisson(lambda T), Y ~ N(mu_J, sigma_J^2), k = E[e^Y] - 1. A compound Poisson sum has
    // cumulants lambda T E[Y^n], so:
    //   k_1 = (mu - sigma^2/2 - lambda k) T + lambda T mu_J,
    //   k_2 = sigma^2 T + lambda T (mu_J^2 + sigma_J^2),
    //   k_n = lambda T E[Y^n] for n >= 3 (k_4 = lambda T (mu_J^4 + 6 mu_J^2 sigma_J^2 + 3 sigma_J^4)),
    // and the excess kurtosis is k_4 / k_2^2.
    let p = Merton {
        drift: 0.1,
        volatility: 0.5,
        jump_intensity: 20.0,
        jump_mean: -0.05,
        jump_volatility: 0.08,
    };
    let n_steps = 5;
    let m = model(86_400.0, vec![AssetProcess::Merton(p.clone())], vec![]);
    let t = years(n_steps, 86_400.0);
    let xs = log_returns_across_paths(&m, 200_000, 0, 0, n_steps);

    let y = normal_raw_moments(p.jump_mean, p.jump_volatility);
    let lambda_t = p.jump_intensity * t;
    let compensator = (p.jump_mean + p.jump_volatility.powi(2) / 2.0).exp() - 1.0;
    let mut k = [0.0; 9];
    k[1] = (p.drift - p.volatility.powi(2) / 2.0 - p.jump_intensity * compensator) * t
        + lambda_t * y[1];
    k[2] = p.volatility.powi(2) * t + lambda_t * y[2];
    for n in 3..=8 {
        k[n] = lambda_t * y[n];
    }
    let theory = Moments::from_cumulants(k);
    let fourth = lambda_t
        * (p.jump_mean.powi(4)
            + 6.0 * p.jump_mean.powi(2) * p.jump_volatility.powi(2)
            + 3.0 * p.jump_volatility.powi(4));
    assert!(
        (k[4] - fourth).abs() < 1e-15,
        "the raw moments give the closed form"
    );
    assert!(
        theory.excess_kurtosis() > 1.0,
        "the case has fat tails to detect"
    );
    assert_moments("Merton log return", &xs, &theory);

    // E[S_T/S_0] = e^{mu T} (compensated drift). With the cumulant generating function
    // K(u) = u (mu - sigma^2/2 - lambda k) T + u^2 sigma^2 T/2 + lambda T (e^{u mu_J + u^2 sigma_J^2/2} - 1),
    // Var[S_T/S_0] = e^{K(2)} - e^{2 K(1)}.
    let cgf = |u: f64| {
        u * (p.drift - p.volatility.powi(2) / 2.0 - p.jump_intensity * compensator) * t
            + u * u * p.volatility.powi(2) * t / 2.0
            + lambda_t * ((u * p.jump_mean + u * u * p.jump_volatility.powi(2) / 2.0).exp() - 1.0)
    };
    assert!((cgf(1.0) - p.drift * t).abs() < 1e-15);
    let ratios: Vec<f64> = xs.iter().map(|x| x.exp()).collect();
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let variance = cgf(2.0).exp() - (2.0 * cgf(1.0)).exp();
    assert_within(
        "Merton E[S_T/S_0]",
        mean,
        (p.drift * t).exp(),
        (variance / ratios.len() as f64).sqrt(),
    );
}

// ---------------------------------------------------------------------------------------------
// GARCH(1,1)

/// E[z^{2i}], i = 0..4, of the innovation: standard normal ((2i-1)!!) or Student-t with nu degrees
/// of freedom scaled to unit variance, z = t sqrt((nu-2)/nu): E[t^{2i}] = nu^i prod_{m<=i} (2m-1)/(nu-2m),
/// so E[z^{2i}] = (nu-2)^i prod_{m<=i} (2m-1)/(nu-2m) (infinite when nu <= 2i).
fn innovation_even_moments(nu: f64) -> [f64; 5] {
    let mut out = [1.0; 5];
    for i in 1..5 {
        let mut value = 1.0;
        for m in 1..=i {
            let odd = (2 * m - 1) as f64;
            value *= if nu.is_finite() {
                odd * (nu - 2.0) / (nu - 2.0 * m as f64)
            } else {
                odd
            };
        }
        out[i] = value;
    }
    out
}

/// Stationary moments of one block's GARCH return e = sqrt(h) z (mean removed): h' = omega + A h
/// with A = alpha z^2 + beta independent of h, so E[h'^k] = sum_j C(k,j) omega^{k-j} E[A^j] E[h^j];
/// at stationarity m_k (1 - E[A^k]) = sum_{j<k} C(k,j) omega^{k-j} E[A^j] m_j. Then
/// E[e^{2k}] = E[z^{2k}] m_k and the odd moments are 0 (symmetric innovations).
fn garch_moments(omega: f64, alpha: f64, beta: f64, nu: f64, mean: f64) -> Moments {
    let z = innovation_even_moments(nu);
    let binomial =
        |n: usize, k: usize| -> f64 { (0..k).map(|i| (n - i) as f64 / (i + 1) as f64).product() };
    // E[A^j] = sum_i C(j,i) alpha^i beta^{j-i} E[z^{2i}].
    let a: Vec<f64> = (0..5)
        .map(|j| {
            (0..=j)
                .map(|i| binomial(j, i) * alpha.powi(i as i32) * beta.powi((j - i) as i32) * z[i])
                .sum()
        })
        .collect();
    let mut h = [1.0; 5];
    for k in 1..5 {
        assert!(a[k] < 1.0, "moment {} of the return is infinite", 2 * k);
        let lower: f64 = (0..k)
            .map(|j| binomial(k, j) * omega.powi((k - j) as i32) * a[j] * h[j])
            .sum();
        h[k] = lower / (1.0 - a[k]);
    }
    let mut mu = [0.0; 9];
    for k in 0..5 {
        mu[2 * k] = z[k] * h[k];
    }
    Moments { mean, mu }
}

/// Draws the return of block `burn_in + 1` of each of `n_paths` independent paths. The paths start
/// at the long-run variance; E[h_t] stays at the long-run level for every t (the mean recursion
/// E[h_{t+1}] = omega + (alpha + beta) E[h_t] has it as fixed point), and the higher moments converge
/// geometrically at the rates E[A^k] < 1 (below 0.92^40 = 0.04 and 0.85^40 = 1.5e-3 here, at most
/// E[A^4]^40 of the eighth moment).
fn garch_stationary_returns(p: &Garch, n_paths: usize, burn_in: usize) -> Vec<f64> {
    let m = model(12.0, vec![AssetProcess::Garch(p.clone())], vec![]);
    log_returns_across_paths(&m, n_paths, 0, burn_in, burn_in + 1)
}

#[test]
fn test_garch_gaussian_variance_and_kurtosis_match_the_closed_forms() {
    // Unconditional variance omega / (1 - alpha - beta) = long_run_volatility^2 dt, and kurtosis
    // 3 (1 - (alpha+beta)^2) / (1 - (alpha+beta)^2 - 2 alpha^2) > 3: the GARCH effect alone.
    let p = Garch {
        mean_log_return: 0.0,
        long_run_volatility: 0.8,
        alpha: 0.12,
        beta: 0.78,
        degrees_of_freedom: f64::INFINITY,
        initial_volatility: None,
    };
    let dt = 12.0 / SECONDS_PER_YEAR;
    let v = p.long_run_volatility.powi(2) * dt;
    let omega = v * (1.0 - p.alpha - p.beta);
    let theory = garch_moments(omega, p.alpha, p.beta, p.degrees_of_freedom, 0.0);
    let persistence = (p.alpha + p.beta).powi(2);
    let closed_form = 3.0 * (1.0 - persistence) / (1.0 - persistence - 2.0 * p.alpha.powi(2));
    assert!((theory.variance() - omega / (1.0 - p.alpha - p.beta)).abs() < 1e-18);
    assert!((theory.excess_kurtosis() + 3.0 - closed_form).abs() < 1e-9);
    let xs = garch_stationary_returns(&p, 200_000, 40);
    assert_moments("Gaussian GARCH return", &xs, &theory);
}

#[test]
fn test_garch_student_t_variance_and_kurtosis_match_the_closed_forms() {
    // Standardised t(nu): kurtosis k_z = 3 (nu-2)/(nu-4); GARCH-t kurtosis
    // k_z (1 - (alpha+beta)^2) / (1 - (alpha+beta)^2 - (k_z - 1) alpha^2). nu = 12 keeps the eighth
    // moment (needed for the kurtosis' standard error) finite: E[A^4] = 0.91 < 1.
    let p = Garch {
        mean_log_return: 0.0,
        long_run_volatility: 0.8,
        alpha: 0.1,
        beta: 0.8,
        degrees_of_freedom: 12.0,
        initial_volatility: None,
    };
    let dt = 12.0 / SECONDS_PER_YEAR;
    let omega = p.long_run_volatility.powi(2) * dt * (1.0 - p.alpha - p.beta);
    let theory = garch_moments(omega, p.alpha, p.beta, p.degrees_of_freedom, 0.0);
    let nu = p.degrees_of_freedom;
    let kurtosis_z = 3.0 * (nu - 2.0) / (nu - 4.0);
    let persistence = (p.alpha + p.beta).powi(2);
    let closed_form = kurtosis_z * (1.0 - persistence)
        / (1.0 - persistence - (kurtosis_z - 1.0) * p.alpha.powi(2));
    assert!((theory.excess_kurtosis() + 3.0 - closed_form).abs() < 1e-9);
    assert!(theory.excess_kurtosis() > kurtosis_z - 3.0 + 0.5);
    let xs = garch_stationary_returns(&p, 200_000, 40);
    assert_moments("GARCH-t return", &xs, &theory);
}

/// Lag-1 sample autocorrelation of the squared values.
fn squared_autocorrelation(xs: &[f64]) -> f64 {
    let squares: Vec<f64> = xs.iter().map(|x| x * x).collect();
    let n = squares.len() as f64;
    let mean = squares.iter().sum::<f64>() / n;
    let variance: f64 = squares.iter().map(|s| (s - mean).powi(2)).sum();
    let covariance: f64 = squares
        .windows(2)
        .map(|w| (w[0] - mean) * (w[1] - mean))
        .sum();
    covariance / variance
}

#[test]
fn test_garch_volatility_clusters() {
    // Squared GARCH returns follow an ARMA(1,1) with autocorrelation
    // rho_1 = alpha (1 - alpha beta - beta^2) / (1 - 2 alpha beta - beta^2) = 0.175 here. For an
    // i.i.d. series with finite variance of the squares (nu > 4), the lag-1 sample autocorrelation
    // of the squares has standard error 1/sqrt(n) (Bartlett). So: clustering is Z/sqrt(n) above 0;
    // the same innovations with alpha = beta = 0 stay within Z/sqrt(n) of 0.
    let n = 200_000;
    let garch = Garch {
        mean_log_return: 0.0,
        long_run_volatility: 0.8,
        alpha: 0.12,
        beta: 0.78,
        degrees_of_freedom: 12.0,
        initial_volatility: None,
    };
    let bound = Z / (n as f64).sqrt();
    let m = model(12.0, vec![AssetProcess::Garch(garch.clone())], vec![]);
    let clustered = squared_autocorrelation(&log_returns_along_path(&m, n + 1)[0]);
    assert!(
        clustered > bound,
        "lag-1 autocorrelation of r^2: {clustered} <= {bound}"
    );
    let iid = Garch {
        alpha: 0.0,
        beta: 0.0,
        ..garch
    };
    let m = model(12.0, vec![AssetProcess::Garch(iid)], vec![]);
    let flat = squared_autocorrelation(&log_returns_along_path(&m, n + 1)[0]);
    assert!(flat.abs() <= bound, "i.i.d. t: {flat} vs {bound}");
}

#[test]
fn test_garch_initial_volatility_sets_the_first_block() {
    // A path that starts in a storm: the first block's return has variance initial_volatility^2 dt
    // (Student-t innovations, unit variance): SE of the variance from mu_4 = k_z h^2.
    let p = Garch {
        initial_volatility: Some(3.0),
        degrees_of_freedom: 8.0,
        ..Garch::default()
    };
    let m = model(12.0, vec![AssetProcess::Garch(p.clone())], vec![]);
    let xs = log_returns_across_paths(&m, 50_000, 0, 0, 1);
    let h = 9.0 * 12.0 / SECONDS_PER_YEAR;
    let kurtosis_z = 3.0 * 6.0 / 4.0;
    let (_, variance, _) = sample_moments(&xs);
    let se = ((kurtosis_z - 1.0) * h * h / xs.len() as f64).sqrt();
    assert_within("first-block variance", variance, h, se);
}

// ---------------------------------------------------------------------------------------------
// Correlation

fn correlation(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn test_gbm_assets_have_the_configured_correlations() {
    // Per-block log returns of correlated GBM assets are i.i.d. multivariate normal with the
    // configured correlation, so Fisher's z = atanh(r) is N(atanh(rho), 1/(n-3)). The matrix lists
    // assets 2, 0, 1 (in that order, to check the mapping); asset 3 is not listed: independent.
    let listed = Correlation {
        assets: vec![AssetId(2), AssetId(0), AssetId(1)],
        matrix: vec![
            vec![1.0, -0.3, 0.1],
            vec![-0.3, 1.0, 0.8],
            vec![0.1, 0.8, 1.0],
        ],
    };
    let mut rho = [[0.0; 4]; 4];
    for (p, a) in listed.assets.iter().enumerate() {
        for (q, b) in listed.assets.iter().enumerate() {
            rho[a.index()][b.index()] = listed.matrix[p][q];
        }
    }
    let assets = [0.8, 0.5, 1.2, 0.6]
        .into_iter()
        .map(|volatility| {
            AssetProcess::Gbm(Gbm {
                drift: 0.0,
                volatility,
            })
        })
        .collect();
    let m = ProcessModel::new(&ProcessConfig {
        block_seconds: 12.0,
        assets,
        correlation: listed,
    })
    .unwrap();
    let n = 100_000;
    let returns = log_returns_along_path(&m, n + 1);
    let se = 1.0 / ((n - 3) as f64).sqrt();
    for i in 0..4 {
        for j in i + 1..4 {
            let r = correlation(&returns[i], &returns[j]);
            assert_within(
                &format!("Fisher z of assets {i} and {j}"),
                r.atanh(),
                f64::atanh(rho[i][j]),
                se,
            );
        }
    }
}

#[test]
fn test_student_t_garch_assets_with_one_nu_are_jointly_t_with_the_configured_correlation() {
    // Two GARCH-t assets with the same nu, linked by rho, share the chi-square draw: their first
    // block's innovations are bivariate Student-t (elliptical) with correlation rho exactly (both start
    // at the long-run variance, a constant). For elliptical distributions the asymptotic variance of
    // the sample correlation is (1 + kappa) (1 - rho^2)^2 / n, with 1 + kappa = k_z / 3
    // (Muirhead 1982, 5.1.6), so Fisher's z has standard error sqrt(k_z / 3 / (n - 3)).
    let nu = 6.0;
    let p = Garch {
        degrees_of_freedom: nu,
        ..Garch::default()
    };
    let rho = 0.7;
    let m = model(
        12.0,
        vec![AssetProcess::Garch(p.clone()), AssetProcess::Garch(p)],
        vec![vec![1.0, rho], vec![rho, 1.0]],
    );
    let n = 50_000;
    let xs = log_returns_across_paths(&m, n, 0, 0, 1);
    let ys = log_returns_across_paths(&m, n, 1, 0, 1);
    let kurtosis_z = 3.0 * (nu - 2.0) / (nu - 4.0);
    let se = (kurtosis_z / 3.0 / (n - 3) as f64).sqrt();
    assert_within(
        "Fisher z of the t innovations",
        correlation(&xs, &ys).atanh(),
        f64::atanh(rho),
        se,
    );
}

/// Gamma(x) for x a positive multiple of 1/2.
fn gamma_half_integer(x: f64) -> f64 {
    let (mut value, mut at) = if x.fract() == 0.0 {
        (1.0, 1.0)
    } else {
        (std::f64::consts::PI.sqrt(), 0.5)
    };
    while at < x {
        value *= at;
        at += 1.0;
    }
    value
}

#[test]
fn test_student_t_garch_assets_with_different_nu_have_the_documented_correlation() {
    // Different nu: independent chi-square draws, so the innovations' correlation is
    // rho c(nu_1) c(nu_2) with c(nu) = E[sqrt((nu-2)/W)] = sqrt((nu-2)/2) Gamma((nu-1)/2) / Gamma(nu/2).
    // The pair is not elliptical; the standard error of r is the delta-method one with the sample's
    // own fourth moments (the plug-in form of the same first-order expansion):
    // Var(r) = rho^2/(4n) [m40/m20^2 + m04/m02^2 + 2 m22/(m20 m02) + 4 m22/m11^2
    //                      - 4 m31/(m11 m20) - 4 m13/(m11 m02)].
    let garch = |nu| {
        AssetProcess::Garch(Garch {
            degrees_of_freedom: nu,
            ..Garch::default()
        })
    };
    let rho = 0.6;
    let m = model(
        12.0,
        vec![garch(5.0), garch(8.0)],
        vec![vec![1.0, rho], vec![rho, 1.0]],
    );
    let c = |nu: f64| {
        ((nu - 2.0) / 2.0).sqrt() * gamma_half_integer((nu - 1.0) / 2.0)
            / gamma_half_integer(nu / 2.0)
    };
    let expected = rho * c(5.0) * c(8.0);
    assert!((c(5.0) - 0.921_318).abs() < 1e-6);
    let n = 50_000;
    let xs = log_returns_across_paths(&m, n, 0, 0, 1);
    let ys = log_returns_across_paths(&m, n, 1, 0, 1);
    let r = correlation(&xs, &ys);
    let nf = n as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / nf, ys.iter().sum::<f64>() / nf);
    let moment = |p: i32, q: i32| {
        xs.iter()
            .zip(&ys)
            .map(|(x, y)| (x - mx).powi(p) * (y - my).powi(q))
            .sum::<f64>()
            / nf
    };
    let (m20, m02, m11) = (moment(2, 0), moment(0, 2), moment(1, 1));
    let variance = r * r / (4.0 * nf)
        * (moment(4, 0) / (m20 * m20)
            + moment(0, 4) / (m02 * m02)
            + 2.0 * moment(2, 2) / (m20 * m02)
            + 4.0 * moment(2, 2) / (m11 * m11)
            - 4.0 * moment(3, 1) / (m11 * m20)
            - 4.0 * moment(1, 3) / (m11 * m02));
    assert_within("t innovations, different nu", r, expected, variance.sqrt());
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

fn black_thursday_returns() -> Vec<f64> {
    let path = format!(
        "{}/tests/data/eth_usd_10min_2020-03-12.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    let closes: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap()[4].parse().unwrap())
        .collect();
    assert_eq!(closes.len(), 144);
    log_returns_from_prices(&closes).unwrap()
}

fn bootstrap(log_returns: Vec<f64>, bar_seconds: f64, mean_block_length: f64) -> AssetProcess {
    AssetProcess::Bootstrap(Bootstrap {
        log_returns,
        bar_seconds,
        mean_block_length,
    })
}

#[test]
fn test_bootstrap_replays_source_returns_with_their_mean_and_variance() {
    // One bar per block. The stationary bootstrap starts at a uniform bar and then either moves to
    // the next bar (mod n) or restarts uniformly, so every block's return is uniform over the
    // source: one return per path (block 5) over independent paths has the source's population
    // mean and variance, with the standard errors of the population's moments.
    let source = black_thursday_returns();
    let m = model(600.0, vec![bootstrap(source.clone(), 600.0, 4.0)], vec![]);
    let xs = log_returns_across_paths(&m, 100_000, 0, 4, 5);
    let theory = Moments::of_population(&source);
    let (mean, variance, _) = sample_moments(&xs);
    assert_within(
        "bootstrap mean",
        mean,
        theory.mean,
        theory.se_mean(xs.len()),
    );
    assert_within(
        "bootstrap variance",
        variance,
        theory.variance(),
        theory.se_variance(xs.len()),
    );

    // Every replayed return is one of the source's (to the rounding of prices: 1e-12).
    let mut sorted = source.clone();
    sorted.sort_by(f64::total_cmp);
    for index in 0..20 {
        let path = m.simulate(SEED, index, 1_000, &[100.0]);
        let prices: Vec<f64> = path.column(AssetId(0)).collect();
        for r in log_returns_from_prices(&prices).unwrap() {
            let at = sorted.partition_point(|s| *s < r);
            let nearest = [at.saturating_sub(1), at.min(sorted.len() - 1)]
                .iter()
                .map(|&i| (sorted[i] - r).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(nearest < 1e-12, "return {r} is not in the source");
        }
    }
}

#[test]
fn test_bootstrap_blocks_have_the_configured_mean_length() {
    // Distinct source returns r_k = (k + 1) 1e-3 reveal the bar index. A block continues (next bar =
    // previous + 1 mod n) with probability (1 - p) + p/n, p = 1 / mean_block_length (a restart may
    // land on the next bar too); each transition is an independent Bernoulli draw, so the count is
    // binomial with standard error sqrt(q (1 - q) N).
    let n_bars = 50;
    let source: Vec<f64> = (0..n_bars).map(|k| (k + 1) as f64 * 1e-3).collect();
    let mean_block_length = 5.0;
    let m = model(
        60.0,
        vec![bootstrap(source, 60.0, mean_block_length)],
        vec![],
    );
    let (mut continued, mut transitions) = (0usize, 0usize);
    for index in 0..200 {
        let path = m.simulate(SEED, index, 501, &[1.0]);
        let prices: Vec<f64> = path.column(AssetId(0)).collect();
        let bars: Vec<usize> = log_returns_from_prices(&prices)
            .unwrap()
            .iter()
            .map(|r| (r / 1e-3).round() as usize - 1)
            .collect();
        for w in bars.windows(2) {
            transitions += 1;
            if w[1] == (w[0] + 1) % n_bars {
                continued += 1;
            }
        }
    }
    let p = 1.0 / mean_block_length;
    let q = (1.0 - p) + p / n_bars as f64;
    let n = transitions as f64;
    assert_within(
        "share of continued blocks",
        continued as f64 / n,
        q,
        (q * (1.0 - q) / n).sqrt(),
    );
}

#[test]
fn test_bootstrap_spreads_a_bar_over_its_blocks() {
    // 10-minute bars, 12 s blocks: each bar's return is spread evenly over its 50 blocks, and the
    // 50 blocks of a bar add up to one source return.
    let source = black_thursday_returns();
    let m = model(12.0, vec![bootstrap(source.clone(), 600.0, 6.0)], vec![]);
    let path = m.simulate(SEED, 3, 1 + 50 * 30, &[200.0]);
    let prices: Vec<f64> = path.column(AssetId(0)).collect();
    let returns = log_returns_from_prices(&prices).unwrap();
    for bar in returns.chunks(50) {
        for r in bar {
            assert!((r - bar[0]).abs() < 1e-14, "{r} vs {}", bar[0]);
        }
        let total: f64 = bar.iter().sum();
        assert!(
            source.iter().any(|s| (s - total).abs() < 1e-12),
            "bar return {total} is not in the source"
        );
    }
}

#[test]
fn test_bootstrap_assets_replay_the_same_bars() {
    // Two assets whose histories are r and -2r: every block, the second moves by -2 times the first.
    let source = black_thursday_returns();
    let doubled: Vec<f64> = source.iter().map(|r| -2.0 * r).collect();
    let m = model(
        600.0,
        vec![
            bootstrap(source, 600.0, 3.0),
            bootstrap(doubled, 600.0, 3.0),
        ],
        vec![],
    );
    let returns = log_returns_along_path(&m, 2_000);
    for (a, b) in returns[0].iter().zip(&returns[1]) {
        assert!((b + 2.0 * a).abs() < 1e-12, "{a} and {b}");
    }
}

// ---------------------------------------------------------------------------------------------
// Pegged tokens

fn eth_and_lst(pegged: Pegged) -> ProcessModel {
    model(
        12.0,
        vec![
            AssetProcess::Gbm(Gbm::default()),
            AssetProcess::Pegged(pegged),
        ],
        vec![],
    )
}

#[test]
fn test_pegged_token_without_depegs_tracks_its_underlying_exactly() {
    let m = eth_and_lst(Pegged {
        depeg_intensity: 0.0,
        ..Pegged::with_defaults(AssetId(0))
    });
    let path = m.simulate(SEED, 0, 1_000, &[2_000.0, 2_000.0]);
    for block in 0..1_000 {
        assert_eq!(path.price(block, AssetId(1)), path.price(block, AssetId(0)));
    }
    assert!(path.depeg_events().is_empty());
}

#[test]
fn test_pegged_token_never_trades_above_its_target_ratio() {
    // Frequent de-pegs, fast recovery and a noisy ratio: the cap holds every block.
    let m = eth_and_lst(Pegged {
        depeg_intensity: 5_000.0,
        recovery_half_life_seconds: 600.0,
        ratio_volatility: 2.0,
        ..Pegged::with_defaults(AssetId(0))
    });
    let mut below = 0;
    for index in 0..20 {
        let path = m.simulate(SEED, index, 1_000, &[2_000.0, 2_000.0]);
        for block in 0..1_000 {
            let (eth, lst) = (path.price(block, AssetId(0)), path.price(block, AssetId(1)));
            assert!(lst <= eth, "block {block}: {lst} above {eth}");
            below += usize::from(lst < eth * 0.999);
        }
    }
    assert!(below > 0, "the de-pegs happened");
}

#[test]
fn test_depeg_events_arrive_at_the_configured_rate_and_size() {
    // Events are Poisson: over N paths of T years, the count is Poisson(lambda T N), mean and variance
    // lambda T N. Sizes are Beta with the configured mean and sd: their mean is within Z sd/sqrt(k).
    let pegged = Pegged {
        depeg_intensity: 1_000.0,
        depeg_size_mean: 0.08,
        depeg_size_sd: 0.05,
        ..Pegged::with_defaults(AssetId(0))
    };
    let m = eth_and_lst(pegged.clone());
    let (n_paths, n_blocks) = (20_000, 500);
    let mut path = PricePaths::new();
    let mut sizes = Vec::new();
    for index in 0..n_paths {
        m.simulate_into(SEED, index, n_blocks, &[2_000.0, 2_000.0], &mut path);
        for event in path.depeg_events() {
            assert_eq!(event.asset, AssetId(1));
            assert!((1..n_blocks).contains(&event.block));
            sizes.push(event.size);
        }
    }
    let expected = pegged.depeg_intensity * years(n_blocks - 1, 12.0) * n_paths as f64;
    assert_within(
        "number of de-pegs",
        sizes.len() as f64,
        expected,
        expected.sqrt(),
    );
    let mean_size = sizes.iter().sum::<f64>() / sizes.len() as f64;
    assert_within(
        "mean de-peg size",
        mean_size,
        pegged.depeg_size_mean,
        pegged.depeg_size_sd / (sizes.len() as f64).sqrt(),
    );
}

#[test]
fn test_depeg_recovers_with_the_half_life() {
    // Start 10% below the peg, no events, no noise: the log gap halves every half life (100 blocks).
    let m = eth_and_lst(Pegged {
        depeg_intensity: 0.0,
        recovery_half_life_seconds: 1_200.0,
        ..Pegged::with_defaults(AssetId(0))
    });
    let path = m.simulate(SEED, 0, 201, &[2_000.0, 1_800.0]);
    let ratio = |block| path.price(block, AssetId(1)) / path.price(block, AssetId(0));
    assert_eq!(path.price(0, AssetId(1)), 1_800.0);
    assert!((ratio(100) - 0.9f64.sqrt()).abs() < 1e-12);
    assert!((ratio(200) - 0.9f64.powf(0.25)).abs() < 1e-12);
}

#[test]
fn test_adding_a_pegged_token_leaves_the_other_paths_unchanged() {
    // De-pegs draw from a stream of their own: common random numbers across scenarios.
    let alone = model(12.0, vec![AssetProcess::Gbm(Gbm::default())], vec![]);
    let with_lst = eth_and_lst(Pegged {
        ratio_volatility: 0.3,
        depeg_intensity: 500.0,
        ..Pegged::with_defaults(AssetId(0))
    });
    let a = alone.simulate(SEED, 9, 500, &[2_000.0]);
    let b = with_lst.simulate(SEED, 9, 500, &[2_000.0, 2_000.0]);
    assert!(a.column(AssetId(0)).eq(b.column(AssetId(0))));
}

// ---------------------------------------------------------------------------------------------
// Determinism

fn every_kind() -> ProcessModel {
    model(
        12.0,
        vec![
            AssetProcess::Gbm(Gbm::default()),
            AssetProcess::Merton(Merton {
                jump_intensity: 2_000.0,
                ..Merton::default()
            }),
            AssetProcess::Garch(Garch::default()),
            bootstrap(black_thursday_returns(), 600.0, 6.0),
            AssetProcess::Pegged(Pegged {
                depeg_intensity: 500.0,
                ratio_volatility: 0.2,
                ..Pegged::with_defaults(AssetId(0))
            }),
        ],
        vec![
            vec![1.0, 0.6, 0.5],
            vec![0.6, 1.0, 0.4],
            vec![0.5, 0.4, 1.0],
        ],
    )
}

fn bits(path: &PricePaths) -> Vec<u64> {
    path.prices().iter().map(|p| p.to_bits()).collect()
}

#[test]
fn test_same_seed_and_path_give_identical_bits() {
    let m = every_kind();
    let start = [2_000.0, 60_000.0, 1.0, 150.0, 1_990.0];
    let a = m.simulate(SEED, 7, 600, &start);
    let b = m.simulate(SEED, 7, 600, &start);
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.depeg_events(), b.depeg_events());
    assert_eq!((a.n_blocks(), a.n_assets()), (600, 5));
    assert_eq!(a.row(0), &start);
    assert!(a.prices().iter().all(|p| p.is_finite() && *p > 0.0));

    // A reused buffer that held another path (longer, other model) gives the same bits.
    let mut reused = m.simulate(SEED, 8, 900, &start);
    let other = model(12.0, vec![AssetProcess::Gbm(Gbm::default())], vec![]);
    other.simulate_into(SEED, 1, 50, &[1.0], &mut reused);
    m.simulate_into(SEED, 7, 600, &start, &mut reused);
    assert_eq!(bits(&a), bits(&reused));
    assert_eq!(a.depeg_events(), reused.depeg_events());

    // Another path or seed differs in every stochastic column.
    let c = m.simulate(SEED, 8, 600, &start);
    let d = m.simulate(SEED + 1, 7, 600, &start);
    for asset in 0..5 {
        let id = AssetId(asset);
        assert_ne!(a.price(599, id), c.price(599, id), "asset {asset}");
        assert_ne!(a.price(599, id), d.price(599, id), "asset {asset}");
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid parameters

fn error_of(assets: Vec<AssetProcess>, correlation: Correlation) -> ProcessError {
    ProcessModel::new(&ProcessConfig {
        block_seconds: 12.0,
        assets,
        correlation,
    })
    .unwrap_err()
}

fn field_of(error: &ProcessError) -> (u16, &'static str) {
    match error {
        ProcessError::Parameter { asset, field, .. } => (asset.0, *field),
        other => panic!("expected a parameter error, got {other:?}"),
    }
}

#[test]
fn test_invalid_parameters_are_rejected_naming_the_field() {
    let gbm = AssetProcess::Gbm(Gbm::default());
    let cases: Vec<(AssetProcess, &str)> = vec![
        (
            AssetProcess::Gbm(Gbm {
                volatility: -0.1,
                ..Gbm::default()
            }),
            "volatility",
        ),
        (
            AssetProcess::Gbm(Gbm {
                drift: f64::NAN,
                ..Gbm::default()
            }),
            "drift",
        ),
        (
            AssetProcess::Merton(Merton {
                jump_intensity: -1.0,
                ..Merton::default()
            }),
            "jump_intensity",
        ),
        (
            AssetProcess::Merton(Merton {
                jump_volatility: -0.01,
                ..Merton::default()
            }),
            "jump_volatility",
        ),
        (
            AssetProcess::Garch(Garch {
                alpha: 0.1,
                beta: 0.9,
                ..Garch::default()
            }),
            "alpha + beta",
        ),
        (
            AssetProcess::Garch(Garch {
                alpha: -0.1,
                ..Garch::default()
            }),
            "alpha",
        ),
        (
            AssetProcess::Garch(Garch {
                degrees_of_freedom: 2.0,
                ..Garch::default()
            }),
            "degrees_of_freedom",
        ),
        (
            AssetProcess::Garch(Garch {
                long_run_volatility: 0.0,
                ..Garch::default()
            }),
            "long_run_volatility",
        ),
        (bootstrap(vec![], 600.0, 6.0), "log_returns"),
        (bootstrap(vec![0.01, f64::NAN], 600.0, 6.0), "log_returns"),
        (bootstrap(vec![0.01], 600.0, 0.5), "mean_block_length"),
        (bootstrap(vec![0.01], 0.0, 6.0), "bar_seconds"),
        (
            AssetProcess::Pegged(Pegged {
                depeg_size_mean: 1.0,
                ..Pegged::with_defaults(AssetId(0))
            }),
            "depeg_size_mean",
        ),
        (
            AssetProcess::Pegged(Pegged {
                depeg_size_mean: 0.1,
                depeg_size_sd: 0.4,
                ..Pegged::with_defaults(AssetId(0))
            }),
            "depeg_size_sd",
        ),
        (
            AssetProcess::Pegged(Pegged {
                recovery_half_life_seconds: 0.0,
                ..Pegged::with_defaults(AssetId(0))
            }),
            "recovery_half_life_seconds",
        ),
        (
            AssetProcess::Pegged(Pegged::with_defaults(AssetId(1))),
            "underlying",
        ),
        (
            AssetProcess::Pegged(Pegged::with_defaults(AssetId(7))),
            "underlying",
        ),
    ];
    for (process, field) in cases {
        let error = error_of(vec![gbm.clone(), process.clone()], Correlation::default());
        assert_eq!(field_of(&error), (1, field), "{process:?}: {error}");
    }

    // Bootstrap assets must replay aligned histories.
    let error = error_of(
        vec![
            bootstrap(vec![0.01, 0.02], 600.0, 6.0),
            bootstrap(vec![0.01, 0.02], 60.0, 6.0),
        ],
        Correlation::default(),
    );
    assert_eq!(field_of(&error), (1, "bar_seconds"));

    let error = ProcessModel::new(&ProcessConfig {
        block_seconds: 0.0,
        assets: vec![gbm],
        correlation: Correlation::default(),
    })
    .unwrap_err();
    assert_eq!(error, ProcessError::BlockSeconds { value: 0.0 });
}

#[test]
fn test_invalid_correlations_are_rejected_naming_the_entry() {
    let three = || vec![AssetProcess::Gbm(Gbm::default()); 3];
    let entry = |error: ProcessError| match error {
        ProcessError::CorrelationEntry { row, column, .. } => (row, column),
        other => panic!("expected an entry error, got {other:?}"),
    };
    let identity = || {
        (0..3)
            .map(|i| (0..3).map(|j| f64::from(u8::from(i == j))).collect())
            .collect::<Vec<Vec<f64>>>()
    };

    // Not positive semi-definite: 0 ~ 1 and 1 ~ 2 strongly, 0 ~ 2 strongly negative.
    let bad = vec![
        vec![1.0, 0.9, -0.9],
        vec![0.9, 1.0, 0.9],
        vec![-0.9, 0.9, 1.0],
    ];
    let error = error_of(three(), first_assets(bad));
    assert!(
        matches!(
            error,
            ProcessError::CorrelationNotPositiveSemiDefinite { row: 2, .. }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("not positive semi-definite"));

    let mut asymmetric = identity();
    asymmetric[0][1] = 0.5;
    asymmetric[1][0] = 0.4;
    assert_eq!(entry(error_of(three(), first_assets(asymmetric))), (0, 1));

    let mut diagonal = identity();
    diagonal[2][2] = 0.9;
    assert_eq!(entry(error_of(three(), first_assets(diagonal))), (2, 2));

    let mut too_big = identity();
    too_big[1][2] = 1.5;
    too_big[2][1] = 1.5;
    assert_eq!(entry(error_of(three(), first_assets(too_big))), (1, 2));

    let mut nan = identity();
    nan[2][0] = f64::NAN;
    assert_eq!(entry(error_of(three(), first_assets(nan))), (2, 0));

    // Three listed assets, a 2 x 2 matrix.
    let short = Correlation {
        assets: vec![AssetId(0), AssetId(1), AssetId(2)],
        matrix: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    };
    let error = error_of(three(), short);
    assert!(
        matches!(error, ProcessError::CorrelationShape { .. }),
        "{error:?}"
    );

    // Listed assets: GBM, Merton or GARCH ones, each once, that exist.
    let position = |error: ProcessError| match error {
        ProcessError::CorrelationAsset { position, .. } => position,
        other => panic!("expected a listed-asset error, got {other:?}"),
    };
    let mut assets = three();
    assets[2] = bootstrap(vec![0.01], 600.0, 1.0);
    assert_eq!(position(error_of(assets, first_assets(identity()))), 2);
    let listing = |ids: [u16; 3]| Correlation {
        assets: ids.into_iter().map(AssetId).collect(),
        matrix: identity(),
    };
    assert_eq!(position(error_of(three(), listing([0, 1, 0]))), 2);
    assert_eq!(position(error_of(three(), listing([0, 3, 1]))), 1);

    // Perfect correlation is semi-definite: accepted, and the two assets move together.
    let mut perfect = identity();
    perfect[0][1] = 1.0;
    perfect[1][0] = 1.0;
    let m = model(12.0, three(), perfect);
    let returns = log_returns_along_path(&m, 100);
    for (a, b) in returns[0].iter().zip(&returns[1]) {
        assert!((a - b).abs() < 1e-15);
    }
}

#[test]
fn test_bad_prices_and_start_prices_are_rejected() {
    assert_eq!(
        log_returns_from_prices(&[1.0, 0.0, 2.0]).unwrap_err(),
        ProcessError::Price {
            index: 1,
            value: 0.0
        }
    );
    assert_eq!(log_returns_from_prices(&[5.0]).unwrap(), Vec::<f64>::new());
    let m = eth_and_lst(Pegged::with_defaults(AssetId(0)));
    assert!(m.check_start_prices(&[2_000.0, 1_990.0]).is_ok());
    let error = m.check_start_prices(&[2_000.0, 2_010.0]).unwrap_err();
    assert!(
        matches!(
            error,
            ProcessError::StartPrice {
                asset: AssetId(1),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        m.check_start_prices(&[2_000.0]).unwrap_err(),
        ProcessError::StartPriceCount {
            expected: 2,
            got: 1
        }
    );
    assert!(m.check_start_prices(&[-1.0, 1.0]).is_err());
}
