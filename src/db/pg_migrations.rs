//! The PostgreSQL schema: the twin of each SQLite migration in
//! `migrations/`, same version and name, in `migrations/postgres/`.
//! tests/pg_schema.rs applies both sets and compares the schemas table by
//! table and column by column; tests/migrations.rs checks this list against
//! the folder.
//!
//! Embedded lists rather than `sqlx::migrate!`: the macro needs sqlx's
//! `macros` feature (a proc-macro crate that builds the drivers again for the
//! compiler), and the sample-data tests apply a set only up to a version,
//! which [`Embedded`] does for either list.

/// The PostgreSQL migrations, as (version, name, SQL).
pub const PG_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "records",
        include_str!("../../migrations/postgres/0001_records.sql"),
    ),
    (
        2,
        "delivery",
        include_str!("../../migrations/postgres/0002_delivery.sql"),
    ),
    (
        3,
        "polls",
        include_str!("../../migrations/postgres/0003_polls.sql"),
    ),
    (
        4,
        "calendar",
        include_str!("../../migrations/postgres/0004_calendar.sql"),
    ),
    (
        5,
        "deployments",
        include_str!("../../migrations/postgres/0005_deployments.sql"),
    ),
    (
        6,
        "metrics",
        include_str!("../../migrations/postgres/0006_metrics.sql"),
    ),
    (
        10,
        "discord",
        include_str!("../../migrations/postgres/0010_discord.sql"),
    ),
    (
        11,
        "job_retries",
        include_str!("../../migrations/postgres/0011_job_retries.sql"),
    ),
    (
        12,
        "outbox_order",
        include_str!("../../migrations/postgres/0012_outbox_order.sql"),
    ),
    (
        15,
        "interaction_answers",
        include_str!("../../migrations/postgres/0015_interaction_answers.sql"),
    ),
    (
        16,
        "governance",
        include_str!("../../migrations/postgres/0016_governance.sql"),
    ),
    (
        17,
        "cab_workflow",
        include_str!("../../migrations/postgres/0017_cab_workflow.sql"),
    ),
    (18, "api", include_str!("../../migrations/postgres/0018_api.sql")),
    (
        20,
        "platform_neutral",
        include_str!("../../migrations/postgres/0020_platform_neutral.sql"),
    ),
    (
        23,
        "attribution",
        include_str!("../../migrations/postgres/0023_attribution.sql"),
    ),
    (
        27,
        "poll_reactions",
        include_str!("../../migrations/postgres/0027_poll_reactions.sql"),
    ),
    (
        28,
        "deployment_lookups",
        include_str!("../../migrations/postgres/0028_deployment_lookups.sql"),
    ),
    (
        29,
        "console_reaction_order",
        include_str!("../../migrations/postgres/0029_console_reaction_order.sql"),
    ),
    (
        30,
        "restore_hours",
        include_str!("../../migrations/postgres/0030_restore_hours.sql"),
    ),
    (
        31,
        "report_order",
        include_str!("../../migrations/postgres/0031_report_order.sql"),
    ),
];

/// An embedded set of migrations (SQLite's [`super::MIGRATIONS`] or
/// [`PG_MIGRATIONS`]) up to a version, as a source for sqlx's migrator.
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    /// The set.
    pub set: &'static [(i64, &'static str, &'static str)],
    /// The last version to apply.
    pub version: i64,
}

impl<'s> sqlx::migrate::MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>>
                + Send
                + 's,
        >,
    > {
        Box::pin(async move {
            Ok(self
                .set
                .iter()
                .filter(|(v, _, _)| *v <= self.version)
                .map(|(v, name, sql)| {
                    sqlx::migrate::Migration::new(
                        *v,
                        (*name).into(),
                        sqlx::migrate::MigrationType::Simple,
                        (*sql).into(),
                        false,
                    )
                })
                .collect())
        })
    }
}
