//! Rows written with `COPY … FROM STDIN (FORMAT binary)`: for the round's large tables cheaper
//! for PostgreSQL than `INSERT … SELECT FROM UNNEST` (no array to unpack, rows inserted in
//! batches), and the buffer is built in Rust, off the server's core.
//!
//! The binary COPY format is the header, then per row the field count and each field as a length
//! and its binary value (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
//! A field's binary value is exactly what a bound parameter sends, so the values are encoded by
//! sqlx's own `Encode` implementations; only the framing is written here (sqlx has no binary
//! COPY writer, and the crates that do write one are tied to other clients).
//! Binary COPY does not convert types: each value must have its column's exact type (`i32` for
//! `integer`, `f32` for `real`, …), or PostgreSQL rejects the data.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgConnection};
use sqlx::{Encode, Postgres, Type};

use super::StoreError;

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// The rows of one table in binary COPY format, ready to send.
pub struct CopyRows {
    table: String,
    statement: String,
    columns: usize,
    buf: PgArgumentBuffer,
    rows: u64,
    /// Fields written to the current row.
    fields: usize,
}

impl CopyRows {
    /// Rows for `table`'s `columns`, in this order.
    pub fn new(table: &str, columns: &[&str]) -> CopyRows {
        let mut buf = PgArgumentBuffer::default();
        buf.extend_from_slice(SIGNATURE);
        buf.extend_from_slice(&0_i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0_i32.to_be_bytes()); // header extension length
        CopyRows {
            table: table.to_string(),
            statement: format!(
                "COPY {table} ({}) FROM STDIN (FORMAT binary)",
                columns.join(", ")
            ),
            columns: columns.len(),
            buf,
            rows: 0,
            fields: columns.len(),
        }
    }

    /// The table the rows are for.
    #[cfg(test)]
    pub fn table(&self) -> &str {
        &self.table
    }

    /// How many rows there are.
    #[cfg(test)]
    pub fn row_count(&self) -> u64 {
        self.rows
    }

    /// Starts a row; its fields follow with [`CopyRows::put`].
    pub fn row(&mut self) -> Result<&mut Self, StoreError> {
        self.check_row_complete()?;
        self.buf
            .extend_from_slice(&(self.columns as i16).to_be_bytes());
        self.fields = 0;
        self.rows += 1;
        Ok(self)
    }

    /// The next field of the current row.
    pub fn put<'q, T>(&mut self, value: T) -> Result<&mut Self, StoreError>
    where
        T: Encode<'q, Postgres> + Type<Postgres>,
    {
        // Only built-in types: their binary value needs no type lookup on the connection.
        debug_assert!(T::type_info().oid().is_some(), "{}", self.statement);
        self.field(|buf| value.encode(buf))
    }

    /// The next field of the current row, a `bytea` that `write` appends to the buffer: an
    /// encoded blob goes in place, without a buffer of its own to copy from.
    pub fn put_bytes_with(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<&mut Self, StoreError> {
        self.field(|buf| {
            write(buf);
            Ok(IsNull::No)
        })
    }

    /// Frames the field that `write` appends: its length (or -1 for NULL), then its value.
    fn field(
        &mut self,
        write: impl FnOnce(&mut PgArgumentBuffer) -> Result<IsNull, BoxDynError>,
    ) -> Result<&mut Self, StoreError> {
        if self.fields >= self.columns {
            return Err(self.shape_error());
        }
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        let written = write(&mut self.buf)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.table)))?;
        let len = match written {
            IsNull::No => i32::try_from(self.buf.len() - at - 4)
                .map_err(|_| StoreError::Corrupt(format!("{}: value too large", self.table)))?,
            IsNull::Yes => -1,
        };
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        self.fields += 1;
        Ok(self)
    }

    /// Makes room for about `bytes` more bytes of rows at once, so that a large table's buffer
    /// is not copied over and over as it grows (an estimate: rows still grow it as needed).
    pub fn reserve(&mut self, bytes: usize) {
        self.buf.reserve(bytes);
    }

    fn check_row_complete(&self) -> Result<(), StoreError> {
        if self.fields == self.columns {
            Ok(())
        } else {
            Err(self.shape_error())
        }
    }

    fn shape_error(&self) -> StoreError {
        StoreError::Corrupt(format!(
            "{}: row {} has a wrong number of fields",
            self.table, self.rows
        ))
    }

    /// Sends the rows on `conn` (inside the caller's transaction); returns how many were written.
    pub async fn send(mut self, conn: &mut PgConnection) -> Result<u64, StoreError> {
        self.check_row_complete()?;
        if self.rows == 0 {
            return Ok(0);
        }
        self.buf.extend_from_slice(&(-1_i16).to_be_bytes()); // trailer
        let mut copy = conn.copy_in_raw(&self.statement).await?;
        copy.send(&self.buf[..]).await?;
        let written = copy.finish().await?;
        if written != self.rows {
            return Err(StoreError::Corrupt(format!(
                "{}: wrote {written} rows of {}",
                self.table, self.rows
            )));
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_rows_as_postgres_reads_them() {
        let mut rows = CopyRows::new("t", &["a", "b", "c"]);
        rows.row()
            .and_then(|r| r.put(7_i32))
            .and_then(|r| r.put(None::<i16>))
            .and_then(|r| r.put("hé"))
            .expect("row");
        let mut expected = b"PGCOPY\n\xff\r\n\0".to_vec();
        expected.extend([0, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([0, 3]);
        expected.extend([0, 0, 0, 4, 0, 0, 0, 7]);
        expected.extend([0xff, 0xff, 0xff, 0xff]);
        expected.extend([0, 0, 0, 3, b'h', 0xc3, 0xa9]);
        assert_eq!(&rows.buf[..], &expected[..]);
        assert_eq!(
            rows.statement,
            "COPY t (a, b, c) FROM STDIN (FORMAT binary)"
        );
    }

    #[test]
    fn a_blob_written_in_place_is_framed_like_a_bound_one() {
        let mut in_place = CopyRows::new("t", &["a", "b"]);
        in_place
            .row()
            .and_then(|r| r.put_bytes_with(|out| out.extend_from_slice(b"xyz")))
            .and_then(|r| r.put_bytes_with(|_| ()))
            .expect("row");
        let mut bound = CopyRows::new("t", &["a", "b"]);
        bound
            .row()
            .and_then(|r| r.put(b"xyz".to_vec()))
            .and_then(|r| r.put(Vec::<u8>::new()))
            .expect("row");
        assert_eq!(&in_place.buf[..], &bound.buf[..]);
        assert!(
            in_place.put_bytes_with(|_| ()).is_err(),
            "a third field of two"
        );
    }

    #[test]
    fn a_row_with_too_few_or_too_many_fields_is_an_error() {
        let mut rows = CopyRows::new("t", &["a", "b"]);
        rows.row().and_then(|r| r.put(1_i32)).expect("field");
        assert!(rows.row().is_err(), "one field of two");
        let mut rows = CopyRows::new("t", &["a"]);
        rows.row().and_then(|r| r.put(1_i32)).expect("field");
        assert!(rows.put(2_i32).is_err(), "two fields of one");
    }
}
