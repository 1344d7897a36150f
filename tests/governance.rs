//! Governance over real handlers on a real SQLite file: each governance
//! refusal changes nothing, row contents included; and over random command
//! sequences no poll is approved below its quorum and no release closes with
//! a blocking incident open.

mod common;

use common::Harness;
use proptest::prelude::*;
use release_desk::config::Config;
use release_desk::db::Db;
use release_desk::handlers::Reply;
use std::collections::BTreeMap;

fn config() -> Config {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/governance.toml");
    Config::from_layers(Some(&std::fs::read_to_string(path).unwrap())).unwrap()
}

/// Every row of every table, each column quoted (columns from
/// `pragma_table_info`), so a change of any value shows, not only of counts.
async fn contents(db: &Db) -> BTreeMap<String, Vec<String>> {
    let tables = common::table_names(db).await;
    let mut out = BTreeMap::new();
    for t in tables {
        let cols = common::column_names(db, &t).await;
        assert!(!cols.is_empty(), "table {t} has no columns?");
        let row = cols
            .iter()
            .map(|c| format!("{}(\"{c}\")", common::quote_fn(db)))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let rows: Vec<String> =
            release_desk::db::query_scalar(&format!("SELECT {row} FROM \"{t}\" ORDER BY 1"))
                .fetch_all(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("reading {t}: {e}"));
        out.insert(t, rows);
    }
    out
}

const SETUP: &str = r#":as rita
/rfc new title:"Rotate logs" type:standard risk:low impact:none
/rfc new title:"Tune cache" type:normal risk:low impact:none
:as rm release_manager
/release new name:Logs version:1.0.0 rfcs:RFC-1
/release new name:Cache version:1.0.0 rfcs:RFC-2
/release plan id:REL-1 backout:b acceptance:a
/release plan id:REL-2 backout:b acceptance:a
/release submit id:REL-1
/release submit id:REL-2
:as c1 cab_member
:react last:#cab ✅
:as c2 cab_member
:react last:#cab ✅
:as rm release_manager
/release prepare id:REL-1 validation:v
/release prepare id:REL-2 validation:v
:as bob build_manager
/package add release:REL-1 item:logrotate version:1.0.0
/package add release:REL-2 item:cache version:1.0.0
/package baseline release:REL-1
/package baseline release:REL-2
/release build id:REL-1
/release build id:REL-2
/release test id:REL-1 result:pass
/release test id:REL-2 result:pass
:as carol change_manager
/release authorize id:REL-1 decision:approve
:as dan deployment_staff
/deploy plan release:REL-1 env:staging steps:go
/deploy start release:REL-1 env:staging
/deploy step release:REL-1 env:staging step:1 status:done
/deploy verify release:REL-1 env:staging result:confirmed
/deploy plan release:REL-1 env:prod steps:go
/deploy start release:REL-1 env:prod
/deploy step release:REL-1 env:prod step:1 status:done
/deploy verify release:REL-1 env:prod result:confirmed
:as sam els_staff
/incident new release:REL-1 severity:1 defect:code title:"down"
"#;

async fn state_of(db: &Db, number: i64) -> (String, Option<String>) {
    release_desk::db::query_as("SELECT state, closure FROM releases WHERE number = $1")
        .bind(number)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn assert_refused_unchanged(h: &Harness, cases: &[(&str, &str, &str)]) {
    for (who, roles, line) in cases {
        let before = contents(&h.app.db).await;
        let reply = h.command_only(who, roles, line).await;
        h.settle().await;
        assert!(
            matches!(reply, Reply::Private(_)),
            "{line} was not refused: {reply:?}"
        );
        assert_eq!(contents(&h.app.db).await, before, "{line} changed something");
    }
}

#[tokio::test]
async fn governance_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("gov.sqlite"), config()).await;
    h.run(SETUP).await;
    h.settle().await;
    assert_eq!(state_of(&h.app.db, 1).await.0, "early-life-support");
    assert_eq!(state_of(&h.app.db, 2).await.0, "awaiting-authorization");
    assert_refused_unchanged(
        &h,
        &[
            ("rm", "release_manager", "/release schedule id:REL-2"),
            ("rm", "release_manager", "/release close id:REL-1 handover:h"),
            (
                "rm",
                "release_manager",
                "/release close id:REL-1 handover:h early:e",
            ),
            (
                "rm",
                "release_manager,change_manager",
                "/release authorize id:REL-2 decision:approve",
            ),
            (
                "rita",
                "change_manager",
                "/release authorize id:REL-2 decision:approve",
            ),
            (
                "dan",
                "deployment_staff",
                "/audit record release:REL-2 env:staging found:cache=1.0.0",
            ),
            (
                "dan",
                "deployment_staff",
                "/audit record release:REL-1 env:nowhere found:logrotate=1.0.0",
            ),
            ("rm", "release_manager", "/release review id:REL-2 findings:f"),
            (
                "dan",
                "deployment_staff",
                "/deploy backout release:REL-1 env:staging reason:r",
            ),
        ],
    )
    .await;
    // Resolved, then backed out of production during early life support.
    h.run(":as sam els_staff\n/incident resolve id:INC-1 effort:1\n:as dan deployment_staff\n/deploy backout release:REL-1 env:prod reason:\"disk full\"\n")
        .await;
    h.settle().await;
    assert_eq!(state_of(&h.app.db, 1).await.0, "backed-out");
    assert_refused_unchanged(
        &h,
        &[
            ("rm", "release_manager", "/release close id:REL-1 handover:h"),
            (
                "rm",
                "release_manager",
                "/release close id:REL-1 handover:h outcome:successful-with-issues",
            ),
            (
                "rm",
                "release_manager",
                "/release close id:REL-1 handover:h outcome:unsuccessful",
            ),
        ],
    )
    .await;
    // With the review, the unsuccessful close goes through and is recorded.
    let reply = h
        .command_only("rm", "release_manager", "/release review id:REL-1 findings:f")
        .await;
    assert!(matches!(reply, Reply::Public(_)), "{reply:?}");
    let reply = h
        .command_only(
            "rm",
            "release_manager",
            "/release close id:REL-1 handover:h outcome:unsuccessful",
        )
        .await;
    assert!(matches!(reply, Reply::Public(_)), "{reply:?}");
    assert_eq!(
        state_of(&h.app.db, 1).await,
        ("closed".to_string(), Some("unsuccessful".to_string()))
    );
    let outcome: String = release_desk::db::query_scalar("SELECT outcome FROM release_outcomes")
        .fetch_one(&h.app.db.pool)
        .await
        .unwrap();
    assert_eq!(outcome, "unsuccessful");
    // The RFC of a failed change may go into another release.
    let status: String = release_desk::db::query_scalar("SELECT status FROM rfcs WHERE number = 1")
        .fetch_one(&h.app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "open");
}

#[tokio::test]
async fn the_contents_check_sees_a_changed_value_with_the_same_row_count() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("check.sqlite"), config()).await;
    h.run(":as rm release_manager\n/rfc new title:T type:normal risk:low impact:i\n")
        .await;
    h.settle().await;
    let before = contents(&h.app.db).await;
    assert!(before["rfcs"].len() == 1, "{:?}", before["rfcs"]);
    release_desk::db::query("UPDATE rfcs SET title = 'changed'")
        .execute(&h.app.db.pool)
        .await
        .unwrap();
    let after = contents(&h.app.db).await;
    assert_eq!(before["rfcs"].len(), after["rfcs"].len());
    assert_ne!(before, after);
}

#[tokio::test]
async fn a_second_early_life_support_gets_its_own_end() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("els.sqlite"), config()).await;
    h.run(SETUP).await;
    h.settle().await;
    let ended = |h: &Harness| {
        h.output()
            .matches("Early life support of REL-1 Logs has ended")
            .count()
    };
    // Backed out a day in, deployed again a day later: the first end (day 3) is not the second's (day 5).
    h.run(":advance 1d\n:as sam els_staff\n/incident resolve id:INC-1 effort:1\n:as dan deployment_staff\n/deploy backout release:REL-1 env:prod reason:r\n:advance 1d\n/deploy plan release:REL-1 env:prod steps:go\n/deploy start release:REL-1 env:prod\n/deploy step release:REL-1 env:prod step:1 status:done\n/deploy verify release:REL-1 env:prod result:confirmed\n:advance 1d\n")
        .await;
    h.settle().await;
    assert_eq!(state_of(&h.app.db, 1).await.0, "early-life-support");
    assert_eq!(
        ended(&h),
        0,
        "the first end was announced for the second early life support"
    );
    h.run(":advance 2d\n").await;
    h.settle().await;
    assert!(ended(&h) >= 1, "the second end was not announced");
}

/// The rule that applies to a release's polls, from its RFCs and the config.
async fn applicable_quorum(db: &Db, release_id: i64, c: &Config) -> u32 {
    let (emergency, high): (i64, bool) = release_desk::db::query_as(
        "SELECT r.emergency, EXISTS (SELECT 1 FROM release_rfcs l JOIN rfcs f ON f.id = l.rfc_id
                                      WHERE l.release_id = r.id AND f.risk = 'high')
         FROM releases r WHERE r.id = $1",
    )
    .bind(release_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    if emergency != 0 {
        c.cab.emergency_quorum
    } else if high {
        c.cab.quorum_high
    } else {
        c.cab.quorum
    }
}

/// Every approved poll: its quorum is the one that applies; it closed with
/// at least that many counted votes, and, when early, that many approvals.
async fn approvals_hold_their_quorum(db: &Db, c: &Config) -> Result<usize, String> {
    let polls: Vec<(i64, i64, i64, String, String)> = release_desk::db::query_as(
        "SELECT id, release_id, quorum, closed_at, deadline FROM polls WHERE outcome = 'approved'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (id, release, quorum, closed_at, deadline) in &polls {
        let q = applicable_quorum(db, *release, c).await;
        let (counted, approvals): (i64, i64) = release_desk::db::query_as(
            "SELECT COUNT(DISTINCT user), COUNT(DISTINCT CASE WHEN vote = 'approve' THEN user END) FROM votes
             WHERE poll_id = $1 AND action = 'count' AND counted = 1 AND at = $2",
        )
        .bind(id)
        .bind(closed_at)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if *quorum != q as i64 {
            return Err(format!("poll {id} ran under quorum {quorum}, {q} applies"));
        }
        if counted < q as i64 {
            return Err(format!("poll {id} approved with {counted} votes, quorum {q}"));
        }
        let early = chrono::DateTime::parse_from_rfc3339(closed_at).unwrap()
            < chrono::DateTime::parse_from_rfc3339(deadline).unwrap();
        if early && approvals < q as i64 {
            return Err(format!(
                "poll {id} approved early with {approvals} approvals, quorum {q}"
            ));
        }
    }
    Ok(polls.len())
}

async fn states(db: &Db) -> Vec<(i64, i64, String)> {
    release_desk::db::query_as("SELECT id, number, state FROM releases ORDER BY number")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn blocking_open(db: &Db, release_id: i64, threshold: u8) -> i64 {
    release_desk::db::query_scalar(
        "SELECT COUNT(*) FROM incidents WHERE release_id = $1 AND resolved_at IS NULL AND severity <= $2",
    )
    .bind(release_id)
    .bind(threshold as i64)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_quorum_check_catches_a_poll_approved_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = config();
    let h = Harness::with_config(&dir.path().join("q.sqlite"), c.clone()).await;
    h.run(":as rita\n/rfc new title:T type:normal risk:high impact:i\n:as rm release_manager\n/release new name:N version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n/release submit id:REL-1\n")
        .await;
    h.settle().await;
    for u in ["c1", "c2", "c3"] {
        h.run(&format!(":as {u} cab_member\n:react last:#cab ✅\n")).await;
        h.settle().await;
    }
    assert_eq!(approvals_hold_their_quorum(&h.app.db, &c).await, Ok(1));
    // The same poll, had it run under a lower quorum, is caught.
    let mut low = c.clone();
    low.cab.quorum_high = 4;
    assert!(approvals_hold_their_quorum(&h.app.db, &low).await.is_err());
}

const PROP_SETUP: &str = r#":as rita
/rfc new title:S type:standard risk:low impact:i
/rfc new title:H type:normal risk:high impact:i
/rfc new title:L type:normal risk:low impact:i
/rfc new title:E type:emergency risk:high impact:i
:as rm release_manager
/release new name:S version:1.0.0 rfcs:RFC-1
/release new name:H version:1.0.0 rfcs:RFC-2
/release new name:L version:1.0.0 rfcs:RFC-3
/release new name:E version:1.0.0 rfcs:RFC-4
/release plan id:REL-1 backout:b acceptance:a
/release plan id:REL-2 backout:b acceptance:a
/release plan id:REL-3 backout:b acceptance:a
/release plan id:REL-4 backout:b acceptance:a
"#;

/// One random step: a release, and which of the commands that fit its
/// state to try (or, now and then, any command at all), so runs get deep.
#[derive(Debug, Clone)]
struct Step {
    id: i64,
    pick: usize,
    n: u8,
    vote: &'static str,
    outcome: &'static str,
    early: bool,
    noise: bool,
}

fn step() -> impl Strategy<Value = Step> {
    let vote = prop_oneof![4 => Just("✅"), 1 => Just("❌"), 1 => Just("🤷")];
    let outcome = prop_oneof![
        Just("successful"),
        Just("successful-with-issues"),
        Just("unsuccessful")
    ];
    (
        1i64..5,
        0usize..12,
        1u8..5,
        vote,
        outcome,
        any::<bool>(),
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(id, pick, n, vote, outcome, early, noise)| Step {
            id,
            pick,
            n,
            vote,
            outcome,
            early,
            noise,
        })
}

/// The console lines a step stands for, given the release's state now.
fn lines(s: &Step, state: &str, env: Option<&str>, emergency: bool) -> String {
    let id = s.id;
    let n = s.n;
    let env = env.unwrap_or("prod");
    let early = if s.early { " early:e" } else { "" };
    let close = format!(
        ":as rm release_manager\n/release close id:REL-{id} handover:h outcome:{}{early}",
        s.outcome
    );
    let vote = if emergency {
        format!(":as e{n} ecab_member\n:react last:#ecab {}", s.vote)
    } else {
        format!(":as c{n} cab_member\n:react last:#cab {}", s.vote)
    };
    let incident =
        format!(":as sam els_staff\n/incident new release:REL-{id} severity:{n} defect:code title:t");
    let resolve = format!(":as sam els_staff\n/incident resolve id:INC-{n} effort:1");
    let review = format!(":as rm release_manager\n/release review id:REL-{id} findings:f");
    let dan = ":as dan deployment_staff";
    let options: Vec<String> = match (s.noise, state) {
        (false, "planning") => vec![format!(":as rm release_manager\n/release submit id:REL-{id}")],
        (false, "plan-review") => vec![
            vote.clone(),
            vote,
            format!(":as carol change_manager\n:react last:#cab {}", s.vote),
            ":advance 6h".into(),
        ],
        (false, "preparing") => vec![format!(":as rm release_manager\n/release prepare id:REL-{id} validation:v")],
        (false, "building") => vec![format!(
            ":as bob build_manager\n/package add release:REL-{id} item:x version:1.0.0\n/package baseline release:REL-{id}\n/release build id:REL-{id}"
        )],
        (false, "testing") => vec![format!(":as bob build_manager\n/release test id:REL-{id} result:pass")],
        (false, "awaiting-authorization") => {
            vec![format!(":as carol change_manager\n/release authorize id:REL-{id} decision:approve")]
        }
        (false, "deployment-planning") => vec![format!(
            "{dan}\n/deploy plan release:REL-{id} env:{env} steps:go\n/deploy start release:REL-{id} env:{env}\n/deploy step release:REL-{id} env:{env} step:1 status:done"
        )],
        (false, "verifying") => vec![
            format!("{dan}\n/deploy verify release:REL-{id} env:{env} result:confirmed"),
            format!("{dan}\n/deploy verify release:REL-{id} env:{env} result:confirmed"),
            format!("{dan}\n/deploy backout release:REL-{id} env:{env} reason:r"),
        ],
        (false, "early-life-support") => vec![
            incident.clone(),
            incident,
            resolve.clone(),
            close.clone(),
            close.clone(),
            review.clone(),
            format!("{dan}\n/deploy backout release:REL-{id} env:prod reason:r"),
            ":advance 2d".into(),
        ],
        (false, "backed-out") => vec![
            format!("{dan}\n/deploy plan release:REL-{id} env:{env} steps:go"),
            review,
            close.clone(),
            resolve,
        ],
        // Anything, in any state: the rules must hold against stray commands too.
        _ => vec![
            close,
            incident,
            resolve,
            review,
            vote,
            format!("{dan}\n/deploy backout release:REL-{id} env:{env} reason:r"),
            format!(":as rm release_manager\n/release submit id:REL-{id}"),
            ":advance 2d".into(),
        ],
    };
    options[s.pick % options.len()].clone()
}

async fn state_env(db: &Db, number: i64) -> (String, Option<String>, bool) {
    release_desk::db::query_as("SELECT state, state_env, emergency = 1 FROM releases WHERE number = $1")
        .bind(number)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn no_approval_below_quorum_and_no_close_over_a_blocking_incident(steps in proptest::collection::vec(step(), 60..160)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let c = config();
            let threshold = c.block_close_severity;
            let h = Harness::with_config(&dir.path().join("prop.sqlite"), c.clone()).await;
            h.run(PROP_SETUP).await;
            h.settle().await;
            for s in &steps {
                let (state, env, emergency) = state_env(&h.app.db, s.id).await;
                let script = lines(s, &state, env.as_deref(), emergency);
                let before = states(&h.app.db).await;
                h.run(&script).await;
                h.settle().await;
                let after = states(&h.app.db).await;
                for ((row, number, now), (_, _, was)) in after.iter().zip(&before) {
                    if now == "closed" && was != "closed" {
                        let open = blocking_open(&h.app.db, *row, threshold).await;
                        prop_assert_eq!(open, 0, "REL-{} closed ({}) with {} blocking incident(s) open", number, script, open);
                    }
                }
                if let Err(e) = approvals_hold_their_quorum(&h.app.db, &c).await {
                    prop_assert!(false, "after {}: {}", script, e);
                }
            }
            Ok(())
        })?;
    }
}
