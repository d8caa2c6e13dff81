//! `cascade scenarios`: the built-in scenarios.

pub fn run() -> anyhow::Result<()> {
    for (name, file, _, description) in cascade::builtin::BUILTIN_SCENARIOS {
        println!("{name:<16} scenarios/{file:<24} {description}");
    }
    Ok(())
}
