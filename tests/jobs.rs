//! The job registry: every kind of job the bot stores has a handler, and
//! names are unique.

mod common;

use release_desk::scheduler::JobKind;

#[test]
fn job_kind_names_are_unique_and_round_trip() {
    let mut names: Vec<&str> = JobKind::ALL.iter().map(|k| k.key()).collect();
    for k in JobKind::ALL {
        assert_eq!(JobKind::from_key(k.key()), Some(*k));
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), JobKind::ALL.len());
}

#[tokio::test]
async fn every_stored_job_kind_has_a_handler() {
    let dir = tempfile::tempdir().unwrap();
    // The full happy path stores every kind: poll deadlines, window announcements, the end of ELS.
    let h = common::Harness::with_config(
        &dir.path().join("jobs.sqlite"),
        release_desk::config::Config::defaults(),
    )
    .await;
    let script = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/happy_path.in"),
    )
    .unwrap();
    h.run(&script).await;
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    let stored = release_desk::db::jobs::kinds(&mut conn).await.unwrap();
    assert_eq!(
        stored.len(),
        JobKind::ALL.len(),
        "the scenario stores every kind: {stored:?}"
    );
    for kind in stored {
        assert!(
            JobKind::from_key(&kind).is_some(),
            "stored job kind {kind} has no handler"
        );
    }
}
