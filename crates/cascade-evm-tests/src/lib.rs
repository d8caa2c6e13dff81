//! Differential tests of cascade's models against the real protocol contracts, executed in an
//! in-process EVM (`revm`).
//!
//! The compiled contracts come from the npm packages `@aave/core-v3` 1.19.3 (Aave v3.0) and
//! `@uniswap/v2-core` 1.0.1, pinned by this crate's `package-lock.json` and fetched by the tests
//! themselves ([`npm::node_modules`]) into the cargo target directory; nothing from them is in the
//! repository. This library is the harness: [`npm`] fetches, [`artifact`] reads and links bytecode,
//! [`chain`] runs it, [`aave`] and [`uniswap`] deploy the two protocols. The comparisons themselves
//! are the integration tests under `tests/`; what they compare and what they found is in
//! `docs/validation.md`.

pub mod aave;
pub mod artifact;
pub mod chain;
pub mod npm;
pub mod uniswap;
