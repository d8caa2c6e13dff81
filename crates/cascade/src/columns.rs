//! Columnar tables written as Parquet (for pandas, polars, DuckDB, Spark): one row group, Snappy,
//! no nested types. Used for per-path and per-point results, whose row counts are modest (at most a
//! few million), so a whole table is built in memory.

use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as SchemaType;

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    F64(Vec<f64>),
    /// Nullable doubles (`None` is a Parquet null).
    OptionalF64(Vec<Option<f64>>),
    /// Stored as signed 64-bit integers with the UINT_64 logical type.
    U64(Vec<u64>),
    Bool(Vec<bool>),
    /// UTF-8 strings.
    Text(Vec<String>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::OptionalF64(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    fn schema(&self, name: &str) -> parquet::errors::Result<SchemaType> {
        let (physical, logical, repetition) = match self {
            Column::F64(_) => (PhysicalType::DOUBLE, None, Repetition::REQUIRED),
            Column::OptionalF64(_) => (PhysicalType::DOUBLE, None, Repetition::OPTIONAL),
            Column::U64(_) => (
                PhysicalType::INT64,
                Some(LogicalType::Integer {
                    bit_width: 64,
                    is_signed: false,
                }),
                Repetition::REQUIRED,
            ),
            Column::Bool(_) => (PhysicalType::BOOLEAN, None, Repetition::REQUIRED),
            Column::Text(_) => (
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::String),
                Repetition::REQUIRED,
            ),
        };
        SchemaType::primitive_type_builder(name, physical)
            .with_logical_type(logical)
            .with_repetition(repetition)
            .build()
    }
}

/// The columns as one Parquet file. Panics if the columns differ in length (a programming error).
pub fn to_parquet(columns: &[(&str, Column)]) -> Vec<u8> {
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    assert!(
        columns.iter().all(|(_, c)| c.len() == rows),
        "every column has one value per row"
    );
    write(columns).expect("writing Parquet into memory cannot fail for well-formed columns")
}

fn write(columns: &[(&str, Column)]) -> parquet::errors::Result<Vec<u8>> {
    let fields = columns
        .iter()
        .map(|(name, column)| column.schema(name).map(Arc::new))
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    let schema = SchemaType::group_type_builder("table")
        .with_fields(fields)
        .build()?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut buffer = Vec::new();
    let mut writer =
        SerializedFileWriter::new(&mut buffer, Arc::new(schema), Arc::new(properties))?;
    let mut group = writer.next_row_group()?;
    for (_, column) in columns {
        let mut out = group.next_column()?.expect("one writer per schema column");
        match column {
            Column::F64(values) => {
                out.typed::<DoubleType>().write_batch(values, None, None)?;
            }
            Column::OptionalF64(values) => {
                let present: Vec<f64> = values.iter().flatten().copied().collect();
                let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
                out.typed::<DoubleType>()
                    .write_batch(&present, Some(&levels), None)?;
            }
            Column::U64(values) => {
                // Parquet stores UINT_64 in INT64's bits.
                let bits: Vec<i64> = values.iter().map(|&v| v as i64).collect();
                out.typed::<Int64Type>().write_batch(&bits, None, None)?;
            }
            Column::Bool(values) => {
                out.typed::<BoolType>().write_batch(values, None, None)?;
            }
            Column::Text(values) => {
                let bytes: Vec<ByteArray> = values
                    .iter()
                    .map(|s| ByteArray::from(s.as_bytes().to_vec()))
                    .collect();
                out.typed::<ByteArrayType>()
                    .write_batch(&bytes, None, None)?;
            }
        }
        out.close()?;
    }
    group.close()?;
    writer.close()?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    #[test]
    fn test_a_table_reads_back_row_by_row() {
        let bytes = to_parquet(&[
            ("path", Column::U64(vec![0, 1, u64::MAX])),
            ("loss", Column::F64(vec![0.5, 1.5, -2.0])),
            (
                "amplification",
                Column::OptionalF64(vec![Some(1.2), None, Some(0.9)]),
            ),
            ("cascade", Column::Bool(vec![true, false, true])),
            (
                "stop",
                Column::Text(vec!["a".into(), "bé".into(), "".into()]),
            ),
        ]);
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 3);
        let rows: Vec<Vec<Field>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .into_columns()
                    .into_iter()
                    .map(|(_, f)| f)
                    .collect()
            })
            .collect();
        assert_eq!(rows[1][0], Field::ULong(1));
        assert_eq!(rows[2][0], Field::ULong(u64::MAX));
        assert_eq!(rows[1][1], Field::Double(1.5));
        assert_eq!(rows[1][2], Field::Null);
        assert_eq!(rows[2][2], Field::Double(0.9));
        assert_eq!(rows[0][3], Field::Bool(true));
        assert_eq!(rows[1][4], Field::Str("bé".into()));
    }
}
