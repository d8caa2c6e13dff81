//! Data files a scenario refers to: price series, order-book levels and account books, all CSV.
//! Lines starting with `#` are comments (provenance headers).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::ScenarioError;

fn data_error(file: &Path, line: u64, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Data {
        file: file.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn open(file: &Path) -> Result<csv::Reader<std::fs::File>, ScenarioError> {
    let handle = std::fs::File::open(file).map_err(|reason| ScenarioError::Read {
        file: file.to_path_buf(),
        reason,
    })?;
    Ok(csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(handle))
}

fn headers(
    reader: &mut csv::Reader<std::fs::File>,
    file: &Path,
) -> Result<Vec<String>, ScenarioError> {
    let line = reader.position().line();
    let headers = reader.headers().map_err(|error| {
        data_error(
            file,
            line.max(1),
            format!("cannot read the header: {error}"),
        )
    })?;
    if headers.is_empty() {
        return Err(data_error(
            file,
            1,
            "the file is empty; expected a header line naming its columns (after any `#` comment lines)",
        ));
    }
    Ok(headers.iter().map(str::to_string).collect())
}

fn column(headers: &[String], name: &str, file: &Path) -> Result<usize, ScenarioError> {
    headers
        .iter()
        .position(|header| header == name)
        .ok_or_else(|| {
            data_error(
                file,
                1,
                format!(
                    "no column named `{name}` (the header has: {})",
                    headers.join(", ")
                ),
            )
        })
}

/// A CSV row with the line it starts on, or an error naming that line.
fn numbered(
    record: csv::Result<csv::StringRecord>,
    file: &Path,
) -> Result<(csv::StringRecord, u64), ScenarioError> {
    let record = record.map_err(|error| {
        let line = error.position().map_or(0, |position| position.line());
        data_error(file, line, format!("malformed row: {error}"))
    })?;
    let line = record.position().map_or(0, |position| position.line());
    Ok((record, line))
}

fn number(text: &str, what: &str, file: &Path, line: u64) -> Result<f64, ScenarioError> {
    let value: f64 = text
        .parse()
        .map_err(|_| data_error(file, line, format!("`{what}` is `{text}`, not a number")))?;
    if !value.is_finite() {
        return Err(data_error(
            file,
            line,
            format!("`{what}` is `{text}`; it must be a finite number"),
        ));
    }
    Ok(value)
}

/// Seconds since 1970-01-01 of a UTC time written `YYYY-MM-DDTHH:MM:SSZ` (or with a `+00:00` offset).
pub fn parse_utc_seconds(text: &str) -> Option<i64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.split(':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: i64 = time_parts.next().unwrap_or("0").parse().ok()?;
    if date_parts.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// A price series read from a CSV: one price per bar at a constant interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSeries {
    pub prices: Vec<f64>,
    pub interval_seconds: i64,
    pub first_time: String,
}

/// Reads `time` and `column` from a price CSV, checking that every price is a positive number and that
/// the bars are evenly spaced (a gap or a duplicate is an error naming its line).
pub fn load_price_series(file: &Path, column_name: &str) -> Result<PriceSeries, ScenarioError> {
    let mut reader = open(file)?;
    let headers = headers(&mut reader, file)?;
    let time_index = column(&headers, "time", file)?;
    let price_index = column(&headers, column_name, file)?;
    let mut prices = Vec::new();
    let mut interval = None;
    let mut previous_time = None;
    let mut first_time = String::new();
    for record in reader.records() {
        let (record, line) = numbered(record, file)?;
        let time_text = record.get(time_index).unwrap_or("");
        let time = parse_utc_seconds(time_text).ok_or_else(|| {
            data_error(
                file,
                line,
                format!("`time` is `{time_text}`; expected a UTC time like 2020-03-12T00:10:00Z"),
            )
        })?;
        let price = number(
            record.get(price_index).unwrap_or(""),
            column_name,
            file,
            line,
        )?;
        if price <= 0.0 {
            return Err(data_error(
                file,
                line,
                format!("`{column_name}` is {price}; a price must be above zero"),
            ));
        }
        if let Some(previous) = previous_time {
            let step = time - previous;
            match interval {
                None if step > 0 => interval = Some(step),
                Some(expected) if step == expected => {}
                _ => {
                    let expected = interval.map_or("increasing times".to_string(), |s| {
                        format!("{s} s after the previous row")
                    });
                    return Err(data_error(
                        file,
                        line,
                        format!("`time` {time_text} is {step} s after the previous row; expected {expected} (a gap, a duplicate or rows out of order)"),
                    ));
                }
            }
        } else {
            first_time = time_text.to_string();
        }
        previous_time = Some(time);
        prices.push(price);
    }
    if prices.len() < 2 {
        return Err(data_error(
            file,
            1,
            "a price series needs at least two rows",
        ));
    }
    Ok(PriceSeries {
        prices,
        interval_seconds: interval.unwrap_or(0),
        first_time,
    })
}

/// Bid and ask levels as (relative distance from the mid, size), sorted by distance, and the mid.
#[derive(Debug, Clone, PartialEq)]
pub struct BookLevels {
    pub mid: f64,
    pub bids: Vec<(f64, f64)>,
    pub asks: Vec<(f64, f64)>,
}

/// Reads an order-book snapshot with columns `side,price,size`.
pub fn load_order_book(file: &Path) -> Result<BookLevels, ScenarioError> {
    let mut reader = open(file)?;
    let headers = headers(&mut reader, file)?;
    let (side_index, price_index, size_index) = (
        column(&headers, "side", file)?,
        column(&headers, "price", file)?,
        column(&headers, "size", file)?,
    );
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    for record in reader.records() {
        let (record, line) = numbered(record, file)?;
        let price = number(record.get(price_index).unwrap_or(""), "price", file, line)?;
        let size = number(record.get(size_index).unwrap_or(""), "size", file, line)?;
        if price <= 0.0 || size <= 0.0 {
            return Err(data_error(
                file,
                line,
                "`price` and `size` must be above zero",
            ));
        }
        match record.get(side_index).unwrap_or("") {
            "bid" => bids.push((price, size, line)),
            "ask" => asks.push((price, size, line)),
            other => {
                return Err(data_error(
                    file,
                    line,
                    format!("`side` is `{other}`; expected `bid` or `ask`"),
                ))
            }
        }
    }
    if bids.is_empty() || asks.is_empty() {
        return Err(data_error(
            file,
            1,
            "an order book needs at least one bid and one ask level (the venue is empty)",
        ));
    }
    let best_bid = bids.iter().map(|level| level.0).fold(f64::MIN, f64::max);
    let best_ask = asks.iter().map(|level| level.0).fold(f64::MAX, f64::min);
    if best_bid >= best_ask {
        return Err(data_error(
            file,
            1,
            format!("the book is crossed: best bid {best_bid} >= best ask {best_ask}"),
        ));
    }
    let mid = (best_bid + best_ask) / 2.0;
    let relative =
        |levels: Vec<(f64, f64, u64)>, side: f64| -> Result<Vec<(f64, f64)>, ScenarioError> {
            let mut out: Vec<(f64, f64, u64)> = levels
                .into_iter()
                .map(|(price, size, line)| (side * (price / mid - 1.0), size, line))
                .collect();
            out.sort_by(|a, b| a.0.total_cmp(&b.0));
            for pair in out.windows(2) {
                if pair[0].0 == pair[1].0 {
                    return Err(data_error(
                        file,
                        pair[1].2,
                        "two levels on the same side at the same price",
                    ));
                }
            }
            if let Some(level) = out.iter().find(|level| level.0 >= 1.0) {
                return Err(data_error(
                    file,
                    level.2,
                    "an ask more than 100% above the mid is outside the model",
                ));
            }
            Ok(out
                .into_iter()
                .map(|(offset, size, _)| (offset, size))
                .collect())
        };
    Ok(BookLevels {
        mid,
        bids: relative(bids, -1.0)?,
        asks: relative(asks, 1.0)?,
    })
}

/// One account read from an account CSV: per-asset collateral and debt, by symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRows {
    pub label: String,
    /// (asset symbol, collateral, debt, line)
    pub balances: Vec<(String, f64, f64, u64)>,
}

/// Reads an account book with columns `account,asset,collateral,debt`, keeping accounts in the order
/// they first appear.
pub fn load_accounts(file: &Path) -> Result<Vec<AccountRows>, ScenarioError> {
    let mut reader = open(file)?;
    let headers = headers(&mut reader, file)?;
    let indices = [
        column(&headers, "account", file)?,
        column(&headers, "asset", file)?,
        column(&headers, "collateral", file)?,
        column(&headers, "debt", file)?,
    ];
    let mut accounts: Vec<AccountRows> = Vec::new();
    let mut position_of: BTreeMap<String, usize> = BTreeMap::new();
    for record in reader.records() {
        let (record, line) = numbered(record, file)?;
        let label = record.get(indices[0]).unwrap_or("").to_string();
        let asset = record.get(indices[1]).unwrap_or("").to_string();
        if label.is_empty() || asset.is_empty() {
            return Err(data_error(
                file,
                line,
                "`account` and `asset` must not be empty",
            ));
        }
        let collateral = number(
            record.get(indices[2]).unwrap_or(""),
            "collateral",
            file,
            line,
        )?;
        let debt = number(record.get(indices[3]).unwrap_or(""), "debt", file, line)?;
        if collateral < 0.0 || debt < 0.0 {
            return Err(data_error(
                file,
                line,
                "`collateral` and `debt` must be zero or more",
            ));
        }
        let index = *position_of.entry(label.clone()).or_insert_with(|| {
            accounts.push(AccountRows {
                label,
                balances: Vec::new(),
            });
            accounts.len() - 1
        });
        accounts[index]
            .balances
            .push((asset, collateral, debt, line));
    }
    if accounts.is_empty() {
        return Err(data_error(file, 1, "the account file has no rows"));
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_utc_seconds_known_dates() {
        assert_eq!(parse_utc_seconds("1970-01-01T00:00:00Z"), Some(0));
        // 2020-03-12 is day 18,333 since the epoch: 18,333 * 86,400 = 1,583,971,200.
        assert_eq!(
            parse_utc_seconds("2020-03-12T00:00:00Z"),
            Some(1_583_971_200)
        );
        assert_eq!(
            parse_utc_seconds("2020-03-12T00:10:00Z"),
            Some(1_583_971_800)
        );
        assert_eq!(parse_utc_seconds("2020-13-12T00:10:00Z"), None);
        assert_eq!(parse_utc_seconds("yesterday"), None);
    }
}
