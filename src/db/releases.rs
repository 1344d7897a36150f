//! Releases and their links to RFCs.

use super::{parse_ts, parse_ts_opt, ts};
use super::{query, query_scalar, Conn, Row};
use crate::domain::records::{Booking, Plan, Release};
use crate::domain::release::{Lifecycle, ReleaseState};

const COLUMNS: &str =
    "id, number, name, version, emergency, scope, backout, acceptance, environments, state, state_env,
    els_until, closure, revision, test_runs, manager, manager_name, submitter, validation, training, builds,
    baseline_hash, window_name, window_start, window_end, handover, created_at, updated_at";

fn decode(r: Row) -> anyhow::Result<Release> {
    let state_key: String = r.try_get("state")?;
    let env: Option<String> = r.try_get("state_env")?;
    let closure: Option<String> = r.try_get("closure")?;
    let until = parse_ts_opt(r.try_get("els_until")?)?;
    let state = ReleaseState::decode(&state_key, env.as_deref(), until, closure.as_deref())
        .map_err(anyhow::Error::msg)?;
    let envs: String = r.try_get("environments")?;
    let booking = match (
        r.try_get::<Option<String>, _>("window_name")?,
        parse_ts_opt(r.try_get("window_start")?)?,
        parse_ts_opt(r.try_get("window_end")?)?,
    ) {
        (Some(window), Some(start), Some(end)) => Some(Booking { window, start, end }),
        _ => None,
    };
    Ok(Release {
        row: r.try_get("id")?,
        number: r.try_get("number")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        emergency: r.flag("emergency")?,
        plan: Plan {
            scope: r.try_get("scope")?,
            backout: r.try_get("backout")?,
            acceptance: r.try_get("acceptance")?,
        },
        environments: serde_json::from_str(&envs)?,
        lifecycle: Lifecycle {
            state,
            revision: r.try_get("revision")?,
            test_runs: r.try_get("test_runs")?,
        },
        manager: r.try_get("manager")?,
        manager_name: r.try_get("manager_name")?,
        submitter: r.try_get("submitter")?,
        validation: r.try_get("validation")?,
        training: r.try_get("training")?,
        builds: r.try_get("builds")?,
        baseline_hash: r.try_get("baseline_hash")?,
        booking,
        handover: r.try_get("handover")?,
        created_at: parse_ts(r.try_get("created_at")?)?,
        updated_at: parse_ts(r.try_get("updated_at")?)?,
    })
}

fn until(s: &ReleaseState) -> Option<String> {
    match s {
        ReleaseState::EarlyLifeSupport { until } => Some(ts(*until)),
        _ => None,
    }
}

/// Stores a new release; returns its row id.
pub async fn insert(conn: &mut Conn, guild: &str, r: &Release) -> anyhow::Result<i64> {
    let id = query_scalar(
        "INSERT INTO releases (guild, number, name, version, emergency, environments, state, revision, test_runs,
            manager, manager_name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(guild)
    .bind(r.number)
    .bind(&r.name)
    .bind(&r.version)
    .bind(i64::from(r.emergency))
    .bind(serde_json::to_string(&r.environments)?)
    .bind(r.lifecycle.state.key())
    .bind(r.lifecycle.revision)
    .bind(r.lifecycle.test_runs)
    .bind(&r.manager)
    .bind(&r.manager_name)
    .bind(ts(r.created_at))
    .bind(ts(r.updated_at))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Saves every mutable field of a release of `guild`; a release of another fails.
pub async fn save(conn: &mut Conn, guild: &str, r: &Release) -> anyhow::Result<()> {
    let s = &r.lifecycle.state;
    let done = query(
        "UPDATE releases SET scope = $1, backout = $2, acceptance = $3, state = $4, state_env = $5, els_until = $6, closure = $7,
            revision = $8, test_runs = $9, submitter = $10, validation = $11, training = $12, builds = $13, baseline_hash = $14,
            baselined_at = CASE WHEN $15 IS NULL THEN NULL ELSE COALESCE(baselined_at, $16) END,
            window_name = $17, window_start = $18, window_end = $19, handover = $20, updated_at = $21
         WHERE id = $22 AND guild = $23",
    )
    .bind(&r.plan.scope)
    .bind(&r.plan.backout)
    .bind(&r.plan.acceptance)
    .bind(s.key())
    .bind(s.env())
    .bind(until(s))
    .bind(s.closure_key())
    .bind(r.lifecycle.revision)
    .bind(r.lifecycle.test_runs)
    .bind(&r.submitter)
    .bind(&r.validation)
    .bind(&r.training)
    .bind(r.builds)
    .bind(&r.baseline_hash)
    .bind(&r.baseline_hash)
    .bind(ts(r.updated_at))
    .bind(r.booking.as_ref().map(|b| b.window.clone()))
    .bind(r.booking.as_ref().map(|b| ts(b.start)))
    .bind(r.booking.as_ref().map(|b| ts(b.end)))
    .bind(&r.handover)
    .bind(ts(r.updated_at))
    .bind(r.row)
    .bind(guild)
    .execute(conn)
    .await?;
    super::changed_one(done.rows_affected(), "release", r.row, guild)
}

/// One release by number.
pub async fn get(conn: &mut Conn, guild: &str, number: i64) -> anyhow::Result<Option<Release>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1 AND number = $2"
    ))
    .bind(guild)
    .bind(number)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// The newest release of `guild` with this version that is not closed
/// (a deployment names a version; a closed release deploys nothing).
pub async fn by_version(conn: &mut Conn, guild: &str, version: &str) -> anyhow::Result<Option<Release>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1 AND version = $2 AND state <> 'closed' ORDER BY number DESC LIMIT 1"
    ))
    .bind(guild)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// One release of `guild` by row id.
pub async fn by_row(conn: &mut Conn, guild: &str, row: i64) -> anyhow::Result<Release> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE id = $1 AND guild = $2"
    ))
    .bind(row)
    .bind(guild)
    .fetch_one(conn)
    .await?;
    decode(row)
}

/// Releases, optionally in one state (a state key, or `closed-<closure>`
/// for the closed ones that ended that way).
pub async fn list(conn: &mut Conn, guild: &str, state: Option<&str>) -> anyhow::Result<Vec<Release>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1
           AND ($2 IS NULL OR state = $2 OR state || '-' || closure = $2) ORDER BY number"
    ))
    .bind(guild)
    .bind(state)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Links an RFC to a release, both of `guild`.
pub async fn link_rfc(conn: &mut Conn, guild: &str, release_row: i64, rfc_row: i64) -> anyhow::Result<()> {
    let done = query(
        "INSERT INTO release_rfcs (release_id, rfc_id)
         SELECT r.id, f.id FROM releases r JOIN rfcs f ON f.guild = r.guild WHERE r.id = $1 AND f.id = $2 AND r.guild = $3",
    )
    .bind(release_row)
    .bind(rfc_row)
    .bind(guild)
    .execute(conn)
    .await?;
    super::changed_one(done.rows_affected(), "release", release_row, guild)
}

/// Releases booked into the opening of `window` that starts at `start`, in every state.
pub async fn booked_in(
    conn: &mut Conn,
    guild: &str,
    window: &str,
    start: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Release>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1 AND window_name = $2 AND window_start = $3 ORDER BY number"
    ))
    .bind(guild)
    .bind(window)
    .bind(ts(start))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Open releases booked into a window starting in `[from, to)`.
pub async fn booked_between(
    conn: &mut Conn,
    guild: &str,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Release>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1 AND window_start >= $2 AND window_start < $3 AND state != 'closed'
         ORDER BY window_start, number"
    ))
    .bind(guild)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Open releases whose next deployment targets `env` (planning, deploying, verifying or backed out there).
pub async fn active_in(conn: &mut Conn, guild: &str, env: &str) -> anyhow::Result<Vec<Release>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE guild = $1 AND state_env = $2 COLLATE NOCASE
           AND state IN ('deployment-planning', 'deploying', 'verifying', 'backed-out') ORDER BY number"
    ))
    .bind(guild)
    .bind(env)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}
