//! cascade-core: the model and the engine of cascade, a block-by-block simulator of liquidation
//! cascades. Pure and deterministic: no IO, no threads, no clock; every random draw comes from
//! [`rng::stream_rng`]. The `cascade` crate builds a [`engine::Market`] from a scenario file and
//! writes the reports; this crate only computes.
pub mod agents;
mod bucket_sort;
pub mod cdp;
pub mod concentrated;
pub mod concentrated_exact;
pub mod engine;
pub mod exact;
pub mod fast;
pub mod generator;
pub mod health_index;
pub mod ids;
pub mod lending;
pub mod mechanism;
pub mod metrics;
pub mod names;
pub mod option_vault;
pub mod oracle;
pub mod perp_exchange;
pub mod positions;
pub mod price_path;
pub mod process;
pub mod report;
pub mod rng;
pub mod setup;
pub mod stats;
pub mod venue;
