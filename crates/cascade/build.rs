//! Fetches the charting library that every `report.html` inlines (Chart.js, pinned by
//! `web/package-lock.json`) into `OUT_DIR`, where `src/html` picks it up with `include_str!`.
//!
//! - The library is never committed: `npm ci --ignore-scripts` installs exactly the locked version
//!   (its integrity hash checked by npm) into a staging folder, and the one file we need is renamed
//!   into `OUT_DIR` next to a stamp holding the lockfile it came from.
//! - It runs again only when the lockfile changes (`rerun-if-changed`), and even then skips npm when
//!   the stamp matches, so rebuilds after the first are offline and add nothing.
//! - Safe when two builds race on one `OUT_DIR` (`cargo build` next to `cargo clippy`): each installs
//!   into its own staging folder, and the file and its stamp arrive by atomic renames.
//! - `CASCADE_CHART_JS=/path/to/chart.umd.min.js` uses a file fetched elsewhere (an offline build
//!   machine); it must be the locked version's `dist/chart.umd.min.js`.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file, inside `node_modules`, that the page inlines: the self-contained UMD build.
const LIBRARY_FILE: &str = "chart.js/dist/chart.umd.min.js";
/// Its name in `OUT_DIR` (`src/html/mod.rs` includes it by this name).
const OUT_NAME: &str = "chart.umd.min.js";
const STAMP_NAME: &str = "chart.umd.min.js.lock";

fn main() {
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-env-changed=CASCADE_CHART_JS");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let web = manifest_dir.join("web");
    let lock = std::fs::read_to_string(web.join("package-lock.json"))
        .unwrap_or_else(|e| fail(&format!("cannot read web/package-lock.json: {e}")));
    let version = locked_version(&lock);
    println!("cargo:rustc-env=CASCADE_CHART_JS_VERSION={version}");

    let target = out_dir.join(OUT_NAME);
    let stamp = out_dir.join(STAMP_NAME);
    if let Some(path) = std::env::var_os("CASCADE_CHART_JS") {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            fail(&format!(
                "CASCADE_CHART_JS={}: cannot read it: {e}",
                Path::new(&path).display()
            ))
        });
        install_file(&out_dir, &target, &stamp, &text, &lock);
        return;
    }
    if target.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        return;
    }

    let staging = out_dir.join(format!("npm-staging-{}", std::process::id()));
    if staging.exists() {
        // Left by a killed build that had the same process id.
        std::fs::remove_dir_all(&staging)
            .unwrap_or_else(|e| fail(&format!("cannot remove {}: {e}", staging.display())));
    }
    std::fs::create_dir_all(&staging)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", staging.display())));
    for name in ["package.json", "package-lock.json"] {
        std::fs::copy(web.join(name), staging.join(name))
            .unwrap_or_else(|e| fail(&format!("cannot copy web/{name}: {e}")));
    }
    // On Windows npm is a batch file, which Command does not find by its bare name.
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = Command::new(npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--prefer-offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&staging)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => fail(&format!(
            "building the `cascade` crate needs npm (Node.js 16 or later) once, to fetch the \
             charting library its HTML reports inline (chart.js {version}, pinned by \
             crates/cascade/web/package-lock.json); npm was not found on PATH. Install Node.js \
             with npm (e.g. `apt-get install nodejs npm`) and build again, or set \
             CASCADE_CHART_JS to a copy of chart.js {version}'s dist/chart.umd.min.js."
        )),
        Err(e) => fail(&format!("cannot run npm: {e}")),
    };
    if !output.status.success() {
        fail(&format!(
            "`npm ci --ignore-scripts` failed in {} ({}), so the charting library (chart.js \
             {version}) could not be fetched; does this machine reach the npm registry? (Or set \
             CASCADE_CHART_JS to a copy of its dist/chart.umd.min.js.)\n{}",
            staging.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let fetched = staging.join("node_modules").join(LIBRARY_FILE);
    let text = std::fs::read_to_string(&fetched).unwrap_or_else(|e| {
        fail(&format!(
            "npm ci succeeded but {} cannot be read: {e}",
            fetched.display()
        ))
    });
    install_file(&out_dir, &target, &stamp, &text, &lock);
    // A failure to clean up leaves a folder in OUT_DIR, nothing worse.
    let _ = std::fs::remove_dir_all(&staging);
}

/// Checks the library can be inlined in a `<script>` element and renames it (then its stamp) into
/// place.
fn install_file(out_dir: &Path, target: &Path, stamp: &Path, text: &str, lock: &str) {
    let lower = text.to_ascii_lowercase();
    if lower.contains("</script") || lower.contains("<!--") {
        fail(
            "the charting library contains `</script` or `<!--`, which would end or confuse the \
             inline <script> of report.html: escape it in build.rs before updating",
        );
    }
    // The source map is not shipped; a comment pointing at it would only draw a failed lookup.
    let text: String = text
        .lines()
        .filter(|line| !line.starts_with("//# sourceMappingURL="))
        .collect::<Vec<_>>()
        .join("\n");
    let id = std::process::id();
    for (path, contents) in [(target, text.as_str()), (stamp, lock)] {
        let temporary = out_dir.join(format!(
            "{}.tmp-{id}",
            path.file_name().expect("a file name").to_string_lossy()
        ));
        std::fs::write(&temporary, contents)
            .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", temporary.display())));
        std::fs::rename(&temporary, path)
            .unwrap_or_else(|e| fail(&format!("cannot rename into {}: {e}", path.display())));
    }
}

/// The version of `chart.js` that the lockfile pins.
fn locked_version(lock: &str) -> String {
    let entry = lock
        .split_once("\"node_modules/chart.js\": {")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| fail("web/package-lock.json does not lock `chart.js`"));
    let version = entry
        .split_once("\"version\": \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(version, _)| version)
        .unwrap_or_else(|| fail("web/package-lock.json gives no version for `chart.js`"));
    version.to_string()
}

fn fail(message: &str) -> ! {
    // Cargo shows a build script's stderr when it fails; the panic names the crate.
    eprintln!("error: {message}");
    panic!("cascade build script: {message}");
}
