//! What a command costs the database (issue 23, target 3): round trips to
//! SQLite (sqlx logs one `sqlx::query` event per statement string it runs)
//! and write transactions, counted over the console's real path for
//! commands that queue nothing and for one that queues a message.
//!
//! One test in this binary: the counter is the process's global subscriber.

mod common;

use common::Harness;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata};

/// Counts sqlx's statement events and keeps the SQL of each.
struct Counter;

static SQL: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Sql(String);

impl Visit for Sql {
    fn record_str(&mut self, field: &Field, value: &str) {
        // `summary` holds short SQL whole; `db.statement` the rest of a long one.
        if field.name() == "summary" || (field.name() == "db.statement" && !value.is_empty()) {
            self.0 = value.trim().to_string();
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl tracing::Subscriber for Counter {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "sqlx::query"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &Event<'_>) {
        if e.metadata().target() == "sqlx::query" {
            let mut sql = Sql(String::new());
            e.record(&mut sql);
            SQL.lock().unwrap().push(sql.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// What a block of console lines cost.
#[derive(Debug)]
struct Cost {
    commits: u64,
    sql: Vec<String>,
}

/// Runs `lines` through the console path and counts what they cost.
async fn measure(h: &Harness, lines: &str) -> Cost {
    SQL.lock().unwrap().clear();
    let c0 = h.app.db.commits();
    h.run(lines).await;
    Cost {
        commits: h.app.db.commits() - c0,
        sql: std::mem::take(&mut *SQL.lock().unwrap()),
    }
}

/// Who runs the measured commands (each console run starts a new session).
const AS: &str = ":as rm release_manager,build_manager,change_manager\n";

/// What `line` cost, less what a run without it costs (the console's
/// catch-up at its start, the `:as`).
async fn cost(h: &Harness, line: &str) -> Cost {
    let empty = measure(h, AS).await;
    let mut run = measure(h, &format!("{AS}{line}\n")).await;
    // What the empty run did, the run did too: the rest is the line's.
    for s in &empty.sql {
        if let Some(i) = run.sql.iter().position(|r| r == s) {
            run.sql.remove(i);
        }
    }
    // A connection the pool opened meanwhile is no cost of the line.
    run.sql.retain(|s| !s.starts_with("PRAGMA"));
    Cost {
        commits: run.commits - empty.commits,
        sql: run.sql,
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_common_command_costs_one_write_transaction_and_a_few_statements() {
    tracing::subscriber::set_global_default(Counter).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("db.sqlite")).await;

    // The counter sees a query, once.
    SQL.lock().unwrap().clear();
    release_desk::db::query("SELECT 1 AS counted")
        .execute(&h.app.db.pool)
        .await
        .unwrap();
    let seen = SQL.lock().unwrap().clone();
    assert_eq!(
        seen.iter().filter(|s| s.contains("SELECT 1 AS counted")).count(),
        1,
        "{seen:?}"
    );

    h.run(&format!(
        "{AS}/rfc new title:\"First\" type:normal risk:low impact:none\n\
         /release new name:\"Payments\" version:1.0.0 rfcs:RFC-1\n"
    ))
    .await;

    // Commands that change a record and queue nothing but their answer.
    let quiet = [
        "/rfc new title:\"Second\" type:normal risk:low impact:none",
        "/release plan id:REL-1 backout:b acceptance:a",
        "/package add release:REL-1 item:api version:1.0.1",
    ];
    for line in quiet {
        let c = cost(&h, line).await;
        assert!(!h.output().contains("error"), "{}", h.output());
        assert_eq!(c.commits, 1, "{line}: write transactions {c:#?}");
        assert_eq!(c.begins(), 1, "{line}: {c:#?}");
        // The outbox and the jobs are not looked at: nothing was queued.
        assert!(!c.polled(), "{line}: {c:#?}");
        assert!(c.bot() <= 6, "{line}: {} statements: {c:#?}", c.bot());
    }

    // A read-only command writes nothing.
    let c = cost(&h, "/release show id:REL-1").await;
    assert_eq!((c.commits, c.begins()), (0, 0), "{c:#?}");
    assert!(!c.polled(), "{c:#?}");
    // The story reads the release, its RFCs, its trail, deployments and incidents.
    assert!(c.bot() <= 5, "{} statements: {c:#?}", c.bot());

    // A command that queues a message (the CAB poll) is followed by one
    // outbox pass, which records what it delivered in one transaction.
    let c = cost(&h, "/release submit id:REL-1").await;
    assert!(h.output().contains("#cab"), "{}", h.output());
    assert!(c.polled(), "{c:#?}");
    // The poll's post, then its three reactions (which wait for the post):
    // two passes, each recording what it delivered in one transaction.
    let recorded: Vec<&String> = c.sql.iter().filter(|s| s.contains("SET delivered_at")).collect();
    let marked: usize = recorded
        .iter()
        .map(|s| s.matches("SET delivered_at").count())
        .sum();
    assert_eq!((recorded.len(), marked), (2, 4), "{c:#?}");
    assert_eq!(c.commits, 1 + 2, "the command's and the passes': {c:#?}");
}

impl Cost {
    /// Statements of the bot itself (not the console platform's own tables).
    fn bot(&self) -> usize {
        self.sql.iter().filter(|s| !s.contains("console_")).count()
    }

    /// Write transactions begun.
    fn begins(&self) -> usize {
        self.sql.iter().filter(|s| s.starts_with("BEGIN")).count()
    }

    /// Whether the outbox or the due jobs were read.
    fn polled(&self) -> bool {
        self.sql
            .iter()
            .any(|s| s.contains("FROM outbox o") || s.contains("FROM jobs"))
    }
}
