//! The answers owed to interactions (db::interactions) on a real SQLite
//! file: recorded only for a claimed id, read back for the served server
//! within the window asked, forgotten once taken.

mod common;

use release_desk::chat::Outgoing;
use release_desk::db::interactions::{self, Unanswered};
use release_desk::db::Db;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn answer(id: &str, guild: &str) -> Unanswered {
    Unanswered {
        id: id.into(),
        token: format!("token-{id}"),
        guild: guild.into(),
        channel: "2010".into(),
        public: true,
        message: Outgoing::text(format!("answer {id}")),
    }
}

#[tokio::test]
async fn an_answer_is_owed_only_for_a_claimed_id_in_the_served_server_until_taken() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("answers.sqlite")))
        .await
        .unwrap();
    for (id, seen) in [
        ("1", "2026-12-01T09:00:00Z"),
        ("2", "2026-12-01T09:10:00Z"),
        ("3", "2026-12-01T09:11:00Z"),
    ] {
        interactions::begin_claiming(&db, id, at(seen))
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
    }
    assert!(
        !interactions::record_answer(&db, &answer("9", "1000"))
            .await
            .unwrap(),
        "an id that claimed nothing owes nothing"
    );
    for (id, guild) in [("1", "1000"), ("2", "1000"), ("3", "4000")] {
        assert!(interactions::record_answer(&db, &answer(id, guild))
            .await
            .unwrap());
    }
    let owed = |since: &str, before: &str, guild: &'static str| {
        let db = db.clone();
        let (since, before) = (at(since), at(before));
        async move {
            interactions::unanswered(&db, guild, since, before)
                .await
                .unwrap()
                .into_iter()
                .map(|a| (a.id, a.token, a.public, a.message))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        owed("2026-12-01T09:05:00Z", "2026-12-01T09:20:00Z", "1000").await,
        [(
            "2".to_string(),
            "token-2".to_string(),
            true,
            Outgoing::text("answer 2")
        )],
        "within the window and the server only"
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
async fn answers_taken_together_are_forgotten_together_and_no_others() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("many.sqlite")))
        .await
        .unwrap();
    let ids: Vec<String> = (1..=250).map(|n| n.to_string()).collect();
    for id in &ids {
        interactions::begin_claiming(&db, id, at("2026-12-01T09:00:00Z"))
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
        assert!(interactions::record_answer(&db, &answer(id, "1000"))
            .await
            .unwrap());
    }
    // 230 taken (more than one write's hundred), 20 still owed.
    let (taken, kept) = ids.split_at(230);
    interactions::answered_all(&db, taken).await.unwrap();
    let mut owed: Vec<String> = interactions::unanswered(
        &db,
        "1000",
        at("2026-12-01T08:00:00Z"),
        at("2026-12-01T10:00:00Z"),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|a| a.id)
    .collect();
    owed.sort();
    let mut want = kept.to_vec();
    want.sort();
    assert_eq!(owed, want);
    interactions::answered_all(&db, &[]).await.unwrap();
}
