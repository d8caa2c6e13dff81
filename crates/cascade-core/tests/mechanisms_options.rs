//! Options (`cascade_core::mechanism::options`): generalized Black-Scholes-Merton values and greeks
//! against Haug's tables as QuantLib's test suite gives them (`tests/data/black_scholes_haug_*.csv`,
//! tolerance 1e-4), the greeks against finite differences, put-call parity, the short-option margin
//! and the delta hedger worked by hand.

use cascade_core::mechanism::options::{
    norm_cdf, short_option_margin, BsmInputs, DeltaHedger, OptionHolding, OptionKind, OptionStress,
};
use proptest::prelude::*;

fn rows(file: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    (headers, reader.records().map(Result::unwrap).collect())
}

fn num(headers: &csv::StringRecord, row: &csv::StringRecord, name: &str) -> f64 {
    let index = headers.iter().position(|h| h == name).unwrap();
    row[index].trim().parse().unwrap()
}

/// The option of a CSV row (columns type, strike, spot, q, r, t, vol), with `b = r - q`.
fn option_of(headers: &csv::StringRecord, row: &csv::StringRecord) -> BsmInputs {
    let type_index = headers.iter().position(|h| h == "type").unwrap();
    let kind = match &row[type_index] {
        "call" => OptionKind::Call,
        "put" => OptionKind::Put,
        other => panic!("unknown option type {other}"),
    };
    BsmInputs::with_dividend_yield(
        kind,
        num(headers, row, "spot"),
        num(headers, row, "strike"),
        num(headers, row, "t"),
        num(headers, row, "r"),
        num(headers, row, "q"),
        num(headers, row, "vol"),
    )
}

#[test]
fn test_values_match_haug_to_1e4() {
    let (h, records) = rows("black_scholes_haug_values.csv");
    assert_eq!(records.len(), 43);
    for row in &records {
        let got = option_of(&h, row).value();
        let want = num(&h, row, "value");
        assert!((got - want).abs() <= 1e-4, "{row:?}: {got}");
    }
}

#[test]
fn test_greeks_match_haug_to_1e4() {
    let (h, records) = rows("black_scholes_haug_greeks.csv");
    assert_eq!(records.len(), 11);
    for row in &records {
        let option = option_of(&h, row);
        let greeks = option.greeks();
        let got = match &row[0] {
            "delta" => greeks.delta,
            "gamma" => greeks.gamma,
            "vega" => greeks.vega,
            "theta" => greeks.theta,
            "thetaPerDay" => greeks.theta / 365.0,
            "rho" => greeks.rho,
            // QuantLib's dividendRho is dV/dq = -dV/db at fixed r.
            "dividendRho" => -greeks.carry_rho,
            "elasticity" => option.elasticity(),
            other => panic!("unknown greek {other}"),
        };
        let want = num(&h, row, "value");
        assert!((got - want).abs() <= 1e-4, "{row:?}: {got}");
    }
}

fn bump(option: &BsmInputs, f: impl Fn(&mut BsmInputs, f64), h: f64) -> f64 {
    let (mut up, mut down) = (*option, *option);
    f(&mut up, h);
    f(&mut down, -h);
    (up.value() - down.value()) / (2.0 * h)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Each greek is the derivative it claims to be: central differences of `value`.
    #[test]
    fn prop_greeks_are_derivatives_of_value(
        call in any::<bool>(),
        spot in 50.0f64..150.0,
        strike in 60.0f64..140.0,
        t in 0.1f64..2.0,
        r in -0.02f64..0.10,
        q in 0.0f64..0.08,
        vol in 0.1f64..0.8,
    ) {
        let kind = if call { OptionKind::Call } else { OptionKind::Put };
        let option = BsmInputs::with_dividend_yield(kind, spot, strike, t, r, q, vol);
        let g = option.greeks();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * (1.0 + b.abs());
        prop_assert!(close(g.delta, bump(&option, |o, h| o.spot += h, 1e-3)));
        let (mut up, mut down) = (option, option);
        up.spot += 1e-2;
        down.spot -= 1e-2;
        let gamma = (up.value() - 2.0 * option.value() + down.value()) / 1e-4;
        prop_assert!((g.gamma - gamma).abs() <= 1e-5);
        prop_assert!(close(g.vega, bump(&option, |o, h| o.volatility += h, 1e-5)));
        // Theta is -dV/dT.
        prop_assert!(close(g.theta, -bump(&option, |o, h| o.time_to_expiry += h, 1e-6)));
        // Rho moves r with q fixed, i.e. r and b together.
        let rho = bump(
            &option,
            |o, h| {
                o.rate += h;
                o.carry += h;
            },
            1e-6,
        );
        prop_assert!(close(g.rho, rho));
        prop_assert!(close(g.carry_rho, bump(&option, |o, h| o.carry += h, 1e-6)));
    }

    /// Put-call parity: `C - P = S e^((b-r)T) - K e^(-rT)`.
    #[test]
    fn prop_put_call_parity(
        spot in 1.0f64..1000.0,
        moneyness in 0.5f64..2.0,
        t in 0.01f64..3.0,
        r in -0.02f64..0.15,
        b in -0.1f64..0.15,
        vol in 0.05f64..1.5,
    ) {
        let call = BsmInputs {
            kind: OptionKind::Call,
            spot,
            strike: spot * moneyness,
            time_to_expiry: t,
            rate: r,
            carry: b,
            volatility: vol,
        };
        let put = BsmInputs { kind: OptionKind::Put, ..call };
        let forward_gap = spot * ((b - r) * t).exp() - call.strike * (-r * t).exp();
        prop_assert!((call.value() - put.value() - forward_gap).abs() <= 1e-9 * spot);
        prop_assert!(call.value() >= 0.0 && put.value() >= 0.0);
    }
}

#[test]
fn test_norm_cdf_known_points() {
    // Table values of the standard normal distribution.
    let close = |x: f64, p: f64| ((norm_cdf(x) - p) / p).abs() < 1e-13;
    assert!(close(1.0, 0.841_344_746_068_543));
    assert!(close(1.959_963_984_540_054, 0.975));
    assert!(close(-3.0, 0.001_349_898_031_630_095));
    assert!(close(-10.0, 7.619_853_024_160_526e-24));
}

/// At the money, half a year, no rates, 20% volatility: d1 = (0 + 0.02 * 0.5) / (0.2 * sqrt(0.5))
/// = 0.0707107; N(d1) = 0.5281860, n(d1) = 0.3979480.
fn atm_call() -> BsmInputs {
    BsmInputs {
        kind: OptionKind::Call,
        spot: 100.0,
        strike: 100.0,
        time_to_expiry: 0.5,
        rate: 0.0,
        carry: 0.0,
        volatility: 0.2,
    }
}

#[test]
fn test_short_call_margin_by_hand() {
    // value = 100 (N(d1) - N(-d1)) = 100 * 0.0563720 = 5.63720; delta 0.528186;
    // gamma = n(d1) / (100 * 0.2 * 0.707107) = 0.0281390; vega = 100 * n(d1) * 0.707107 = 28.1390.
    // Stress +/-10%, vol +5 points: up move 0.528186 * 10 + 0.0281390 * 100 / 2 = 6.68881 (the down
    // move loses money for the buyer: -5.28186 + 1.40695 < 0); vega 28.1390 * 0.05 = 1.40695.
    // add-on 8.09576 per unit; 3 units: premium 16.9116, add-on 24.2873, total 41.1989.
    let stress = OptionStress {
        spot_move: 0.10,
        vol_rise: 0.05,
    };
    let margin = short_option_margin(&atm_call(), 3.0, &stress);
    assert!((margin.premium - 16.9116).abs() < 1e-3);
    assert!((margin.stress_add_on - 24.2873).abs() < 1e-3);
    assert!((margin.total - 41.1989).abs() < 1e-3);
    // The add-on is what a full revaluation roughly gives: revaluing at S = 110, vol 25% costs more
    // than the premium by about the add-on (the approximation drops higher-order terms).
    let stressed = BsmInputs {
        spot: 110.0,
        volatility: 0.25,
        ..atm_call()
    };
    let full = stressed.value() - atm_call().value();
    assert!((full - 8.09576).abs() < 0.5, "{full}");
}

#[test]
fn test_short_gamma_hedger_sells_into_a_fall() {
    // A short straddle (short 1 call, short 1 put at 100). At S = 100: options delta =
    // -N(d1) - (N(d1) - 1) = 1 - 2 * 0.528186 = -0.056372; the desk holds +0.056372 to be flat.
    let call = OptionHolding {
        kind: OptionKind::Call,
        strike: 100.0,
        expiry: 0.5,
        volatility: 0.2,
        quantity: -1.0,
    };
    let put = OptionHolding {
        kind: OptionKind::Put,
        ..call
    };
    let mut desk = DeltaHedger {
        rate: 0.0,
        carry: 0.0,
        holdings: vec![call, put],
        hedge: 0.0,
        rebalance_band: 0.0,
    };
    let first = desk.rebalance(100.0, 0.0);
    assert!((first - 0.0563720).abs() < 1e-6);
    assert!(desk.options_gamma(100.0, 0.0) < 0.0);
    // S = 95: d1 = (ln 0.95 + 0.01) / 0.141421 = -0.291988, N = 0.385148; options delta =
    // 1 - 2 * 0.385148 = 0.229704, so the hedge must go to -0.229704: sell 0.286076 into the fall.
    let trade = desk.rebalance(95.0, 0.0);
    assert!((trade + 0.286076).abs() < 1e-6, "{trade}");
    assert!((desk.hedge + 0.229704).abs() < 1e-6);
    // Within the band nothing trades.
    desk.rebalance_band = 0.5;
    assert_eq!(desk.hedge_trade(96.0, 0.0), 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// A desk short options (short gamma) that starts flat trades with the move: it sells when the
    /// price falls and buys when it rises; a long-gamma desk does the opposite.
    #[test]
    fn prop_short_gamma_trades_with_the_move(
        strike in 80.0f64..120.0,
        quantity in 0.5f64..50.0,
        call in any::<bool>(),
        move_fraction in 0.005f64..0.2,
        down in any::<bool>(),
    ) {
        let holding = OptionHolding {
            kind: if call { OptionKind::Call } else { OptionKind::Put },
            strike,
            expiry: 0.25,
            volatility: 0.6,
            quantity: -quantity,
        };
        let mut short = DeltaHedger { rate: 0.03, carry: 0.03, holdings: vec![holding], hedge: 0.0, rebalance_band: 0.0 };
        let mut long = DeltaHedger {
            holdings: vec![OptionHolding { quantity, ..holding }],
            ..short.clone()
        };
        short.rebalance(100.0, 0.0);
        long.rebalance(100.0, 0.0);
        let spot = if down { 100.0 * (1.0 - move_fraction) } else { 100.0 * (1.0 + move_fraction) };
        let short_trade = short.rebalance(spot, 0.0);
        let long_trade = long.rebalance(spot, 0.0);
        if down {
            prop_assert!(short_trade < 0.0 && long_trade > 0.0);
        } else {
            prop_assert!(short_trade > 0.0 && long_trade < 0.0);
        }
        prop_assert!((short_trade + long_trade).abs() < 1e-9 * quantity);
    }
}
