//! `cascade schema`: the scenario file's JSON Schema on standard output.

pub fn run() -> anyhow::Result<()> {
    let schema = schemars::schema_for!(cascade::scenario::Scenario);
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(())
}
