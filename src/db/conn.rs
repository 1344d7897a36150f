//! A connection that is either backend. Every function of `db::*` takes a
//! [`Conn`] and matches on it once per statement: static dispatch straight
//! to sqlx-sqlite or sqlx-postgres (sqlx's `Any` driver would convert every
//! argument and row, and loses SQLite's hooks).

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

/// Which database a [`Db`](super::Db) runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// One connection, owned (the write connection) or borrowed from the pool.
#[derive(Debug)]
pub struct Conn {
    pub(super) link: Link,
    /// A statement inserted into the outbox or the jobs since the last
    /// commit or rollback. PostgreSQL has no commit hook to tell, so the
    /// inserting functions say so ([`Conn::queued`]); SQLite's hooks do it
    /// without this flag.
    pub(super) queued: bool,
    /// A write transaction's `BEGIN IMMEDIATE` not sent yet (SQLite): the
    /// transaction's first statement carries it, in one round trip with it
    /// ([`Exec::SqliteBeginning`]). Only while a [`Tx`](super::Tx) holds it.
    pub(super) begin_owed: bool,
}

#[derive(Debug)]
pub(super) enum Link {
    Sqlite(SqliteConnection),
    SqlitePooled(PoolConnection<Sqlite>),
    Postgres(PgConnection),
    PostgresPooled(PoolConnection<Postgres>),
}

impl Conn {
    pub(super) fn new(link: Link) -> Conn {
        Conn {
            link,
            queued: false,
            begin_owed: false,
        }
    }

    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self.link {
            Link::Sqlite(_) | Link::SqlitePooled(_) => Backend::Sqlite,
            Link::Postgres(_) | Link::PostgresPooled(_) => Backend::Postgres,
        }
    }

    /// Notes that the transaction on this connection gave the delivery
    /// worker new work (an outbox or jobs row), so its commit wakes it.
    pub(super) fn queued(&mut self) {
        self.queued = true;
    }

    /// Whether the transaction on this connection queued outbox entries or jobs.
    pub fn has_queued(&self) -> bool {
        self.queued
    }

    /// Closes an owned connection; a pooled one goes back to its pool.
    pub(super) async fn close(self) {
        use sqlx::Connection;
        let _ = match self.link {
            Link::Sqlite(c) => c.close().await,
            Link::Postgres(c) => c.close().await,
            Link::SqlitePooled(_) | Link::PostgresPooled(_) => Ok(()),
        };
    }
}

/// The pool of connections for reads.
#[derive(Debug, Clone)]
pub enum Pool {
    /// SQLite's.
    Sqlite(SqlitePool),
    /// PostgreSQL's.
    Postgres(PgPool),
}

impl Pool {
    /// Takes a connection from the pool (it goes back when dropped).
    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(Conn::new(match self {
            Pool::Sqlite(p) => Link::SqlitePooled(p.acquire().await?),
            Pool::Postgres(p) => Link::PostgresPooled(p.acquire().await?),
        }))
    }

    /// The backend of the pool.
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection (waits for those in use to come back).
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Where a statement runs: a connection or a pool, of either backend.
pub enum Exec<'c> {
    /// An SQLite connection.
    Sqlite(&'c mut SqliteConnection),
    /// An SQLite connection whose write transaction is still to begin (the
    /// flag is [`Conn::begin_owed`]): a read begins it in its own text, a
    /// write after a `BEGIN` of its own (SQLite counts a change before the
    /// `BEGIN` as the `BEGIN`'s).
    SqliteBeginning(&'c mut SqliteConnection, &'c mut bool),
    /// SQLite's pool.
    SqlitePool(&'c SqlitePool),
    /// A PostgreSQL connection.
    Postgres(&'c mut PgConnection),
    /// PostgreSQL's pool.
    PostgresPool(&'c PgPool),
}

impl<'c> Exec<'c> {
    /// Sends an owed `BEGIN IMMEDIATE` on its own, for a statement that
    /// cannot carry it.
    pub(super) async fn begun(self) -> Result<Exec<'c>, sqlx::Error> {
        match self {
            Exec::SqliteBeginning(c, owed) => {
                sqlx::Executor::execute(&mut *c, "BEGIN IMMEDIATE").await?;
                *owed = false;
                Ok(Exec::Sqlite(c))
            }
            other => Ok(other),
        }
    }
}

impl<'c> From<&'c mut Conn> for Exec<'c> {
    fn from(c: &'c mut Conn) -> Exec<'c> {
        let Conn { link, begin_owed, .. } = c;
        match link {
            Link::Sqlite(c) => match *begin_owed {
                true => Exec::SqliteBeginning(c, begin_owed),
                false => Exec::Sqlite(c),
            },
            Link::SqlitePooled(c) => Exec::Sqlite(c),
            Link::Postgres(c) => Exec::Postgres(c),
            Link::PostgresPooled(c) => Exec::Postgres(c),
        }
    }
}

impl<'c> From<&'c Pool> for Exec<'c> {
    fn from(p: &'c Pool) -> Exec<'c> {
        match p {
            Pool::Sqlite(p) => Exec::SqlitePool(p),
            Pool::Postgres(p) => Exec::PostgresPool(p),
        }
    }
}

impl<'c> From<&'c mut super::Tx> for Exec<'c> {
    fn from(tx: &'c mut super::Tx) -> Exec<'c> {
        Exec::from(&mut **tx)
    }
}

impl<'c> From<&'c mut SqliteConnection> for Exec<'c> {
    fn from(c: &'c mut SqliteConnection) -> Exec<'c> {
        Exec::Sqlite(c)
    }
}

impl<'c> From<&'c mut PgConnection> for Exec<'c> {
    fn from(c: &'c mut PgConnection) -> Exec<'c> {
        Exec::Postgres(c)
    }
}

impl<'c> From<&'c SqlitePool> for Exec<'c> {
    fn from(p: &'c SqlitePool) -> Exec<'c> {
        Exec::SqlitePool(p)
    }
}

impl<'c> From<&'c PgPool> for Exec<'c> {
    fn from(p: &'c PgPool) -> Exec<'c> {
        Exec::PostgresPool(p)
    }
}
