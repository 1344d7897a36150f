//! A fake Slack for tests: one local server per test on 127.0.0.1:0
//! serving the Web API methods the bot uses under `/api/`, the upload URLs
//! `files.getUploadURLExternal` hands out, and `response_url`s. It records
//! every request, answers unknown methods with `unknown_method` (recorded
//! apart, so a test can assert none happened), and can answer the next
//! calls of a method with 429 and a `Retry-After`. It also serves the
//! Socket Mode WebSocket `apps.connections.open` points to: `hello` on
//! connect, envelopes a test sends (duplicates included), acks recorded
//! with their arrival time, `disconnect` (refresh_requested) and dropped sockets.
#![allow(dead_code)]

pub mod bot;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The bot's user id.
pub const BOT: &str = "UBOT";
/// The served team.
pub const TEAM: &str = "T0DESK";

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Req {
    /// The Web API method (`chat.postMessage`), `upload/F…` or `respond/…`.
    pub method: String,
    /// The JSON body or query/form parameters, as JSON.
    pub params: Value,
    /// The raw body.
    pub raw: Vec<u8>,
    /// The bearer token sent.
    pub token: Option<String>,
    /// When it arrived.
    pub at: Instant,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Req>,
    unknown: Vec<Req>,
    /// ts → (channel, the last content).
    messages: BTreeMap<String, (String, Value)>,
    /// (channel, ts) → emoji name → users.
    reactions: BTreeMap<(String, String), BTreeMap<String, Vec<String>>>,
    groups: BTreeMap<String, Vec<String>>,
    /// method → (how many more 429s, Retry-After seconds).
    limit: BTreeMap<String, (u32, u64)>,
    next: u64,
    /// The open socket's sender.
    socket: Option<tokio::sync::mpsc::UnboundedSender<Frame>>,
    connections: u32,
    /// envelope id → when it was sent.
    sent: BTreeMap<String, Instant>,
    /// (envelope id, when acked, the ack frame).
    acks: Vec<(String, Instant, Value)>,
}

enum Frame {
    Send(Value),
    Drop,
}

/// The fake; cheap to clone.
#[derive(Clone)]
pub struct FakeSlack {
    inner: Arc<Mutex<Inner>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Value {
    let json_body = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if json_body {
        if let Ok(v) = serde_json::from_slice(body) {
            return v;
        }
    }
    let mut m = serde_json::Map::new();
    let query = uri.query().unwrap_or("").to_string();
    let form = if json_body {
        String::new()
    } else {
        String::from_utf8_lossy(body).to_string()
    };
    for pair in query
        .split('&')
        .chain(form.split('&'))
        .filter(|p| p.contains('='))
    {
        let (k, v) = pair.split_once('=').unwrap();
        let v = percent_decode(v);
        // Ids and timestamps stay text; only JSON lists and objects are decoded.
        let structured = v.starts_with('[') || v.starts_with('{');
        let value = if structured {
            serde_json::from_str(&v).unwrap_or(Value::String(v))
        } else {
            Value::String(v)
        };
        m.insert(k.to_string(), value);
    }
    Value::Object(m)
}

fn percent_decode(s: &str) -> String {
    let b = s.replace('+', " ");
    let bytes = b.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(n) = u8::from_str_radix(&b[i + 1..i + 3], 16) {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
}

impl FakeSlack {
    /// Starts a fake on a free port.
    pub async fn start() -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeSlack {
            inner: Arc::default(),
            addr,
        };
        let app = Router::new()
            .route("/socket", axum::routing::get(socket))
            .fallback(handle)
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The `[slack] api_base` to give the bot.
    pub fn api_base(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    /// A `response_url` for a slash command.
    pub fn response_url(&self, id: &str) -> String {
        format!("http://{}/respond/{id}", self.addr)
    }

    /// The next `times` calls of `method` (a Web API method, or a
    /// `respond/…` URL) are answered 429 with `Retry-After: secs`.
    pub fn rate_limit(&self, method: &str, times: u32, secs: u64) {
        self.inner
            .lock()
            .unwrap()
            .limit
            .insert(method.into(), (times, secs));
    }

    /// Puts `users` in user group `group`.
    pub fn group(&self, group: &str, users: &[&str]) {
        self.inner
            .lock()
            .unwrap()
            .groups
            .insert(group.into(), users.iter().map(|u| u.to_string()).collect());
    }

    /// `user` reacts with `name` on the message `ts` in `channel`.
    pub fn react(&self, channel: &str, ts: &str, name: &str, user: &str) {
        self.inner
            .lock()
            .unwrap()
            .reactions
            .entry((channel.into(), ts.into()))
            .or_default()
            .entry(name.into())
            .or_default()
            .push(user.into());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Req> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The requests of one method.
    pub fn calls(&self, method: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// Requests for methods the fake does not know.
    pub fn unknown(&self) -> Vec<Req> {
        self.inner.lock().unwrap().unknown.clone()
    }

    /// The messages held: ts → (channel, content).
    pub fn messages(&self) -> BTreeMap<String, (String, Value)> {
        self.inner.lock().unwrap().messages.clone()
    }

    /// Waits until the bot has connected `n` sockets in all.
    pub async fn connected(&self, n: u32) {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            {
                let g = self.inner.lock().unwrap();
                if g.connections >= n && g.socket.is_some() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the bot never opened socket {n}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Sends an envelope of `kind` (`slash_commands`, `events_api`,
    /// `interactive`) with `payload` under `envelope_id`.
    pub fn envelope(&self, envelope_id: &str, kind: &str, payload: Value) {
        let frame = json!({
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        });
        let mut g = self.inner.lock().unwrap();
        g.sent.entry(envelope_id.into()).or_insert_with(Instant::now);
        g.socket
            .as_ref()
            .expect("no socket open")
            .send(Frame::Send(frame))
            .unwrap();
    }

    /// Asks the bot to reconnect (`disconnect`, reason `refresh_requested`).
    pub fn refresh(&self) {
        let g = self.inner.lock().unwrap();
        let frame =
            json!({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}});
        g.socket
            .as_ref()
            .expect("no socket open")
            .send(Frame::Send(frame))
            .unwrap();
    }

    /// Drops the socket without a word.
    pub fn drop_socket(&self) {
        let mut g = self.inner.lock().unwrap();
        if let Some(s) = g.socket.take() {
            let _ = s.send(Frame::Drop);
        }
    }

    /// The acks so far: envelope id, how long after sending it came, the frame.
    pub fn acks(&self) -> Vec<(String, std::time::Duration, Value)> {
        let g = self.inner.lock().unwrap();
        g.acks
            .iter()
            .map(|(id, at, v)| (id.clone(), at.duration_since(g.sent[id]), v.clone()))
            .collect()
    }

    /// Waits for `n` acks.
    pub async fn wait_acks(&self, n: usize) -> Vec<(String, std::time::Duration, Value)> {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let a = self.acks();
            if a.len() >= n {
                return a;
            }
            assert!(Instant::now() < deadline, "only {} of {n} acks: {a:?}", a.len());
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Waits until `method` was called `n` times.
    pub async fn wait_calls(&self, method: &str, n: usize) -> Vec<Req> {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let c = self.calls(method);
            if c.len() >= n {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} {method} calls",
                c.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    fn answer(&self, method: &str, p: &Value) -> Option<Value> {
        let mut g = self.inner.lock().unwrap();
        let ok = |mut v: Value| {
            v["ok"] = json!(true);
            v
        };
        Some(match method {
            "auth.test" => ok(
                json!({"user_id": BOT, "team_id": TEAM, "team": "desk", "user": "release-desk", "bot_id": "B0BOT", "url": "https://desk.slack.com/"}),
            ),
            "chat.postMessage" | "chat.postEphemeral" => {
                g.next += 1;
                let ts = format!("1700000000.{:06}", g.next);
                let channel = s(p, "channel");
                g.messages.insert(ts.clone(), (channel.clone(), p.clone()));
                ok(
                    json!({"channel": channel, "ts": ts, "message": {"type": "message", "ts": ts, "text": s(p, "text")}}),
                )
            }
            "chat.update" => {
                let ts = s(p, "ts");
                let Some(m) = g.messages.get_mut(&ts) else {
                    return Some(json!({"ok": false, "error": "message_not_found"}));
                };
                m.1 = p.clone();
                ok(
                    json!({"channel": s(p, "channel"), "ts": ts, "text": s(p, "text"), "message": {"type": "message", "ts": ts, "text": s(p, "text")}}),
                )
            }
            "reactions.add" => {
                let key = (s(p, "channel"), s(p, "timestamp"));
                let users = g
                    .reactions
                    .entry(key)
                    .or_default()
                    .entry(s(p, "name"))
                    .or_default();
                if users.iter().any(|u| u == BOT) {
                    return Some(json!({"ok": false, "error": "already_reacted"}));
                }
                users.push(BOT.into());
                ok(json!({}))
            }
            "reactions.get" => {
                let (channel, ts) = (s(p, "channel"), s(p, "timestamp"));
                let reactions: Vec<Value> = g
                    .reactions
                    .get(&(channel.clone(), ts.clone()))
                    .map(|m| {
                        m.iter()
                            .map(|(name, users)| json!({"name": name, "count": users.len(), "users": users}))
                            .collect()
                    })
                    .unwrap_or_default();
                ok(
                    json!({"type": "message", "channel": channel, "message": {"type": "message", "ts": ts, "text": "", "reactions": reactions}}),
                )
            }
            "conversations.history" => {
                let channel = s(p, "channel");
                let limit = s(p, "limit").parse().unwrap_or(100);
                let mut found: Vec<Value> = g
                    .messages
                    .iter()
                    .filter(|(_, (c, _))| *c == channel)
                    .map(|(ts, (_, m))| {
                        let mut v = json!({"type": "message", "ts": ts, "text": s(m, "text"), "user": BOT});
                        if m.get("metadata").is_some() && s(p, "include_all_metadata") == "true" {
                            v["metadata"] = m["metadata"].clone();
                        }
                        v
                    })
                    .collect();
                found.reverse();
                found.truncate(limit);
                ok(json!({"messages": found, "has_more": false}))
            }
            "views.open" => ok(json!({"view": {"id": "V0FORM"}})),
            "conversations.open" => {
                let user = p["users"]
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(|u| u.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| s(p, "users"));
                ok(json!({"channel": {"id": format!("D{}", user.trim_start_matches('U'))}}))
            }
            "usergroups.users.list" => match g.groups.get(&s(p, "usergroup")) {
                Some(users) => ok(json!({"users": users})),
                None => json!({"ok": false, "error": "no_such_subteam"}),
            },
            "users.info" => {
                let id = s(p, "user");
                // Display names as people choose them: lower case, and one with pings in it.
                let display = match id.as_str() {
                    "U0MALLORY" => "<!channel> mallory".to_string(),
                    other => other.trim_start_matches("U0").to_lowercase(),
                };
                ok(
                    json!({"user": {"id": id, "name": id.to_lowercase(), "team_id": TEAM,
                                   "profile": {"display_name": display, "real_name": ""}}}),
                )
            }
            "files.getUploadURLExternal" => {
                g.next += 1;
                let id = format!("F{}", g.next);
                ok(json!({"upload_url": format!("http://{}/upload/{id}", self.addr), "file_id": id}))
            }
            "files.completeUploadExternal" => ok(json!({"files": p["files"].clone()})),
            "apps.connections.open" => ok(json!({"url": format!("ws://{}/socket", self.addr)})),
            _ => return None,
        })
    }
}

async fn handle(State(fake): State<FakeSlack>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let p = params(&uri, &headers, &body);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut req = Req {
        method: path
            .trim_start_matches('/')
            .trim_start_matches("api/")
            .to_string(),
        params: p.clone(),
        raw: body.to_vec(),
        token,
        at: Instant::now(),
        status: 200,
    };
    let limited = {
        let mut g = fake.inner.lock().unwrap();
        match g.limit.get_mut(&req.method) {
            Some((n, secs)) if *n > 0 => {
                *n -= 1;
                Some(*secs)
            }
            _ => None,
        }
    };
    if let Some(secs) = limited {
        req.status = 429;
        fake.inner.lock().unwrap().requests.push(req);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response();
    }
    if path.starts_with("/upload/") || path.starts_with("/respond/") {
        fake.inner.lock().unwrap().requests.push(req);
        return (StatusCode::OK, "OK").into_response();
    }
    match fake.answer(&req.method, &p) {
        Some(v) => {
            fake.inner.lock().unwrap().requests.push(req);
            Json(v).into_response()
        }
        None => {
            req.status = 404;
            let mut g = fake.inner.lock().unwrap();
            g.requests.push(req.clone());
            g.unknown.push(req);
            (
                StatusCode::NOT_FOUND,
                Json(json!({"ok": false, "error": "unknown_method"})),
            )
                .into_response()
        }
    }
}

async fn socket(State(fake): State<FakeSlack>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |s| run_socket(fake, s))
}

async fn run_socket(fake: FakeSlack, mut ws: WebSocket) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let mut g = fake.inner.lock().unwrap();
        g.connections += 1;
        g.socket = Some(tx);
    }
    let hello = json!({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A0DESK"}});
    if ws.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            f = rx.recv() => match f {
                Some(Frame::Send(v)) => {
                    if ws.send(Message::Text(v.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Some(Frame::Drop) | None => return,
            },
            m = ws.recv() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&t) {
                        if let Some(id) = v["envelope_id"].as_str() {
                            fake.inner.lock().unwrap().acks.push((id.to_string(), Instant::now(), v.clone()));
                        }
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
