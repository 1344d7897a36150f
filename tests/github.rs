//! The GitHub deployment protection rule against a fake GitHub on
//! 127.0.0.1 (the installation-token endpoint and the callback URL): the real
//! server, the real jobs, a real SQLite file, a restart in between.

mod common;
mod rows;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::Harness;
use hmac::{Hmac, Mac};
use release_desk::chat::console::GUILD;
use release_desk::config::Config;
use release_desk::http::Served;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex, Once};

const SECRET: &str = "test-webhook-secret";
const APP_ID: &str = "424242";

/// The App's credentials, the same for every test of this file (the
/// environment is the process's): set once, before any test reads them.
fn app_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let key = include_str!("keys/THROWAWAY-test-only-github-app.pem");
        std::env::set_var("GITHUB_APP_ID", APP_ID);
        std::env::set_var("GITHUB_APP_PRIVATE_KEY", key);
        std::env::set_var("GITHUB_WEBHOOK_SECRET", SECRET);
        std::env::set_var("GITLAB_WEBHOOK_TOKEN", "gl-webhook");
        std::env::set_var("GITLAB_TOKEN", "glpat-test");
    });
}

/// What the fake GitHub was sent.
#[derive(Default)]
struct Seen {
    tokens: usize,
    callbacks: Vec<Value>,
}

type Fake = Arc<Mutex<Seen>>;

async fn access_token(
    State(seen): State<Fake>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let jwt = headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_string();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(include_bytes!(
        "keys/THROWAWAY-test-only-github-app.pub.pem"
    ))
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // The desk's clock is the test's, not the wall's.
    v.validate_exp = false;
    v.set_required_spec_claims(&["iss", "exp", "iat"]);
    let claims = match jsonwebtoken::decode::<Value>(&jwt, &key, &v) {
        Ok(c) => c.claims,
        Err(e) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": e.to_string() })),
            )
        }
    };
    assert_eq!(claims["iss"], json!(APP_ID));
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 600);
    assert_eq!(id, 77);
    seen.lock().unwrap().tokens += 1;
    (StatusCode::CREATED, Json(json!({ "token": "ghs_installation" })))
}

async fn callback(State(seen): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> StatusCode {
    if headers["authorization"].to_str().unwrap() != "Bearer ghs_installation" {
        return StatusCode::UNAUTHORIZED;
    }
    seen.lock().unwrap().callbacks.push(body);
    StatusCode::NO_CONTENT
}

async fn fake_github() -> (String, Fake) {
    let seen = Fake::default();
    let app = Router::new()
        .route("/app/installations/{id}/access_tokens", post(access_token))
        .route(
            "/repos/acme/shop/actions/runs/{run}/deployment_protection_rule",
            post(callback),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn config(github: &str) -> Config {
    Config::from_layers(Some(&format!(
        "[cab]\nquorum = 1\nearly_approval = 1\nemergency_quorum = 1\n[calendar]\nannounce_before = []\n[github]\napi_base = \"{github}\"\n"
    )))
    .unwrap()
}

/// REL-1 "Search" 2.0.0 tested; authorized and planned for staging if `planned`.
fn script(planned: bool) -> String {
    let mut s = String::from(
        r#":as rita
/rfc new title:"Search v2" type:normal risk:low impact:"none"
:as rm release_manager,build_manager,change_manager
/release new name:"Search" version:2.0.0 rfcs:RFC-1
/release plan id:REL-1 backout:"switch the alias back" acceptance:"queries answer"
/release submit id:REL-1
:as c1 cab_member
:react last:#cab ✅
:as rm release_manager,build_manager,change_manager
/release prepare id:REL-1 validation:"ok"
/package add release:REL-1 item:search version:2.0.0
/package baseline release:REL-1
/release build id:REL-1
/release test id:REL-1 result:pass
"#,
    );
    if planned {
        s.push_str(
            ":as carol change_manager\n/release authorize id:REL-1 decision:approve\n:as dan deployment_staff\n\
             /deploy plan release:REL-1 env:staging steps:\"Index;Switch alias\"\n",
        );
    }
    s
}

/// The harness with the HTTP adapter's client for answers, as the binary wires it.
fn gated(mut h: Harness) -> Harness {
    h.app.pipelines = Some(Arc::new(release_desk::http::Answers));
    h
}

struct Desk {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn desk(h: &Harness) -> Desk {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    h.app.telemetry.set_connected(true);
    let served = Served::from_env(h.app.clone(), GUILD.to_string()).unwrap();
    tokio::spawn(release_desk::http::serve(listener, served, async move {
        let _ = stopped.await;
    }));
    Desk { base, _stop: stop }
}

fn event(github: &str, git_ref: &str, run: u32) -> String {
    json!({
        "action": "requested",
        "environment": "staging",
        "event": "push",
        "deployment_callback_url": format!("{github}/repos/acme/shop/actions/runs/{run}/deployment_protection_rule"),
        "deployment": { "id": 9, "ref": git_ref, "environment": "staging" },
        "installation": { "id": 77 },
        "repository": { "full_name": "acme/shop" }
    })
    .to_string()
}

fn sign(body: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(desk: &Desk, body: &str, signature: &str, delivery: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/github", desk.base))
        .header("X-GitHub-Event", "deployment_protection_rule")
        .header("X-GitHub-Delivery", delivery)
        .header("X-Hub-Signature-256", signature)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn audit_actions(h: &Harness) -> Vec<(String, String)> {
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    release_desk::db::audit::for_record(&mut conn, GUILD, "REL-1")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("gate."))
        .map(|e| (e.action, e.actor_name))
        .collect()
}

#[tokio::test]
async fn a_ready_release_is_approved_once_and_a_redelivery_ignored() {
    app_env();
    let (github, seen) = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let h = gated(Harness::with_config(&dir.path().join("t.sqlite"), config(&github)).await);
    h.run(&script(true)).await;
    h.run(":advance 2h").await; // 11:00, inside daily-staging
    let desk = desk(&h).await;
    let body = event(&github, "refs/tags/v2.0.0", 1);
    let (s, doc) = deliver(&desk, &body, &sign(&body, SECRET), "d-1").await;
    assert_eq!((s, doc), (200, json!({ "decision": "approved" })));
    let (s, doc) = deliver(&desk, &body, &sign(&body, SECRET), "d-1").await;
    assert_eq!((s, doc), (200, json!({ "ignored": "repeated delivery" })));
    h.settle().await;
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.tokens, 1);
        assert_eq!(
            seen.callbacks,
            [
                json!({ "environment_name": "staging", "state": "approved", "comment": "REL-1 Search (2.0.0) is ready for staging: approved." })
            ]
        );
    }
    assert_eq!(
        audit_actions(&h).await,
        [("gate.approved".to_string(), "GitHub".to_string())]
    );
    assert!(
        h.output().contains("GitHub deployment of REL-1 Search to staging: REL-1 Search (2.0.0) is ready for staging: approved."),
        "{}",
        h.output()
    );
}

#[tokio::test]
async fn a_release_whose_window_opens_later_is_approved_at_the_opening_after_a_restart() {
    app_env();
    let (github, seen) = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    {
        let h = gated(Harness::with_config(&path, config(&github)).await);
        h.run(&script(true)).await; // 09:00 Tue: daily-staging opens at 10:00
        let desk = desk(&h).await;
        let body = event(&github, "v2.0.0", 2);
        let (s, doc) = deliver(&desk, &body, &sign(&body, SECRET), "d-2").await;
        assert_eq!((s, doc), (200, json!({ "decision": "waiting" })));
        assert_eq!(
            seen.lock().unwrap().callbacks,
            [
                json!({ "environment_name": "staging", "comment": "waiting for daily-staging, opens Tue 10:00" })
            ]
        );
    } // the desk stops here
    let h = gated(Harness::with_config(&path, config(&github)).await);
    h.run(":advance 30m").await; // 09:30: not open yet
    assert_eq!(seen.lock().unwrap().callbacks.len(), 1);
    h.run(":advance 1h").await; // 10:30: the opening's job ran on the restarted desk
    h.run(":advance 1h").await;
    let callbacks = seen.lock().unwrap().callbacks.clone();
    assert_eq!(callbacks.len(), 2, "approved once: {callbacks:?}");
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    let kinds = release_desk::db::jobs::kinds(&mut conn).await.unwrap();
    drop(conn);
    for kind in ["gate-answer", "gate-opening"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} stored: {kinds:?}");
        assert!(
            release_desk::scheduler::JobKind::from_key(kind).is_some(),
            "{kind} has a handler"
        );
    }
    assert_eq!(callbacks[1]["state"], json!("approved"));
    assert_eq!(
        audit_actions(&h).await,
        [
            ("gate.waiting".to_string(), "GitHub".to_string()),
            ("gate.approved".to_string(), "GitHub".to_string())
        ]
    );
}

#[tokio::test]
async fn an_answer_waits_for_a_process_that_can_send_it() {
    app_env();
    let (github, seen) = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    {
        let h = gated(Harness::with_config(&path, config(&github)).await);
        h.run(&script(true)).await;
        let desk = desk(&h).await;
        let body = event(&github, "v2.0.0", 5);
        let (s, _) = deliver(&desk, &body, &sign(&body, SECRET), "d-5").await;
        assert_eq!(s, 200);
    }
    let open_answers = |h: &Harness| {
        let pool = h.app.db.pool.clone();
        async move {
            release_desk::db::query_as::<(Option<String>,)>(
                "SELECT last_error FROM jobs WHERE kind = 'gate-answer' AND done_at IS NULL",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    {
        // A process that was given no client for the providers: the opening
        // decides, the answer waits.
        let h = Harness::with_config(&path, config(&github)).await;
        h.run(":advance 1h30m").await;
        let waiting = open_answers(&h).await;
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert!(
            waiting[0]
                .0
                .as_deref()
                .unwrap_or("")
                .contains("sends no answers to pipelines"),
            "{waiting:?}"
        );
        assert_eq!(seen.lock().unwrap().callbacks.len(), 1);
    }
    let h = gated(Harness::with_config(&path, config(&github)).await);
    h.run(":advance 1h31m").await;
    h.run(":advance 1h").await;
    let callbacks = seen.lock().unwrap().callbacks.clone();
    assert_eq!(callbacks.len(), 2, "{callbacks:?}");
    assert_eq!(callbacks[1]["state"], json!("approved"));
    assert_eq!(open_answers(&h).await, vec![]);
}

#[tokio::test]
async fn an_unready_release_is_rejected_with_its_reasons() {
    app_env();
    let (github, seen) = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let h = gated(Harness::with_config(&dir.path().join("t.sqlite"), config(&github)).await);
    h.run(&script(false)).await;
    h.run(":advance 2h").await;
    let desk = desk(&h).await;
    let body = event(&github, "v2.0.0", 3);
    let (s, doc) = deliver(&desk, &body, &sign(&body, SECRET), "d-3").await;
    assert_eq!((s, doc), (200, json!({ "decision": "rejected" })));
    let unknown = event(&github, "v9.9.9", 4);
    let (s, doc) = deliver(&desk, &unknown, &sign(&unknown, SECRET), "d-4").await;
    assert_eq!((s, doc), (200, json!({ "decision": "rejected" })));
    let callbacks = seen.lock().unwrap().callbacks.clone();
    assert_eq!(callbacks.len(), 2);
    assert_eq!(callbacks[0]["state"], json!("rejected"));
    let comment = callbacks[0]["comment"].as_str().unwrap();
    assert!(comment.starts_with("REL-1 is not ready for staging: authorization: not authorized by a change manager (state Awaiting authorization); state: REL-1 is in state Awaiting authorization"), "{comment}");
    assert!(!comment.contains("window:"), "{comment}");
    assert_eq!(callbacks[1]["state"], json!("rejected"));
    assert!(
        callbacks[1]["comment"]
            .as_str()
            .unwrap()
            .contains("no open release has the version that \"v9.9.9\" names"),
        "{callbacks:?}"
    );
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_changes_nothing() {
    app_env();
    let (github, seen) = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let h = gated(Harness::with_config(&dir.path().join("t.sqlite"), config(&github)).await);
    h.run(&script(true)).await;
    h.run(":advance 2h").await;
    let desk = desk(&h).await;
    let body = event(&github, "v2.0.0", 5);
    let before = rows::contents(&h.app.db.pool).await;
    for signature in [
        sign(&body, "another-secret"),
        sign(&format!("{body} "), SECRET),
        String::new(),
        "sha256=zz".into(),
    ] {
        let (s, doc) = deliver(&desk, &body, &signature, "d-5").await;
        assert_eq!(
            (s, doc["error"]["code"].clone()),
            (401, json!("bad_signature")),
            "{signature}"
        );
    }
    assert_eq!(rows::diff(&before, &rows::contents(&h.app.db.pool).await), "");
    assert!(seen.lock().unwrap().callbacks.is_empty());
    // The delivery was not taken by the refused tries: signed, it goes through.
    let (s, doc) = deliver(&desk, &body, &sign(&body, SECRET), "d-5").await;
    assert_eq!((s, doc), (200, json!({ "decision": "approved" })));
}

/// GitLab: the same decisions through the approval API, the webhook token checked.
mod gitlab {
    use super::*;

    async fn approvals(
        State(seen): State<Fake>,
        Path((project, deployment)): Path<(i64, i64)>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> StatusCode {
        if headers["private-token"].to_str().unwrap() != "glpat-test" {
            return StatusCode::UNAUTHORIZED;
        }
        seen.lock()
            .unwrap()
            .callbacks
            .push(json!({ "project": project, "deployment": deployment, "body": body }));
        StatusCode::CREATED
    }

    fn event(deployment: i64, git_ref: &str) -> String {
        json!({
            "object_kind": "deployment",
            "status": "blocked",
            "deployment_id": deployment,
            "environment": "staging",
            "ref": git_ref,
            "project": { "id": 5 }
        })
        .to_string()
    }

    #[tokio::test]
    async fn a_blocked_deployment_is_approved_or_rejected_and_a_wrong_token_refused() {
        app_env();
        let seen = Fake::default();
        let app = Router::new()
            .route(
                "/api/v4/projects/{project}/deployments/{deployment}/approval",
                post(approvals),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gitlab = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_layers(Some(&format!(
            "[cab]\nquorum = 1\nearly_approval = 1\n[calendar]\nannounce_before = []\n[gitlab]\nurl = \"{gitlab}\"\n"
        )))
        .unwrap();
        let h = super::gated(Harness::with_config(&dir.path().join("t.sqlite"), config).await);
        h.run(&script(true)).await;
        h.run(":advance 2h").await;
        let desk = desk(&h).await;
        let send = |body: String, token: &'static str| {
            let url = format!("{}/webhooks/gitlab", desk.base);
            async move {
                let r = reqwest::Client::new()
                    .post(url)
                    .header("X-Gitlab-Token", token)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let before = rows::contents(&h.app.db.pool).await;
        let (s, doc) = send(event(31, "v2.0.0"), "wrong").await;
        assert_eq!((s, doc["error"]["code"].clone()), (401, json!("bad_signature")));
        assert_eq!(rows::diff(&before, &rows::contents(&h.app.db.pool).await), "");
        assert_eq!(
            send(event(31, "v2.0.0"), "gl-webhook").await,
            (200, json!({ "decision": "approved" }))
        );
        assert_eq!(
            send(event(31, "v2.0.0"), "gl-webhook").await,
            (200, json!({ "ignored": "repeated delivery" }))
        );
        assert_eq!(
            send(event(32, "v7.0.0"), "gl-webhook").await,
            (200, json!({ "decision": "rejected" }))
        );
        let calls = seen.lock().unwrap().callbacks.clone();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[0]["deployment"], json!(31));
        assert_eq!(calls[0]["body"]["status"], json!("approved"));
        assert_eq!(calls[1]["body"]["status"], json!("rejected"));
    }
}
