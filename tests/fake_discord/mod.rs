//! A fake Discord for end-to-end tests: one local server per test on
//! 127.0.0.1:0 serving the REST API under `/api/v10` and the gateway
//! WebSocket (Hello, Identify → READY, heartbeat ACK, Resume → RESUMED,
//! dispatches with sequence numbers). It records every request, answers
//! 404 to routes it does not know (and records them, so a test can assert
//! none happened), and lets a test inject interactions, reactions,
//! duplicate dispatches, socket drops, invalid sessions and 429s. Every
//! payload it sends is first deserialised into serenity's own type, so a
//! fixture with a missing field fails the test instead of being dropped
//! silently by the bot.
#![allow(dead_code)]

pub mod bot;
pub mod fixtures;
pub mod flow;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The bot's user id.
pub const BOT_ID: u64 = 900;
/// The application id.
pub const APP_ID: u64 = 901;
/// The one guild.
pub const GUILD: u64 = 1000;

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Req {
    /// GET, POST…
    pub method: String,
    /// The decoded path after `/api/v10`.
    pub path: String,
    /// The query string.
    pub query: String,
    /// The JSON body (for multipart, its `payload_json`), or Null.
    pub body: Value,
    /// Files uploaded with a multipart request.
    pub files: Vec<Upload>,
    /// When it arrived.
    pub at: Instant,
    /// The status answered.
    pub status: u16,
}

/// A message the fake holds.
#[derive(Debug, Clone)]
pub struct Msg {
    pub channel: u64,
    pub body: Value,
    pub edits: Vec<Value>,
}

enum Gw {
    Send(Value),
    Close(u16),
    Drop,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Req>,
    unknown: Vec<Req>,
    messages: BTreeMap<u64, Msg>,
    reactions: BTreeMap<(u64, String), BTreeSet<u64>>,
    members: HashMap<u64, (String, Vec<u64>)>,
    fail: Vec<(String, String, u16, u32)>,
    /// The wait an injected 429 asks for (seconds; default 0.25 in the body, 1 in Retry-After).
    retry_after: Option<f64>,
    /// Interaction callbacks are held unanswered (and unrecorded), as if lost.
    hold_callbacks: bool,
    /// How many callbacks were held.
    held: u32,
    next_id: u64,
    gateway: Option<mpsc::UnboundedSender<Gw>>,
    connections: u32,
    seq: u64,
    identifies: Vec<Value>,
    identified_at: Vec<Instant>,
    /// When each INTERACTION_CREATE (by interaction id) was written to the socket.
    dispatched_at: HashMap<u64, Instant>,
    resumes: Vec<Value>,
    sessions: u32,
    ws_url: String,
    answered: BTreeSet<String>,
    /// Request Guild Members (op 8) payloads received.
    member_requests: Vec<Value>,
    /// Op 8 goes unanswered, as from a gateway that never sends the chunks.
    ignore_member_requests: bool,
}

/// The fake.
#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&path[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file part of a multipart request.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field (`files[0]`…).
    pub field: String,
    /// The file name.
    pub filename: String,
    /// Its content type, if given.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a multipart/form-data body into (headers, content) parts.
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Some(boundary) = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
    else {
        return vec![];
    };
    let delim = format!("--{}", boundary.trim_matches('"'));
    let mut parts = Vec::new();
    let mut rest = body;
    let Some(first) = find(rest, delim.as_bytes()) else {
        return vec![];
    };
    rest = &rest[first + delim.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let Some(end) = find(rest, format!("\r\n{delim}").as_bytes()) else {
            break;
        };
        let part = &rest[..end];
        if let Some(h) = find(part, b"\r\n\r\n") {
            parts.push((
                String::from_utf8_lossy(&part[..h]).into_owned(),
                part[h + 4..].to_vec(),
            ));
        }
        rest = &rest[end + 2 + delim.len()..];
    }
    parts
}

fn header_param(headers: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let i = headers.find(&pat)? + pat.len();
    let end = headers[i..].find('"')?;
    Some(headers[i..i + end].to_string())
}

/// The JSON body (a multipart request's `payload_json`) and any uploaded files.
fn body_json(headers: &HeaderMap, body: &[u8]) -> (Value, Vec<Upload>) {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("multipart/") {
        let mut json = json!({"multipart": true});
        let mut files = Vec::new();
        for (h, content) in multipart_parts(ct, body) {
            let name = header_param(&h, "name").unwrap_or_default();
            match header_param(&h, "filename") {
                Some(filename) => files.push(Upload {
                    field: name,
                    filename,
                    content_type: h
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .starts_with("content-type:")
                                .then(|| l["content-type:".len()..].trim().to_string())
                        })
                        .unwrap_or_default(),
                    bytes: content,
                }),
                None if name == "payload_json" => {
                    json = serde_json::from_slice(&content).unwrap_or(Value::Null);
                }
                None => {}
            }
        }
        return (json, files);
    }
    (serde_json::from_slice(body).unwrap_or(Value::Null), vec![])
}

/// Checks a payload against serenity's type before it is sent.
pub fn checked<T: serde::de::DeserializeOwned>(what: &str, v: Value) -> Value {
    if let Err(e) = serde_json::from_value::<T>(v.clone()) {
        panic!("fake Discord fixture {what} does not deserialise into serenity's type: {e}\n{v:#}");
    }
    v
}

impl Fake {
    /// Starts a fake on 127.0.0.1:0.
    pub async fn start() -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            next_id: 100_000,
            ws_url: format!("ws://{addr}/ws"),
            ..Default::default()
        }));
        let fake = Fake { addr, inner };
        let app = Router::new()
            .route("/ws", get(ws))
            .fallback(rest)
            .with_state(fake.clone());
        // No Nagle delay on the fake's sockets: a dispatch written while
        // the previous one is unacknowledged would otherwise wait for the
        // bot's delayed ACK (tens of milliseconds), and the tests and the
        // benchmark would time the fake's socket, not the bot.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// The base URL to configure as `discord.api_base`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A guild member with role ids.
    pub fn member(&self, user: u64, name: &str, roles: &[u64]) {
        self.lock()
            .members
            .insert(user, (name.to_string(), roles.to_vec()));
    }

    /// The next `times` requests `METHOD path-prefix` answer `status`.
    /// Holds interaction callbacks from now on (`true`) without answering
    /// or recording them, or stops (`false`).
    pub fn hold_callbacks(&self, hold: bool) {
        self.lock().hold_callbacks = hold;
    }

    /// How many callbacks were held.
    pub fn held(&self) -> u32 {
        self.lock().held
    }

    /// Injected 429s ask for `secs` from now on (body `retry_after`, and
    /// rounded up in `Retry-After`).
    pub fn set_retry_after(&self, secs: f64) {
        self.lock().retry_after = Some(secs);
    }

    pub fn fail(&self, method: &str, path_prefix: &str, status: u16, times: u32) {
        self.lock()
            .fail
            .push((method.to_string(), path_prefix.to_string(), status, times));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Req> {
        self.lock().requests.clone()
    }

    /// Requests to routes the fake does not know.
    pub fn unknown(&self) -> Vec<Req> {
        self.lock().unknown.clone()
    }

    /// Requests matching a method and a path prefix.
    pub fn find(&self, method: &str, path_prefix: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.starts_with(path_prefix))
            .collect()
    }

    /// Messages posted (not interaction answers), by id.
    pub fn messages(&self) -> BTreeMap<u64, Msg> {
        self.lock().messages.clone()
    }

    /// Who has `emoji` on `message`.
    pub fn reactors(&self, message: u64, emoji: &str) -> Vec<u64> {
        self.lock()
            .reactions
            .get(&(message, emoji.to_string()))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Puts a reaction on a message without telling the gateway (a vote cast while the bot was away).
    pub fn add_reaction_silently(&self, message: u64, emoji: &str, user: u64) {
        self.lock()
            .reactions
            .entry((message, emoji.to_string()))
            .or_default()
            .insert(user);
    }

    /// IDENTIFY payloads received.
    pub fn identifies(&self) -> Vec<Value> {
        self.lock().identifies.clone()
    }

    /// When each IDENTIFY arrived.
    pub fn identified_at(&self) -> Vec<Instant> {
        self.lock().identified_at.clone()
    }

    /// When each interaction, by id, was written to the gateway socket.
    pub fn dispatch_times(&self) -> HashMap<u64, Instant> {
        self.lock().dispatched_at.clone()
    }

    /// When the callback of interaction `id` arrived, for every interaction answered.
    pub fn callback_times(&self) -> HashMap<u64, Instant> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/interactions/"))
            .filter_map(|r| Some((r.path.split('/').nth(2)?.parse().ok()?, r.at)))
            .collect()
    }

    /// How many requests the bot made so far.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// RESUME payloads received.
    pub fn resumes(&self) -> Vec<Value> {
        self.lock().resumes.clone()
    }

    /// Request Guild Members (op 8) payloads received.
    pub fn member_requests(&self) -> Vec<Value> {
        self.lock().member_requests.clone()
    }

    /// Leaves op 8 unanswered (the bot must then ask over REST).
    pub fn ignore_member_requests(&self, ignore: bool) {
        self.lock().ignore_member_requests = ignore;
    }

    /// Answers a Request Guild Members by user ids as Discord does: one
    /// GUILD_MEMBERS_CHUNK with the members found and the ids not found,
    /// echoing the nonce. Other forms (a query, all members) need the
    /// privileged intent this bot does not have, and get nothing.
    fn members_chunk(&self, d: &Value) {
        let id = |s: &str| s.parse::<u64>().ok();
        let ids: Vec<u64> = d["user_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().and_then(id).or(v.as_u64()))
                    .collect()
            })
            .unwrap_or_default();
        let chunk = {
            let mut i = self.lock();
            i.member_requests.push(d.clone());
            let valid = d["guild_id"].as_str().and_then(id) == Some(GUILD)
                && !ids.is_empty()
                && ids.len() <= 100
                && d["query"].is_null()
                && d["nonce"].as_str().is_some_and(|n| n.len() <= 32);
            if i.ignore_member_requests || !valid {
                return;
            }
            let (mut members, mut not_found) = (Vec::new(), Vec::new());
            for u in ids {
                match i.members.get(&u) {
                    Some((name, roles)) => members.push(fixtures::member(u, name, roles)),
                    None => not_found.push(u.to_string()),
                }
            }
            json!({"guild_id": GUILD.to_string(), "members": members, "chunk_index": 0, "chunk_count": 1,
                   "not_found": not_found, "nonce": d["nonce"]})
        };
        self.dispatch(
            "GUILD_MEMBERS_CHUNK",
            checked::<serenity::all::GuildMembersChunkEvent>("members chunk", chunk),
        );
    }

    /// Gateway connections opened.
    pub fn connections(&self) -> u32 {
        self.lock().connections
    }

    fn gw(&self, g: Gw) -> bool {
        match &self.lock().gateway {
            Some(tx) => tx.send(g).is_ok(),
            None => false,
        }
    }

    /// Sends a dispatch (op 0) with the next sequence number.
    pub fn dispatch(&self, t: &str, d: Value) -> bool {
        let s = {
            let mut i = self.lock();
            i.seq += 1;
            i.seq
        };
        self.gw(Gw::Send(json!({"op": 0, "t": t, "s": s, "d": d})))
    }

    /// Sends INTERACTION_CREATE.
    pub fn interaction(&self, d: Value) -> bool {
        self.dispatch("INTERACTION_CREATE", d)
    }

    /// A reaction by `user` (as a member with `roles`), added or removed, with its gateway event.
    pub fn react(&self, channel: u64, message: u64, user: u64, emoji: &str, added: bool) -> bool {
        let member = self.lock().members.get(&user).cloned();
        {
            let mut i = self.lock();
            let set = i.reactions.entry((message, emoji.to_string())).or_default();
            if added {
                set.insert(user);
            } else {
                set.remove(&user);
            }
        }
        let d = fixtures::reaction(channel, message, user, emoji, added.then_some(member).flatten());
        self.dispatch(
            if added {
                "MESSAGE_REACTION_ADD"
            } else {
                "MESSAGE_REACTION_REMOVE"
            },
            d,
        )
    }

    /// Closes the socket with `code` (4000: resumable).
    pub fn close(&self, code: u16) -> bool {
        self.gw(Gw::Close(code))
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_socket(&self) -> bool {
        self.gw(Gw::Drop)
    }

    /// Sends INVALID_SESSION (op 9).
    pub fn invalid_session(&self, resumable: bool) -> bool {
        self.gw(Gw::Send(json!({"op": 9, "d": resumable})))
    }

    /// Waits until `cond` holds (polling), or panics with `what` after `secs`.
    pub async fn wait(&self, secs: u64, what: &str, cond: impl Fn(&Fake) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if cond(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for: {what}\nrequests: {:#?}", self.summary());
    }

    /// Method and path of every request, for failure messages.
    pub fn summary(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {} → {}", r.method, r.path, r.status))
            .collect()
    }

    /// Waits for the bot to be connected and ready (a gateway session open).
    pub async fn ready(&self) {
        self.wait(15, "the bot to IDENTIFY and register its commands", |f| {
            !f.identifies().is_empty() && !f.find("PUT", &format!("/applications/{APP_ID}/")).is_empty()
        })
        .await;
    }

    fn next_id(&self) -> u64 {
        let mut i = self.lock();
        i.next_id += 1;
        i.next_id
    }
}

async fn ws(State(fake): State<Fake>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| session(fake, socket))
}

async fn session(fake: Fake, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut i = fake.lock();
        i.gateway = Some(tx);
        i.connections += 1;
    }
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { break };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                match v["op"].as_u64() {
                    Some(1) => {
                        let _ = socket.send(Message::Text(json!({"op": 11}).to_string().into())).await;
                    }
                    Some(2) => {
                        let (ready, s) = {
                            let mut i = fake.lock();
                            i.identifies.push(v["d"].clone());
                            i.identified_at.push(Instant::now());
                            i.sessions += 1;
                            i.seq = 1;
                            (fixtures::ready(&format!("session-{}", i.sessions), &i.ws_url), i.seq)
                        };
                        let d = json!({"op": 0, "t": "READY", "s": s, "d": ready});
                        let _ = socket.send(Message::Text(d.to_string().into())).await;
                    }
                    Some(8) => fake.members_chunk(&v["d"]),
                    Some(6) => {
                        let s = {
                            let mut i = fake.lock();
                            i.resumes.push(v["d"].clone());
                            i.seq += 1;
                            i.seq
                        };
                        let d = json!({"op": 0, "t": "RESUMED", "s": s, "d": {}});
                        let _ = socket.send(Message::Text(d.to_string().into())).await;
                    }
                    _ => {}
                }
            }
            cmd = rx.recv() => match cmd {
                Some(Gw::Send(v)) => {
                    let text = v.to_string();
                    if v["t"] == "INTERACTION_CREATE" {
                        if let Some(id) = v["d"]["id"].as_str().and_then(|id| id.parse().ok()) {
                            fake.lock().dispatched_at.insert(id, Instant::now());
                        }
                    }
                    if socket.send(Message::Text(text.into())).await.is_err() { break }
                }
                Some(Gw::Close(code)) => {
                    let frame = axum::extract::ws::CloseFrame { code, reason: "fake close".into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    break;
                }
                Some(Gw::Drop) | None => break,
            }
        }
    }
}

fn reply(status: StatusCode, v: Value) -> Response {
    (status, Json(v)).into_response()
}

async fn rest(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw_path = uri.path().to_string();
    let path = decode(raw_path.strip_prefix("/api/v10").unwrap_or(&raw_path));
    let query = uri.query().unwrap_or("").to_string();
    let (body, files) = body_json(&headers, &body);
    let mut req = Req {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        body: body.clone(),
        files,
        at: Instant::now(),
        status: 0,
    };
    let held = {
        let mut i = fake.lock();
        let hold = i.hold_callbacks && req.method == "POST" && path.starts_with("/interactions/");
        i.held += u32::from(hold);
        hold
    };
    if held {
        // Never answered: the bot waits until it is killed.
        std::future::pending::<()>().await;
    }
    let injected = {
        let mut i = fake.lock();
        let hit = i
            .fail
            .iter_mut()
            .find(|(m, p, _, n)| *m == req.method && path.starts_with(p.as_str()) && *n > 0);
        hit.map(|f| {
            f.3 -= 1;
            f.2
        })
    };
    let resp = match injected {
        Some(429) => {
            let asked = fake.lock().retry_after;
            let (body, header) = match asked {
                Some(secs) => (secs, secs.ceil()),
                None => (0.25, 1.0),
            };
            // As Discord sends it: no `code`, the wait in the body and the header.
            let mut r = reply(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"message": "You are being rate limited.", "retry_after": body, "global": false}),
            );
            r.headers_mut()
                .insert("retry-after", format!("{header}").parse().unwrap());
            r
        }
        Some(s) => reply(
            StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({"message": "injected failure", "code": 0}),
        ),
        None => route(&fake, &req.method, &path, &query, &body),
    };
    req.status = resp.status().as_u16();
    let mut i = fake.lock();
    if req.status == 404 && resp.headers().get("x-fake-unknown").is_some() {
        i.unknown.push(req.clone());
    }
    i.requests.push(req);
    resp
}

fn route(fake: &Fake, method: &str, path: &str, query: &str, body: &Value) -> Response {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |v: Value| reply(StatusCode::OK, v);
    let none = || StatusCode::NO_CONTENT.into_response();
    let id = |s: &str| s.parse::<u64>().ok();
    match (method, segs.as_slice()) {
        ("GET", ["users", "@me"]) => ok(fixtures::user(BOT_ID, "release-desk", true)),
        ("GET", ["gateway"]) => ok(json!({"url": fake.lock().ws_url.clone()})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": fake.lock().ws_url.clone(), "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        })),
        ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let guild = segs.get(3).and_then(|g| id(g));
            let cmds: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|c| fixtures::command(fake.next_id(), guild, c))
                .collect();
            ok(checked::<Vec<serenity::all::Command>>(
                "commands",
                Value::Array(cmds),
            ))
        }
        ("POST", ["interactions", i, _, "callback"]) => {
            // Discord answers an interaction once; a second callback is refused.
            if fake.lock().answered.insert(i.to_string()) {
                none()
            } else {
                reply(
                    StatusCode::BAD_REQUEST,
                    json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
                )
            }
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            ok(fixtures::message(fake.next_id(), 1, body))
        }
        ("DELETE", ["webhooks", _, _, "messages", "@original"]) => none(),
        ("GET", ["channels", c]) => match id(c) {
            Some(c) => ok(fixtures::channel(c)),
            None => not_found(),
        },
        ("POST", ["channels", c, "messages"]) => {
            let Some(c) = id(c) else { return not_found() };
            // Discord's enforce_nonce: a second create with the nonce of a
            // recent message of the same author returns that message.
            if body["enforce_nonce"] == json!(true) && body["nonce"].is_string() {
                let earlier = fake
                    .lock()
                    .messages
                    .iter()
                    .find(|(_, m)| m.channel == c && m.body["nonce"] == body["nonce"])
                    .map(|(mid, m)| (*mid, m.body.clone()));
                if let Some((mid, first)) = earlier {
                    return ok(fixtures::message(mid, c, &first));
                }
            }
            let mid = fake.next_id();
            fake.lock().messages.insert(
                mid,
                Msg {
                    channel: c,
                    body: body.clone(),
                    edits: vec![],
                },
            );
            ok(fixtures::message(mid, c, body))
        }
        ("PATCH", ["channels", c, "messages", m]) => {
            let (Some(c), Some(m)) = (id(c), id(m)) else {
                return not_found();
            };
            let mut i = fake.lock();
            match i.messages.get_mut(&m) {
                Some(msg) if msg.channel == c => {
                    msg.edits.push(body.clone());
                    drop(i);
                    ok(fixtures::message(m, c, body))
                }
                _ => reply(
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Message", "code": 10008}),
                ),
            }
        }
        ("PUT", ["channels", c, "messages", m, "reactions", emoji, "@me"]) => {
            let (Some(c), Some(m)) = (id(c), id(m)) else {
                return not_found();
            };
            fake.lock()
                .reactions
                .entry((m, emoji.to_string()))
                .or_default()
                .insert(BOT_ID);
            // Discord tells the bot about its own reaction too.
            let member = Some(("release-desk".to_string(), vec![]));
            fake.dispatch(
                "MESSAGE_REACTION_ADD",
                fixtures::reaction(c, m, BOT_ID, emoji, member),
            );
            none()
        }
        ("GET", ["channels", _, "messages", m, "reactions", emoji]) => {
            let Some(m) = id(m) else { return not_found() };
            let mut limit = 25usize;
            let mut after = 0u64;
            for kv in query.split('&') {
                match kv.split_once('=') {
                    Some(("limit", v)) => limit = v.parse().unwrap_or(25),
                    Some(("after", v)) => after = v.parse().unwrap_or(0),
                    _ => {}
                }
            }
            let i = fake.lock();
            let users: Vec<Value> = i
                .reactions
                .get(&(m, emoji.to_string()))
                .map(|s| {
                    s.iter()
                        .filter(|u| **u > after)
                        .take(limit.min(100))
                        .map(|u| {
                            let name = i
                                .members
                                .get(u)
                                .map(|m| m.0.clone())
                                .unwrap_or_else(|| format!("user{u}"));
                            fixtures::user(*u, &name, *u == BOT_ID)
                        })
                        .collect()
                })
                .unwrap_or_default();
            drop(i);
            ok(checked::<Vec<serenity::all::User>>(
                "reaction users",
                Value::Array(users),
            ))
        }
        ("GET", ["guilds", g, "members", u]) => {
            let (Some(g), Some(u)) = (id(g), id(u)) else {
                return not_found();
            };
            let m = fake.lock().members.get(&u).cloned();
            match m {
                Some((name, roles)) if g == GUILD => ok(fixtures::member(u, &name, &roles)),
                _ => reply(
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Member", "code": 10007}),
                ),
            }
        }
        ("POST", ["users", "@me", "channels"]) => {
            let user = body["recipient_id"]
                .as_str()
                .and_then(id)
                .or_else(|| body["recipient_id"].as_u64())
                .unwrap_or(0);
            ok(fixtures::dm_channel(50_000 + user, user))
        }
        _ => not_found(),
    }
}

fn not_found() -> Response {
    let mut r = reply(
        StatusCode::NOT_FOUND,
        json!({"message": "404: Not Found", "code": 0}),
    );
    r.headers_mut().insert("x-fake-unknown", "1".parse().unwrap());
    r
}
