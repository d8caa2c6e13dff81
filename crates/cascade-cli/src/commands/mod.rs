pub mod compare;
pub mod run;
pub mod scenarios;
pub mod schema;
pub mod stress;
