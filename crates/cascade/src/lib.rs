//! cascade: scenarios, IO and reports.
pub mod book;
pub mod builtin;
pub mod columns;
pub mod compare;
pub mod data;
pub mod error;
pub mod format;
pub mod html;
pub mod market;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shock;
pub mod stress;
pub mod sweep;
