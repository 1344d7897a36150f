//! A row's values as both backends hold them, and the checksum of a table:
//! SHA-256 over a canonical rendering of its rows in key order, computed the
//! same way from what SQLite holds and from what PostgreSQL holds.

use sha2::{Digest, Sha256};

/// What a column holds: SQLite's storage classes, PostgreSQL's BIGINT,
/// DOUBLE PRECISION, TEXT and BYTEA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Integer,
    /// A 64-bit float.
    Real,
    /// UTF-8 text.
    Text,
    /// Bytes.
    Blob,
}

impl Kind {
    /// The kind of a PostgreSQL column type (as `format_type` names it).
    pub fn of_postgres(ty: &str) -> Option<Kind> {
        match ty {
            "bigint" => Some(Kind::Integer),
            "double precision" => Some(Kind::Real),
            "text" => Some(Kind::Text),
            "bytea" => Some(Kind::Blob),
            _ => None,
        }
    }

    /// The kind of an SQLite column's declared type (the schema's four).
    pub fn of_sqlite(declared: &str) -> Option<Kind> {
        match declared.to_ascii_uppercase().as_str() {
            "INTEGER" => Some(Kind::Integer),
            "REAL" => Some(Kind::Real),
            "TEXT" => Some(Kind::Text),
            "BLOB" => Some(Kind::Blob),
            _ => None,
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Real => "real",
            Kind::Text => "text",
            Kind::Blob => "blob",
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A float, compared bit for bit.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A table's running row count and checksum.
#[derive(Debug, Clone, Default)]
pub struct Checksum {
    hash: Sha256,
    rows: u64,
}

impl Checksum {
    /// Adds the next row (rows are added in key order).
    pub fn add(&mut self, row: &[Value]) {
        for v in row {
            match v {
                Value::Null => self.hash.update(b"N"),
                Value::Integer(i) => self.hash.update(format!("I{i}")),
                Value::Real(r) => self.hash.update(format!("R{:016x}", r.to_bits())),
                // The length first: no text can pass for the end of its value.
                Value::Text(t) => {
                    self.hash.update(format!("T{}:", t.len()));
                    self.hash.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    self.hash.update(format!("B{}:", b.len()));
                    self.hash.update(b);
                }
            }
            self.hash.update(b";");
        }
        self.hash.update(b"\n");
        self.rows += 1;
    }

    /// The rows added so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The row count and the hex digest of the rows added.
    pub fn finish(self) -> (u64, String) {
        (self.rows, hex::encode(self.hash.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(rows: &[&[Value]]) -> String {
        let mut c = Checksum::default();
        for r in rows {
            c.add(r);
        }
        c.finish().1
    }

    #[test]
    fn every_difference_changes_the_checksum() {
        let base = sum(&[&[Value::Integer(1), Value::Text("a".into())]]);
        assert_eq!(base, sum(&[&[Value::Integer(1), Value::Text("a".into())]]));
        for other in [
            sum(&[&[Value::Integer(2), Value::Text("a".into())]]),
            sum(&[&[Value::Integer(1), Value::Text("b".into())]]),
            sum(&[&[Value::Integer(1), Value::Null]]),
            sum(&[&[Value::Integer(1), Value::Text("".into())]]),
            sum(&[&[Value::Text("1".into()), Value::Text("a".into())]]),
            sum(&[&[Value::Real(1.0), Value::Text("a".into())]]),
            sum(&[&[Value::Integer(1), Value::Blob(b"a".to_vec())]]),
            sum(&[&[Value::Integer(1)], &[Value::Text("a".into())]]),
            sum(&[]),
        ] {
            assert_ne!(base, other);
        }
        // Values cannot run into each other.
        assert_ne!(
            sum(&[&[Value::Text("a;T1:b".into())]]),
            sum(&[&[Value::Text("a".into()), Value::Text("b".into())]])
        );
        // Bit for bit: the last bit of a float counts.
        assert_ne!(sum(&[&[Value::Real(0.1 + 0.2)]]), sum(&[&[Value::Real(0.3)]]));
    }
}
