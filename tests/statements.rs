//! What a command costs the database (issue 23, target 3): round trips to
//! SQLite (sqlx logs one `sqlx::query` event per statement string it runs)
//! and write transactions, counted over the console's real path for
//! commands that queue nothing and for one that queues a message, and over
//! the service's path a Discord interaction takes, with its answer's record.
//!
//! The counter is the process's global subscriber: the tests take turns.

mod common;

use async_trait::async_trait;
use common::Harness;
use release_desk::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use release_desk::command::Command;
use release_desk::domain::records::Actor;
use release_desk::handlers::{Invoker, Reply};
use release_desk::service::{self, Platform, Work};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata};

/// Counts sqlx's statement events and keeps the SQL of each.
struct Counter;

static SQL: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// One test at a time: they share [`SQL`].
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Installs the counter, once per process.
fn counting() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| tracing::subscriber::set_global_default(Counter).unwrap());
}

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
    let _turn = SERIAL.lock().await;
    counting();
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
        assert!(c.bot() <= 5, "{line}: {} statements: {c:#?}", c.bot());
        // The answer's message is posted by the command's commit, not by a
        // write of its own.
        assert!(c.console().is_empty(), "{line}: {c:#?}");
        let posted = c
            .sql
            .iter()
            .filter(|s| s.contains("INSERT INTO console_messages"));
        assert_eq!(
            posted.filter(|s| s.ends_with("COMMIT")).count(),
            1,
            "{line}: {c:#?}"
        );
        // The BEGIN travels with the command's first read, not on its own.
        assert!(
            c.sql
                .iter()
                .all(|s| s.trim() != "BEGIN IMMEDIATE;" && s.trim() != "BEGIN IMMEDIATE"),
            "{line}: {c:#?}"
        );
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
    // Its answer is posted after the poll, by a write of its own: its
    // number comes after the poll's, as on screen.
    let own = c.console();
    assert!(
        own.last()
            .is_some_and(|s| s.starts_with("INSERT INTO console_messages")),
        "{c:#?}"
    );
    assert!(
        c.sql
            .iter()
            .all(|s| !(s.contains("console_messages") && s.contains("COMMIT"))),
        "{c:#?}"
    );
    // The poll's post, then its three reactions (which wait for the post):
    // two passes, each recording what it delivered in one transaction.
    let recorded = c.containing("SET delivered_at");
    let marked: usize = recorded
        .iter()
        .map(|s| s.matches("SET delivered_at").count())
        .sum();
    assert_eq!((recorded.len(), marked), (2, 4), "{c:#?}");
    assert_eq!(c.commits, 1 + 2, "the command's and the passes': {c:#?}");
    // Each pass's record is one text, its BEGIN to its COMMIT.
    assert!(
        recorded
            .iter()
            .all(|s| s.starts_with("BEGIN IMMEDIATE;") && s.ends_with("COMMIT")),
        "{c:#?}"
    );
    assert!(c.sql.iter().all(|s| s != "COMMIT"), "{c:#?}");
    // The job poll after the passes knows the calendar's horizon covered
    // (since the console's start) without reading it.
    assert!(c.sql.iter().all(|s| !s.contains("calendar_state")), "{c:#?}");

    // A reaction to a channel's latest message finds it in one read.
    let c = cost(&h, ":as c1 cab_member\n:react last:#cab ✅").await;
    assert!(!h.output().contains("no message"), "{}", h.output());
    let found = c.containing("FROM console_messages");
    assert_eq!(found.len(), 1, "{c:#?}");
    assert!(found[0].contains("MAX(id)"), "{c:#?}");
    assert!(
        c.sql.iter().any(|s| s.contains("INSERT INTO votes")),
        "the vote was counted: {c:#?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_as_that_changes_nothing_writes_nothing() {
    let _turn = SERIAL.lock().await;
    counting();
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("db.sqlite")).await;
    let c = measure(&h, &format!("{AS}{AS}:as rita\n{AS}:as rm cab_member\n")).await;
    let stored = c.containing("INSERT INTO console_users");
    // rm, rita, rm with other roles; the repeated `:as` of the same roles none.
    assert_eq!(stored.len(), 3, "{c:#?}");
    let roles: String =
        release_desk::db::query_scalar("SELECT roles FROM console_users WHERE \"user\" = 'rm'")
            .fetch_one(&h.app.db.pool)
            .await
            .unwrap();
    assert_eq!(roles, "cab_member");
    // A new session (a restart) stores the user again.
    let c = measure(&h, AS).await;
    assert_eq!(
        c.sql
            .iter()
            .filter(|s| s.contains("INSERT INTO console_users"))
            .count(),
        1,
        "{c:#?}"
    );
}

/// A platform that takes everything and posts nowhere: the service's
/// worker finds nothing to deliver on these commands anyway.
struct Quiet;

#[async_trait]
impl Chat for Quiet {
    async fn post(&self, channel: &str, _: &Outgoing, _: &str) -> Result<Posted, ChatError> {
        Ok(Posted {
            channel: channel.into(),
            id: "1".into(),
        })
    }
    async fn edit(&self, _: &Posted, _: &Outgoing) -> Result<(), ChatError> {
        Ok(())
    }
    async fn react(&self, _: &Posted, _: &str) -> Result<(), ChatError> {
        Ok(())
    }
    async fn reactions(&self, _: &Posted, _: &str) -> Result<Vec<Reactor>, ChatError> {
        Ok(vec![])
    }
    async fn direct(&self, user: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.post(user, m, nonce).await
    }
}

impl Platform for Quiet {}

/// Sends `/rfc new` as interaction `key` with a token, as the Discord
/// adapter does; the answer comes back on the returned channel.
fn interaction(
    h: &Harness,
    work: &mpsc::UnboundedSender<Work>,
    key: &str,
) -> oneshot::Receiver<(Option<Reply>, std::time::Instant, std::time::Duration)> {
    let line = format!("/rfc new title:\"By {key}\" type:normal risk:low impact:none");
    let (reply, answer) = oneshot::channel();
    let who = Invoker {
        actor: Actor {
            id: "u1".into(),
            name: "ursula".into(),
            roles: h.app.config.itil_roles(["release_manager"]),
        },
        channel: "2010".into(),
    };
    let work_item = Work::Command {
        guild: release_desk::chat::console::GUILD.into(),
        key: key.into(),
        token: Some(format!("token-{key}")),
        who,
        cmd: Command::parse(&line, h.app.config.timezone).unwrap(),
        reply,
    };
    work.send(work_item)
        .unwrap_or_else(|_| panic!("the service stopped"));
    answer
}

/// The interactions whose answers are still owed (token kept).
async fn owed(h: &Harness) -> i64 {
    common::sql_count(
        &h.app.db,
        "SELECT COUNT(*) FROM interactions WHERE token IS NOT NULL",
    )
    .await
}

/// Waits until no answer is owed (the service forgets them after the replies).
async fn until_none_owed(h: &Harness) {
    for _ in 0..1000 {
        if owed(h).await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("answers still owed after 10 s: {}", owed(h).await);
}

/// Waits until no answer is owed and the write that forgot them alone (no
/// command came after them) has been logged: sqlx logs a statement on its
/// connection's thread after the statement took effect, so without this a
/// late line of the previous step could land in the next one's count.
async fn until_forgotten_alone(h: &Harness) {
    until_none_owed(h).await;
    for _ in 0..1000 {
        let logged = SQL
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.starts_with("UPDATE interactions SET token = NULL"));
        if logged {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the answers were forgotten, but no write of their own was logged in 10 s");
}

/// Whether `s` is the console platform's own statement (its messages,
/// reactions, users), not a text of the bot's that also writes one.
fn console_own(s: &str) -> bool {
    let s = s.trim_start();
    let first = s.split(';').next().unwrap_or(s);
    first.contains(" console_") && !s.contains("COMMIT")
}

#[test]
fn a_commit_that_posts_the_answer_is_the_bots() {
    assert!(console_own(
        "INSERT INTO console_messages (channel, nonce, body) VALUES ($1, $2, $3) RETURNING id"
    ));
    assert!(console_own("SELECT id FROM console_messages WHERE nonce = $1"));
    assert!(!console_own(
        "INSERT INTO audit (guild) VALUES (?);\nINSERT INTO console_messages (channel, body) VALUES (?, ?);\nCOMMIT"
    ));
    assert!(!console_own(
        "BEGIN IMMEDIATE;\nSELECT id FROM releases WHERE guild = $1"
    ));
}

/// Write transactions in `sql`: those begun, and the single-statement
/// writes of the answers' bookkeeping outside them.
fn write_transactions(sql: &[String]) -> usize {
    sql.iter()
        .filter(|s| s.starts_with("BEGIN") || s.starts_with("UPDATE interactions"))
        .count()
}

#[tokio::test(flavor = "current_thread")]
async fn a_public_answer_is_recorded_and_forgotten_in_the_commands_own_commits() {
    let _turn = SERIAL.lock().await;
    counting();
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("db.sqlite")).await;
    let (work, rx) = mpsc::unbounded_channel();
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let served = tokio::task::spawn_local(service::serve(h.app.clone(), Arc::new(Quiet), rx));
            // Warm: the first command opens what later ones reuse.
            let first = interaction(&h, &work, "1");
            assert!(matches!(first.await.unwrap().0, Some(Reply::Public(_))));
            work.send(Work::Answered { key: "1".into() }).ok();
            until_forgotten_alone(&h).await;

            // One interaction: the claim, the RFC, its audit and its answer's
            // record in one write transaction.
            SQL.lock().unwrap().clear();
            let c0 = h.app.db.commits();
            let answered = interaction(&h, &work, "2").await.unwrap().0;
            let one = Cost {
                commits: h.app.db.commits() - c0,
                sql: std::mem::take(&mut *SQL.lock().unwrap()),
            };
            let Some(Reply::Public(m)) = answered else { panic!("{answered:?}") };
            assert!(m.plain().contains("RFC-2"), "{}", m.plain());
            assert_eq!((one.commits, one.begins()), (1, 1), "{one:#?}");
            assert_eq!(write_transactions(&one.sql), 1, "{one:#?}");
            assert!(one.bot() <= 4, "{} statements: {one:#?}", one.bot());
            // The answer was recorded with it: owed until the platform took it.
            assert_eq!(owed(&h).await, 1);
            let kept: String = release_desk::db::query_scalar("SELECT answer FROM interactions WHERE id = '2'")
                .fetch_one(&h.app.db.pool)
                .await
                .unwrap();
            assert!(kept.contains("RFC-2"), "{kept}");
            work.send(Work::Answered { key: "2".into() }).ok();
            until_forgotten_alone(&h).await;

            // A burst, each answer taken as soon as it comes back: the
            // commits of the commands after it forget it; at most one more
            // write for the last ones, when no command follows.
            const N: usize = 30;
            SQL.lock().unwrap().clear();
            let c0 = h.app.db.commits();
            let pending: Vec<_> = (0..N).map(|i| (format!("b{i}"), interaction(&h, &work, &format!("b{i}")))).collect();
            for (key, answer) in pending {
                assert!(matches!(answer.await.unwrap().0, Some(Reply::Public(_))), "{key}");
                work.send(Work::Answered { key }).ok();
            }
            until_none_owed(&h).await;
            let burst = Cost {
                commits: h.app.db.commits() - c0,
                sql: std::mem::take(&mut *SQL.lock().unwrap()),
            };
            let writes = write_transactions(&burst.sql);
            eprintln!("one: {} statements, {} commits; burst: {writes} write transactions, {} commits for {N} commands", one.bot(), one.commits, burst.commits);
            // The commands' commits carry the forgetting, and a write of its
            // own takes the answers no command carried before its turn: one
            // for the tail on a quiet machine, a few when the machine is busy
            // and the service runs ahead of the answers (which commit carries
            // what depends on that; tests/discord_answers.rs checks the
            // carrying itself). Before, every answer took two writes of its
            // own: 69 for 30.
            assert!(writes <= N + N / 3, "{writes} write transactions for {N} commands: {burst:#?}");
            assert!(burst.commits <= (N + N / 3) as u64, "{} commits for {N} commands", burst.commits);
            drop(work);
            served.await.unwrap().unwrap();
        })
        .await;
}

impl Cost {
    /// Statements of the bot itself (not those of the console platform's
    /// own tables alone, nor the set-up of a connection the pool opened
    /// meanwhile).
    fn bot(&self) -> usize {
        self.sql
            .iter()
            .filter(|s| !console_own(s) && !s.starts_with("PRAGMA"))
            .count()
    }

    /// Statements of the console platform's own tables alone.
    fn console(&self) -> Vec<&String> {
        self.sql.iter().filter(|s| console_own(s)).collect()
    }

    /// The statements that contain `text`.
    fn containing(&self, text: &str) -> Vec<&String> {
        self.sql.iter().filter(|s| s.contains(text)).collect()
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
