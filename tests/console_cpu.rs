//! The console keeps itself and its SQLite connection threads on one CPU
//! (src/chat/console/cpu.rs says why): checked on the real binary, every
//! thread of a running console, read from /proc.
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
}

#[test]
fn the_check_reads_a_cpu_range_as_more_than_one() {
    assert!(one_cpu("1"));
    assert!(!one_cpu("0-1"));
    assert!(!one_cpu("0,2"));
}
