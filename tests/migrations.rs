//! Migrations: the embedded list is the folder, and each applies in sequence
//! over a database that already holds records.

use release_desk::db::{Db, MIGRATIONS};

#[test]
fn the_embedded_list_is_the_folder() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        // migrations/postgres/ holds PostgreSQL's twins (tests/pg_schema.rs checks them).
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    let listed: Vec<String> = MIGRATIONS
        .iter()
        .map(|(v, name, _)| format!("{v:04}_{name}.sql"))
        .collect();
    assert_eq!(files, listed);
    let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
    let mut unique = versions.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), versions.len(), "versions are unique");
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "versions ascend: {versions:?}"
    );
}

#[tokio::test]
async fn each_migration_applies_over_existing_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("seq.sqlite").display().to_string();
    // The first schema, with a release in it.
    let db = Db::open_at(&url, 1).await.unwrap();
    for stmt in [
        "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
         VALUES ('g', 1, 't', 'normal', 'low', 'i', 'u', 'u', 'in-release', '2026-12-01T00:00:00.000Z')",
        "INSERT INTO releases (guild, number, name, version, emergency, environments, state, manager, manager_name, created_at, updated_at)
         VALUES ('g', 1, 'R', '1.0.0', 0, '[\"staging\",\"prod\"]', 'planning', 'm', 'm', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')",
        "INSERT INTO release_rfcs (release_id, rfc_id) VALUES (1, 1)",
        "INSERT INTO audit (guild, at, actor, actor_name, record, action) VALUES ('g', '2026-12-01T00:00:00.000Z', 'm', 'm', 'REL-1', 'release.new')",
    ] {
        release_desk::db::query(stmt).execute(&db.pool).await.unwrap();
    }
    db.close().await;
    // Every later migration, one at a time, keeps what was there.
    for (version, _, _) in MIGRATIONS.iter().skip(1) {
        let db = Db::open_at(&url, *version)
            .await
            .unwrap_or_else(|e| panic!("migration {version}: {e:#}"));
        let mut conn = db.pool.acquire().await.unwrap();
        let r = release_desk::db::releases::get(&mut conn, "g", 1)
            .await
            .unwrap()
            .expect("the release survives");
        assert_eq!(r.name, "R");
        assert_eq!(release_desk::db::audit::count(&mut conn, "g").await.unwrap(), 1);
        drop(conn);
        db.close().await;
    }
    // The audit trail stays append-only after all of them.
    let db = Db::open(&url).await.unwrap();
    assert!(release_desk::db::query("UPDATE audit SET action = 'x'")
        .execute(&db.pool)
        .await
        .is_err());
    assert!(release_desk::db::query("DELETE FROM audit")
        .execute(&db.pool)
        .await
        .is_err());
}
