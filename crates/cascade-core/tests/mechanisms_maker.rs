//! Maker Liquidations 2.0 (`cascade_core::mechanism::maker`): the abaci price curves against the
//! reference vectors (`tests/data/maker_abaci.csv`, from `makerdao/dss` `src/test/abaci.t.sol`) in RAY
//! integers and in `f64`, dss's own stairstep recurrence test, a Dog/Clipper auction worked by hand,
//! the circuit breaker, and the OSM's one-hour delay.
//!
//! Every expected number is derived in the comment next to it; none was obtained by running the code.

use cascade_core::mechanism::maker::exact::{ray, rpow, PriceCurveRay};
use cascade_core::mechanism::maker::{
    ClipperConfig, DogState, IlkLiquidationConfig, MakerRefusal, OsmOracle, PriceCurve, StopLevel,
    VatIlk, Vault,
};
use proptest::prelude::*;
use ruint::aliases::{U256, U512};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn rows(file: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let records: Vec<_> = reader.records().map(Result::unwrap).collect();
    (headers, records)
}

fn field<'a>(headers: &csv::StringRecord, row: &'a csv::StringRecord, name: &str) -> &'a str {
    let index = headers.iter().position(|h| h == name).unwrap();
    row[index].trim()
}

fn pow10(n: u32) -> U256 {
    U256::from(10u8).pow(U256::from(n))
}

/// A decimal string as a RAY integer, exactly (panics beyond 27 decimals).
fn ray_of(s: &str) -> U256 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 27, "{s}: too many decimals for a RAY");
    let frac_value = if frac.is_empty() {
        U256::ZERO
    } else {
        frac.parse::<U256>().unwrap() * pow10(27 - frac.len() as u32)
    };
    int.parse::<U256>().unwrap() * ray() + frac_value
}

/// A RAY integer as f64 (correctly rounded to well within 1e-15 relative for these magnitudes).
fn ray_to_f64(x: U256) -> f64 {
    let int = x / ray();
    let frac = x % ray();
    int.to::<u128>() as f64 + frac.to::<u128>() as f64 / 1e27
}

fn param<'a>(params: &'a str, key: &str) -> &'a str {
    params
        .split(';')
        .find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
        .unwrap_or_else(|| panic!("no {key} in {params}"))
}

/// The curve of a CSV row in RAY integers and in f64, and its `top`.
fn curves(kind: &str, params: &str) -> (PriceCurveRay, PriceCurve, U256, f64) {
    let top = param(params, "top");
    let (exact, real) = match kind {
        "linear" => {
            let tau: u64 = param(params, "tau").parse().unwrap();
            (
                PriceCurveRay::LinearDecrease { tau },
                PriceCurve::LinearDecrease { tau },
            )
        }
        "exponential" => {
            let cut = param(params, "cut");
            (
                PriceCurveRay::ExponentialDecrease { cut: ray_of(cut) },
                PriceCurve::ExponentialDecrease {
                    cut: cut.parse().unwrap(),
                },
            )
        }
        "stairstep" => {
            let cut = param(params, "cut");
            let step: u64 = param(params, "step").parse().unwrap();
            (
                PriceCurveRay::StairstepExponentialDecrease {
                    step,
                    cut: ray_of(cut),
                },
                PriceCurve::StairstepExponentialDecrease {
                    step,
                    cut: cut.parse().unwrap(),
                },
            )
        }
        other => panic!("unknown curve {other}"),
    };
    (exact, real, ray_of(top), top.parse().unwrap())
}

// ---------------------------------------------------------------------------
// abaci: reference vectors
// ---------------------------------------------------------------------------

#[test]
fn test_abaci_vectors_in_ray_integers() {
    let (h, records) = rows("maker_abaci.csv");
    assert_eq!(records.len(), 24);
    for row in &records {
        let (curve, _, top, _) = curves(field(&h, row, "curve"), field(&h, row, "params"));
        let dur: u64 = field(&h, row, "seconds_elapsed").parse().unwrap();
        let expected_text = field(&h, row, "expected_price");
        let price = curve.price(top, dur).expect("no revert");
        match field(&h, row, "tolerance") {
            // Linear rows are whole numbers of DAI: the contract gives them to the last unit.
            "exact" => assert_eq!(price, ray_of(expected_text), "{row:?}"),
            tolerance => {
                let relative: f64 = tolerance.trim_end_matches(" relative").parse().unwrap();
                let expected: f64 = expected_text.parse().unwrap();
                let got = ray_to_f64(price);
                assert!(
                    ((got - expected) / expected).abs() <= relative,
                    "{row:?}: {got}"
                );
            }
        }
    }
}

#[test]
fn test_exponential_vectors_within_dss_absolute_tolerance() {
    // abaci.t.sol's test_continuous_exp_decrease asserts |price - expected| <= RAY / 1000 (0.001 DAI
    // absolute), stricter than the CSV's 1e-3 relative: cut^900 = 0.50000000006 (cut ~ e^(ln 0.5/900)),
    // so the price at i half-lives is 4000/2^i + ~2.6e-7 at most.
    let (h, records) = rows("maker_abaci.csv");
    let mut checked = 0;
    for row in records
        .iter()
        .filter(|r| field(&h, r, "curve") == "exponential")
    {
        let (curve, _, top, _) = curves("exponential", field(&h, row, "params"));
        let dur: u64 = field(&h, row, "seconds_elapsed").parse().unwrap();
        let price = curve.price(top, dur).unwrap();
        let expected = ray_of(field(&h, row, "expected_price"));
        let diff = if price > expected {
            price - expected
        } else {
            expected - price
        };
        assert!(diff <= ray() / U256::from(1000u16), "{row:?}");
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn test_abaci_f64_matches_ray_integers_to_1e12() {
    let (h, records) = rows("maker_abaci.csv");
    for row in &records {
        let (exact, real, top_ray, top) = curves(field(&h, row, "curve"), field(&h, row, "params"));
        let dur: u64 = field(&h, row, "seconds_elapsed").parse().unwrap();
        let want = ray_to_f64(exact.price(top_ray, dur).unwrap());
        let got = real.price(top, dur);
        if want == 0.0 {
            assert_eq!(got, 0.0, "{row:?}");
        } else {
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "{row:?}: {got} vs {want}"
            );
        }
        // And within the vector's own tolerance.
        let expected: f64 = field(&h, row, "expected_price").parse().unwrap();
        if expected != 0.0 {
            assert!(((got - expected) / expected).abs() <= 1e-3, "{row:?}");
        }
    }
}

#[test]
fn test_stairstep_first_steps_to_the_last_unit() {
    // cut = 0.98876543211 has 11 decimals, so cut^2 has 22 and rpow's half-up rounding at 27 decimals
    // does not bite for the first two steps: the contract's price is exact.
    let curve = PriceCurveRay::StairstepExponentialDecrease {
        step: 5,
        cut: ray_of("0.98876543211"),
    };
    let top = ray_of("50000000");
    // dur 0..4: 0 steps, rpow(cut, 0) = RAY, price = top.
    assert_eq!(curve.price(top, 4), Some(top));
    // dur 5..9: one step: rpow(cut, 1) = cut (no squaring), rmul(top, cut) = 5e7 * 0.98876543211
    // = 49438271.6055 exactly.
    assert_eq!(curve.price(top, 9), Some(ray_of("49438271.6055")));
    // dur 10: two steps: rpow squares once: x = (cut^2 + RAY/2) / RAY = 0.9776570796...(22 digits)
    // exactly; 5e7 * 0.98876543211^2 = 5e7 * 0.9776570797356750190521 = 48882853.986783750952605.
    assert_eq!(
        curve.price(top, 10),
        Some(ray_of("48882853.986783750952605"))
    );
}

#[test]
fn test_exponential_rounds_half_up_to_the_last_unit() {
    // cut = 0.999230132966 (the CSV's), top = 1 RAY, so the price is rpow's result itself.
    let curve = PriceCurveRay::ExponentialDecrease {
        cut: ray_of("0.999230132966"),
    };
    // dur 3: z = cut; x = cut^2 = 0.998460858627250039957156 (24 decimals, exact);
    // z = (cut * x + RAY/2) / RAY = cut^3 = 0.997692176527453585657317802|8232... rounded half up
    // at 27 decimals: ...803 (a floor would give ...802).
    assert_eq!(
        curve.price(ray(), 3),
        Some(ray_of("0.997692176527453585657317803"))
    );
    // dur 4: z = RAY; x = cut^2 (exact); x = (x^2 + RAY/2) / RAY = cut^4
    // = 0.996924086210665390545755138|6259... half up: ...139; z = (RAY * x + RAY/2) / RAY = x.
    assert_eq!(
        curve.price(ray(), 4),
        Some(ray_of("0.996924086210665390545755139"))
    );
}

/// dss's `checkExpDecrease` (abaci.t.sol, test_stairstep_exp_decrease): for every second i in
/// 1..600, the price must equal the previous one when `i % step != 0`, and `prev * cut / RAY` when it
/// is, within `tolerance` RAY units (1e8 for top = $50m, 1 for top = $0.0000001).
#[test]
fn test_dss_stairstep_recurrence() {
    let cuts = [
        ray() - ray_of("1.1234567890") / U256::from(100u8),
        ray() - ray_of("2.1234567890") / U256::from(100u8),
    ];
    let cases = [
        (ray_of("50000000"), U256::from(100_000_000u64)),
        (ray() / U256::from(10_000_000u64), U256::from(1u8)),
    ];
    for (top, tolerance) in cases {
        for (cut, step) in [
            (cuts[0], 1),
            (cuts[1], 1),
            (cuts[0], 5),
            (cuts[1], 5),
            (cuts[0], 300),
        ] {
            let curve = PriceCurveRay::StairstepExponentialDecrease { step, cut };
            let mut price = curve.price(top, 0).unwrap();
            assert_eq!(price, top);
            for i in 1..600u64 {
                let last = price;
                price = curve.price(top, i).unwrap();
                let want = if i.is_multiple_of(step) {
                    last * cut / ray()
                } else {
                    last
                };
                let diff = if want > price {
                    want - price
                } else {
                    price - want
                };
                assert!(diff <= tolerance, "step {step} i {i}: {price} vs {want}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// rpow's result stays within n units of the true cut^n (computed exactly in 512 bits): each of
    /// its at most 2*log2(n) roundings is half a unit, and squaring a value below RAY at most doubles
    /// an error (n = 3: 1, n = 4: 1.5, n = 5: 2 units).
    #[test]
    fn prop_rpow_close_to_exact_power(cut_frac in 0u64..=1_000_000_000_000u64, n in 1u64..=5) {
        let r = ray();
        // cut in [0.9, 1.0] RAY.
        let cut = r - r / U256::from(10u8) * U256::from(cut_frac) / U256::from(1_000_000_000_000u64);
        let got = rpow(cut, n, r).unwrap();
        let wide = |x: U256| U512::from(x);
        let mut truth = U512::from(1u8);
        for _ in 0..n { truth *= wide(cut); }
        let scale = wide(r).pow(U512::from(n - 1));
        let got_scaled = wide(got) * scale;
        let diff = if got_scaled > truth { got_scaled - truth } else { truth - got_scaled };
        prop_assert!(diff <= U512::from(n) * scale);
    }

    /// The f64 curves track the RAY curves to 1e-12 relative whatever the parameters (up to 4,000
    /// seconds: `cut` itself is off by up to 1.1e-16 relative in f64, and `cut^n` by n times that).
    #[test]
    fn prop_f64_curve_tracks_ray_curve(
        cut_millionths in 900_000u64..1_000_000,
        step in 1u64..120,
        dur in 0u64..4_000,
        tau in 1u64..20_000,
    ) {
        let top = 1234.5;
        let top_ray = ray_of("1234.5");
        let cut = cut_millionths as f64 / 1e6;
        let cut_ray = U256::from(cut_millionths) * U256::from(10u8).pow(U256::from(21u8));
        for (exact, real) in [
            (PriceCurveRay::LinearDecrease { tau }, PriceCurve::LinearDecrease { tau }),
            (PriceCurveRay::ExponentialDecrease { cut: cut_ray }, PriceCurve::ExponentialDecrease { cut }),
            (
                PriceCurveRay::StairstepExponentialDecrease { step, cut: cut_ray },
                PriceCurve::StairstepExponentialDecrease { step, cut },
            ),
        ] {
            let want = ray_to_f64(exact.price(top_ray, dur).unwrap());
            let got = real.price(top, dur);
            // Below ~1e-14 DAI the RAY floor itself is a visible share of the value.
            if want > 1e-9 {
                prop_assert!(((got - want) / want).abs() < 1e-12, "{exact:?} {dur}: {got} vs {want}");
            } else {
                prop_assert!((got - want).abs() < 1e-18);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Dog + Clipper, worked by hand
// ---------------------------------------------------------------------------

const OWNER: u32 = 7;
const KEEPER: u32 = 3;
const T0: u64 = 1_000;

/// ETH-A-like ilk: chop 1.13, hole 5M DAI, buf 1.2, tail 600 s, cusp 0.3, chip 1%, tip 100 DAI,
/// linear decrease to zero in 1000 s.
fn ilk_config() -> IlkLiquidationConfig {
    IlkLiquidationConfig {
        chop: 1.13,
        hole: 5_000_000.0,
        clipper: ClipperConfig {
            buf: 1.2,
            tail: 600,
            cusp: 0.3,
            chip: 0.01,
            tip: 100.0,
            calc: PriceCurve::LinearDecrease { tau: 1000 },
        },
    }
}

/// rate 1.02, liquidation ratio 1.5 at a feed of 700 DAI: spot = 700 / 1.5 = 466.67; dust 1000 DAI.
fn vat() -> VatIlk {
    VatIlk {
        rate: 1.02,
        spot: 700.0 / 1.5,
        dust: 1_000.0,
    }
}

/// 20 ETH, 10,000 art: debt 10,000 * 1.02 = 10,200 DAI > 20 * 466.67 = 9,333: unsafe.
fn vault() -> Vault {
    Vault {
        owner: OWNER,
        ink: 20.0,
        art: 10_000.0,
    }
}

fn dog(global_hole: f64) -> DogState {
    let mut dog = DogState::new(global_hole, vec![ilk_config()]);
    // chost = dust * chop = 1000 * 1.13 = 1130 DAI.
    dog.upchost(0, 1_000.0).unwrap();
    dog
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn test_bark_take_settle_by_hand() {
    let mut dog = dog(10_000_000.0);
    assert!(close(dog.ilks[0].clipper.chost, 1_130.0));
    let mut v = vault();

    // bark: room = min(10M, 5M) = 5M; dart = min(10,000, 5M / 1.02 / 1.13) = 10,000 (whole vault).
    // due = 10,000 * 1.02 = 10,200; tab = 10,200 * 1.13 = 11,526; top = 700 * 1.2 = 840;
    // incentive = tip + tab * chip = 100 + 115.26 = 215.26.
    let bark = dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    assert_eq!(bark.id, 1);
    assert!(!bark.partial);
    assert_eq!((bark.dink, bark.dart), (20.0, 10_000.0));
    assert!(close(bark.due, 10_200.0));
    assert!(close(bark.tab, 11_526.0));
    assert!(close(bark.top, 840.0));
    assert!(close(bark.incentive, 215.26));
    assert_eq!((v.ink, v.art), (0.0, 0.0));
    assert!(close(dog.global_dirt, 11_526.0) && close(dog.ilks[0].dirt, 11_526.0));

    // 200 s later the linear curve is at 840 * (1000 - 200) / 1000 = 672.
    let t = T0 + 200;
    let status = dog.status(0, 1, t).unwrap();
    assert!(close(status.price, 672.0) && !status.needs_redo);

    // A max below the price is refused.
    assert_eq!(
        dog.take(0, 1, 5.0, 671.0, KEEPER, t),
        Err(MakerRefusal::TooExpensive)
    );

    // take 5 ETH: owe = 5 * 672 = 3,360; tab 11,526 - 3,360 = 8,166 >= chost: lot 15.
    let take = dog.take(0, 1, 5.0, 700.0, KEEPER, t).unwrap();
    assert!(close(take.owe, 3_360.0) && close(take.slice, 5.0));
    assert!(close(take.tab_left, 8_166.0) && close(take.lot_left, 15.0));
    assert!(!take.finished);

    // take 9 ETH: owe = 6,048; tab 2,118 >= chost 1,130: fine. lot 6.
    let take = dog.take(0, 1, 9.0, 700.0, KEEPER, t).unwrap();
    assert!(close(take.owe, 6_048.0) && close(take.tab_left, 2_118.0));

    // take 3 ETH: owe = 2,016 would leave 102 < chost, so the purchase shrinks to leave exactly
    // chost: owe = 2,118 - 1,130 = 988, slice = 988 / 672 = 1.4702380952...
    let take = dog.take(0, 1, 3.0, 700.0, KEEPER, t).unwrap();
    assert!(close(take.owe, 988.0));
    assert!(close(take.slice, 988.0 / 672.0));
    assert!(close(take.tab_left, 1_130.0));

    // Now tab = chost: no partial purchase at all (0.5 ETH would leave 1,130 - 336 < chost).
    assert_eq!(
        dog.take(0, 1, 0.5, 700.0, KEEPER, t),
        Err(MakerRefusal::NoPartialPurchase)
    );

    // take everything: 4.5297619 ETH would cost 3,044 > tab 1,130, so the taker pays 1,130 for
    // 1130 / 672 = 1.6815476 ETH; the rest, 6 - 988/672 - 1130/672 = 6 - 2118/672 = 2.8482143 ETH,
    // goes back to the vault owner.
    let take = dog.take(0, 1, 10.0, 700.0, KEEPER, t).unwrap();
    assert!(close(take.owe, 1_130.0));
    assert!(close(take.slice, 1_130.0 / 672.0));
    assert!(close(take.returned_to_owner, 6.0 - 2_118.0 / 672.0));
    assert_eq!(take.usr, OWNER);
    assert!(take.finished && take.tab_left == 0.0);
    assert!(dog.ilks[0].clipper.active.is_empty());

    // Conservation: DAI raised = tab (3,360 + 6,048 + 988 + 1,130 = 11,526); collateral sold +
    // returned = 20; Dirt back to zero.
    let ledger = dog.ledger;
    assert!(close(ledger.dai_raised, 11_526.0));
    assert!(close(
        ledger.collateral_sold + ledger.collateral_returned,
        20.0
    ));
    assert!(dog.global_dirt.abs() < 1e-9 && dog.ilks[0].dirt.abs() < 1e-9);
    // The penalty (11,526 - 10,200 = 1,326) less the incentive (215.26) is the system's gain.
    assert!(close(
        ledger.dai_raised - ledger.debt_fessed - ledger.incentives_paid,
        1_110.74
    ));
    // A finished auction cannot be taken again.
    assert_eq!(
        dog.take(0, 1, 1.0, 700.0, KEEPER, t),
        Err(MakerRefusal::NotRunningAuction)
    );
}

#[test]
fn test_auction_running_out_of_collateral_leaves_tab_unraised() {
    let mut dog = dog(10_000_000.0);
    let mut v = vault();
    dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    // At 500 s the price is 840 * 0.5 = 420: all 20 ETH raise 8,400 < tab 11,526. The whole lot may
    // be bought (slice == lot skips the chost rule); 3,126 of tab stays unraised and Dirt is released
    // in full (digs(tab + owe)).
    let take = dog.take(0, 1, 25.0, 421.0, KEEPER, T0 + 500).unwrap();
    assert!(close(take.owe, 8_400.0) && take.slice == 20.0 && take.finished);
    assert!(close(take.tab_left, 3_126.0) && take.returned_to_owner == 0.0);
    assert!(close(dog.ledger.tab_unraised, 3_126.0));
    assert!(dog.global_dirt.abs() < 1e-9);
}

#[test]
fn test_redo_after_tail_and_below_cusp() {
    let mut dog = dog(10_000_000.0);
    let mut v = vault();
    dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();

    // At 600 s (dur = tail, not above it) the price is 840 * 0.4 = 336, price/top = 0.4 >= cusp 0.3:
    // still running, and redo is refused.
    assert_eq!(
        dog.redo(0, 1, Some(650.0), T0 + 600),
        Err(MakerRefusal::CannotReset)
    );
    // At 601 s dur > tail: take is refused, redo restarts at top = 650 * 1.2 = 780 and pays
    // 100 + 11,526 * 1% = 215.26 (tab 11,526 >= chost and lot * feed = 13,000 >= chost).
    let t = T0 + 601;
    assert!(dog.status(0, 1, t).unwrap().needs_redo);
    assert_eq!(
        dog.take(0, 1, 1.0, 1e9, KEEPER, t),
        Err(MakerRefusal::NeedsReset)
    );
    let redo = dog.redo(0, 1, Some(650.0), t).unwrap();
    assert!(close(redo.top, 780.0) && close(redo.incentive, 215.26));
    // The restarted auction sells at the new top right away: 1 ETH for 780.
    let take = dog.take(0, 1, 1.0, 780.0, KEEPER, t).unwrap();
    assert!(close(take.price, 780.0) && close(take.owe, 780.0));

    // cusp alone: with tail out of reach and cusp 0.5, the linear curve crosses half of top at
    // dur 500; price/top = 0.5 is not below cusp, 0.499 at dur 501 is.
    let mut config = ilk_config();
    config.clipper.tail = 1_000_000;
    config.clipper.cusp = 0.5;
    let mut dog = DogState::new(10_000_000.0, vec![config]);
    let mut v = vault();
    dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    assert!(!dog.status(0, 1, T0 + 500).unwrap().needs_redo);
    assert!(dog.status(0, 1, T0 + 501).unwrap().needs_redo);
}

#[test]
fn test_redo_of_dusty_auction_pays_no_incentive() {
    let mut dog = dog(10_000_000.0);
    let mut v = vault();
    dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    // Buy down to tab = chost at 672 DAI: 15 ETH owe 10,080, leaving 1,446 >= chost; then 0.5 ETH
    // would owe 336 and leave 1,110 < chost, so it pays 1,446 - 1,130 = 316 and leaves exactly chost.
    dog.take(0, 1, 15.0, 700.0, KEEPER, T0 + 200).unwrap();
    let take = dog.take(0, 1, 0.5, 700.0, KEEPER, T0 + 200).unwrap();
    assert!(close(take.owe, 316.0) && close(take.tab_left, 1_130.0));
    // Governance raises dust: chost = 2,000 * 1.13 = 2,260 > tab 1,130.
    dog.upchost(0, 2_000.0).unwrap();
    // After the tail the redo goes ahead but, the auction being dusty (tab < chost), pays nothing.
    let redo = dog.redo(0, 1, Some(650.0), T0 + 700).unwrap();
    assert_eq!(redo.incentive, 0.0);
}

#[test]
fn test_partial_bark_when_room_is_short() {
    // Round numbers: rate 1.0, chop 1.25, Hole = 5,000 DAI. room = 5,000; dart = 5,000 / 1 / 1.25
    // = 4,000 < art; what remains, 6,000 DAI, is above dust, and so is the auction's 4,000: a partial
    // bark with tab = 4,000 * 1.25 = 5,000 and dink = 20 * 4,000 / 10,000 = 8 ETH.
    let mut config = ilk_config();
    config.chop = 1.25;
    let mut dog = DogState::new(5_000.0, vec![config]);
    let vat = VatIlk { rate: 1.0, ..vat() };
    let mut v = vault();
    let bark = dog.bark(0, &mut v, &vat, Some(700.0), T0).unwrap();
    assert!(bark.partial);
    assert_eq!((bark.dart, bark.dink, bark.tab), (4_000.0, 8.0, 5_000.0));
    assert_eq!((v.ink, v.art), (12.0, 6_000.0));
    // The rest is still unsafe (12 * 466.67 = 5,600 < 6,000) but Dirt = Hole: no room left.
    let mut again = v;
    assert_eq!(
        dog.bark(0, &mut again, &vat, Some(700.0), T0),
        Err(MakerRefusal::LiquidationLimitHit)
    );
    assert_eq!(again, v);
    // Once the auction is bought out, room is back and the rest can be barked.
    dog.take(0, 1, 8.0, 1e9, KEEPER, T0).unwrap();
    assert!(dog.bark(0, &mut again, &vat, Some(700.0), T0).is_ok());
}

#[test]
fn test_bark_dust_rules() {
    // Hole = 11,000: dart = 11,000 / 1.02 / 1.13 = 9,543.5; the rest, 456.5 * 1.02 = 465.6 DAI, would
    // be below dust (1,000): the whole vault goes, tab 11,526 exceeding Hole by 526 (< dust * chop).
    let mut dog_a = dog(11_000.0);
    let mut v = vault();
    let bark = dog_a.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    assert!(!bark.partial && close(bark.tab, 11_526.0));
    assert!(dog_a.global_dirt - dog_a.global_hole <= 1_000.0 * 1.13);

    // Hole = 1,000: dart * rate = 1,000 / 1.13 = 885 DAI < dust: a dusty partial auction is refused.
    let mut dog_b = dog(1_000.0);
    let mut v = vault();
    assert_eq!(
        dog_b.bark(0, &mut v, &vat(), Some(700.0), T0),
        Err(MakerRefusal::DustyAuctionFromPartialLiquidation)
    );
    assert_eq!(v, vault());
}

#[test]
fn test_bark_refusals() {
    let mut dog = dog(10_000_000.0);
    // Safe: 20 ETH * (1,200 / 1.5) = 16,000 >= 10,200.
    let mut v = vault();
    let safe = VatIlk {
        spot: 1_200.0 / 1.5,
        ..vat()
    };
    assert_eq!(
        dog.bark(0, &mut v, &safe, Some(1_200.0), T0),
        Err(MakerRefusal::NotUnsafe)
    );
    assert_eq!(
        dog.bark(0, &mut v, &vat(), None, T0),
        Err(MakerRefusal::InvalidPrice)
    );
    assert_eq!(
        dog.bark(1, &mut v, &vat(), Some(700.0), T0),
        Err(MakerRefusal::UnknownIlk)
    );
    dog.cage();
    assert_eq!(
        dog.bark(0, &mut v, &vat(), Some(700.0), T0),
        Err(MakerRefusal::NotLive)
    );
    assert_eq!(v, vault());
}

#[test]
fn test_stopped_levels() {
    let mut dog = dog(10_000_000.0);
    let mut v = vault();
    dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();

    // Level 1: no new kicks, so bark fails and leaves the vault alone; take and redo still work.
    dog.set_stopped(0, StopLevel::NoKick).unwrap();
    let mut other = vault();
    assert_eq!(
        dog.bark(0, &mut other, &vat(), Some(700.0), T0),
        Err(MakerRefusal::Stopped)
    );
    assert_eq!(other, vault());
    assert!(dog.take(0, 1, 1.0, 1e9, KEEPER, T0 + 10).is_ok());
    assert!(dog.redo(0, 1, Some(700.0), T0 + 700).is_ok()); // past tail

    // Level 2: no redo either.
    dog.set_stopped(0, StopLevel::NoRedo).unwrap();
    assert_eq!(
        dog.redo(0, 1, Some(700.0), T0 + 1_400),
        Err(MakerRefusal::Stopped)
    );
    assert!(dog.take(0, 1, 1.0, 1e9, KEEPER, T0 + 710).is_ok());

    // Level 3: no take either; yank is still allowed.
    dog.set_stopped(0, StopLevel::NoTake).unwrap();
    assert_eq!(
        dog.take(0, 1, 1.0, 1e9, KEEPER, T0 + 720),
        Err(MakerRefusal::Stopped)
    );
    let lot_before = dog.status(0, 1, T0 + 720).unwrap().lot;
    let sale = dog.yank(0, 1).unwrap();
    assert_eq!(sale.lot, lot_before);
    assert!(dog.global_dirt.abs() < 1e-9 && dog.ilks[0].clipper.active.is_empty());
    // Collateral: 20 = sold (2 ETH) + yanked (18 ETH).
    assert!(close(
        dog.ledger.collateral_sold + dog.ledger.collateral_yanked,
        20.0
    ));
}

#[test]
fn test_active_list_swaps_last_into_removed_slot() {
    // Three auctions 1, 2, 3; removing 1 moves 3 into its slot: [3, 2] (Clipper._remove).
    let mut dog = dog(10_000_000.0);
    for _ in 0..3 {
        let mut v = vault();
        dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
    }
    dog.yank(0, 1).unwrap();
    let ids: Vec<u64> = dog.ilks[0].clipper.active.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![3, 2]);
    // Dirt = two tabs of 11,526.
    assert!(close(dog.global_dirt, 23_052.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any sequence of takes keeps: collateral in = sold + returned + left; DAI raised <= tab; Dirt =
    /// sum of live tabs; and the dust rule: after a take the tab is 0, or at least chost, or the lot
    /// ran out (or it was already below chost before, which only a whole-lot purchase can end).
    #[test]
    fn prop_takes_conserve_and_respect_chost(
        amounts in proptest::collection::vec(0.01f64..25.0, 1..12),
        delays in proptest::collection::vec(0u64..120, 1..12),
    ) {
        let mut dog = dog(10_000_000.0);
        let mut v = vault();
        let bark = dog.bark(0, &mut v, &vat(), Some(700.0), T0).unwrap();
        let chost = dog.ilks[0].clipper.chost;
        let mut t = T0;
        for (amt, delay) in amounts.iter().zip(delays.iter().cycle()) {
            t += delay;
            let Some(status) = dog.status(0, 1, t) else { break };
            if status.needs_redo {
                dog.redo(0, 1, Some(700.0), t).unwrap();
            }
            let tab_before = dog.status(0, 1, t).unwrap().tab;
            match dog.take(0, 1, *amt, f64::INFINITY, KEEPER, t) {
                Ok(take) => {
                    prop_assert!(take.owe <= tab_before * (1.0 + 1e-12));
                    prop_assert!(
                        take.tab_left == 0.0
                            || take.lot_left == 0.0
                            || take.tab_left >= chost * (1.0 - 1e-12)
                    );
                }
                Err(MakerRefusal::NoPartialPurchase) => prop_assert!(tab_before <= chost),
                Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
            }
        }
        let live_lot: f64 = dog.ilks[0].clipper.active.iter().map(|s| s.lot).sum();
        let live_tab: f64 = dog.ilks[0].clipper.active.iter().map(|s| s.tab).sum();
        let l = dog.ledger;
        prop_assert!((l.collateral_sold + l.collateral_returned + live_lot - bark.dink).abs() < 1e-9);
        prop_assert!(l.dai_raised <= bark.tab * (1.0 + 1e-12));
        prop_assert!((dog.global_dirt - live_tab).abs() < 1e-6);
        prop_assert!(
            (l.dai_raised + l.tab_unraised + live_tab - bark.tab).abs() < 1e-6
        );
    }
}

// ---------------------------------------------------------------------------
// OSM
// ---------------------------------------------------------------------------

#[test]
fn test_osm_delays_by_one_hop() {
    // Built at t = 1,000 with the source at 100: cur = nxt = 100, zzz = 1000 - 1000 % 3600 = 0.
    let mut osm = OsmOracle::new(OsmOracle::ONE_HOUR, Some(100.0), 1_000);
    assert_eq!(
        (osm.peek(), osm.peep(), osm.zzz),
        (Some(100.0), Some(100.0), 0)
    );
    // The next poke is allowed from zzz + hop = 3,600.
    assert!(!osm.poke(Some(90.0), 3_599));
    assert_eq!(osm.peep(), Some(100.0));
    // t = 3,700: cur <- nxt (100), nxt <- source (90), zzz = 3,600. Protocols still see 100.
    assert!(osm.poke(Some(90.0), 3_700));
    assert_eq!(
        (osm.peek(), osm.peep(), osm.zzz),
        (Some(100.0), Some(90.0), 3_600)
    );
    // Not again before 7,200, however far the source has moved.
    assert!(!osm.poke(Some(50.0), 7_199));
    // t = 7,200: the 90 read an hour ago becomes current; 50 waits.
    assert!(osm.poke(Some(50.0), 7_200));
    assert_eq!((osm.peek(), osm.peep()), (Some(90.0), Some(50.0)));
    // A source without a value poisons nxt, and an hour later cur.
    assert!(osm.poke(None, 10_800));
    assert_eq!((osm.peek(), osm.peep()), (Some(50.0), None));
    assert!(osm.poke(Some(60.0), 14_400));
    assert_eq!(osm.peek(), None);
}

#[test]
fn test_osm_without_initial_value_can_poke_at_once() {
    // No source value at construction: zzz = 0, nothing to read; the first poke is allowed at any
    // time past one hop and only fills nxt.
    let mut osm = OsmOracle::new(OsmOracle::ONE_HOUR, None, 5_000);
    assert_eq!(osm.peek(), None);
    assert!(osm.poke(Some(10.0), 5_000));
    assert_eq!((osm.peek(), osm.peep(), osm.zzz), (None, Some(10.0), 3_600));
}
