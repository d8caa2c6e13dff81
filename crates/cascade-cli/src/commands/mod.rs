pub mod compare;
pub mod generate;
pub mod heatmap;
pub mod run;
pub mod scenarios;
pub mod schema;
pub mod stress;
pub mod sweep;

/// USD with a k/M/B suffix, two decimals.
pub fn usd(value: f64) -> String {
    let abs = value.abs();
    let (scaled, unit) = if abs >= 1e9 {
        (value / 1e9, "B")
    } else if abs >= 1e6 {
        (value / 1e6, "M")
    } else if abs >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    format!("${scaled:.2}{unit}")
}

/// A fraction as a percentage, two decimals.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}
