//! Failure tests: the process killed at random points loses no acknowledged
//! command and doubles no message; eight writers at once never see "database
//! is locked"; parsers of user and config input never panic.

mod common;

use proptest::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A scripted run with RFCs, releases, polls, reactions and time passing.
fn script() -> String {
    let mut s = String::new();
    for i in 1..=12 {
        s.push_str(&format!(
            ":as rita\n/rfc new title:\"Change {i}\" type:normal risk:low impact:none\n:as rm release_manager\n\
             /release new name:\"Release {i}\" version:1.{i}.0 rfcs:RFC-{i}\n/release plan id:REL-{i} backout:b acceptance:a\n\
             /subscribe target:REL-{i}\n/release submit id:REL-{i}\n:as c1 cab_member\n:react last:#cab ✅\n:advance 7h\n"
        ));
    }
    s
}

/// Writes the config beside the database (in the test's own temporary directory).
fn config(db: &std::path::Path) -> std::path::PathBuf {
    let path = db.with_file_name("config.toml");
    std::fs::write(
        &path,
        "[cab]\nquorum = 1\nearly_approval = 1\n[calendar]\nannounce_before = [\"1h\"]\nannounce_empty = true\n\
         [[calendar.windows]]\nname = \"half-daily\"\ncron = \"0 0 */12 * * *\"\nduration = \"2h\"\nenvironments = [\"prod\"]\n",
    )
    .unwrap();
    path
}

fn spawn(db: &std::path::Path, start: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .args(["console", "--db"])
        .arg(common::database_url(db))
        .args(["--start", start, "--config"])
        .arg(config(db))
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A small deterministic generator, so a failing kill point can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

async fn check_consistent(db: &release_desk::db::Db, acknowledged: &[String]) {
    use common::sql_count;
    for ack in acknowledged {
        if let Some(rest) = ack.strip_prefix("RFC-") {
            let n: i64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            assert_eq!(
                sql_count(db, &format!("SELECT COUNT(*) FROM rfcs WHERE number = {n}")).await,
                1,
                "acknowledged {ack} lost"
            );
        }
        if let Some(rest) = ack.strip_prefix("REL-") {
            let n: i64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            assert_eq!(
                sql_count(db, &format!("SELECT COUNT(*) FROM releases WHERE number = {n}")).await,
                1,
                "acknowledged {ack} lost"
            );
        }
    }
    // Nothing left undelivered, and every post or DM reached the platform exactly once.
    assert_eq!(
        sql_count(
            db,
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND superseded = 0"
        )
        .await,
        0
    );
    let sent = sql_count(db, "SELECT COUNT(*) FROM outbox WHERE kind IN ('post', 'dm')").await;
    let on_platform = sql_count(
        db,
        "SELECT COUNT(*) FROM console_messages WHERE nonce IS NOT NULL",
    )
    .await;
    assert_eq!(sent, on_platform, "a post was lost or doubled");
    // One announcement per window job that ran, never two.
    let ran = sql_count(
        db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'window' AND done_at IS NOT NULL",
    )
    .await;
    let announced = sql_count(
        db,
        "SELECT COUNT(*) FROM bot_messages WHERE purpose = 'announcement'",
    )
    .await;
    assert_eq!(ran, announced, "an announcement was lost or doubled");
    // Everything that fell due before the restart's time ran.
    assert_eq!(
        sql_count(
            db,
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND due_at <= '2026-12-08T00:00:00.000Z'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn killed_at_random_points_then_restarted_nothing_is_lost_or_doubled() {
    let runs: u64 = std::env::var("ROBUSTNESS_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut rng = Lcg(0x5eed);
    let script = script();
    let lines: Vec<&str> = script.lines().collect();
    let (mut acknowledged_total, mut interrupted) = (0usize, 0u64);
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("kill.sqlite");
        let mut child = spawn(&db_path, "2026-12-01T09:00:00Z");
        let mut stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Feed the whole script, then kill -9 once the console has printed a random number of
        // lines (a point somewhere in the run), plus a random few milliseconds.
        for l in &lines {
            if writeln!(stdin, "{l}").is_err() {
                break;
            }
        }
        let target = 5 + rng.next(260) as usize;
        let mut seen = Vec::new();
        while seen.len() < target {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_millis(rng.next(5)));
        child.kill().unwrap();
        child.wait().unwrap();
        drop(stdin);
        reader.join().unwrap();
        seen.extend(rx.try_iter());
        // Acknowledged: the answer was printed before the kill.
        let acknowledged: Vec<String> = seen
            .into_iter()
            .filter(|l| {
                (l.starts_with("RFC-") && l.contains(" opened by "))
                    || (l.starts_with("REL-") && l.contains(" created — "))
            })
            .collect();
        // Restart on the same database a while later: it catches up and must be consistent.
        let restart = spawn(&db_path, "2026-12-08T00:00:00Z");
        let out = restart.wait_with_output().unwrap();
        assert!(out.status.success(), "run {run}: restart failed");
        let db = release_desk::db::Db::open(&common::database_url(&db_path))
            .await
            .unwrap();
        check_consistent(&db, &acknowledged).await;
        acknowledged_total += acknowledged.len();
        if common::sql_count(&db, "SELECT COUNT(*) FROM releases").await < 12 {
            interrupted += 1;
        }
        db.close().await;
    }
    // The kills really landed mid-run, after some commands were acknowledged.
    assert!(acknowledged_total > 0, "no command was ever acknowledged");
    assert!(
        interrupted * 2 >= runs,
        "only {interrupted} of {runs} runs were cut short"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_writers_never_see_a_locked_database() {
    let secs: u64 = std::env::var("ROBUSTNESS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("writers.sqlite");
    release_desk::db::Db::open(&common::database_url(&path))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            // Each writer has its own pool, as separate processes would.
            let h = common::Harness::open(&path).await;
            let (mut ok, mut failed) = (0u64, Vec::new());
            while Instant::now() < deadline {
                let reply = h
                    .command_only(
                        &format!("w{w}"),
                        "",
                        "/rfc new title:T type:normal risk:low impact:i",
                    )
                    .await;
                match reply {
                    release_desk::handlers::Reply::Public(_) => ok += 1,
                    other => failed.push(format!("{other:?}")),
                }
            }
            (ok, failed)
        }));
    }
    let mut total = 0;
    for t in tasks {
        let (ok, failed) = t.await.unwrap();
        assert!(
            failed.is_empty(),
            "writer failures: {:?}",
            &failed[..failed.len().min(3)]
        );
        total += ok;
    }
    let db = release_desk::db::Db::open(&common::database_url(&path))
        .await
        .unwrap();
    assert_eq!(
        common::sql_count(&db, "SELECT COUNT(*) FROM rfcs").await as u64,
        total
    );
    assert_eq!(
        common::sql_count(&db, "SELECT MAX(number) FROM rfcs").await as u64,
        total,
        "ids are a gapless sequence"
    );
    assert!(total > 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn config_parsing_never_panics(text in "\\PC{0,300}") {
        let _ = release_desk::config::Config::from_layers(Some(&text));
    }

    #[test]
    fn config_shaped_input_never_panics(
        key in prop::sample::select(vec!["quorum", "rule", "deadline", "timezone", "cron", "duration", "days", "from"]),
        value in "[a-zA-Z0-9 */:\\-\"\\[\\],.]{0,40}",
    ) {
        for table in ["cab", "calendar", "els"] {
            let _ = release_desk::config::Config::from_layers(Some(&format!("[{table}]\n{key} = {value}\n")));
        }
        let _ = release_desk::config::Config::from_layers(Some(&format!(
            "[[calendar.windows]]\nname = \"w\"\ncron = \"{}\"\nduration = \"{}\"\nenvironments = [\"prod\"]\n",
            value.replace('"', ""), value.replace('"', "")
        )));
    }

    #[test]
    fn cron_duration_and_time_parsing_never_panic(text in "\\PC{0,60}") {
        let _ = release_desk::domain::calendar::parse_cron(&text);
        let _ = release_desk::domain::timefmt::parse_duration(&text);
        let _ = release_desk::domain::timefmt::parse_time(&text, chrono_tz::Europe::London);
        let _ = release_desk::domain::package::parse_requirements(&text);
        let _ = release_desk::domain::package::parse_found(&text);
        let _ = release_desk::domain::package::parse_version(&text);
    }
}
