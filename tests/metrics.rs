//! Every measure on a hand-built dataset, with the answer worked out by hand
//! in the comments. The period is 1–14 December 2026 in Europe/London (=
//! UTC in winter); the previous period is 17–30 November.

mod common;

use release_desk::config::Config;
use release_desk::db::Db;
use release_desk::handlers::report::build;

async fn exec(db: &Db, sql: &str) {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        release_desk::db::query(stmt)
            .execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
}

async fn dataset() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("m.sqlite")))
        .await
        .unwrap();
    exec(&db, r#"
        INSERT INTO rfcs (id, guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at) VALUES
          (1, 'g', 1, 'a', 'normal', 'low', 'i', 'u', 'u', 'in-release', '2026-12-01T00:00:00.000Z'),
          (2, 'g', 2, 'b', 'normal', 'low', 'i', 'u', 'u', 'in-release', '2026-11-30T12:00:00.000Z'),
          (3, 'g', 3, 'c', 'normal', 'low', 'i', 'u', 'u', 'in-release', '2026-12-01T00:00:00.000Z'),
          (4, 'g', 4, 'd', 'normal', 'low', 'i', 'u', 'u', 'open', '2026-12-01T00:00:00.000Z'),
          (5, 'g', 5, 'e', 'normal', 'low', 'i', 'u', 'u', 'implemented', '2026-11-10T00:00:00.000Z');
        INSERT INTO releases (id, guild, number, name, version, emergency, environments, state, state_env, els_until, closure,
                              manager, manager_name, window_name, window_start, window_end, created_at, updated_at) VALUES
          (1, 'g', 1, 'R1', '1.0.0', 0, '["staging","prod"]', 'early-life-support', NULL, '2026-12-18T22:00:00.000Z', NULL,
              'm', 'm', 'weekly', '2026-12-03T22:00:00.000Z', '2026-12-04T02:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
          (2, 'g', 2, 'R2', '1.0.0', 0, '["prod"]', 'early-life-support', NULL, '2026-12-19T21:00:00.000Z', NULL,
              'm', 'm', 'weekly', '2026-11-26T22:00:00.000Z', '2026-11-27T02:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
          (3, 'g', 3, 'R3', '1.0.0', 0, '["staging","prod"]', 'planning', NULL, NULL, NULL,
              'm', 'm', 'weekly', '2026-12-10T22:00:00.000Z', '2026-12-11T02:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
          (4, 'g', 4, 'R4', '1.0.0', 0, '["prod"]', 'closed', NULL, NULL, 'cancelled',
              'm', 'm', 'weekly', '2026-12-10T22:00:00.000Z', '2026-12-11T02:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
          (5, 'g', 5, 'R5', '1.0.0', 0, '["prod"]', 'closed', NULL, NULL, 'completed',
              'm', 'm', NULL, NULL, NULL, '2026-11-10T00:00:00.000Z', '2026-11-10T00:00:00.000Z');
        INSERT INTO release_rfcs (release_id, rfc_id) VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5);
        INSERT INTO package_items (release_id, name, kind, version, change) VALUES
          (1, 'api', 'software', '2.0.0', 'new'), (1, 'db', 'software', '4.0.0', 'changed'),
          (2, 'old-svc', 'software', '1.0.0', 'retired'), (2, 'web', 'software', '3.0.0', 'changed'),
          (3, 'cache', 'software', '1.0.0', 'new');
        INSERT INTO deployments (id, release_id, env, attempt, steps, planned_by, planned_at, started_by, started_at, finished_at, outcome) VALUES
          (1, 1, 'staging', 1, '[]', 'd', '2026-12-02T00:00:00.000Z', 'd', '2026-12-02T10:00:00.000Z', '2026-12-02T11:00:00.000Z', 'verified'),
          (2, 1, 'prod', 1, '[]', 'd', '2026-12-03T00:00:00.000Z', 'd', '2026-12-03T20:00:00.000Z', '2026-12-03T21:00:00.000Z', 'backed-out'),
          (3, 1, 'prod', 2, '[]', 'd', '2026-12-04T00:00:00.000Z', 'd', '2026-12-04T20:00:00.000Z', '2026-12-04T22:00:00.000Z', 'verified'),
          (4, 2, 'prod', 1, '[]', 'd', '2026-12-05T00:00:00.000Z', 'd', '2026-12-05T20:00:00.000Z', '2026-12-05T21:00:00.000Z', 'verified'),
          (5, 5, 'prod', 1, '[]', 'd', '2026-11-20T00:00:00.000Z', 'd', '2026-11-20T20:00:00.000Z', '2026-11-20T21:00:00.000Z', 'verified');
        INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at, resolved_by, resolved_at, effort_hours) VALUES
          ('g', 1, 1, 'prod', 1, 'code', 'crash', 'e', '2026-12-05T10:00:00.000Z', 'e', '2026-12-05T14:00:00.000Z', 2.5),
          ('g', 2, 2, 'prod', 3, 'configuration', 'slow', 'e', '2026-12-06T08:00:00.000Z', 'e', '2026-12-07T08:00:00.000Z', 1.0),
          ('g', 3, 2, 'prod', 2, 'data', 'much later', 'e', '2027-04-01T08:00:00.000Z', NULL, NULL, NULL),
          ('g', 4, 3, 'prod', 4, 'process', 'never deployed', 'e', '2026-12-06T08:00:00.000Z', NULL, NULL, NULL),
          ('g', 5, 5, 'prod', 3, 'code', 'before', 'e', '2026-11-21T08:00:00.000Z', 'e', '2026-11-21T10:00:00.000Z', 6.0);
        INSERT INTO bot_messages (id, guild, channel, purpose) VALUES (1, 'g', 'releases', 'survey:1'), (2, 'g', 'releases', 'survey:5');
        INSERT INTO survey_answers (message_id, release_id, "user", score, answered_at) VALUES
          (1, 1, 'a', 4, '2026-12-05T09:00:00.000Z'), (1, 1, 'b', 5, '2026-12-06T09:00:00.000Z'),
          (2, 5, 'c', 3, '2026-11-20T22:00:00.000Z');
        INSERT INTO missed_windows (release_id, window_name, window_start, recorded_at) VALUES
          (3, 'weekly', '2026-12-10T22:00:00.000Z', '2026-12-11T02:00:00.000Z');
        INSERT INTO config_defects (release_id, env, item, kind, expected, found, recorded_by, recorded_at) VALUES
          (1, 'prod', 'db', 'other-version', '4.0.0', '3.9.0', 'd', '2026-12-08T10:00:00.000Z'),
          (1, 'prod', 'x', 'extra', NULL, '1.0.0', 'd', '2026-12-08T10:00:00.000Z'),
          (5, 'prod', 'y', 'missing', '1.0.0', NULL, 'd', '2026-11-25T10:00:00.000Z')
    "#).await;
    (dir, db)
}

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn each_measure_matches_the_hand_computed_answer() {
    let (_dir, db) = dataset().await;
    let config = Config::defaults();
    let r = build(&db, &config, "g", d("2026-12-01"), d("2026-12-14"))
        .await
        .unwrap();
    let m = &r.measures;

    // Incidents opened in the period within 90 days of a deployment of their release:
    // INC-1 (code, sev 1) and INC-2 (configuration, sev 3). INC-3 is after the period (and more
    // than 90 days after R2's deployment);
    // INC-4's release was never deployed, so it is not attributable.
    assert_eq!(
        m.incidents_by_defect,
        [("code".to_string(), 1), ("configuration".to_string(), 1)].into()
    );
    assert_eq!(
        m.incidents_by_severity,
        [("1".to_string(), 1), ("3".to_string(), 1)].into()
    );

    // Releases verified in production in the period: R1 (api new, db changed) and
    // R2 (old-svc retired, web changed) → new 1, changed 2, retired 1.
    assert_eq!(
        (
            m.assets_introduced.new,
            m.assets_introduced.changed,
            m.assets_introduced.retired
        ),
        (1, 2, 1)
    );

    // Planned: windows starting in the period with a booked release: R1 (3 Dec), R3 (10 Dec);
    // R4 is cancelled, R2's window was in November → 2. Actual: R1 and R2 → 2. Missed: R3 → 1.
    assert_eq!((m.planned, m.actual, m.missed_windows), (2, 2, 1));

    // Effort on attributable incidents resolved in the period: 2.5 + 1.0 = 3.5 h.
    assert_eq!(m.effort_hours, 3.5);
    // Audit defects recorded in the period: 2 (the third was in November).
    assert_eq!(m.config_defects, 2);
    // Survey answers in the period: 4 and 5 → average 4.5 from 2.
    assert_eq!((m.csat.average, m.csat.responses), (Some(4.5), 2));

    // Verified production deployments: R1 attempt 2 and R2 → 2 in 14 days = 1 per week.
    assert_eq!(m.deployment_frequency, 1.0);
    // Lead time: R1 first RFC 1 Dec 00:00 → verified 4 Dec 22:00 = 94 h;
    // R2 first RFC 30 Nov 12:00 → verified 5 Dec 21:00 = 129 h; median (94 + 129) / 2 = 111.5 h.
    assert_eq!(m.lead_time_hours, Some(111.5));
    // Production deployments finished in the period: R1#1 (backed out), R1#2 (verified, then
    // INC-1 severity 1 within 90 days of its start), R2#1 (a severity 3 incident; its severity 2
    // INC-3 came 117 days after the start, past attribution) → 2 of 3.
    assert_eq!(m.change_failure_rate, Some(0.667));
    // Time to restore: INC-1 4 h, INC-2 24 h → median 14 h.
    assert_eq!(m.time_to_restore_hours, Some(14.0));

    // Trends against 17–30 November: one audit defect then (2 now → +1), effort 6 h then (→ -2.5),
    // one verified production deployment (R5) then.
    assert_eq!(r.trends["config_defects"].previous, Some(1.0));
    assert_eq!(r.trends["config_defects"].change, Some(1.0));
    assert_eq!(r.trends["effort_hours"].change, Some(-2.5));
    assert_eq!(r.trends["actual"].previous, Some(1.0));
    // November's one survey answer was a 3.
    assert_eq!(r.trends["csat_average"].previous, Some(3.0));

    let text = release_desk::render::report::text(&r);
    for line in [
        "change failure rate        67 % — 2 of 3 production deployments",
        "incidents by severity      sev 1: 1 · sev 3: 1",
        "effort on incidents        3 h 30 min (▼ 2 h 30 min vs previous period)",
        "lead time (median)         4 d 15 h",
        "customer satisfaction      4.5/5 from 2 responses",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }

    // Weeks: 1–7 Dec and 8–14 Dec. Both incidents and both verifications fall in the first.
    assert_eq!(r.weeks.len(), 2);
    assert_eq!(r.weeks[0].incidents_by_defect.values().sum::<i64>(), 2);
    assert_eq!((r.weeks[0].planned, r.weeks[0].actual), (1, 2));
    assert_eq!((r.weeks[1].planned, r.weeks[1].actual), (1, 0));
    assert_eq!(r.weeks[0].csat, Some(4.5));
}

#[tokio::test]
async fn trends_against_a_period_without_records_are_null_not_zero() {
    let (_dir, db) = dataset().await;
    // 15–28 November holds R5's deployment, incident and survey; 1–14 November holds nothing measured.
    let r = build(&db, &Config::defaults(), "g", d("2026-11-15"), d("2026-11-28"))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&release_desk::render::report::json(&r)).unwrap();
    let trends = json["trends"].as_object().unwrap();
    assert!(trends.len() >= 10, "{trends:?}");
    for (key, t) in trends {
        assert!(t["previous"].is_null(), "{key}: {t}");
        assert!(t["change"].is_null(), "{key}: {t}");
    }
    assert_eq!(json["trends"]["actual"]["current"], 1.0);
    assert_eq!(json["trends"]["incidents"]["current"], 1.0);
    // A current figure is what was measured: INC-5 took 2 hours to restore.
    assert_eq!(json["trends"]["time_to_restore_hours"]["current"], 2.0);
    let csv = release_desk::render::report::csv(&r);
    assert!(csv.contains("previous.actual,\n"), "{csv}");
}

#[tokio::test]
async fn an_empty_period_has_nulls_not_zeros_for_medians() {
    let (_dir, db) = dataset().await;
    let r = build(&db, &Config::defaults(), "g", d("2027-03-01"), d("2027-03-07"))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&release_desk::render::report::json(&r)).unwrap();
    for key in ["lead_time_hours", "change_failure_rate", "time_to_restore_hours"] {
        assert!(json[key].is_null(), "{key}: {}", json[key]);
    }
    assert!(json["csat"]["average"].is_null());
    assert_eq!(json["planned"], 0);
    for key in [
        "incidents_by_defect",
        "incidents_by_severity",
        "assets_introduced",
        "planned",
        "actual",
        "missed_windows",
        "effort_hours",
        "config_defects",
        "csat",
        "deployment_frequency",
        "close_outcomes",
        "reviews",
    ] {
        assert!(json.get(key).is_some(), "{key} missing");
    }
    // Nothing in March: no average, median or rate now, and no data for any in February.
    assert!(json["trends"]["lead_time_hours"]["current"].is_null());
    assert!(json["trends"]["planned"]["previous"].is_null());
    assert_eq!(json["trends"]["planned"]["current"], 0.0);
    assert_eq!(json["reviews"], 0);
    assert_eq!(json["close_outcomes"], serde_json::json!({}));
}

#[tokio::test]
async fn close_outcomes_and_reviews_are_counted_and_unsuccessful_closes_are_failures() {
    let (_dir, db) = dataset().await;
    // R2 closed as unsuccessful on 10 Dec; R5 closed as successful on 2 Dec; a review of R2 in
    // the period and one of R5 in November.
    exec(
        &db,
        r#"
        INSERT INTO release_outcomes (release_id, guild, outcome, closed_at) VALUES
          (2, 'g', 'unsuccessful', '2026-12-10T10:00:00.000Z'),
          (5, 'g', 'successful', '2026-12-02T10:00:00.000Z');
        INSERT INTO release_reviews (guild, release_id, findings, reviewer, reviewer_name, at) VALUES
          ('g', 2, 'f', 'm', 'm', '2026-12-09T10:00:00.000Z'),
          ('g', 5, 'f', 'm', 'm', '2026-11-25T10:00:00.000Z')
    "#,
    )
    .await;
    let r = build(&db, &Config::defaults(), "g", d("2026-12-01"), d("2026-12-14"))
        .await
        .unwrap();
    let m = &r.measures;
    // Closed in the period: R5 successful (2 Dec), R2 unsuccessful (10 Dec).
    assert_eq!(
        m.close_outcomes,
        [("successful".to_string(), 1), ("unsuccessful".to_string(), 1)].into()
    );
    // Reviews in the period: R2's only.
    assert_eq!(m.reviews, 1);
    // Production deployments finished in the period: R1#1 backed out, R1#2 caused INC-1, and now
    // R2#1, whose release closed as unsuccessful → 3 of 3.
    assert_eq!(m.change_failure_rate, Some(1.0));
    // R5's deployment (20 Nov) is outside the period, so its successful close changes no rate.
    let json: serde_json::Value = serde_json::from_str(&release_desk::render::report::json(&r)).unwrap();
    assert_eq!(json["close_outcomes"]["unsuccessful"], 1);
    assert_eq!(json["reviews"], 1);
    let csv = release_desk::render::report::csv(&r);
    assert!(csv.contains("close_outcomes.successful,1\n"), "{csv}");
    assert!(csv.contains("reviews,1\n"), "{csv}");
    let text = release_desk::render::report::text(&r);
    assert!(text.contains("successful: 1 · unsuccessful: 1"), "{text}");
}

#[tokio::test]
async fn the_chart_renders_with_the_embedded_font() {
    let (_dir, db) = dataset().await;
    let r = build(&db, &Config::defaults(), "g", d("2026-12-01"), d("2026-12-14"))
        .await
        .unwrap();
    let png = release_desk::render::report::chart(&r).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1200, 800));
    // Text was drawn: dark pixels in the title band at the top.
    let dark = (0..1200)
        .flat_map(|x| (15..55).map(move |y| (x, y)))
        .filter(|(x, y)| img.get_pixel(*x, *y)[0] < 100)
        .count();
    assert!(dark > 200, "no title text drawn ({dark} dark pixels)");
    if let Ok(dir) = std::env::var("CHART_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("metrics-test.png"), &png).unwrap();
    }
}

/// The restore-time median's two statements (migration 0031's index walked
/// in restore order, or the period's rows sorted) give the same rows on
/// either backend; which one a period takes is the report's rule, and the
/// hand-computed answers above see only the walk on this small history.
#[tokio::test]
async fn the_median_walked_equals_the_median_sorted() {
    let (_dir, db) = dataset().await;
    let mut compared = 0;
    for current in [false, true] {
        for (limit, offset) in [(1i64, 0i64), (2, 0), (1, 1), (2, 1)] {
            let mut answers = Vec::new();
            for walk in [true, false] {
                let rows = release_desk::db::query(&release_desk::db::metrics::median_sql(walk, current))
                    .bind("2026-11-17T00:00:00.000Z".to_string())
                    .bind("2026-12-15T00:00:00.000Z".to_string())
                    .bind(90i64)
                    .bind("g".to_string())
                    .bind("2026-12-01T00:00:00.000Z".to_string())
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&db.pool)
                    .await
                    .unwrap();
                answers.push(rows.iter().map(|r| r.get::<f64, _>(0)).collect::<Vec<_>>());
            }
            assert_eq!(answers[0], answers[1], "current {current}, {limit} from {offset}");
            compared += answers[0].len();
        }
    }
    assert!(compared >= 4, "{compared} rows compared");
}
