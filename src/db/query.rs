//! Statements for either backend, with sqlx's names: `query(sql).bind(v)
//! .fetch_one(conn)`. The values bound are kept, typed, until the backend is
//! known, then encoded once into that backend's own arguments: on SQLite
//! this is exactly the `sqlx::query_with` the code ran before (same
//! statement cache, no conversion, no allocation per row).
//!
//! Placeholders are `$1, $2 …`, which both backends read.

use super::conn::{Backend, Exec};
use super::row::{Done, Row};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, Encode, Executor, FromRow, Postgres, Sqlite, Type};
use std::marker::PhantomData;

/// The values of a statement, bound in order, not yet encoded.
pub trait Params<'q>: Send + 'q {
    /// Encodes them for SQLite.
    fn sqlite(self) -> Result<SqliteArguments<'q>, sqlx::Error>;
    /// Encodes them for PostgreSQL.
    fn postgres(self) -> Result<PgArguments, sqlx::Error>;
}

impl<'q> Params<'q> for () {
    fn sqlite(self) -> Result<SqliteArguments<'q>, sqlx::Error> {
        Ok(SqliteArguments::default())
    }
    fn postgres(self) -> Result<PgArguments, sqlx::Error> {
        Ok(PgArguments::default())
    }
}

impl<'q, A, T> Params<'q> for (A, T)
where
    A: Params<'q>,
    T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
{
    fn sqlite(self) -> Result<SqliteArguments<'q>, sqlx::Error> {
        let mut args = self.0.sqlite()?;
        args.add(self.1).map_err(sqlx::Error::Encode)?;
        Ok(args)
    }
    fn postgres(self) -> Result<PgArguments, sqlx::Error> {
        let mut args = self.0.postgres()?;
        args.add(self.1).map_err(sqlx::Error::Encode)?;
        Ok(args)
    }
}

/// Arguments built at run time (a statement whose number of values varies),
/// for one backend.
pub enum Args<'q> {
    /// SQLite's.
    Sqlite(SqliteArguments<'q>),
    /// PostgreSQL's.
    Postgres(PgArguments),
}

impl<'q> Args<'q> {
    /// No arguments yet, for `backend`.
    pub fn new(backend: Backend) -> Args<'q> {
        match backend {
            Backend::Sqlite => Args::Sqlite(SqliteArguments::default()),
            Backend::Postgres => Args::Postgres(PgArguments::default()),
        }
    }

    /// Adds the next value.
    pub fn add<T>(&mut self, value: T) -> anyhow::Result<()>
    where
        T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
    {
        // sqlx reports a value it cannot encode as a boxed error.
        match self {
            Args::Sqlite(a) => a.add(value),
            Args::Postgres(a) => a.add(value),
        }
        .map_err(|e| anyhow::anyhow!(e))
    }
}

fn other_backend() -> sqlx::Error {
    sqlx::Error::Protocol("arguments built for the other database backend".into())
}

impl<'q> Params<'q> for Args<'q> {
    fn sqlite(self) -> Result<SqliteArguments<'q>, sqlx::Error> {
        match self {
            Args::Sqlite(a) => Ok(a),
            Args::Postgres(_) => Err(other_backend()),
        }
    }
    fn postgres(self) -> Result<PgArguments, sqlx::Error> {
        match self {
            Args::Postgres(a) => Ok(a),
            Args::Sqlite(_) => Err(other_backend()),
        }
    }
}

/// A statement with its values.
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query<'q, A> {
    sql: &'q str,
    args: A,
}

/// A statement (placeholders `$1, $2 …`).
pub fn query(sql: &str) -> Query<'_, ()> {
    Query { sql, args: () }
}

/// A statement with arguments built at run time.
pub fn query_with<'q>(sql: &'q str, args: Args<'q>) -> Query<'q, Args<'q>> {
    Query { sql, args }
}

/// A statement whose first column is the answer.
pub fn query_scalar<O>(sql: &str) -> QueryScalar<'_, O, ()> {
    QueryScalar {
        inner: query(sql),
        out: PhantomData,
    }
}

/// A statement whose rows are read as `O` (a tuple, say).
pub fn query_as<O>(sql: &str) -> QueryAs<'_, O, ()> {
    QueryAs {
        inner: query(sql),
        out: PhantomData,
    }
}

/// Runs the statement on whichever connection or pool. Through sqlx's
/// `Executor` methods, whose futures are boxed and `Send` by their type:
/// `Query`'s async methods would make every caller's future fail the
/// compiler's `Send` proof for higher-ranked lifetimes.
macro_rules! on_backend {
    ($self:ident, $on:ident, |$q:ident, $c:ident| $sqlite:expr, $pg:expr) => {
        match $on.into() {
            Exec::Sqlite($c) => {
                let $q = sqlx::query_with::<Sqlite, _>($self.sql, $self.args.sqlite()?);
                $sqlite
            }
            Exec::SqlitePool($c) => {
                let $q = sqlx::query_with::<Sqlite, _>($self.sql, $self.args.sqlite()?);
                $sqlite
            }
            Exec::SqliteBeginning(conn, owed) => {
                // The transaction's BEGIN and this read, in one round trip.
                let sql = format!("BEGIN IMMEDIATE;\n{}", $self.sql);
                let args = $self.args.sqlite()?;
                let ran: Result<_, sqlx::Error> = async {
                    let $c = &mut *conn;
                    let $q = sqlx::query_with::<Sqlite, _>(&sql, args);
                    Ok($sqlite)
                }
                .await;
                match ran {
                    Ok(v) => {
                        *owed = false;
                        v
                    }
                    Err(e) => {
                        // Begun or not, a read changed nothing: the
                        // transaction is still to begin, by the next statement.
                        let _ = sqlx::Executor::execute(&mut *conn, "ROLLBACK").await;
                        return Err(e);
                    }
                }
            }
            Exec::Postgres($c) => {
                let $q = sqlx::query_with::<Postgres, _>($self.sql, $self.args.postgres()?);
                $pg
            }
            Exec::PostgresPool($c) => {
                let $q = sqlx::query_with::<Postgres, _>($self.sql, $self.args.postgres()?);
                $pg
            }
        }
    };
}

impl<'q, A: Params<'q>> Query<'q, A> {
    /// Binds the next placeholder.
    pub fn bind<T>(self, value: T) -> Query<'q, (A, T)>
    where
        T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
    {
        Query {
            sql: self.sql,
            args: (self.args, value),
        }
    }

    /// Runs the statement.
    pub async fn execute<'c>(self, on: impl Into<Exec<'c>>) -> Result<Done, sqlx::Error> {
        // Its count of changes must be its own.
        let on = on.into().begun().await?;
        Ok(on_backend!(
            self,
            on,
            |q, c| {
                let done = c.execute(q).await?;
                Done {
                    rows: done.rows_affected(),
                    last_rowid: done.last_insert_rowid(),
                }
            },
            Done {
                rows: c.execute(q).await?.rows_affected(),
                last_rowid: 0,
            }
        ))
    }

    /// The one row the statement returns (an error if none).
    pub async fn fetch_one<'c>(self, on: impl Into<Exec<'c>>) -> Result<Row, sqlx::Error> {
        Ok(on_backend!(
            self,
            on,
            |q, c| Row::Sqlite(c.fetch_one(q).await?),
            Row::Postgres(c.fetch_one(q).await?)
        ))
    }

    /// The first row the statement returns, if any.
    pub async fn fetch_optional<'c>(self, on: impl Into<Exec<'c>>) -> Result<Option<Row>, sqlx::Error> {
        Ok(on_backend!(
            self,
            on,
            |q, c| c.fetch_optional(q).await?.map(Row::Sqlite),
            c.fetch_optional(q).await?.map(Row::Postgres)
        ))
    }

    /// Every row the statement returns.
    pub async fn fetch_all<'c>(self, on: impl Into<Exec<'c>>) -> Result<Vec<Row>, sqlx::Error> {
        // One vector more per statement, none per row. (sqlx's streams,
        // collected here, would make every caller's future fail the
        // compiler's `Send` proof for higher-ranked lifetimes.)
        Ok(on_backend!(
            self,
            on,
            |q, c| c.fetch_all(q).await?.into_iter().map(Row::Sqlite).collect(),
            c.fetch_all(q).await?.into_iter().map(Row::Postgres).collect()
        ))
    }
}

/// A statement whose first column is the answer.
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryScalar<'q, O, A> {
    inner: Query<'q, A>,
    out: PhantomData<fn() -> O>,
}

impl<'q, O, A: Params<'q>> QueryScalar<'q, O, A>
where
    O: Send + Unpin,
    O: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>,
{
    /// Binds the next placeholder.
    pub fn bind<T>(self, value: T) -> QueryScalar<'q, O, (A, T)>
    where
        T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
    {
        QueryScalar {
            inner: self.inner.bind(value),
            out: PhantomData,
        }
    }

    /// The first column of the one row (an error if none).
    pub async fn fetch_one<'c>(self, on: impl Into<Exec<'c>>) -> Result<O, sqlx::Error> {
        self.inner.fetch_one(on).await?.try_get(0)
    }

    /// The first column of the first row, if any.
    pub async fn fetch_optional<'c>(self, on: impl Into<Exec<'c>>) -> Result<Option<O>, sqlx::Error> {
        self.inner
            .fetch_optional(on)
            .await?
            .map(|r| r.try_get(0))
            .transpose()
    }

    /// The first column of every row.
    pub async fn fetch_all<'c>(self, on: impl Into<Exec<'c>>) -> Result<Vec<O>, sqlx::Error> {
        let q = self.inner;
        on_backend!(
            q,
            on,
            |s, c| c
                .fetch_all(s)
                .await?
                .iter()
                .map(|r| sqlx::Row::try_get(r, 0))
                .collect(),
            c.fetch_all(s)
                .await?
                .iter()
                .map(|r| sqlx::Row::try_get(r, 0))
                .collect()
        )
    }
}

/// A statement whose rows are read as `O`.
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryAs<'q, O, A> {
    inner: Query<'q, A>,
    out: PhantomData<fn() -> O>,
}

impl<'q, O, A: Params<'q>> QueryAs<'q, O, A>
where
    O: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
{
    /// Binds the next placeholder.
    pub fn bind<T>(self, value: T) -> QueryAs<'q, O, (A, T)>
    where
        T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
    {
        QueryAs {
            inner: self.inner.bind(value),
            out: PhantomData,
        }
    }

    /// The one row (an error if none).
    pub async fn fetch_one<'c>(self, on: impl Into<Exec<'c>>) -> Result<O, sqlx::Error> {
        read(&self.inner.fetch_one(on).await?)
    }

    /// The first row, if any.
    pub async fn fetch_optional<'c>(self, on: impl Into<Exec<'c>>) -> Result<Option<O>, sqlx::Error> {
        self.inner
            .fetch_optional(on)
            .await?
            .as_ref()
            .map(read)
            .transpose()
    }

    /// Every row.
    pub async fn fetch_all<'c>(self, on: impl Into<Exec<'c>>) -> Result<Vec<O>, sqlx::Error> {
        let q = self.inner;
        on_backend!(
            q,
            on,
            |s, c| c.fetch_all(s).await?.iter().map(O::from_row).collect(),
            c.fetch_all(s).await?.iter().map(O::from_row).collect()
        )
    }
}

fn read<O>(row: &Row) -> Result<O, sqlx::Error>
where
    O: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
{
    match row {
        Row::Sqlite(r) => O::from_row(r),
        Row::Postgres(r) => O::from_row(r),
    }
}

/// Runs `sql` as it is, several statements if need be, without arguments
/// (scripts, tests' fixtures).
pub async fn raw_sql<'c>(sql: &str, on: impl Into<Exec<'c>>) -> Result<(), sqlx::Error> {
    match on.into().begun().await? {
        Exec::Sqlite(c) => sqlx::Executor::execute(c, sqlx::raw_sql(sql)).await.map(drop),
        Exec::SqliteBeginning(..) => unreachable!("begun above"),
        Exec::SqlitePool(c) => sqlx::Executor::execute(c, sqlx::raw_sql(sql)).await.map(drop),
        Exec::Postgres(c) => sqlx::Executor::execute(c, sqlx::raw_sql(sql)).await.map(drop),
        Exec::PostgresPool(c) => sqlx::Executor::execute(c, sqlx::raw_sql(sql)).await.map(drop),
    }
}
