//! Self-contained HTML reports: every command writes a `report.html` beside its JSON that opens from
//! disk with no network and no server.
//!
//! A page is a [`Page`]: a title, a few meta lines, then sections (headings, paragraphs, tables,
//! charts, links to the sibling files). [`Page::render`] writes one HTML file holding
//! - the charting library (Chart.js, fetched by `build.rs` from the version `web/package-lock.json`
//!   pins, never committed) in a `<script>`;
//! - the charts' data as one JSON document in `<script type="application/json">`, escaped so that no
//!   string in it can close the element;
//! - `web/report.js`, which draws each [`Chart`] spec into its `<div class="chart">` and marks the
//!   div `data-chart-ready="1"` once drawn, and `web/errors.js`, which copies every script error,
//!   blocked load and `console.error` into `<pre id="errors">` (what the browser test reads);
//! - a content security policy that forbids every network access.
//!
//! The same page gives byte-identical HTML: no timestamps, floats in shortest round-trip form, and
//! everything in the order it was added. One function per report type builds its page
//! ([`pages`]); a new report is one more such function.

mod pages;

pub use pages::{
    compare_page, heatmap_page, run_page, stress_page, sweep_page, CompareChartData, CompareRow,
    HeatmapChartData, OverhangBinData, OverhangChartData, ProtocolOverhangData,
};

use std::fmt::Write as _;

use serde::Serialize;

/// The charting library, as `build.rs` fetched it.
pub const CHART_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/chart.umd.min.js"));
/// Its version (from `web/package-lock.json`).
pub const CHART_JS_VERSION: &str = env!("CASCADE_CHART_JS_VERSION");
const ERRORS_JS: &str = include_str!("../../web/errors.js");
const REPORT_JS: &str = include_str!("../../web/report.js");
const REPORT_CSS: &str = include_str!("../../web/report.css");

/// No network, no plug-in, nothing but the page's own inline scripts and styles (and `data:` images,
/// which Chart.js does not need but a browser's own UI may use).
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/// How an axis, a tooltip or a marker writes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Four significant digits.
    Number,
    /// A whole number with thousands separators.
    Integer,
    /// `$1.2M`, `$350k`.
    Usd,
    /// A fraction shown as a percentage: 0.2 is `20%`.
    Percent,
    /// A price: no decimals from 100 up, 2 from 1, 4 below.
    Price,
}

/// An axis: its title (with the unit), how its values are written, and its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    pub title: String,
    pub format: Format,
    /// Start the axis at zero whatever the data.
    pub zero: bool,
    /// Named categories instead of a linear scale (one per value of a `Values` series).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
}

impl Axis {
    /// A linear axis.
    pub fn linear(title: impl Into<String>, format: Format) -> Self {
        Axis {
            title: title.into(),
            format,
            zero: false,
            categories: None,
        }
    }

    /// A linear axis that starts at zero.
    pub fn from_zero(title: impl Into<String>, format: Format) -> Self {
        Axis {
            zero: true,
            ..Axis::linear(title, format)
        }
    }

    /// An axis of named categories (the x axis of per-category bars).
    pub fn categories(title: impl Into<String>, names: Vec<String>) -> Self {
        Axis {
            categories: Some(names),
            ..Axis::linear(title, Format::Number)
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    Line,
    Dashed,
    /// Bars at x positions, or one per category.
    Bars,
    /// Markers only.
    Points,
    /// Markers joined by a line, in the order given.
    Frontier,
    /// A histogram: a filled step outline over `(low, high, value)` bins.
    Bins,
}

/// Which y axis a series is drawn against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YAxis {
    Y,
    Y2,
}

/// A series' values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SeriesData {
    /// `(x, y)` points (every kind but `Bins`).
    Points(Vec<[f64; 2]>),
    /// `(low, high, value)` bins (`Bins`).
    Bins(Vec<[f64; 3]>),
    /// One value per category of the x axis (`Bars`).
    Values(Vec<f64>),
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub label: String,
    pub kind: SeriesKind,
    pub axis: YAxis,
    /// A `#rrggbb` colour.
    pub color: String,
    pub data: SeriesData,
    /// Tooltip names of the points, in order (e.g. a sweep point's parameters); may be empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// For `Bins` stacked on the series before: fill down to it instead of to zero (the values
    /// must then be the running totals).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fill_to_previous: bool,
}

impl Series {
    /// A series on the left y axis.
    pub fn new(label: impl Into<String>, kind: SeriesKind, color: &str, data: SeriesData) -> Self {
        Series {
            label: label.into(),
            kind,
            axis: YAxis::Y,
            color: color.to_string(),
            data,
            labels: Vec::new(),
            fill_to_previous: false,
        }
    }

    /// The same series on the right y axis.
    pub fn on_y2(mut self) -> Self {
        self.axis = YAxis::Y2;
        self
    }
}

/// Which axis a marker line crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerAxis {
    /// A vertical line at an x value.
    X,
    /// A horizontal line at a value of the left y axis.
    Y,
}

/// A labelled line across the plot (a VaR level, the current price).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    pub axis: MarkerAxis,
    pub value: f64,
    pub label: String,
    pub color: String,
    pub dashed: bool,
}

impl Marker {
    /// A vertical line at `value` on the x axis.
    pub fn x(value: f64, label: impl Into<String>, color: &str, dashed: bool) -> Self {
        Marker {
            axis: MarkerAxis::X,
            value,
            label: label.into(),
            color: color.to_string(),
            dashed,
        }
    }
}

/// A chart: drawn by `web/report.js` into `<div class="chart" id="chart-{id}">`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// Unique within the page: letters, digits and `-`.
    pub id: String,
    #[serde(skip)]
    pub title: String,
    /// A sentence under the chart: what is drawn, what is left out.
    #[serde(skip)]
    pub note: Option<String>,
    pub x: Axis,
    pub y: Axis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y2: Option<Axis>,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Show the legend (series names, then markers with their values).
    pub legend: bool,
}

impl Chart {
    pub fn new(id: &str, title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Chart {
            id: id.to_string(),
            title: title.into(),
            note: None,
            x,
            y,
            y2: None,
            series: Vec::new(),
            markers: Vec::new(),
            legend: true,
        }
    }

    pub fn with_y2(mut self, axis: Axis) -> Self {
        self.y2 = Some(axis);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    pub fn marker(mut self, marker: Marker) -> Self {
        self.markers.push(marker);
        self
    }
}

/// A table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Left-aligned text.
    Text(String),
    /// A right-aligned number, already formatted.
    Number(String),
    /// A command or a name, in a monospace font.
    Code(String),
}

/// A plain HTML table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(caption: impl Into<String>, header: &[&str]) -> Self {
        Table {
            caption: Some(caption.into()),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) -> &mut Self {
        self.rows.push(cells);
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Section {
    Heading(String),
    Paragraph(String),
    Chart(Box<Chart>),
    Table(Table),
    /// Named values in two columns: a caption and (name, value) pairs.
    KeyValues(String, Vec<(String, String)>),
    /// Relative links to the files beside report.html: (file name, what it holds).
    Files(Vec<(String, String)>),
}

/// A report page, built section by section and rendered once.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    title: String,
    meta: Vec<String>,
    sections: Vec<Section>,
}

#[derive(Serialize)]
struct PageData<'a> {
    charts: Vec<&'a Chart>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Self {
        Page {
            title: title.into(),
            meta: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// A line under the title (scenario, seed, version...).
    pub fn meta(&mut self, line: impl Into<String>) -> &mut Self {
        self.meta.push(line.into());
        self
    }

    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.sections.push(Section::Heading(text.into()));
        self
    }

    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.sections.push(Section::Paragraph(text.into()));
        self
    }

    pub fn chart(&mut self, chart: Chart) -> &mut Self {
        self.sections.push(Section::Chart(Box::new(chart)));
        self
    }

    pub fn table(&mut self, table: Table) -> &mut Self {
        self.sections.push(Section::Table(table));
        self
    }

    /// Named values (already formatted), shown in two columns on a wide screen.
    pub fn key_values(
        &mut self,
        caption: impl Into<String>,
        rows: Vec<(String, String)>,
    ) -> &mut Self {
        self.sections.push(Section::KeyValues(caption.into(), rows));
        self
    }

    /// Links to the files written beside `report.html`.
    pub fn files(&mut self, files: &[(&str, &str)]) -> &mut Self {
        self.sections.push(Section::Files(
            files
                .iter()
                .map(|(name, what)| (name.to_string(), what.to_string()))
                .collect(),
        ));
        self
    }

    /// The ids of the page's charts, in order.
    pub fn chart_ids(&self) -> Vec<&str> {
        self.charts().map(|chart| chart.id.as_str()).collect()
    }

    fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.sections.iter().filter_map(|section| match section {
            Section::Chart(chart) => Some(chart.as_ref()),
            _ => None,
        })
    }

    /// The page as one self-contained HTML file.
    ///
    /// # Panics
    ///
    /// When two charts share an id, an id has characters other than ASCII letters, digits and `-`,
    /// or a `Bins` series is not on a chart of its own kind of data: bugs of the page's builder.
    pub fn render(&self) -> String {
        let ids = self.chart_ids();
        for (index, id) in ids.iter().enumerate() {
            assert!(
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "chart id `{id}`: use ASCII letters, digits and `-`"
            );
            assert!(!ids[..index].contains(id), "two charts with the id `{id}`");
        }
        for chart in self.charts() {
            for series in &chart.series {
                let bins = matches!(series.data, SeriesData::Bins(_));
                assert_eq!(
                    bins,
                    series.kind == SeriesKind::Bins,
                    "chart {}: series {} of kind {:?} with the wrong kind of data",
                    chart.id,
                    series.label,
                    series.kind
                );
            }
        }
        let data = PageData {
            charts: self.charts().collect(),
        };
        let json = script_safe_json(&serde_json::to_string(&data).expect("chart specs serialise"));

        let mut html = String::with_capacity(CHART_JS.len() + json.len() + 64 * 1024);
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(
            html,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">"
        );
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(html, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(html, "<style>\n{REPORT_CSS}</style>\n</head>\n<body>");
        let _ = writeln!(html, "<header>\n<h1>{}</h1>", escape(&self.title));
        for line in &self.meta {
            let _ = writeln!(html, "<p class=\"meta\">{}</p>", escape(line));
        }
        html.push_str("</header>\n<pre id=\"errors\" class=\"errors\" hidden></pre>\n<main>\n");
        for section in &self.sections {
            render_section(&mut html, section);
        }
        let _ = writeln!(
            html,
            "</main>\n<footer>\n<p>Written by cascade {}. Charts drawn with Chart.js {CHART_JS_VERSION} \
             (MIT License), inlined: this file needs no network and no server.</p>\n</footer>",
            crate::report::VERSION
        );
        let _ = writeln!(html, "<script>\n{ERRORS_JS}</script>");
        let _ = writeln!(html, "<script>\n{CHART_JS}\n</script>");
        let _ = writeln!(
            html,
            "<script type=\"application/json\" id=\"report-data\">{json}</script>"
        );
        let _ = writeln!(html, "<script>\n{REPORT_JS}</script>\n</body>\n</html>");
        html
    }
}

fn render_section(html: &mut String, section: &Section) {
    match section {
        Section::Heading(text) => {
            let _ = writeln!(html, "<h2>{}</h2>", escape(text));
        }
        Section::Paragraph(text) => {
            let _ = writeln!(html, "<p>{}</p>", escape(text));
        }
        Section::Chart(chart) => {
            let _ = writeln!(
                html,
                "<div class=\"chart\" id=\"chart-{}\">\n<h3>{}</h3>\n<div class=\"plot\"></div>",
                chart.id,
                escape(&chart.title)
            );
            if let Some(note) = &chart.note {
                let _ = writeln!(html, "<p class=\"note\">{}</p>", escape(note));
            }
            html.push_str("</div>\n");
        }
        Section::Table(table) => render_table(html, table),
        Section::KeyValues(caption, rows) => {
            // Down the first column, then the second.
            let _ = writeln!(
                html,
                "<div class=\"table-box\">\n<h3>{}</h3>\n<dl class=\"key-values\" \
                 style=\"grid-template-rows: repeat({}, auto)\">",
                escape(caption),
                rows.len().div_ceil(2).max(1)
            );
            for (name, value) in rows {
                let _ = writeln!(
                    html,
                    "<div><dt>{}</dt><dd>{}</dd></div>",
                    escape(name),
                    escape(value)
                );
            }
            html.push_str("</dl>\n</div>\n");
        }
        Section::Files(files) => {
            html.push_str("<ul class=\"files\">\n");
            for (name, what) in files {
                let _ = writeln!(
                    html,
                    "<li><a href=\"{0}\"><code>{0}</code></a>: {1}</li>",
                    escape(name),
                    escape(what)
                );
            }
            html.push_str("</ul>\n");
        }
    }
}

fn render_table(html: &mut String, table: &Table) {
    html.push_str("<div class=\"table-box\">\n<table>\n");
    if let Some(caption) = &table.caption {
        let _ = writeln!(html, "<caption>{}</caption>", escape(caption));
    }
    // A column is numeric when its first row's cell is.
    let numeric: Vec<bool> = table
        .rows
        .first()
        .map(|row| row.iter().map(|c| matches!(c, Cell::Number(_))).collect())
        .unwrap_or_default();
    if !table.header.is_empty() {
        html.push_str("<thead><tr>");
        for (index, name) in table.header.iter().enumerate() {
            let class = if numeric.get(index) == Some(&true) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(html, "<th{class}>{}</th>", escape(name));
        }
        html.push_str("</tr></thead>\n");
    }
    html.push_str("<tbody>\n");
    for row in &table.rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = match cell {
                Cell::Text(text) => write!(html, "<td>{}</td>", escape(text)),
                Cell::Number(text) => write!(html, "<td class=\"num\">{}</td>", escape(text)),
                Cell::Code(text) => write!(html, "<td><code>{}</code></td>", escape(text)),
            };
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n</div>\n");
}

/// `text` with the five HTML-special characters escaped (for text and attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text made safe to inline in a `<script>` element: `<`, `>` and `&` (which can only occur
/// inside JSON strings) become `\u003c`, `\u003e` and `\u0026`, so no string can close the element or
/// open a comment, and the line separators U+2028/U+2029 are escaped too. `JSON.parse` reads the
/// same values.
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A histogram of the positive values: `n_bins` equal bins from 0 to the largest value, as
/// `(low, high, count)`. Empty when no value is above zero. A value on an inner edge counts in the
/// bin above it; the largest value counts in the last bin.
pub fn histogram(values: &[f64], n_bins: usize) -> Vec<[f64; 3]> {
    let positive: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    let Some(max) = positive.iter().copied().reduce(f64::max) else {
        return Vec::new();
    };
    let n_bins = n_bins.max(1);
    let width = max / n_bins as f64;
    let mut counts = vec![0u64; n_bins];
    for value in positive {
        let index = ((value / width) as usize).min(n_bins - 1);
        counts[index] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(index, &count)| {
            [
                width * index as f64,
                if index + 1 == n_bins {
                    max
                } else {
                    width * (index + 1) as f64
                },
                count as f64,
            ]
        })
        .collect()
}

/// At most about `4 * buckets` points of a line that keep its look: for each of `buckets` runs of
/// consecutive points, the first, the lowest, the highest and the last (the M4 method). Lines of
/// up to `4 * buckets` points come back whole.
pub fn thin_line(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    let buckets = buckets.max(1);
    if points.len() <= 4 * buckets {
        return points.to_vec();
    }
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(4 * buckets);
    for run in points.chunks(size) {
        let mut lowest = 0;
        let mut highest = 0;
        for (index, point) in run.iter().enumerate() {
            if point[1] < run[lowest][1] {
                lowest = index;
            }
            if point[1] > run[highest][1] {
                highest = index;
            }
        }
        let mut keep = [0, lowest, highest, run.len() - 1];
        keep.sort_unstable();
        for (position, &index) in keep.iter().enumerate() {
            if position == 0 || keep[position - 1] != index {
                out.push(run[index]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_page(name: &str) -> Page {
        let mut page = Page::new(format!("report {name}"));
        page.meta("seed 1");
        page.chart(
            Chart::new(
                "prices",
                "Prices",
                Axis::linear("block", Format::Integer),
                Axis::linear("price (USD)", Format::Price),
            )
            .series(Series::new(
                name,
                SeriesKind::Line,
                "#111111",
                SeriesData::Points(vec![[0.0, 1.0], [1.0, 2.0]]),
            )),
        );
        page.key_values("Numbers", vec![(name.to_string(), "1".into())]);
        page
    }

    #[test]
    fn test_escape_covers_the_special_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn test_script_safe_json_cannot_close_the_script_element() {
        let json = serde_json::to_string("</script><!-- & \u{2028}").unwrap();
        let safe = script_safe_json(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "</script><!-- & \u{2028}");
    }

    #[test]
    fn test_hostile_names_stay_text() {
        let html = small_page("</script><script>alert(1)</script>").render();
        // The page's own four script elements, and no other.
        assert_eq!(html.matches("</script>").count(), 4);
        assert_eq!(html.matches("<script").count(), 4);
        assert!(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
    }

    #[test]
    fn test_render_is_deterministic_and_self_contained() {
        let one = small_page("x").render();
        assert_eq!(one, small_page("x").render());
        assert!(one.contains(CHART_JS_VERSION));
        assert!(one.contains("id=\"chart-prices\""));
        assert!(one.contains("Content-Security-Policy"));
        // Nothing is loaded from anywhere: no src or stylesheet link.
        assert!(!one.contains(" src="));
        assert!(!one.contains("<link"));
        assert!(!one.contains("sourceMappingURL"));
    }

    #[test]
    fn test_inlined_files_cannot_end_their_elements() {
        for (name, text) in [
            ("errors.js", ERRORS_JS),
            ("report.js", REPORT_JS),
            ("chart.js", CHART_JS),
        ] {
            let lower = text.to_ascii_lowercase();
            for bad in ["</script", "<!--", "<script"] {
                assert!(!lower.contains(bad), "{name} contains {bad}");
            }
        }
        assert!(!REPORT_CSS.to_ascii_lowercase().contains("</style"));
    }

    #[test]
    #[should_panic(expected = "two charts with the id `prices`")]
    fn test_duplicate_chart_ids_are_a_bug() {
        let mut page = small_page("x");
        let chart = page.charts().next().unwrap().clone();
        page.chart(chart);
        page.render();
    }

    #[test]
    fn test_histogram_bins_positive_values_from_zero_to_max() {
        let bins = histogram(&[0.0, 0.0, 1.0, 2.0, 2.5, 4.0], 4);
        assert_eq!(
            bins,
            vec![
                [0.0, 1.0, 0.0],
                [1.0, 2.0, 1.0],
                [2.0, 3.0, 2.0],
                [3.0, 4.0, 1.0]
            ]
        );
        assert!(histogram(&[0.0, 0.0], 10).is_empty());
        assert_eq!(histogram(&[5.0], 3)[2], [10.0 / 3.0, 5.0, 1.0]);
    }

    #[test]
    fn test_thin_line_keeps_extremes_and_ends() {
        let line: Vec<[f64; 2]> = (0..1000)
            .map(|i| [i as f64, if i == 517 { -50.0 } else { (i % 7) as f64 }])
            .collect();
        let thin = thin_line(&line, 50);
        assert!(thin.len() <= 200, "{}", thin.len());
        assert_eq!(thin.first(), line.first());
        assert_eq!(thin.last(), line.last());
        assert!(thin.contains(&[517.0, -50.0]));
        assert!(thin.windows(2).all(|w| w[0][0] < w[1][0]), "x increases");
        assert_eq!(thin_line(&line[..100], 50), line[..100].to_vec());
    }
}
