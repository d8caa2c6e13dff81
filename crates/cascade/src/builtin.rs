//! Scenarios embedded in the binary, runnable by name.

/// (name, file name in `scenarios/`, TOML text, one-line description).
pub const BUILTIN_SCENARIOS: &[(&str, &str, &str, &str)] = &[
    (
        "default",
        "default.toml",
        include_str!("../../../scenarios/default.toml"),
        "ETH -20% / BTC -10% in six minutes on a $2B Aave-v3.3-style lending market (40,000 accounts)",
    ),
    (
        "frictionless",
        "frictionless.toml",
        include_str!("../../../scenarios/frictionless.toml"),
        "ETH -15% on a full-close lending market with frictionless keepers (100,000 accounts; \
         runs on the sorted-book fast path)",
    ),
    (
        "compare",
        "compare.toml",
        include_str!("../../../scenarios/compare.toml"),
        "ETH -25% in two minutes on a lending market, a perp exchange and an options vault sharing \
         two venues: the input of `cascade compare`",
    ),
    (
        "black-thursday",
        "black-thursday.toml",
        include_str!("../../../scenarios/black-thursday.toml"),
        "2020-03-12 replayed: ETH's 10-minute bars and gas prices on a Maker-style ETH-A vault book \
         with Dutch auctions, an OSM and keepers starved of gas",
    ),
    (
        "oracle-manipulation",
        "oracle-manipulation.toml",
        include_str!("../../../scenarios/oracle-manipulation.toml"),
        "an attacker pushes a thin DEX pool 30% down for one block, liquidates what the spot oracle \
         reading it exposes, and buys back: the attack's cost and profit",
    ),
    (
        "lst-contagion",
        "lst-contagion.toml",
        include_str!("../../../scenarios/lst-contagion.toml"),
        "stETH de-pegs 4% while ETH falls 20%: one thin stETH venue and one stETH oracle shared by \
         lending markets, a perp market and an options vault (docs/contagion.md)",
    ),
];

/// The TOML text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN_SCENARIOS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, _, text, _)| *text)
}
