//! `cascade scenarios`: the built-in scenarios.

pub fn run() -> anyhow::Result<()> {
    let scenarios = cascade::builtin::BUILTIN_SCENARIOS;
    let name_width = scenarios.iter().map(|s| s.0.len()).max().unwrap_or(0);
    let file_width = scenarios.iter().map(|s| s.1.len()).max().unwrap_or(0) + "scenarios/".len();
    for (name, file, _, description) in scenarios {
        let path = format!("scenarios/{file}");
        println!("{name:<name_width$}  {path:<file_width$}  {description}");
    }
    Ok(())
}
