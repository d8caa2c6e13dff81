//! Uniswap v3 concentrated liquidity in the contracts' integer arithmetic.
//!
//! The reference the f64 venue ([`crate::concentrated::ConcentratedLiquidityPool`]) is tested
//! against, in the style of [`crate::exact`]: unsigned 256-bit integers, the same rounding
//! direction at every step, and the same points at which the contracts revert (here an
//! [`Err(V3Revert)`](V3Revert) instead). It covers, from Uniswap v3-core (the 0.7.6 release and
//! its 0.8 port share this arithmetic):
//!
//! * `TickMath`: [`get_sqrt_ratio_at_tick`], [`get_tick_at_sqrt_ratio`];
//! * `FullMath`: [`mul_div`], [`mul_div_rounding_up`] (512-bit intermediate product);
//! * `SqrtPriceMath`: [`get_amount0_delta`], [`get_amount1_delta`] (both roundings and the signed
//!   helpers), [`get_next_sqrt_price_from_input`], [`get_next_sqrt_price_from_output`];
//! * `SwapMath`: [`compute_swap_step`];
//! * `UniswapV3Pool`: [`ExactPool`] with `initialize`, `mint`, `burn` and `swap`, crossing
//!   initialized ticks exactly as the pool does, including the pool's stepping to the edge of a
//!   256-tick bitmap word (`TickBitmap.nextInitializedTickWithinOneWord`), which splits a swap into
//!   steps and therefore matters for rounding.
//!
//! Left out: the price oracle (observations), the protocol fee, per-position fee accounting
//! (`tokensOwed`), flash loans and callbacks. The pool's `feeGrowthGlobal` counters are kept because
//! they check the fee of every step against the published swap results.
//!
//! Units: sqrt prices are Q64.96 fixed point (`sqrt(token1/token0) * 2^96`, held in a `U256` but
//! always below 2^160), liquidity is `u128` (`int128` for deltas), amounts are token base units, fees
//! are in pips (hundredths of a basis point: 3000 = 0.30%).
//!
//! Written from the formulas and the contracts' rounding rules; the tick-to-price constants are the
//! published ones (each is `2^128 / sqrt(1.0001)^(2^i)`, checked in the tests below), because the
//! last unit of every result depends on them. [`get_tick_at_sqrt_ratio`] is computed differently from
//! the contract (a floating-point estimate corrected by exact comparisons) but returns, by definition,
//! the same tick: the greatest one whose sqrt ratio does not exceed the input.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ruint::aliases::{U256, U512};

/// `TickMath.MIN_TICK`: log base sqrt(1.0001) of 2^-128, rounded toward zero.
pub const MIN_TICK: i32 = -887_272;
/// `TickMath.MAX_TICK`.
pub const MAX_TICK: i32 = -MIN_TICK;
/// `TickMath.MIN_SQRT_RATIO` = `get_sqrt_ratio_at_tick(MIN_TICK)` = 4295128739.
pub const MIN_SQRT_RATIO: U256 = U256::from_limbs([4_295_128_739, 0, 0, 0]);
/// `TickMath.MAX_SQRT_RATIO` = `get_sqrt_ratio_at_tick(MAX_TICK)`
/// = 1461446703485210103287273052203988822378723970342.
pub const MAX_SQRT_RATIO: U256 =
    U256::from_limbs([0x5d95_1d52_6398_8d26, 0xefd1_fc6a_5064_8849, 0xfffd_8963, 0]);
/// Fees are in pips: 1,000,000 = 100%.
pub const FEE_DENOMINATOR: u32 = 1_000_000;

/// Bits of the fractional part of a Q64.96 sqrt price.
const RESOLUTION: usize = 96;
/// A sqrt price is a `uint160`.
const SQRT_PRICE_BITS: usize = 160;

/// Why a v3 contract would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V3Revert {
    /// `T`: the tick is outside [`MIN_TICK`, `MAX_TICK`].
    TickOutOfRange,
    /// `R`: the sqrt price is outside [`MIN_SQRT_RATIO`, `MAX_SQRT_RATIO`).
    SqrtRatioOutOfRange,
    /// A bare revert of the math libraries: a `FullMath` result above 2^256 - 1 or a zero
    /// denominator, a checked add or subtraction, a `SafeCast` to `uint160`/`int256` that does not
    /// fit, or a price that would leave the `uint160` range.
    Arithmetic,
    /// `require(sqrtPX96 > 0)` / `require(sqrtRatioAX96 > 0)` in `SqrtPriceMath`.
    ZeroPrice,
    /// `require(liquidity > 0)` in `SqrtPriceMath`.
    ZeroLiquidity,
    /// An exact output at or beyond the virtual reserves of the range (the `require` in
    /// `getNextSqrtPriceFromAmount0RoundingUp`/`Amount1RoundingDown` when removing).
    InsufficientReserves,
    /// `AS`: a swap of amount zero.
    AmountZero,
    /// `SPL`: the price limit is on the wrong side of the current price or beyond the bounds.
    PriceLimit,
    /// `TLU`/`TLM`/`TUM`, or a tick that is not a multiple of the tick spacing.
    InvalidTicks,
    /// `LO`: the gross liquidity referencing a tick would exceed `maxLiquidityPerTick`.
    LiquidityPerTickOverflow,
    /// `LS`/`LA`/`NP`: a liquidity addition overflowed, or a burn exceeds the position.
    LiquidityUnderflowOrOverflow,
    /// The pool was given an invalid fee (at least 100%) or tick spacing (outside 1..=16384).
    InvalidPoolParameters,
}

impl fmt::Display for V3Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            V3Revert::TickOutOfRange => "tick out of range (T)",
            V3Revert::SqrtRatioOutOfRange => "sqrt price out of range (R)",
            V3Revert::Arithmetic => "arithmetic overflow, underflow or division by zero",
            V3Revert::ZeroPrice => "sqrt price is zero",
            V3Revert::ZeroLiquidity => "liquidity is zero",
            V3Revert::InsufficientReserves => "output at or beyond the virtual reserves",
            V3Revert::AmountZero => "swap amount is zero (AS)",
            V3Revert::PriceLimit => "price limit on the wrong side or out of bounds (SPL)",
            V3Revert::InvalidTicks => "invalid position ticks (TLU/TLM/TUM or spacing)",
            V3Revert::LiquidityPerTickOverflow => "liquidity per tick above the maximum (LO)",
            V3Revert::LiquidityUnderflowOrOverflow => "liquidity under- or overflow (LS/LA/NP)",
            V3Revert::InvalidPoolParameters => "invalid fee or tick spacing",
        };
        f.write_str(message)
    }
}

impl std::error::Error for V3Revert {}

type V3Result<T> = Result<T, V3Revert>;

// ---------------------------------------------------------------------------
// int256
// ---------------------------------------------------------------------------

/// A Solidity `int256` as a sign and a magnitude (ruint has no signed type). Zero is never
/// negative. Used for `amountSpecified` (positive: exact input; negative: exact output) and for the
/// pool's balance deltas (positive: paid to the pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Int256 {
    negative: bool,
    magnitude: U256,
}

impl Int256 {
    pub const ZERO: Int256 = Int256 {
        negative: false,
        magnitude: U256::ZERO,
    };
    /// `type(int256).max` = 2^255 - 1.
    pub const MAX: Int256 = Int256 {
        negative: false,
        magnitude: U256::from_limbs([u64::MAX, u64::MAX, u64::MAX, u64::MAX >> 1]),
    };

    /// `+magnitude`; `None` above `int256` max.
    pub fn positive(magnitude: U256) -> Option<Int256> {
        (magnitude <= Self::MAX.magnitude).then_some(Int256 {
            negative: false,
            magnitude,
        })
    }

    /// `-magnitude`; `None` below `int256` min (-2^255).
    pub fn negative(magnitude: U256) -> Option<Int256> {
        (magnitude <= Self::MAX.magnitude + U256::from(1u8)).then_some(Int256 {
            negative: !magnitude.is_zero(),
            magnitude,
        })
    }

    pub fn from_i128(value: i128) -> Int256 {
        Int256 {
            negative: value < 0,
            magnitude: U256::from(value.unsigned_abs()),
        }
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn is_zero(&self) -> bool {
        self.magnitude.is_zero()
    }

    pub fn magnitude(&self) -> U256 {
        self.magnitude
    }
}

impl fmt::Display for Int256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{}", self.magnitude)
    }
}

impl FromStr for Int256 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let magnitude: U256 = digits
            .parse()
            .map_err(|e| format!("not an integer {text:?}: {e}"))?;
        let value = if negative {
            Int256::negative(magnitude)
        } else {
            Int256::positive(magnitude)
        };
        value.ok_or_else(|| format!("{text} does not fit in an int256"))
    }
}

// ---------------------------------------------------------------------------
// FullMath
// ---------------------------------------------------------------------------

/// `FullMath.mulDiv`: `floor(a * b / denominator)` with a 512-bit product; reverts when the
/// denominator is zero or the result does not fit in 256 bits.
pub fn mul_div(a: U256, b: U256, denominator: U256) -> V3Result<U256> {
    mul_div_rem(a, b, denominator).map(|(quotient, _)| quotient)
}

/// `FullMath.mulDivRoundingUp`: `ceil(a * b / denominator)`; same reverts, and a revert when
/// rounding up passes 2^256 - 1.
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> V3Result<U256> {
    let (quotient, remainder_is_zero) = mul_div_rem(a, b, denominator)?;
    if remainder_is_zero {
        Ok(quotient)
    } else {
        quotient
            .checked_add(U256::from(1u8))
            .ok_or(V3Revert::Arithmetic)
    }
}

/// Quotient of `a * b / denominator` and whether the division was exact.
fn mul_div_rem(a: U256, b: U256, denominator: U256) -> V3Result<(U256, bool)> {
    if denominator.is_zero() {
        return Err(V3Revert::Arithmetic);
    }
    if let Some(product) = a.checked_mul(b) {
        let (quotient, remainder) = product.div_rem(denominator);
        return Ok((quotient, remainder.is_zero()));
    }
    let (quotient, remainder) = (U512::from(a) * U512::from(b)).div_rem(U512::from(denominator));
    if quotient.bit_len() > 256 {
        return Err(V3Revert::Arithmetic);
    }
    let quotient: U256 = quotient.wrapping_to();
    Ok((quotient, remainder.is_zero()))
}

/// `UnsafeMath.divRoundingUp`, with the EVM's `div`/`mod` by zero giving zero.
fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let (quotient, remainder) = x.div_rem(y);
    if remainder.is_zero() {
        quotient
    } else {
        quotient + U256::from(1u8)
    }
}

fn add(a: U256, b: U256) -> V3Result<U256> {
    a.checked_add(b).ok_or(V3Revert::Arithmetic)
}

fn sub(a: U256, b: U256) -> V3Result<U256> {
    a.checked_sub(b).ok_or(V3Revert::Arithmetic)
}

/// `SafeCast.toUint160`.
fn to_uint160(value: U256) -> V3Result<U256> {
    if value.bit_len() <= SQRT_PRICE_BITS {
        Ok(value)
    } else {
        Err(V3Revert::Arithmetic)
    }
}

// ---------------------------------------------------------------------------
// TickMath
// ---------------------------------------------------------------------------

/// `2^128 / sqrt(1.0001)^(2^i)` for i = 0..19, as `TickMath` rounds them (Q128.128).
const SQRT_RATIO_FACTORS: [u128; 20] = [
    0xfffc_b933_bd6f_ad37_aa2d_162d_1a59_4001,
    0xfff9_7272_373d_4132_59a4_6990_580e_213a,
    0xfff2_e50f_5f65_6932_ef12_357c_f3c7_fdcc,
    0xffe5_caca_7e10_e4e6_1c36_24ea_a094_1cd0,
    0xffcb_9843_d60f_6159_c9db_5883_5c92_6644,
    0xff97_3b41_fa98_c081_472e_6896_dfb2_54c0,
    0xff2e_a164_66c9_6a38_43ec_78b3_26b5_2861,
    0xfe5d_ee04_6a99_a2a8_11c4_61f1_969c_3053,
    0xfcbe_86c7_900a_88ae_dcff_c83b_479a_a3a4,
    0xf987_a725_3ac4_1317_6f2b_074c_f781_5e54,
    0xf339_2b08_22b7_0005_940c_7a39_8e4b_70f3,
    0xe715_9475_a2c2_9b74_43b2_9c7f_a6e8_89d9,
    0xd097_f3bd_fd20_22b8_845a_d8f7_92aa_5825,
    0xa9f7_4646_2d87_0fdf_8a65_dc1f_90e0_61e5,
    0x70d8_69a1_56d2_a1b8_90bb_3df6_2baf_32f7,
    0x31be_135f_97d0_8fd9_8123_1505_542f_cfa6,
    0x09aa_508b_5b7a_84e1_c677_de54_f3e9_9bc9,
    0x005d_6af8_dedb_8119_6699_c329_225e_e604,
    0x0000_2216_e584_f5fa_1ea9_2604_1bed_fe98,
    0x0000_0000_048a_1703_91f7_dc42_444e_8fa2,
];

/// `TickMath.getSqrtRatioAtTick`: `sqrt(1.0001^tick) * 2^96`, rounded up to the Q64.96 grid.
///
/// `1.0001^(-|tick|/2)` is the product of the factors of the set bits of `|tick|`, each product
/// truncated to Q128.128; a positive tick takes the reciprocal as `(2^256 - 1) / ratio`.
pub fn get_sqrt_ratio_at_tick(tick: i32) -> V3Result<U256> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK as u32 {
        return Err(V3Revert::TickOutOfRange);
    }
    let mut ratio = U256::from(1u8) << 128;
    for (bit, factor) in SQRT_RATIO_FACTORS.iter().enumerate() {
        if abs_tick & (1 << bit) != 0 {
            // ratio <= 2^128 and factor < 2^128: the product fits in 256 bits.
            ratio = (ratio * U256::from(*factor)) >> 128;
        }
    }
    if tick > 0 {
        ratio = U256::MAX / ratio;
    }
    // Q128.128 to Q64.96, rounding up so that get_tick_at_sqrt_ratio of the result is the tick.
    let low_bits: U256 = ratio & U256::from(u32::MAX);
    let sqrt_ratio = (ratio >> 32) + U256::from(u8::from(!low_bits.is_zero()));
    Ok(sqrt_ratio)
}

/// `TickMath.getTickAtSqrtRatio`: the greatest tick whose sqrt ratio is at most `sqrt_price_x96`.
///
/// Requires `MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO` (`R`). Computed as a logarithm in
/// `f64` (off by at most a tick or two) and corrected by exact comparisons with
/// [`get_sqrt_ratio_at_tick`], which is strictly increasing.
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> V3Result<i32> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(V3Revert::SqrtRatioOutOfRange);
    }
    // tick = log_{sqrt(1.0001)}(sqrt_price / 2^96) = 2 * (log2(sqrt_price) - 96) / log2(1.0001).
    let log2_ratio = f64::from(sqrt_price_x96).log2() - RESOLUTION as f64;
    let estimate = (2.0 * log2_ratio / 1.0001_f64.log2()).floor();
    let mut tick = (estimate as i32).clamp(MIN_TICK, MAX_TICK - 1);
    while tick < MAX_TICK - 1 && get_sqrt_ratio_at_tick(tick + 1)? <= sqrt_price_x96 {
        tick += 1;
    }
    while get_sqrt_ratio_at_tick(tick)? > sqrt_price_x96 {
        tick -= 1;
    }
    Ok(tick)
}

// ---------------------------------------------------------------------------
// SqrtPriceMath
// ---------------------------------------------------------------------------

/// The price after adding (`add`) or removing `amount` of token0 at constant liquidity:
/// `L * sqrtP / (L ± amount * sqrtP)`, rounded up (`getNextSqrtPriceFromAmount0RoundingUp`).
///
/// When `amount * sqrtP` overflows on the adding side, the contract uses the equivalent
/// `L / (L / sqrtP + amount)` (less precise, also rounded up); this does the same.
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add_amount: bool,
) -> V3Result<U256> {
    if amount.is_zero() {
        return Ok(sqrt_price_x96);
    }
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let product = amount.checked_mul(sqrt_price_x96);
    if add_amount {
        if let Some(denominator) = product.and_then(|p| numerator1.checked_add(p)) {
            // Below sqrt_price_x96, so it fits in 160 bits.
            return mul_div_rounding_up(numerator1, sqrt_price_x96, denominator);
        }
        let quotient = numerator1
            .checked_div(sqrt_price_x96)
            .ok_or(V3Revert::Arithmetic)?;
        let denominator = add(quotient, amount)?;
        Ok(div_rounding_up(numerator1, denominator))
    } else {
        let product = product.ok_or(V3Revert::InsufficientReserves)?;
        if numerator1 <= product {
            return Err(V3Revert::InsufficientReserves);
        }
        to_uint160(mul_div_rounding_up(
            numerator1,
            sqrt_price_x96,
            numerator1 - product,
        )?)
    }
}

/// The price after adding or removing `amount` of token1: `sqrtP ± amount / L`, rounded down
/// (`getNextSqrtPriceFromAmount1RoundingDown`: the quotient is floored when adding and ceiled when
/// removing).
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add_amount: bool,
) -> V3Result<U256> {
    let liquidity = U256::from(liquidity);
    let q96 = U256::from(1u8) << RESOLUTION;
    let fits_shift = amount.bit_len() <= SQRT_PRICE_BITS;
    if add_amount {
        let quotient = if fits_shift {
            (amount << RESOLUTION)
                .checked_div(liquidity)
                .ok_or(V3Revert::Arithmetic)?
        } else {
            mul_div(amount, q96, liquidity)?
        };
        to_uint160(add(sqrt_price_x96, quotient)?)
    } else {
        let quotient = if fits_shift {
            div_rounding_up(amount << RESOLUTION, liquidity)
        } else {
            mul_div_rounding_up(amount, q96, liquidity)?
        };
        if sqrt_price_x96 <= quotient {
            return Err(V3Revert::InsufficientReserves);
        }
        Ok(sqrt_price_x96 - quotient)
    }
}

/// `getNextSqrtPriceFromInput`: the price after `amount_in` of token0 (`zero_for_one`, price down)
/// or token1 (price up) enters, rounded so as not to pass the target.
pub fn get_next_sqrt_price_from_input(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> V3Result<U256> {
    check_price_and_liquidity(sqrt_price_x96, liquidity)?;
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_in, true)
    }
}

/// `getNextSqrtPriceFromOutput`: the price after `amount_out` of token1 (`zero_for_one`, price
/// down) or token0 (price up) leaves, rounded so as to pass the target.
pub fn get_next_sqrt_price_from_output(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> V3Result<U256> {
    check_price_and_liquidity(sqrt_price_x96, liquidity)?;
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_out, false)
    }
}

fn check_price_and_liquidity(sqrt_price_x96: U256, liquidity: u128) -> V3Result<()> {
    if sqrt_price_x96.is_zero() {
        Err(V3Revert::ZeroPrice)
    } else if liquidity == 0 {
        Err(V3Revert::ZeroLiquidity)
    } else {
        Ok(())
    }
}

/// `getAmount0Delta`: token0 between two sqrt prices at liquidity `L`,
/// `L * 2^96 * (sqrtB - sqrtA) / sqrtB / sqrtA`, in either order of the prices, rounded up or down.
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> V3Result<U256> {
    let (lower, upper) = ordered(sqrt_ratio_a_x96, sqrt_ratio_b_x96);
    if lower.is_zero() {
        return Err(V3Revert::ZeroPrice);
    }
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let numerator2 = upper - lower;
    if round_up {
        let scaled = mul_div_rounding_up(numerator1, numerator2, upper)?;
        Ok(div_rounding_up(scaled, lower))
    } else {
        Ok(mul_div(numerator1, numerator2, upper)? / lower)
    }
}

/// `getAmount1Delta`: token1 between two sqrt prices, `L * (sqrtB - sqrtA) / 2^96`, rounded up or
/// down.
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> V3Result<U256> {
    let (lower, upper) = ordered(sqrt_ratio_a_x96, sqrt_ratio_b_x96);
    let q96 = U256::from(1u8) << RESOLUTION;
    let liquidity = U256::from(liquidity);
    if round_up {
        mul_div_rounding_up(liquidity, upper - lower, q96)
    } else {
        mul_div(liquidity, upper - lower, q96)
    }
}

/// The signed `getAmount0Delta(int128)`: what a liquidity change owes the pool (rounded up, for a
/// deposit) or the pool pays out (rounded down and negative, for a withdrawal).
pub fn get_amount0_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> V3Result<Int256> {
    let amount = get_amount0_delta(
        sqrt_ratio_a_x96,
        sqrt_ratio_b_x96,
        liquidity.unsigned_abs(),
        liquidity >= 0,
    )?;
    signed(amount, liquidity < 0)
}

/// The signed `getAmount1Delta(int128)`; see [`get_amount0_delta_signed`].
pub fn get_amount1_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> V3Result<Int256> {
    let amount = get_amount1_delta(
        sqrt_ratio_a_x96,
        sqrt_ratio_b_x96,
        liquidity.unsigned_abs(),
        liquidity >= 0,
    )?;
    signed(amount, liquidity < 0)
}

/// `SafeCast.toInt256`, then negated when asked (the contracts cast before negating, so the
/// magnitude is limited to 2^255 - 1 on both sides).
fn signed(amount: U256, negative: bool) -> V3Result<Int256> {
    let value = Int256::positive(amount).ok_or(V3Revert::Arithmetic)?;
    Ok(if negative {
        Int256::negative(value.magnitude).expect("a positive int256 negates")
    } else {
        value
    })
}

fn ordered(a: U256, b: U256) -> (U256, U256) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

// ---------------------------------------------------------------------------
// SwapMath
// ---------------------------------------------------------------------------

/// The result of [`compute_swap_step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapStep {
    /// Where the step leaves the price (never beyond the target).
    pub sqrt_ratio_next_x96: U256,
    /// Input taken by the curve, fee excluded.
    pub amount_in: U256,
    pub amount_out: U256,
    /// Fee taken from the input, on top of `amount_in`.
    pub fee_amount: U256,
}

/// `SwapMath.computeSwapStep`: one swap step at constant liquidity toward `sqrt_ratio_target_x96`
/// (whose side of the current price gives the direction). `amount_remaining` positive is an exact
/// input still to spend (fee included), negative an exact output still to receive.
///
/// An exact input pays the fee on top: `amount_in + fee_amount <= amount_remaining`; when the step
/// stops short of the target the whole remainder is spent and the part the curve did not take is
/// the fee. Otherwise the fee is `ceil(amount_in * fee / (1e6 - fee))`.
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: Int256,
    fee_pips: u32,
) -> V3Result<SwapStep> {
    let zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96;
    let exact_in = !amount_remaining.is_negative();
    let remaining = amount_remaining.magnitude();
    let fee = U256::from(fee_pips);
    let keep = U256::from(FEE_DENOMINATOR - fee_pips);
    let million = U256::from(FEE_DENOMINATOR);
    let (current, target) = (sqrt_ratio_current_x96, sqrt_ratio_target_x96);

    // Input and output over the whole way to the target; input rounded up, output down.
    let input_to = |to: U256| {
        if zero_for_one {
            get_amount0_delta(to, current, liquidity, true)
        } else {
            get_amount1_delta(current, to, liquidity, true)
        }
    };
    let output_to = |to: U256| {
        if zero_for_one {
            get_amount1_delta(to, current, liquidity, false)
        } else {
            get_amount0_delta(current, to, liquidity, false)
        }
    };

    let (next, amount_in, amount_out) = if exact_in {
        let remaining_less_fee = mul_div(remaining, keep, million)?;
        let to_target = input_to(target)?;
        let next = if remaining_less_fee >= to_target {
            target
        } else {
            get_next_sqrt_price_from_input(current, liquidity, remaining_less_fee, zero_for_one)?
        };
        let amount_in = if next == target {
            to_target
        } else {
            input_to(next)?
        };
        (next, amount_in, output_to(next)?)
    } else {
        let to_target = output_to(target)?;
        let next = if remaining >= to_target {
            target
        } else {
            get_next_sqrt_price_from_output(current, liquidity, remaining, zero_for_one)?
        };
        let amount_out = if next == target {
            to_target
        } else {
            output_to(next)?
        };
        // Never more output than asked (the rounded-up price may overshoot by a unit).
        (next, input_to(next)?, amount_out.min(remaining))
    };

    let fee_amount = if exact_in && next != target {
        // Unchecked in the contract; the curve never takes more than the remainder.
        remaining.wrapping_sub(amount_in)
    } else {
        mul_div_rounding_up(amount_in, fee, keep)?
    };
    Ok(SwapStep {
        sqrt_ratio_next_x96: next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

// ---------------------------------------------------------------------------
// UniswapV3Pool
// ---------------------------------------------------------------------------

/// What a pool keeps per initialized tick (the parts a swap reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TickState {
    /// Liquidity of all positions with this tick as an edge.
    liquidity_gross: u128,
    /// Liquidity added when the price crosses this tick upward (removed downward).
    liquidity_net: i128,
}

/// The outcome of [`ExactPool::swap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapOutcome {
    /// Change of the pool's token0 balance: paid in (positive) or sent out (negative).
    pub amount0: Int256,
    /// Change of the pool's token1 balance.
    pub amount1: Int256,
    /// Fee paid in the input token (included in the positive amount).
    pub fee_paid: U256,
    /// Initialized ticks crossed.
    pub ticks_crossed: u32,
    /// `computeSwapStep` calls: each rounds its input up and its output down by under a unit.
    pub steps: u32,
}

/// A Uniswap v3 pool without oracle, protocol fee or per-position fee accounting; see the module
/// documentation. Token balances are tracked so that every swap's amounts can be checked against
/// what the pool holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactPool {
    fee_pips: u32,
    tick_spacing: i32,
    max_liquidity_per_tick: u128,
    sqrt_price_x96: U256,
    tick: i32,
    liquidity: u128,
    ticks: BTreeMap<i32, TickState>,
    positions: BTreeMap<(i32, i32), u128>,
    balance0: U256,
    balance1: U256,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
}

impl ExactPool {
    /// A pool as created and `initialize`d: price `sqrt_price_x96`, no liquidity.
    pub fn new(fee_pips: u32, tick_spacing: i32, sqrt_price_x96: U256) -> V3Result<ExactPool> {
        if fee_pips >= FEE_DENOMINATOR || !(1..=16_384).contains(&tick_spacing) {
            return Err(V3Revert::InvalidPoolParameters);
        }
        let tick = get_tick_at_sqrt_ratio(sqrt_price_x96)?;
        Ok(ExactPool {
            fee_pips,
            tick_spacing,
            max_liquidity_per_tick: max_liquidity_per_tick(tick_spacing),
            sqrt_price_x96,
            tick,
            liquidity: 0,
            ticks: BTreeMap::new(),
            positions: BTreeMap::new(),
            balance0: U256::ZERO,
            balance1: U256::ZERO,
            fee_growth_global0_x128: U256::ZERO,
            fee_growth_global1_x128: U256::ZERO,
        })
    }

    pub fn sqrt_price_x96(&self) -> U256 {
        self.sqrt_price_x96
    }
    pub fn tick(&self) -> i32 {
        self.tick
    }
    /// Liquidity in range at the current price.
    pub fn liquidity(&self) -> u128 {
        self.liquidity
    }
    pub fn fee_pips(&self) -> u32 {
        self.fee_pips
    }
    pub fn tick_spacing(&self) -> i32 {
        self.tick_spacing
    }
    /// Token balances the pool holds (deposits, swaps, fees).
    pub fn balances(&self) -> (U256, U256) {
        (self.balance0, self.balance1)
    }
    /// `feeGrowthGlobal0X128`, `feeGrowthGlobal1X128`: fees per unit of liquidity, Q128.128.
    pub fn fee_growth_global_x128(&self) -> (U256, U256) {
        (self.fee_growth_global0_x128, self.fee_growth_global1_x128)
    }
    /// Initialized ticks with their `liquidityNet`, ascending.
    pub fn initialized_ticks(&self) -> impl Iterator<Item = (i32, i128)> + '_ {
        self.ticks.iter().map(|(&tick, s)| (tick, s.liquidity_net))
    }
    /// Positions (lower tick, upper tick, liquidity), ascending.
    pub fn positions(&self) -> impl Iterator<Item = (i32, i32, u128)> + '_ {
        self.positions.iter().map(|(&(l, u), &liq)| (l, u, liq))
    }

    /// `mint`: adds `amount` of liquidity between two ticks; returns the token0 and token1 owed
    /// (rounded up), which the pool's balances receive.
    pub fn mint(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> V3Result<(U256, U256)> {
        if amount == 0 {
            return Err(V3Revert::LiquidityUnderflowOrOverflow);
        }
        let delta = i128::try_from(amount).map_err(|_| V3Revert::Arithmetic)?;
        let (amount0, amount1) = self.modify_position(tick_lower, tick_upper, delta)?;
        self.balance0 = add(self.balance0, amount0.magnitude())?;
        self.balance1 = add(self.balance1, amount1.magnitude())?;
        Ok((amount0.magnitude(), amount1.magnitude()))
    }

    /// `burn` followed by a `collect` of the principal: removes `amount` of a position's
    /// liquidity and pays out its tokens (rounded down). Fees stay in the pool (not tracked per
    /// position).
    ///
    /// # Panics
    ///
    /// If the pool's balance cannot pay: the math guarantees it can, so that is a bug.
    pub fn burn(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> V3Result<(U256, U256)> {
        let delta = i128::try_from(amount).map_err(|_| V3Revert::Arithmetic)?;
        let (amount0, amount1) = self.modify_position(tick_lower, tick_upper, -delta)?;
        let (amount0, amount1) = (amount0.magnitude(), amount1.magnitude());
        self.balance0 = self
            .balance0
            .checked_sub(amount0)
            .expect("the pool holds the token0 its positions own");
        self.balance1 = self
            .balance1
            .checked_sub(amount1)
            .expect("the pool holds the token1 its positions own");
        Ok((amount0, amount1))
    }

    /// `_modifyPosition`: updates the position and its two ticks, the liquidity in range, and
    /// returns the signed amounts (`SqrtPriceMath` signed helpers).
    fn modify_position(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
    ) -> V3Result<(Int256, Int256)> {
        let spaced = |tick: i32| tick % self.tick_spacing == 0;
        if tick_lower >= tick_upper
            || tick_lower < MIN_TICK
            || tick_upper > MAX_TICK
            || !spaced(tick_lower)
            || !spaced(tick_upper)
        {
            return Err(V3Revert::InvalidTicks);
        }
        let key = (tick_lower, tick_upper);
        let position = self.positions.get(&key).copied().unwrap_or(0);
        if liquidity_delta == 0 && position == 0 {
            return Err(V3Revert::LiquidityUnderflowOrOverflow);
        }
        let position_after = add_delta(position, liquidity_delta)?;

        // Both ticks first, so that a revert leaves the pool unchanged.
        let lower = self.updated_tick(tick_lower, liquidity_delta, false)?;
        let upper = self.updated_tick(tick_upper, liquidity_delta, true)?;
        let in_range = tick_lower <= self.tick && self.tick < tick_upper;
        let liquidity_after = if in_range {
            add_delta(self.liquidity, liquidity_delta)?
        } else {
            self.liquidity
        };

        let sqrt_lower = get_sqrt_ratio_at_tick(tick_lower)?;
        let sqrt_upper = get_sqrt_ratio_at_tick(tick_upper)?;
        let (amount0, amount1) = if self.tick < tick_lower {
            // Below the range: the position is all token0.
            let amount0 = get_amount0_delta_signed(sqrt_lower, sqrt_upper, liquidity_delta)?;
            (amount0, Int256::ZERO)
        } else if self.tick < tick_upper {
            let amount0 =
                get_amount0_delta_signed(self.sqrt_price_x96, sqrt_upper, liquidity_delta)?;
            let amount1 =
                get_amount1_delta_signed(sqrt_lower, self.sqrt_price_x96, liquidity_delta)?;
            (amount0, amount1)
        } else {
            // Above the range: all token1.
            let amount1 = get_amount1_delta_signed(sqrt_lower, sqrt_upper, liquidity_delta)?;
            (Int256::ZERO, amount1)
        };

        self.set_tick(tick_lower, lower);
        self.set_tick(tick_upper, upper);
        self.liquidity = liquidity_after;
        if position_after == 0 {
            self.positions.remove(&key);
        } else {
            self.positions.insert(key, position_after);
        }
        Ok((amount0, amount1))
    }

    /// `Tick.update`: the tick's state after a liquidity change of a position with this tick as its
    /// lower (`upper = false`) or upper edge; `None` when no liquidity references it any more.
    fn updated_tick(
        &self,
        tick: i32,
        liquidity_delta: i128,
        upper: bool,
    ) -> V3Result<Option<TickState>> {
        let state = self.ticks.get(&tick).copied().unwrap_or(TickState {
            liquidity_gross: 0,
            liquidity_net: 0,
        });
        let gross = add_delta(state.liquidity_gross, liquidity_delta)?;
        if gross > self.max_liquidity_per_tick {
            return Err(V3Revert::LiquidityPerTickOverflow);
        }
        let net = if upper {
            state.liquidity_net.checked_sub(liquidity_delta)
        } else {
            state.liquidity_net.checked_add(liquidity_delta)
        }
        .ok_or(V3Revert::Arithmetic)?;
        Ok((gross > 0).then_some(TickState {
            liquidity_gross: gross,
            liquidity_net: net,
        }))
    }

    fn set_tick(&mut self, tick: i32, state: Option<TickState>) {
        match state {
            Some(state) => {
                self.ticks.insert(tick, state);
            }
            None => {
                self.ticks.remove(&tick);
            }
        }
    }

    /// `TickBitmap.nextInitializedTickWithinOneWord`: the next initialized tick at or below `tick`
    /// (`lte`) or above it, but no further than the edge of the 256-spacing word that holds the
    /// start; returns that edge, uninitialized, when the word has none.
    fn next_tick_within_word(&self, tick: i32, lte: bool) -> (i32, bool) {
        let spacing = self.tick_spacing;
        let compressed = tick.div_euclid(spacing);
        if lte {
            let word_start = compressed.div_euclid(256) * 256;
            let range = word_start * spacing..=compressed * spacing;
            match self.ticks.range(range).next_back() {
                Some((&next, _)) => (next, true),
                None => (word_start * spacing, false),
            }
        } else {
            let start = compressed + 1;
            let word_end = start.div_euclid(256) * 256 + 255;
            let range = start * spacing..=word_end * spacing;
            match self.ticks.range(range).next() {
                Some((&next, _)) => (next, true),
                None => (word_end * spacing, false),
            }
        }
    }

    /// `swap`: sells token0 for token1 (`zero_for_one`, price down) or the reverse, for an exact
    /// input (`amount_specified > 0`) or an exact output (`< 0`), stopping at `sqrt_price_limit_x96`.
    /// Crosses initialized ticks (adding or removing their `liquidityNet`) as the pool does, step by
    /// step, each step limited to the next initialized tick, the edge of the current bitmap word, or
    /// the price limit.
    ///
    /// # Panics
    ///
    /// If the pool cannot pay the output from its balance (a bug: the math rounds in its favour).
    pub fn swap(
        &mut self,
        zero_for_one: bool,
        amount_specified: Int256,
        sqrt_price_limit_x96: U256,
    ) -> V3Result<SwapOutcome> {
        if amount_specified.is_zero() {
            return Err(V3Revert::AmountZero);
        }
        let limit = sqrt_price_limit_x96;
        let limit_ok = if zero_for_one {
            limit < self.sqrt_price_x96 && limit > MIN_SQRT_RATIO
        } else {
            limit > self.sqrt_price_x96 && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(V3Revert::PriceLimit);
        }
        let exact_input = !amount_specified.is_negative();

        // Magnitudes: the specified amount still to swap, and the other side accumulated.
        let mut remaining = amount_specified.magnitude();
        let mut calculated = U256::ZERO;
        let mut sqrt_price = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        let mut fee_growth = if zero_for_one {
            self.fee_growth_global0_x128
        } else {
            self.fee_growth_global1_x128
        };
        let mut fee_paid = U256::ZERO;
        let mut ticks_crossed = 0;
        let mut steps = 0;

        while !remaining.is_zero() && sqrt_price != limit {
            let step_start = sqrt_price;
            let (next_tick, initialized) = self.next_tick_within_word(tick, zero_for_one);
            let next_tick = next_tick.clamp(MIN_TICK, MAX_TICK);
            let sqrt_next = get_sqrt_ratio_at_tick(next_tick)?;
            let beyond_limit = if zero_for_one {
                sqrt_next < limit
            } else {
                sqrt_next > limit
            };
            let target = if beyond_limit { limit } else { sqrt_next };
            let step_remaining = if exact_input {
                Int256::positive(remaining)
            } else {
                Int256::negative(remaining)
            }
            .ok_or(V3Revert::Arithmetic)?;
            let step =
                compute_swap_step(sqrt_price, target, liquidity, step_remaining, self.fee_pips)?;
            sqrt_price = step.sqrt_ratio_next_x96;
            steps += 1;

            let paid = add(step.amount_in, step.fee_amount)?;
            if exact_input {
                remaining = sub(remaining, paid)?;
                calculated = add(calculated, step.amount_out)?;
            } else {
                remaining = sub(remaining, step.amount_out)?;
                calculated = add(calculated, paid)?;
            }
            fee_paid = add(fee_paid, step.fee_amount)?;
            if liquidity > 0 {
                let growth = mul_div(
                    step.fee_amount,
                    U256::from(1u8) << 128,
                    U256::from(liquidity),
                )?;
                fee_growth = fee_growth.wrapping_add(growth);
            }

            if sqrt_price == sqrt_next {
                if initialized {
                    let net = self.ticks[&next_tick].liquidity_net;
                    let net = if zero_for_one { -net } else { net };
                    liquidity = add_delta(liquidity, net)?;
                    ticks_crossed += 1;
                }
                tick = if zero_for_one {
                    next_tick - 1
                } else {
                    next_tick
                };
            } else if sqrt_price != step_start {
                tick = get_tick_at_sqrt_ratio(sqrt_price)?;
            }
        }

        let used = amount_specified.magnitude() - remaining;
        // The specified side moves by what was used, the other by what was calculated; the input
        // side is paid in (positive), the output side paid out (negative).
        let (input, output) = if exact_input {
            (used, calculated)
        } else {
            (calculated, used)
        };
        let input = Int256::positive(input).ok_or(V3Revert::Arithmetic)?;
        let output = Int256::negative(output).ok_or(V3Revert::Arithmetic)?;
        let (amount0, amount1) = if zero_for_one {
            (input, output)
        } else {
            (output, input)
        };

        // Commit.
        let (balance_in, balance_out) = if zero_for_one {
            (&mut self.balance0, &mut self.balance1)
        } else {
            (&mut self.balance1, &mut self.balance0)
        };
        *balance_in = add(*balance_in, input.magnitude())?;
        *balance_out = balance_out
            .checked_sub(output.magnitude())
            .expect("the pool holds the output it pays");
        if zero_for_one {
            self.fee_growth_global0_x128 = fee_growth;
        } else {
            self.fee_growth_global1_x128 = fee_growth;
        }
        self.sqrt_price_x96 = sqrt_price;
        self.tick = tick;
        self.liquidity = liquidity;
        Ok(SwapOutcome {
            amount0,
            amount1,
            fee_paid,
            ticks_crossed,
            steps,
        })
    }
}

/// `LiquidityMath.addDelta`.
fn add_delta(liquidity: u128, delta: i128) -> V3Result<u128> {
    let result = if delta < 0 {
        liquidity.checked_sub(delta.unsigned_abs())
    } else {
        liquidity.checked_add(delta as u128)
    };
    result.ok_or(V3Revert::LiquidityUnderflowOrOverflow)
}

/// `Tick.tickSpacingToMaxLiquidityPerTick`: `(2^128 - 1)` shared evenly by every usable tick.
pub fn max_liquidity_per_tick(tick_spacing: i32) -> u128 {
    let min_tick = (MIN_TICK / tick_spacing) * tick_spacing;
    let max_tick = (MAX_TICK / tick_spacing) * tick_spacing;
    let n_ticks = ((max_tick - min_tick) / tick_spacing) as u128 + 1;
    u128::MAX / n_ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn test_sqrt_ratio_factors_are_successive_squares() {
        // factor[i] = 2^128 / sqrt(1.0001)^(2^i), so factor[i+1] = factor[i]^2 / 2^128 up to the
        // rounding of each published constant (under one unit each, so at most two here).
        for pair in SQRT_RATIO_FACTORS.windows(2) {
            let square = (u(pair[0]) * u(pair[0])) >> 128;
            let next = u(pair[1]);
            let gap = if square > next {
                square - next
            } else {
                next - square
            };
            assert!(gap <= u(2), "{:#x} -> {:#x}", pair[0], pair[1]);
        }
        // factor[0] = 2^128 / sqrt(1.0001): check against f64 to 1e-15.
        let first = f64::from(u(SQRT_RATIO_FACTORS[0])) / 2f64.powi(128);
        assert!((first - 1.0 / 1.0001_f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn test_min_and_max_ratios_are_the_constants() {
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(MIN_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK), Ok(MAX_SQRT_RATIO));
        assert_eq!(
            MAX_SQRT_RATIO.to_string(),
            "1461446703485210103287273052203988822378723970342"
        );
        assert_eq!(get_sqrt_ratio_at_tick(0), Ok(U256::from(1u8) << 96));
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK + 1),
            Err(V3Revert::TickOutOfRange)
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK - 1),
            Err(V3Revert::TickOutOfRange)
        );
    }

    #[test]
    fn test_tick_at_ratio_inverts_ratio_at_tick() {
        for tick in [
            MIN_TICK,
            -500_000,
            -60,
            -1,
            0,
            1,
            59,
            60,
            123_456,
            MAX_TICK - 1,
        ] {
            let ratio = get_sqrt_ratio_at_tick(tick).unwrap();
            assert_eq!(get_tick_at_sqrt_ratio(ratio), Ok(tick));
            if tick > MIN_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(ratio - u(1)), Ok(tick - 1));
            }
        }
        assert_eq!(
            get_tick_at_sqrt_ratio(MAX_SQRT_RATIO),
            Err(V3Revert::SqrtRatioOutOfRange)
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - u(1)),
            Err(V3Revert::SqrtRatioOutOfRange)
        );
    }

    #[test]
    fn test_mul_div_by_hand() {
        // 2^255 * 4 / 8 = 2^254: the product needs 258 bits.
        let half = U256::from(1u8) << 255;
        assert_eq!(mul_div(half, u(4), u(8)), Ok(U256::from(1u8) << 254));
        // 7 * 3 / 2 = 10.5: floor 10, ceiling 11.
        assert_eq!(mul_div(u(7), u(3), u(2)), Ok(u(10)));
        assert_eq!(mul_div_rounding_up(u(7), u(3), u(2)), Ok(u(11)));
        // MAX * MAX / MAX = MAX; one more does not fit.
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
        assert_eq!(mul_div(U256::MAX, u(2), u(1)), Err(V3Revert::Arithmetic));
        assert_eq!(mul_div(u(1), u(1), U256::ZERO), Err(V3Revert::Arithmetic));
        // MAX * 3 / 2 = 1.5 * MAX does not fit in 256 bits.
        assert_eq!(mul_div(U256::MAX, u(3), u(2)), Err(V3Revert::Arithmetic));
        // MAX * (MAX - 1) / MAX = MAX - 1 exactly: nothing to round up.
        assert_eq!(
            mul_div_rounding_up(U256::MAX, U256::MAX - u(1), U256::MAX),
            Ok(U256::MAX - u(1))
        );
    }

    #[test]
    fn test_int256_round_trips_text() {
        for text in ["0", "1", "-1", "-26083549850867114346332688477747755628"] {
            assert_eq!(text.parse::<Int256>().unwrap().to_string(), text);
        }
        assert_eq!("-0".parse::<Int256>().unwrap(), Int256::ZERO);
        assert!(Int256::MAX
            .to_string()
            .starts_with("578960446186580977117854925043439539266"));
        assert!(Int256::positive(Int256::MAX.magnitude() + u(1)).is_none());
        assert!(Int256::negative(Int256::MAX.magnitude() + u(1)).is_some());
    }

    #[test]
    fn test_max_liquidity_per_tick_for_spacing_60() {
        // min/max usable ticks: -887220 and 887220: (887220 * 2) / 60 + 1 = 29575 ticks;
        // (2^128 - 1) / 29575 = 11505743598341114571880798222544994.
        assert_eq!(
            max_liquidity_per_tick(60),
            11_505_743_598_341_114_571_880_798_222_544_994
        );
    }

    #[test]
    fn test_next_tick_within_word_stops_at_word_edges() {
        let mut pool = ExactPool::new(3000, 60, get_sqrt_ratio_at_tick(0).unwrap()).unwrap();
        pool.mint(-120, 600, 1_000_000).unwrap();
        // Compressed tick 0 sits at bit 0 of word 0: downward the only initialized tick at or
        // below 0 in word 0 is none (-120 is in word -1), so the edge of the word: tick 0.
        assert_eq!(pool.next_tick_within_word(0, true), (0, false));
        // From tick -1 (compressed -1, word -1) downward: -120 is found.
        assert_eq!(pool.next_tick_within_word(-1, true), (-120, true));
        // Upward from 0: 600 is in word 0.
        assert_eq!(pool.next_tick_within_word(0, false), (600, true));
        // Upward from 600: nothing else in word 0, whose last tick is 255 * 60 = 15300.
        assert_eq!(pool.next_tick_within_word(600, false), (15_300, false));
        // Downward from -121 (compressed -3): word -1 starts at -256 * 60 = -15360.
        assert_eq!(pool.next_tick_within_word(-121, true), (-15_360, false));
    }
}
