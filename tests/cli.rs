//! The command line itself: `check-config` and `report`, run as the real
//! binary, as scripts and operators run them.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn release_desk(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .args(args)
        .env_remove("DISCORD_TOKEN")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn check_config(path: &Path) -> Output {
    release_desk(&["check-config".as_ref(), "--config".as_ref(), path.as_os_str()])
}

#[test]
fn check_config_accepts_a_good_file() {
    // Channels and roles by name: valid, and said to be for the console only.
    let out = check_config(&common::no_windows_path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("configuration is valid: 0 window(s), 0 freeze(s), time zone Europe/London, environments staging → prod")
    );
    assert_eq!(
        lines.next(),
        Some("for the console only: the Discord bot (`run`) needs ids instead of names:")
    );
    assert!(
        stdout.contains("  channels.cab: \"cab\" — expected a Discord channel id"),
        "{stdout}"
    );
    // With ids, ready for Discord: the summary alone.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("discord.toml");
    let mut toml = std::fs::read_to_string(common::no_windows_path()).unwrap();
    toml.push_str(
        "\n[channels]\nannouncements = \"11\"\ncab = \"12\"\necab = \"13\"\ndeployments = \"14\"\n[roles]\n",
    );
    for role in [
        "release_manager",
        "change_manager",
        "cab_member",
        "ecab_member",
        "build_manager",
        "deployment_staff",
        "els_staff",
    ] {
        toml.push_str(&format!("{role} = [\"21\"]\n"));
    }
    std::fs::write(&path, toml).unwrap();
    let out = check_config(&path);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "configuration is valid: 0 window(s), 0 freeze(s), time zone Europe/London, environments staging → prod\n"
    );
}

#[test]
fn check_config_names_every_bad_key_with_its_value_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[cab]\nquorum = \"three\"\nquorom = 3\n\n[calendar]\ntimezone = \"Mars/Olympus\"\n",
    )
    .unwrap();
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "configuration has 3 problem(s):\n  \
         cab.quorom: (unknown key) — expected one of `quorum`, `quorum_high`, `rule`, `veto_roles`, `deadline`, \
         `early_approval`, `emergency_quorum`, `emergency_deadline`, `standard_preapproved`, `remind_before`\n  \
         cab.quorum: \"three\" — expected u32\n  \
         calendar.timezone: \"Mars/Olympus\" — expected an IANA time zone such as Europe/London\n"
    );
}

#[test]
fn check_config_points_at_a_syntax_error_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "[cab]\nquorum = 3\nrule = majority\n").unwrap();
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "configuration has 1 problem(s):\n  (file): line 3, column 8 — expected valid TOML (invalid string; expected `\"`, `'`)\n"
    );

    let missing = dir.path().join("absent.toml");
    let out = check_config(&missing);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "(file): {} — expected a readable TOML file",
            missing.display()
        )),
        "{err}"
    );
}

/// The happy-path transcript's records, made by the console binary: one
/// release planned, built, deployed to staging and prod in December 2026,
/// with one incident, a survey and an audit.
fn happy_path_db(dir: &Path) -> std::path::PathBuf {
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/happy_path.in"),
    )
    .unwrap();
    let db = dir.join("report.sqlite");
    common::console_run_with(&script, &db, None, "2026-12-01T09:00:00Z");
    db
}

/// `report` over December 2026 with `extra` arguments, whatever its outcome.
fn run_report(db: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    let url = std::ffi::OsString::from(common::database_url(db));
    run_report_on(&url, extra)
}

/// `report` over December 2026 on the `--db` argument `db` as given.
fn run_report_on(db: &std::ffi::OsStr, extra: &[&std::ffi::OsStr]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "report".as_ref(),
        "--db".as_ref(),
        db,
        "--from".as_ref(),
        "2026-12-01".as_ref(),
        "--to".as_ref(),
        "2026-12-31".as_ref(),
    ];
    args.extend_from_slice(extra);
    release_desk(&args)
}

fn report(db: &Path, format: &str, extra: &[&std::ffi::OsStr]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), format.as_ref()];
    args.extend_from_slice(extra);
    let out = run_report(db, &args);
    assert!(
        out.status.success(),
        "report --format {format}: {}",
        text(&out.stderr)
    );
    out
}

#[test]
fn report_prints_json_csv_and_text_and_writes_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let db = happy_path_db(dir.path());

    let json: serde_json::Value = serde_json::from_slice(&report(&db, "json", &[]).stdout).unwrap();
    // INC-1: severity 2, configuration, 3.5 hours, opened and resolved at the
    // same console time right after the production verification.
    assert_eq!(
        json["incidents_by_defect"],
        serde_json::json!({ "configuration": 1 })
    );
    assert_eq!(json["incidents_by_severity"], serde_json::json!({ "2": 1 }));
    assert_eq!(json["effort_hours"], 3.5);
    assert_eq!(json["time_to_restore_hours"], 0.0);
    // The baseline: api and db-schema changed, the runbook new.
    assert_eq!(
        json["assets_introduced"],
        serde_json::json!({ "new": 1, "changed": 2, "retired": 0 })
    );
    // Booked into Thursday 3 December's weekly-prod opening and verified in it.
    assert_eq!(
        (&json["planned"], &json["actual"], &json["missed_windows"]),
        (&1.into(), &1.into(), &0.into())
    );
    // The audit found db-schema 4.2 where the baseline has 4.3, and no runbook.
    assert_eq!(json["config_defects"], 2);
    // rita answered the survey 4️⃣ then changed it to 5️⃣: one response.
    assert_eq!(
        json["csat"],
        serde_json::json!({ "average": 5.0, "responses": 1 })
    );
    // One verified production deployment in 31 days: 7 / 31 per week, to 3 places.
    assert_eq!(json["deployment_frequency"], 0.226);
    // RFC-1 opened Tue 1 Dec 09:00, production verified Thu 3 Dec 22:00.
    assert_eq!(json["lead_time_hours"], 61.0);
    // The only production deployment had a severity-2 incident.
    assert_eq!(json["change_failure_rate"], 1.0);

    let csv = text(&report(&db, "csv", &[]).stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("metric,value"));
    assert!(
        csv.lines().any(|l| l == "incidents_by_defect.configuration,1"),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l == "effort_hours,3.5"), "{csv}");

    let txt = text(&report(&db, "text", &[]).stdout);
    assert!(
        txt.starts_with("Release metrics 1 Dec 2026 – 31 Dec 2026\n"),
        "{txt}"
    );
    for line in [
        "  change failure rate        100 % — 1 of 1 production deployment",
        "  incidents by severity      sev 2: 1",
        "  effort on incidents        3 h 30 min",
        "  customer satisfaction      5/5 from 1 response",
        "  lead time (median)         2 d 13 h",
    ] {
        assert!(txt.lines().any(|l| l.starts_with(line)), "{line}\n{txt}");
    }

    let png = dir.path().join("chart.png");
    report(&db, "json", &["--chart".as_ref(), png.as_os_str()]);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn report_refuses_an_unknown_format_and_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    // A file path on every backend: what is refused is a file that is not there.
    let absent = dir.path().join("absent.sqlite");
    let out = run_report_on(absent.as_os_str(), &["--format".as_ref(), "xml".as_ref()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--format \"xml\": expected text, json or csv"));
    let out = run_report_on(absent.as_os_str(), &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no such database"),
        "{}",
        text(&out.stderr)
    );
    assert!(!absent.exists(), "a report never creates a database");
}

#[test]
fn report_into_a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = happy_path_db(dir.path());
    let png = dir.path().join("chart.png");
    let mut child = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .args([
            "report",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--format",
            "json",
            "--db",
        ])
        .arg(common::database_url(&db))
        .arg("--chart")
        .arg(&png)
        .env_remove("RELEASE_DESK_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the report is written (opening the database comes
    // first), as `release-desk report … | head -1` leaves it.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{}: {err}", out.status);
    assert!(png.exists(), "the chart is still written");
}

/// Runs `sql` on the database at `path`.
fn exec(path: &Path, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = release_desk::db::Db::open(&common::database_url(path))
            .await
            .unwrap();
        release_desk::db::raw_sql(sql, &db.pool).await.unwrap();
        db.close().await;
    });
}

#[test]
fn report_counts_one_server_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = happy_path_db(dir.path());
    // A second server's release in the same database: booked into a December
    // window it missed, with one configuration defect.
    exec(
        &db,
        "INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, manager, manager_name,
            window_name, window_start, window_end, created_at, updated_at)
         VALUES (900, '42', 1, 'Other', '1.0.0', 0, '[\"prod\"]', 'planning', 'm', 'm', 'weekly',
            '2026-12-10T22:00:00.000Z', '2026-12-11T02:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
         INSERT INTO missed_windows (release_id, window_name, window_start, recorded_at)
         VALUES (900, 'weekly', '2026-12-10T22:00:00.000Z', '2026-12-11T02:00:00.000Z');
         INSERT INTO config_defects (release_id, env, item, kind, expected, found, recorded_by, recorded_at)
         VALUES (900, 'prod', 'x', 'missing', '1.0.0', NULL, 'm', '2026-12-12T00:00:00.000Z');",
    );
    let figures = |extra: &[&std::ffi::OsStr]| {
        let json: serde_json::Value = serde_json::from_slice(&report(&db, "json", extra).stdout).unwrap();
        (
            json["planned"].clone(),
            json["missed_windows"].clone(),
            json["config_defects"].clone(),
            json["actual"].clone(),
        )
    };
    let console = (1.into(), 0.into(), 2.into(), 1.into());
    // No guild_id configured: the console's workspace, as `--help` says.
    assert_eq!(figures(&[]), console);
    assert_eq!(figures(&["--guild".as_ref(), "console".as_ref()]), console);
    assert_eq!(
        figures(&["--guild".as_ref(), "42".as_ref()]),
        (1.into(), 1.into(), 1.into(), 0.into())
    );
    assert_eq!(
        figures(&["--guild".as_ref(), "43".as_ref()]),
        (0.into(), 0.into(), 0.into(), 0.into())
    );
    // With discord.guild_id set, that server is the default.
    let config = dir.path().join("served.toml");
    std::fs::write(&config, "[discord]\nguild_id = 42\n").unwrap();
    assert_eq!(
        figures(&["--config".as_ref(), config.as_os_str()]),
        (1.into(), 1.into(), 1.into(), 0.into())
    );
    for bad in ["0", "x", ""] {
        let out = run_report(&db, &["--guild".as_ref(), bad.as_ref()]);
        assert!(!out.status.success(), "--guild {bad:?} accepted");
        assert!(
            text(&out.stderr).contains(&format!(
                "--guild {bad:?}: expected a Discord server id (a positive number) or console"
            )),
            "{}",
            text(&out.stderr)
        );
    }
    let help = text(&release_desk(&["report".as_ref(), "--help".as_ref()]).stdout);
    assert!(
        help.contains("--guild <ID>") && help.contains("guild_id = 0"),
        "{help}"
    );
}

#[test]
fn slack_manifest_prints_the_app_from_the_command_definitions() {
    let out = release_desk(&["slack-manifest".as_ref()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cmds: Vec<&str> = m["features"]["slash_commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/commands"))
        .unwrap()
        .count();
    assert_eq!(cmds.len(), files, "{cmds:?}");
    assert!(cmds.contains(&"/release") && cmds.contains(&"/rfc"));
    assert_eq!(m["settings"]["socket_mode_enabled"], true);

    let http = release_desk(&[
        "slack-manifest".as_ref(),
        "--request-url".as_ref(),
        "https://desk.example.com".as_ref(),
    ]);
    let m: serde_json::Value = serde_json::from_slice(&http.stdout).unwrap();
    assert_eq!(
        m["settings"]["interactivity"]["request_url"],
        "https://desk.example.com/slack/events"
    );

    let bad = release_desk(&[
        "slack-manifest".as_ref(),
        "--request-url".as_ref(),
        "desk.example.com".as_ref(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--request-url"),
        "{}",
        text(&bad.stderr)
    );
    assert!(bad.stdout.is_empty());
}
