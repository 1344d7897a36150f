//! Migration 0028's stored deployment lookups on both backends: the same
//! writes (deployments planned, started and finished; incidents opened,
//! re-graded and removed; a release's environments changed; RFCs linked and
//! unlinked; close outcomes recorded and withdrawn) on a SQLite file and on
//! a throwaway PostgreSQL cluster leave the same stored values, so the
//! PostgreSQL triggers fire on the same paths as SQLite's.

mod common;

use common::pg::Cluster;
use release_desk::db::pg_migrations::{Embedded, PG_MIGRATIONS};
use release_desk::db::Db;
use sqlx::{Connection, PgConnection, Row};

const RELEASE: &str = "INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, closure, manager, manager_name,
    window_name, window_start, window_end, created_at, updated_at) VALUES";
const RFC: &str =
    "INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at) VALUES";
const DEPLOY: &str = "INSERT INTO deployments (id, release_id, env, attempt, steps, planned_by, planned_at, started_by, started_at, finished_at, outcome) VALUES";
const INCIDENT: &str = "INSERT INTO incidents (id, guild, number, release_id, env, severity, defect, title, opened_by, opened_at) VALUES";

/// The writes, in order, each valid on both backends.
fn writes() -> Vec<String> {
    let mut w = Vec::new();
    for r in 1..=4 {
        let envs = [
            "[\"staging\",\"prod\"]",
            "[\"staging\",\"PROD\"]",
            "[\"prod\"]",
            "[\"staging\",\"prod\"]",
        ][r - 1];
        w.push(format!("{RFC} ({r}, 'g', {r}, 't', 'normal', 'low', 'i', 'u', 'u', 'implemented', '2026-03-0{r}T08:00:00.000Z')"));
        w.push(format!(
            "{RELEASE} ({r}, 'g', {r}, 'R', '1.0.0', 0, '{envs}', 'closed', 'completed', 'm', 'm', 'weekly',
             '2026-03-1{r}T08:00:00.000Z', '2026-03-1{r}T12:00:00.000Z', '2026-03-0{r}T08:00:00.000Z', '2026-03-0{r}T08:00:00.000Z')"
        ));
        w.push(format!(
            "INSERT INTO release_rfcs (release_id, rfc_id) VALUES ({r}, {r})"
        ));
        let (a, b, c) = (10 * r, 10 * r + 1, 10 * r + 2);
        w.push(format!(
            "{DEPLOY} ({a}, {r}, 'staging', 1, '[]', 'd', '2026-03-10T08:00:00.000Z', 'd', '2026-03-1{r}T09:00:00.000Z', '2026-03-1{r}T10:00:00.000Z', 'verified'),
                      ({b}, {r}, 'prod', 1, '[]', 'd', '2026-03-10T08:00:00.000Z', 'd', '2026-03-1{r}T12:00:00.000Z', '2026-03-1{r}T13:30:00.000Z', 'backed-out')"
        ));
        // Planned, then started and finished after incidents were opened.
        w.push(format!(
            "INSERT INTO deployments (id, release_id, env, attempt, steps, planned_by, planned_at) VALUES ({c}, {r}, 'prod', 2, '[]', 'd', '2026-03-18T08:00:00.000Z')"
        ));
        for (k, (env, sev, at)) in [
            ("prod", 1, format!("2026-03-1{r}T11:00:00.000Z")),
            ("PROD", 2, format!("2026-03-1{r}T20:00:00.000Z")),
            ("staging", 1, format!("2026-03-1{r}T09:30:00.000Z")),
            ("prod", 3, format!("2026-03-2{r}T09:00:00.000Z")),
            ("prod", 2, format!("2026-03-2{r}T10:00:00.000Z")),
        ]
        .into_iter()
        .enumerate()
        {
            let n = 100 * r + k;
            w.push(format!(
                "{INCIDENT} ({n}, 'g', {n}, {r}, '{env}', {sev}, 'code', 't', 'e', '{at}')"
            ));
        }
        w.push(format!(
            "UPDATE deployments SET started_by = 'd', started_at = '2026-03-2{r}T08:00:00.000Z', finished_at = '2026-03-2{r}T09:00:00.000Z', outcome = 'verified' WHERE id = {c}"
        ));
    }
    w.extend(
        [
            "UPDATE incidents SET severity = 4 WHERE id = 101",
            "UPDATE incidents SET severity = 1 WHERE id = 403",
            "UPDATE incidents SET opened_at = '2026-03-24T08:30:00.000Z' WHERE id = 304",
            "DELETE FROM incidents WHERE id = 201",
            "UPDATE releases SET environments = '[\"staging\",\"prod\",\"dr\"]' WHERE id = 3",
            "UPDATE releases SET environments = '[\"prod\",\"staging\"]' WHERE id = 4",
            "INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
             VALUES (9, 'g', 9, 't', 'normal', 'low', 'i', 'u', 'u', 'implemented', '2026-02-01T08:00:00.000Z')",
            "INSERT INTO release_rfcs (release_id, rfc_id) VALUES (1, 9)",
            "DELETE FROM release_rfcs WHERE release_id = 2",
            "INSERT INTO release_outcomes (release_id, guild, outcome, closed_at) VALUES (1, 'g', 'unsuccessful', '2026-03-30T08:00:00.000Z')",
            "INSERT INTO release_outcomes (release_id, guild, outcome, closed_at) VALUES (3, 'g', 'unsuccessful', '2026-03-30T08:00:00.000Z')",
            "INSERT INTO release_outcomes (release_id, guild, outcome, closed_at) VALUES (4, 'g', 'successful', '2026-03-30T08:00:00.000Z')",
            "DELETE FROM release_outcomes WHERE release_id = 3",
        ]
        .map(String::from),
    );
    w
}

/// Each deployment's stored lookups: id, guild, production, unsuccessful,
/// change failure within 1, 3 and 14 days, lead hours, start and first
/// incident as julian days.
const READ: &str = "SELECT id, guild, production, unsuccessful,
    CASE WHEN caused_day < started_day + 1 THEN 1 ELSE 0 END AS c1,
    CASE WHEN caused_day < started_day + 3 THEN 1 ELSE 0 END AS c3,
    CASE WHEN caused_day < started_day + 14 THEN 1 ELSE 0 END AS c14,
    lead_hours, started_day, caused_day FROM deployments ORDER BY id";

type Lookups = (
    i64,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

async fn read_pg(pg: &mut PgConnection) -> Vec<Lookups> {
    sqlx::query(READ)
        .fetch_all(pg)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("id"),
                r.get("guild"),
                r.get("production"),
                r.get("unsuccessful"),
                r.get::<i32, _>("c1").into(),
                r.get::<i32, _>("c3").into(),
                r.get::<i32, _>("c14").into(),
                r.get("lead_hours"),
                r.get("started_day"),
                r.get("caused_day"),
            )
        })
        .collect()
}

fn near(a: Option<f64>, b: Option<f64>, eps: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < eps,
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn both_backends_store_the_same_deployment_lookups() {
    let cluster = Cluster::start();
    let mut pg = PgConnection::connect(&cluster.fresh_database()).await.unwrap();
    sqlx::migrate::Migrator::new(Embedded {
        set: PG_MIGRATIONS,
        version: i64::MAX,
    })
    .await
    .unwrap()
    .run(&mut pg)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // SQLite always: this test compares SQLite's lookups with PostgreSQL's.
    let lite = Db::open(dir.path().join("l.sqlite").to_str().unwrap())
        .await
        .unwrap();
    // Compared after every write, so that no later write's recomputation
    // hides a trigger that did not fire.
    let release_desk::db::Pool::Sqlite(lite_pool) = &lite.pool else {
        unreachable!("a file path opens SQLite");
    };
    let mut from_lite: Vec<Lookups> = Vec::new();
    for sql in writes() {
        sqlx::query(&sql)
            .execute(lite_pool)
            .await
            .unwrap_or_else(|e| panic!("SQLite: {sql}: {e}"));
        sqlx::query(&sql)
            .execute(&mut pg)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL: {sql}: {e}"));
        from_lite = sqlx::query_as(READ).fetch_all(lite_pool).await.unwrap();
        let from_pg = read_pg(&mut pg).await;
        assert_eq!(from_pg.len(), from_lite.len(), "after {sql}");
        for (a, b) in from_lite.iter().zip(&from_pg) {
            let same = (a.0, &a.1, a.2, a.3, a.4, a.5, a.6) == (b.0, &b.1, b.2, b.3, b.4, b.5, b.6)
                && near(a.7, b.7, 1e-6)
                && near(a.8, b.8, 1e-8)
                && near(a.9, b.9, 1e-8);
            assert!(
                same,
                "after {sql}\ndeployment {}: SQLite {a:?}, PostgreSQL {b:?}",
                a.0
            );
        }
    }
    assert_eq!(from_lite.len(), 12);
    // The writes reached every lookup, both ways.
    let varied = |f: fn(&Lookups) -> i64| {
        let ones = from_lite.iter().filter(|r| f(r) == 1).count();
        ones > 0 && ones < from_lite.len()
    };
    assert!(
        varied(|r| r.2) && varied(|r| r.3) && varied(|r| r.5),
        "{from_lite:#?}"
    );
    assert!(from_lite.iter().any(|r| r.7.is_none()) && from_lite.iter().any(|r| r.7.is_some()));
    pg.close().await.unwrap();
}
