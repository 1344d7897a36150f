//! The HTTP API against the real server on 127.0.0.1:0, a real SQLite file
//! and the real handlers: readiness agrees with `/deploy start`, tokens are
//! checked, pipeline results move releases as the chat commands do.

mod common;
mod rows;

use common::Harness;
use release_desk::chat::console::GUILD;
use release_desk::config::Config;
use release_desk::http::tokens::{self, TokenCmd};
use release_desk::http::Served;
use serde_json::{json, Value};

/// The server for a harness's application, stopped when dropped.
struct Server {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(h: &Harness) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        h.app.telemetry.set_connected(true);
        let served = Served::new(h.app.clone(), GUILD.to_string());
        tokio::spawn(release_desk::http::serve(listener, served, async move {
            let _ = stopped.await;
        }));
        Server {
            base,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        answer(r.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, token: Option<&str>, key: Option<&str>, body: Value) -> (u16, Value) {
        let mut r = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        answer(r.send().await.unwrap()).await
    }
}

async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// A new token of the console's workspace: the last line `token create` prints.
async fn token(h: &Harness, name: &str, scopes: &str) -> String {
    let out = tokens::command(
        &h.app.db,
        GUILD,
        TokenCmd::Create {
            name: name.into(),
            scopes: scopes.into(),
        },
        h.clock_now(),
        h.app.config.timezone,
    )
    .await
    .unwrap();
    let last = out.lines().last().unwrap().to_string();
    assert!(last.starts_with("rdk_"), "{out}");
    last
}

/// The default calendar (daily-staging Mon–Fri 10:00–18:00 London), with a freeze covering 1 Dec if asked.
fn config(freeze: bool) -> Config {
    let mut layer = String::from(
        "[cab]\nquorum = 1\nearly_approval = 1\nemergency_quorum = 1\n[calendar]\nannounce_before = []\n",
    );
    if freeze {
        layer.push_str(
            "freezes = [{ name = \"year-end\", from = \"2026-12-01T00:00:00Z\", to = \"2026-12-02T00:00:00Z\" }]\n",
        );
    }
    Config::from_layers(Some(&layer)).unwrap()
}

/// REL-1 (normal) and REL-2 (emergency), approved, built and tested pass; how far they go beyond that.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stage {
    /// Tested, waiting for the change manager.
    Tested,
    /// Authorized, no deployment plan yet.
    Authorized,
    /// Authorized with a deployment to staging planned.
    Planned,
}

fn script(stage: Stage) -> String {
    let mut s = String::from(
        r#":as rita
/rfc new title:"Search v2" type:normal risk:low impact:"none"
/rfc new title:"Fix TLS" type:emergency risk:high impact:"exposed"
:as rm release_manager,build_manager,change_manager
/release new name:"Search" version:2.0.0 rfcs:RFC-1
/release new name:"TLS fix" version:1.0.1 rfcs:RFC-2
/release plan id:REL-1 backout:"switch the alias back" acceptance:"queries answer"
/release plan id:REL-2 backout:"revert cert" acceptance:"handshake ok"
/release submit id:REL-1
/release submit id:REL-2
:as c1 cab_member,ecab_member
:react last:#cab ✅
:react last:#ecab ✅
:as rm release_manager,build_manager,change_manager
/release prepare id:REL-1 validation:"ok"
/release prepare id:REL-2 validation:"ok"
/package add release:REL-1 item:search version:2.0.0
/package add release:REL-2 item:tls version:1.0.1
/package baseline release:REL-1
/package baseline release:REL-2
/release build id:REL-1
/release build id:REL-2
/release test id:REL-1 result:pass
/release test id:REL-2 result:pass
"#,
    );
    if stage != Stage::Tested {
        s.push_str(
            ":as carol change_manager\n/release authorize id:REL-1 decision:approve\n/release authorize id:REL-2 decision:approve\n",
        );
    }
    if stage == Stage::Planned {
        s.push_str(
            ":as dan deployment_staff\n/deploy plan release:REL-1 env:staging steps:\"Index;Switch alias\"\n\
             /deploy plan release:REL-2 env:staging steps:\"Rotate cert\"\n",
        );
    }
    s
}

async fn state_of(h: &Harness, n: i64) -> String {
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    let r = release_desk::db::releases::get(&mut conn, GUILD, n)
        .await
        .unwrap()
        .unwrap();
    r.lifecycle.state.key().to_string()
}

fn failing(doc: &Value) -> Vec<String> {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == json!(false))
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

struct Case {
    name: &'static str,
    freeze: bool,
    in_window: bool,
    stage: Stage,
    rel2_deploying: bool,
    release: i64,
    failing: &'static [&'static str],
}

#[tokio::test]
async fn readiness_agrees_with_deploy_start() {
    let cases = [
        Case {
            name: "ready",
            freeze: false,
            in_window: true,
            stage: Stage::Planned,
            rel2_deploying: false,
            release: 1,
            failing: &[],
        },
        Case {
            name: "not authorized",
            freeze: false,
            in_window: true,
            stage: Stage::Tested,
            rel2_deploying: false,
            release: 1,
            failing: &["authorization", "state"],
        },
        Case {
            name: "not planned",
            freeze: false,
            in_window: true,
            stage: Stage::Authorized,
            rel2_deploying: false,
            release: 1,
            failing: &["state"],
        },
        Case {
            name: "before the window",
            freeze: false,
            in_window: false,
            stage: Stage::Planned,
            rel2_deploying: false,
            release: 1,
            failing: &["window"],
        },
        Case {
            name: "frozen",
            freeze: true,
            in_window: true,
            stage: Stage::Planned,
            rel2_deploying: false,
            release: 1,
            failing: &["freeze"],
        },
        Case {
            name: "locked",
            freeze: false,
            in_window: true,
            stage: Stage::Planned,
            rel2_deploying: true,
            release: 1,
            failing: &["lock"],
        },
        Case {
            name: "locked, before the window",
            freeze: false,
            in_window: false,
            stage: Stage::Planned,
            rel2_deploying: true,
            release: 1,
            failing: &["window", "lock"],
        },
        Case {
            name: "emergency in a freeze",
            freeze: true,
            in_window: true,
            stage: Stage::Planned,
            rel2_deploying: false,
            release: 2,
            failing: &[],
        },
        Case {
            name: "emergency, not authorized, frozen",
            freeze: true,
            in_window: false,
            stage: Stage::Tested,
            rel2_deploying: false,
            release: 2,
            failing: &["authorization", "state"],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::with_config(&dir.path().join("t.sqlite"), config(case.freeze)).await;
        h.run(&script(case.stage)).await;
        if case.in_window {
            h.run(":advance 2h").await; // 11:00, inside daily-staging
        }
        if case.rel2_deploying {
            // The emergency goes whatever the calendar says, and takes the lock.
            h.command_only(
                "dan",
                "deployment_staff",
                "/deploy start release:REL-2 env:staging",
            )
            .await;
            assert_eq!(state_of(&h, 2).await, "deploying", "{}", case.name);
        }
        let server = Server::start(&h).await;
        let t = token(&h, "ci", "readiness").await;
        let (status, doc) = server
            .get(
                &format!("/api/v1/readiness?release=REL-{}&env=staging", case.release),
                Some(&t),
            )
            .await;
        assert_eq!(status, 200, "{}: {doc}", case.name);
        assert_eq!(failing(&doc), case.failing, "{}: {doc:#}", case.name);
        assert_eq!(doc["ready"], json!(case.failing.is_empty()), "{}", case.name);
        assert_eq!(doc["checks"].as_array().unwrap().len(), 6);
        assert_eq!(doc["release"], json!(format!("REL-{}", case.release)));
        assert_eq!(doc["env"], json!("staging"));

        // Now what /deploy start does at the same instant.
        let before = rows::contents(&h.app.db.pool).await;
        let reply = h
            .command_only(
                "dan",
                "deployment_staff",
                &format!("/deploy start release:REL-{} env:staging", case.release),
            )
            .await;
        let started = state_of(&h, case.release).await == "deploying";
        assert_eq!(started, case.failing.is_empty(), "{}: {reply:?}", case.name);
        if !started {
            assert_eq!(
                before,
                rows::contents(&h.app.db.pool).await,
                "{}: a refusal changed rows",
                case.name
            );
            // The refusal is one of the failing checks' details, word for word.
            let text = match &reply {
                release_desk::handlers::Reply::Private(o) | release_desk::handlers::Reply::Public(o) => {
                    o.plain()
                }
            };
            let details: Vec<&str> = doc["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["ok"] == json!(false))
                .map(|c| c["detail"].as_str().unwrap())
                .collect();
            assert!(
                details.iter().any(|d| text.contains(d)),
                "{}: {text:?} not in {details:?}",
                case.name
            );
        }
        if case.name == "before the window" {
            let window = &doc["checks"][3];
            assert_eq!(window["until"], json!("2026-12-01T10:00:00Z"), "{doc:#}");
            assert_eq!(doc["next_opening"], json!("2026-12-01T10:00:00Z"));
        }
    }
}

#[tokio::test]
async fn unknown_release_and_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config(false)).await;
    let server = Server::start(&h).await;
    let t = token(&h, "ci", "readiness").await;
    let (s, doc) = server
        .get("/api/v1/readiness?release=REL-9&env=prod", Some(&t))
        .await;
    assert_eq!(
        (s, doc["error"]["code"].clone()),
        (404, json!("not_found")),
        "{doc}"
    );
    assert_eq!(doc["error"]["message"], json!("there is no release REL-9"));
    let (s, doc) = server
        .get("/api/v1/readiness?release=RFC-1&env=prod", Some(&t))
        .await;
    assert_eq!(
        (s, doc["error"]["code"].clone()),
        (400, json!("bad_request")),
        "{doc}"
    );
    let (s, doc) = server.get("/api/v1/nothing", Some(&t)).await;
    assert_eq!(
        (s, doc["error"]["code"].clone()),
        (404, json!("not_found")),
        "{doc}"
    );
    let (s, _) = server.get("/healthz", None).await;
    assert_eq!(s, 200);
    let (s, doc) = server.get("/readyz", None).await;
    assert_eq!(
        (s, doc),
        (
            200,
            json!({ "ready": true, "database": true, "chat": true, "leader": true })
        )
    );
    // A body over the limit is refused before it is read, in the same JSON shape.
    let big = "x".repeat(70 * 1024);
    let (s, doc) = server
        .post(
            "/api/v1/releases/REL-1/builds",
            Some(&t),
            None,
            json!({ "notes": big }),
        )
        .await;
    assert_eq!(
        (s, doc["error"]["code"].clone()),
        (413, json!("too_large")),
        "{doc}"
    );
}

#[tokio::test]
async fn bad_missing_revoked_and_wrong_scope_tokens_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config(false)).await;
    h.run(&script(Stage::Tested).replace("/release test id:REL-1 result:pass\n", ""))
        .await;
    let server = Server::start(&h).await;
    let reader = token(&h, "reader", "readiness").await;
    let old = token(&h, "old", "results,readiness").await;
    tokens::command(
        &h.app.db,
        GUILD,
        TokenCmd::Revoke { name: "old".into() },
        h.clock_now(),
        h.app.config.timezone,
    )
    .await
    .unwrap();
    let before = rows::contents(&h.app.db.pool).await;
    let body = json!({ "result": "fail", "notes": "smoke red" });
    let tests = "/api/v1/releases/REL-1/tests";
    for (who, token, status, code) in [
        ("missing", None, 401, "unauthorized"),
        ("bad", Some("rdk_0000"), 401, "unauthorized"),
        ("revoked", Some(old.as_str()), 401, "unauthorized"),
        ("wrong scope", Some(reader.as_str()), 403, "forbidden"),
    ] {
        let (s, doc) = server.post(tests, token, Some("k1"), body.clone()).await;
        assert_eq!(
            (s, doc["error"]["code"].as_str().unwrap()),
            (status, code),
            "{who}: {doc}"
        );
        let (s, _) = server
            .get("/api/v1/readiness?release=REL-1&env=staging", token)
            .await;
        let expected = if who == "wrong scope" { 200 } else { status };
        assert_eq!(s, expected, "{who} reading readiness");
    }
    assert_eq!(
        rows::diff(&before, &rows::contents(&h.app.db.pool).await),
        "",
        "refused calls changed rows"
    );
    // The same call with a token that may: it goes through (the refusals were the tokens').
    let ci = token(&h, "ci", "results").await;
    let (s, doc) = server.post(tests, Some(&ci), None, body).await;
    assert_eq!((s, doc["state"].clone()), (200, json!("building")), "{doc}");
}

/// The audit actions of REL-1, in order, with who did them.
async fn trail(h: &Harness) -> Vec<(String, String)> {
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    release_desk::db::audit::for_record(&mut conn, GUILD, "REL-1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor_name))
        .collect()
}

#[tokio::test]
async fn a_pipeline_moves_the_release_as_the_chat_commands_do() {
    let dir = tempfile::tempdir().unwrap();
    let prelude = script(Stage::Tested).replace("/release test id:REL-1 result:pass\n", "");
    // By chat.
    let chat = Harness::with_config(&dir.path().join("chat.sqlite"), config(false)).await;
    chat.run(&prelude).await;
    let start = trail(&chat).await.len();
    chat.run(
        ":as rm release_manager,build_manager,change_manager\n\
         /release test id:REL-1 result:fail notes:\"smoke red\"\n\
         /release build id:REL-1 notes:\"fix\"\n\
         /release test id:REL-1 result:pass notes:\"green\"\n",
    )
    .await;
    // By the API.
    let api = Harness::with_config(&dir.path().join("api.sqlite"), config(false)).await;
    api.run(&prelude).await;
    let server = Server::start(&api).await;
    let ci = token(&api, "ci", "results").await;
    let steps = [
        (
            "tests",
            json!({ "result": "fail", "notes": "smoke red" }),
            "building",
        ),
        ("builds", json!({ "notes": "fix" }), "testing"),
        (
            "tests",
            json!({ "result": "pass", "notes": "green" }),
            "awaiting-authorization",
        ),
    ];
    for (what, body, state) in steps {
        let (s, doc) = server
            .post(&format!("/api/v1/releases/REL-1/{what}"), Some(&ci), None, body)
            .await;
        assert_eq!((s, doc["state"].as_str().unwrap()), (200, state), "{what}: {doc}");
    }
    // A build now is refused with the chat's words, and changes nothing.
    let before = rows::contents(&api.app.db.pool).await;
    let (s, doc) = server
        .post(
            "/api/v1/releases/REL-1/builds",
            Some(&ci),
            None,
            json!({ "notes": "late" }),
        )
        .await;
    assert_eq!(
        (s, doc["error"]["code"].clone()),
        (409, json!("refused")),
        "{doc}"
    );
    let chat_says = chat
        .command_only("rm", "build_manager", "/release build id:REL-1")
        .await;
    let release_desk::handlers::Reply::Private(words) = chat_says else {
        panic!("{chat_says:?}")
    };
    assert_eq!(doc["error"]["message"], json!(words.plain()));
    assert_eq!(before, rows::contents(&api.app.db.pool).await);

    for n in [1, 2] {
        assert_eq!(state_of(&chat, n).await, state_of(&api, n).await);
    }
    let by_chat: Vec<String> = trail(&chat).await[start..]
        .iter()
        .map(|(a, _)| a.clone())
        .collect();
    let by_api = trail(&api).await;
    let by_api_actions: Vec<String> = by_api[start..].iter().map(|(a, _)| a.clone()).collect();
    assert_eq!(by_chat, by_api_actions);
    assert!(by_api[start..].iter().all(|(_, who)| who == "ci"), "{by_api:?}");
    let (mut c, mut a) = (
        chat.app.db.pool.acquire().await.unwrap(),
        api.app.db.pool.acquire().await.unwrap(),
    );
    let rc = release_desk::db::releases::get(&mut c, GUILD, 1)
        .await
        .unwrap()
        .unwrap();
    let ra = release_desk::db::releases::get(&mut a, GUILD, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (rc.builds, rc.lifecycle.test_runs),
        (ra.builds, ra.lifecycle.test_runs)
    );
    assert_eq!((ra.builds, ra.lifecycle.test_runs), (2, 2));
}

#[tokio::test]
async fn an_idempotent_retry_records_once() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config(false)).await;
    h.run(&script(Stage::Tested).replace("/release test id:REL-1 result:pass\n", ""))
        .await;
    let server = Server::start(&h).await;
    let ci = token(&h, "ci", "results").await;
    let body = json!({ "result": "fail", "notes": "smoke red", "url": "https://ci.example/1" });
    let first = server
        .post(
            "/api/v1/releases/REL-1/tests",
            Some(&ci),
            Some("run-41"),
            body.clone(),
        )
        .await;
    assert_eq!(first.0, 200, "{}", first.1);
    let after_first = rows::contents(&h.app.db.pool).await;
    let again = server
        .post(
            "/api/v1/releases/REL-1/tests",
            Some(&ci),
            Some("run-41"),
            body.clone(),
        )
        .await;
    assert_eq!(again, first);
    assert_eq!(
        rows::diff(&after_first, &rows::contents(&h.app.db.pool).await),
        ""
    );
    let tests: Vec<_> = trail(&h)
        .await
        .into_iter()
        .filter(|(a, _)| a == "release.test")
        .collect();
    assert_eq!(tests, [("release.test".to_string(), "ci".to_string())]);
    // Another key is another request: a test while building is refused.
    let other = server
        .post("/api/v1/releases/REL-1/tests", Some(&ci), Some("run-42"), body)
        .await;
    assert_eq!(other.0, 409, "{}", other.1);
}

#[tokio::test]
async fn a_cd_pipeline_drives_the_deployment_and_its_progress_message() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(&dir.path().join("t.sqlite"), config(false)).await;
    h.run(&script(Stage::Planned)).await;
    h.run(":advance 2h").await;
    let server = Server::start(&h).await;
    let cd = token(&h, "cd", "deploy").await;
    let ci = token(&h, "ci", "results,readiness").await;
    let base = "/api/v1/releases/REL-1/deployments/staging";
    let (s, doc) = server
        .post(&format!("{base}/start"), Some(&ci), None, json!({}))
        .await;
    assert_eq!(s, 403, "results is not deploy: {doc}");
    let (s, doc) = server
        .post(&format!("{base}/start"), Some(&cd), None, json!({}))
        .await;
    assert_eq!((s, doc["state"].clone()), (200, json!("deploying")), "{doc}");
    h.settle().await;
    let posted = h.output();
    assert!(posted.contains("[#deployments msg:"), "{posted}");
    let (s, doc) = server
        .post(&format!("{base}/steps/2"), Some(&cd), None, json!({}))
        .await;
    assert_eq!(s, 409, "out of order: {doc}");
    for n in [1, 2] {
        let (s, doc) = server
            .post(
                &format!("{base}/steps/{n}"),
                Some(&cd),
                None,
                json!({ "note": "ok" }),
            )
            .await;
        assert_eq!(s, 200, "{doc}");
    }
    let (s, doc) = server
        .post(
            &format!("{base}/verify"),
            Some(&cd),
            None,
            json!({ "confirmed": true }),
        )
        .await;
    assert_eq!(
        (s, doc["state"].clone()),
        (200, json!("deployment-planning")),
        "{doc}"
    );
    let len = h.output().len();
    h.settle().await;
    let later = h.output()[len..].to_string();
    assert!(later.contains("edited]"), "the progress message moved: {later}");
    let trail = trail(&h).await;
    assert!(
        trail
            .iter()
            .any(|(a, who)| a == "deployment.verify" && who == "cd"),
        "{trail:?}"
    );
}

fn cli(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .arg("token")
        .args(args)
        .arg("--db")
        .arg(common::database_url(db))
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_token_command_shows_a_token_once_and_keeps_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let (ok, out, err) = cli(&db, &["create", "--name", "ci", "--scopes", "readiness,results"]);
    assert!(ok, "{err}");
    let secret = out.lines().last().unwrap();
    assert!(secret.starts_with("rdk_") && secret.len() == 68, "{out}");
    let (ok, _, err) = cli(&db, &["create", "--name", "ci", "--scopes", "deploy"]);
    assert!(
        !ok && err.contains("a token called \"ci\" exists already"),
        "{err}"
    );
    let (ok, _, err) = cli(&db, &["create", "--name", "cd", "--scopes", "deploy,admin"]);
    assert!(!ok && err.contains("\"admin\" is not a scope"), "{err}");
    let (ok, list, _) = cli(&db, &["list"]);
    assert!(
        ok && list.starts_with("ci  scopes readiness,results  created "),
        "{list}"
    );
    assert!(!list.contains(secret));
    let opened = release_desk::db::Db::open(&common::database_url(&db))
        .await
        .unwrap();
    let stored = rows::contents(&opened.pool).await;
    assert!(!stored.contains(&secret[4..]), "the token itself is stored");
    assert!(stored.contains("'token.create'"), "{stored}");
    drop(opened);
    let (ok, out, _) = cli(&db, &["revoke", "ci"]);
    assert!(ok, "{out}");
    let (ok, _, err) = cli(&db, &["revoke", "ci"]);
    assert!(!ok && err.contains("no API token called \"ci\""), "{err}");
    let (_, list, _) = cli(&db, &["list"]);
    assert!(list.contains("REVOKED"), "{list}");
}
