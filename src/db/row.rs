//! A row of either backend, and what a statement that returns none did.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};

/// A row of either backend.
pub enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From PostgreSQL.
    Postgres(PgRow),
}

impl Row {
    /// The value of column `index` (a name or a position).
    pub fn try_get<'r, T, I>(&'r self, index: I) -> Result<T, sqlx::Error>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
    {
        match self {
            Row::Sqlite(r) => sqlx::Row::try_get(r, index),
            Row::Postgres(r) => sqlx::Row::try_get(r, index),
        }
    }

    /// The value of column `index`; panics if it cannot be read (tests).
    pub fn get<'r, T, I>(&'r self, index: I) -> T
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + std::fmt::Debug,
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
    {
        let shown = format!("{index:?}");
        self.try_get(index)
            .unwrap_or_else(|e| panic!("column {shown}: {e}"))
    }

    /// A flag: both schemas store one as an integer, 0 or 1 (SQLite has no
    /// boolean type, and PostgreSQL's would not compare with SQLite's 0/1).
    pub fn flag<I>(&self, index: I) -> Result<bool, sqlx::Error>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
    {
        Ok(self.try_get::<i64, I>(index)? != 0)
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        match self {
            Row::Sqlite(r) => sqlx::Row::len(r),
            Row::Postgres(r) => sqlx::Row::len(r),
        }
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    pub(super) rows: u64,
    /// SQLite's rowid of the connection's latest insert, as the statement
    /// (the last of a text) left it; 0 on PostgreSQL.
    pub(super) last_rowid: i64,
}

impl Done {
    /// Rows inserted, updated or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}
