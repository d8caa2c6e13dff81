//! Every `report.html` renders in headless Chromium: each chart draws (its div gets
//! `data-chart-ready="1"`), and nothing reaches the page's error box or the browser console (script
//! errors, `console.error`/`warn`, loads blocked by the page's no-network policy).
//!
//! Needs a Chromium binary: Debian's `chromium` (`.ci/run` installs it), or the one
//! `CASCADE_CHROMIUM` names. The run, stress and sweep pages come from the writers of those
//! commands; the heatmap and compare pages from hand-made data.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cascade::html::{
    compare_page, heatmap_page, CompareChartData, CompareRow, HeatmapChartData, OverhangBinData,
    OverhangChartData, ProtocolOverhangData,
};
use cascade::market::Origin;
use cascade::run::{load_scenario, run_scenario, RunOutput};
use cascade::scenario::Scenario;
use cascade::stress::stress_scenario;
use cascade::sweep::{mark_pareto, parse_axis, sweep_scenario};

/// How long one page may take to render before the test gives up.
const RENDER_LIMIT: Duration = Duration::from_secs(120);

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CASCADE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return Some(dir.join(name));
            }
        }
    }
    None
}

/// Installs Debian's `chromium` with apt when this user can (root, or sudo without a password):
/// the test setup brings what the tests need, so `cargo test --workspace` alone runs them on a
/// fresh machine. Returns what apt said when it could not.
fn install_chromium() -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        let output = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    };
    eprintln!("chromium is missing: installing Debian's chromium for the report tests (apt-get)");
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "chromium"])
}

fn chromium() -> PathBuf {
    static FOUND: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(|| {
        if let Some(path) = find_chromium() {
            return Ok(path);
        }
        install_chromium()?;
        find_chromium().ok_or_else(|| "apt-get succeeded but no chromium is on PATH".to_string())
    });
    match found {
        Ok(path) => path.clone(),
        Err(why) => panic!(
            "the report tests render every report.html in headless Chromium; none was found on \
             PATH (chromium, chromium-browser, google-chrome) and installing it failed ({why}). \
             Install it (Debian: `apt-get install -y chromium`) or set CASCADE_CHROMIUM to a \
             Chromium or Chrome binary."
        ),
    }
}

/// A folder for one test's report, kept under the target dir so a failure can be looked at.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("html-reports")
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    dir
}

struct Rendered {
    dom: String,
    console: Vec<String>,
}

/// Loads `page` in headless Chromium and returns the DOM after its scripts ran, and the console.
fn render(page: &Path) -> Rendered {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium().display()));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if waited >= RENDER_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish rendering {url} in {RENDER_LIMIT:?}");
        }
        std::thread::sleep(step);
        waited += step;
    };
    let dom = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        status.success() && dom.contains("</html>"),
        "Chromium failed on {url} ({status}):\n{stderr}"
    );
    let console = stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    Rendered { dom, console }
}

/// The start tag of the element with `id` in `html`.
fn start_tag<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let open = html[..at].rfind('<')?;
    let close = at + html[at..].find('>')?;
    Some(&html[open..=close])
}

/// Renders `page` and checks that the page has exactly `charts`, each drawn, and no error; returns
/// the rendered DOM.
fn check_page(page: &Path, charts: &[&str]) -> String {
    let source = std::fs::read_to_string(page).unwrap();
    let ids: Vec<&str> = source
        .match_indices("<div class=\"chart\" id=\"chart-")
        .map(|(at, prefix)| {
            let rest = &source[at + prefix.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(ids, charts, "the charts of {}", page.display());

    let rendered = render(page);
    let errors_tag = start_tag(&rendered.dom, "errors").expect("the error box is in the page");
    let errors_start = rendered.dom.find(errors_tag).unwrap() + errors_tag.len();
    let errors = &rendered.dom[errors_start..];
    let errors = &errors[..errors.find("</pre>").unwrap()];
    assert!(
        errors.trim().is_empty() && errors_tag.contains("hidden"),
        "{} reported errors:\n{errors}",
        page.display()
    );
    assert!(
        rendered.console.is_empty(),
        "{} wrote to the console:\n{}",
        page.display(),
        rendered.console.join("\n")
    );
    for id in charts {
        let tag = start_tag(&rendered.dom, &format!("chart-{id}")).unwrap();
        assert!(
            tag.contains("data-chart-ready=\"1\""),
            "chart {id} of {} did not draw: {tag}",
            page.display()
        );
    }
    assert_eq!(
        rendered.dom.matches("<canvas").count(),
        charts.len(),
        "one canvas per chart in {}",
        page.display()
    );
    rendered.dom
}

fn written_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The built-in `frictionless` scenario with `n_accounts` accounts (quick on the fast path).
fn frictionless(n_accounts: u32) -> (Scenario, Origin) {
    let (mut scenario, origin) = load_scenario("frictionless").unwrap();
    match &mut scenario.protocols[0].accounts {
        cascade::scenario::AccountsConfig::Synthetic(generator) => {
            generator.n_accounts = n_accounts
        }
        other => panic!("the built-in frictionless scenario generates its accounts, not {other:?}"),
    }
    (scenario, origin)
}

/// Runs a built-in scenario and writes its report folder under `out_dir(folder)`.
fn run_builtin(name: &str, folder: &str) -> (RunOutput, PathBuf) {
    let (scenario, origin) = load_scenario(name).unwrap();
    let output = run_scenario(&scenario, &origin, None, |_, _| {}).unwrap();
    let dir = out_dir(folder);
    output.write(&dir).unwrap();
    (output, dir)
}

#[test]
fn test_run_report_html_draws_every_chart() {
    let (_, dir) = run_builtin("default", "run");
    assert_eq!(
        written_files(&dir),
        [
            "blocks.csv",
            "liquidations.csv",
            "report.html",
            "report.json"
        ]
    );
    // A second, independent run of the same scenario writes the same page, byte for byte.
    let (again, _) = run_builtin("default", "run-again");
    assert_eq!(
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        again.report_html(),
        "the same scenario and seed give the same page"
    );
    check_page(
        &dir.join("report.html"),
        &["prices-cascade", "prices", "losses"],
    );
}

#[test]
fn test_attack_report_html_shows_the_attack() {
    let (output, dir) = run_builtin("oracle-manipulation", "attack");
    let dom = check_page(
        &dir.join("report.html"),
        &["prices-cascade", "prices", "losses"],
    );
    let attack = output.report.attack.as_ref().expect("an attack");
    assert!(dom.contains("Oracle manipulation attack"));
    assert!(dom.contains("Net profit of the attack"));
    assert!(dom.contains(&cascade::format::usd(attack.net_profit_usd)));
}

#[test]
fn test_stress_report_html_draws_every_chart() {
    let (scenario, origin) = frictionless(3_000);
    let output = stress_scenario(
        &scenario,
        &origin,
        "frictionless",
        None,
        Some(400),
        false,
        &|| {},
    )
    .unwrap();
    assert!(
        output.report.statistics.liquidation_probability > 0.0,
        "the histograms should have something to draw"
    );
    let dir = out_dir("stress");
    output.write(&dir).unwrap();
    assert_eq!(
        written_files(&dir),
        ["paths.csv", "paths.parquet", "report.html", "summary.json"]
    );
    check_page(&dir.join("report.html"), &["bad-debt", "liquidated-value"]);
}

#[test]
fn test_sweep_report_html_draws_every_chart() {
    let (scenario, origin) = frictionless(2_000);
    let axis = parse_axis("ETH.liquidation_threshold=0.74:0.86:0.03", &origin).unwrap();
    let report = sweep_scenario(&scenario, &origin, &[axis], None, 100, &|| {}).unwrap();
    assert!(report.points.iter().any(|p| p.pareto));
    let dir = out_dir("sweep");
    report.write(&dir).unwrap();
    assert_eq!(
        written_files(&dir),
        ["report.html", "sweep.csv", "sweep.json"]
    );
    check_page(&dir.join("report.html"), &["frontier"]);

    // The same grid with made-up risks, so that the frontier is a line of several points.
    let mut shaped = report.clone();
    for (point, var_99) in shaped.points.iter_mut().zip([0.0, 1e5, 5e4, 8e5, 2e6]) {
        point.bad_debt_usd.var_99 = var_99;
    }
    mark_pareto(&mut shaped.points);
    assert_eq!(shaped.points.iter().filter(|p| p.pareto).count(), 4);
    let dir = out_dir("sweep-frontier");
    shaped.write(&dir).unwrap();
    check_page(&dir.join("report.html"), &["frontier"]);
}

/// Bins of `width` from `top` down, with collateral shaped like a bump around `peak`.
fn bins(top: f64, width: f64, n: usize, peak: f64, scale: f64) -> Vec<OverhangBinData> {
    (0..n)
        .map(|i| {
            let high = top - width * i as f64;
            let low = high - width;
            let middle = (low + high) / 2.0;
            let weight = (-((middle - peak) / (4.0 * width)).powi(2)).exp();
            OverhangBinData {
                price_low: low,
                price_high: high,
                collateral_usd: scale * (0.1 + weight),
                n_positions: (100.0 * (0.1 + weight)) as u64,
            }
        })
        .collect()
}

#[test]
fn test_heatmap_report_html_draws_every_chart() {
    let eth_bins = bins(3000.0, 30.0, 40, 2400.0, 5e6);
    // A split by protocol: 60% and 40% of every bin.
    let by_protocol = vec![
        ProtocolOverhangData {
            protocol: "aave-v3".into(),
            collateral_usd: eth_bins.iter().map(|b| 0.6 * b.collateral_usd).collect(),
        },
        ProtocolOverhangData {
            protocol: "compound-v3".into(),
            collateral_usd: eth_bins.iter().map(|b| 0.4 * b.collateral_usd).collect(),
        },
    ];
    let data = HeatmapChartData {
        title: "positions.csv".into(),
        meta: vec!["bins of 1% · hand-made test data".into()],
        notes: vec!["Debt in `DAI` is not valued (no price).".into()],
        assets: vec![
            OverhangChartData {
                asset: "ETH".into(),
                current_price: 3000.0,
                pld_price: Some(2520.0),
                bins: eth_bins,
                by_protocol,
                liquidatable_now_usd: 1.5e6,
            },
            OverhangChartData {
                asset: "BTC".into(),
                current_price: 60_000.0,
                pld_price: None,
                // Not sorted and with a gap: the page sorts and draws the gap down to zero.
                bins: bins(60_000.0, 600.0, 30, 50_000.0, 2e6)
                    .into_iter()
                    .rev()
                    .filter(|b| b.price_low < 55_000.0 || b.price_low > 57_000.0)
                    .collect(),
                by_protocol: Vec::new(),
                liquidatable_now_usd: 0.0,
            },
        ],
        files: vec![("heatmap.json".into(), "every metric".into())],
    };
    let html = heatmap_page(&data);
    let dir = out_dir("heatmap");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.html"), html).unwrap();
    check_page(&dir.join("report.html"), &["overhang-0", "overhang-1"]);
}

#[test]
fn test_compare_report_html_draws_every_chart_and_keeps_names_as_text() {
    let row = |mechanism: &str, drawdown: f64, liquidated: f64, bad_debt: f64| CompareRow {
        mechanism: mechanism.into(),
        equilibrium_price: 3000.0 * (1.0 - drawdown),
        equilibrium_drawdown: drawdown,
        max_drawdown: drawdown + 0.02,
        amplification: drawdown / 0.2,
        n_liquidations: (liquidated / 1e5) as u64,
        liquidated_value_usd: liquidated,
        bad_debt_usd: bad_debt,
        extra: vec![("auction halts".into(), "0".into())],
    };
    let data = CompareChartData {
        // A name that tries to close the script elements and run its own.
        title: "</script><script>document.title='pwned'</script>".into(),
        meta: vec!["seed 42 · hand-made test data".into()],
        notes: Vec::new(),
        rows: vec![
            row("aave-v3.3", 0.25, 137e6, 48e3),
            row("maker-clip <dutch>", 0.22, 120e6, 2e6),
            row("compound-v3 absorb", 0.21, 110e6, 0.0),
            row("euler-v2", 0.23, 125e6, 10e3),
        ],
        files: Vec::new(),
    };
    let dir = out_dir("compare");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.html"), compare_page(&data)).unwrap();
    let page = dir.join("report.html");
    let dom = check_page(&page, &["bad-debt", "liquidated-value", "drawdown"]);
    assert!(!dom.contains("<title>pwned"), "the name ran as a script");
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;"));
}

#[test]
fn test_builtin_compare_report_html_draws_every_chart() {
    // The real `cascade compare` writer on the built-in comparison scenario (27 variants).
    let (scenario, origin) = load_scenario("compare").unwrap();
    let report = cascade::compare::run_compare(&scenario, &origin, None).unwrap();
    let dir = out_dir("compare-builtin");
    report.write(&dir).unwrap();
    assert_eq!(
        written_files(&dir),
        ["compare.csv", "compare.json", "report.html"]
    );
    let dom = check_page(
        &dir.join("report.html"),
        &["bad-debt", "liquidated-value", "drawdown"],
    );
    assert!(dom.contains("dutch stairstep"));
}
