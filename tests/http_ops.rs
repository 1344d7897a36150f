//! The operations endpoints against the real server on 127.0.0.1:0 and a
//! real SQLite file: `/metrics` parses as Prometheus text and its values
//! move with what happens; `/api/v1/openapi.json` describes every route the
//! router serves; `/readyz` says whether the chat is connected.

mod common;

use common::Harness;
use prometheus_parse::{LineInfo, Scrape, Value};
use release_desk::chat::console::GUILD;
use release_desk::config::Config;
use release_desk::http::Served;
use std::collections::BTreeSet;

struct Server {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(h: &Harness) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = Served::new(h.app.clone(), GUILD.to_string());
    tokio::spawn(release_desk::http::serve(listener, served, async move {
        let _ = stopped.await;
    }));
    Server { base, _stop: stop }
}

fn config() -> Config {
    Config::from_layers(Some(
        "[cab]\nquorum = 1\nearly_approval = 1\nemergency_quorum = 1\n[calendar]\nannounce_before = []\n",
    ))
    .unwrap()
}

/// Lines of the text format the parser would skip without a word: a
/// malformed sample or comment, a value that is no number. `# EOF` ends an
/// OpenMetrics exposition.
fn unparsed(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| match LineInfo::parse(l) {
            LineInfo::Ignored => *l != "# EOF" && !l.starts_with("# UNIT "),
            LineInfo::Sample { value, .. } => {
                value.parse::<f64>().is_err() && !["+Inf", "-Inf", "NaN"].contains(&value)
            }
            _ => false,
        })
        .map(str::to_string)
        .collect()
}

/// A scrape, refused unless every line parses.
async fn scrape(server: &Server) -> Scrape {
    let r = reqwest::get(format!("{}/metrics", server.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let kind = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = r.text().await.unwrap();
    assert_eq!(unparsed(&text), Vec::<String>::new(), "{text}");
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

/// The value of the sample `name` whose labels include `labels`; 0 when absent.
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = s
        .samples
        .iter()
        .filter(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("{name}: not a single value: {other:?}"),
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
    found.first().copied().unwrap_or(0.0)
}

#[test]
fn the_strict_line_check_finds_a_broken_line() {
    let good = "# HELP a_total A.\n# TYPE a counter\na_total{x=\"1\"} 3\n# EOF";
    assert_eq!(unparsed(good), Vec::<String>::new());
    assert_eq!(unparsed("a_total{x=\"1\" 3"), ["a_total{x=\"1\" 3"]);
    assert_eq!(unparsed("a_total three"), ["a_total three"]);
}

#[tokio::test]
async fn metrics_parse_and_move_with_commands_jobs_polls_and_releases() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config()).await;
    let server = start(&h).await;
    let before = scrape(&server).await;
    let families = [
        "release_desk_commands",
        "release_desk_answer_seconds",
        "release_desk_outbox_retries",
        "release_desk_outbox_backlog",
        "release_desk_jobs_run",
        "release_desk_jobs_late",
        "release_desk_polls",
        "release_desk_releases",
        "release_desk_chat_connected",
    ];
    let new_rfc = [("command", "/rfc new"), ("outcome", "changed")];
    assert_eq!(value(&before, "release_desk_commands_total", &new_rfc), 0.0);
    assert_eq!(
        value(&before, "release_desk_releases", &[("state", "plan-review")]),
        0.0
    );

    h.run(
        r#":as rita
/rfc new title:"Search v2" type:normal risk:low impact:"none"
/rfc show id:RFC-1
/rfc show id:RFC-9
/release new name:"Search" version:2.0.0 rfcs:RFC-1
:as rm release_manager,build_manager,change_manager
/release new name:"Search" version:2.0.0 rfcs:RFC-1
/release plan id:REL-1 backout:"switch the alias back" acceptance:"queries answer"
/release submit id:REL-1
"#,
    )
    .await;
    let after = scrape(&server).await;
    assert_eq!(value(&after, "release_desk_commands_total", &new_rfc), 1.0);
    for (command, outcome) in [
        ("/rfc show", "answered"),
        ("/rfc show", "refused"),
        ("/release new", "denied"),
        ("/release new", "changed"),
    ] {
        let labels = [("command", command), ("outcome", outcome)];
        assert_eq!(
            value(&after, "release_desk_commands_total", &labels),
            1.0,
            "{labels:?}"
        );
    }
    assert_eq!(value(&after, "release_desk_answer_seconds_count", &[]), 7.0);
    assert_eq!(
        value(&after, "release_desk_releases", &[("state", "plan-review")]),
        1.0
    );
    assert_eq!(value(&after, "release_desk_polls", &[("outcome", "open")]), 1.0);

    // The poll's deadline passes unvoted while nothing runs (a bot that
    // was down): its jobs run when the desk is back, late.
    h.clock.advance(chrono::Duration::days(7));
    h.app.settle(&h.chat, chrono::Duration::zero()).await.unwrap();
    let later = scrape(&server).await;
    // A family is shown once it has a sample: by now every one has.
    for family in families {
        assert!(
            later.docs.contains_key(family),
            "{family} missing: {:?}",
            later.docs
        );
    }
    assert_eq!(value(&later, "release_desk_polls", &[("outcome", "open")]), 0.0);
    assert_eq!(
        value(&later, "release_desk_polls", &[("outcome", "expired")]),
        1.0
    );
    // The poll's one reminder, due the evening before the deadline.
    let remind = [("kind", "poll-remind")];
    let (ran, late) = ("release_desk_jobs_run_total", "release_desk_jobs_late_total");
    assert_eq!(value(&after, ran, &remind), 0.0);
    assert_eq!(value(&later, ran, &remind), 1.0);
    assert_eq!(value(&later, late, &remind), 1.0);
    // The console delivers everything at once: nothing waits.
    assert_eq!(value(&later, "release_desk_outbox_backlog", &[]), 0.0);
}

/// The (method, path) of every `.route(…)` in the router's source.
fn router_routes() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let compact: String = src.split_whitespace().collect();
    let mut out = BTreeSet::new();
    for part in compact.split(".route(\"").skip(1) {
        let (path, rest) = part.split_once('"').unwrap();
        let method = rest.trim_start_matches(',').split('(').next().unwrap();
        out.insert((method.to_string(), path.to_string()));
    }
    out
}

/// The (method, path) of every operation the description lists.
fn described(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_description_lists_every_route_the_router_serves() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config()).await;
    let server = start(&h).await;
    let r = reqwest::get(format!("{}/api/v1/openapi.json", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let routes = router_routes();
    assert!(routes.len() >= 13, "the scan finds the routes: {routes:?}");
    assert_eq!(described(&doc), routes);
    // The comparison sees one route missing.
    let mut fewer = routes.clone();
    fewer.pop_first();
    assert_ne!(fewer, described(&doc));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in ["ReadinessDoc", "ErrorDoc", "ResultDoc", "BuildBody", "TestBody"] {
        assert!(schemas.contains_key(s), "{s}: {:?}", schemas.keys());
    }
    assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");

    // Each described operation is served: none falls to "no such endpoint" or 405.
    let client = reqwest::Client::new();
    for (method, path) in described(&doc) {
        let url = path
            .replace("{id}", "REL-1")
            .replace("{env}", "staging")
            .replace("{n}", "1");
        let req = match method.as_str() {
            "get" => client.get(format!("{}{url}", server.base)),
            "post" => client.post(format!("{}{url}", server.base)).body("{}"),
            other => panic!("{other} {path}"),
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}: {text}");
        assert!(!text.contains("no such endpoint"), "{method} {path}: {text}");
    }
    let r = client
        .get(format!("{}/api/v1/nothing", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("no such endpoint"));
}

#[tokio::test]
async fn readyz_says_whether_the_chat_is_connected() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config()).await;
    let server = start(&h).await;
    let get = || async {
        let r = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.unwrap())
    };
    let (s, doc) = get().await;
    assert_eq!(
        (s, doc),
        (
            503,
            serde_json::json!({ "ready": false, "database": true, "chat": false, "leader": true })
        )
    );
    h.app.telemetry.set_connected(true);
    let (s, doc) = get().await;
    assert_eq!(
        (s, doc),
        (
            200,
            serde_json::json!({ "ready": true, "database": true, "chat": true, "leader": true })
        )
    );
    let scraped = scrape(&server).await;
    assert_eq!(value(&scraped, "release_desk_chat_connected", &[]), 1.0);
    // The only instance on SQLite always leads (a standby's 0: tests/leadership.rs).
    assert_eq!(value(&scraped, "release_desk_leader", &[]), 1.0);
}
