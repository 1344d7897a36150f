//! The console keeps itself and its SQLite connection threads on one CPU,
//! under the batch policy (src/chat/console/cpu.rs says why): checked on
//! the real binary, every thread of a running console, read from /proc.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// `Cpus_allowed_list` of every thread of process `pid`.
fn threads_cpus(pid: u32) -> Vec<String> {
    let mut cpus = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let status = std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .expect("a thread's status names its CPUs");
        cpus.push(line.trim().to_string());
    }
    cpus
}

/// Linux's batch scheduling policy (`SCHED_BATCH` in sched.h).
const SCHED_BATCH: u32 = 3;

/// The scheduling policy of every thread of process `pid`.
fn threads_policies(pid: u32) -> Vec<u32> {
    let mut policies = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let stat = std::fs::read_to_string(task.unwrap().path().join("stat")).unwrap();
        policies.push(policy_in_stat(&stat));
    }
    policies
}

/// Field 41 of a `stat` line, `policy`, counted after the command name,
/// which is in parentheses and may hold spaces (proc(5)).
fn policy_in_stat(stat: &str) -> u32 {
    let (_, after_name) = stat.rsplit_once(") ").expect("a stat line names its command");
    // `after_name` starts at field 3.
    after_name
        .split_whitespace()
        .nth(41 - 3)
        .expect("a stat line has a policy")
        .parse()
        .unwrap()
}

fn one_cpu(list: &str) -> bool {
    !list.contains(',') && !list.contains('-')
}

#[test]
fn a_running_console_and_its_connection_threads_share_one_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cpu.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .current_dir(dir.path())
        .args(["console", "--db"])
        .arg(&db)
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b":as rita\n/rfc new title:Pinned type:normal risk:low impact:none\n")
        .unwrap();
    // The positive sign: the command ran, so the database and its threads are up.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("RFC-1") {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the console ended without answering: {seen}"
        );
        seen.push_str(&line);
    }
    let cpus = threads_cpus(child.id());
    let policies = threads_policies(child.id());
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(
        cpus.len() >= 2,
        "the console and sqlx's connection threads: {cpus:?}"
    );
    assert!(
        cpus.iter().all(|c| one_cpu(c) && *c == cpus[0]),
        "every thread on the same single CPU: {cpus:?}"
    );
    assert!(
        policies.len() >= 2 && policies.iter().all(|&p| p == SCHED_BATCH),
        "every thread under the batch policy: {policies:?}"
    );
}

#[test]
fn the_check_reads_the_policy_after_a_name_with_spaces() {
    // A thread of SCHED_OTHER (0) named "tokio rt (1)", then one of SCHED_BATCH.
    let fields = |policy: u32| {
        let mut f: Vec<String> = (3..=52).map(|n| n.to_string()).collect();
        f[41 - 3] = policy.to_string();
        f.join(" ")
    };
    assert_eq!(policy_in_stat(&format!("77 (tokio rt (1)) {}", fields(0))), 0);
    assert_eq!(
        policy_in_stat(&format!("78 (sqlx-sqlite-worker-0) {}", fields(3))),
        3
    );
}

#[test]
fn the_check_reads_a_cpu_range_as_more_than_one() {
    assert!(one_cpu("1"));
    assert!(!one_cpu("0-1"));
    assert!(!one_cpu("0,2"));
}
