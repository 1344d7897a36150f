//! The CAB workflow against a real database (an SQLite file, or with the
//! switch set PostgreSQL): every refusal leaves every row as it was
//! (contents, not only counts), votes given as commands are
//! counted at the close with the platform's reactions, and the reminder
//! and check-config behave as documented.

mod common;

use release_desk::db::Db;
use release_desk::handlers::Reply;

/// Every row of every table, column by column, in row order: two equal
/// dumps mean nothing was written. The console's own bookkeeping is left
/// out; it records input lines, not records.
async fn dump(db: &Db) -> String {
    let tables: Vec<String> = common::table_names(db)
        .await
        .into_iter()
        .filter(|t| !t.starts_with("console_"))
        .collect();
    let mut out = String::new();
    for t in tables {
        let columns = common::column_names(db, &t).await;
        let list = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let rows: Vec<String> = release_desk::db::query_scalar(&match db.backend() {
            release_desk::db::Backend::Sqlite => {
                format!("SELECT json_array({list}) FROM \"{t}\" ORDER BY rowid")
            }
            // No rowid there: the rows sorted, the same two dumps alike.
            release_desk::db::Backend::Postgres => {
                format!("SELECT CAST(json_build_array({list}) AS TEXT) FROM \"{t}\" ORDER BY 1")
            }
        })
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("reading {t}: {e}"));
        out.push_str(&format!("{t}:\n  {}\n", rows.join("\n  ")));
    }
    out
}

const SETUP: &str = r#"
:as rita
/rfc new title:"Move DNS" type:normal risk:medium impact:"Short DNS blip"
/rfc new title:"Hotfix CVE" type:emergency risk:high impact:"Exposed now"
/rfc new title:"Rotate keys" type:normal risk:low impact:"None"
:as rm release-manager
/release new name:"DNS" version:1.0.0 rfcs:RFC-1
/release plan id:REL-1 backout:"restore zone" acceptance:"dig answers"
/release submit id:REL-1
:as carol change-manager
:react last:#cab ❌
/calendar freeze name:audit from:2026-12-10 to:2026-12-12
"#;

#[tokio::test]
async fn a_refused_workflow_command_changes_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("w.sqlite")).await;
    h.run(SETUP).await;
    h.settle().await;
    // The setup got where the refusals need it: REL-1 rejected, a freeze declared.
    let out = h.output();
    assert!(
        out.contains("CLOSED: rejected (vetoed by carol, change manager)"),
        "{out}"
    );
    assert!(out.contains("Freeze audit declared"), "{out}");

    let refused: &[(&str, &str, &str, &str)] = &[
        (
            "rm",
            "release-manager",
            "/release new name:M version:1.0.0 rfcs:RFC-3,RFC-2",
            "cannot share a release",
        ),
        (
            "rm",
            "release-manager",
            "/release new name:M version:1.0.0 rfcs:RFC-3 environments:staging,production",
            "not a known environment",
        ),
        (
            "rm",
            "release-manager",
            "/release new name:M version:1.0.0 rfcs:RFC-3 environments:prod,staging",
            "not in promotion order",
        ),
        (
            "rm",
            "release-manager",
            "/release edit id:REL-1 rfcs:RFC-1,RFC-2",
            "cannot share a release",
        ),
        (
            "rm",
            "release-manager",
            "/release edit id:REL-1 environments:prod,staging name:X",
            "not in promotion order",
        ),
        (
            "rm",
            "release-manager",
            "/release edit id:REL-1 name:DNS",
            "Nothing to change",
        ),
        (
            "rm",
            "release-manager",
            "/release submit id:REL-1",
            "was rejected and has not changed",
        ),
        (
            "rm",
            "release-manager",
            "/release recall id:REL-1",
            "no open CAB vote",
        ),
        (
            "rm",
            "release-manager",
            "/release unschedule id:REL-1",
            "not scheduled",
        ),
        (
            "c1",
            "cab",
            "/release vote id:REL-1 vote:approve reason:late",
            "no open CAB vote",
        ),
        (
            "carol",
            "change-manager",
            "/release decide id:REL-1 decision:approve reason:x",
            "was rejected",
        ),
        (
            "carol",
            "change-manager",
            "/calendar freeze name:AUDIT from:2026-12-14 to:2026-12-15",
            "already declared",
        ),
        (
            "carol",
            "change-manager",
            "/calendar freeze name:old from:2026-11-01 to:2026-11-02",
            "in the past",
        ),
        (
            "carol",
            "change-manager",
            "/calendar unfreeze name:nope",
            "no current freeze",
        ),
        (
            "visitor",
            "",
            "/rfc edit id:RFC-1 risk:high",
            "requester (rita) or a release manager",
        ),
        (
            "visitor",
            "",
            "/calendar unfreeze name:audit",
            "Only a change manager",
        ),
        (
            "visitor",
            "",
            "/release decide id:REL-1 decision:approve reason:x",
            "Only a change manager",
        ),
    ];
    for (user, roles, line, says) in refused {
        let before = dump(&h.app.db).await;
        match h.command_only(user, roles, line).await {
            Reply::Private(m) => assert!(m.plain().contains(says), "{line}: {}", m.plain()),
            other => panic!("{line} was not refused: {other:?}"),
        }
        assert_eq!(dump(&h.app.db).await, before, "{line} changed a row");
    }

    // The comparison sees a change of contents that leaves every count alone.
    let before = dump(&h.app.db).await;
    release_desk::db::query("UPDATE rfcs SET title = 'Moved' WHERE number = 1")
        .execute(&h.app.db.pool)
        .await
        .unwrap();
    assert_ne!(dump(&h.app.db).await, before);
}

#[tokio::test]
async fn accepted_edits_write_their_audit_entries_in_the_same_commit() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("a.sqlite")).await;
    h.run(SETUP).await;
    h.settle().await;
    let audit = |db: Db| async move { common::sql_count(&db, "SELECT COUNT(*) FROM audit").await };
    for (user, roles, line, action) in [
        (
            "rm",
            "release-manager",
            "/release plan id:REL-1 scope:\"zone files\"",
            "release.revision",
        ),
        (
            "rm",
            "release-manager",
            "/release edit id:REL-1 name:\"DNS move\"",
            "release.edit",
        ),
        (
            "rita",
            "",
            "/rfc edit id:RFC-1 impact:\"Two minutes\"",
            "rfc.edit",
        ),
        (
            "carol",
            "change-manager",
            "/calendar unfreeze name:audit reason:moved",
            "calendar.unfreeze",
        ),
    ] {
        let n = audit(h.app.db.clone()).await;
        match h.command_only(user, roles, line).await {
            Reply::Public(_) => {}
            other => panic!("{line}: {other:?}"),
        }
        assert!(audit(h.app.db.clone()).await > n, "{line} wrote no audit entry");
        let found = common::sql_count(
            &h.app.db,
            &format!("SELECT COUNT(*) FROM audit WHERE action = '{action}'"),
        )
        .await;
        assert_eq!(found, 1, "{line}: one {action} entry");
    }
    // The plan change after the rejection started revision 2, so it may go again.
    match h
        .command_only("rm", "release-manager", "/release submit id:REL-1")
        .await
    {
        Reply::Public(m) => assert!(m.plain().contains("submitted to the CAB"), "{}", m.plain()),
        other => panic!("{other:?}"),
    }
    let revision = common::sql_count(&h.app.db, "SELECT revision FROM polls ORDER BY id DESC LIMIT 1").await;
    assert_eq!(revision, 2);
}

#[tokio::test]
async fn a_command_vote_replaces_the_voters_reaction_at_the_close() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("v.sqlite")).await;
    h.run(
        r#"
:as rita
/rfc new title:"Move DNS" type:normal risk:medium impact:"Short"
:as rm release-manager
/release new name:"DNS" version:1.0.0 rfcs:RFC-1
/release plan id:REL-1 backout:"restore zone" acceptance:"dig answers"
/release submit id:REL-1
:as c1 cab
:react last:#cab ✅
/release vote id:REL-1 vote:reject reason:"no rollback test"
:as c2 cab
/release vote id:REL-1 vote:reject
:react last:#cab ✅
:as c3 cab
:react last:#cab ✅
:advance 48h
"#,
    )
    .await;
    h.settle().await;
    let out = h.output();
    // c1's ✅ reaction is still on the message, but their later ❌ by command
    // stands; c2's later ✅ reaction replaced their ❌ command.
    assert!(out.contains("CLOSED: approved"), "{out}");
    let closed = out.split("CLOSED: approved").nth(1).unwrap();
    assert!(closed.contains("✅ 2 (c2, c3)  ❌ 1 (c1)"), "{closed}");
    assert!(closed.contains("❌ c1: no rollback test"), "{closed}");
    // The ledger keeps every vote, both ways of giving it.
    let commands = common::sql_count(&h.app.db, "SELECT COUNT(*) FROM votes WHERE action = 'command'").await;
    assert_eq!(commands, 2);
    let reactions = common::sql_count(&h.app.db, "SELECT COUNT(*) FROM votes WHERE action = 'add'").await;
    assert_eq!(reactions, 3);
}

#[tokio::test]
async fn the_reminder_names_the_missing_votes_once_and_not_after_a_recall() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("r.sqlite")).await;
    h.run(
        r#"
:as rita
/rfc new title:"A" type:normal risk:low impact:"i"
/rfc new title:"B" type:normal risk:low impact:"i"
:as rm release-manager
/release new name:"B" version:1.0.0 rfcs:RFC-2
/release plan id:REL-1 backout:"b" acceptance:"a"
/release submit id:REL-1
/release recall id:REL-1
/release new name:"A" version:1.0.0 rfcs:RFC-1
/release plan id:REL-2 backout:"b" acceptance:"a"
/release submit id:REL-2
:as c1 cab
:react last:#cab ✅
:advance 36h
"#,
    )
    .await;
    h.settle().await;
    let out = h.output();
    let reminders: Vec<&str> = out.lines().filter(|l| l.starts_with("Reminder:")).collect();
    assert_eq!(
        reminders,
        vec!["Reminder: the CAB vote on REL-2 A closes Thu 3 Dec 2026 09:00 — 2 more votes are needed for quorum (3)."],
        "{out}"
    );
    // Its job ran once and is done; the recalled poll's reminder did nothing.
    let pending = common::sql_count(
        &h.app.db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'poll-remind' AND done_at IS NULL",
    )
    .await;
    assert_eq!(pending, 0);
    let done = common::sql_count(
        &h.app.db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'poll-remind' AND done_at IS NOT NULL",
    )
    .await;
    assert_eq!(done, 2);
}

#[test]
fn check_config_flags_windows_serving_unknown_environments_and_a_bad_reminder() {
    use release_desk::config::Config;
    let errors = |text: &str| -> Vec<String> {
        Config::from_layers(Some(text))
            .err()
            .map(|e| e.0.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        errors(
            "[[calendar.windows]]\nname = \"w\"\ncron = \"0 0 22 * * Thu\"\nduration = \"1h\"\nenvironments = [\"production\"]\n"
        ),
        vec![
            "calendar.windows[0].environments: \"production\" — expected environments that release.environments names (staging, prod)"
        ]
    );
    assert_eq!(
        errors("[cab]\nremind_before = \"40d\"\n"),
        vec!["cab.remind_before: \"40d\" — expected \"0\" (no reminder) or a duration of at most 30d"]
    );
    assert_eq!(errors("[cab]\nremind_before = \"0\"\n"), Vec::<String>::new());
    let c = Config::from_layers(None).unwrap();
    assert_eq!(c.remind_before, chrono::Duration::hours(12));
}

#[tokio::test]
async fn migration_17_keeps_polls_and_votes_and_admits_recalls_and_command_votes() {
    let dir = tempfile::tempdir().unwrap();
    // SQLite only: SQLite's migration 17 over its data (PostgreSQL's migrations start from an empty database).
    let url = dir.path().join("m.sqlite").display().to_string();
    let db = Db::open_at(&url, 12).await.unwrap();
    for stmt in [
        "INSERT INTO releases (guild, number, name, version, emergency, environments, state, manager, manager_name, created_at, updated_at)
         VALUES ('g', 1, 'R', '1.0.0', 0, '[\"prod\"]', 'planning', 'm', 'm', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')",
        "INSERT INTO bot_messages (guild, channel, purpose) VALUES ('g', 'cab', 'poll')",
        "INSERT INTO polls (guild, release_id, revision, message_id, emergency, voting_role, quorum, rule, veto_roles,
            early_approval, submitter, notify_channel, opened_at, deadline, closed_at, outcome)
         VALUES ('g', 1, 1, 1, 0, 'cab_member', 3, 'majority', '', 0, 'm', 'general',
            '2026-12-01T00:00:00.000Z', '2026-12-03T00:00:00.000Z', '2026-12-03T00:00:00.000Z', 'expired')",
        "INSERT INTO votes (poll_id, \"user\", user_name, roles, vote, action, at, counted)
         VALUES (1, 'c1', 'c1', 'cab_member', 'approve', 'add', '2026-12-01T01:00:00.000Z', 1)",
    ] {
        release_desk::db::query(stmt).execute(&db.pool).await.unwrap();
    }
    db.close().await;
    let db = Db::open_at(&url, 17).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let poll = release_desk::db::polls::get(&mut conn, "g", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        poll.closed.map(|c| c.1),
        Some(release_desk::db::polls::PollClose::Expired)
    );
    assert_eq!((poll.decision, poll.settled), (None, None));
    let ledger = release_desk::db::polls::ledger(&mut conn, "g", 1).await.unwrap();
    assert_eq!(
        ledger
            .iter()
            .map(|e| (e.action.key(), e.note.clone()))
            .collect::<Vec<_>>(),
        vec![("add", None)]
    );
    drop(conn);
    // The new values are admitted; anything else is still refused.
    for (sql, ok) in [
        ("UPDATE polls SET outcome = 'recalled' WHERE id = 1", true),
        ("UPDATE polls SET outcome = 'whatever' WHERE id = 1", false),
        ("UPDATE polls SET decision = 'approved' WHERE id = 1", true),
        ("UPDATE polls SET decision = 'maybe' WHERE id = 1", false),
        ("UPDATE votes SET action = 'command' WHERE id = 1", true),
        ("UPDATE votes SET action = 'shout' WHERE id = 1", false),
    ] {
        assert_eq!(
            release_desk::db::query(sql).execute(&db.pool).await.is_ok(),
            ok,
            "{sql}"
        );
    }
}

/// The console's reactors come back in the order they reacted (the votes
/// are counted in that order), on PostgreSQL too, where a removed
/// reaction's space, once vacuumed, is taken by the next one: read in heap
/// order (`ctid`), the latest reactor would come first.
#[tokio::test]
async fn console_reactors_are_read_in_the_order_they_reacted_after_a_removal() {
    use release_desk::db::console;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("react.sqlite")))
        .await
        .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let (id, _) = console::post(&mut conn, "cab", "poll", None).await.unwrap();
    for user in ["ann", "bob", "cid"] {
        assert!(console::add_reaction(&mut conn, id, user, "✅").await.unwrap());
    }
    assert!(console::remove_reaction(&mut conn, id, "ann", "✅")
        .await
        .unwrap());
    if db.backend() == release_desk::db::Backend::Postgres {
        release_desk::db::query("VACUUM console_reactions")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert!(console::add_reaction(&mut conn, id, "dee", "✅").await.unwrap());
    assert!(console::add_reaction(&mut conn, id, "ann", "✅").await.unwrap());
    let order: Vec<String> = console::reactors(&mut conn, id, "✅")
        .await
        .unwrap()
        .into_iter()
        .map(|(user, _)| user)
        .collect();
    assert_eq!(order, ["bob", "cid", "dee", "ann"]);
}
