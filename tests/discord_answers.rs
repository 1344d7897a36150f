//! The answers owed to interactions (db::interactions) on a real database:
//! recorded only by the commit of the command that claimed the id, read back
//! for the served server within the window asked, forgotten once taken —
//! a few by each later commit, the rest by the fallback write.

mod common;

use release_desk::chat::Outgoing;
use release_desk::db::interactions;
use release_desk::db::Db;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

/// Claims `id` at `seen` and records its answer in the same commit, as a
/// command's [`release_desk::handlers::Ctx::commit`] does.
async fn claim_and_answer(db: &Db, id: &str, guild: &str, seen: &str) {
    let mut tx = interactions::begin_claiming(db, id, at(seen)).await.unwrap();
    let answer = Outgoing::text(format!("answer {id}"));
    interactions::record(&mut tx, id, &format!("token-{id}"), guild, "2010", &answer);
    tx.commit().await.unwrap();
}

async fn owed_ids(db: &Db) -> Vec<String> {
    let mut ids: Vec<String> =
        interactions::unanswered(db, "1000", at("2026-12-01T08:00:00Z"), at("2026-12-01T10:00:00Z"))
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_answer_is_owed_only_for_a_claimed_id_in_the_served_server_until_taken() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("answers.sqlite")))
        .await
        .unwrap();
    for (id, guild, seen) in [
        ("1", "1000", "2026-12-01T09:00:00Z"),
        ("2", "1000", "2026-12-01T09:10:00Z"),
        ("3", "4000", "2026-12-01T09:11:00Z"),
    ] {
        claim_and_answer(&db, id, guild, seen).await;
    }
    // A command whose transaction is rolled back recorded nothing either.
    let mut tx = interactions::begin_claiming(&db, "9", at("2026-12-01T09:12:00Z"))
        .await
        .unwrap();
    interactions::record(&mut tx, "9", "token-9", "1000", "2010", &Outgoing::text("lost"));
    drop(tx);
    let owed = |since: &str, before: &str, guild: &'static str| {
        let db = db.clone();
        let (since, before) = (at(since), at(before));
        async move {
            interactions::unanswered(&db, guild, since, before)
                .await
                .unwrap()
                .into_iter()
                .map(|a| (a.id, a.token, a.channel, a.public, a.message))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        owed("2026-12-01T09:05:00Z", "2026-12-01T09:20:00Z", "1000").await,
        [(
            "2".to_string(),
            "token-2".to_string(),
            "2010".to_string(),
            true,
            Outgoing::text("answer 2")
        )],
        "within the window and the server only, nothing for the rolled-back claim"
    );
    assert!(owed("2026-12-01T09:05:00Z", "2026-12-01T09:10:00Z", "1000")
        .await
        .is_empty());
    interactions::answered(&db, "2").await.unwrap();
    assert!(owed("2026-12-01T09:05:00Z", "2026-12-01T09:20:00Z", "1000")
        .await
        .is_empty());
    let token: Option<String> =
        release_desk::db::query_scalar("SELECT token FROM interactions WHERE id = '2'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(token, None, "the token is not kept once answered");
}

#[tokio::test]
async fn taken_answers_are_forgotten_a_few_per_commit_then_by_the_fallback_and_no_others() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("many.sqlite")))
        .await
        .unwrap();
    let ids: Vec<String> = (1000..1250).map(|n| n.to_string()).collect();
    for id in &ids {
        claim_and_answer(&db, id, "1000", "2026-12-01T09:00:00Z").await;
    }
    assert_eq!(owed_ids(&db).await, ids);
    // 230 taken (more than one fallback statement's hundred), 20 still owed.
    let (taken, kept) = ids.split_at(230);
    let armed: Vec<bool> = taken
        .iter()
        .map(|id| interactions::taken(&db, id.clone()))
        .collect();
    assert_eq!(
        armed.iter().filter(|a| **a).count(),
        1,
        "only the first asks for the fallback"
    );
    assert!(armed[0]);
    // A command's commit records its own answer and forgets the 8 oldest taken…
    claim_and_answer(&db, "1250", "1000", "2026-12-01T09:01:00Z").await;
    let mut want: Vec<String> = ids[8..].to_vec();
    want.push("1250".into());
    assert_eq!(owed_ids(&db).await, want);
    // …and so does any other commit, with nothing of its own to record.
    for _ in 0..2 {
        db.begin().await.unwrap().commit().await.unwrap();
    }
    assert_eq!(owed_ids(&db).await, want[16..]);
    // No more commits: the fallback forgets the rest of those taken.
    assert_eq!(interactions::forget_taken(&db).await.unwrap(), 230 - 24);
    let mut want = kept.to_vec();
    want.push("1250".into());
    assert_eq!(owed_ids(&db).await, want);
    // Nothing left: the next one taken asks for the fallback again, which
    // finds nothing once a commit carried it.
    assert!(interactions::taken(&db, "1250".into()));
    db.begin().await.unwrap().commit().await.unwrap();
    assert_eq!(interactions::forget_taken(&db).await.unwrap(), 0);
    assert_eq!(owed_ids(&db).await, kept);
}
