//! cascade: scenarios, IO and reports.
pub mod data;
pub mod error;
pub mod scenario;
