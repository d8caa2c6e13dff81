//! Maker Liquidations 2.0: Dutch auctions of vault collateral (`makerdao/dss`: `dog.sol` `Dog.bark`,
//! `clip.sol` `Clipper.kick/take/redo/yank/upchost`, `abaci.sol` price curves) and the Oracle Security
//! Module that delays the price the system sees by one hour (`makerdao/osm`: `osm.sol`).
//!
//! # Units
//! The contracts keep fixed-point integers: WAD (1e18) for collateral amounts, normalised debt `art`,
//! `chop` and `chip`; RAY (1e27) for `rate`, `spot`, prices, `buf` and `cusp`; RAD (1e45) for DAI
//! amounts (`tab`, `dust`, `hole`, `Hole`, `dirt`, `Dirt`, `tip`). The `f64` model holds the real
//! numbers they encode: collateral in units of the collateral token, DAI in DAI, prices in DAI per
//! collateral unit, `rate`/`chop`/`buf` as multipliers, `cusp`/`chip` as fractions. Time is in whole
//! seconds (`u64`), as `block.timestamp` is.
//!
//! The price curves also exist in the contracts' integer arithmetic ([`exact`]), which reproduces
//! `abaci.sol`'s `rmul` (floor) and `rpow` (half-up at every squaring and multiplication) to the last
//! unit; the auction state machine is `f64` only.
//!
//! # What is simplified
//! - `par` (the DAI target price) is 1: the feed price is the OSM's value.
//! - The Vat is not modelled: [`DogState::bark`] takes the vault and its ilk's `rate`/`spot`/`dust`,
//!   and the outcomes say where DAI and collateral go (vow, keeper, vault owner) for the caller to book.
//! - `take`'s flash-loan callback (`clipperCall`) is absent: the taker pays `owe` and receives `slice`.
//! - `chost` is refreshed by calling [`DogState::upchost`], as `Clipper.upchost()` must be called on
//!   chain; it is not recomputed on its own when `dust` or `chop` change.

use ruint::aliases::U256;

// ---------------------------------------------------------------------------
// Price curves (abaci.sol), f64
// ---------------------------------------------------------------------------

/// An auction price curve (`abaci.sol`'s `Abacus`): the price `dur` seconds after the auction
/// started, from its starting price `top`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriceCurve {
    /// `LinearDecrease`: `top * (tau - dur) / tau`, and 0 once `dur >= tau`. `tau` in seconds.
    LinearDecrease { tau: u64 },
    /// `StairstepExponentialDecrease`: `top * cut^floor(dur / step)`. `step` in seconds (> 0);
    /// `cut` is the per-step multiplicative factor in `[0, 1]` (0.99 = 1% drop per step; RAY on chain).
    StairstepExponentialDecrease { step: u64, cut: f64 },
    /// `ExponentialDecrease`: `top * cut^dur`, `cut` the per-second factor in `[0, 1]` (RAY on chain).
    ExponentialDecrease { cut: f64 },
}

impl PriceCurve {
    /// Checks what the contracts' `file` would reject (`cut > RAY`) and what would make `price`
    /// revert (`step == 0`, a division by zero).
    pub fn validate(&self) -> Result<(), &'static str> {
        match *self {
            PriceCurve::LinearDecrease { .. } => Ok(()),
            PriceCurve::StairstepExponentialDecrease { step, cut } => {
                if step == 0 {
                    Err("stairstep curve: step must be at least 1 second")
                } else if !(0.0..=1.0).contains(&cut) {
                    Err("stairstep curve: cut must be in [0, 1]")
                } else {
                    Ok(())
                }
            }
            PriceCurve::ExponentialDecrease { cut } => {
                if (0.0..=1.0).contains(&cut) {
                    Ok(())
                } else {
                    Err("exponential curve: cut must be in [0, 1]")
                }
            }
        }
    }

    /// The auction price `dur` seconds after the start, from the starting price `top` (any unit;
    /// the result is in the same unit).
    ///
    /// # Panics
    /// For a stairstep curve with `step == 0` (see [`PriceCurve::validate`]).
    pub fn price(&self, top: f64, dur: u64) -> f64 {
        match *self {
            PriceCurve::LinearDecrease { tau } => {
                if dur >= tau {
                    0.0
                } else {
                    top * ((tau - dur) as f64 / tau as f64)
                }
            }
            PriceCurve::StairstepExponentialDecrease { step, cut } => {
                assert!(
                    step > 0,
                    "stairstep curve with step 0 (the contract reverts)"
                );
                top * power(cut, dur / step)
            }
            PriceCurve::ExponentialDecrease { cut } => top * power(cut, dur),
        }
    }
}

/// `x^n` for a whole `n`, as repeated squaring (`powi`) where `n` fits an `i32`.
fn power(x: f64, n: u64) -> f64 {
    match i32::try_from(n) {
        Ok(n) => x.powi(n),
        Err(_) => x.powf(n as f64),
    }
}

// ---------------------------------------------------------------------------
// Price curves in the contracts' integer arithmetic
// ---------------------------------------------------------------------------

/// `abaci.sol` in RAY integers, reproducing the contract's rounding to the last unit.
pub mod exact {
    use super::U256;

    /// 1e27, one in RAY.
    pub fn ray() -> U256 {
        U256::from(10u8).pow(U256::from(27u8))
    }

    /// `rmul(x, y) = x * y / RAY`, floor; `None` where the contract reverts (the product overflows).
    pub fn rmul(x: U256, y: U256) -> Option<U256> {
        Some(x.checked_mul(y)? / ray())
    }

    /// `rpow(x, n, b)`: `x^n` in fixed point with base `b` (RAY for the abaci), by repeated squaring,
    /// rounding half up (`(v + b/2) / b`) after every squaring and every multiplication into the
    /// result, as dss PR #78's assembly does. `rpow(x, 0, b) = b` (even for `x = 0`) and
    /// `rpow(0, n, b) = 0` for `n > 0`.
    ///
    /// Returns `None` where the assembly reverts: `x >= 2^128` before a squaring, `x*x + b/2` or
    /// `z*x + b/2` overflowing, or `z*x` overflowing. `b` must be non-zero.
    pub fn rpow(x: U256, n: u64, b: U256) -> Option<U256> {
        if n == 0 {
            return Some(b);
        }
        if x.is_zero() {
            return Some(U256::ZERO);
        }
        let half = b / U256::from(2u8);
        let mut x = x;
        let mut z = if n.is_multiple_of(2) { b } else { x };
        let mut n = n / 2;
        while n != 0 {
            // The assembly multiplies first (mod 2^256) and then rejects x >= 2^128; either way a
            // wrapped square never gets used.
            if x >= (U256::from(1u8) << 128) {
                return None;
            }
            let xx = x * x; // x < 2^128: cannot overflow
            let xx_round = xx.checked_add(half)?;
            x = xx_round / b;
            if n % 2 == 1 {
                let zx = z.checked_mul(x)?;
                let zx_round = zx.checked_add(half)?;
                z = zx_round / b;
            }
            n /= 2;
        }
        Some(z)
    }

    /// An auction price curve with RAY parameters, priced in RAY as `abaci.sol` does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PriceCurveRay {
        /// `LinearDecrease.price`: `0` once `dur >= tau`, else `rmul(top, (tau - dur) * RAY / tau)`.
        LinearDecrease { tau: u64 },
        /// `StairstepExponentialDecrease.price`: `rmul(top, rpow(cut, dur / step, RAY))`.
        StairstepExponentialDecrease { step: u64, cut: U256 },
        /// `ExponentialDecrease.price`: `rmul(top, rpow(cut, dur, RAY))`.
        ExponentialDecrease { cut: U256 },
    }

    impl PriceCurveRay {
        /// The price in RAY `dur` seconds into the auction, from `top` (RAY). `None` where the
        /// contract reverts: an overflow, or a stairstep `step` of 0 (division by zero).
        pub fn price(&self, top: U256, dur: u64) -> Option<U256> {
            match *self {
                PriceCurveRay::LinearDecrease { tau } => {
                    if dur >= tau {
                        return Some(U256::ZERO);
                    }
                    let fraction = U256::from(tau - dur).checked_mul(ray())? / U256::from(tau);
                    rmul(top, fraction)
                }
                PriceCurveRay::StairstepExponentialDecrease { step, cut } => {
                    let steps = dur.checked_div(step)?;
                    rmul(top, rpow(cut, steps, ray())?)
                }
                PriceCurveRay::ExponentialDecrease { cut } => rmul(top, rpow(cut, dur, ray())?),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// OSM: the one-hour delayed oracle
// ---------------------------------------------------------------------------

/// Maker's Oracle Security Module (`osm.sol`): the system reads `cur`, the value the source had at
/// the previous `poke`, while the newest source value waits in `nxt` for one `hop`.
///
/// `poke` may run once per `hop` (aligned to multiples of `hop`: after a poke at `t` the next one is
/// allowed from `t - t % hop + hop`). Each poke moves `nxt` into `cur` and reads the source into
/// `nxt`, so the price protocols see is between one and two hops old.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmOracle {
    /// Seconds between pokes (`hop`, 3600 by default).
    pub hop: u64,
    /// Start of the hop of the last poke (`zzz`), seconds.
    pub zzz: u64,
    /// The value protocols read (`peek`); `None` while the OSM has no valid value.
    pub cur: Option<f64>,
    /// The value that becomes current at the next poke (`peep`).
    pub nxt: Option<f64>,
}

impl OsmOracle {
    /// One hour, the contract's default `hop`.
    pub const ONE_HOUR: u64 = 3600;

    /// A new OSM at time `now` reading `source` (its `peek`: `None` when the source has no valid
    /// value). As the constructor does, a valid source value becomes both `cur` and `nxt` at once.
    ///
    /// # Panics
    /// When `hop` is 0 (the contract would divide by zero on every poke).
    pub fn new(hop: u64, source: Option<f64>, now: u64) -> Self {
        assert!(hop > 0, "an OSM needs a hop of at least one second");
        match source {
            Some(value) => OsmOracle {
                hop,
                zzz: now - now % hop,
                cur: Some(value),
                nxt: Some(value),
            },
            None => OsmOracle {
                hop,
                zzz: 0,
                cur: None,
                nxt: None,
            },
        }
    }

    /// Whether a poke is allowed at `now` (`pass()`: `now >= zzz + hop`).
    pub fn pass(&self, now: u64) -> bool {
        now >= self.zzz + self.hop
    }

    /// `poke()`: shifts `nxt` into `cur` and reads `source` into `nxt`. Returns `false` (and changes
    /// nothing) where the contract reverts: less than one hop since the last poke's hop began.
    pub fn poke(&mut self, source: Option<f64>, now: u64) -> bool {
        if !self.pass(now) {
            return false;
        }
        self.cur = self.nxt;
        self.nxt = source;
        self.zzz = now - now % self.hop;
        true
    }

    /// The value protocols read (`peek`/`read`).
    pub fn peek(&self) -> Option<f64> {
        self.cur
    }

    /// The queued value (`peep`).
    pub fn peep(&self) -> Option<f64> {
        self.nxt
    }
}

// ---------------------------------------------------------------------------
// Dog + Clipper
// ---------------------------------------------------------------------------

/// The Vat's data for one collateral type that `bark` reads (`Vat.ilks(ilk)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VatIlk {
    /// Debt multiplier: a vault owes `art * rate` DAI (RAY on chain; >= 1 as fees accrue).
    pub rate: f64,
    /// DAI of debt allowed per collateral unit: `price / (par * mat)` (RAY on chain).
    pub spot: f64,
    /// Smallest debt, in DAI, a vault may keep (RAD on chain).
    pub dust: f64,
}

/// A vault (`Vat.urns(ilk, urn)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vault {
    /// Who owns the vault: receives collateral left over after an auction covers its tab.
    pub owner: u32,
    /// Locked collateral (`ink`, WAD on chain), collateral units.
    pub ink: f64,
    /// Normalised debt (`art`, WAD on chain): the vault owes `art * rate` DAI.
    pub art: f64,
}

/// A Clipper's parameters (`clip.sol`'s `file`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipperConfig {
    /// Starting price multiplier over the feed price: `top = feed * buf` (RAY; e.g. 1.2).
    pub buf: f64,
    /// Seconds after which an auction must be reset (`redo`).
    pub tail: u64,
    /// Fraction of `top` below which an auction must be reset (RAY; e.g. 0.4).
    pub cusp: f64,
    /// Keeper incentive as a fraction of `tab` (WAD; e.g. 0.001).
    pub chip: f64,
    /// Flat keeper incentive in DAI (RAD).
    pub tip: f64,
    /// The price curve (`calc`).
    pub calc: PriceCurve,
}

/// The Dog's parameters for one collateral type plus its Clipper's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IlkLiquidationConfig {
    /// Liquidation penalty multiplier (`chop`, WAD, >= 1; 1.13 = 13%): `tab = debt * chop`.
    pub chop: f64,
    /// Most DAI (debt + penalty) this ilk's live auctions may need (`ilk.hole`, RAD).
    pub hole: f64,
    pub clipper: ClipperConfig,
}

/// The circuit breaker of a Clipper (`stopped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum StopLevel {
    /// 0: everything allowed.
    #[default]
    Running,
    /// 1: no new `kick` (so `bark` fails).
    NoKick,
    /// 2: no `kick` and no `redo`.
    NoRedo,
    /// 3: no `kick`, `redo` or `take`.
    NoTake,
}

impl StopLevel {
    /// The contract's number for this level (0 to 3).
    pub fn level(self) -> u8 {
        self as u8
    }
    /// `isStopped(level)`: the action guarded at `level` is allowed while `stopped < level`.
    fn allows(self, action_level: u8) -> bool {
        self.level() < action_level
    }
}

/// One auction (`Clipper.sales[id]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sale {
    /// Auction id (`kicks` at the time of the kick; the first is 1).
    pub id: u64,
    /// DAI still to raise (RAD).
    pub tab: f64,
    /// Collateral still for sale (WAD).
    pub lot: f64,
    /// The liquidated vault's owner: receives the collateral left once `tab` is covered.
    pub usr: u32,
    /// Start of the auction (or of its last reset), seconds.
    pub tic: u64,
    /// Starting price, DAI per collateral unit (RAY).
    pub top: f64,
}

/// A Clipper's mutable state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClipperState {
    /// Auctions ever started (`kicks`); the next id is `kicks + 1`.
    pub kicks: u64,
    /// Live auctions, in the contract's `active` order (removal swaps the last one into the hole).
    pub active: Vec<Sale>,
    /// The circuit breaker.
    pub stopped: StopLevel,
    /// `dust * chop` cached by `upchost` (RAD): partial purchases must leave at least this much tab.
    pub chost: f64,
}

/// The Dog's state for one collateral type and its Clipper.
#[derive(Debug, Clone, PartialEq)]
pub struct IlkLiquidationState {
    pub config: IlkLiquidationConfig,
    /// DAI needed by this ilk's live auctions (`ilk.dirt`, RAD).
    pub dirt: f64,
    pub clipper: ClipperState,
}

/// Where the DAI went, summed over all calls (for conservation checks and reports).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MakerLedger {
    /// Debt moved from vaults to the system's debt queue at `bark` (`vow.fess(due)`), DAI.
    pub debt_fessed: f64,
    /// DAI paid by takers to the vow.
    pub dai_raised: f64,
    /// Keeper incentives (`tip + tab * chip`) minted against the vow at `kick` and `redo`, DAI.
    pub incentives_paid: f64,
    /// Collateral bought by takers.
    pub collateral_sold: f64,
    /// Collateral returned to vault owners after their tab was covered.
    pub collateral_returned: f64,
    /// Collateral taken out by `yank`.
    pub collateral_yanked: f64,
    /// Tab left uncollected when an auction ran out of collateral (the penalty first, then debt).
    pub tab_unraised: f64,
}

/// Why a call would revert, named after the contract's revert strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakerRefusal {
    /// `Dog/not-live`: the Dog was caged.
    NotLive,
    /// `Dog/not-unsafe`: `ink * spot >= art * rate` (or `spot == 0`).
    NotUnsafe,
    /// `Dog/liquidation-limit-hit`: no room under `Hole` or the ilk's `hole`.
    LiquidationLimitHit,
    /// `Dog/dusty-auction-from-partial-liquidation`.
    DustyAuctionFromPartialLiquidation,
    /// `Dog/null-auction`: no collateral would be auctioned.
    NullAuction,
    /// `Clipper/stopped-incorrect`: the circuit breaker forbids this action.
    Stopped,
    /// `Clipper/invalid-price`: the feed has no valid value.
    InvalidPrice,
    /// `Clipper/zero-top-price`.
    ZeroTopPrice,
    /// `Clipper/zero-tab` or `Clipper/zero-lot`.
    ZeroTabOrLot,
    /// `Clipper/not-running-auction`: no live auction with this id.
    NotRunningAuction,
    /// `Clipper/cannot-reset`: `redo` on an auction that does not need it.
    CannotReset,
    /// `Clipper/needs-reset`: `take` on an auction past `tail` or below `cusp`.
    NeedsReset,
    /// `Clipper/too-expensive`: the price is above the taker's `max`.
    TooExpensive,
    /// `Clipper/no-partial-purchase`: `tab <= chost`, so only the whole lot may be bought.
    NoPartialPurchase,
    /// The chost adjustment would divide by a zero price (the contract reverts on `owe / 0`).
    ZeroPrice,
    /// No collateral type with this index.
    UnknownIlk,
}

/// What `bark` did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarkOutcome {
    /// The auction it started.
    pub id: u64,
    /// Collateral moved from the vault into the auction (`dink`).
    pub dink: f64,
    /// Normalised debt taken from the vault (`dart`).
    pub dart: f64,
    /// DAI debt taken from the vault (`due = dart * rate`), sent to the vow's debt queue.
    pub due: f64,
    /// DAI the auction must raise (`tab = due * chop`).
    pub tab: f64,
    /// Starting price (`top = feed * buf`).
    pub top: f64,
    /// Keeper incentive paid to the barker (`tip + tab * chip`, or 0 when both are 0).
    pub incentive: f64,
    /// Whether only part of the vault was liquidated (room under the limits was short).
    pub partial: bool,
}

/// What `take` did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TakeOutcome {
    /// The auction price paid, DAI per collateral unit.
    pub price: f64,
    /// Collateral sent to the taker (`slice`).
    pub slice: f64,
    /// DAI paid by the taker (`owe`).
    pub owe: f64,
    /// Tab left after the take (0 when covered; also reported when the auction ended without it).
    pub tab_left: f64,
    /// Lot left after the take, before any return to the owner.
    pub lot_left: f64,
    /// Collateral returned to the vault owner because the tab was covered.
    pub returned_to_owner: f64,
    /// The vault owner.
    pub usr: u32,
    /// The taker (`who`).
    pub who: u32,
    /// Whether the auction is over (removed from `active`).
    pub finished: bool,
}

/// What `redo` did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedoOutcome {
    /// The new starting price.
    pub top: f64,
    /// Keeper incentive paid (0 when the auction is dusty: `tab < chost` or `lot * feed < chost`).
    pub incentive: f64,
}

/// `getStatus(id)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuctionStatus {
    pub needs_redo: bool,
    pub price: f64,
    pub lot: f64,
    pub tab: f64,
}

/// The Dog (global limits) and, per collateral type, its Dog data and Clipper.
#[derive(Debug, Clone, PartialEq)]
pub struct DogState {
    /// Most DAI all live auctions together may need (`Hole`, RAD).
    pub global_hole: f64,
    /// DAI needed by all live auctions (`Dirt`, RAD).
    pub global_dirt: f64,
    /// `live`: false after `cage`.
    pub live: bool,
    /// One entry per collateral type, indexed by the caller's ilk index.
    pub ilks: Vec<IlkLiquidationState>,
    /// Flows summed over all calls.
    pub ledger: MakerLedger,
}

impl DogState {
    /// A live Dog with global limit `global_hole` (DAI) and the given collateral types, no auctions.
    /// `chost` starts at 0: call [`DogState::upchost`] with each ilk's `dust`.
    pub fn new(global_hole: f64, ilks: Vec<IlkLiquidationConfig>) -> Self {
        DogState {
            global_hole,
            global_dirt: 0.0,
            live: true,
            ilks: ilks
                .into_iter()
                .map(|config| IlkLiquidationState {
                    config,
                    dirt: 0.0,
                    clipper: ClipperState::default(),
                })
                .collect(),
            ledger: MakerLedger::default(),
        }
    }

    fn ilk_mut(&mut self, ilk: usize) -> Result<&mut IlkLiquidationState, MakerRefusal> {
        self.ilks.get_mut(ilk).ok_or(MakerRefusal::UnknownIlk)
    }

    /// `Clipper.upchost()`: caches `chost = dust * chop` (DAI) for the ilk.
    pub fn upchost(&mut self, ilk: usize, vat_dust: f64) -> Result<(), MakerRefusal> {
        let state = self.ilk_mut(ilk)?;
        state.clipper.chost = vat_dust * state.config.chop;
        Ok(())
    }

    /// Sets the ilk's circuit breaker (`file("stopped", level)`).
    pub fn set_stopped(&mut self, ilk: usize, level: StopLevel) -> Result<(), MakerRefusal> {
        self.ilk_mut(ilk)?.clipper.stopped = level;
        Ok(())
    }

    /// `Dog.cage()`: no more barks.
    pub fn cage(&mut self) {
        self.live = false;
    }

    /// `Dog.bark(ilk, urn, kpr)`: liquidates the unsafe `vault` (or as much of it as the limits allow)
    /// and starts an auction for its collateral.
    ///
    /// `room = min(Hole - Dirt, hole - dirt)`; `dart = min(art, room / rate / chop)`. When that leaves
    /// the vault with debt below `dust`, the whole vault goes (the limits are then exceeded by at most
    /// about `dust * chop`); otherwise a partial auction must itself be at least `dust`.
    /// `dink = ink * dart / art`, `due = dart * rate`, `tab = due * chop`, `top = feed_price * buf`;
    /// the keeper gets `tip + tab * chip`. The vault loses `dink` and `dart`.
    ///
    /// `feed_price` is the OSM's current value (`None` when it has none), DAI per collateral unit.
    pub fn bark(
        &mut self,
        ilk: usize,
        vault: &mut Vault,
        vat: &VatIlk,
        feed_price: Option<f64>,
        now: u64,
    ) -> Result<BarkOutcome, MakerRefusal> {
        if !self.live {
            return Err(MakerRefusal::NotLive);
        }
        let (global_hole, global_dirt) = (self.global_hole, self.global_dirt);
        let state = self.ilk_mut(ilk)?;
        if !(vat.spot > 0.0 && vault.ink * vat.spot < vault.art * vat.rate) {
            return Err(MakerRefusal::NotUnsafe);
        }
        if !(global_hole > global_dirt && state.config.hole > state.dirt) {
            return Err(MakerRefusal::LiquidationLimitHit);
        }
        let room = (global_hole - global_dirt).min(state.config.hole - state.dirt);
        let mut dart = vault.art.min(room / vat.rate / state.config.chop);
        if vault.art > dart {
            if (vault.art - dart) * vat.rate < vat.dust {
                dart = vault.art;
            } else if dart * vat.rate < vat.dust {
                return Err(MakerRefusal::DustyAuctionFromPartialLiquidation);
            }
        }
        let partial = dart < vault.art;
        // `ink * dart / art`; when the whole vault goes this is exactly `ink`.
        let dink = if partial {
            vault.ink * dart / vault.art
        } else {
            vault.ink
        };
        if dink <= 0.0 {
            return Err(MakerRefusal::NullAuction);
        }
        let due = dart * vat.rate;
        let tab = due * state.config.chop;

        // Clipper.kick, which reverts the whole bark when it fails.
        let clip = state.config.clipper;
        if !state.clipper.stopped.allows(1) {
            return Err(MakerRefusal::Stopped);
        }
        if tab <= 0.0 || dink <= 0.0 {
            return Err(MakerRefusal::ZeroTabOrLot);
        }
        let feed = feed_price.ok_or(MakerRefusal::InvalidPrice)?;
        let top = feed * clip.buf;
        if top.is_nan() || top <= 0.0 {
            return Err(MakerRefusal::ZeroTopPrice);
        }
        let incentive = if clip.tip > 0.0 || clip.chip > 0.0 {
            clip.tip + tab * clip.chip
        } else {
            0.0
        };
        state.clipper.kicks += 1;
        let id = state.clipper.kicks;
        state.clipper.active.push(Sale {
            id,
            tab,
            lot: dink,
            usr: vault.owner,
            tic: now,
            top,
        });
        state.dirt += tab;

        vault.ink -= dink;
        vault.art -= dart;
        self.global_dirt += tab;
        self.ledger.debt_fessed += due;
        self.ledger.incentives_paid += incentive;

        Ok(BarkOutcome {
            id,
            dink,
            dart,
            due,
            tab,
            top,
            incentive,
            partial,
        })
    }

    fn sale_index(&self, ilk: usize, id: u64) -> Result<usize, MakerRefusal> {
        let state = self.ilks.get(ilk).ok_or(MakerRefusal::UnknownIlk)?;
        state
            .clipper
            .active
            .iter()
            .position(|sale| sale.id == id)
            .ok_or(MakerRefusal::NotRunningAuction)
    }

    /// The Clipper's `status(tic, top)`: the current price and whether the auction needs a reset
    /// (`now - tic > tail` or `price / top < cusp`).
    fn sale_status(config: &ClipperConfig, sale: &Sale, now: u64) -> (bool, f64) {
        let dur = now.saturating_sub(sale.tic);
        let price = config.calc.price(sale.top, dur);
        let done = dur > config.tail || price / sale.top < config.cusp;
        (done, price)
    }

    /// `Clipper.getStatus(id)` at time `now`; `None` when no auction has this id.
    pub fn status(&self, ilk: usize, id: u64, now: u64) -> Option<AuctionStatus> {
        let index = self.sale_index(ilk, id).ok()?;
        let state = &self.ilks[ilk];
        let sale = &state.clipper.active[index];
        let (done, price) = Self::sale_status(&state.config.clipper, sale, now);
        Some(AuctionStatus {
            needs_redo: done,
            price,
            lot: sale.lot,
            tab: sale.tab,
        })
    }

    /// `Clipper.take(id, amt, max, who)`: buys up to `amt` collateral at the current price if it is
    /// at most `max` (DAI per collateral unit).
    ///
    /// `slice = min(lot, amt)`, `owe = slice * price`. When `owe > tab` the taker pays just the tab
    /// (`slice = tab / price`). Otherwise, when the purchase is partial (`slice < lot`) and would leave
    /// `0 < tab - owe < chost`, it is reduced so that exactly `chost` remains (`owe = tab - chost`),
    /// or refused when `tab <= chost` (only the whole lot may then be bought). When the lot runs out
    /// the auction ends (any tab left is unraised); when the tab is covered the rest of the lot goes
    /// back to the vault owner. The Dog's `Dirt`/`dirt` fall by `owe` (by the whole remaining tab when
    /// the auction ends for lack of collateral).
    pub fn take(
        &mut self,
        ilk: usize,
        id: u64,
        amt: f64,
        max: f64,
        who: u32,
        now: u64,
    ) -> Result<TakeOutcome, MakerRefusal> {
        let index = self.sale_index(ilk, id)?;
        let state = &mut self.ilks[ilk];
        if !state.clipper.stopped.allows(3) {
            return Err(MakerRefusal::Stopped);
        }
        let sale = state.clipper.active[index];
        let (done, price) = Self::sale_status(&state.config.clipper, &sale, now);
        if done {
            return Err(MakerRefusal::NeedsReset);
        }
        if max < price {
            return Err(MakerRefusal::TooExpensive);
        }
        let (mut lot, mut tab) = (sale.lot, sale.tab);
        let mut slice = lot.min(amt.max(0.0));
        let mut owe = slice * price;
        if owe > tab {
            owe = tab;
            slice = owe / price;
        } else if owe < tab && slice < lot {
            let chost = state.clipper.chost;
            if tab - owe < chost {
                if tab <= chost {
                    return Err(MakerRefusal::NoPartialPurchase);
                }
                if price <= 0.0 {
                    return Err(MakerRefusal::ZeroPrice);
                }
                owe = tab - chost;
                slice = owe / price;
            }
        }
        // Floating point: `tab / price` may exceed `lot` by an ulp when owe was capped at tab.
        slice = slice.min(lot);
        tab -= owe;
        lot -= slice;

        let released = if lot == 0.0 { tab + owe } else { owe };
        state.dirt -= released;
        self.global_dirt -= released;
        self.ledger.dai_raised += owe;
        self.ledger.collateral_sold += slice;

        let state = &mut self.ilks[ilk];
        let mut returned = 0.0;
        let finished = if lot == 0.0 {
            self.ledger.tab_unraised += tab;
            remove_sale(&mut state.clipper.active, index);
            true
        } else if tab == 0.0 {
            returned = lot;
            self.ledger.collateral_returned += lot;
            remove_sale(&mut state.clipper.active, index);
            true
        } else {
            let live = &mut state.clipper.active[index];
            live.tab = tab;
            live.lot = lot;
            false
        };
        Ok(TakeOutcome {
            price,
            slice,
            owe,
            tab_left: tab,
            lot_left: lot,
            returned_to_owner: returned,
            usr: sale.usr,
            who,
            finished,
        })
    }

    /// `Clipper.redo(id, kpr)`: restarts an auction that needs it (past `tail` or below `cusp`) at
    /// `top = feed_price * buf`, paying the keeper `tip + tab * chip` unless the auction is dusty
    /// (`tab < chost` or `lot * feed_price < chost`).
    pub fn redo(
        &mut self,
        ilk: usize,
        id: u64,
        feed_price: Option<f64>,
        now: u64,
    ) -> Result<RedoOutcome, MakerRefusal> {
        let index = self.sale_index(ilk, id)?;
        let state = &mut self.ilks[ilk];
        if !state.clipper.stopped.allows(2) {
            return Err(MakerRefusal::Stopped);
        }
        let clip = state.config.clipper;
        let sale = state.clipper.active[index];
        let (done, _) = Self::sale_status(&clip, &sale, now);
        if !done {
            return Err(MakerRefusal::CannotReset);
        }
        let feed = feed_price.ok_or(MakerRefusal::InvalidPrice)?;
        let top = feed * clip.buf;
        if top.is_nan() || top <= 0.0 {
            return Err(MakerRefusal::ZeroTopPrice);
        }
        let chost = state.clipper.chost;
        let incentive =
            if (clip.tip > 0.0 || clip.chip > 0.0) && sale.tab >= chost && sale.lot * feed >= chost
            {
                clip.tip + sale.tab * clip.chip
            } else {
                0.0
            };
        let live = &mut state.clipper.active[index];
        live.tic = now;
        live.top = top;
        self.ledger.incentives_paid += incentive;
        Ok(RedoOutcome { top, incentive })
    }

    /// `Clipper.yank(id)` (governance or Emergency Shutdown): cancels the auction, releases its tab
    /// from `Dirt`/`dirt` and returns the lot (to the caller). Allowed whatever `stopped` is.
    pub fn yank(&mut self, ilk: usize, id: u64) -> Result<Sale, MakerRefusal> {
        let index = self.sale_index(ilk, id)?;
        let state = &mut self.ilks[ilk];
        let sale = state.clipper.active[index];
        state.dirt -= sale.tab;
        remove_sale(&mut state.clipper.active, index);
        self.global_dirt -= sale.tab;
        self.ledger.collateral_yanked += sale.lot;
        Ok(sale)
    }
}

/// `Clipper._remove`: the last live auction moves into the removed one's slot.
fn remove_sale(active: &mut Vec<Sale>, index: usize) {
    active.swap_remove(index);
}

#[cfg(test)]
mod tests {
    use super::exact::*;
    use super::*;

    fn u(x: u64) -> U256 {
        U256::from(x)
    }

    #[test]
    fn test_rpow_rounds_half_up_at_each_step() {
        // Base 100: 0.95^3. n = 3 (odd): z = 95; n = 1: x = (95*95 + 50) / 100 = 9075 / 100 = 90;
        // z = (95*90 + 50) / 100 = 8600 / 100 = 86. The true value 85.7375 would floor to 85.
        assert_eq!(rpow(u(95), 3, u(100)), Some(u(86)));
        // 0.95^2: z = 100 (n even); n = 1: x = (9025 + 50) / 100 = 90; z = (100*90 + 50) / 100 = 90.
        assert_eq!(rpow(u(95), 2, u(100)), Some(u(90)));
        // 0.95^4: z = 100 (n even); n = 2: x = 90, no multiplication (2 is even); n = 1:
        // x = (8100 + 50) / 100 = 81; z = (100*81 + 50) / 100 = 81.
        assert_eq!(rpow(u(95), 4, u(100)), Some(u(81)));
        assert_eq!(rpow(u(0), 0, u(100)), Some(u(100)));
        assert_eq!(rpow(u(0), 5, u(100)), Some(u(0)));
        assert_eq!(rpow(u(95), 1, u(100)), Some(u(95)));
    }

    #[test]
    fn test_rpow_reverts_on_large_base() {
        // x >= 2^128 is rejected before squaring.
        assert_eq!(rpow(U256::from(1u8) << 128, 2, ray()), None);
        // ... but n = 1 never squares.
        assert_eq!(
            rpow(U256::from(1u8) << 128, 1, ray()),
            Some(U256::from(1u8) << 128)
        );
    }

    #[test]
    fn test_stairstep_with_zero_step_reverts() {
        let curve = PriceCurveRay::StairstepExponentialDecrease {
            step: 0,
            cut: ray(),
        };
        assert_eq!(curve.price(ray(), 10), None);
        assert!(
            PriceCurve::StairstepExponentialDecrease { step: 0, cut: 0.99 }
                .validate()
                .is_err()
        );
    }

    #[test]
    fn test_linear_tau_zero_is_always_zero() {
        // dur >= tau for every dur when tau = 0: the contract returns 0 before dividing.
        assert_eq!(
            PriceCurveRay::LinearDecrease { tau: 0 }.price(ray(), 0),
            Some(U256::ZERO)
        );
        assert_eq!(PriceCurve::LinearDecrease { tau: 0 }.price(1.0, 0), 0.0);
    }

    #[test]
    fn test_stop_levels_order() {
        assert!(StopLevel::Running.allows(1));
        assert!(!StopLevel::NoKick.allows(1) && StopLevel::NoKick.allows(2));
        assert!(!StopLevel::NoRedo.allows(2) && StopLevel::NoRedo.allows(3));
        assert!(!StopLevel::NoTake.allows(3));
    }
}
