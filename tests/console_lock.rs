//! One bot per database: a console refuses a database the real
//! `release-desk run` holds, naming the bot's pid and how to get a copy;
//! `backup` takes that copy from the live database; once the bot has
//! stopped, the console opens the database again.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::Person;
use fake_discord::flow::*;
use fake_discord::Fake;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

fn release_desk(args: &[&std::ffi::OsStr], stdin: &[u8]) -> Output {
    common::release_desk(args, stdin)
}

fn console(db: &Path) -> Output {
    release_desk(
        &["console".as_ref(), "--db".as_ref(), db.as_os_str()],
        b":as rita\n/rfc new title:FromConsole type:normal risk:low impact:i\n",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_refuses_the_database_of_a_running_bot_and_backup_copies_it() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let answer = run(
        &fake,
        7001,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Live")),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ],
    )
    .await;
    assert!(text(&answer).contains("RFC-1"), "{answer}");

    let refused = console(&bot.db);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} is in use by a running release-desk bot (process {}, holding {}.lock): a console cannot work on it.",
            bot.db.display(),
            bot.child.id(),
            bot.db.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "release-desk backup --db {} --to COPY.sqlite",
            bot.db.display()
        )),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "the console ran nothing");

    // The copy, taken from the live database, has the bot's record and opens in a console.
    let copy = bot.db.with_file_name("copy.sqlite");
    let backup = release_desk(
        &[
            "backup".as_ref(),
            "--db".as_ref(),
            bot.db.as_os_str(),
            "--to".as_ref(),
            copy.as_os_str(),
        ],
        b"",
    );
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    let on_copy = console(&copy);
    assert!(
        on_copy.status.success(),
        "{}",
        String::from_utf8_lossy(&on_copy.stderr)
    );
    let titles: Vec<String> = {
        let db = release_desk::db::Db::open(copy.to_str().unwrap()).await.unwrap();
        release_desk::db::query_scalar("SELECT title FROM rfcs ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    };
    assert_eq!(titles, ["Live", "FromConsole"]);

    // The bot stopped, its lock goes with it.
    let dir = bot.terminate();
    let db = dir.path().join("bot.sqlite");
    let after = console(&db);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("FromConsole"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bot_on_the_same_database_refuses_to_start() {
    let fake = Fake::start().await;
    let first = Bot::start(&fake, "");
    fake.ready().await;
    let config = first.dir.as_ref().unwrap().path().join("config.toml");
    let second = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .arg("run")
        .arg("--config")
        .arg(&config)
        .env("DISCORD_TOKEN", TOKEN)
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("(process {}, holding", first.child.id()))
            && stderr.contains("the bot cannot work on it"),
        "{stderr}"
    );
    assert_eq!(fake.identifies().len(), 1, "the second bot never connected");
    first.terminate();
}
