//! The Slack benchmark of issue 21: the real `release-desk run` binary
//! against the fake Slack of `tests/fake_slack`, sent `/rfc new` slash
//! commands over Socket Mode at 100 per second for 30 seconds. It prints
//! envelope→ack latency (p50/p99/max; the goal is p99 ≤ 5 ms), how many
//! answers reached their `response_url`, the machine's stolen CPU time
//! meanwhile, and the process's RSS (idle, under load, after). It
//! measures; it asserts nothing about timing.
//!
//! `cargo bench --bench slack` (env: `BENCH_RATE`, `BENCH_SECS`).
mod common;
use common::{cpu_stolen, rss_kib};

#[path = "../tests/fake_slack/mod.rs"]
mod fake_slack;

use fake_slack::{FakeSlack, TEAM};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let rate = env_num("BENCH_RATE", 100).max(1);
    let secs = env_num("BENCH_SECS", 30).max(1);
    let fake = FakeSlack::start().await;
    for g in ["S0CAB", "S0ECAB", "S0BLD", "S0DEP", "S0ELS"] {
        fake.group(g, &[]);
    }
    fake.group("S0REL", &["U0ANN"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("desk.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[slack]\napi_base = \"{}\"\n\
             [channels]\nannouncements = \"C0REL\"\ncab = \"C0CAB\"\necab = \"C0ECAB\"\ndeployments = \"C0DEP\"\n\
             [roles]\nrelease_manager = [\"S0REL\"]\nchange_manager = [\"U0BOSS\"]\ncab_member = [\"S0CAB\"]\n\
             ecab_member = [\"S0ECAB\"]\nbuild_manager = [\"S0BLD\"]\ndeployment_staff = [\"S0DEP\"]\nels_staff = [\"S0ELS\"]\n",
            dir.path().join("desk.sqlite").display(),
            fake.api_base()
        ),
    )
    .unwrap();
    let log = dir.path().join("bot.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .env("SLACK_BOT_TOKEN", "xoxb-bench")
        .env("SLACK_APP_TOKEN", "xapp-bench")
        .env("RELEASE_DESK_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    fake.connected(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);
    let stolen_before = cpu_stolen();
    let total = rate * secs;
    let every = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let mut peak = 0;
    for i in 0..total {
        let due = start + every * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let trigger = format!("b{i}");
        let payload = json!({
            "token": "legacy", "team_id": TEAM, "team_domain": "desk", "channel_id": "C0GEN",
            "channel_name": "general", "user_id": "U0ANN", "user_name": "ann", "command": "/rfc",
            "text": format!(r#"new title:"Bench {i}" type:normal risk:low impact:"none""#),
            "api_app_id": "A0DESK", "is_enterprise_install": "false",
            "response_url": fake.response_url(&trigger), "trigger_id": trigger,
        });
        fake.envelope(&format!("e{i}"), "slash_commands", payload);
        if i % rate == 0 {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
        }
    }
    let sent_in = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (fake.acks().len() as u64) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answered_by = Instant::now() + Duration::from_secs(60);
    let answered = || {
        fake.requests()
            .iter()
            .filter(|r| r.method.starts_with("respond/"))
            .count() as u64
    };
    while answered() < total && Instant::now() < answered_by {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stolen_after = cpu_stolen();
    let after = rss_kib(pid);
    let mut acks: Vec<Duration> = fake.acks().into_iter().map(|a| a.1).collect();
    acks.sort();
    println!("slack: {total} slash commands at {rate}/s over Socket Mode, sent in {sent_in:.1?}");
    println!(
        "ack latency: p50 {:.2?}  p99 {:.2?}  max {:.2?}  ({} acked)",
        percentile(&acks, 0.50),
        percentile(&acks, 0.99),
        acks.last().copied().unwrap_or_default(),
        acks.len()
    );
    println!("answered on response_url: {} of {total}", answered());
    if let (Some((s0, t0)), Some((s1, t1))) = (stolen_before, stolen_after) {
        let share = (s1 - s0) as f64 / ((t1 - t0).max(1)) as f64 * 100.0;
        println!("CPU stolen by the host meanwhile: {share:.1}%");
    }
    println!(
        "RSS KiB: idle {}  peak under load {}  after {}",
        idle.unwrap_or(0),
        peak,
        after.unwrap_or(0)
    );
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let _ = child.wait();
    let errors = std::fs::read_to_string(&log).unwrap_or_default();
    let errors: Vec<&str> = errors.lines().filter(|l| l.contains("ERROR")).collect();
    if !errors.is_empty() {
        println!("bot errors ({}): first {}", errors.len(), errors[0]);
    }
}
