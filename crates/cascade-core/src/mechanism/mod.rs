//! Liquidation mechanisms and circuit breakers, one module per mechanism (SPEC.md 1.4–1.6).
//!
//! Each module is a set of pure functions and small state machines that model one protocol's
//! liquidation rules, written from the protocol's contracts or documentation (named in each module's
//! header and in `docs/mechanisms.md`). Nothing here does IO or reads a clock: time is always an
//! argument (`now`, in seconds), and so are prices. The engine wires them into the block loop.
//!
//! Conventions shared by every module:
//! - Amounts are `f64` in whole units of their asset (1.0 = one ETH, one DAI), not in base units; where
//!   a contract stores a fixed-point number (WAD = 1e18, RAY = 1e27, RAD = 1e45) the doc comment names
//!   it, and the `f64` holds the real value it encodes (a RAY of `1.05e27` is `1.05` here).
//! - Prices are in the quote (debt or settlement) asset per unit of the priced asset.
//! - Fractions are fractions (0.05 = 5%), never basis points.
//! - A refused action (the contract would revert) is an `Err` of a small `*Refusal` enum; a state
//!   that breaks an invariant (a negative balance) is a bug and panics.
//!
//! Where a reference vector needs the last unit, the module also has an exact integer version
//! (`maker::exact`, in `U256`, like [`crate::exact`]).

pub mod adl;
pub mod backstop;
pub mod breaker;
pub mod compound;
pub mod euler;
pub mod maker;
pub mod morpho;
pub mod options;
pub mod perp;
