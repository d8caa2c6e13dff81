//! Differential test of the constant-product venue against the real Uniswap v2 pair
//! (`@uniswap/v2-core` 1.0.1 bytecode, run in revm).
//!
//! A case creates a pair of a base token (6, 8 or 18 decimals) and a quote token (6 or 18
//! decimals) holding $1,000 to $1B at a base price of $0.01 to $100,000, then makes 5 to 10 swaps
//! in random directions, each of 1 base unit to three times the input reserve:
//!
//! * exact input: `cascade_core::exact::uniswap_v2_get_amount_out` (fee 30 bps) must be, to the last
//!   unit, the largest output the pair accepts for the input: the pair pays it, and refuses one
//!   unit more (`UniswapV2: K`, or `INSUFFICIENT_LIQUIDITY` when that is the whole reserve). An
//!   output of zero must be refused, and the pair's reserves after the swap must be the model's.
//!   The `f64` pool the engine runs (`ConstantProductPool::quote_sell` selling base,
//!   `buy_with_quote` buying it) gets the same reserves in token units and must give the same
//!   output within the floor the contract applies: `|f64 - exact| <= 1 base unit + 1e-12 relative`.
//! * exact output: `uniswap_v2_get_amount_in` must be the smallest input the pair accepts for the
//!   output, except where `R_in * out * 1000` is divisible by `(R_out - out) * 997`: there v2's
//!   `floor(x) + 1` is one more than needed, and the pair must accept one unit less.
//!
//! Run with `--nocapture` to see the counts and the largest differences.

use std::cell::Cell;
use std::path::Path;
use std::sync::OnceLock;

use alloy_primitives::U256;
use cascade_core::exact::{uniswap_v2_get_amount_in, uniswap_v2_get_amount_out};
use cascade_core::venue::ConstantProductPool;
use cascade_evm_tests::artifact::ArtifactStore;
use cascade_evm_tests::chain::{Chain, Failure};
use cascade_evm_tests::npm::node_modules;
use cascade_evm_tests::uniswap::{Direction, Pair, UniswapV2};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Base tokens (indices 0..3) and quote tokens (3..5).
const TOKENS: [(&str, u8); 5] = [
    ("BASE6", 6),
    ("BASE8", 8),
    ("BASE18", 18),
    ("QUOTE6", 6),
    ("QUOTE18", 18),
];
/// Uniswap v2's fee, in the exact model's basis points (`997/1000`).
const FEE_BPS: u32 = 30;
const FEE: f64 = 0.003;

fn uniswap() -> &'static UniswapV2 {
    static UNISWAP: OnceLock<UniswapV2> = OnceLock::new();
    UNISWAP.get_or_init(|| {
        let store = ArtifactStore::new(node_modules(Path::new(env!("CARGO_TARGET_TMPDIR"))));
        UniswapV2::deploy(&store, &TOKENS)
    })
}

fn pow10_f64(n: u8) -> f64 {
    10f64.powi(i32::from(n))
}

fn to_f64(x: U256) -> f64 {
    f64::from(x)
}

fn log_uniform(u: f64, lo: f64, hi: f64) -> f64 {
    (lo.ln() + u * (hi.ln() - lo.ln())).exp()
}

#[derive(Debug, Clone, Copy)]
enum Swap {
    /// Input of `share` times the input reserve (at least one unit).
    ExactIn { direction: Direction, share: f64 },
    /// Output of `share` times the output reserve (at least one unit, less than all of it).
    ExactOut { direction: Direction, share: f64 },
}

#[derive(Debug, Clone)]
struct Case {
    base: usize,
    quote: usize,
    /// Base price in quote, and pool size in quote (USD).
    price: f64,
    liquidity: f64,
    swaps: Vec<Swap>,
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::SellBase), Just(Direction::BuyBase)]
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let swap = prop_oneof![
        3 => (direction(), 0.0f64..1.0).prop_map(|(direction, u)| Swap::ExactIn {
            direction,
            share: log_uniform(u, 1e-20, 3.0),
        }),
        1 => (direction(), 0.0f64..1.0).prop_map(|(direction, u)| Swap::ExactOut {
            direction,
            share: log_uniform(u, 1e-20, 0.99),
        }),
    ];
    (
        0usize..3,
        3usize..5,
        0.0f64..1.0,
        0.0f64..1.0,
        prop::collection::vec(swap, 5..=10),
    )
        .prop_map(|(base, quote, price_u, liquidity_u, swaps)| Case {
            base,
            quote,
            price: log_uniform(price_u, 0.01, 100_000.0),
            liquidity: log_uniform(liquidity_u, 1_000.0, 1e9),
            swaps,
        })
}

#[derive(Default)]
struct Counts {
    pools: Cell<u32>,
    exact_in: Cell<u32>,
    sells: Cell<u32>,
    buys: Cell<u32>,
    zero_out: Cell<u32>,
    whole_reserve: Cell<u32>,
    exact_out: Cell<u32>,
    divisible: Cell<u32>,
    /// Largest |f64 - exact| in base units.
    largest_units: Cell<f64>,
    /// Largest (|f64 - exact| - 1 unit) / exact: the difference beyond the contract's floor.
    largest_beyond_floor: Cell<f64>,
    /// Largest |f64 - exact| / exact over outputs of at least 1e9 base units.
    largest_relative: Cell<f64>,
}

fn bump(cell: &Cell<u32>) {
    cell.set(cell.get() + 1);
}

fn bump_max(cell: &Cell<f64>, value: f64) {
    cell.set(cell.get().max(value));
}

fn refused(result: &Result<(), Failure>, allowed: &[&str]) -> bool {
    matches!(result, Err(Failure::Reason(reason)) if allowed.contains(&reason.as_str()))
}

/// The f64 pool's output for `amount_in` base units at the pair's reserves, in base units.
fn f64_output(case: &Case, direction: Direction, reserves: (U256, U256), amount_in: U256) -> f64 {
    let base_unit = pow10_f64(TOKENS[case.base].1);
    let quote_unit = pow10_f64(TOKENS[case.quote].1);
    let (base, quote) = match direction {
        Direction::SellBase => (reserves.0, reserves.1),
        Direction::BuyBase => (reserves.1, reserves.0),
    };
    let mut pool = ConstantProductPool {
        reserve_base: to_f64(base) / base_unit,
        reserve_quote: to_f64(quote) / quote_unit,
        fee: FEE,
    };
    match direction {
        Direction::SellBase => {
            pool.quote_sell(to_f64(amount_in) / base_unit)
                .quote_received
                * quote_unit
        }
        Direction::BuyBase => pool.buy_with_quote(to_f64(amount_in) / quote_unit) * base_unit,
    }
}

fn exact_in(
    case: &Case,
    chain: &mut Chain,
    pair: &Pair,
    direction: Direction,
    amount_in: U256,
    counts: &Counts,
) -> Result<(), TestCaseError> {
    bump(&counts.exact_in);
    bump(if direction == Direction::SellBase {
        &counts.sells
    } else {
        &counts.buys
    });
    let (r_in, r_out) = pair.reserves_for(chain, direction);
    let out = uniswap_v2_get_amount_out(amount_in, r_in, r_out, FEE_BPS)
        .expect("non-zero input and reserves");
    pair.send_input(chain, direction, amount_in);
    let one_more = pair.swap(chain, direction, out + U256::from(1u8));
    prop_assert!(
        refused(
            &one_more,
            &["UniswapV2: K", "UniswapV2: INSUFFICIENT_LIQUIDITY"]
        ),
        "the pair paid {} + 1 for {} in at reserves ({}, {}): {:?}, {:?}",
        out,
        amount_in,
        r_in,
        r_out,
        one_more,
        case
    );
    if out + U256::from(1u8) == r_out {
        bump(&counts.whole_reserve);
    }
    if out.is_zero() {
        bump(&counts.zero_out);
        let nothing = pair.swap(chain, direction, U256::ZERO);
        prop_assert!(refused(
            &nothing,
            &["UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"]
        ));
        // The input stays in the pair as a donation; let the reserves take it.
        pair.sync(chain);
    } else {
        let result = pair.swap(chain, direction, out);
        prop_assert!(
            result.is_ok(),
            "the pair refused {} for {} in: {:?}, {:?}",
            out,
            amount_in,
            result,
            case
        );
    }
    prop_assert_eq!(
        pair.reserves_for(chain, direction),
        (r_in + amount_in, r_out - out),
        "reserves after the swap, {:?}",
        case
    );

    let f64_out = f64_output(case, direction, (r_in, r_out), amount_in);
    let exact = to_f64(out);
    let diff = (f64_out - exact).abs();
    prop_assert!(
        diff <= 1.0 + 1e-12 * exact,
        "f64 output {} vs exact {} for {} in at ({}, {}), {:?}",
        f64_out,
        exact,
        amount_in,
        r_in,
        r_out,
        case
    );
    bump_max(&counts.largest_units, diff);
    if exact > 0.0 {
        bump_max(&counts.largest_beyond_floor, (diff - 1.0).max(0.0) / exact);
    }
    if exact >= 1e9 {
        bump_max(&counts.largest_relative, diff / exact);
    }
    Ok(())
}

fn exact_out(
    case: &Case,
    chain: &mut Chain,
    pair: &Pair,
    direction: Direction,
    amount_out: U256,
    counts: &Counts,
) -> Result<(), TestCaseError> {
    bump(&counts.exact_out);
    let (r_in, r_out) = pair.reserves_for(chain, direction);
    let amount_in = uniswap_v2_get_amount_in(amount_out, r_in, r_out, FEE_BPS)
        .expect("output below the reserve");
    // v2's getAmountIn is floor(x) + 1 with x = R_in * out * 1000 / ((R_out - out) * 997): one more
    // than needed when x is an integer.
    let divisible = (r_in * amount_out * U256::from(1000u16))
        % ((r_out - amount_out) * U256::from(997u16))
        == U256::ZERO;
    let one_less = amount_in - U256::from(1u8);
    pair.send_input(chain, direction, one_less);
    let result = pair.swap(chain, direction, amount_out);
    let paid = if divisible {
        bump(&counts.divisible);
        prop_assert!(result.is_ok(), "{:?} with an integer x, {:?}", result, case);
        one_less
    } else {
        prop_assert!(
            refused(
                &result,
                &["UniswapV2: K", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"]
            ),
            "the pair gave {} for {} - 1 in at ({}, {}): {:?}, {:?}",
            amount_out,
            amount_in,
            r_in,
            r_out,
            result,
            case
        );
        pair.send_input(chain, direction, U256::from(1u8));
        let result = pair.swap(chain, direction, amount_out);
        prop_assert!(
            result.is_ok(),
            "the pair refused {} for {} in: {:?}, {:?}",
            amount_out,
            amount_in,
            result,
            case
        );
        amount_in
    };
    prop_assert_eq!(
        pair.reserves_for(chain, direction),
        (r_in + paid, r_out - amount_out),
        "reserves after the swap, {:?}",
        case
    );
    Ok(())
}

fn check_case(case: &Case, counts: &Counts) -> Result<(), TestCaseError> {
    bump(&counts.pools);
    let uniswap = uniswap();
    let mut chain = uniswap.fork();
    let (base_decimals, quote_decimals) = (TOKENS[case.base].1, TOKENS[case.quote].1);
    let base_reserve = (case.liquidity / 2.0 / case.price * pow10_f64(base_decimals)).round();
    let quote_reserve = (case.liquidity / 2.0 * pow10_f64(quote_decimals)).round();
    let pair = uniswap.create_pair(
        &mut chain,
        case.base,
        case.quote,
        U256::from(base_reserve as u128),
        U256::from(quote_reserve as u128),
    );
    for swap in &case.swaps {
        match *swap {
            Swap::ExactIn { direction, share } => {
                let (r_in, _) = pair.reserves_for(&mut chain, direction);
                let amount_in = U256::from(((to_f64(r_in) * share).round() as u128).max(1));
                exact_in(case, &mut chain, &pair, direction, amount_in, counts)?;
            }
            Swap::ExactOut { direction, share } => {
                let (_, r_out) = pair.reserves_for(&mut chain, direction);
                let amount_out = U256::from(((to_f64(r_out) * share).floor() as u128).max(1));
                if amount_out >= r_out {
                    continue;
                }
                exact_out(case, &mut chain, &pair, direction, amount_out, counts)?;
            }
        }
    }
    Ok(())
}

#[test]
fn test_swaps_match_the_uniswap_v2_pair() {
    let counts = Counts::default();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 400,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]),
    );
    runner
        .run(&case_strategy(), |case| check_case(&case, &counts))
        .unwrap();
    eprintln!(
        "{} pools, {} exact-input swaps ({} selling base, {} buying it; {} with a zero output, {} \
         taking all but one unit), {} exact-output swaps ({} where getAmountIn is one above the \
         minimum); exact model = pair in every swap; f64 pool vs pair: largest difference {:.3} \
         base units, {:.3e} relative over outputs of at least 1e9 units, {:.3e} relative beyond \
         the floor",
        counts.pools.get(),
        counts.exact_in.get(),
        counts.sells.get(),
        counts.buys.get(),
        counts.zero_out.get(),
        counts.whole_reserve.get(),
        counts.exact_out.get(),
        counts.divisible.get(),
        counts.largest_units.get(),
        counts.largest_relative.get(),
        counts.largest_beyond_floor.get(),
    );
    assert!(counts.exact_in.get() >= 1_500);
    assert!(counts.sells.get() >= 500 && counts.buys.get() >= 500);
    assert!(counts.zero_out.get() >= 20);
    assert!(counts.exact_out.get() >= 500);
}

/// The reference vectors from Uniswap's own tests (`getInputPrice` cases of
/// `UniswapV2Pair.spec.ts`), replayed on the pair: the expected output is paid, one unit more is
/// refused.
#[test]
fn test_reference_vectors_on_the_pair() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/uniswap_v2_get_amount_out.csv");
    let text = std::fs::read_to_string(&path).expect("vector file");
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("amount_in,reserve_in,reserve_out,expected_amount_out")
    );
    let uniswap = uniswap();
    let mut n_rows = 0;
    for line in lines {
        let fields: Vec<U256> = line
            .split(',')
            .map(|field| field.parse().expect("an integer"))
            .collect();
        let [amount_in, reserve_in, reserve_out, expected] = fields[..] else {
            panic!("four fields in {line:?}");
        };
        let mut chain = uniswap.fork();
        // BASE18 / QUOTE18: the vectors are in wei.
        let pair = uniswap.create_pair(&mut chain, 2, 4, reserve_in, reserve_out);
        pair.send_input(&mut chain, Direction::SellBase, amount_in);
        assert!(refused(
            &pair.swap(&mut chain, Direction::SellBase, expected + U256::from(1u8)),
            &["UniswapV2: K"]
        ));
        assert_eq!(pair.swap(&mut chain, Direction::SellBase, expected), Ok(()));
        n_rows += 1;
    }
    assert_eq!(n_rows, 7);
}

/// Where `x = R_in * out * 1000 / ((R_out - out) * 997)` is an integer, v2's `getAmountIn`
/// (`floor(x) + 1`) asks one unit more than the pair needs. Reserves 997e6 / 2e6 and an output of
/// 1e6: x = 997e6 * 1e6 * 1000 / (1e6 * 997) = 1e9 exactly, getAmountIn = 1e9 + 1, and the pair pays
/// 1e6 for 1e9.
#[test]
fn test_get_amount_in_is_one_above_the_minimum_when_x_is_an_integer() {
    let uniswap = uniswap();
    let mut chain = uniswap.fork();
    let pair = uniswap.create_pair(
        &mut chain,
        2,
        4,
        U256::from(997_000_000u64),
        U256::from(2_000_000u64),
    );
    let amount_out = U256::from(1_000_000u64);
    assert_eq!(
        uniswap_v2_get_amount_in(
            amount_out,
            U256::from(997_000_000u64),
            U256::from(2_000_000u64),
            FEE_BPS
        ),
        Some(U256::from(1_000_000_001u64))
    );
    let case = Case {
        base: 2,
        quote: 4,
        price: 1.0,
        liquidity: 0.0,
        swaps: Vec::new(),
    };
    let counts = Counts::default();
    exact_out(
        &case,
        &mut chain,
        &pair,
        Direction::SellBase,
        amount_out,
        &counts,
    )
    .unwrap();
    assert_eq!(counts.divisible.get(), 1);
}
