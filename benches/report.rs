//! The metrics report over a large history: 10,000 releases and 100,000
//! incidents. Run: `cargo bench --bench report` (prints its figures).
//! Each period is built both ways, alternately: as the report does it
//! (stored attribution, both periods per pass) and as it did before
//! (`tests/reference/correlated.rs`); the two reports must be identical.
//! The control is a plain scan of the incidents table on the same
//! connection, and the CPU time the hypervisor stole is printed beside them.
mod common;
use common::cpu_stolen;

#[path = "../tests/reference/correlated.rs"]
mod correlated;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use release_desk::config::Config;
use release_desk::db::{ts, Db};
use std::time::Instant;

/// A small deterministic generator.
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let releases: i64 = std::env::var("BENCH_RELEASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let incidents: i64 = std::env::var("BENCH_INCIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    // BENCH_DB keeps the generated database at that path, for a closer look.
    let path = std::env::var("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("report.sqlite"));
    let db = Db::open(path.to_str().unwrap()).await.unwrap();
    let mut rng = Lcg(42);
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t = Instant::now();
    let mut tx = db.begin().await.unwrap();
    let defects = [
        "code",
        "configuration",
        "data",
        "infrastructure",
        "documentation",
        "process",
        "other",
    ];
    for r in 1..=releases {
        let opened = year + Duration::minutes(rng.next(365 * 24 * 60) as i64);
        let verified = opened + Duration::hours(24 + rng.next(24 * 20) as i64);
        let outcome = if rng.next(10) == 0 {
            "backed-out"
        } else {
            "verified"
        };
        for sql in [
            format!(
                "INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
                 VALUES ({r}, 'g', {r}, 't', 'normal', 'low', 'i', 'u', 'u', 'implemented', '{}')",
                ts(opened)
            ),
            format!(
                "INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, closure, manager, manager_name,
                   window_name, window_start, window_end, created_at, updated_at)
                 VALUES ({r}, 'g', {r}, 'R', '1.0.0', 0, '[\"staging\",\"prod\"]', 'closed', 'completed', 'm', 'm', 'weekly', '{}', '{}', '{}', '{}')",
                ts(verified - Duration::hours(2)),
                ts(verified + Duration::hours(2)),
                ts(opened),
                ts(opened)
            ),
            format!("INSERT INTO release_rfcs (release_id, rfc_id) VALUES ({r}, {r})"),
            format!(
                "INSERT INTO package_items (release_id, name, kind, version, change) VALUES ({r}, 'api', 'software', '1.0.0', 'changed'), ({r}, 'db', 'software', '1.0.0', 'new')"
            ),
            format!(
                "INSERT INTO deployments (release_id, env, attempt, steps, planned_by, planned_at, started_by, started_at, finished_at, outcome)
                 VALUES ({r}, 'prod', 1, '[]', 'd', '{}', 'd', '{}', '{}', '{outcome}')",
                ts(verified - Duration::hours(3)),
                ts(verified - Duration::hours(1)),
                ts(verified)
            ),
        ] {
            release_desk::db::query(&sql).execute(&mut *tx).await.unwrap();
        }
    }
    for i in 1..=incidents {
        let r = 1 + rng.next(releases as u64) as i64;
        let opened_hours = rng.next(24 * 80) as i64;
        let defect = defects[rng.next(defects.len() as u64) as usize];
        let sev = 1 + rng.next(4);
        // Opened after the release's deployment: read its time back.
        let started: String =
            release_desk::db::query_scalar("SELECT started_at FROM deployments WHERE release_id = $1")
                .bind(r)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        let start = release_desk::db::parse_ts(&started).unwrap();
        let opened = start + Duration::hours(opened_hours + 1);
        let resolved = opened + Duration::minutes(30 + rng.next(600) as i64);
        release_desk::db::query(
            "INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at, resolved_by, resolved_at, effort_hours)
             VALUES ('g', $1, $2, 'prod', $3, $4, 't', 'e', $5, 'e', $6, $7)",
        )
        .bind(i)
        .bind(r)
        .bind(sev as i64)
        .bind(defect)
        .bind(ts(opened))
        .bind(ts(resolved))
        .bind(rng.next(80) as f64 / 10.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "generated {releases} releases and {incidents} incidents in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    release_desk::db::query("ANALYZE")
        .execute(&db.pool)
        .await
        .unwrap();
    let config = Config::defaults();
    let stolen_at_start = cpu_stolen();
    let median_ms = |mut v: Vec<std::time::Duration>| {
        v.sort();
        (v[v.len() / 2].as_secs_f64() * 1000.0, v[0].as_secs_f64() * 1000.0)
    };
    let mut scans = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (n, effort): (i64, f64) = release_desk::db::query_as(
            "SELECT COUNT(*), TOTAL(effort_hours) FROM incidents WHERE opened_at >= ''",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        scans.push(t.elapsed());
        assert_eq!(n, incidents, "{effort}");
    }
    let (scan, scan_best) = median_ms(scans);
    println!("control: a scan of all {incidents} incidents (count and sum, SQLite alone): median {scan:.1} ms, best {scan_best:.1} ms");
    for (label, target, from, to) in [
        (
            "a year",
            "100 ms",
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        ),
        (
            "30 days",
            "30 ms",
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        ),
    ] {
        let (mut times, mut before) = (Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..5 {
            let t = Instant::now();
            let old = correlated::build(&db, &config, "g", from, to).await.unwrap();
            before.push(t.elapsed());
            let t = Instant::now();
            let new = release_desk::handlers::report::build(&db, &config, "g", from, to)
                .await
                .unwrap();
            times.push(t.elapsed());
            assert_eq!(new, old, "the report's figures changed");
            last = Some(new);
        }
        let r = last.unwrap();
        let ((median, best), (old_median, old_best)) = (median_ms(times), median_ms(before));
        println!(
            "report over {label} ({from} – {to}): median {median:.1} ms, best {best:.1} ms (target ≤ {target}; before: correlated, median {old_median:.1} ms, best {old_best:.1} ms), both with the previous period for trends, figures identical; {} incidents, {} verified, lead time {:?} h",
            r.measures.incidents_by_defect.values().sum::<i64>(),
            r.measures.actual,
            r.measures.lead_time_hours
        );
        let t = Instant::now();
        let png = release_desk::render::report::chart(&r).unwrap();
        println!(
            "chart for {label}: {:.1} ms, {} bytes",
            t.elapsed().as_secs_f64() * 1000.0,
            png.len()
        );
    }
    if let (Some((s0, t0)), Some((s1, t1))) = (stolen_at_start, cpu_stolen()) {
        println!(
            "CPU time stolen by the hypervisor while measuring: {:.1}% ({} of {} ticks); load average {}",
            100.0 * (s1 - s0) as f64 / (t1 - t0).max(1) as f64,
            s1 - s0,
            t1 - t0,
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
        );
    }
}
