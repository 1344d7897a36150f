//! `release-desk run` with `[http] listen` against the fake Discord: the
//! HTTP server runs beside the bot, `/readyz` reports the gateway's
//! connection and `/metrics` counts the commands Discord sent.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::Person;
use fake_discord::flow::*;
use fake_discord::Fake;
use serde_json::json;
use std::time::{Duration, Instant};

/// `/readyz` once it answers 200, within `secs`.
async fn ready_doc(base: &str, secs: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            if status == 200 {
                return serde_json::from_str(&text).unwrap();
            }
            last = format!("{status} {text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz never ready; last: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_serves_readiness_and_metrics_beside_discord() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let base = format!("http://127.0.0.1:{port}");
    fake.ready().await;
    assert_eq!(
        ready_doc(&base, 15).await,
        json!({ "ready": true, "database": true, "chat": true, "leader": true })
    );
    let rita = Person::new(111, "rita", &[]);
    run(
        &fake,
        8100,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Alpha change")),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ],
    )
    .await;
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("release_desk_commands_total{command=\"/rfc new\",outcome=\"changed\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("release_desk_chat_connected 1\n"), "{metrics}");
    assert!(
        metrics.contains("release_desk_answer_seconds_count 1\n"),
        "{metrics}"
    );
    bot.stop();
}
