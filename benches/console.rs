//! Console throughput against the raw SQLite transaction rate, start-up time,
//! idle memory, and the scheduler over a simulated year.
//! Run: `cargo bench --bench console` (release build; prints its figures).
//! `BENCH_DATABASE=postgres` runs the same workload on a throwaway
//! PostgreSQL cluster the bench starts (or `BENCH_DATABASE_URL=postgres://…`
//! on that server), with the raw loop through sqlx and `pgbench` on that
//! server as its controls beside the SQLite ones.

mod common;
use common::backend;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    // The release binary, built next to this bench.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("release-desk");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release ({})",
        bin.display()
    );
    bin
}

/// Runs the console on `db` (a file or a server's URL) with `script` as its
/// input, in `dir` (where it keeps its files beside a server's database).
fn run_console(dir: &Path, db: &str, config: &Path, script: &str, start: &str) -> Duration {
    let t = Instant::now();
    let mut child = Command::new(binary())
        .current_dir(dir)
        .args(["console", "--db", db])
        .args(["--start", start, "--config"])
        .arg(config)
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    t.elapsed()
}

/// `releases` lifecycles from `/rfc new` to `/release authorize`, 11 commands
/// each (the `:as` lines switch the speaker and are no commands). Another
/// change manager authorizes: the release's own manager is refused
/// (segregation of duties), and a refusal would leave the last command undone.
fn lifecycle_script(releases: usize) -> (String, usize) {
    let mut s = String::new();
    let mut commands = 0;
    for i in 1..=releases {
        s.push_str(&format!(
            ":as rita\n/rfc new title:\"Change {i}\" type:normal risk:low impact:none\n\
             :as rm release_manager,build_manager,change_manager\n/release new name:\"Release {i}\" version:1.0.{i} rfcs:RFC-{i}\n\
             /release plan id:REL-{i} backout:b acceptance:a\n/release submit id:REL-{i}\n:as c1 cab_member\n:react last:#cab ✅\n\
             :as rm release_manager,build_manager,change_manager\n/release prepare id:REL-{i} validation:v\n\
             /package add release:REL-{i} item:api version:1.0.{i}\n/package baseline release:REL-{i}\n/release build id:REL-{i}\n\
             /release test id:REL-{i} result:pass\n:as cm change_manager\n/release authorize id:REL-{i} decision:approve\n"
        ));
        commands += 11;
    }
    (s, commands)
}

async fn raw_sqlite_rate(path: &Path, n: usize) -> f64 {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    release_desk::db::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let t = Instant::now();
    for i in 0..n {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        release_desk::db::query("INSERT INTO t (v) VALUES ($1)")
            .bind(format!("row {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// [`raw_sqlite_rate`] with its thread and sqlx's connection thread on one
/// CPU under the batch policy, as the console keeps itself: the fair
/// control for the console's rate.
fn raw_sqlite_rate_one_cpu(path: &Path, n: usize) -> f64 {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        release_desk::chat::console::cpu::keep_to_one_cpu();
        release_desk::chat::console::cpu::run_as_batch();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(raw_sqlite_rate(&path, n))
    })
    .join()
    .unwrap()
}

/// The raw loop of [`raw_sqlite_rate`] on PostgreSQL: one-row transactions
/// through sqlx on the database `url`, each BEGIN, INSERT, COMMIT a round
/// trip to the server. Checks that every row was stored.
async fn raw_postgres_rate(url: &str, n: usize) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .unwrap();
    release_desk::db::query(
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let t = Instant::now();
    for i in 0..n {
        let mut tx = pool.begin().await.unwrap();
        release_desk::db::query("INSERT INTO t (v) VALUES ($1)")
            .bind(format!("row {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    assert_eq!(rows(&pool).await, n as i64, "the raw PostgreSQL loop lost rows");
    pool.close().await;
    rate
}

async fn rows(pool: &sqlx::PgPool) -> i64 {
    release_desk::db::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `pgbench` on a new database of the same server: the same one-row
/// transaction as a script (BEGIN; INSERT; COMMIT), one client, prepared
/// statements, PostgreSQL's own C client. Checks that every row was stored.
async fn pgbench_rate(url: &str, n: usize) -> Result<f64, String> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(|e| e.to_string())?;
    release_desk::db::query(
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .map_err(|e| e.to_string())?;
    let script = "BEGIN;\nINSERT INTO t (v) VALUES ('row');\nCOMMIT;\n";
    let rate = backend::pgbench_rate(url, script, n)?;
    let stored = rows(&pool).await;
    pool.close().await;
    if stored != n as i64 {
        return Err(format!("pgbench stored {stored} rows of {n}"));
    }
    Ok(rate)
}

/// What the lifecycle script leaves when every command did its work: each
/// release's RFC, its package and its baseline stored, and the release
/// authorized. Panics with the counts otherwise.
async fn check_lifecycle(url: &str, releases: usize) -> String {
    let db = release_desk::db::Db::open(url).await.unwrap();
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM rfcs",
        "SELECT COUNT(*) FROM releases",
        "SELECT COUNT(*) FROM releases WHERE state = 'deployment-planning' AND baseline_hash IS NOT NULL",
    ] {
        let n: i64 = release_desk::db::query_scalar(sql)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        counts.push(n);
    }
    db.close().await;
    let want = releases as i64;
    assert_eq!(
        counts,
        [want, want, want],
        "the console's records (RFCs, releases, releases baselined and authorized) against {releases} lifecycles"
    );
    format!("{want} RFCs and {want} releases stored, every release baselined and authorized")
}

/// The raw loop in Python's `sqlite3` (its own SQLite build), as a second
/// control: one-row `BEGIN IMMEDIATE` transactions with the same pragmas.
fn python_sqlite_rate(path: &Path, n: usize) -> Option<f64> {
    let script = r#"
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
for p in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 10000"):
    c.execute("PRAGMA " + p)
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
n = int(sys.argv[2])
t = time.perf_counter()
for i in range(n):
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t (v) VALUES ($1)", ("row %d" % i,))
    c.execute("COMMIT")
print(n / (time.perf_counter() - t))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .arg(n.to_string())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let backend = backend::Backend::from_env();
    println!("console benchmark on {}", backend.describe().await);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        "[cab]\nquorum = 1\nearly_approval = 1\n[calendar]\nwindows = []\n",
    )
    .unwrap();

    // 1. Console throughput: 10,000 commands through the real console loop on a new database.
    let releases: usize = std::env::var("BENCH_RELEASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(910);
    let (script, commands) = lifecycle_script(releases);
    let db = backend.database(&dir.path().join("console.sqlite"));
    let took = run_console(dir.path(), &db, &config, &script, "2026-12-01T09:00:00Z");
    let console_rate = commands as f64 / took.as_secs_f64();
    let stored = check_lifecycle(&db, releases).await;
    let raw_rate = raw_sqlite_rate(&dir.path().join("raw.sqlite"), 10_000).await;
    println!(
        "console: {commands} commands in {:.2} s = {console_rate:.0} commands/s ({stored})",
        took.as_secs_f64()
    );
    println!("raw SQLite (one-row BEGIN IMMEDIATE transactions, same pragmas): {raw_rate:.0} tx/s");
    let raw_one_cpu = raw_sqlite_rate_one_cpu(&dir.path().join("raw-one-cpu.sqlite"), 10_000);
    println!(
        "raw SQLite on one CPU, as the console runs (the same loop, its thread and sqlx's on one CPU, batch policy): {raw_one_cpu:.0} tx/s; ratio console/raw on one CPU {:.3}",
        console_rate / raw_one_cpu
    );
    if backend.is_postgres() {
        let raw_pg = raw_postgres_rate(&backend.database(Path::new("raw")), 10_000).await;
        println!("raw PostgreSQL (one-row BEGIN/INSERT/COMMIT transactions through sqlx, same server): {raw_pg:.0} tx/s");
        println!(
            "ratio console/raw PostgreSQL: {:.3} (console/raw SQLite {:.3})",
            console_rate / raw_pg,
            console_rate / raw_rate
        );
        match pgbench_rate(&backend.database(Path::new("pgbench")), 10_000).await {
            Ok(tps) => println!(
                "pgbench (BEGIN; INSERT one row; COMMIT; 1 client, prepared, same server): {tps:.0} tx/s; ratio console/pgbench {:.3}",
                console_rate / tps
            ),
            Err(e) => println!("pgbench: not run ({e})"),
        }
    } else {
        println!("ratio console/raw: {:.3}", console_rate / raw_rate);
    }
    match python_sqlite_rate(&dir.path().join("python.sqlite"), 10_000) {
        Some(py) => println!(
            "Python's sqlite3 (the same transactions and pragmas): {py:.0} tx/s; ratio console/Python {:.3}",
            console_rate / py
        ),
        None => println!("Python's sqlite3: not run (no python3)"),
    }

    // 2. Start-up to ready on the existing database (migrations checked, catch-up done, input ends).
    let mut starts = Vec::new();
    for _ in 0..15 {
        starts.push(run_console(dir.path(), &db, &config, "", "2026-12-20T09:00:00Z"));
    }
    println!(
        "start-up to ready and exit on an existing database ({} releases): median {:.1} ms",
        releases,
        median(starts).as_secs_f64() * 1000.0
    );

    // 3. Idle RSS of the console waiting for input.
    let mut child = Command::new(binary())
        .current_dir(dir.path())
        .args(["console", "--db", &db])
        .args(["--config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    println!(
        "idle RSS of the console: {:.1} MiB",
        rss_kib(child.id()) as f64 / 1024.0
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // 4. The scheduler over a simulated year: BENCH_WINDOWS (7) daily windows, 4 announcements each opening.
    let windows: u32 = std::env::var("BENCH_WINDOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let year = dir.path().join("year.toml");
    let mut cfg = String::from("[calendar]\nannounce_before = [\"24h\", \"1h\"]\nannounce_empty = true\n");
    for w in 0..windows {
        cfg.push_str(&format!(
            "[[calendar.windows]]\nname = \"w{w}\"\ncron = \"0 {} {} * * *\"\nduration = \"2h\"\nenvironments = [\"prod\"]\n",
            w * 7 % 60,
            w * 3 % 24
        ));
    }
    std::fs::write(&year, cfg).unwrap();
    let ydb = backend.database(&dir.path().join("year.sqlite"));
    let steps: String = (0..(365 * 24 / 7)).map(|_| ":advance 7h\n").collect();
    let took = run_console(dir.path(), &ydb, &year, &steps, "2026-01-01T00:00:00Z");
    let db = release_desk::db::Db::open(&ydb).await.unwrap();
    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move {
            release_desk::db::query_scalar::<i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let ran = count("SELECT COUNT(*) FROM jobs WHERE kind = 'window' AND done_at IS NOT NULL").await;
    let announced = count("SELECT COUNT(*) FROM bot_messages WHERE purpose = 'announcement'").await;
    let delivered = count("SELECT COUNT(*) FROM outbox o JOIN bot_messages m ON m.id = o.message_id WHERE m.purpose = 'announcement' AND o.delivered_at IS NOT NULL").await;
    // Times are RFC 3339 text on both backends: read the latest as text, convert here.
    let last: Option<String> = release_desk::db::query_scalar("SELECT MAX(done_at) FROM jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let last = last
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map_or(0, |t| t.timestamp());
    let missed = count(
        "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND due_at <= (SELECT MAX(done_at) FROM jobs)",
    )
    .await;
    let late = count("SELECT COUNT(*) FROM jobs WHERE done_at < due_at").await;
    // What should have run, from the calendar itself: every phase due between the start and the last step.
    let cfg = release_desk::config::Config::load(Some(&year)).unwrap();
    let cal = release_desk::domain::calendar::Calendar {
        tz: cfg.timezone,
        windows: cfg
            .windows
            .iter()
            .map(|w| release_desk::domain::calendar::Window {
                name: w.name.clone(),
                schedule: w.schedule.clone(),
                duration: w.duration,
                environments: w.environments.clone(),
            })
            .collect(),
        freezes: vec![],
    };
    let start: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let end = start + chrono::Duration::hours(7 * (365 * 24 / 7) as i64);
    let mut expected = 0;
    for o in cal.openings(start - chrono::Duration::days(2), end + chrono::Duration::days(2)) {
        for due in [
            o.start - chrono::Duration::hours(24),
            o.start - chrono::Duration::hours(1),
            o.start,
            o.end,
        ] {
            if due >= start && due <= end {
                expected += 1;
            }
        }
    }
    println!(
        "scheduler: expected {expected} window jobs from the calendar, ran {ran}: {}",
        if expected == ran {
            "none missed, none extra"
        } else {
            "MISMATCH"
        }
    );
    println!(
        "scheduler: {ran} window jobs of {windows} windows materialised and run over a simulated year in {:.2} s; {announced} announcements, {delivered} delivered; \
         misses {missed}, runs before due {late}, duplicates {} (last run at unix {last})",
        took.as_secs_f64(),
        announced - ran
    );
}
