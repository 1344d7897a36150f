//! The Discord benchmark of issue 7: the real `release-desk run` binary
//! (release build) against the fake Discord of `tests/fake_discord`,
//! driven with `/rfc new` interactions at 100 per second for 30 seconds.
//! It prints interaction→callback latency (p50/p99/max), the bot's CPU
//! time per interaction, the machine's noise meanwhile (see [`Probe`]),
//! the process's RSS (idle, under load, after load) from /proc/<pid>/status, and
//! spawn→IDENTIFY on an existing database, restarted after a clean stop
//! and after kill -9 under load. It measures; it asserts nothing about timing.
//!
//! `cargo bench --bench discord` (env: `BENCH_RATE`, `BENCH_SECS`,
//! `BENCH_RESTARTS` to change the load and the number of restarts;
//! `BENCH_KNEE=100,250,500` to step through those rates instead, release-desk
//! and the control `BENCH_CONTROL` (default the release build of
//! `examples/bare_bot.rs`) in turn at each, and print the knee: the highest
//! rate answered with p99 ≤ 5 ms and nothing dropped;
//! `BENCH_BREAKDOWN=1` for the bot's own timings, `BENCH_DUMP=file.csv`
//! for every interaction's, `BENCH_EXE` to run another bot, such as the
//! control of `examples/bare_bot.rs`).
//! `BENCH_DATABASE=postgres` puts release-desk's database on a throwaway
//! PostgreSQL cluster the bench starts (`BENCH_DATABASE_URL=postgres://…`:
//! on that server), named in the bot's config; the control has no database.
mod common;

use common::backend;
use common::{cpu_stolen, rss_kib};

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use fake_discord::bot::{Bot, GENERAL};
use fake_discord::fixtures::{slash, Person};
use fake_discord::{Fake, GUILD};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// The bot run: release-desk, or the binary `BENCH_EXE` names (such as
/// the control, `examples/bare_bot.rs`).
fn exe() -> String {
    std::env::var("BENCH_EXE").unwrap_or_else(|_| env!("CARGO_BIN_EXE_release-desk").to_string())
}

/// Only warnings logged, as in production; with `BENCH_BREAKDOWN=1` the
/// adapter's per-interaction timings too (queue, command, respond).
fn log_filter() -> &'static str {
    if std::env::var_os("BENCH_BREAKDOWN").is_some() {
        "warn,release_desk::chat::discord=debug"
    } else {
        "warn"
    }
}

/// The timing fields of the adapter's "interaction answered" log line.
const TIMINGS: [&str; 4] = ["queue_us", "command_us", "respond_us", "total_us"];

/// The timings the bot logged per interaction (`BENCH_BREAKDOWN=1`), in
/// the order of [`TIMINGS`], by interaction id.
fn logged_timings(log: &str) -> std::collections::HashMap<u64, [Option<u64>; 4]> {
    log.lines()
        .filter(|l| l.contains("interaction answered"))
        .filter_map(|line| {
            let field = |k: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{k}=")))
                    .and_then(|v| v.parse::<u64>().ok())
            };
            Some((field("interaction")?, TIMINGS.map(field)))
        })
        .collect()
}

/// Percentiles of each timing the bot logged for the load's interactions.
fn breakdown(log: &str, first_id: u64) -> Vec<(String, Duration, Duration)> {
    let logged = logged_timings(log);
    TIMINGS
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut v: Vec<Duration> = logged
                .iter()
                .filter(|(id, _)| **id >= first_id)
                .filter_map(|(_, t)| t[i].map(Duration::from_micros))
                .collect();
            v.sort();
            (
                k.trim_end_matches("_us").to_string(),
                quantile(&v, 0.5),
                quantile(&v, 0.99),
            )
        })
        .collect()
}

/// Writes one line per interaction of the load (send time since the load
/// began, latency, and the bot's own timings when logged), for finding
/// whether slow answers come alone or in bursts.
fn dump(
    path: &std::ffi::OsStr,
    sent: &[(u64, Instant)],
    got: &std::collections::HashMap<u64, Instant>,
    wire: &std::collections::HashMap<u64, Instant>,
    began: Instant,
    log: &str,
) {
    let inside = logged_timings(log);
    let us = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    let mut out = String::from("id,sent_ms,latency_us,from_send_us,queue_us,command_us,respond_us\n");
    for (id, at) in sent {
        let since =
            |from: Option<&Instant>| Some(got.get(id)?.saturating_duration_since(*from?).as_micros() as u64);
        let [q, c, r, _] = inside.get(id).copied().unwrap_or_default();
        out.push_str(&format!(
            "{id},{},{},{},{},{},{}\n",
            at.duration_since(began).as_millis(),
            us(since(wire.get(id))),
            us(since(Some(at))),
            us(q),
            us(c),
            us(r)
        ));
    }
    if let Err(e) = std::fs::write(path, out) {
        eprintln!("cannot write {}: {e}", path.to_string_lossy());
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The machine's own noise while it runs, to read the bot's tail against:
/// how late a thread sleeping 1 ms at a time wakes (on a virtual machine,
/// mostly the host not running the virtual CPU), and the share of CPU time
/// the hypervisor reports stolen. Started with the load, read after it.
struct Probe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Duration>>,
    stolen_at_start: Option<(u64, u64)>,
}

impl Probe {
    fn start() -> Probe {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || {
                let mut late = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    std::thread::sleep(Duration::from_millis(1));
                    late.push(t.elapsed().saturating_sub(Duration::from_millis(1)));
                }
                late
            }
        });
        Probe {
            stop,
            thread,
            stolen_at_start: cpu_stolen(),
        }
    }

    /// "late by p50 … p99 … max …; N% stolen".
    fn finish(self) -> String {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut late = self.thread.join().unwrap_or_default();
        late.sort();
        let stolen = match (self.stolen_at_start, cpu_stolen()) {
            (Some((s0, t0)), Some((s1, t1))) if t1 > t0 => {
                format!("{:.1}%", (s1 - s0) as f64 * 100.0 / (t1 - t0) as f64)
            }
            _ => "unknown".into(),
        };
        format!(
            "a thread sleeping 1 ms woke late by {}; CPU time stolen by the hypervisor {stolen}",
            percentiles(&late)
        )
    }
}

/// CPU time `pid` has used (user + system), from /proc/<pid>/stat.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// The process's resident memory split into anonymous (heap, stacks,
/// SQLite's page cache) and file-backed (mostly the binary's own code).
fn rss_split(pid: u32) -> String {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    format!(
        "anonymous {}, file-backed {}",
        mib(field("Anonymous:")),
        mib(field("Rss:").saturating_sub(field("Anonymous:")))
    )
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// p50, p90, p99 and max of sorted durations.
fn percentiles(sorted: &[Duration]) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  max {}",
        ms(quantile(sorted, 0.50)),
        ms(quantile(sorted, 0.90)),
        ms(quantile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default()),
    )
}

/// The `q` quantile (nearest rank) of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn rfc_new(id: u64, who: &Person) -> serde_json::Value {
    slash(
        id,
        GENERAL,
        who,
        "rfc",
        Some("new"),
        &[
            ("title", json!(format!("Benchmark change {id}"))),
            ("type", json!("normal")),
            ("risk", json!("low")),
            ("impact", json!("None expected")),
        ],
    )
}

/// Sends `count` interactions at `rate` per second (open loop: on schedule
/// whether or not earlier ones were answered); returns each id with its send time.
async fn drive(fake: &Fake, who: &Person, first_id: u64, rate: u64, count: u64) -> Vec<(u64, Instant)> {
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let mut sent = Vec::with_capacity(count as usize);
    for i in 0..count {
        let due = start + period * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let id = first_id + i;
        // Built before the clock starts: the fixture is checked against serenity's type.
        let payload = rfc_new(id, who);
        let at = Instant::now();
        fake.interaction(payload);
        sent.push((id, at));
    }
    sent
}

/// Latencies of the answered interactions, sorted: from the fake's write of
/// the interaction to its socket (what the bot is given), and from the load
/// generator's send (adding the generator's hand-off to the fake's socket
/// task in this process); and how many went unanswered.
async fn latencies(
    fake: &Fake,
    sent: &[(u64, Instant)],
    wait: Duration,
) -> (Vec<Duration>, Vec<Duration>, usize) {
    let deadline = Instant::now() + wait;
    loop {
        let got = fake.callback_times();
        let answered = sent.iter().filter(|(id, _)| got.contains_key(id)).count();
        if answered == sent.len() || Instant::now() > deadline {
            let wire = fake.dispatch_times();
            let mut from_wire: Vec<Duration> = sent
                .iter()
                .filter_map(|(id, _)| Some(got.get(id)?.saturating_duration_since(*wire.get(id)?)))
                .collect();
            let mut from_send: Vec<Duration> = sent
                .iter()
                .filter_map(|(id, at)| got.get(id).map(|t| t.saturating_duration_since(*at)))
                .collect();
            from_wire.sort();
            from_send.sort();
            return (from_wire, from_send, sent.len() - answered);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours means skip.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| !"discord".contains(a.as_str())) {
        return;
    }
    if let Ok(rates) = std::env::var("BENCH_KNEE") {
        return knee(&rates).await;
    }
    let rate = env_or("BENCH_RATE", 100);
    let secs = env_or("BENCH_SECS", 30);
    let restarts = env_or("BENCH_RESTARTS", 5);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let exe = exe();
    let backend = backend::Backend::from_env();
    println!("Discord benchmark: {exe} run against the fake Discord, {cpus} CPU(s)");
    println!("database: {}", backend.describe().await);

    // A fresh database; the bot connects, migrates, registers its commands.
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = backend.database(&dir.path().join("bot.sqlite"));
    let on_server = backend.is_postgres().then_some(url.as_str());
    let bot = Bot::start_with_database(&exe, &fake, dir, GUILD, log_filter(), on_server);
    let pid = bot.child.id();
    fake.ready().await;
    let alice = Person::new(111, "alice", &[]);
    fake.member(alice.id, &alice.name, &alice.roles);

    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_fresh = rss_kib(pid).unwrap_or(0);

    // Warm-up: 2 s at the same rate, not counted.
    let warm = drive(&fake, &alice, 1_000_000, rate, rate * 2).await;
    let (_, _, lost) = latencies(&fake, &warm, Duration::from_secs(30)).await;
    assert_eq!(lost, 0, "warm-up interactions unanswered");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_warm = rss_kib(pid).unwrap_or(0);

    // The load, with the RSS sampled every 100 ms meanwhile.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampling = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match rss_kib(pid) {
                    Some(k) => samples.push(k),
                    None => break,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        })
    };
    let probe = Probe::start();
    let cpu_before = cpu_time(pid);
    let began = Instant::now();
    let sent = drive(&fake, &alice, 2_000_000, rate, rate * secs).await;
    let drive_time = began.elapsed();
    let machine = probe.finish();
    let (lat, from_send, lost) = latencies(&fake, &sent, Duration::from_secs(60)).await;
    let cpu_used = cpu_before.zip(cpu_time(pid)).map(|(a, b)| b.saturating_sub(a));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let samples = sampling.await.unwrap();
    let peak = samples.iter().copied().max().unwrap_or(0);
    let load_median = {
        let mut s = samples.clone();
        s.sort();
        s.get(s.len() / 2).copied().unwrap_or(0)
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_after = rss_kib(pid).unwrap_or(0);
    let deferred = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/callback") && r.body["type"] == 5)
        .count();
    // Read where the bot keeps them (the SQLite file, or the server's database).
    let records = {
        let db = release_desk::db::Db::open(&bot.url).await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        let stored = release_desk::db::rfcs::list(&mut conn, &GUILD.to_string(), None)
            .await
            .unwrap()
            .len();
        drop(conn);
        db.close().await;
        stored
    };
    let log = bot.log();
    let timings = breakdown(&log, 2_000_000);
    if let Some(path) = std::env::var_os("BENCH_DUMP") {
        dump(
            &path,
            &sent,
            &fake.callback_times(),
            &fake.dispatch_times(),
            began,
            &log,
        );
    }
    let split = rss_split(pid);
    let dir = bot.terminate();

    println!();
    println!(
        "load: {} x /rfc new at {rate}/s for {secs} s (sent in {:.2} s), after {} warm-up",
        sent.len(),
        drive_time.as_secs_f64(),
        warm.len()
    );
    println!(
        "interaction→callback (the fake's socket write → the callback request): {}  ({} answered, {} unanswered, {} deferred; {} RFCs stored of {} sent{})",
        percentiles(&lat),
        lat.len(),
        lost,
        deferred,
        records,
        warm.len() + sent.len(),
        if records == warm.len() + sent.len() { "" } else { ": MISMATCH" }
    );
    println!("  from the load generator's send: {}", percentiles(&from_send));
    if let Some(cpu) = cpu_used {
        println!(
            "the bot's CPU time: {} for the load, {:.0} µs per interaction",
            ms(cpu),
            cpu.as_secs_f64() * 1e6 / sent.len().max(1) as f64
        );
    }
    println!("the machine meanwhile: {machine}");
    if std::env::var_os("BENCH_BREAKDOWN").is_some() {
        let parts: Vec<String> = timings
            .iter()
            .map(|(k, p50, p99)| format!("{k} {} / {}", ms(*p50), ms(*p99)))
            .collect();
        println!("inside the bot (p50 / p99): {}", parts.join("  "));
    }
    println!(
        "RSS: idle after start {}  idle after warm-up {}  under load median {} / peak {}  idle after load {} ({})",
        mib(idle_fresh),
        mib(idle_warm),
        mib(load_median),
        mib(peak),
        mib(idle_after),
        split
    );

    // Spawn → IDENTIFY on the existing database (now holding the RFCs
    // above), after a clean stop (SIGTERM, as a service manager restarts
    // it) and after a crash: kill -9 right after a second of load, so the
    // next start reads the write-ahead log the dead process left behind.
    let mut dir = dir;
    let mut next_id = 3_000_000;
    for (how, crash) in [("a clean stop", false), ("kill -9 under load", true)] {
        let mut times = Vec::new();
        let mut ready_times = Vec::new();
        for _ in 0..restarts {
            let fake = Fake::start().await;
            let bot = Bot::start_with_database(&exe, &fake, dir, GUILD, log_filter(), on_server);
            let spawned = bot.spawned_at;
            fake.ready().await;
            let identified = fake.identified_at()[0];
            times.push(identified.saturating_duration_since(spawned));
            let registered = fake
                .find("PUT", "/applications/")
                .first()
                .map(|r| r.at.saturating_duration_since(spawned))
                .unwrap_or_default();
            ready_times.push(registered);
            fake.member(alice.id, &alice.name, &alice.roles);
            let burst = drive(&fake, &alice, next_id, rate, rate).await;
            next_id += rate;
            let (_, _, lost) = latencies(&fake, &burst, Duration::from_secs(30)).await;
            assert_eq!(lost, 0, "interactions unanswered before the restart");
            dir = if crash { bot.stop() } else { bot.terminate() };
        }
        times.sort();
        ready_times.sort();
        println!(
            "spawn→IDENTIFY on an existing database, {} restarts after {how}: median {}  min {}  max {}  (spawn→commands registered: median {})",
            times.len(),
            ms(quantile(&times, 0.5)),
            ms(times.first().copied().unwrap_or_default()),
            ms(times.last().copied().unwrap_or_default()),
            ms(quantile(&ready_times, 0.5)),
        );
    }
    println!();
    println!("targets: p50 ≤ 2 ms, p99 ≤ 5 ms, idle RSS ≤ 20 MiB, spawn→IDENTIFY ≤ 100 ms");
}

/// One bot's figures at one rate.
struct Step {
    p50: Duration,
    p99: Duration,
    max: Duration,
    lost: usize,
    deferred: usize,
    cpu_us: f64,
    machine: String,
}

impl Step {
    /// Within the target: p99 ≤ 5 ms, every interaction answered, none deferred.
    fn holds(&self) -> bool {
        self.p99 <= Duration::from_millis(5) && self.lost == 0 && self.deferred == 0
    }
}

/// Starts `exe` on a fresh database and fake (on the server `database`, a
/// new database's URL, else the SQLite file), warms it up for 2 s at `rate`,
/// then drives `/rfc new` at `rate` for `secs` and measures.
async fn step(exe: &str, database: Option<&str>, rate: u64, secs: u64) -> Step {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = Bot::start_with_database(exe, &fake, dir, GUILD, "warn", database);
    let pid = bot.child.id();
    fake.ready().await;
    let alice = Person::new(111, "alice", &[]);
    fake.member(alice.id, &alice.name, &alice.roles);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let warm = drive(&fake, &alice, 1_000_000, rate, rate * 2).await;
    let _ = latencies(&fake, &warm, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe = Probe::start();
    let cpu_before = cpu_time(pid);
    let sent = drive(&fake, &alice, 2_000_000, rate, rate * secs).await;
    let machine = probe.finish();
    let (lat, _, lost) = latencies(&fake, &sent, Duration::from_secs(60)).await;
    let cpu = cpu_before.zip(cpu_time(pid)).map(|(a, b)| b.saturating_sub(a));
    let deferred = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/callback") && r.body["type"] == 5)
        .count();
    bot.terminate();
    Step {
        p50: quantile(&lat, 0.5),
        p99: quantile(&lat, 0.99),
        max: lat.last().copied().unwrap_or_default(),
        lost,
        deferred,
        cpu_us: cpu.map_or(f64::NAN, |c| c.as_secs_f64() * 1e6 / sent.len().max(1) as f64),
        machine,
    }
}

/// Steps release-desk and the control through `rates` (comma-separated),
/// the two in turn at each rate so both see the same machine; prints a row
/// per run and each one's knee.
async fn knee(rates: &str) {
    let rates: Vec<u64> = rates.split(',').filter_map(|r| r.trim().parse().ok()).collect();
    let secs = env_or("BENCH_SECS", 10);
    let control = std::env::var("BENCH_CONTROL").unwrap_or_else(|_| {
        let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_release-desk"));
        exe.with_file_name("examples")
            .join("bare_bot")
            .display()
            .to_string()
    });
    let bots = [("release-desk", exe()), ("control", control)];
    let backend = backend::Backend::from_env();
    println!(
        "knee: /rfc new at {rates:?}/s, {secs} s each after 2 s of warm-up; {} and {} in turn",
        bots[0].1, bots[1].1
    );
    println!("release-desk's database: {}", backend.describe().await);
    let mut knees = [None, None];
    for &rate in &rates {
        for (i, (name, exe)) in bots.iter().enumerate() {
            // The control keeps no records: only release-desk is given the server.
            let database = (i == 0 && backend.is_postgres()).then(|| backend.database(Path::new("knee")));
            let s = step(exe, database.as_deref(), rate, secs).await;
            println!(
                "{rate:>5}/s {name:<12} p50 {}  p99 {}  max {}  {} unanswered  {} deferred  {:.0} µs CPU per interaction; {}",
                ms(s.p50),
                ms(s.p99),
                ms(s.max),
                s.lost,
                s.deferred,
                s.cpu_us,
                s.machine
            );
            if s.holds() {
                knees[i] = Some(rate);
            }
        }
    }
    for ((name, _), k) in bots.iter().zip(knees) {
        match k {
            Some(k) => {
                println!("knee of {name}: {k}/s (the highest rate tried with p99 ≤ 5 ms, nothing dropped)")
            }
            None => println!(
                "knee of {name}: below {}/s, the lowest rate tried",
                rates.first().copied().unwrap_or_default()
            ),
        }
    }
}
