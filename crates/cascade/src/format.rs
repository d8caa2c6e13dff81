//! Numbers as people read them, shared by the terminal tables and the HTML reports so that both
//! say the same thing the same way.

use cascade_core::engine::AttackOutcome;
use cascade_core::report::Summary;

/// USD with a k/M/B suffix, two decimals: `$137.50M` (`-$1.20k` below zero).
pub fn usd(value: f64) -> String {
    if value < 0.0 {
        return format!("-{}", usd(-value));
    }
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

/// A fraction as a percentage, two decimals: `25.15%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}

/// A price, two decimals.
pub fn price(value: f64) -> String {
    format!("{value:.2}")
}

/// The run summary as (label, value) rows: `cascade run`'s table and report.html's key numbers.
pub fn summary_rows(summary: &Summary, block_seconds: f64) -> Vec<(String, String)> {
    let symbol = &summary.primary_asset;
    vec![
        (
            format!("{symbol} reference price at start"),
            price(summary.initial_price),
        ),
        (
            "Exogenous shock (price path alone)".into(),
            format!(
                "-{} to {}",
                percent(summary.initial_shock),
                price(summary.shocked_price)
            ),
        ),
        (
            "Equilibrium price".into(),
            format!(
                "{} (-{})",
                price(summary.equilibrium_price),
                percent(summary.final_drawdown)
            ),
        ),
        (
            "Lowest price on any venue".into(),
            format!(
                "{} (-{})",
                price(summary.lowest_price),
                percent(summary.max_drawdown)
            ),
        ),
        (
            "Amplification (final drop / shock)".into(),
            format!("{:.3}x", summary.amplification),
        ),
        (
            "Peak amplification (lowest / shock)".into(),
            format!("{:.3}x", summary.peak_amplification),
        ),
        (
            "Liquidations".into(),
            format!(
                "{} calls on {} accounts",
                summary.n_liquidations, summary.n_accounts_liquidated
            ),
        ),
        (
            "Collateral seized (liquidated value)".into(),
            usd(summary.collateral_seized_usd),
        ),
        ("Debt repaid".into(), usd(summary.debt_repaid_usd)),
        (
            "Bonus paid (protocol's share)".into(),
            format!(
                "{} ({})",
                usd(summary.bonus_paid_usd),
                usd(summary.protocol_fees_usd)
            ),
        ),
        ("Bad debt".into(), usd(summary.bad_debt_usd)),
        (
            "Insolvent debt left at stop".into(),
            usd(summary.insolvent_debt_usd),
        ),
        (
            "Keeper profit (gas spent)".into(),
            format!(
                "{} ({})",
                usd(summary.keeper_profit_usd),
                usd(summary.gas_spent_usd)
            ),
        ),
        (
            "Peak liquidations per block".into(),
            format!(
                "{} (block {})",
                summary.peak_liquidations_per_block, summary.peak_liquidations_block
            ),
        ),
        (
            "Blocks to equilibrium".into(),
            format!(
                "{} (~{:.0} min from the shock)",
                summary.blocks_to_equilibrium,
                summary.blocks_to_equilibrium as f64 * block_seconds / 60.0
            ),
        ),
        (
            "Cascade duration (99% of value seized)".into(),
            format!(
                "{} blocks (~{:.0} min)",
                summary.cascade_duration_blocks,
                summary.cascade_duration_blocks as f64 * block_seconds / 60.0
            ),
        ),
        (
            "Stop reason".into(),
            format!(
                "{} ({} accounts below HF 1 left)",
                summary.stop_reason.as_str(),
                summary.n_liquidatable_at_stop
            ),
        ),
    ]
}

/// An oracle manipulation attack's cost and profit as (label, value) rows: `cascade run`'s table
/// and report.html.
pub fn attack_rows(attack: &AttackOutcome) -> Vec<(String, String)> {
    let verdict = if !attack.closed {
        "not closed when the run stopped (what it owes is valued at the reference price)"
    } else if attack.net_profit_usd > 0.0 {
        "pays"
    } else {
        "does not pay"
    };
    vec![
        (
            "Venue pushed, blocks".into(),
            format!(
                "{} from block {} (buy-back at {})",
                attack.venue, attack.start_block, attack.close_block
            ),
        ),
        (
            "Deepest discount to reference".into(),
            percent(attack.deepest_push),
        ),
        (
            "Sold, then bought back".into(),
            format!(
                "{:.2} units for {}, back for {}",
                attack.base_sold,
                usd(attack.sale_proceeds_usd),
                usd(attack.buyback_cost_usd)
            ),
        ),
        (
            "Manipulation cost (incl. borrow fees)".into(),
            format!(
                "{} ({} fees)",
                usd(attack.manipulation_cost_usd),
                usd(attack.borrow_fees_usd)
            ),
        ),
        (
            "Attacker's liquidations".into(),
            format!(
                "{} repaying {}",
                attack.liquidations,
                usd(attack.debt_repaid_usd)
            ),
        ),
        (
            "Liquidation profit".into(),
            usd(attack.liquidation_profit_usd),
        ),
        (
            "Net profit of the attack".into(),
            format!("{} ({verdict})", usd(attack.net_profit_usd)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_usd_scales_by_thousands() {
        assert_eq!(usd(137_503_000.0), "$137.50M");
        assert_eq!(usd(2_360.0), "$2.36k");
        assert_eq!(usd(-4.5), "-$4.50");
        assert_eq!(usd(-191_880.0), "-$191.88k");
        assert_eq!(usd(1.2e9), "$1.20B");
        assert_eq!(percent(0.2515), "25.15%");
    }
}
