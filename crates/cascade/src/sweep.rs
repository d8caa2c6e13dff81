//! Parameter sweeps: a grid over scenario parameters, each point stress-tested over the same price
//! paths, with bad-debt risk set against capital efficiency and the Pareto frontier marked.
//!
//! A grid axis is `NAME=VALUES`:
//! - `VALUES` is a comma list (`0.05,0.08,0.1`, or words: `full,rules`) or an inclusive numeric range
//!   `start:stop:step` (`0.78:0.90:0.02`);
//! - `NAME` is `SYMBOL.field` for a collateral parameter of every protocol that lists `SYMBOL` as
//!   collateral (`ETH.liquidation_threshold`, `ETH.ltv`, `ETH.liquidation_bonus`,
//!   `ETH.protocol_fee`), or any scenario field by its path (`protocols[0].close_factor`,
//!   `assets[0].external_depth_usd`, `keepers[1].min_profit_usd`).
//!
//! Sweeping a liquidation threshold without sweeping the same asset's LTV moves the LTV with it
//! (the gap between them stays as in the scenario): raising the threshold is then what risk teams
//! mean by it, more borrowing power for users. The synthetic book is regenerated at every point with
//! the same seed, so each borrower keeps its collateral and its health-factor draw and borrows what
//! the point's parameters allow; a book read from a file stays as it is.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::ScenarioError;
use crate::market::{build_market, Origin};
use crate::scenario::Scenario;
use crate::stress::{path_source, run_paths, EngineUsed, StressStatistics};
use cascade_core::stats::Distribution;

/// The most points one axis may have, and the whole grid.
pub const MAX_AXIS_POINTS: usize = 1_000;
pub const MAX_GRID_POINTS: usize = 10_000;

/// One axis of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxis {
    pub name: String,
    pub values: Vec<toml::Value>,
}

fn grid_error(origin: &Origin, field: &str, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: origin.file.clone(),
        field: field.to_string(),
        message,
    }
}

/// Parses `NAME=VALUES` (see the module documentation).
pub fn parse_axis(text: &str, origin: &Origin) -> Result<GridAxis, ScenarioError> {
    let field = format!("--grid {text}");
    let bad = |message: String| grid_error(origin, &field, message);
    let Some((name, values)) = text.split_once('=') else {
        return Err(bad(
            "expected NAME=VALUES, e.g. ETH.liquidation_threshold=0.78:0.90:0.02 or \
             ETH.liquidation_bonus=0.05,0.08"
                .into(),
        ));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("the parameter name before `=` is empty".into()));
    }
    let values = values.trim();
    let parsed: Vec<toml::Value> = if let Some((start, rest)) = values.split_once(':') {
        let Some((stop, step)) = rest.split_once(':') else {
            return Err(bad(format!(
                "`{values}`: a range is start:stop:step (three numbers)"
            )));
        };
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("{what} `{s}` of the range is not a number")))
        };
        let (start, stop, step) = (
            number(start, "start")?,
            number(stop, "stop")?,
            number(step, "step")?,
        );
        if step <= 0.0 {
            return Err(bad(format!("step {step} must be above zero")));
        }
        if stop < start {
            return Err(bad(format!("stop {stop} is below start {start}")));
        }
        let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
        if count > MAX_AXIS_POINTS {
            return Err(bad(format!(
                "{count} points; an axis may have at most {MAX_AXIS_POINTS}"
            )));
        }
        // Computed from the index (not by adding steps) and rounded to 12 significant digits so
        // that 0.78 + 3 * 0.02 prints as 0.84.
        (0..count)
            .map(|i| toml::Value::Float(round12(start + step * i as f64)))
            .collect()
    } else {
        values
            .split(',')
            .map(|v| {
                let v = v.trim();
                if v.is_empty() {
                    return Err(bad("an empty value in the list".into()));
                }
                Ok(match v.parse::<i64>() {
                    Ok(i) => toml::Value::Integer(i),
                    Err(_) => match v.parse::<f64>() {
                        Ok(f) if f.is_finite() => toml::Value::Float(f),
                        _ => toml::Value::String(v.to_string()),
                    },
                })
            })
            .collect::<Result<_, _>>()?
    };
    if parsed.len() > MAX_AXIS_POINTS {
        return Err(bad(format!(
            "{} points; an axis may have at most {MAX_AXIS_POINTS}",
            parsed.len()
        )));
    }
    Ok(GridAxis {
        name: name.to_string(),
        values: parsed,
    })
}

fn round12(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let digits = 12 - x.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

const COLLATERAL_FIELDS: [&str; 4] = [
    "ltv",
    "liquidation_threshold",
    "liquidation_bonus",
    "protocol_fee",
];

/// `scenario` with every axis set to its value at this point.
pub fn apply_point(
    scenario: &Scenario,
    origin: &Origin,
    point: &[(&GridAxis, &toml::Value)],
) -> Result<Scenario, ScenarioError> {
    let mut value = toml::Value::try_from(scenario).expect("a scenario serialises to TOML");
    for (axis, new) in point {
        let field = format!("--grid {}", axis.name);
        set(&mut value, &axis.name, new, point, origin, &field)?;
    }
    value.try_into::<Scenario>().map_err(|error| {
        let names: Vec<&str> = point.iter().map(|(a, _)| a.name.as_str()).collect();
        grid_error(
            origin,
            &format!("--grid {}", names.join(" ")),
            format!("the scenario no longer reads: {}", error.message()),
        )
    })
}

fn set(
    root: &mut toml::Value,
    name: &str,
    new: &toml::Value,
    point: &[(&GridAxis, &toml::Value)],
    origin: &Origin,
    field: &str,
) -> Result<(), ScenarioError> {
    let bad = |message: String| grid_error(origin, field, message);
    // `SYMBOL.field` for a collateral parameter.
    if let Some((symbol, key)) = name.split_once('.') {
        if COLLATERAL_FIELDS.contains(&key) && !symbol.contains('[') {
            let mut found = false;
            let protocols = root
                .get_mut("protocols")
                .and_then(|p| p.as_array_mut())
                .expect("a scenario has protocols");
            for protocol in protocols {
                let markets = protocol
                    .get_mut("markets")
                    .and_then(|m| m.as_array_mut())
                    .expect("a protocol has markets");
                for market in markets {
                    if market.get("asset").and_then(|a| a.as_str()) != Some(symbol) {
                        continue;
                    }
                    let Some(collateral) =
                        market.get_mut("collateral").and_then(|c| c.as_table_mut())
                    else {
                        continue;
                    };
                    let Some(number) = new.as_float().or(new.as_integer().map(|i| i as f64)) else {
                        return Err(bad(format!("{new} is not a number")));
                    };
                    let old = collateral.get(key).and_then(|v| v.as_float());
                    collateral.insert(key.to_string(), toml::Value::Float(number));
                    let ltv_swept = point
                        .iter()
                        .any(|(axis, _)| axis.name == format!("{symbol}.ltv"));
                    if key == "liquidation_threshold" && !ltv_swept {
                        if let (Some(old), Some(ltv)) =
                            (old, collateral.get("ltv").and_then(|v| v.as_float()))
                        {
                            let gap = old - ltv;
                            collateral
                                .insert("ltv".into(), toml::Value::Float(round12(number - gap)));
                        }
                    }
                    found = true;
                }
            }
            if !found {
                return Err(bad(format!(
                    "no protocol lists `{symbol}` as collateral (a collateral parameter is \
                     SYMBOL.{key} with SYMBOL one of the scenario's collateral assets)"
                )));
            }
            return Ok(());
        }
    }
    // A scenario path: `a.b[2].c`.
    let mut current = root;
    let parts: Vec<&str> = name.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        let (key, subscripts) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (*part, ""),
        };
        let last = index + 1 == parts.len() && subscripts.is_empty();
        let table = current
            .as_table_mut()
            .ok_or_else(|| bad(format!("`{key}` is not inside a table")))?;
        if last {
            if !table.contains_key(key) {
                return Err(bad(format!(
                    "the scenario has no `{key}` here (optional fields must be in the file to be \
                     swept); fields here: {}",
                    table.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            table.insert(key.to_string(), new.clone());
            return Ok(());
        }
        current = table
            .get_mut(key)
            .ok_or_else(|| bad(format!("the scenario has no `{key}`")))?;
        let mut rest = subscripts;
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(close) = stripped.find(']') else {
                return Err(bad(format!("unclosed `[` in `{part}`")));
            };
            let position: usize = stripped[..close]
                .parse()
                .map_err(|_| bad(format!("`{}` is not an index", &stripped[..close])))?;
            let array = current
                .as_array_mut()
                .ok_or_else(|| bad(format!("`{key}` is not a list")))?;
            let length = array.len();
            current = array.get_mut(position).ok_or_else(|| {
                bad(format!(
                    "`{key}` has {length} entries; index {position} is past the end"
                ))
            })?;
            rest = &stripped[close + 1..];
        }
        if index + 1 == parts.len() {
            *current = new.clone();
            return Ok(());
        }
    }
    Ok(())
}

/// One point of the grid and its stress test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Axis name to the value at this point (as written on the command line).
    pub parameters: BTreeMap<String, String>,
    /// Capital efficiency: the loan-to-value users may borrow at against the primary asset.
    pub max_ltv: f64,
    /// Debt over collateral value of the whole book at the start: the leverage actually taken.
    pub debt_to_collateral: f64,
    pub bad_debt_usd: Distribution,
    pub liquidated_value_usd: Distribution,
    pub cascade_probability: f64,
    /// No other point has both at most its bad-debt VaR 99 and at least its max LTV, with one of
    /// the two strictly better.
    pub pareto: bool,
    #[serde(flatten)]
    pub engine: EngineUsed,
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepReport {
    pub scenario_name: String,
    pub seed: u64,
    pub paths: u64,
    pub axes: Vec<String>,
    pub risk_measure: &'static str,
    pub efficiency_measure: &'static str,
    pub points: Vec<SweepPoint>,
}

/// Every combination of the axes' values, the first axis varying slowest.
pub fn grid_points(axes: &[GridAxis]) -> Vec<Vec<(&GridAxis, &toml::Value)>> {
    let mut points: Vec<Vec<(&GridAxis, &toml::Value)>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |value| {
                    let mut point = prefix.clone();
                    point.push((axis, value));
                    point
                })
            })
            .collect();
    }
    points
}

/// Runs the sweep: every grid point over the same `n_paths` paths.
pub fn sweep_scenario(
    scenario: &Scenario,
    origin: &Origin,
    axes: &[GridAxis],
    seed: Option<u64>,
    n_paths: u64,
    on_path_done: &(dyn Fn() + Sync),
) -> Result<SweepReport, ScenarioError> {
    if axes.is_empty() {
        return Err(grid_error(
            origin,
            "--grid",
            "no axis: give at least one --grid NAME=VALUES (or a [sweep] grid in the scenario)"
                .into(),
        ));
    }
    if n_paths == 0 {
        return Err(grid_error(
            origin,
            "--paths",
            "is 0; each point needs at least one path".into(),
        ));
    }
    let points = grid_points(axes);
    if points.len() > MAX_GRID_POINTS {
        return Err(grid_error(
            origin,
            "--grid",
            format!(
                "{} points; a grid may have at most {MAX_GRID_POINTS}",
                points.len()
            ),
        ));
    }
    let seed = seed.unwrap_or(scenario.simulation.seed);
    // Check every point before running any, so a bad value fails at once.
    let scenarios: Vec<Scenario> = points
        .iter()
        .map(|point| apply_point(scenario, origin, point))
        .collect::<Result<_, _>>()?;
    let mut results = Vec::with_capacity(points.len());
    for (point, point_scenario) in points.iter().zip(&scenarios) {
        let market = build_market(point_scenario, origin, seed)?;
        let source = path_source(point_scenario, origin, Some(seed))?;
        let (paths, engine) = run_paths(
            &market,
            n_paths,
            &|index| source.paths(index),
            on_path_done,
            false,
        );
        let statistics = StressStatistics::of(&paths).expect("at least one path");
        let primary = market.primary_asset();
        let protocol = market
            .protocols
            .iter()
            .find(|p| p.risk_params[primary.index()].is_some())
            .unwrap_or(&market.protocols[0]);
        let max_ltv = protocol.risk_params[primary.index()].map_or(0.0, |p| p.ltv);
        let prices: Vec<f64> = market
            .assets
            .iter()
            .map(|a| a.path.initial_price())
            .collect();
        let (mut debt, mut collateral) = (0.0, 0.0);
        for protocol in &market.protocols {
            for account in 0..protocol.n_accounts() {
                let account = cascade_core::ids::AccountId(account as u32);
                debt += protocol.debt_usd(account, &prices);
                collateral += protocol.collateral_usd(account, &prices);
            }
        }
        results.push(SweepPoint {
            parameters: point
                .iter()
                .map(|(axis, value)| (axis.name.clone(), display(value)))
                .collect(),
            max_ltv,
            debt_to_collateral: if collateral > 0.0 {
                debt / collateral
            } else {
                0.0
            },
            bad_debt_usd: statistics.bad_debt_usd,
            liquidated_value_usd: statistics.liquidated_value_usd,
            cascade_probability: statistics.cascade_probability,
            pareto: false,
            engine,
        });
    }
    mark_pareto(&mut results);
    Ok(SweepReport {
        scenario_name: scenario.simulation.name.clone(),
        seed,
        paths: n_paths,
        axes: axes.iter().map(|a| a.name.clone()).collect(),
        risk_measure: "bad_debt_usd.var_99",
        efficiency_measure: "max_ltv",
        points: results,
    })
}

fn display(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Marks the points no other point dominates (lower or equal bad-debt VaR 99 and higher or equal
/// max LTV, one strictly).
pub fn mark_pareto(points: &mut [SweepPoint]) {
    let keys: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.bad_debt_usd.var_99, p.max_ltv))
        .collect();
    for (index, point) in points.iter_mut().enumerate() {
        let (risk, efficiency) = keys[index];
        point.pareto = !keys
            .iter()
            .any(|&(r, e)| r <= risk && e >= efficiency && (r < risk || e > efficiency));
    }
}

impl SweepReport {
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("serialisable report");
        text.push('\n');
        text
    }

    /// One row per point: the axes, then the measures.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = self.axes.clone();
        header.extend(
            [
                "max_ltv",
                "debt_to_collateral",
                "bad_debt_mean",
                "bad_debt_var_95",
                "bad_debt_var_99",
                "bad_debt_es_99",
                "liquidated_var_99",
                "cascade_probability",
                "pareto",
            ]
            .map(String::from),
        );
        writer.write_record(&header).expect("writing to memory");
        for point in &self.points {
            let mut row: Vec<String> = self
                .axes
                .iter()
                .map(|axis| point.parameters[axis].clone())
                .collect();
            row.extend([
                point.max_ltv.to_string(),
                point.debt_to_collateral.to_string(),
                point.bad_debt_usd.mean.to_string(),
                point.bad_debt_usd.var_95.to_string(),
                point.bad_debt_usd.var_99.to_string(),
                point.bad_debt_usd.es_99.to_string(),
                point.liquidated_value_usd.var_99.to_string(),
                point.cascade_probability.to_string(),
                point.pareto.to_string(),
            ]);
            writer.write_record(&row).expect("writing to memory");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 CSV")
    }

    /// `report.html`: the chart and table of [`crate::html::sweep_page`].
    pub fn report_html(&self) -> String {
        crate::html::sweep_page(self)
    }

    /// Writes `sweep.json`, `sweep.csv` and `report.html` into `dir`, all or nothing.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        crate::report::write_folder_atomically(
            dir,
            &[
                ("sweep.json", self.to_json().as_bytes()),
                ("sweep.csv", self.to_csv().as_bytes()),
                ("report.html", self.report_html().as_bytes()),
            ],
        )
    }
}
