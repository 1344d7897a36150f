//! Invariants over real handlers on a real SQLite file: a refused or invalid
//! command changes nothing; every change writes audit entries; nothing leaves
//! Closed; test runs only grow.

mod common;

use common::{snapshot, sql_count, Harness};
use proptest::prelude::*;
use release_desk::handlers::Reply;

const SETUP: &str = ":as rita\n/rfc new title:A type:normal risk:low impact:i\n/rfc new title:B type:emergency risk:high impact:i\n\
/rfc new title:C type:normal risk:high impact:i\n:as rm release_manager\n/release new name:One version:1.0.0 rfcs:RFC-1\n";

#[tokio::test]
async fn refused_and_invalid_commands_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("refused.sqlite")).await;
    h.run(SETUP).await;
    h.settle().await;
    let before = snapshot(&h.app.db).await;
    for (who, roles, line) in [
        (
            "bob",
            "build_manager",
            "/release new name:x version:1.0.0 rfcs:RFC-2",
        ),
        ("rm", "release_manager", "/release submit id:REL-1"),
        ("rm", "release_manager", "/release build id:REL-1"),
        (
            "rm",
            "release_manager",
            "/release new name:x version:1.0.0 rfcs:RFC-1",
        ),
        (
            "rm",
            "release_manager",
            "/release new name:x version:one rfcs:RFC-2",
        ),
        (
            "rm",
            "release_manager",
            "/release new name:x version:1.0.0 rfcs:RFC-9",
        ),
        ("rm", "release_manager", "/release close id:REL-1 handover:h"),
        ("rm", "release_manager", "/release plan id:REL-9 backout:b"),
        ("bob", "build_manager", "/package baseline release:REL-1"),
        (
            "bob",
            "build_manager",
            "/package add release:REL-1 item:a version:1 requires:>=2",
        ),
        (
            "bob",
            "build_manager",
            "/package remove release:REL-1 item:nothing",
        ),
        (
            "carol",
            "change_manager",
            "/release authorize id:REL-1 decision:approve",
        ),
        ("x", "", "/rfc withdraw id:RFC-1"),
        (
            "x",
            "",
            "/rfc new title:\"unterminated type:normal risk:low impact:i",
        ),
        ("x", "", "/nonsense"),
    ] {
        let reply = h.command_only(who, roles, line).await;
        assert!(
            matches!(reply, Reply::Private(_)),
            "{line} answered publicly: {reply:?}"
        );
        h.settle().await;
        assert_eq!(snapshot(&h.app.db).await, before, "{line} changed something");
    }
}

fn command() -> impl Strategy<Value = (&'static str, &'static str, String)> {
    let id = prop_oneof![8 => Just("REL-1"), 1 => Just("REL-2"), 1 => Just("REL-3")];
    let rfc = prop_oneof![Just("RFC-1"), Just("RFC-2"), Just("RFC-3")];
    let who = prop_oneof![
        6 => Just(("boss", "release_manager,build_manager,change_manager")),
        1 => Just(("rm", "release_manager")),
        1 => Just(("bob", "build_manager")),
        1 => Just(("carol", "change_manager")),
        1 => Just(("rita", "")),
    ];
    let line = (id, rfc, 0usize..28, any::<bool>()).prop_map(|(id, rfc, k, flag)| match k {
        0 => format!("/release new name:N version:1.0.0 rfcs:{rfc}"),
        1 => format!("/release plan id:{id} backout:b acceptance:a"),
        2 => format!("/release submit id:{id}"),
        3 => format!("/release prepare id:{id} validation:v"),
        4 => format!(
            "/package add release:{id} item:api version:1.{} requires:\"db>=1\"",
            flag as u8
        ),
        5 => format!(
            "/package add release:{id} item:db version:{}.0.0",
            if flag { 1 } else { 0 }
        ),
        6 => format!("/package baseline release:{id}"),
        7 => format!("/release build id:{id}"),
        8 => format!(
            "/release test id:{id} result:{}",
            if flag { "pass" } else { "fail" }
        ),
        9 => format!(
            "/release authorize id:{id} decision:{}",
            if flag { "approve" } else { "reject" }
        ),
        10 => format!("/release cancel id:{id}"),
        11 => format!("/release close id:{id} handover:h early:e"),
        12 => format!("/rfc withdraw id:{rfc}"),
        13 => format!("/subscribe target:{id}"),
        14 => format!("/package remove release:{id} item:db"),
        15 => format!("/release show id:{id}"),
        16 => ":as c1 cab_member\n:react last:#cab ✅".to_string(),
        17 => format!(
            ":as c2 cab_member\n:react last:#cab {}",
            if flag { "✅" } else { "❌" }
        ),
        18 => ":advance 2d".to_string(),
        // The lifecycle's forward steps again, so random runs get deep.
        19 => format!("/release submit id:{id}"),
        20 => format!("/release prepare id:{id} validation:v"),
        21 => ":as c1 cab_member\n:react last:#cab ✅".to_string(),
        22 => ":as c2 cab_member\n:react last:#cab ✅".to_string(),
        23 => format!("/package baseline release:{id}"),
        24 => format!("/release build id:{id}"),
        25 => format!("/release test id:{id} result:pass"),
        26 => format!("/release authorize id:{id} decision:approve"),
        _ => format!("/package add release:{id} item:db version:1.0.0"),
    });
    (who, line).prop_map(|((u, r), l)| (u, r, l))
}

async fn states(h: &Harness) -> Vec<(i64, String, i64)> {
    release_desk::db::query_as("SELECT number, state, test_runs FROM releases ORDER BY number")
        .fetch_all(&h.app.db.pool)
        .await
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn random_command_sequences_keep_the_invariants(cmds in proptest::collection::vec(command(), 20..90)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            // Two approvals decide early, so random runs get past the CAB.
            let config = release_desk::config::Config::from_layers(Some("[cab]\nquorum = 2\nearly_approval = 2\n[calendar]\nwindows = []\n")).unwrap();
            let h = Harness::with_config(&dir.path().join("prop.sqlite"), config).await;

            h.run(SETUP).await;
            h.settle().await;
            for (who, roles, line) in cmds {
                let records_before = snapshot(&h.app.db).await;
                let audit_before = sql_count(&h.app.db, "SELECT COUNT(*) FROM audit").await;
                let states_before = states(&h).await;
                if line.starts_with(':') {
                    // Votes and time: the bot's own doing, audited as such; only the invariants below apply.
                    h.run(&line).await;
                    h.settle().await;
                    continue;
                }
                let reply = h.command_only(who, roles, &line).await;
                h.settle().await;
                let changed = snapshot(&h.app.db).await != records_before;
                let audited = sql_count(&h.app.db, "SELECT COUNT(*) FROM audit").await > audit_before;
                prop_assert_eq!(changed, audited, "{} changed={} audited={} reply={:?}", line, changed, audited, reply);
                if !line.starts_with("/subscribe") {
                    prop_assert_eq!(changed, matches!(reply, Reply::Public(_)), "{}: {:?}", line, reply);
                }
                let now = states(&h).await;
                for (after, before) in now.iter().zip(&states_before) {
                    prop_assert!(after.2 >= before.2, "test runs went down: {:?} → {:?}", before, after);
                    if before.1 == "closed" {
                        prop_assert_eq!(after, before, "a closed release moved");
                    }
                }
            }
            Ok(())
        })?;
    }
}

/// The snapshot sees contents, not only counts: one column of one row
/// changed, with the row count the same, changes it.
#[tokio::test]
async fn the_snapshot_sees_one_changed_column() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("snapshot.sqlite")).await;
    h.run(SETUP).await;
    h.settle().await;
    let before = snapshot(&h.app.db).await;
    assert!(
        before.contains("'A'"),
        "row contents are in the snapshot:\n{before}"
    );
    assert_eq!(snapshot(&h.app.db).await, before, "the snapshot is stable");
    release_desk::db::query("UPDATE rfcs SET impact = 'j' WHERE number = 2")
        .execute(&h.app.db.pool)
        .await
        .unwrap();
    let after = snapshot(&h.app.db).await;
    assert_ne!(after, before, "a changed column went unseen");
    assert_eq!(after.lines().count(), before.lines().count());
}
