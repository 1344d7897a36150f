//! The PostgreSQL migrations keep step with SQLite's: both sets applied, one
//! version at a time, give the same tables and columns (name, type, NOT NULL,
//! default, key, uniques and indexes, foreign keys, triggers) at every
//! version. A PostgreSQL cluster is started for the test (tests/common/pg.rs).

mod common;

use common::pg::{self, Cluster};
use release_desk::db::pg_migrations::{Embedded, PG_MIGRATIONS};
use release_desk::db::{Db, MIGRATIONS};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet};

/// One column as both backends can describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// SQLite's storage class names: integer, text, real, blob.
    ty: String,
    not_null: bool,
    has_default: bool,
    /// A generated key: SQLite's rowid alias, PostgreSQL's identity.
    generated: bool,
    /// "nocase" where comparisons ignore case; None for the default.
    collation: Option<String>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// `unique (a, b)` for a UNIQUE constraint; `index NAME [unique] (a, b) [where P]` for CREATE INDEX.
    indexes: BTreeSet<String>,
    /// `(a) -> t (b) on delete ACTION`.
    foreign_keys: BTreeSet<String>,
    triggers: BTreeSet<String>,
}

type Schema = BTreeMap<String, Table>;

/// Every difference between `a` and `b`, one line each, naming the table.
fn diff(a_name: &str, a: &Schema, b_name: &str, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for t in names {
        let (ta, tb) = match (a.get(t), b.get(t)) {
            (Some(ta), Some(tb)) => (ta, tb),
            (Some(_), None) => {
                out.push(format!("table {t}: only in {a_name}"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {t}: only in {b_name}"));
                continue;
            }
        };
        let order = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        for c in &ta.columns {
            match tb.columns.iter().find(|d| d.name == c.name) {
                None => out.push(format!("{t}.{}: column only in {a_name}", c.name)),
                Some(d) if d != c => {
                    out.push(format!("{t}.{}: {a_name} {c:?}\n    vs {b_name} {d:?}", c.name))
                }
                Some(_) => {}
            }
        }
        for d in &tb.columns {
            if !ta.columns.iter().any(|c| c.name == d.name) {
                out.push(format!("{t}.{}: column only in {b_name}", d.name));
            }
        }
        if order(ta) != order(tb) {
            out.push(format!(
                "{t}: column order {a_name} {:?} vs {b_name} {:?}",
                order(ta),
                order(tb)
            ));
        }
        if ta.primary_key != tb.primary_key {
            out.push(format!(
                "{t}: primary key {a_name} {:?} vs {b_name} {:?}",
                ta.primary_key, tb.primary_key
            ));
        }
        for (what, sa, sb) in [
            ("index", &ta.indexes, &tb.indexes),
            ("foreign key", &ta.foreign_keys, &tb.foreign_keys),
            ("trigger", &ta.triggers, &tb.triggers),
        ] {
            for x in sa.difference(sb) {
                out.push(format!("{t}: {what} only in {a_name}: {x}"));
            }
            for x in sb.difference(sa) {
                out.push(format!("{t}: {what} only in {b_name}: {x}"));
            }
        }
    }
    out
}

/// A predicate's text with case, spaces, brackets and casts to text dropped,
/// so SQLite's source and PostgreSQL's deparsed form compare.
fn normal_predicate(p: &str) -> String {
    p.to_lowercase()
        .replace("::text", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect()
}

fn index_description(name: &str, unique: bool, columns: &str, predicate: Option<&str>) -> String {
    format!(
        "index {name}{} ({columns}){}",
        if unique { " unique" } else { "" },
        predicate.map_or(String::new(), |p| format!(" where {}", normal_predicate(p)))
    )
}

/// The collation each column of a CREATE TABLE statement names (SQLite
/// keeps it only in the statement's text).
fn sqlite_collations(create: &str) -> BTreeMap<String, String> {
    let text: String = create
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
        return BTreeMap::new();
    };
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, open + 1);
    for (i, ch) in text.char_indices().take(close).skip(open + 1) {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..close]);
    parts
        .into_iter()
        .filter_map(|part| {
            let words: Vec<&str> = part.split_whitespace().collect();
            let at = words.iter().position(|w| w.eq_ignore_ascii_case("collate"))?;
            let name = words.first()?.trim_matches('"').to_string();
            Some((name, words.get(at + 1)?.to_lowercase()))
        })
        .collect()
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let tables = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for t in tables {
        let name: String = t.get("name");
        let collations = sqlite_collations(&t.get::<String, _>("sql"));
        let mut table = Table::default();
        let columns = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL AS has_default, pk FROM pragma_table_info(?1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        let single_integer_key = columns.iter().filter(|c| c.get::<i64, _>("pk") > 0).count() == 1;
        for c in &columns {
            let column: String = c.get("name");
            let declared: String = c.get("type");
            let pk: i64 = c.get("pk");
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            let ty = match declared.to_uppercase().as_str() {
                "INTEGER" => "integer".to_string(),
                "TEXT" => "text".to_string(),
                "REAL" => "real".to_string(),
                "BLOB" => "blob".to_string(),
                other => format!("sqlite:{other}"),
            };
            table.columns.push(Column {
                generated: pk > 0 && single_integer_key && ty == "integer",
                ty,
                // A key column is NOT NULL on PostgreSQL whatever it says. On
                // SQLite a rowid key cannot be NULL either; another key column
                // could be, by a legacy quirk, but none is ever written so.
                not_null: c.get::<bool, _>("notnull") || pk > 0,
                has_default: c.get::<bool, _>("has_default"),
                collation: collations.get(&column).cloned(),
                name: column,
            });
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        let indexes = sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?1)")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        for i in indexes {
            let index: String = i.get("name");
            let origin: String = i.get("origin");
            if origin == "pk" {
                continue;
            }
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            let columns = columns.join(", ");
            if origin == "u" {
                table.indexes.insert(format!("unique ({columns})"));
                continue;
            }
            let sql: String =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1")
                    .bind(&index)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            let upper = sql.to_uppercase();
            let predicate = upper.find(" WHERE ").map(|at| &sql[at + 7..]);
            table
                .indexes
                .insert(index_description(&index, i.get("unique"), &columns, predicate));
        }
        let fks = sqlx::query(
            "SELECT id, \"table\" AS target, \"from\" AS col, \"to\" AS target_col, on_delete \
             FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let mut by_id: BTreeMap<i64, (Vec<String>, String, Vec<String>, String)> = BTreeMap::new();
        for f in fks {
            let e = by_id
                .entry(f.get("id"))
                .or_insert_with(|| (Vec::new(), f.get("target"), Vec::new(), f.get("on_delete")));
            e.0.push(f.get("col"));
            e.2.push(f.get("target_col"));
        }
        for (from, target, to, on_delete) in by_id.into_values() {
            table.foreign_keys.insert(format!(
                "({}) -> {target} ({}) on delete {on_delete}",
                from.join(", "),
                to.join(", ")
            ));
        }
        table.triggers = sqlx::query_scalar::<_, String>(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
        schema.insert(name, table);
    }
    schema
}

async fn pg_schema(conn: &mut PgConnection) -> Schema {
    // The columns numbered in `keys` (an int2[] of relation `rel`'s
    // attribute numbers), comma-separated in order.
    let names = |keys: &str, rel: &str| {
        format!(
            "(SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest({keys}) WITH ORDINALITY k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum)"
        )
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND c.relname NOT LIKE '\\_sqlx%' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut table = Table::default();
        let columns = sqlx::query(
            "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS ty, a.attnotnull AS not_null, \
                    a.atthasdef AS has_default, a.attidentity <> '' AS generated, \
                    CASE WHEN a.attcollation IN (0, 100) THEN NULL ELSE co.collname::text END AS collation \
             FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation \
             WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for c in columns {
            let ty: String = c.get("ty");
            table.columns.push(Column {
                name: c.get("name"),
                ty: match ty.as_str() {
                    "bigint" => "integer".to_string(),
                    "text" => "text".to_string(),
                    "double precision" => "real".to_string(),
                    "bytea" => "blob".to_string(),
                    other => format!("postgres:{other}"),
                },
                not_null: c.get("not_null"),
                has_default: c.get("has_default"),
                generated: c.get("generated"),
                collation: c.get("collation"),
            });
        }
        let indexes = sqlx::query(&format!(
            "SELECT ic.relname::text AS name, i.indisunique AS is_unique, i.indisprimary AS is_primary, \
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') AS constraint_backed, \
                    i.indexprs IS NOT NULL AS on_expression, \
                    {} AS columns, pg_get_expr(i.indpred, i.indrelid) AS predicate \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1::regclass",
            names("i.indkey::int2[]", "i.indrelid")
        ))
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for i in indexes {
            let columns: String = i.get::<Option<String>, _>("columns").unwrap_or_default();
            let index: String = i.get("name");
            if i.get::<bool, _>("on_expression") {
                table.indexes.insert(format!("index {index} on an expression"));
            } else if i.get("is_primary") {
                table.primary_key = columns.split(", ").map(String::from).collect();
            } else if i.get("constraint_backed") {
                table.indexes.insert(format!("unique ({columns})"));
            } else {
                let predicate: Option<String> = i.get("predicate");
                table.indexes.insert(index_description(
                    &index,
                    i.get("is_unique"),
                    &columns,
                    predicate.as_deref(),
                ));
            }
        }
        let fks = sqlx::query(&format!(
            "SELECT {} AS cols, c.confrelid::regclass::text AS target, {} AS target_cols, \
                    CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
                    WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END AS on_delete \
             FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = $1::regclass",
            names("c.conkey", "c.conrelid"),
            names("c.confkey", "c.confrelid")
        ))
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for f in fks {
            table.foreign_keys.insert(format!(
                "({}) -> {} ({}) on delete {}",
                f.get::<String, _>("cols"),
                f.get::<String, _>("target"),
                f.get::<String, _>("target_cols"),
                f.get::<String, _>("on_delete")
            ));
        }
        table.triggers = sqlx::query_scalar::<_, String>(
            "SELECT tgname::text FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
        schema.insert(name, table);
    }
    schema
}

/// Applies PostgreSQL's set up to `version` (those already applied are kept).
async fn pg_migrate(conn: &mut PgConnection, version: i64) -> Result<(), String> {
    let migrator = sqlx::migrate::Migrator::new(Embedded {
        set: PG_MIGRATIONS,
        version,
    })
    .await
    .map_err(|e| e.to_string())?;
    migrator.run(&mut *conn).await.map_err(|e| format!("{e:#}"))
}

async fn sqlite_at(path: &str, version: i64) -> Schema {
    let db = Db::open_at(path, version)
        .await
        .unwrap_or_else(|e| panic!("SQLite migration {version}: {e:#}"));
    db.close().await;
    let mut conn = SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    let schema = sqlite_schema(&mut conn).await;
    conn.close().await.unwrap();
    schema
}

fn assert_same(version: i64, sqlite: &Schema, postgres: &Schema) {
    let d = diff("SQLite", sqlite, "PostgreSQL", postgres);
    assert!(
        d.is_empty(),
        "after migration {version} the schemas differ:\n  {}",
        d.join("\n  ")
    );
}

#[test]
fn the_embedded_list_is_the_folder_and_matches_sqlites() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let listed = |set: &[(i64, &str, &str)]| -> Vec<String> {
        set.iter()
            .map(|(v, name, _)| format!("{v:04}_{name}.sql"))
            .collect()
    };
    assert_eq!(
        files,
        listed(PG_MIGRATIONS),
        "migrations/postgres against PG_MIGRATIONS"
    );
    assert_eq!(
        listed(PG_MIGRATIONS),
        listed(MIGRATIONS),
        "every SQLite migration has its PostgreSQL twin, same version and name"
    );
}

#[tokio::test]
async fn each_version_gives_the_same_schema_on_both() {
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let mut pg = PgConnection::connect(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sqlite").display().to_string();
    for (version, name, _) in MIGRATIONS {
        let sqlite = sqlite_at(&path, *version).await;
        pg_migrate(&mut pg, *version)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL migration {version} ({name}): {e}"));
        let postgres = pg_schema(&mut pg).await;
        assert!(!postgres.is_empty(), "PostgreSQL has tables after {version}");
        assert_same(*version, &sqlite, &postgres);
    }
    // The last version's comparison saw every table of both.
    let sqlite = sqlite_at(&path, i64::MAX).await;
    assert!(sqlite.contains_key("poll_reactions") && sqlite.contains_key("interactions"));
    pg.close().await.unwrap();
}

#[tokio::test]
async fn a_schema_that_drifts_is_reported() {
    let cluster = Cluster::start();
    let mut pg = PgConnection::connect(&cluster.fresh_database()).await.unwrap();
    pg_migrate(&mut pg, i64::MAX).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sqlite").display().to_string();
    let sqlite = sqlite_at(&path, i64::MAX).await;
    assert_same(0, &sqlite, &pg_schema(&mut pg).await);
    for drift in [
        "ALTER TABLE rfcs ALTER COLUMN title DROP NOT NULL",
        "ALTER TABLE jobs ALTER COLUMN attempts DROP DEFAULT",
        "ALTER TABLE releases ALTER COLUMN builds TYPE integer",
        "ALTER TABLE env_locks ALTER COLUMN env TYPE text COLLATE \"C\"",
        "CREATE INDEX jobs_kind ON jobs (kind)",
        "DROP INDEX interactions_unanswered; CREATE INDEX interactions_unanswered ON interactions (seen_at) WHERE answer IS NOT NULL",
        "ALTER TABLE deployments DROP CONSTRAINT deployments_message_id_fkey",
        "DROP TRIGGER audit_no_delete ON audit",
        "ALTER TABLE audit ADD COLUMN extra TEXT",
    ] {
        use sqlx::Executor;
        let mut tx = pg.begin().await.unwrap();
        tx.execute(drift).await.unwrap();
        let d = diff("SQLite", &sqlite, "PostgreSQL", &pg_schema(&mut tx).await);
        assert!(!d.is_empty(), "no difference found after {drift}");
        tx.rollback().await.unwrap();
    }
    pg.close().await.unwrap();
}

fn column(name: &str) -> Column {
    Column {
        name: name.into(),
        ty: "text".into(),
        not_null: true,
        has_default: false,
        generated: false,
        collation: None,
    }
}

#[test]
fn the_diff_names_each_kind_of_difference() {
    let mut a = Schema::new();
    a.insert(
        "t".into(),
        Table {
            columns: vec![column("x"), column("y")],
            primary_key: vec!["x".into()],
            indexes: ["index t_y (y)".to_string()].into(),
            foreign_keys: ["(y) -> u (id) on delete NO ACTION".to_string()].into(),
            triggers: ["t_guard".to_string()].into(),
        },
    );
    assert!(diff("a", &a, "b", &a.clone()).is_empty());
    let changed = |f: &dyn Fn(&mut Table)| {
        let mut b = a.clone();
        f(b.get_mut("t").unwrap());
        diff("a", &a, "b", &b).join("\n")
    };
    assert!(changed(&|t| t.columns[1].ty = "integer".into()).contains("t.y: a"));
    assert!(changed(&|t| t.columns[1].not_null = false).contains("t.y"));
    assert!(changed(&|t| t.columns[0].collation = Some("nocase".into())).contains("t.x"));
    assert!(changed(&|t| t.columns.swap(0, 1)).contains("column order"));
    assert!(changed(&|t| {
        t.columns.pop();
    })
    .contains("t.y: column only in a"));
    assert!(changed(&|t| t.primary_key = vec!["y".into()]).contains("primary key"));
    assert!(changed(&|t| {
        t.indexes.clear();
    })
    .contains("index only in a: index t_y (y)"));
    assert!(changed(&|t| {
        t.foreign_keys.clear();
    })
    .contains("foreign key only in a"));
    assert!(changed(&|t| {
        t.triggers.insert("t_more".into());
    })
    .contains("trigger only in b: t_more"));
    let mut b = a.clone();
    b.insert("u".into(), Table::default());
    assert_eq!(diff("a", &a, "b", &b), ["table u: only in b"]);
}

#[test]
fn collations_are_read_from_the_statement() {
    let c = sqlite_collations(
        "CREATE TABLE x (\n  a TEXT NOT NULL,  -- a comment, with a comma\n  \"b\" TEXT COLLATE NOCASE,\n  c TEXT CHECK (c IN ('p', 'q')),\n  PRIMARY KEY (a, b)\n)",
    );
    assert_eq!(c, BTreeMap::from([("b".to_string(), "nocase".to_string())]));
}

#[test]
fn predicates_compare_across_backends() {
    assert_eq!(
        normal_predicate("token IS NOT NULL"),
        normal_predicate("(token IS NOT NULL)")
    );
    assert_ne!(
        normal_predicate("token IS NOT NULL"),
        normal_predicate("(answer IS NOT NULL)")
    );
}

#[test]
fn a_test_database_replaces_the_servers() {
    assert_eq!(
        pg::with_database("postgres://postgres@127.0.0.1:5555/postgres", "rd_1_0"),
        "postgres://postgres@127.0.0.1:5555/rd_1_0"
    );
    assert_eq!(
        pg::with_database("postgres://u:p@h:1", "x"),
        "postgres://u:p@h:1/x"
    );
    assert_eq!(
        pg::with_database("postgresql://h/db?sslmode=disable", "x"),
        "postgresql://h/x?sslmode=disable"
    );
    assert_eq!(
        pg::redacted("postgres://u:secret@h:1/d"),
        "postgres://u:***@h:1/d"
    );
    assert_eq!(pg::redacted("postgres://u@h:1/d"), "postgres://u@h:1/d");
}

#[tokio::test]
async fn the_switch_gives_each_path_its_own_database() {
    let cluster = Cluster::start();
    let server = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let url_a = pg::database_url_on(Some(&server), &a);
    let port = format!("127.0.0.1:{}/rd_{}_", cluster.port(), std::process::id());
    assert!(
        url_a.starts_with("postgres://postgres@") && url_a.contains(&port),
        "{url_a}"
    );
    assert_eq!(
        pg::database_url_on(Some(&server), &a),
        url_a,
        "the same path, the same database"
    );
    let url_b = pg::database_url_on(Some(&server), &b);
    assert_ne!(url_a, url_b);
    // Each is a real, empty database on the cluster.
    for url in [&url_a, &url_b] {
        let mut conn = PgConnection::connect(url).await.unwrap();
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(tables, 0);
        conn.close().await.unwrap();
    }
    // Without the switch, the path itself.
    assert_eq!(pg::database_url_on(None, &a), a.to_str().unwrap());
}

#[test]
fn a_stopped_cluster_is_gone() {
    let cluster = Cluster::start();
    let port = cluster.port();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "listening"
    );
    drop(cluster);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on {port} after the drop"
    );
}

/// Writes that fire every stored-lookup trigger (migrations 0023, 0028 and
/// 0030): deployments planned, started and finished, RFCs linked and
/// re-dated, incidents opened (in another case of the environment, and one
/// resolved), re-graded, resolved, moved and re-opened, a release closed
/// unsuccessful and its environments changed.
const TRIGGER_WRITES: &[&str] = &[
    "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at) \
     VALUES ('g', 1, 't', 'normal', 'low', 'i', 'u', 'u', 'open', '2026-11-20T08:30:00.000Z')",
    "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at) \
     VALUES ('g', 2, 't', 'normal', 'low', 'i', 'u', 'u', 'open', '2026-11-25T08:30:00.000Z')",
    "INSERT INTO releases (guild, number, name, version, emergency, environments, state, manager, manager_name, created_at, updated_at) \
     VALUES ('g', 1, 'R', '1', 0, '[\"staging\",\"Prod\"]', 'planning', 'm', 'm', 'x', 'x')",
    "INSERT INTO release_rfcs (release_id, rfc_id) VALUES (1, 2)",
    "INSERT INTO deployments (release_id, env, attempt, steps, planned_by, planned_at) VALUES (1, 'staging', 1, '[]', 'm', 'x')",
    "INSERT INTO deployments (release_id, env, attempt, steps, planned_by, planned_at, started_at) \
     VALUES (1, 'prod', 1, '[]', 'm', 'x', '2026-12-01T09:00:00.000Z')",
    "UPDATE deployments SET started_at = '2026-12-01T08:00:00.007Z' WHERE id = 1",
    "UPDATE deployments SET finished_at = '2026-12-01T10:15:30.250Z', outcome = 'verified' WHERE id = 2",
    "INSERT INTO release_rfcs (release_id, rfc_id) VALUES (1, 1)",
    "INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at) \
     VALUES ('g', 1, 1, 'PROD', 2, 'code', 't', 'm', '2026-12-03T21:17:45.123Z')",
    "INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at, resolved_by, resolved_at) \
     VALUES ('g', 2, 1, 'prod', 3, 'code', 't', 'm', '2026-12-02T21:00:00.000Z', 'm', '2026-12-03T00:20:00.050Z')",
    "UPDATE incidents SET severity = 1 WHERE number = 2",
    "UPDATE incidents SET resolved_by = 'm', resolved_at = '2026-12-04T01:02:03.456Z' WHERE number = 1",
    "UPDATE incidents SET opened_at = '2026-12-03T20:00:00.001Z' WHERE number = 1",
    "UPDATE incidents SET resolved_at = NULL WHERE number = 2",
    "INSERT INTO release_outcomes (release_id, guild, outcome, closed_at) VALUES (1, 'g', 'unsuccessful', '2026-12-05T00:00:00.000Z')",
    "UPDATE rfcs SET created_at = '2026-11-01T00:00:00.000Z' WHERE id = 2",
    "DELETE FROM release_rfcs WHERE rfc_id = 1",
    "UPDATE releases SET environments = '[\"staging\"]' WHERE id = 1",
];

/// The stored lookups, as text (floats bit for bit).
const LOOKUPS: &str = "SELECT 'deployment ' || id || ': ' || COALESCE(guild, '-') || ' ' || production || ' ' || unsuccessful, \
     lead_hours, started_day, caused_day FROM deployments \
     UNION ALL SELECT 'incident ' || id || ': ' || COALESCE(attributed_start, '-'), attributed_gap, restore_hours, NULL FROM incidents \
     ORDER BY 1";

/// A row of [`LOOKUPS`]: what, and up to three stored floats.
type Lookup = (String, Option<f64>, Option<f64>, Option<f64>);

fn lookups_of(rows: Vec<Lookup>) -> Vec<String> {
    let bits = |f: Option<f64>| f.map_or("-".to_string(), |f| format!("{f} ({:x})", f.to_bits()));
    rows.into_iter()
        .map(|(what, a, b, c)| format!("{what} {} {} {}", bits(a), bits(b), bits(c)))
        .collect()
}

#[tokio::test]
async fn the_triggers_store_what_sqlites_do() {
    let cluster = Cluster::start();
    let mut pg = PgConnection::connect(&cluster.fresh_database()).await.unwrap();
    pg_migrate(&mut pg, i64::MAX).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("triggers.sqlite").display().to_string();
    Db::open(&path).await.unwrap().close().await;
    let mut lite = SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    for (i, write) in TRIGGER_WRITES.iter().enumerate() {
        sqlx::query(write).execute(&mut lite).await.unwrap();
        sqlx::query(write)
            .execute(&mut pg)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL: {write}: {e}"));
        let on_sqlite = lookups_of(sqlx::query_as(LOOKUPS).fetch_all(&mut lite).await.unwrap());
        let on_postgres = lookups_of(sqlx::query_as(LOOKUPS).fetch_all(&mut pg).await.unwrap());
        assert_eq!(on_sqlite, on_postgres, "after write {i}: {write}");
    }
    // The writes reached every lookup: a change failure found, lead time and gaps stored.
    let last = lookups_of(sqlx::query_as(LOOKUPS).fetch_all(&mut lite).await.unwrap());
    assert!(
        last.iter().any(|l| l.starts_with("deployment 2: g 0 1 7")),
        "{last:#?}"
    );
    assert!(
        last.iter()
            .filter(|l| l.starts_with("incident") && !l.ends_with("- - -"))
            .count()
            == 2,
        "{last:#?}"
    );
    assert!(
        last.iter()
            .all(|l| !l.starts_with("deployment 2") || !l.contains(" - ")),
        "{last:#?}"
    );
    // Incident 1's restore time, stored after it was resolved and moved;
    // incident 2's gone again with its re-opening.
    assert!(
        last.iter()
            .any(|l| l.starts_with("incident 1:") && l.ends_with(" -") && !l.ends_with("- -")),
        "{last:#?}"
    );
    assert!(
        last.iter()
            .any(|l| l.starts_with("incident 2:") && l.ends_with("- -")),
        "{last:#?}"
    );
    pg.close().await.unwrap();
}
