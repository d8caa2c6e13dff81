//! Scenarios embedded in the binary, runnable by name.

/// (name, file name in `scenarios/`, TOML text, one-line description).
pub const BUILTIN_SCENARIOS: &[(&str, &str, &str, &str)] = &[(
    "default",
    "default.toml",
    include_str!("../../../scenarios/default.toml"),
    "ETH -20% / BTC -10% in six minutes on a $2B Aave-v3.3-style lending market (40,000 accounts)",
)];

/// The TOML text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN_SCENARIOS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, _, text, _)| *text)
}
