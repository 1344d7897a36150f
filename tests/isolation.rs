//! Two servers (workspaces) in one real SQLite database: every function of
//! `db/` that reads or writes records, called for server A, never returns a
//! row of server B, and a write for A aimed at B's rows changes nothing.

mod common;
mod rows;

use chrono::{DateTime, Utc};
use release_desk::db::{self, metrics::Period, Db};

use std::fmt::Debug;

const A: &str = "a";
const B: &str = "b";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// One server's records, ids offset by `o`, names marked with the server:
/// a release in early life support with an RFC, a package item, a verified
/// production deployment, a running staging one holding the lock, an open
/// poll with a vote and a reaction that is none, a survey with an answer, an incident, a known error, a
/// configuration defect, a missed window, a freeze, a subscription, an
/// audit entry and the calendar's horizon.
fn seed(g: &str, o: i64) -> String {
    let (r, m) = (o + 1, o + 2);
    let digest = hex::encode(digest(o));
    format!(
        r#"
INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
  VALUES ({r}, '{g}', 1, 'RFC of {g}', 'normal', 'low', 'i', 'u-{g}', 'u', 'in-release', '2026-12-01T09:00:00.000Z');
INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, els_until, manager, manager_name,
    window_name, window_start, window_end, created_at, updated_at)
  VALUES ({r}, '{g}', 1, 'Release of {g}', '1.0.0', 0, '["staging","prod"]', 'early-life-support', '2026-12-20T00:00:00.000Z',
    'm-{g}', 'm', 'weekly', '2026-12-03T22:00:00.000Z', '2026-12-04T02:00:00.000Z', '2026-12-01T09:00:00.000Z',
    '2026-12-01T09:00:00.000Z');
INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, state_env, manager, manager_name,
    created_at, updated_at)
  VALUES ({m}, '{g}', 2, 'Second of {g}', '2.0.0', 0, '["staging","prod"]', 'deploying', 'staging', 'm-{g}', 'm',
    '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z');
INSERT INTO release_rfcs (release_id, rfc_id) VALUES ({r}, {r});
INSERT INTO package_items (release_id, name, kind, version, change, requires) VALUES ({r}, 'api-{g}', 'software', '1.0.0', 'changed', '');
INSERT INTO bot_messages (id, guild, channel, dm_user, platform_id, purpose) VALUES
  ({r}, '{g}', 'cab', NULL, '{g}-1', 'poll'), ({m}, '{g}', 'releases', NULL, '{g}-2', 'survey:{r}'),
  ({o} + 3, '{g}', 'deployments', NULL, '{g}-3', 'progress');
INSERT INTO deployments (id, release_id, env, attempt, steps, planned_by, planned_at, started_by, started_at, finished_at,
    outcome, message_id) VALUES
  ({r}, {r}, 'prod', 1, '[]', 'd-{g}', '2026-12-03T21:00:00.000Z', 'd-{g}', '2026-12-03T22:10:00.000Z',
    '2026-12-03T23:00:00.000Z', 'verified', {o} + 3),
  ({m}, {m}, 'staging', 1, '[]', 'd-{g}', '2026-12-03T21:00:00.000Z', 'd-{g}', '2026-12-03T22:10:00.000Z', NULL, NULL, NULL);
INSERT INTO env_locks (guild, env, deployment_id, taken_at) VALUES ('{g}', 'staging', {m}, '2026-12-03T22:10:00.000Z');
INSERT INTO polls (id, guild, release_id, revision, message_id, emergency, voting_role, quorum, rule, veto_roles,
    early_approval, submitter, notify_channel, opened_at, deadline)
  VALUES ({r}, '{g}', {m}, 1, {r}, 0, 'cab_member', 1, 'majority', 'change_manager', 0, 'm-{g}', 'general',
    '2026-12-01T10:00:00.000Z', '2026-12-03T10:00:00.000Z');
INSERT INTO votes (poll_id, "user", user_name, roles, vote, action, at, counted)
  VALUES ({r}, 'c-{g}', 'c', 'cab_member', 'approve', 'add', '2026-12-01T11:00:00.000Z', 1);
INSERT INTO poll_reactions (guild, poll_id, "user", user_name, emoji, action, at)
  VALUES ('{g}', {r}, 'd-{g}', 'd-{g}', '🎉', 'add', '2026-12-01T11:30:00.000Z');
INSERT INTO incidents (id, guild, number, release_id, env, severity, defect, title, opened_by, opened_at, resolved_by,
    resolved_at, effort_hours)
  VALUES ({r}, '{g}', 1, {r}, 'prod', 2, 'configuration', 'Incident of {g}', 'e-{g}', '2026-12-04T00:00:00.000Z', 'e-{g}',
    '2026-12-04T03:00:00.000Z', 1.5);
INSERT INTO known_errors (id, guild, number, release_id, description, workaround, created_by, created_at)
  VALUES ({r}, '{g}', 1, {r}, 'Known error of {g}', 'w', 'e-{g}', '2026-12-04T01:00:00.000Z');
INSERT INTO config_defects (release_id, env, item, kind, expected, found, recorded_by, recorded_at)
  VALUES ({r}, 'prod', 'api-{g}', 'other-version', '1.0.0', '0.9.0', 'a-{g}', '2026-12-05T00:00:00.000Z');
INSERT INTO survey_answers (message_id, release_id, "user", score, answered_at) VALUES ({m}, {r}, 'rita-{g}', 4, '2026-12-05T00:00:00.000Z');
INSERT INTO missed_windows (release_id, window_name, window_start, recorded_at)
  VALUES ({m}, 'weekly', '2026-11-26T22:00:00.000Z', '2026-11-27T02:00:00.000Z');
INSERT INTO freezes (guild, name, from_at, to_at, reason, declared_by, created_at)
  VALUES ('{g}', 'freeze of {g}', '2026-12-21T00:00:00.000Z', '2027-01-04T00:00:00.000Z', NULL, 'cm-{g}', '2026-12-01T00:00:00.000Z');
INSERT INTO subscriptions (guild, "user", user_name, target, via, channel, created_at)
  VALUES ('{g}', 's-{g}', 's', 'all', 'dm', 'general', '2026-12-01T00:00:00.000Z');
INSERT INTO audit (guild, at, actor, actor_name, record, action, before, after)
  VALUES ('{g}', '2026-12-01T09:00:00.000Z', 'm-{g}', 'm', 'REL-1', 'create', NULL, 'Release of {g}');
INSERT INTO calendar_state (guild, materialised_to) VALUES ('{g}', '2026-12-31T00:00:00.000Z');
INSERT INTO release_reviews (guild, release_id, findings, actions, reviewer, reviewer_name, at)
  VALUES ('{g}', {r}, 'Findings of {g}', NULL, 'm-{g}', 'm', '2026-12-06T00:00:00.000Z');
INSERT INTO release_outcomes (release_id, guild, outcome, closed_at)
  VALUES ({r}, '{g}', 'successful-with-issues', '2026-12-06T00:00:00.000Z');
INSERT INTO jobs (id, guild, kind, key, due_at, payload, done_at) VALUES
  ({r}, '{g}', 'gate-answer', 'gate-answer:{r}', '2026-12-03T22:00:00.000Z', '{{"release":{r}}}', NULL),
  ({m}, '{g}', 'gate-answer', 'gate-answer:{m}', '2026-12-03T22:00:00.000Z', '{{"release":{m}}}', '2026-12-03T22:00:01.000Z');
INSERT INTO api_tokens (guild, name, hash, scopes, created_at)
  VALUES ('{g}', 'ci{r}', '{digest}', 'readiness', '2026-12-01T00:00:00.000Z');
INSERT INTO api_answers (guild, token, key, status, body, at)
  VALUES ('{g}', 'ci{r}', 'k{r}', 201, '{{"release":{r}}}', '2026-12-01T00:00:00.000Z');
"#
    )
}

/// The digest of the API token seeded with offset `o`.
fn digest(o: i64) -> [u8; 32] {
    [o as u8 + 1; 32]
}

async fn database(dir: &std::path::Path, name: &str, guilds: &[(&str, i64)]) -> Db {
    let db = Db::open(&common::database_url(&dir.join(name))).await.unwrap();
    for (g, o) in guilds {
        release_desk::db::raw_sql(&seed(g, *o), &db.pool).await.unwrap();
    }
    db
}

/// Records one answer, as text.
fn put<T: Debug>(out: &mut Vec<String>, what: &str, v: anyhow::Result<T>) {
    out.push(format!("{what}: {:?}", v.map_err(|e| e.to_string())));
}

/// The answer of every reading function of `db/` for server `g`, asked
/// about the rows `r` (its release), `r + 1` (second release, poll's),
/// `r + 2` (survey message) and so on.
async fn reads(c: &mut release_desk::db::Conn, g: &str, o: i64) -> Vec<String> {
    let (r, m) = (o + 1, o + 2);
    let p = Period {
        from: t("2026-11-01T00:00:00Z"),
        to: t("2027-01-01T00:00:00Z"),
    };
    let mut out = Vec::new();
    put(&mut out, "releases::get", db::releases::get(c, g, 1).await);
    put(&mut out, "releases::by_row", db::releases::by_row(c, g, r).await);
    put(&mut out, "releases::list", db::releases::list(c, g, None).await);
    put(
        &mut out,
        "releases::booked_in",
        db::releases::booked_in(c, g, "weekly", t("2026-12-03T22:00:00Z")).await,
    );
    put(
        &mut out,
        "releases::booked_between",
        db::releases::booked_between(c, g, p.from, p.to).await,
    );
    put(
        &mut out,
        "releases::active_in",
        db::releases::active_in(c, g, "staging").await,
    );
    put(&mut out, "rfcs::get", db::rfcs::get(c, g, 1).await);
    put(&mut out, "rfcs::list", db::rfcs::list(c, g, None).await);
    put(
        &mut out,
        "rfcs::for_release",
        db::rfcs::for_release(c, g, r).await,
    );
    put(
        &mut out,
        "rfcs::releases_of",
        db::rfcs::releases_of(c, g, r).await,
    );
    put(&mut out, "packages::items", db::packages::items(c, g, r).await);
    put(
        &mut out,
        "deployments::latest",
        db::deployments::latest(c, g, r, "prod").await,
    );
    put(
        &mut out,
        "deployments::for_release",
        db::deployments::for_release(c, g, r).await,
    );
    put(
        &mut out,
        "deployments::by_row",
        db::deployments::by_row(c, g, r).await,
    );
    put(&mut out, "polls::get", db::polls::get(c, g, r).await);
    put(
        &mut out,
        "polls::by_message",
        db::polls::by_message(c, g, r).await,
    );
    put(
        &mut out,
        "polls::open_for_release",
        db::polls::open_for_release(c, g, m).await,
    );
    put(&mut out, "polls::open_polls", db::polls::open_polls(c, g).await);
    put(&mut out, "polls::ledger", db::polls::ledger(c, g, r).await);
    put(
        &mut out,
        "reactions::for_poll",
        db::reactions::for_poll(c, g, r).await,
    );
    put(
        &mut out,
        "polls::latest_for_release",
        db::polls::latest_for_release(c, g, m).await,
    );
    put(
        &mut out,
        "governance::reviews",
        db::governance::reviews(c, g, r)
            .await
            .map(|n| (n > 0).then_some(n)),
    );
    put(
        &mut out,
        "governance::outcome",
        db::governance::outcome(c, g, r).await,
    );
    put(&mut out, "incidents::get", db::incidents::get(c, g, 1).await);
    put(&mut out, "incidents::list", db::incidents::list(c, g, None).await);
    put(
        &mut out,
        "incidents::list of one",
        db::incidents::list(c, g, Some(r)).await,
    );
    put(
        &mut out,
        "incidents::known_errors",
        db::incidents::known_errors(c, g, r).await,
    );
    put(
        &mut out,
        "incidents::open_surveys",
        db::incidents::open_surveys(c, g).await,
    );
    put(
        &mut out,
        "incidents::survey_answers",
        db::incidents::survey_answers(c, g, m).await,
    );
    put(
        &mut out,
        "incidents::csat_for_release",
        db::incidents::csat_for_release(c, g, r).await,
    );
    put(
        &mut out,
        "calendar::freezes",
        db::calendar::freezes(c, g, p.from).await,
    );
    put(
        &mut out,
        "calendar::materialised_to",
        db::calendar::materialised_to(c, g).await,
    );
    put(
        &mut out,
        "metrics::measures",
        db::metrics::measures(c, g, p, 14).await,
    );
    put(
        &mut out,
        "metrics::weeks",
        db::metrics::weeks(c, g, p, p.from.date_naive(), 14).await,
    );
    put(
        &mut out,
        "metrics::figures",
        db::metrics::figures(
            c,
            g,
            p,
            p.from - chrono::Duration::days(30),
            p.from.date_naive(),
            14,
        )
        .await,
    );
    put(
        &mut out,
        "audit::for_record",
        db::audit::for_record(c, g, "REL-1").await,
    );
    put(&mut out, "audit::count", db::audit::count(c, g).await);
    put(
        &mut out,
        "subscriptions::for_release",
        db::subscriptions::for_release(c, g, 1).await,
    );
    put(
        &mut out,
        "deployments::lock_holder",
        db::deployments::lock_holder(c, g, "staging").await,
    );
    put(
        &mut out,
        "releases::by_version",
        db::releases::by_version(c, g, "1.0.0").await,
    );
    put(
        &mut out,
        "gate::open_job",
        db::gate::open_job(c, g, &format!("gate-answer:{r}")).await,
    );
    put(&mut out, "tokens::list", db::tokens::list(c, g).await);
    put(&mut out, "tokens::find", db::tokens::find(c, g, &digest(o)).await);
    put(
        &mut out,
        "tokens::answer",
        db::tokens::answer(c, g, &format!("ci{r}"), &format!("k{r}")).await,
    );
    put(&mut out, "gauges::counts", db::gauges::counts(c, g).await);
    out
}

#[tokio::test]
async fn reads_for_one_server_never_see_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let alone = database(dir.path(), "alone.sqlite", &[(A, 0)]).await;
    let shared = database(dir.path(), "shared.sqlite", &[(A, 0), (B, 100)]).await;
    let mut c1 = alone.pool.acquire().await.unwrap();
    let mut c2 = shared.pool.acquire().await.unwrap();
    let by_itself = reads(&mut c1, A, 0).await;
    let beside_b = reads(&mut c2, A, 0).await;
    for (x, y) in by_itself.iter().zip(&beside_b) {
        assert_eq!(x, y, "server B's rows change server A's answer");
    }
    // Each answer holds A's records (the comparison is not between empties),
    // and nothing names B.
    for line in &beside_b {
        assert!(!line.contains("of b") && !line.contains("-b"), "{line}");
        let empty = line.ends_with("Ok(None)") || line.ends_with("Ok([])") || line.contains("Err(");
        assert!(!empty, "an answer without A's records proves nothing: {line}");
    }
    let measures = beside_b
        .iter()
        .find(|l| l.starts_with("metrics::measures"))
        .unwrap();
    assert!(
        measures.contains("planned: 1,") && measures.contains("missed_windows: 1,"),
        "{measures}"
    );
    // Asked about B's rows by id, with A's name: nothing.
    let probes = reads(&mut c2, A, 100).await;
    for (what, line) in [
        "releases::by_row",
        "rfcs::for_release",
        "rfcs::releases_of",
        "packages::items",
        "deployments::latest",
        "deployments::for_release",
        "deployments::by_row",
        "polls::get",
        "polls::by_message",
        "polls::open_for_release",
        "polls::ledger",
        "reactions::for_poll",
        "polls::latest_for_release",
        "governance::reviews",
        "governance::outcome",
        "incidents::list of one",
        "incidents::known_errors",
        "incidents::survey_answers",
        "incidents::csat_for_release",
        "gate::open_job",
        "tokens::find",
        "tokens::answer",
    ]
    .iter()
    .map(|w| {
        (
            w,
            probes.iter().find(|l| l.starts_with(&format!("{w}:"))).unwrap(),
        )
    }) {
        let nothing = line.ends_with("Ok(None)")
            || line.ends_with("Ok([])")
            || line.contains("Ok((None, 0))")
            || line.contains("Err(");
        assert!(nothing, "{what} for A returned B's rows: {line}");
    }
}

#[tokio::test]
async fn writes_for_one_server_never_touch_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), "shared.sqlite", &[(A, 0), (B, 100)]).await;
    let mut c = db.pool.acquire().await.unwrap();
    let c = &mut c;
    // B's records as B reads them, to aim A's writes at.
    let release = db::releases::by_row(c, B, 101).await.unwrap();
    let deployment = db::deployments::by_row(c, B, 101).await.unwrap();
    let incident = db::incidents::get(c, B, 1).await.unwrap().unwrap();
    let known = db::incidents::known_errors(c, B, 101).await.unwrap().remove(0);
    let item = db::packages::items(c, B, 101).await.unwrap().remove(0);
    let poll = db::polls::get(c, B, 101).await.unwrap().unwrap();
    let vote = db::polls::ledger(c, B, 101).await.unwrap().remove(0);
    let now = t("2026-12-06T00:00:00Z");
    let before = rows::contents(&db.pool).await;

    let mut out = Vec::new();
    put(
        &mut out,
        "releases::save",
        db::releases::save(c, A, &release).await,
    );
    put(
        &mut out,
        "releases::link_rfc",
        db::releases::link_rfc(c, A, 101, 101).await,
    );
    put(
        &mut out,
        "releases::link_rfc A to B",
        db::releases::link_rfc(c, A, 2, 101).await,
    );
    put(
        &mut out,
        "rfcs::set_status",
        db::rfcs::set_status(c, A, 101, release_desk::domain::rfc::RfcStatus::Withdrawn).await,
    );
    put(
        &mut out,
        "packages::upsert",
        db::packages::upsert(c, A, 101, &item).await,
    );
    let removed = db::packages::remove(c, A, 101, &item.name).await;
    put(
        &mut out,
        "deployments::insert",
        db::deployments::insert(c, A, &deployment).await,
    );
    put(
        &mut out,
        "deployments::save",
        db::deployments::save(c, A, &deployment).await,
    );
    // A's own lock is free for "prod": B's deployment must not take it.
    put(
        &mut out,
        "deployments::lock",
        db::deployments::lock(c, A, "prod", 102, now).await,
    );
    db::deployments::unlock(c, A, 102).await.unwrap();
    let new_poll = db::polls::NewPoll {
        release_row: 102,
        revision: 1,
        message_id: 101,
        rules: &poll.rules,
        submitter: "x",
        notify_channel: "general",
    };
    put(
        &mut out,
        "polls::open",
        db::polls::open(c, A, &new_poll, now).await,
    );
    let closed = db::polls::close(c, A, 101, db::polls::PollClose::Approved, now).await;
    put(
        &mut out,
        "polls::record_vote",
        db::polls::record_vote(c, A, 101, &vote).await,
    );
    let reaction = release_desk::domain::reactions::Reaction {
        user: "x".into(),
        name: "x".into(),
        emoji: "✔️".into(),
        added: true,
    };
    put(
        &mut out,
        "reactions::record",
        db::reactions::record(c, A, 101, &reaction, now).await,
    );
    let incident = release_desk::domain::records::Incident {
        number: 9,
        ..incident
    };
    put(
        &mut out,
        "incidents::insert",
        db::incidents::insert(c, A, &incident).await,
    );
    put(
        &mut out,
        "incidents::resolve",
        db::incidents::resolve(c, A, 101, "x", 1.0, None, now).await,
    );
    let known = release_desk::domain::records::KnownError { number: 9, ..known };
    put(
        &mut out,
        "incidents::add_known_error",
        db::incidents::add_known_error(c, A, &known).await,
    );
    let defect = db::incidents::ConfigDefect {
        item: "x".into(),
        kind: "missing",
        expected: None,
        found: None,
    };
    put(
        &mut out,
        "incidents::add_config_defects",
        db::incidents::add_config_defects(c, A, 101, "prod", &[defect], "x", now).await,
    );
    put(
        &mut out,
        "incidents::answer_survey",
        db::incidents::answer_survey(c, A, 102, 101, "rita-b", 1, now).await,
    );
    let withdrawn = db::incidents::withdraw_answer(c, A, 102, "rita-b", 4).await;
    let missed = db::calendar::record_missed(c, A, 101, "weekly", t("2026-12-10T22:00:00Z"), now).await;
    let review = db::governance::Review {
        findings: "x".into(),
        actions: None,
        reviewer: "x".into(),
        reviewer_name: "x".into(),
        at: now,
    };
    put(
        &mut out,
        "governance::add_review",
        db::governance::add_review(c, A, 101, &review).await,
    );
    put(
        &mut out,
        "governance::record_outcome",
        db::governance::record_outcome(
            c,
            A,
            102,
            release_desk::domain::release::CloseOutcome::Unsuccessful,
            now,
        )
        .await,
    );
    let rfc = db::rfcs::get(c, B, 1).await.unwrap().unwrap();
    put(
        &mut out,
        "workflow::save_rfc_text",
        db::workflow::save_rfc_text(c, A, &rfc).await,
    );
    put(
        &mut out,
        "workflow::save_release_identity",
        db::workflow::save_release_identity(c, A, &release).await,
    );
    let unlinked = db::workflow::unlink_rfc(c, A, 101, 101).await;
    let lifted = db::workflow::remove_freeze(c, A, "freeze of b", now).await;
    let settler = db::polls::Settled {
        by: "x".into(),
        by_name: "x".into(),
        reason: None,
        at: now,
    };
    let settled = db::polls::settle(c, A, 101, None, &settler).await;
    let reopened = db::gate::reopen(c, A, 102).await;
    let revoked = db::tokens::revoke(&db, A, "ci101", now).await;

    for line in &out {
        assert!(
            line.contains("is not a record of workspace a"),
            "a write for A reached B: {line}"
        );
    }
    for (what, r) in [
        ("packages::remove", removed),
        ("polls::close", closed),
        ("incidents::withdraw_answer", withdrawn),
        ("calendar::record_missed", missed),
        ("workflow::unlink_rfc", unlinked),
        ("workflow::remove_freeze", lifted),
        ("polls::settle", settled),
        ("gate::reopen", reopened),
        ("tokens::revoke", revoked),
    ] {
        assert!(!r.unwrap(), "{what} for A changed B's row");
    }
    let after = rows::contents(&db.pool).await;
    assert!(
        after == before,
        "a write for A changed the database:\n{}",
        rows::diff(&before, &after)
    );

    // The same writes for B itself do go through: the filter is not a wall.
    db::packages::upsert(c, B, 101, &item).await.unwrap();
    db::reactions::record(c, B, 101, &reaction, now).await.unwrap();
    assert!(db::polls::close(c, B, 101, db::polls::PollClose::Approved, now)
        .await
        .unwrap());
    assert!(db::incidents::withdraw_answer(c, B, 102, "rita-b", 4)
        .await
        .unwrap());
    assert!(
        db::calendar::record_missed(c, B, 101, "weekly", t("2026-12-10T22:00:00Z"), now)
            .await
            .unwrap()
    );
    db::rfcs::set_status(c, B, 101, release_desk::domain::rfc::RfcStatus::Withdrawn)
        .await
        .unwrap();
    assert!(db::gate::reopen(c, B, 102).await.unwrap());
    assert!(db::tokens::revoke(&db, B, "ci101", now).await.unwrap());
    assert_ne!(rows::contents(&db.pool).await, before);
}

#[tokio::test]
async fn the_contents_see_one_changed_value() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), "one.sqlite", &[(A, 0)]).await;
    let before = rows::contents(&db.pool).await;
    assert!(before.contains("'Release of a'"), "{before}");
    assert_eq!(rows::contents(&db.pool).await, before);
    release_desk::db::query("UPDATE incidents SET effort_hours = 1.75 WHERE id = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    let after = rows::contents(&db.pool).await;
    assert_ne!(after, before);
    let diff = rows::diff(&before, &after);
    assert_eq!(diff.lines().count(), 2, "{diff}");
    // PostgreSQL's quote_nullable quotes numbers too; SQLite's quote does not.
    let q = |v: &str| match db.backend() {
        release_desk::db::Backend::Sqlite => format!(", {v}, NULL"),
        release_desk::db::Backend::Postgres => format!(", '{v}', NULL"),
    };
    assert!(
        diff.contains("'Incident of a'") && diff.contains(&q("1.5")) && diff.contains(&q("1.75")),
        "{diff}"
    );
}

/// Functions of `db/` that only stamp the workspace they are given on a new
/// row, or do not read records at all: nothing of another workspace can be
/// reached through them.
const NOT_RECORD_READS: &[&str] = &[
    "audit::append",
    "backup::backup",
    "calendar::add_freeze",
    "calendar::set_materialised_to",
    "checkpoint::open",
    "checkpoint::tick",
    "interactions::begin_claiming",
    "interactions::answered",
    // `answered` for the ids taken, at once: an interaction id is the platform's, unique across workspaces.
    "interactions::forget_taken",
    // The leader's advisory lock on its own connection: no records at all.
    "leadership::check",
    "leadership::lost",
    "leadership::release",
    "leadership::try_take",
    // A connection, not a read: the statements run on it are scoped themselves.
    "write::writing_conn",
    "interactions::unanswered",
    "releases::insert",
    "rfcs::insert",
    "sequences::next",
    "subscriptions::add",
    "subscriptions::remove",
    // New rows stamped with the given workspace, whose conflict keys
    // include the workspace: another's delivery, token name or idempotency
    // key is not this one's (tests/http_api.rs and tests/github.rs use them).
    "gate::take_delivery",
    "tokens::create",
    "tokens::keep_answer",
];

/// The `module::function` names of every `pub async fn` in the files of
/// `src/db/`, but for the outbox, the jobs and the console's platform
/// (tests/workspaces.rs covers those by workspace), the plumbing that
/// reads no record: the transaction type (`tx`), connections (`conn`),
/// opening (`open`), statements and their rows (`query`, `row`) and the
/// leader's advisory lock (`leadership`). and
/// `migrate_db/` (an operator's copy of the whole database, every workspace
/// at once: tests/migrate_db.rs).
fn db_functions() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // A folder (migrate_db/) is a tool copying every table, not record reads.
        if path.is_dir() {
            continue;
        }
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        if [
            "mod",
            "scope",
            "tx",
            "conn",
            "open",
            "query",
            "row",
            "leadership",
            "outbox",
            // Outbox claims by entry id, the ids outbox::pending read for one workspace.
            "claim",
            "jobs",
            "console",
        ]
        .contains(&module.as_str())
        {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some(rest) = line
                .strip_prefix("pub async fn ")
                .or(line.strip_prefix("    pub async fn "))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(format!("{module}::{name}"));
        }
    }
    names.sort();
    names
}

#[test]
fn every_db_function_is_called_by_these_tests() {
    let source = include_str!("isolation.rs");
    let missing: Vec<String> = db_functions()
        .into_iter()
        .filter(|f| !NOT_RECORD_READS.contains(&f.as_str()))
        .filter(|f| !source.contains(&format!("db::{f}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "db functions no isolation test calls (call them in reads/writes, or list them in NOT_RECORD_READS with why): {missing:?}"
    );
    // The scan finds the functions it must: it cannot pass by finding none.
    let all = db_functions();
    assert!(
        all.contains(&"polls::ledger".to_string()) && all.len() > 40,
        "{all:?}"
    );
}
