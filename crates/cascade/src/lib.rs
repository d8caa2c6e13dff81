//! cascade: scenarios, IO and reports.
pub mod builtin;
pub mod columns;
pub mod compare;
pub mod data;
pub mod error;
pub mod market;
pub mod report;
pub mod run;
pub mod scenario;
pub mod stress;
