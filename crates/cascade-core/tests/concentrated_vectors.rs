//! `cascade_core::concentrated_exact` against Uniswap v3-core's own published values, to the last
//! unit: TickMath, SqrtPriceMath and SwapMath cases from the specs and snapshots, and 240 pool swaps
//! from the pool's swap snapshot (15 pools, 16 swaps each). Then a multi-tick swap checked by hand
//! and properties of the exact pool.
//!
//! The CSV files under `tests/data/` give their source (repository, path, commit, test names) in
//! their `#` header lines. Every expected number in the hand-computed test is derived in the comment
//! next to it; none was obtained by running the code under test.

use std::path::PathBuf;

use cascade_core::concentrated_exact::{
    compute_swap_step, get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, ExactPool,
    Int256, V3Revert, MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK,
};
use proptest::prelude::*;
use ruint::aliases::U256;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// Rows of a reference CSV as (header, records); `#` lines are provenance comments.
fn read_rows(name: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name);
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(&path)
        .unwrap_or_else(|e| panic!("open {name}: {e}"));
    let headers = reader.headers().expect("headers").clone();
    let rows: Vec<_> = reader.records().map(|r| r.expect("csv record")).collect();
    assert!(!rows.is_empty(), "{name} has no rows");
    (headers, rows)
}

/// A named field of a row.
struct Row<'a> {
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, name: &str) -> &str {
        let index = self
            .headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.record.get(index).expect("field").trim()
    }
    fn u256(&self, name: &str) -> U256 {
        u256(self.get(name))
    }
    fn int(&self, name: &str) -> Int256 {
        self.get(name).parse().unwrap()
    }
    fn bool(&self, name: &str) -> bool {
        match self.get(name) {
            "true" => true,
            "false" => false,
            other => panic!("{name} is {other:?}, not a boolean"),
        }
    }
    fn i32(&self, name: &str) -> i32 {
        self.get(name).parse().unwrap()
    }
}

fn rows(name: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    read_rows(name)
}

fn u256(text: &str) -> U256 {
    text.parse()
        .unwrap_or_else(|e| panic!("not an integer {text:?}: {e}"))
}

fn u(x: u128) -> U256 {
    U256::from(x)
}

const Q96: u128 = 1 << 96;

// ---------------------------------------------------------------------------
// TickMath
// ---------------------------------------------------------------------------

#[test]
fn test_tick_math_matches_published_values() {
    let (headers, records) = rows("uniswap_v3_tick_math.csv");
    assert_eq!(records.len(), 51);
    for record in &records {
        let row = Row {
            headers: &headers,
            record,
        };
        let (input, expected) = (row.get("input"), row.get("expected"));
        match row.get("function") {
            "getSqrtRatioAtTick" => {
                let result = get_sqrt_ratio_at_tick(input.parse().unwrap());
                match expected {
                    "revert:T" => assert_eq!(result, Err(V3Revert::TickOutOfRange), "{input}"),
                    value => assert_eq!(result, Ok(u256(value)), "tick {input}"),
                }
            }
            "getTickAtSqrtRatio" => {
                let result = get_tick_at_sqrt_ratio(u256(input));
                match expected {
                    "revert:R" => {
                        assert_eq!(result, Err(V3Revert::SqrtRatioOutOfRange), "{input}")
                    }
                    value => assert_eq!(result, Ok(value.parse().unwrap()), "ratio {input}"),
                }
            }
            other => panic!("unknown function {other}"),
        }
    }
}

#[test]
fn test_min_and_max_sqrt_ratio_constants() {
    // TickMath.MIN_SQRT_RATIO and MAX_SQRT_RATIO as the spec's utilities state them.
    assert_eq!(MIN_SQRT_RATIO, u256("4295128739"));
    assert_eq!(
        MAX_SQRT_RATIO,
        u256("1461446703485210103287273052203988822378723970342")
    );
    assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(MIN_SQRT_RATIO));
    assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK), Ok(MAX_SQRT_RATIO));
}

// ---------------------------------------------------------------------------
// SqrtPriceMath
// ---------------------------------------------------------------------------

#[test]
fn test_sqrt_price_math_matches_published_values() {
    let (headers, records) = rows("uniswap_v3_sqrt_price_math.csv");
    assert_eq!(records.len(), 34);
    for record in &records {
        let row = Row {
            headers: &headers,
            record,
        };
        let case = row.get("case");
        let liquidity: u128 = row.get("liquidity").parse().unwrap();
        let flag = row.bool("flag");
        let price = row.u256("sqrt_price_x96");
        let result = match row.get("function") {
            "getNextSqrtPriceFromInput" => {
                get_next_sqrt_price_from_input(price, liquidity, row.u256("amount"), flag)
            }
            "getNextSqrtPriceFromOutput" => {
                get_next_sqrt_price_from_output(price, liquidity, row.u256("amount"), flag)
            }
            "getAmount0Delta" => {
                get_amount0_delta(price, row.u256("sqrt_price_b_x96"), liquidity, flag)
            }
            "getAmount1Delta" => {
                get_amount1_delta(price, row.u256("sqrt_price_b_x96"), liquidity, flag)
            }
            other => panic!("unknown function {other}"),
        };
        match row.get("expected") {
            "revert" => assert!(result.is_err(), "{case}: {result:?}"),
            value => assert_eq!(result, Ok(u256(value)), "{case}"),
        }
    }
}

#[test]
fn test_amount0_delta_works_for_prices_that_overflow() {
    // SqrtPriceMath.spec.ts "works for prices that overflow": between encodePriceSqrt(2^90, 1) and
    // encodePriceSqrt(2^96, 1) (sqrt prices 2^45 * 2^96 and 2^48 * 2^96, whose product overflows
    // 256 bits), rounding up gives exactly one more than rounding down.
    let a = U256::from(1u8) << 141;
    let b = U256::from(1u8) << 144;
    let liquidity = 1_000_000_000_000_000_000;
    let up = get_amount0_delta(a, b, liquidity, true).unwrap();
    let down = get_amount0_delta(a, b, liquidity, false).unwrap();
    assert_eq!(up, down + u(1));
}

// ---------------------------------------------------------------------------
// SwapMath
// ---------------------------------------------------------------------------

#[test]
fn test_compute_swap_step_matches_published_values() {
    let (headers, records) = rows("uniswap_v3_compute_swap_step.csv");
    assert_eq!(records.len(), 9);
    for record in &records {
        let row = Row {
            headers: &headers,
            record,
        };
        let case = row.get("case");
        let current = row.u256("sqrt_price_x96");
        let target = row.u256("sqrt_price_target_x96");
        let liquidity: u128 = row.get("liquidity").parse().unwrap();
        let remaining = row.int("amount_remaining");
        let fee_pips: u32 = row.get("fee_pips").parse().unwrap();
        let step = compute_swap_step(current, target, liquidity, remaining, fee_pips).unwrap();
        assert_eq!(step.amount_in, row.u256("expected_amount_in"), "{case}");
        assert_eq!(step.amount_out, row.u256("expected_amount_out"), "{case}");
        assert_eq!(step.fee_amount, row.u256("expected_fee_amount"), "{case}");
        match row.get("expected_sqrt_next") {
            "" => {
                // The spec's relation: short of the target, where the whole amount takes the price.
                let zero_for_one = current >= target;
                let expected = if remaining.is_negative() {
                    get_next_sqrt_price_from_output(
                        current,
                        liquidity,
                        remaining.magnitude(),
                        zero_for_one,
                    )
                } else {
                    get_next_sqrt_price_from_input(
                        current,
                        liquidity,
                        remaining.magnitude() - step.fee_amount,
                        zero_for_one,
                    )
                };
                assert_eq!(Ok(step.sqrt_ratio_next_x96), expected, "{case}");
                assert!(step.sqrt_ratio_next_x96 < target, "{case}");
            }
            value => assert_eq!(step.sqrt_ratio_next_x96, u256(value), "{case}"),
        }
        if !remaining.is_negative() {
            assert!(
                step.amount_in + step.fee_amount <= remaining.magnitude(),
                "{case}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// UniswapV3Pool.swap
// ---------------------------------------------------------------------------

/// The pools of `uniswap_v3_pools.csv`, each as built by its rows, with its description.
fn published_pools() -> Vec<(String, String, ExactPool)> {
    let (headers, records) = rows("uniswap_v3_pools.csv");
    let mut pools: Vec<(String, String, ExactPool)> = Vec::new();
    for record in &records {
        let row = Row {
            headers: &headers,
            record,
        };
        let key = row.get("pool");
        if pools.last().is_none_or(|(k, _, _)| k != key) {
            let pool = ExactPool::new(
                row.get("fee_pips").parse().unwrap(),
                row.i32("tick_spacing"),
                row.u256("start_sqrt_price_x96"),
            )
            .unwrap();
            pools.push((key.to_string(), row.get("description").to_string(), pool));
        }
        let pool = &mut pools.last_mut().unwrap().2;
        let liquidity: u128 = row.get("liquidity").parse().unwrap();
        pool.mint(row.i32("tick_lower"), row.i32("tick_upper"), liquidity)
            .unwrap_or_else(|e| panic!("{key}: mint {e}"));
    }
    pools
}

#[test]
fn test_pool_swaps_match_the_published_snapshot() {
    let pools = published_pools();
    assert_eq!(pools.len(), 15);
    let (headers, records) = rows("uniswap_v3_pool_swaps.csv");
    assert_eq!(records.len(), 240);
    let mut n_reverts = 0;
    for record in &records {
        let row = Row {
            headers: &headers,
            record,
        };
        let key = row.get("pool");
        let name = format!("{key}: {}", row.get("swap"));
        let (_, _, fresh) = pools
            .iter()
            .find(|(k, _, _)| k == key)
            .unwrap_or_else(|| panic!("no pool {key}"));
        // The minted pool holds what the snapshot says it held before each swap.
        let before = fresh.balances();
        assert_eq!(before.0, row.u256("amount0_before"), "{name}");
        assert_eq!(before.1, row.u256("amount1_before"), "{name}");
        assert_eq!(fresh.tick(), row.i32("tick_before"), "{name}");

        let mut pool = fresh.clone();
        let result = pool.swap(
            row.bool("zero_for_one"),
            row.int("amount_specified"),
            row.u256("sqrt_price_limit_x96"),
        );
        if row.get("amount0_delta") == "revert:SPL" {
            assert_eq!(result, Err(V3Revert::PriceLimit), "{name}");
            assert_eq!(&pool, fresh, "{name}: a revert changes nothing");
            n_reverts += 1;
            continue;
        }
        let outcome = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outcome.amount0, row.int("amount0_delta"), "{name}");
        assert_eq!(outcome.amount1, row.int("amount1_delta"), "{name}");
        let (growth0, growth1) = pool.fee_growth_global_x128();
        assert_eq!(growth0, row.u256("fee_growth_global0_x128"), "{name}");
        assert_eq!(growth1, row.u256("fee_growth_global1_x128"), "{name}");
        assert_eq!(pool.tick(), row.i32("tick_after"), "{name}");
        // The pool's balances moved by exactly the reported amounts.
        let after = pool.balances();
        assert_eq!(apply(before.0, outcome.amount0), after.0, "{name}");
        assert_eq!(apply(before.1, outcome.amount1), after.1, "{name}");
    }
    assert_eq!(n_reverts, 50);
}

fn apply(balance: U256, delta: Int256) -> U256 {
    if delta.is_negative() {
        balance - delta.magnitude()
    } else {
        balance + delta.magnitude()
    }
}

#[test]
fn test_multi_tick_swap_by_hand() {
    // Fee 0.30% (3000 pips), tick spacing 50, price 1 (tick 0, sqrt price 2^96).
    // Positions: [-100, 100] with L = 1e18 and [-50, 50] with L = 1e18, so L = 2e18 between ticks
    // -50 and 50 and 1e18 between -100 and -50. Sqrt prices (TickMath snapshot): tick -50:
    // P50 = 79030349367926598376800521322; tick -100: 78833030112140176575862854579.
    let mut pool = ExactPool::new(3000, 50, u(Q96)).unwrap();
    pool.mint(-100, 100, 1_000_000_000_000_000_000).unwrap();
    pool.mint(-50, 50, 1_000_000_000_000_000_000).unwrap();
    let before = pool.balances();

    // Sell exactly 6e15 of token0.
    // Step 0: no initialized tick at or below tick 0 in its bitmap word, so the pool steps to the
    //   word's edge, tick 0 itself, at no cost, and moves to tick -1.
    // Step 1: to tick -50 at L = 2e18. Fee-less remainder: floor(6e15 * 997000 / 1e6) = 5.982e15.
    //   d = 2^96 - P50 = 197813146337739216743429014.
    //   Input to reach P50: ceil(ceil(L * 2^96 * d / 2^96) / P50) = ceil(2e18 * d / P50)
    //     = ceil(395626292675478433486858028000000000000000000 / P50) = 5006004602531063 <= 5.982e15,
    //   so the step reaches P50. Output: floor(L * d / 2^96) = 4993505845907373.
    //   Fee: ceil(5006004602531063 * 3000 / 997000) = ceil(15018013807593189000 / 997000)
    //     = 15063203417847.
    //   Tick -50 (lower edge of [-50, 50], liquidityNet +1e18) is crossed downward: L = 1e18.
    // Step 2: remaining 6e15 - 5006004602531063 - 15063203417847 = 978932194051090; fee-less
    //   floor(978932194051090 * 997000 / 1e6) = 975995397468936, short of tick -100, so
    //   next = ceil(L*2^96 * P50 / (L*2^96 + 975995397468936 * P50))
    //     = 78953483526767643275350164346 (between ticks -70 and -69: 1.0001^-69.46).
    //   Input: ceil(ceil(L*2^96 * (P50 - next) / P50) / next) = 975995397468936 (all of it);
    //   output: floor(L * (P50 - next) / 2^96) = floor(1e18 * 76865841158955101450356976 / 2^96)
    //     = 970183312595645; fee: the rest, 978932194051090 - 975995397468936 = 2936796582154.
    // Totals: token0 in 6e15, token1 out 4993505845907373 + 970183312595645 = 5963689158503018;
    //   fees 15063203417847 + 2936796582154 = 18000000000001 (0.30% of 6e15, plus one unit of
    //   rounding up in step 1).
    // Fee growth: floor(15063203417847 * 2^128 / 2e18) + floor(2936796582154 * 2^128 / 1e18)
    //   = 2562871256218273598235134459785361 + 999340092140685428237394952664568
    //   = 3562211348358959026472529412449929.
    let outcome = pool
        .swap(
            true,
            Int256::from_i128(6_000_000_000_000_000),
            MIN_SQRT_RATIO + u(1),
        )
        .unwrap();
    assert_eq!(outcome.amount0, Int256::from_i128(6_000_000_000_000_000));
    assert_eq!(outcome.amount1, Int256::from_i128(-5_963_689_158_503_018));
    assert_eq!(outcome.fee_paid, u(18_000_000_000_001));
    assert_eq!(outcome.ticks_crossed, 1);
    assert_eq!(pool.sqrt_price_x96(), u256("78953483526767643275350164346"));
    assert_eq!(pool.tick(), -70);
    assert_eq!(pool.liquidity(), 1_000_000_000_000_000_000);
    assert_eq!(
        pool.fee_growth_global_x128().0,
        u256("3562211348358959026472529412449929")
    );
    assert_eq!(pool.balances().0, before.0 + u(6_000_000_000_000_000));
    assert_eq!(pool.balances().1, before.1 - u(5_963_689_158_503_018));
}

// ---------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------

/// A pool with a full-range position and up to three narrower ones around tick 0 (spacing 60, fee
/// 0.30%), at a price near tick 0.
fn arbitrary_pool() -> impl Strategy<Value = ExactPool> {
    let position = (1i32..40, 1i32..40, 1u64..1_000_000);
    (
        -3000i32..3000,
        1u64..1_000_000,
        proptest::collection::vec(position, 0..4),
    )
        .prop_map(|(start_tick, full_range, positions)| {
            let start = get_sqrt_ratio_at_tick(start_tick).unwrap() + u(12_345);
            let mut pool = ExactPool::new(3000, 60, start).unwrap();
            let e15 = 1_000_000_000_000_000u128;
            pool.mint(-887_220, 887_220, u128::from(full_range) * e15)
                .unwrap();
            for (below, above, liquidity) in positions {
                pool.mint(-60 * below, 60 * above, u128::from(liquidity) * e15)
                    .unwrap();
            }
            pool
        })
}

fn limit(zero_for_one: bool) -> U256 {
    if zero_for_one {
        MIN_SQRT_RATIO + u(1)
    } else {
        MAX_SQRT_RATIO - u(1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Selling an exact input and then selling everything received back never returns more than was
    /// put in: fees and rounding are always in the pool's favour.
    #[test]
    fn prop_round_trip_never_profits(
        mut pool in arbitrary_pool(),
        zero_for_one: bool,
        amount in 1u128..100_000_000_000_000_000_000,
    ) {
        let first = pool.swap(zero_for_one, Int256::from_i128(amount as i128), limit(zero_for_one)).unwrap();
        let (paid, received) = if zero_for_one {
            (first.amount0, first.amount1)
        } else {
            (first.amount1, first.amount0)
        };
        prop_assert!(!paid.is_negative() && (received.is_negative() || received.is_zero()));
        if received.is_zero() {
            return Ok(());
        }
        let back = pool
            .swap(!zero_for_one, Int256::positive(received.magnitude()).unwrap(), limit(!zero_for_one))
            .unwrap();
        let returned = if zero_for_one { back.amount0 } else { back.amount1 };
        prop_assert!(returned.magnitude() <= paid.magnitude(),
            "paid {paid}, got back {returned}");
    }

    /// Every swap moves the pool's balances by exactly its amounts, exact inputs are taken whole
    /// unless the price limit stops them, exact outputs are never exceeded, and the pool can always
    /// pay every position back (burning all liquidity never needs more than the pool holds).
    #[test]
    fn prop_swaps_conserve_tokens(
        mut pool in arbitrary_pool(),
        swaps in proptest::collection::vec((any::<bool>(), any::<bool>(), 1u128..10_000_000_000_000_000_000), 1..6),
    ) {
        for (zero_for_one, exact_in, amount) in swaps {
            let before = pool.balances();
            let specified = if exact_in {
                Int256::from_i128(amount as i128)
            } else {
                Int256::from_i128(-(amount as i128))
            };
            let Ok(outcome) = pool.swap(zero_for_one, specified, limit(zero_for_one)) else {
                continue;
            };
            let after = pool.balances();
            prop_assert_eq!(apply(before.0, outcome.amount0), after.0);
            prop_assert_eq!(apply(before.1, outcome.amount1), after.1);
            let (input, output) = if zero_for_one {
                (outcome.amount0, outcome.amount1)
            } else {
                (outcome.amount1, outcome.amount0)
            };
            prop_assert!(!input.is_negative());
            prop_assert!(output.is_negative() || output.is_zero());
            prop_assert!(outcome.fee_paid <= input.magnitude());
            if exact_in {
                prop_assert!(input.magnitude() == u(amount) || pool.sqrt_price_x96() == limit(zero_for_one));
            } else {
                prop_assert!(output.magnitude() <= u(amount));
            }
        }
        let positions: Vec<(i32, i32, u128)> = pool.positions().collect();
        for (lower, upper, liquidity) in positions {
            pool.burn(lower, upper, liquidity).unwrap();
        }
        prop_assert_eq!(pool.liquidity(), 0);
        prop_assert_eq!(pool.initialized_ticks().count(), 0);
    }

    /// Selling token0 never raises the price and selling token1 never lowers it; the tick always
    /// brackets the price.
    #[test]
    fn prop_price_moves_in_the_direction_of_the_trade(
        mut pool in arbitrary_pool(),
        swaps in proptest::collection::vec((any::<bool>(), any::<bool>(), 1u128..10_000_000_000_000_000_000), 1..6),
    ) {
        for (zero_for_one, exact_in, amount) in swaps {
            let before = pool.sqrt_price_x96();
            let specified = if exact_in {
                Int256::from_i128(amount as i128)
            } else {
                Int256::from_i128(-(amount as i128))
            };
            if pool.swap(zero_for_one, specified, limit(zero_for_one)).is_err() {
                continue;
            }
            let after = pool.sqrt_price_x96();
            if zero_for_one {
                prop_assert!(after <= before);
            } else {
                prop_assert!(after >= before);
            }
            let tick = pool.tick();
            prop_assert!(get_sqrt_ratio_at_tick(tick).unwrap() <= after);
            // At a tick's price exactly after crossing it downward, the tick below is current.
            prop_assert!(after <= get_sqrt_ratio_at_tick(tick + 1).unwrap());
        }
    }
}
