//! Position books on disk: cascade's own schema in CSV, JSON (an array of objects, or JSON lines) and
//! Parquet, and the output schema of DefiLlama's liquidation adapters (`owner`, `liqPrice`,
//! `collateral`, `collateralAmount`, optional `extra`). `docs/position-book.md` documents both.
//!
//! Every reader fills a [`PositionBook`] row by row and checks each row as it goes: an error names the
//! file, the row (1 = the first data row; CSV adds its line), the field and what would be right.
//! Inputs above [`LoadOptions::max_rows`] rows, or JSON files above [`LoadOptions::max_json_bytes`],
//! are refused before they are read into memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cascade_core::positions::{PositionBook, PositionRow, NO_ASSET};
use parquet::basic::{Compression, Repetition, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as SchemaType;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A position book that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The OS's reason is in the message, not a separate source, so it is printed once.
    #[error("{file}: cannot read the file: {reason}")]
    Read {
        file: PathBuf,
        reason: std::io::Error,
    },
    #[error("{file}: cannot write the file: {reason}")]
    Write {
        file: PathBuf,
        reason: std::io::Error,
    },
    /// The file as a whole: not the format it claims, an empty file, a missing column.
    #[error("{file}: {message}")]
    Format { file: PathBuf, message: String },
    /// One bad row.
    #[error("{file}, {location}: field `{field}`: {message}")]
    Row {
        file: PathBuf,
        /// `row N` (1 = the first data row), plus the line for CSV.
        location: String,
        row: u64,
        field: String,
        message: String,
    },
    /// Above the row or size cap.
    #[error("{file}: {message}")]
    TooLarge { file: PathBuf, message: String },
    /// A command-line value about the book (a price, a decimals override) that cannot be used.
    #[error("{0}")]
    Input(String),
}

/// The file formats a book can be read from and written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookFormat {
    Csv,
    Json,
    Parquet,
    /// DefiLlama's liquidation-adapter output: a JSON array of `{owner, liqPrice, collateral,
    /// collateralAmount, extra?}`.
    DefiLlama,
}

impl BookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            BookFormat::Csv => "csv",
            BookFormat::Json => "json",
            BookFormat::Parquet => "parquet",
            BookFormat::DefiLlama => "defillama",
        }
    }
}

/// Limits and DefiLlama settings of a load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Refuse books with more rows than this.
    pub max_rows: u64,
    /// Refuse JSON files larger than this (JSON is read into memory whole).
    pub max_json_bytes: u64,
    /// DefiLlama: decimals of tokens outside the built-in table, by `chain:address` (or symbol).
    pub decimals: BTreeMap<String, u32>,
    /// DefiLlama: the protocol name of every row (the adapters' output is per protocol); `None`: the
    /// file's stem.
    pub protocol: Option<String>,
}

/// The default row cap: 50 million rows (about 6 GB in memory).
pub const DEFAULT_MAX_ROWS: u64 = 50_000_000;
/// The default JSON size cap: 4 GiB.
pub const DEFAULT_MAX_JSON_BYTES: u64 = 4 << 30;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_rows: DEFAULT_MAX_ROWS,
            max_json_bytes: DEFAULT_MAX_JSON_BYTES,
            decimals: BTreeMap::new(),
            protocol: None,
        }
    }
}

/// A loaded book and what the loader had to assume.
#[derive(Debug, Clone)]
pub struct LoadedBook {
    pub book: PositionBook,
    pub format: BookFormat,
    /// Things the user should know (e.g. tokens assumed to have 18 decimals).
    pub notes: Vec<String>,
}

/// Tokens the DefiLlama reader and writer know: (symbol, `chain:address`, decimals). A known address
/// is read as its symbol, so `--price ETH=3000` applies to it.
pub const KNOWN_TOKENS: &[(&str, &str, u32)] = &[
    (
        "ETH",
        "ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
        18,
    ),
    (
        "WBTC",
        "ethereum:0x2260fac5e5542a773aa44fbc8dfce7ed9a8fd0a0",
        8,
    ),
    (
        "USDC",
        "ethereum:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        6,
    ),
    (
        "USDT",
        "ethereum:0xdac17f958d2ee523a2206206994597c13d831ec7",
        6,
    ),
    (
        "DAI",
        "ethereum:0x6b175474e89094c44da98b954eedeac495271d0f",
        18,
    ),
    (
        "wstETH",
        "ethereum:0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0",
        18,
    ),
];

/// The columns of cascade's own schema, required ones first.
pub const COLUMNS: &[(&str, bool)] = &[
    ("owner", true),
    ("collateral_asset", true),
    ("collateral_amount", true),
    ("liquidation_price", true),
    ("protocol", false),
    ("debt_asset", false),
    ("debt_amount", false),
    ("liquidation_threshold", false),
    ("ltv", false),
    ("liquidation_bonus", false),
    ("price", false),
    ("debt_price", false),
];

/// The position in [`COLUMNS`] of a column named `name`, or what to say about an unknown one.
fn known_column(name: &str) -> Result<usize, String> {
    COLUMNS
        .iter()
        .position(|(column, _)| *column == name)
        .ok_or_else(|| {
            format!(
                "unknown column `{name}`; the columns are {}",
                COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
            )
        })
}

/// What to say when a required column is missing from `index` (the columns found), if one is.
fn missing_required(index: &[Option<usize>; 12]) -> Option<String> {
    COLUMNS
        .iter()
        .zip(index)
        .find(|((_, required), found)| *required && found.is_none())
        .map(|((name, _), _)| {
            format!(
                "no column named `{name}`; required columns: owner, collateral_asset, \
                 collateral_amount, liquidation_price"
            )
        })
}

/// The format `auto` picks: by extension (`.csv`, `.parquet`/`.pq`, `.json`/`.jsonl`/`.ndjson`); a JSON
/// file whose first row has a `liqPrice` key is DefiLlama's.
pub fn detect_format(file: &Path) -> Result<BookFormat, BookError> {
    let extension = extension_of(file);
    match extension.as_str() {
        "csv" => Ok(BookFormat::Csv),
        "parquet" | "pq" => Ok(BookFormat::Parquet),
        "json" | "jsonl" | "ndjson" => {
            // Peek at the start of the file for DefiLlama's key.
            let mut head = vec![0u8; 4096];
            let n = std::io::Read::read(&mut open(file)?, &mut head).map_err(|reason| {
                BookError::Read {
                    file: file.to_path_buf(),
                    reason,
                }
            })?;
            let head = String::from_utf8_lossy(&head[..n]);
            Ok(if head.contains("\"liqPrice\"") {
                BookFormat::DefiLlama
            } else {
                BookFormat::Json
            })
        }
        _ => Err(BookError::Format {
            file: file.to_path_buf(),
            message: format!(
                "cannot tell the format from the extension `{extension}`; name the file .csv, .json, .jsonl or .parquet, or pass --format csv|json|parquet|defillama"
            ),
        }),
    }
}

fn extension_of(file: &Path) -> String {
    file.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The own-schema format a file name asks for when writing (`.csv`, `.json`/`.jsonl`/`.ndjson`,
/// `.parquet`/`.pq`); `None` for any other extension.
pub fn format_from_extension(file: &Path) -> Option<BookFormat> {
    match extension_of(file).as_str() {
        "csv" => Some(BookFormat::Csv),
        "json" | "jsonl" | "ndjson" => Some(BookFormat::Json),
        "parquet" | "pq" => Some(BookFormat::Parquet),
        _ => None,
    }
}

fn open(file: &Path) -> Result<std::fs::File, BookError> {
    std::fs::File::open(file).map_err(|reason| BookError::Read {
        file: file.to_path_buf(),
        reason,
    })
}

/// Reads a book in `format`.
pub fn load_book(
    file: &Path,
    format: BookFormat,
    options: &LoadOptions,
) -> Result<LoadedBook, BookError> {
    let mut notes = Vec::new();
    let book = match format {
        BookFormat::Csv => read_csv(file, options)?,
        BookFormat::Json => read_json(file, options)?,
        BookFormat::Parquet => read_parquet(file, options)?,
        BookFormat::DefiLlama => read_defillama(file, options, &mut notes)?,
    };
    if book.is_empty() {
        return Err(BookError::Format {
            file: file.to_path_buf(),
            message: "the book has no rows".into(),
        });
    }
    Ok(LoadedBook {
        book,
        format,
        notes,
    })
}

/// One row as read, before the checks; `row` counts from 1.
struct RawRow<'a> {
    row: u64,
    line: Option<u64>,
    owner: &'a str,
    protocol: Option<&'a str>,
    collateral_asset: &'a str,
    collateral_amount: Option<f64>,
    debt_asset: Option<&'a str>,
    debt_amount: Option<f64>,
    liquidation_price: Option<f64>,
    liquidation_threshold: Option<f64>,
    ltv: Option<f64>,
    liquidation_bonus: Option<f64>,
    price: Option<f64>,
    debt_price: Option<f64>,
}

/// Checks rows and fills the book.
struct Builder<'f> {
    file: &'f Path,
    book: PositionBook,
    max_rows: u64,
    /// Per asset: the row that set its price.
    price_row: Vec<u64>,
}

impl<'f> Builder<'f> {
    fn new(file: &'f Path, options: &LoadOptions) -> Self {
        Builder {
            file,
            book: PositionBook::new(),
            max_rows: options.max_rows,
            price_row: Vec::new(),
        }
    }

    fn row_error(&self, raw: &RawRow, field: &str, message: impl Into<String>) -> BookError {
        row_error(self.file, raw.row, raw.line, field, message)
    }

    fn too_many(&self) -> BookError {
        BookError::TooLarge {
            file: self.file.to_path_buf(),
            message: format!(
                "more than {} rows; the limit protects memory (about 120 bytes per row): split the file or raise it with --max-rows",
                self.max_rows
            ),
        }
    }

    fn set_price(
        &mut self,
        raw: &RawRow,
        asset: u16,
        price: f64,
        field: &str,
    ) -> Result<(), BookError> {
        let index = asset as usize;
        if self.price_row.len() <= index {
            self.price_row.resize(index + 1, 0);
        }
        let known = self.book.asset_prices[index];
        if known.is_nan() {
            self.book.asset_prices[index] = price;
            self.price_row[index] = raw.row;
        } else if known != price {
            return Err(self.row_error(
                raw,
                field,
                format!(
                    "is {price}, but row {} gave {known} for `{}`; one price per asset",
                    self.price_row[index], self.book.assets[index]
                ),
            ));
        }
        Ok(())
    }

    fn add(&mut self, raw: RawRow) -> Result<(), BookError> {
        if raw.row > self.max_rows {
            return Err(self.too_many());
        }
        if raw.owner.is_empty() {
            return Err(self.row_error(&raw, "owner", "is empty; every position needs an owner"));
        }
        if raw.collateral_asset.is_empty() {
            return Err(self.row_error(
                &raw,
                "collateral_asset",
                "is empty; name the collateral asset (e.g. ETH)",
            ));
        }
        let amount = self.amount(&raw, "collateral_amount", raw.collateral_amount, true)?;
        let liquidation_price =
            self.amount(&raw, "liquidation_price", raw.liquidation_price, true)?;
        let debt_amount = match raw.debt_amount {
            Some(value) => Some(self.amount(&raw, "debt_amount", Some(value), true)?),
            None => None,
        };
        if debt_amount.is_some_and(|d| d > 0.0) && raw.debt_asset.is_none() {
            return Err(self.row_error(
                &raw,
                "debt_asset",
                "is missing but `debt_amount` is above zero; name the debt asset (e.g. USDC)",
            ));
        }
        let threshold = self.fraction(&raw, "liquidation_threshold", raw.liquidation_threshold)?;
        let ltv = self.fraction(&raw, "ltv", raw.ltv)?;
        let bonus = self.fraction(&raw, "liquidation_bonus", raw.liquidation_bonus)?;
        if let (Some(ltv), Some(threshold)) = (ltv, threshold) {
            if ltv > threshold {
                return Err(self.row_error(&raw, "ltv", format!("is {ltv}, above the liquidation threshold {threshold}; a borrower cannot open beyond the liquidation point")));
            }
        }
        let pushed = self.book.push(&PositionRow {
            owner: raw.owner,
            protocol: raw.protocol.unwrap_or("default"),
            collateral_asset: raw.collateral_asset,
            collateral_amount: amount,
            debt_asset: raw.debt_asset.filter(|a| !a.is_empty()),
            debt_amount,
            liquidation_price,
            liquidation_threshold: threshold,
            ltv,
            liquidation_bonus: bonus,
        });
        if pushed.is_err() {
            return Err(self.row_error(
                &raw,
                "collateral_asset",
                "the book names more than 65,534 distinct assets or protocols",
            ));
        }
        let last = self.book.len() - 1;
        if let Some(price) = raw.price {
            let price = self.positive(&raw, "price", price)?;
            self.set_price(&raw, self.book.collateral_asset[last], price, "price")?;
        }
        if let Some(price) = raw.debt_price {
            let price = self.positive(&raw, "debt_price", price)?;
            let asset = self.book.debt_asset[last];
            if asset == NO_ASSET {
                return Err(self.row_error(&raw, "debt_price", "is given without a `debt_asset`"));
            }
            self.set_price(&raw, asset, price, "debt_price")?;
        }
        Ok(())
    }

    fn amount(
        &self,
        raw: &RawRow,
        field: &str,
        value: Option<f64>,
        required: bool,
    ) -> Result<f64, BookError> {
        match value {
            None if required => Err(self.row_error(
                raw,
                field,
                "is missing; it is required (a number, zero or more)",
            )),
            None => Ok(f64::NAN),
            Some(v) if !v.is_finite() => {
                Err(self.row_error(raw, field, format!("is {v}; it must be a finite number")))
            }
            Some(v) if v < 0.0 => {
                Err(self.row_error(raw, field, format!("is {v}; it must be zero or more")))
            }
            Some(v) => Ok(v),
        }
    }

    fn positive(&self, raw: &RawRow, field: &str, value: f64) -> Result<f64, BookError> {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(self.row_error(
                raw,
                field,
                format!("is {value}; a price must be a finite number above zero"),
            ))
        }
    }

    fn fraction(
        &self,
        raw: &RawRow,
        field: &str,
        value: Option<f64>,
    ) -> Result<Option<f64>, BookError> {
        match value {
            Some(v) if !(0.0..1.0).contains(&v) => Err(self.row_error(
                raw,
                field,
                format!(
                    "is {v}; it is a fraction and must be at least 0 and below 1 (0.8 means 80%)"
                ),
            )),
            other => Ok(other),
        }
    }
}

fn row_error(
    file: &Path,
    row: u64,
    line: Option<u64>,
    field: &str,
    message: impl Into<String>,
) -> BookError {
    BookError::Row {
        file: file.to_path_buf(),
        location: match line {
            Some(line) => format!("row {row} (line {line})"),
            None => format!("row {row}"),
        },
        row,
        field: field.to_string(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------- CSV

fn read_csv(file: &Path, options: &LoadOptions) -> Result<PositionBook, BookError> {
    let handle = open(file)?;
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .buffer_capacity(1 << 20)
        .from_reader(handle);
    let format_error = |message: String| BookError::Format {
        file: file.to_path_buf(),
        message,
    };
    let headers = reader
        .byte_headers()
        .map_err(|error| format_error(format!("cannot read the header: {error}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(format_error("the file is empty; expected a header row naming the columns (owner,collateral_asset,collateral_amount,liquidation_price,...)".into()));
    }
    let mut index = [None; 12];
    for (position, header) in headers.iter().enumerate() {
        let name = String::from_utf8_lossy(header);
        if name == "liqPrice" || name == "collateralAmount" {
            return Err(format_error("this looks like DefiLlama's schema, which is read from JSON (--format defillama); cascade's own CSV uses liquidation_price and collateral_amount".into()));
        }
        index[known_column(&name).map_err(&format_error)?] = Some(position);
    }
    if let Some(message) = missing_required(&index) {
        return Err(format_error(message));
    }
    let mut builder = Builder::new(file, options);
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|error| {
            let line = error.position().map_or(0, |p| p.line());
            BookError::Row {
                file: file.to_path_buf(),
                location: format!("row {} (line {line})", row + 1),
                row: row + 1,
                field: "-".into(),
                message: format!("malformed row: {error}"),
            }
        })?;
        if !more {
            break;
        }
        row += 1;
        let line = record.position().map(|p| p.line());
        let text = |column: usize| -> Result<Option<&str>, BookError> {
            let Some(position) = index[column] else {
                return Ok(None);
            };
            let bytes = record.get(position).unwrap_or(b"");
            if bytes.is_empty() {
                return Ok(None);
            }
            std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| row_error(file, row, line, COLUMNS[column].0, "is not valid UTF-8"))
        };
        let number = |column: usize| -> Result<Option<f64>, BookError> {
            match text(column)? {
                None => Ok(None),
                Some(t) => t.parse::<f64>().map(Some).map_err(|_| {
                    row_error(
                        file,
                        row,
                        line,
                        COLUMNS[column].0,
                        format!("is `{t}`, not a number"),
                    )
                }),
            }
        };
        let raw = RawRow {
            row,
            line,
            owner: text(0)?.unwrap_or(""),
            collateral_asset: text(1)?.unwrap_or(""),
            collateral_amount: number(2)?,
            liquidation_price: number(3)?,
            protocol: text(4)?,
            debt_asset: text(5)?,
            debt_amount: number(6)?,
            liquidation_threshold: number(7)?,
            ltv: number(8)?,
            liquidation_bonus: number(9)?,
            price: number(10)?,
            debt_price: number(11)?,
        };
        builder.add(raw)?;
    }
    Ok(builder.book)
}

// --------------------------------------------------------------------------------------------- JSON

/// A row of cascade's own JSON schema.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow<'a> {
    #[serde(borrow)]
    owner: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    collateral_asset: std::borrow::Cow<'a, str>,
    collateral_amount: Option<f64>,
    liquidation_price: Option<f64>,
    #[serde(default, borrow)]
    protocol: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    debt_asset: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    debt_amount: Option<f64>,
    #[serde(default)]
    liquidation_threshold: Option<f64>,
    #[serde(default)]
    ltv: Option<f64>,
    #[serde(default)]
    liquidation_bonus: Option<f64>,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    debt_price: Option<f64>,
}

/// Reads a JSON file whole (after the size check) and splits it into rows: the elements of a top-level
/// array, or one object per non-empty line.
fn json_rows<'a>(file: &Path, text: &'a [u8]) -> Result<Vec<&'a RawValue>, BookError> {
    let format_error = |message: String| BookError::Format {
        file: file.to_path_buf(),
        message,
    };
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err(format_error("the file is empty; expected a JSON array of rows or one JSON object per line".into())),
        Some(b'[') => serde_json::from_slice::<Vec<&RawValue>>(text)
            .map_err(|error| format_error(format!("not a JSON array of rows: {error}"))),
        Some(b'{') => {
            let mut rows = Vec::new();
            for (line_index, line) in text.split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let value: &RawValue = serde_json::from_slice(line).map_err(|error| {
                    format_error(format!("line {}: not a JSON object: {error}", line_index + 1))
                })?;
                rows.push(value);
            }
            Ok(rows)
        }
        Some(_) => Err(format_error("not JSON rows: the file must start with `[` (an array of rows) or `{` (one object per line)".into())),
    }
}

fn read_json_text(file: &Path, options: &LoadOptions) -> Result<Vec<u8>, BookError> {
    let size = std::fs::metadata(file)
        .map_err(|reason| BookError::Read {
            file: file.to_path_buf(),
            reason,
        })?
        .len();
    if size > options.max_json_bytes {
        return Err(BookError::TooLarge {
            file: file.to_path_buf(),
            message: format!(
                "{size} bytes is above the JSON limit of {} bytes (JSON is read into memory whole); use CSV or Parquet for books this large, or raise the limit with --max-json-bytes",
                options.max_json_bytes
            ),
        });
    }
    std::fs::read(file).map_err(|reason| BookError::Read {
        file: file.to_path_buf(),
        reason,
    })
}

/// Finds which field of a JSON row is wrong, for a message naming it.
fn diagnose_json_row(raw: &RawValue, known: &[(&str, &str, bool)]) -> (String, String) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(raw.get())
    else {
        return ("-".into(), "is not a JSON object".into());
    };
    for (name, kind, required) in known {
        match map.get(*name) {
            None if *required => {
                return (
                    (*name).into(),
                    format!("is missing; it is required ({kind})"),
                )
            }
            None | Some(serde_json::Value::Null) => {}
            Some(value) => {
                let ok = match *kind {
                    "a number" => value.is_number(),
                    "a string" => value.is_string(),
                    "an object" => value.is_object(),
                    _ => value.is_number() || value.is_string(),
                };
                if !ok {
                    return ((*name).into(), format!("is {value}; expected {kind}"));
                }
            }
        }
    }
    for key in map.keys() {
        if !known.iter().any(|(name, ..)| name == key) {
            return (
                key.clone(),
                format!(
                    "is not a column of this schema; the fields are {}",
                    known.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    ("-".into(), "cannot be read".into())
}

const JSON_FIELDS: &[(&str, &str, bool)] = &[
    ("owner", "a string", true),
    ("collateral_asset", "a string", true),
    ("collateral_amount", "a number", true),
    ("liquidation_price", "a number", true),
    ("protocol", "a string", false),
    ("debt_asset", "a string", false),
    ("debt_amount", "a number", false),
    ("liquidation_threshold", "a number", false),
    ("ltv", "a number", false),
    ("liquidation_bonus", "a number", false),
    ("price", "a number", false),
    ("debt_price", "a number", false),
];

fn check_row_count(file: &Path, n: usize, options: &LoadOptions) -> Result<(), BookError> {
    if n as u64 > options.max_rows {
        return Err(BookError::TooLarge {
            file: file.to_path_buf(),
            message: format!(
                "{n} rows is above the limit of {}; the limit protects memory (about 120 bytes per row): split the file or raise it with --max-rows",
                options.max_rows
            ),
        });
    }
    Ok(())
}

fn read_json(file: &Path, options: &LoadOptions) -> Result<PositionBook, BookError> {
    let text = read_json_text(file, options)?;
    let rows = json_rows(file, &text)?;
    check_row_count(file, rows.len(), options)?;
    let mut builder = Builder::new(file, options);
    builder.book.reserve(rows.len());
    for (index, raw) in rows.iter().enumerate() {
        let row = index as u64 + 1;
        let parsed: JsonRow = serde_json::from_str(raw.get()).map_err(|_| {
            let (field, message) = diagnose_json_row(raw, JSON_FIELDS);
            row_error(file, row, None, &field, message)
        })?;
        builder.add(RawRow {
            row,
            line: None,
            owner: &parsed.owner,
            protocol: parsed.protocol.as_deref(),
            collateral_asset: &parsed.collateral_asset,
            collateral_amount: parsed.collateral_amount,
            debt_asset: parsed.debt_asset.as_deref(),
            debt_amount: parsed.debt_amount,
            liquidation_price: parsed.liquidation_price,
            liquidation_threshold: parsed.liquidation_threshold,
            ltv: parsed.ltv,
            liquidation_bonus: parsed.liquidation_bonus,
            price: parsed.price,
            debt_price: parsed.debt_price,
        })?;
    }
    Ok(builder.book)
}

// ---------------------------------------------------------------------------------------- DefiLlama

/// A number or a numeric string (DefiLlama's amounts are strings of base units).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumberOrString<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(std::borrow::Cow<'a, str>),
}

/// One row of DefiLlama's liquidation-adapter output.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefiLlamaRow<'a> {
    #[serde(borrow)]
    owner: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    liq_price: NumberOrString<'a>,
    #[serde(borrow)]
    collateral: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    collateral_amount: NumberOrString<'a>,
    #[serde(default)]
    #[allow(dead_code)]
    extra: Option<serde_json::Value>,
}

const DEFILLAMA_FIELDS: &[(&str, &str, bool)] = &[
    ("owner", "a string", true),
    ("liqPrice", "a number", true),
    ("collateral", "a string", true),
    (
        "collateralAmount",
        "a string of base units (or a number)",
        true,
    ),
    ("extra", "an object", false),
];

fn token_by_key(key: &str) -> Option<&'static (&'static str, &'static str, u32)> {
    let lower = key.to_ascii_lowercase();
    KNOWN_TOKENS
        .iter()
        .find(|(symbol, address, _)| *address == lower || *symbol == key)
}

fn read_defillama(
    file: &Path,
    options: &LoadOptions,
    notes: &mut Vec<String>,
) -> Result<PositionBook, BookError> {
    let text = read_json_text(file, options)?;
    let rows = json_rows(file, &text)?;
    check_row_count(file, rows.len(), options)?;
    let protocol = options.protocol.clone().unwrap_or_else(|| {
        file.file_stem()
            .map_or_else(|| "defillama".into(), |s| s.to_string_lossy().into_owned())
    });
    let mut builder = Builder::new(file, options);
    builder.book.reserve(rows.len());
    let mut assumed: Vec<String> = Vec::new();
    // The last token resolved: (collateral key, asset name, scale).
    let mut last: Option<(String, String, f64)> = None;
    for (index, raw) in rows.iter().enumerate() {
        let row = index as u64 + 1;
        let parsed: DefiLlamaRow = serde_json::from_str(raw.get()).map_err(|_| {
            let (field, message) = diagnose_json_row(raw, DEFILLAMA_FIELDS);
            row_error(file, row, None, &field, message)
        })?;
        let number = |value: &NumberOrString, field: &str| -> Result<f64, BookError> {
            match value {
                NumberOrString::Number(n) => Ok(*n),
                NumberOrString::Text(t) => t.trim().parse::<f64>().map_err(|_| {
                    row_error(file, row, None, field, format!("is \"{t}\", not a number"))
                }),
            }
        };
        let liquidation_price = number(&parsed.liq_price, "liqPrice")?;
        let base_units = number(&parsed.collateral_amount, "collateralAmount")?;
        if parsed.collateral.is_empty() {
            return Err(row_error(file, row, None, "collateral", "is empty; expected `chain:address`, e.g. ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"));
        }
        if last
            .as_ref()
            .is_none_or(|(key, ..)| key != parsed.collateral.as_ref())
        {
            let key = parsed.collateral.to_string();
            let (name, decimals) = match options
                .decimals
                .get(&key)
                .or_else(|| options.decimals.get(&key.to_ascii_lowercase()))
            {
                Some(&decimals) => (
                    token_by_key(&key).map_or(key.clone(), |t| t.0.to_string()),
                    decimals,
                ),
                None => match token_by_key(&key) {
                    Some((symbol, _, decimals)) => (symbol.to_string(), *decimals),
                    None => {
                        if !assumed.contains(&key) {
                            assumed.push(key.clone());
                        }
                        (key.clone(), 18)
                    }
                },
            };
            last = Some((key, name, 10f64.powi(decimals as i32)));
        }
        let (_, name, scale) = last.as_ref().expect("set above");
        builder
            .add(RawRow {
                row,
                line: None,
                owner: &parsed.owner,
                protocol: Some(&protocol),
                collateral_asset: name,
                collateral_amount: Some(base_units / scale),
                debt_asset: None,
                debt_amount: None,
                liquidation_price: Some(liquidation_price),
                liquidation_threshold: None,
                ltv: None,
                liquidation_bonus: None,
                price: None,
                debt_price: None,
            })
            .map_err(|error| match error {
                BookError::Row {
                    file,
                    location,
                    row,
                    field,
                    message,
                } => BookError::Row {
                    file,
                    location,
                    row,
                    field: match field.as_str() {
                        "collateral_amount" => "collateralAmount".into(),
                        "liquidation_price" => "liqPrice".into(),
                        "collateral_asset" => "collateral".into(),
                        _ => field,
                    },
                    message,
                },
                other => other,
            })?;
    }
    if !assumed.is_empty() {
        notes.push(format!(
            "collateralAmount of {} read with 18 decimals (not a known token); pass --decimals TOKEN=N if that is wrong",
            assumed.join(", ")
        ));
    }
    Ok(builder.book)
}

// ------------------------------------------------------------------------------------------ Parquet

fn parquet_error(file: &Path, error: impl std::fmt::Display) -> BookError {
    BookError::Format {
        file: file.to_path_buf(),
        message: format!("not a readable Parquet file: {error}"),
    }
}

/// A column of a row group: `f64` values (`NaN` for null) or strings.
enum ColumnData {
    Numbers(Vec<f64>),
    Strings(Vec<Option<ByteArray>>),
}

fn read_column(
    file: &Path,
    group: &dyn RowGroupReader,
    column: usize,
    n_rows: usize,
) -> Result<ColumnData, BookError> {
    let descriptor = group.metadata().column(column).column_descr_ptr();
    let max_def = descriptor.max_def_level();
    let reader = group
        .get_column_reader(column)
        .map_err(|e| parquet_error(file, e))?;
    let mut def_levels: Vec<i16> = Vec::with_capacity(n_rows);
    macro_rules! read_all {
        ($reader:expr, $values:expr) => {{
            let mut reader = $reader;
            let mut total = 0;
            while total < n_rows {
                let (records, _, _) = reader
                    .read_records(
                        n_rows - total,
                        (max_def > 0).then_some(&mut def_levels),
                        None,
                        &mut $values,
                    )
                    .map_err(|e| parquet_error(file, e))?;
                if records == 0 {
                    break;
                }
                total += records;
            }
        }};
    }
    fn spread<T: Clone>(values: Vec<T>, def_levels: &[i16], max_def: i16, null: T) -> Vec<T> {
        if max_def == 0 {
            return values;
        }
        let mut values = values.into_iter();
        def_levels
            .iter()
            .map(|&level| {
                if level == max_def {
                    values.next().unwrap_or_else(|| null.clone())
                } else {
                    null.clone()
                }
            })
            .collect()
    }
    Ok(match reader {
        ColumnReader::DoubleColumnReader(r) => {
            let mut values: Vec<f64> = Vec::with_capacity(n_rows);
            read_all!(r, values);
            ColumnData::Numbers(spread(values, &def_levels, max_def, f64::NAN))
        }
        ColumnReader::FloatColumnReader(r) => {
            let mut values: Vec<f32> = Vec::with_capacity(n_rows);
            read_all!(r, values);
            let values = values.into_iter().map(f64::from).collect();
            ColumnData::Numbers(spread(values, &def_levels, max_def, f64::NAN))
        }
        ColumnReader::Int64ColumnReader(r) => {
            let mut values: Vec<i64> = Vec::with_capacity(n_rows);
            read_all!(r, values);
            let values = values.into_iter().map(|v| v as f64).collect();
            ColumnData::Numbers(spread(values, &def_levels, max_def, f64::NAN))
        }
        ColumnReader::Int32ColumnReader(r) => {
            let mut values: Vec<i32> = Vec::with_capacity(n_rows);
            read_all!(r, values);
            let values = values.into_iter().map(f64::from).collect();
            ColumnData::Numbers(spread(values, &def_levels, max_def, f64::NAN))
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            let mut values: Vec<ByteArray> = Vec::with_capacity(n_rows);
            read_all!(r, values);
            let values = values.into_iter().map(Some).collect();
            ColumnData::Strings(spread(values, &def_levels, max_def, None))
        }
        _ => {
            return Err(BookError::Format {
                file: file.to_path_buf(),
                message: format!(
                    "column `{}` has Parquet type {:?}; expected DOUBLE, FLOAT, INT32 or INT64 for numbers and BYTE_ARRAY (UTF-8) for text",
                    descriptor.name(),
                    descriptor.physical_type()
                ),
            })
        }
    })
}

fn read_parquet(file: &Path, options: &LoadOptions) -> Result<PositionBook, BookError> {
    let reader = SerializedFileReader::new(open(file)?).map_err(|e| parquet_error(file, e))?;
    let metadata = reader.metadata();
    let n_rows = metadata.file_metadata().num_rows().max(0) as u64;
    if n_rows > options.max_rows {
        return Err(BookError::TooLarge {
            file: file.to_path_buf(),
            message: format!(
                "{n_rows} rows is above the limit of {}; the limit protects memory (about 120 bytes per row): split the file or raise it with --max-rows",
                options.max_rows
            ),
        });
    }
    let schema = metadata.file_metadata().schema_descr();
    let format_error = |message: String| BookError::Format {
        file: file.to_path_buf(),
        message,
    };
    let mut index = [None; 12];
    for position in 0..schema.num_columns() {
        let column = schema.column(position);
        if column.path().parts().len() != 1 || column.max_rep_level() > 0 {
            return Err(format_error(format!(
                "column `{}` is nested or repeated; a position book is flat columns",
                column.path()
            )));
        }
        index[known_column(column.name()).map_err(&format_error)?] = Some(position);
    }
    if let Some(message) = missing_required(&index) {
        return Err(format_error(message));
    }
    let mut builder = Builder::new(file, options);
    builder.book.reserve(n_rows as usize);
    let mut first_row = 0u64;
    for group_index in 0..metadata.num_row_groups() {
        let group = reader
            .get_row_group(group_index)
            .map_err(|e| parquet_error(file, e))?;
        let rows_here = group.metadata().num_rows().max(0) as usize;
        let mut columns: Vec<Option<ColumnData>> = Vec::with_capacity(COLUMNS.len());
        for (column, (name, _)) in COLUMNS.iter().enumerate() {
            let data = match index[column] {
                Some(position) => Some(read_column(file, group.as_ref(), position, rows_here)?),
                None => None,
            };
            let is_text = matches!(column, 0 | 1 | 4 | 5);
            match (&data, is_text) {
                (Some(ColumnData::Numbers(_)), true) => {
                    return Err(format_error(format!(
                        "column `{name}` holds numbers; it must be text (BYTE_ARRAY, UTF-8)"
                    )))
                }
                (Some(ColumnData::Strings(_)), false) => {
                    return Err(format_error(format!(
                        "column `{name}` holds text; it must be numbers (DOUBLE)"
                    )))
                }
                _ => {}
            }
            columns.push(data);
        }
        for offset in 0..rows_here {
            let row = first_row + offset as u64 + 1;
            let text = |column: usize| -> Result<Option<&str>, BookError> {
                match &columns[column] {
                    Some(ColumnData::Strings(values)) => match &values[offset] {
                        None => Ok(None),
                        Some(bytes) => std::str::from_utf8(bytes.data()).map(Some).map_err(|_| {
                            row_error(file, row, None, COLUMNS[column].0, "is not valid UTF-8")
                        }),
                    },
                    _ => Ok(None),
                }
            };
            let number = |column: usize| -> Option<f64> {
                match &columns[column] {
                    Some(ColumnData::Numbers(values)) => {
                        Some(values[offset]).filter(|v| !v.is_nan())
                    }
                    _ => None,
                }
            };
            builder.add(RawRow {
                row,
                line: None,
                owner: text(0)?.unwrap_or(""),
                collateral_asset: text(1)?.unwrap_or(""),
                collateral_amount: number(2),
                liquidation_price: number(3),
                protocol: text(4)?,
                debt_asset: text(5)?,
                debt_amount: number(6),
                liquidation_threshold: number(7),
                ltv: number(8),
                liquidation_bonus: number(9),
                price: number(10),
                debt_price: number(11),
            })?;
        }
        first_row += rows_here as u64;
    }
    Ok(builder.book)
}

// ------------------------------------------------------------------------------------------ Scenario

/// The position book of a scenario's market as generated with `seed` (the scenario's own when `None`):
/// every protocol's accounts at the initial prices, as `PositionBook::from_protocol` lays them out.
pub fn scenario_book(
    scenario: &crate::scenario::Scenario,
    origin: &crate::market::Origin,
    seed: Option<u64>,
) -> Result<PositionBook, crate::error::ScenarioError> {
    let seed = seed.unwrap_or(scenario.simulation.seed);
    let market = crate::market::build_market(scenario, origin, seed)?;
    let symbols: Vec<String> = market.assets.iter().map(|a| a.symbol.clone()).collect();
    let prices: Vec<f64> = market
        .assets
        .iter()
        .map(|a| a.path.initial_price())
        .collect();
    let mut book = PositionBook::new();
    for protocol in &market.protocols {
        book.push_protocol(protocol, &symbols, &prices);
    }
    Ok(book)
}

// ------------------------------------------------------------------------------------------ Writing

/// Writes `book` to `file` in `format` (own schema: every column; DefiLlama: owner, liqPrice,
/// collateral as `chain:address` for known tokens and `cascade:NAME` otherwise, collateralAmount in
/// base units). The file is written beside its target and renamed into place when complete.
pub fn write_book(book: &PositionBook, file: &Path, format: BookFormat) -> Result<(), BookError> {
    let write_error = |reason: std::io::Error| BookError::Write {
        file: file.to_path_buf(),
        reason,
    };
    let parent = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = file
        .file_name()
        .map_or_else(|| "book".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let handle = std::fs::File::create(&staging).map_err(write_error)?;
        match format {
            BookFormat::Csv => write_csv(book, handle).map_err(write_error)?,
            BookFormat::Json => write_json(book, handle).map_err(write_error)?,
            BookFormat::DefiLlama => write_defillama(book, handle).map_err(write_error)?,
            BookFormat::Parquet => write_parquet(book, handle).map_err(|e| BookError::Write {
                file: file.to_path_buf(),
                reason: std::io::Error::other(e.to_string()),
            })?,
        }
        std::fs::rename(&staging, file).map_err(write_error)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    result
}

/// Shortest round-trip text of a known value, empty for an unknown one.
fn push_number(buffer: &mut String, value: f64) {
    if !value.is_nan() {
        write!(buffer, "{value}").expect("writing to a String");
    }
}

fn price_or_nan(book: &PositionBook, asset: u16) -> f64 {
    if asset == NO_ASSET {
        f64::NAN
    } else {
        book.asset_prices[asset as usize]
    }
}

fn write_csv(book: &PositionBook, handle: std::fs::File) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_writer(handle);
    writer.write_record(COLUMNS.iter().map(|c| c.0))?;
    let mut buffer = String::new();
    for row in 0..book.len() {
        let r = book.row(row);
        writer.write_field(r.owner)?;
        writer.write_field(r.collateral_asset)?;
        for value in [r.collateral_amount, r.liquidation_price] {
            buffer.clear();
            push_number(&mut buffer, value);
            writer.write_field(&buffer)?;
        }
        writer.write_field(r.protocol)?;
        writer.write_field(r.debt_asset.unwrap_or(""))?;
        for value in [
            book.debt_amount[row],
            book.liquidation_threshold[row],
            book.ltv[row],
            book.liquidation_bonus[row],
            book.collateral_price(row),
            price_or_nan(book, book.debt_asset[row]),
        ] {
            buffer.clear();
            push_number(&mut buffer, value);
            writer.write_field(&buffer)?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .sync_all()
}

fn json_number(value: f64) -> serde_json::Value {
    serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn write_json(book: &PositionBook, handle: std::fs::File) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, handle);
    out.write_all(b"[\n")?;
    for row in 0..book.len() {
        let r = book.row(row);
        let mut object = serde_json::Map::new();
        object.insert("owner".into(), r.owner.into());
        object.insert("collateral_asset".into(), r.collateral_asset.into());
        object.insert("collateral_amount".into(), json_number(r.collateral_amount));
        object.insert("liquidation_price".into(), json_number(r.liquidation_price));
        object.insert("protocol".into(), r.protocol.into());
        if let Some(debt_asset) = r.debt_asset {
            object.insert("debt_asset".into(), debt_asset.into());
        }
        let optional = [
            ("debt_amount", book.debt_amount[row]),
            ("liquidation_threshold", book.liquidation_threshold[row]),
            ("ltv", book.ltv[row]),
            ("liquidation_bonus", book.liquidation_bonus[row]),
            ("price", book.collateral_price(row)),
            ("debt_price", price_or_nan(book, book.debt_asset[row])),
        ];
        for (key, value) in optional {
            if !value.is_nan() {
                object.insert(key.into(), json_number(value));
            }
        }
        if row > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &object)?;
    }
    out.write_all(b"\n]\n")?;
    out.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .sync_all()
}

/// The `chain:address` and decimals DefiLlama output uses for asset `name`.
pub fn defillama_token(name: &str) -> (String, u32) {
    match token_by_key(name) {
        Some((_, address, decimals)) => (address.to_string(), *decimals),
        None if name.contains(':') => (name.to_string(), 18),
        None => (format!("cascade:{name}"), 18),
    }
}

fn write_defillama(book: &PositionBook, handle: std::fs::File) -> std::io::Result<()> {
    let tokens: Vec<(String, u32)> = book.assets.iter().map(|a| defillama_token(a)).collect();
    let mut out = BufWriter::with_capacity(1 << 20, handle);
    out.write_all(b"[\n")?;
    let mut amount = String::new();
    for row in 0..book.len() {
        let (collateral, decimals) = &tokens[book.collateral_asset[row] as usize];
        amount.clear();
        let base_units = (book.collateral_amount[row] * 10f64.powi(*decimals as i32)).round();
        write!(amount, "{base_units:.0}").expect("writing to a String");
        let object = serde_json::json!({
            "owner": book.owner(row),
            "liqPrice": json_number(book.liquidation_price[row]),
            "collateral": collateral,
            "collateralAmount": amount,
        });
        if row > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &object)?;
    }
    out.write_all(b"\n]\n")?;
    out.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .sync_all()
}

/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 1 << 20;

fn parquet_schema() -> parquet::errors::Result<SchemaType> {
    let mut fields = Vec::new();
    for (name, required) in COLUMNS {
        let text = matches!(
            *name,
            "owner" | "collateral_asset" | "protocol" | "debt_asset"
        );
        let repetition = if *required {
            Repetition::REQUIRED
        } else {
            Repetition::OPTIONAL
        };
        let field = if text {
            SchemaType::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
                .with_logical_type(Some(parquet::basic::LogicalType::String))
        } else {
            SchemaType::primitive_type_builder(name, PhysicalType::DOUBLE)
        };
        fields.push(Arc::new(field.with_repetition(repetition).build()?));
    }
    SchemaType::group_type_builder("position_book")
        .with_fields(fields)
        .build()
}

fn write_parquet(book: &PositionBook, handle: std::fs::File) -> parquet::errors::Result<()> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build();
    let mut writer =
        SerializedFileWriter::new(handle, Arc::new(parquet_schema()?), Arc::new(properties))?;
    let mut start = 0;
    while start < book.len() {
        let end = (start + ROW_GROUP_ROWS).min(book.len());
        let rows = start..end;
        let mut group = writer.next_row_group()?;
        for (name, _) in COLUMNS {
            let mut column = group.next_column()?.expect("one writer per schema column");
            let text = |f: &dyn Fn(usize) -> Option<String>| -> (Vec<ByteArray>, Vec<i16>) {
                let mut values = Vec::with_capacity(rows.len());
                let mut levels = Vec::with_capacity(rows.len());
                for row in rows.clone() {
                    match f(row) {
                        Some(text) => {
                            values.push(ByteArray::from(text.into_bytes()));
                            levels.push(1);
                        }
                        None => levels.push(0),
                    }
                }
                (values, levels)
            };
            let numbers = |f: &dyn Fn(usize) -> f64| -> (Vec<f64>, Vec<i16>) {
                let mut values = Vec::with_capacity(rows.len());
                let mut levels = Vec::with_capacity(rows.len());
                for row in rows.clone() {
                    let value = f(row);
                    if value.is_nan() {
                        levels.push(0);
                    } else {
                        values.push(value);
                        levels.push(1);
                    }
                }
                (values, levels)
            };
            match *name {
                "owner" | "collateral_asset" => {
                    let (values, _) = if *name == "owner" {
                        text(&|row| Some(book.owner(row).to_string()))
                    } else {
                        text(&|row| Some(book.assets[book.collateral_asset[row] as usize].clone()))
                    };
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, None, None)?;
                }
                "protocol" | "debt_asset" => {
                    let (values, levels) = if *name == "protocol" {
                        text(&|row| Some(book.protocols[book.protocol[row] as usize].clone()))
                    } else {
                        text(&|row| {
                            let asset = book.debt_asset[row];
                            (asset != NO_ASSET).then(|| book.assets[asset as usize].clone())
                        })
                    };
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, Some(&levels), None)?;
                }
                "collateral_amount" | "liquidation_price" => {
                    let values: Vec<f64> = if *name == "collateral_amount" {
                        book.collateral_amount[rows.clone()].to_vec()
                    } else {
                        book.liquidation_price[rows.clone()].to_vec()
                    };
                    column
                        .typed::<DoubleType>()
                        .write_batch(&values, None, None)?;
                }
                other => {
                    let (values, levels) = match other {
                        "debt_amount" => numbers(&|row| book.debt_amount[row]),
                        "liquidation_threshold" => numbers(&|row| book.liquidation_threshold[row]),
                        "ltv" => numbers(&|row| book.ltv[row]),
                        "liquidation_bonus" => numbers(&|row| book.liquidation_bonus[row]),
                        "price" => numbers(&|row| book.collateral_price(row)),
                        _ => numbers(&|row| price_or_nan(book, book.debt_asset[row])),
                    };
                    column
                        .typed::<DoubleType>()
                        .write_batch(&values, Some(&levels), None)?;
                }
            }
            column.close()?;
        }
        group.close()?;
        start = end;
    }
    writer.close()?;
    Ok(())
}
