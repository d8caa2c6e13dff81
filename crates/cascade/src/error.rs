//! Errors for bad input. Each says what was wrong, where (file, line or field) and what would be right.

use std::path::PathBuf;

/// A scenario or data file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The OS's reason is in the message, not a separate source, so it is printed once.
    #[error("{file}: cannot read the file: {reason}")]
    Read {
        file: PathBuf,
        reason: std::io::Error,
    },
    /// Not valid TOML, an unknown key, a missing field or a value of the wrong type (the message
    /// carries the line and column).
    #[error("{file}: {message}")]
    Parse { file: PathBuf, message: String },
    /// A value the model cannot accept.
    #[error("{file}: field `{field}`: {message}")]
    Invalid {
        file: PathBuf,
        field: String,
        message: String,
    },
    /// A bad row in a data file (price series, order book levels, accounts).
    #[error("{file}, line {line}: {message}")]
    Data {
        file: PathBuf,
        line: u64,
        message: String,
    },
}
