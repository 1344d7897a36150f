//! Scale checks of issue 23, target 4 (prints figures, asserts no timing):
//! 1. a CAB poll with `BENCH_VOTERS` (default 1,000) voters recounted after a
//!    reconnect, through the real `release-desk run` and the fake Discord:
//!    the REST calls the recount made (reaction pages per emoji, member
//!    look-ups), its member requests over the gateway, and how long it took;
//! 2. start-up time and idle RSS of the console on a database of
//!    `BENCH_RELEASES` (default 100,000) releases against an empty one.
//!
//! (A year of announcements for 20 windows is the scheduler part of
//! `BENCH_WINDOWS=20 cargo bench --bench console`.)
//!
//! `cargo bench --bench scale`.
mod common;
use common::cpu_stolen;

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use fake_discord::bot::{Bot, CAB, CAB_MEMBER};
use fake_discord::flow::{last_text, submit_release, Cast, EARLY_CAB};
use fake_discord::{Fake, GUILD};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The poll's voters react while the bot's socket is down; it reconnects
/// and recounts. Prints the recount's REST calls and time.
async fn poll_recount(voters: u64) {
    let fake = Fake::start().await;
    let bot = Bot::start_with(
        env!("CARGO_BIN_EXE_release-desk"),
        &fake,
        EARLY_CAB,
        tempfile::tempdir().unwrap(),
        GUILD,
        if std::env::var_os("BENCH_LOG").is_some() {
            "release_desk=debug"
        } else {
            "warn"
        },
    );
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7600, "Many voters", "Payments").await;
    // All CAB members, all approving: the recount decides the poll (early
    // approval holds only while nobody rejects).
    let emojis = ["✅", "❌", "🤷"];
    let mut per_emoji = [0u64; 3];
    for i in 0..voters {
        let u = 100_000 + i;
        fake.member(u, &format!("v{u}"), &[CAB_MEMBER]);
        per_emoji[0] += 1;
    }
    let before = fake.connections();
    let seen = fake.request_count();
    let asked_before = fake.member_requests().len();
    // Cast without gateway events, as while the socket is down (before
    // the drop, so that the recount after the reconnect sees them all).
    for i in 0..voters {
        fake.add_reaction_silently(poll, emojis[0], 100_000 + i);
    }
    fake.drop_socket();
    let t = Instant::now();
    fake.wait(30, "the bot to reconnect", |f| f.connections() > before)
        .await;
    let reconnected = t.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !last_text(&fake, poll).contains("CLOSED") {
        if Instant::now() > deadline {
            let log = bot.log();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            panic!(
                "the poll did not close after the recount: {}\nthe bot's log, last lines first: {tail:#?}",
                last_text(&fake, poll)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closed = t.elapsed();
    let during: Vec<_> = fake.requests().into_iter().skip(seen).collect();
    let reactions = format!("/channels/{CAB}/messages/{poll}/reactions/");
    let pages: Vec<usize> = emojis
        .iter()
        .map(|e| {
            during
                .iter()
                .filter(|r| r.method == "GET" && r.path == format!("{reactions}{e}"))
                .count()
        })
        .collect();
    let members = during
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with(&format!("/guilds/{GUILD}/members/")))
        .count();
    let first = during
        .iter()
        .find(|r| r.method == "GET" && r.path.starts_with(&reactions))
        .map(|r| r.at);
    let edit = during
        .iter()
        .rev()
        .find(|r| r.method == "PATCH" && r.path.ends_with(&format!("/messages/{poll}")))
        .map(|r| r.at);
    let goal: Vec<u64> = per_emoji.iter().map(|n| (n + 1).div_ceil(100)).collect();
    let gateway: Vec<usize> = fake
        .member_requests()
        .iter()
        .skip(asked_before)
        .map(|d| d["user_ids"].as_array().map_or(0, Vec::len))
        .collect();
    let rest_goal: u64 = goal.iter().sum::<u64>() + 1;
    // The decision's own messages (the announcement, the release manager's
    // direct message) follow the recount; they are not the recount's cost.
    let recount: Vec<_> = during
        .iter()
        .filter(|r| {
            let read =
                r.path.starts_with(&reactions) || r.path.starts_with(&format!("/guilds/{GUILD}/members/"));
            (r.method == "GET" && read)
                || (r.method == "PATCH" && r.path.ends_with(&format!("/messages/{poll}")))
        })
        .collect();
    let others: Vec<String> = during
        .iter()
        .filter(|r| !recount.iter().any(|c| std::ptr::eq(*c, *r)))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    println!(
        "CAB poll, {voters} voters ({} ✅, {} ❌, {} 🤷) recounted after a reconnect: reaction pages per emoji {pages:?} (goal ⌈reactors/100⌉, the bot's own reaction included: {goal:?}), member look-ups over REST {members} (goal 0), {} REST calls for the recount (goal: the pages and the poll's edit, {rest_goal}); member requests over the gateway {} of {:?} user ids (goal ⌈voters/100⌉ per emoji: {:?})",
        per_emoji[0],
        per_emoji[1],
        per_emoji[2],
        recount.len(),
        gateway.len(),
        gateway,
        per_emoji.iter().map(|n| n.div_ceil(100)).collect::<Vec<_>>()
    );
    println!(
        "  then {} REST calls the decision made ({} in all): {others:?}",
        others.len(),
        during.len()
    );
    println!(
        "  drop → reconnected {}, drop → poll closed {}, first reaction page → poll edited {}",
        ms(reconnected),
        ms(closed),
        first
            .zip(edit)
            .map_or("unknown".into(), |(a, b)| ms(b.saturating_duration_since(a)))
    );
    println!(
        "  result: {}",
        last_text(&fake, poll).lines().next().unwrap_or("")
    );
    bot.stop();
}

/// A database with `n` closed releases (each with an RFC, a package item
/// and a production deployment), written in one transaction.
async fn generate(path: &Path, n: u64) {
    let db = release_desk::db::Db::open(path.to_str().unwrap()).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    for r in 1..=n {
        for sql in [
            format!(
                "INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
                 VALUES ({r}, 'console', {r}, 'Change {r}', 'normal', 'low', 'i', 'u', 'u', 'implemented', '2026-01-01T00:00:00.000Z')"
            ),
            format!(
                "INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, closure, manager, manager_name,
                   window_name, window_start, window_end, created_at, updated_at)
                 VALUES ({r}, 'console', {r}, 'Release {r}', '1.0.0', 0, '[\"prod\"]', 'closed', 'completed', 'm', 'm', 'weekly',
                   '2026-01-02T00:00:00.000Z', '2026-01-02T02:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z')"
            ),
            format!("INSERT INTO release_rfcs (release_id, rfc_id) VALUES ({r}, {r})"),
            format!(
                "INSERT INTO package_items (release_id, name, kind, version, change) VALUES ({r}, 'api', 'software', '1.0.0', 'changed')"
            ),
            format!(
                "INSERT INTO deployments (release_id, env, attempt, steps, planned_by, planned_at, started_by, started_at, finished_at, outcome)
                 VALUES ({r}, 'prod', 1, '[]', 'd', '2026-01-02T00:00:00.000Z', 'd', '2026-01-02T00:10:00.000Z', '2026-01-02T01:00:00.000Z', 'verified')"
            ),
        ] {
            release_desk::db::query(&sql).execute(&mut *tx).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    db.checkpoint_truncate().await.unwrap();
    db.close().await;
}

fn console(db: &Path, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_release-desk"));
    c.args(["console", "--db"])
        .arg(db)
        .args(["--start", "2026-12-20T09:00:00Z", "--config"])
        .arg(config)
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    c
}

/// Start to ready and exit with no input.
fn start_once(db: &Path, config: &Path) -> Duration {
    let t = Instant::now();
    let mut child = console(db, config).spawn().unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    t.elapsed()
}

/// RSS of the console 1.5 s after start, waiting for input.
fn idle_rss_kib(db: &Path, config: &Path) -> u64 {
    let mut child = console(db, config).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let rss = common::rss_kib(child.id()).unwrap_or(0);
    child.stdin.take().unwrap().write_all(b"").unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    rss
}

async fn big_database(releases: u64) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bench.toml");
    std::fs::write(&config, "[calendar]\nwindows = []\n").unwrap();
    let (empty, big) = (dir.path().join("empty.sqlite"), dir.path().join("big.sqlite"));
    generate(&empty, 0).await;
    let t = Instant::now();
    generate(&big, releases).await;
    println!(
        "generated {releases} releases in {:.1} s ({:.1} MiB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&big).map_or(0, |m| m.len()) as f64 / 1048576.0
    );
    // Alternated, so both see the same machine; the first of each not counted.
    let (mut e, mut b) = (Vec::new(), Vec::new());
    for i in 0..16 {
        let (te, tb) = (start_once(&empty, &config), start_once(&big, &config));
        if i > 0 {
            e.push(te);
            b.push(tb);
        }
    }
    e.sort();
    b.sort();
    let (me, mb) = (e[e.len() / 2], b[b.len() / 2]);
    println!(
        "console start-up to ready and exit, 15 starts each, alternated: empty median {} (min {}, max {}), {releases} releases median {} (min {}, max {}); ratio {:.2}",
        ms(me),
        ms(e[0]),
        ms(e[e.len() - 1]),
        ms(mb),
        ms(b[0]),
        ms(b[b.len() - 1]),
        mb.as_secs_f64() / me.as_secs_f64()
    );
    let (mut re, mut rb) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        re.push(idle_rss_kib(&empty, &config));
        rb.push(idle_rss_kib(&big, &config));
    }
    re.sort();
    rb.sort();
    println!(
        "idle RSS of the console, 3 each: empty {:?} KiB, {releases} releases {:?} KiB; ratio of medians {:.2}",
        re,
        rb,
        rb[1] as f64 / re[1].max(1) as f64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| !"scale".contains(a.as_str())) {
        return;
    }
    let stolen = cpu_stolen();
    poll_recount(env_or("BENCH_VOTERS", 1_000)).await;
    big_database(env_or("BENCH_RELEASES", 100_000)).await;
    if let (Some((s0, t0)), Some((s1, t1))) = (stolen, cpu_stolen()) {
        println!(
            "CPU time stolen by the hypervisor meanwhile: {:.1}% ({} of {} ticks); load average {}",
            100.0 * (s1 - s0) as f64 / (t1 - t0).max(1) as f64,
            s1 - s0,
            t1 - t0,
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
        );
    }
}
