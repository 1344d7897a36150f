//! The job registry: every kind of job the bot stores has a handler, and
//! names are unique; a job that fails waits without holding up the others.

mod common;

use async_trait::async_trait;
use release_desk::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use release_desk::scheduler::JobKind;

#[test]
fn job_kind_keys_are_the_stored_names() {
    // The names databases already hold: changing one orphans their jobs.
    let expected = [
        (JobKind::PollClose, "poll-close"),
        (JobKind::Window, "window"),
        (JobKind::ElsEnd, "els-end"),
        (JobKind::SurveyCount, "survey-count"),
        (JobKind::PollRemind, "poll-remind"),
        (JobKind::GateAnswer, "gate-answer"),
        (JobKind::GateOpening, "gate-opening"),
    ];
    assert_eq!(
        JobKind::ALL.len(),
        expected.len(),
        "a kind without an expected name"
    );
    for (kind, key) in expected {
        assert_eq!(kind.key(), key);
        assert_eq!(JobKind::from_key(key), Some(kind));
    }
    assert_eq!(JobKind::from_key("poll"), None);
    assert_eq!(JobKind::from_key(""), None);
}

/// A harness with the default config (release windows included) and the
/// happy path's script, not yet run.
async fn happy_path(dir: &tempfile::TempDir) -> (common::Harness, String) {
    let h = common::Harness::with_config(
        &dir.path().join("jobs.sqlite"),
        release_desk::config::Config::defaults(),
    )
    .await;
    let script = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/happy_path.in"),
    )
    .unwrap();
    (h, script)
}

#[tokio::test]
async fn every_stored_job_kind_has_a_handler() {
    let dir = tempfile::tempdir().unwrap();
    // The full happy path stores every kind: poll deadlines, window
    // announcements, the end of ELS, and (with a reconnect) survey recounts.
    let (h, script) = happy_path(&dir).await;
    // A reconnect during early life support stores the survey recount.
    let (before, after) = script.split_at(script.find("/release close").unwrap());
    h.run(before).await;
    assert!(
        h.app.recount_reactions().await.unwrap() >= 1,
        "the survey is open"
    );
    h.run(after).await;
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    let stored = release_desk::db::jobs::kinds(&mut conn).await.unwrap();
    // The gate's kinds need a pipeline asking: tests/github.rs stores them.
    let chat_kinds = JobKind::ALL
        .iter()
        .filter(|k| !matches!(k, JobKind::GateAnswer | JobKind::GateOpening))
        .count();
    assert_eq!(
        stored.len(),
        chat_kinds,
        "the scenario stores every kind: {stored:?}"
    );
    for kind in stored {
        assert!(
            JobKind::from_key(&kind).is_some(),
            "stored job kind {kind} has no handler"
        );
    }
}

/// The console platform, except that reading the reactions of the messages
/// in `failing` fails as given.
struct Failing<'a> {
    inner: &'a release_desk::chat::console::ConsoleChat,
    failing: std::sync::Mutex<std::collections::HashMap<String, ChatError>>,
}

impl<'a> Failing<'a> {
    /// The harness's console, failing to read the reactions of `message` with `e`.
    fn on(h: &'a common::Harness, message: String, e: ChatError) -> Failing<'a> {
        let failing = Failing {
            inner: &h.chat,
            failing: Default::default(),
        };
        failing.failing.lock().unwrap().insert(message, e);
        failing
    }
}

#[async_trait]
impl Chat for Failing<'_> {
    async fn post(&self, channel: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.inner.post(channel, m, nonce).await
    }
    async fn edit(&self, at: &Posted, m: &Outgoing) -> Result<(), ChatError> {
        self.inner.edit(at, m).await
    }
    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError> {
        self.inner.react(at, emoji).await
    }
    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        if let Some(e) = self.failing.lock().unwrap().get(&at.id) {
            return Err(e.clone());
        }
        self.inner.reactions(at, emoji).await
    }
    async fn direct(&self, user: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.inner.direct(user, m, nonce).await
    }
}

/// Two releases before the CAB (quorum 1, decided at the deadline), each
/// with c1's ✅; returns the platform id of REL-1's poll message.
async fn two_polls(h: &common::Harness) -> String {
    h.run(
        ":as rita\n/rfc new title:A type:normal risk:low impact:i\n/rfc new title:B type:normal risk:low impact:i\n\
         :as rm release_manager\n/release new name:A version:1.0.0 rfcs:RFC-1\n/release new name:B version:1.0.0 rfcs:RFC-2\n\
         /release plan id:REL-1 backout:b acceptance:a\n/release plan id:REL-2 backout:b acceptance:a\n\
         /release submit id:REL-1\n:as c1 cab_member\n:react last:#cab ✅\n\
         :as rm release_manager\n/release submit id:REL-2\n:as c1 cab_member\n:react last:#cab ✅\n",
    )
    .await;
    release_desk::db::query_scalar(
        "SELECT m.platform_id FROM polls p JOIN bot_messages m ON m.id = p.message_id
         JOIN releases r ON r.id = p.release_id WHERE r.number = 1",
    )
    .fetch_one(&h.app.db.pool)
    .await
    .unwrap()
}

async fn state_of(h: &common::Harness, number: i64) -> String {
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    release_desk::db::releases::get(&mut conn, release_desk::chat::console::GUILD, number)
        .await
        .unwrap()
        .unwrap()
        .lifecycle
        .state
        .key()
        .to_string()
}

fn quorum_one() -> release_desk::config::Config {
    release_desk::config::Config::from_layers(Some("[cab]\nquorum = 1\n[calendar]\nwindows = []\n")).unwrap()
}

#[tokio::test]
async fn a_poll_whose_reactions_cannot_be_read_waits_without_holding_up_the_jobs_due_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::with_config(&dir.path().join("stuck.sqlite"), quorum_one()).await;
    let rel1 = two_polls(&h).await;
    let failing = Failing::on(
        &h,
        rel1,
        ChatError::Retry {
            after: None,
            message: "HTTP 503".into(),
        },
    );
    let deadline = h.clock_now() + chrono::Duration::days(3);
    h.clock.set(deadline);
    h.app.run_due(&failing).await.unwrap();
    assert_eq!(state_of(&h, 1).await, "plan-review", "REL-1's count failed");
    assert_eq!(
        state_of(&h, 2).await,
        "preparing",
        "REL-2's deadline came after REL-1's and was not held up"
    );
    let (attempts, error): (i64, String) = release_desk::db::query_as(
        "SELECT attempts, last_error FROM jobs WHERE done_at IS NULL AND kind = 'poll-close'",
    )
    .fetch_one(&h.app.db.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.contains("HTTP 503"), "{error}");
    // Not retried before its back-off ends, even if asked again at once.
    h.app.run_due(&failing).await.unwrap();
    assert_eq!(
        release_desk::db::query_scalar::<i64>(
            "SELECT attempts FROM jobs WHERE done_at IS NULL AND kind = 'poll-close'"
        )
        .fetch_one(&h.app.db.pool)
        .await
        .unwrap(),
        1
    );
    // The platform answers again: the retry counts c1's vote.
    failing.failing.lock().unwrap().clear();
    h.clock.set(deadline + chrono::Duration::seconds(2));
    h.app.run_due(&failing).await.unwrap();
    assert_eq!(state_of(&h, 1).await, "preparing");
}

#[tokio::test]
async fn a_poll_whose_message_is_gone_is_decided_from_the_votes_recorded_as_they_came() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::with_config(&dir.path().join("gone.sqlite"), quorum_one()).await;
    let rel1 = two_polls(&h).await;
    let failing = Failing::on(
        &h,
        rel1,
        ChatError::Permanent("HTTP 404 GET /channels/c/messages/m/reactions".into()),
    );
    h.clock.set(h.clock_now() + chrono::Duration::days(3));
    h.app.run_due(&failing).await.unwrap();
    assert_eq!(
        state_of(&h, 1).await,
        "preparing",
        "c1's recorded ✅ decided REL-1"
    );
    assert_eq!(state_of(&h, 2).await, "preparing");
    assert_eq!(
        common::sql_count(
            &h.app.db,
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND kind = 'poll-close'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_survey_recount_keeps_a_reacted_answer_takes_the_highest_new_one_and_withdraws_a_gone_one() {
    let dir = tempfile::tempdir().unwrap();
    let (h, script) = happy_path(&dir).await;
    // Up to early life support, where rita answers 4 then 5; uma answers 1.
    let (before, _) = script.split_at(script.find(":as ella els_staff").unwrap());
    h.run(&format!("{before}:as uma\n:react last:#releases 1️⃣\n"))
        .await;
    let (message, platform): (i64, String) =
        release_desk::db::query_as("SELECT id, platform_id FROM bot_messages WHERE purpose LIKE 'survey:%'")
            .fetch_one(&h.app.db.pool)
            .await
            .unwrap();
    let answers = || async {
        release_desk::db::incidents::survey_answers(
            &mut h.app.db.pool.acquire().await.unwrap(),
            release_desk::chat::console::GUILD,
            message,
        )
        .await
        .unwrap()
    };
    assert_eq!(answers().await, [("rita".to_string(), 5), ("uma".to_string(), 1)]);
    // While the bot is away: rita takes back 5 (her 4 stays), sam reacts 2 and
    // 3, uma takes back her 1.
    let platform: i64 = platform.parse().unwrap();
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    use release_desk::db::console::{add_reaction, remove_reaction};
    remove_reaction(&mut conn, platform, "rita", "5️⃣").await.unwrap();
    add_reaction(&mut conn, platform, "sam", "2️⃣").await.unwrap();
    add_reaction(&mut conn, platform, "sam", "3️⃣").await.unwrap();
    remove_reaction(&mut conn, platform, "uma", "1️⃣").await.unwrap();
    drop(conn);
    // The bot is back a minute later.
    h.clock.set(h.clock_now() + chrono::Duration::minutes(1));
    assert_eq!(h.app.recount_reactions().await.unwrap(), 1);
    h.settle().await;
    assert_eq!(answers().await, [("rita".to_string(), 4), ("sam".to_string(), 3)]);
    let audited: Vec<(String, String, Option<String>, Option<String>)> = release_desk::db::query_as(
        "SELECT actor, action, before, after FROM audit WHERE action LIKE 'survey.%' ORDER BY id DESC LIMIT 3",
    )
    .fetch_all(&h.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("uma".into(), "survey.withdraw".into(), Some("1".into()), None),
            ("sam".into(), "survey.answer".into(), None, Some("3".into())),
            (
                "rita".into(),
                "survey.answer".into(),
                Some("5".into()),
                Some("4".into())
            ),
        ]
    );
}

/// The console platform, where c2's ✅ on `message` arrives as a live
/// event while the recount is reading the ✅ reactions (too late for them).
struct Racing<'a> {
    h: &'a common::Harness,
    message: String,
    fired: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Chat for Racing<'_> {
    async fn post(&self, channel: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.h.chat.post(channel, m, nonce).await
    }
    async fn edit(&self, at: &Posted, m: &Outgoing) -> Result<(), ChatError> {
        self.h.chat.edit(at, m).await
    }
    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError> {
        self.h.chat.react(at, emoji).await
    }
    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        let read = self.h.chat.reactions(at, emoji).await;
        if at.id == self.message
            && emoji == "✅"
            && !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let ev = release_desk::handlers::reaction::ReactionEvent {
                message: self.message.clone(),
                channel: at.channel.clone(),
                user: "c2".into(),
                name: "c2".into(),
                roles: self.h.app.config.itil_roles(["cab_member"]),
                emoji: "✅".into(),
                added: true,
                bot: false,
            };
            self.h
                .app
                .reaction(release_desk::chat::console::GUILD, &ev)
                .await
                .unwrap();
        }
        read
    }
    async fn direct(&self, user: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.h.chat.direct(user, m, nonce).await
    }
}

#[tokio::test]
async fn a_vote_cast_while_a_recount_reads_the_platform_is_not_undone_by_it() {
    let dir = tempfile::tempdir().unwrap();
    // Quorum 3: c1 and c2 do not decide, so the recount only catches the ledger up.
    let config =
        release_desk::config::Config::from_layers(Some("[cab]\nquorum = 3\n[calendar]\nwindows = []\n"))
            .unwrap();
    let h = common::Harness::with_config(&dir.path().join("race.sqlite"), config).await;
    let rel1 = two_polls(&h).await;
    let poll: i64 = release_desk::db::query_scalar(
        "SELECT p.id FROM polls p JOIN releases r ON r.id = p.release_id WHERE r.number = 1",
    )
    .fetch_one(&h.app.db.pool)
    .await
    .unwrap();
    let racing = Racing {
        h: &h,
        message: rel1,
        fired: Default::default(),
    };
    h.app.recount_reactions().await.unwrap();
    h.app.run_due(&racing).await.unwrap();
    assert!(racing.fired.load(std::sync::atomic::Ordering::SeqCst));
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    let count =
        release_desk::handlers::polls::count_from_ledger(&mut conn, release_desk::chat::console::GUILD, poll)
            .await
            .unwrap();
    let voters: Vec<&str> = count
        .ballots
        .iter()
        .filter(|b| !b.votes.is_empty())
        .map(|b| b.user.as_str())
        .collect();
    assert_eq!(voters, ["c1", "c2"], "c2's live ✅ stays: {count:?}");
}

/// A stale reaction event (replayed after the user took the vote back, or
/// never on the platform) is corrected by the periodic recount while the
/// poll is open, not only after a reconnect.
#[tokio::test]
async fn an_open_poll_is_recounted_from_the_platform_every_few_minutes() {
    let dir = tempfile::tempdir().unwrap();
    // Quorum 3: c1 and a phantom c2 do not decide, so the poll stays open.
    let config =
        release_desk::config::Config::from_layers(Some("[cab]\nquorum = 3\n[calendar]\nwindows = []\n"))
            .unwrap();
    let h = common::Harness::with_config(&dir.path().join("periodic.sqlite"), config).await;
    let rel1 = two_polls(&h).await;
    h.settle().await;
    let poll: i64 = release_desk::db::query_scalar(
        "SELECT p.id FROM polls p JOIN releases r ON r.id = p.release_id WHERE r.number = 1",
    )
    .fetch_one(&h.app.db.pool)
    .await
    .unwrap();
    let voters = || async {
        let mut conn = h.app.db.pool.acquire().await.unwrap();
        let count = release_desk::handlers::polls::count_from_ledger(
            &mut conn,
            release_desk::chat::console::GUILD,
            poll,
        )
        .await
        .unwrap();
        count
            .ballots
            .iter()
            .filter(|b| !b.votes.is_empty())
            .map(|b| b.user.clone())
            .collect::<Vec<_>>()
    };
    let edits =
        || async { common::sql_count(&h.app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'edit'").await };
    for round in 0..2 {
        // A ✅ of c2's that the platform does not have.
        let ev = release_desk::handlers::reaction::ReactionEvent {
            message: rel1.clone(),
            channel: common::channel_of(&h.app.db, release_desk::chat::console::GUILD, &rel1).await,
            user: "c2".into(),
            name: "c2".into(),
            roles: h.app.config.itil_roles(["cab_member"]),
            emoji: "✅".into(),
            added: true,
            bot: false,
        };
        h.app
            .reaction(release_desk::chat::console::GUILD, &ev)
            .await
            .unwrap();
        h.settle().await;
        assert_eq!(
            voters().await,
            ["c1", "c2"],
            "round {round}: the stale event counts live"
        );
        let before = edits().await;
        h.run(":advance 3m").await;
        h.settle().await;
        assert_eq!(
            voters().await,
            ["c1"],
            "round {round}: the recount took c2's phantom ✅ back"
        );
        assert_eq!(
            edits().await,
            before + 1,
            "round {round}: the corrected tally is shown"
        );
        assert_eq!(state_of(&h, 1).await, "plan-review", "the poll is still open");
    }
    // A recount that finds nothing to correct does not edit the message.
    let before = edits().await;
    h.run(":advance 3m").await;
    h.settle().await;
    assert_eq!(edits().await, before);
    let pending: i64 = common::sql_count(
        &h.app.db,
        &format!(
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND key LIKE 'poll-close:{poll}:recount:%'"
        ),
    )
    .await;
    assert_eq!(pending, 1, "one next recount queued, not one per start");
}
