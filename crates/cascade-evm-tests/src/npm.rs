//! Fetching the compiled contracts: `npm ci --ignore-scripts` of this crate's `package.json` and
//! `package-lock.json` into a cache folder under the cargo target directory.
//!
//! The two files are compiled into the test binaries (`include_str!`), so what runs is always what
//! the repository pins. The cache folder is named after a hash of the lockfile: changing a version
//! fetches again into a new folder. Installation is safe when several test binaries or threads race:
//! within a process a [`OnceLock`] runs it once; across processes each installs into its own
//! staging folder and renames it into place, and a loser of the rename uses the winner's folder.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use alloy_primitives::keccak256;

const PACKAGE_JSON: &str = include_str!("../package.json");
const PACKAGE_LOCK: &str = include_str!("../package-lock.json");

/// The pinned packages, as the error messages and the docs name them.
pub const PACKAGES: &str = "@aave/core-v3@1.19.3 and @uniswap/v2-core@1.0.1";

/// Written last into a complete installation.
const COMPLETE_MARKER: &str = ".cascade-complete";

/// Files that must exist in a complete installation (relative to `node_modules`).
const EXPECTED_FILES: [&str; 2] = [
    "@aave/core-v3/artifacts/contracts/protocol/pool/Pool.sol/Pool.json",
    "@uniswap/v2-core/build/UniswapV2Factory.json",
];

static NODE_MODULES: OnceLock<PathBuf> = OnceLock::new();

/// The `node_modules` folder holding the pinned packages, installing them under `cache_root` on
/// first use (tests pass `env!("CARGO_TARGET_TMPDIR")`).
///
/// # Panics
///
/// When npm is missing or the installation fails, with a message saying what to do.
pub fn node_modules(cache_root: &Path) -> &'static Path {
    NODE_MODULES.get_or_init(|| install(cache_root))
}

fn install(cache_root: &Path) -> PathBuf {
    let hash = keccak256(PACKAGE_LOCK.as_bytes());
    let key = alloy_primitives::hex::encode(&hash[..6]);
    let folder = cache_root.join(format!("cascade-evm-contracts-{key}"));
    if folder.join(COMPLETE_MARKER).exists() {
        return folder.join("node_modules");
    }
    std::fs::create_dir_all(cache_root).unwrap_or_else(|e| {
        panic!(
            "cannot create the cache folder {}: {e}",
            cache_root.display()
        )
    });
    let staging = cache_root.join(format!(
        "cascade-evm-contracts-{key}.staging-{}",
        std::process::id()
    ));
    if staging.exists() {
        // Left over by an earlier run of a process with the same id that was killed.
        std::fs::remove_dir_all(&staging).unwrap_or_else(|e| {
            panic!("cannot remove the stale folder {}: {e}", staging.display())
        });
    }
    std::fs::create_dir_all(&staging)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", staging.display()));
    for (name, text) in [
        ("package.json", PACKAGE_JSON),
        ("package-lock.json", PACKAGE_LOCK),
    ] {
        std::fs::write(staging.join(name), text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", staging.join(name).display()));
    }
    eprintln!(
        "cascade-evm-tests: fetching {PACKAGES} with npm into {}",
        folder.display()
    );
    // On Windows npm is a batch file, which Command does not find by its bare name.
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = Command::new(npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&staging)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "the differential tests need npm (Node.js 16 or later) to fetch the compiled contracts \
             ({PACKAGES}); npm was not found on PATH. Install Node.js with npm \
             (https://nodejs.org, or e.g. `apt-get install nodejs npm`), then run the tests again."
        ),
        Err(e) => panic!("cannot run npm: {e}"),
    };
    if !output.status.success() {
        panic!(
            "`npm ci --ignore-scripts` failed in {} ({}), so the compiled contracts ({PACKAGES}) \
             could not be fetched; does this machine reach the npm registry?\n{}",
            staging.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for file in EXPECTED_FILES {
        let path = staging.join("node_modules").join(file);
        assert!(
            path.exists(),
            "npm ci succeeded but {} is missing",
            path.display()
        );
    }
    std::fs::write(staging.join(COMPLETE_MARKER), "")
        .unwrap_or_else(|e| panic!("cannot write into {}: {e}", staging.display()));
    if let Err(e) = std::fs::rename(&staging, &folder) {
        // Another process finished first: use its folder, drop ours.
        if folder.join(COMPLETE_MARKER).exists() {
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            panic!(
                "cannot move {} to {}: {e}",
                staging.display(),
                folder.display()
            );
        }
    }
    folder.join("node_modules")
}
