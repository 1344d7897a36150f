//! What the benchmarks share: the machine's noise and a process's memory, read from /proc.
#![allow(dead_code)] // each bench uses its part

/// (stolen, total) CPU time in ticks since boot, from /proc/stat.
pub fn cpu_stolen() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user)
    Some((*ticks.get(7)?, ticks.iter().take(8).sum()))
}

/// VmRSS of `pid` in KiB.
#[allow(dead_code)] // not every bench reads a process's memory
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub mod backend;
/// The tests' database switch, for the harnesses the benches borrow from
/// tests/ (tests/fake_discord, tests/fake_slack): unset, as in every bench
/// run, a database is its SQLite file.
#[path = "../../tests/common/pg.rs"]
pub mod pg;
#[allow(unused_imports)] // not every bench starts a harness
pub use pg::database_url;
