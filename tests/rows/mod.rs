//! Every stored row with every column, as text: two calls differ when any
//! value of any row differs (not only the row counts).

/// The contents of every table (the migrator's own excepted), table by table,
/// rows in rowid order (on PostgreSQL, which keeps no such order, sorted).
pub async fn contents(pool: &release_desk::db::Pool) -> String {
    use release_desk::db::{query_scalar, Backend};
    let postgres = pool.backend() == Backend::Postgres;
    let tables: Vec<String> = query_scalar(if postgres {
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%'
         ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'
         ORDER BY name"
    })
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = String::new();
    for t in &tables {
        let columns: Vec<String> = query_scalar(if postgres {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"
        } else {
            "SELECT name FROM pragma_table_info($1) ORDER BY cid"
        })
        .bind(t)
        .fetch_all(pool)
        .await
        .unwrap();
        assert!(!columns.is_empty(), "table {t} without columns?");
        let quote = if postgres { "quote_nullable" } else { "quote" };
        let values: Vec<String> = columns.iter().map(|c| format!("{quote}(\"{c}\")")).collect();
        let order = if postgres { "1" } else { "rowid" };
        let rows: Vec<String> = query_scalar(&format!(
            "SELECT {} FROM \"{t}\" ORDER BY {order}",
            values.join(" || ', ' || ")
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        out.push_str(&format!("{t} ({}):\n", columns.join(", ")));
        for r in rows {
            out.push_str(&format!("  {r}\n"));
        }
    }
    out
}

/// The lines of `after` not in `before` (+) and of `before` not in `after` (-).
pub fn diff(before: &str, after: &str) -> String {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let gone = b.iter().filter(|l| !a.contains(l)).map(|l| format!("- {l}"));
    let new = a.iter().filter(|l| !b.contains(l)).map(|l| format!("+ {l}"));
    gone.chain(new).collect::<Vec<_>>().join("\n")
}
