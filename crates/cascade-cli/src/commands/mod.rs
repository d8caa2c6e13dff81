pub mod compare;
pub mod generate;
pub mod heatmap;
pub mod run;
pub mod scenarios;
pub mod schema;
pub mod stress;
pub mod sweep;

pub use cascade::format::{percent, usd};
