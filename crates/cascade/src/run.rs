//! One simulation from a scenario to its report files: what `cascade run` does, as a library call.

use std::path::{Path, PathBuf};

use cascade_core::engine::Simulation;

use crate::builtin;
use crate::error::ScenarioError;
use crate::market::{build_market, parse_scenario, read_scenario, Origin};
use crate::report::{blocks_csv, liquidations_csv, write_folder_atomically, RunReport};
use crate::scenario::Scenario;

/// A finished run and its report files' contents.
#[derive(Debug)]
pub struct RunOutput {
    pub report: RunReport,
    pub report_json: String,
    pub blocks_csv: String,
    pub liquidations_csv: String,
    pub simulation: Simulation,
}

impl RunOutput {
    /// `report.html`: the charts and tables of [`crate::html::run_page`].
    pub fn report_html(&self) -> String {
        crate::html::run_page(&self.report, &self.simulation)
    }

    /// Writes `report.json`, `blocks.csv`, `liquidations.csv` and `report.html` into `dir`, all or
    /// nothing.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        write_folder_atomically(
            dir,
            &[
                ("report.json", self.report_json.as_bytes()),
                ("blocks.csv", self.blocks_csv.as_bytes()),
                ("liquidations.csv", self.liquidations_csv.as_bytes()),
                ("report.html", self.report_html().as_bytes()),
            ],
        )
    }
}

/// Loads a scenario given as a built-in name (`default`) or a path to a TOML file.
pub fn load_scenario(spec: &str) -> Result<(Scenario, Origin), ScenarioError> {
    if let Some(text) = builtin::builtin(spec) {
        let file = PathBuf::from(format!("<builtin:{spec}>"));
        let scenario = parse_scenario(text, &file)?;
        // A built-in scenario's data paths are relative to the repository's `scenarios/` folder.
        let base_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        return Ok((scenario, Origin { file, base_dir }));
    }
    read_scenario(Path::new(spec))
}

/// Builds and runs `scenario` with `seed` (the scenario's own when `None`), calling `on_block(block,
/// max_blocks)` after every block.
pub fn run_scenario(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
    on_block: impl FnMut(u64, u64),
) -> Result<RunOutput, ScenarioError> {
    run_scenario_path(scenario, origin, seed, None, on_block)
}

/// [`run_scenario`] on path `path` of the scenario's stress test (the prices `cascade stress` drew
/// for that path) instead of the assets' own price paths; `None`: the assets' own paths.
pub fn run_scenario_path(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
    path: Option<u64>,
    mut on_block: impl FnMut(u64, u64),
) -> Result<RunOutput, ScenarioError> {
    let seed = seed.unwrap_or(scenario.simulation.seed);
    let mut scenario = scenario.clone();
    scenario.simulation.seed = seed;
    let mut market = build_market(&scenario, origin, seed)?;
    if let Some(index) = path {
        let source = crate::stress::path_source(&scenario, origin, Some(seed))?;
        for (asset, drawn) in market.assets.iter_mut().zip(source.paths(index)) {
            asset.path = drawn;
        }
        market.agents.path_index = index;
    }
    let max_blocks = market.settings.max_blocks;
    let mut simulation = Simulation::new(market);
    while simulation.step().is_none() {
        on_block(simulation.block(), max_blocks);
    }
    let report = RunReport::new(&scenario, seed, &simulation);
    Ok(RunOutput {
        report_json: report.to_json(),
        blocks_csv: blocks_csv(&simulation),
        liquidations_csv: liquidations_csv(simulation.events()),
        report,
        simulation,
    })
}
