//! The process's own measures, for `GET /metrics` (Prometheus text format,
//! `prometheus-client`): commands by name and outcome, how long answers
//! took, outbox retries, jobs run and late, and — read from the records at
//! each scrape — the outbox backlog, polls by outcome and releases by state.
//! Also whether the chat platform is connected (`/readyz` reads it) and
//! whether this instance leads.

use chrono::{DateTime, Duration, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A job that starts this long after it fell due counts as late.
pub const LATE: Duration = Duration::minutes(1);

/// How a command ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Records changed; the answer is public.
    Changed,
    /// Answered privately without a change: a view, a list, help.
    Answered,
    /// Refused by a rule (the state, a missing plan, bad input): nothing changed.
    Refused,
    /// Refused for the person's roles: nothing changed.
    Denied,
    /// An internal error: nothing changed, the person got a generic answer.
    Failed,
    /// A repeated delivery of a command already run: nothing happened.
    Duplicate,
}

impl Outcome {
    /// The label value.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Changed => "changed",
            Outcome::Answered => "answered",
            Outcome::Refused => "refused",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
            Outcome::Duplicate => "duplicate",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// What the records say at a scrape, for one workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Outbox entries not delivered yet.
    pub outbox_backlog: i64,
    /// Polls by outcome (`open` for those still open).
    pub polls: Vec<(String, i64)>,
    /// Releases by state.
    pub releases: Vec<(String, i64)>,
}

/// The measures of one application.
#[derive(Debug)]
pub struct Telemetry {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    answer_seconds: Histogram,
    outbox_retries: Counter,
    outbox_backlog: Gauge,
    jobs_run: Family<KindLabels, Counter>,
    jobs_late: Family<KindLabels, Counter>,
    polls: Family<OutcomeLabels, Gauge>,
    releases: Family<StateLabels, Gauge>,
    chat_connected: Gauge,
    leader: Gauge,
    connected: AtomicBool,
    // Two scrapes at once must not interleave setting and reading the gauges.
    scrape: Mutex<()>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

/// Logs to stderr, filtered by RELEASE_DESK_LOG (default `warn`); with
/// RELEASE_DESK_LOG_FORMAT=json one JSON object a line, with the spans
/// (command, http request), for log collectors.
pub fn init_logs() {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RELEASE_DESK_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr);
    if std::env::var("RELEASE_DESK_LOG_FORMAT").is_ok_and(|f| f.trim() == "json") {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
}

impl Telemetry {
    /// The measures of a chat platform that is connected from the start (the console).
    pub fn already_connected() -> Telemetry {
        let t = Telemetry::new();
        t.set_connected(true);
        t
    }

    /// Every measure at zero, the chat not connected.
    pub fn new() -> Telemetry {
        let mut registry = Registry::with_prefix("release_desk");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands run, by command and outcome",
            commands.clone(),
        );
        // 5 ms to about 10 s.
        let answer_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 12));
        registry.register(
            "answer_seconds",
            "How long a command took to answer",
            answer_seconds.clone(),
        );
        let outbox_retries = Counter::default();
        registry.register(
            "outbox_retries",
            "Outbox deliveries that failed and will be retried",
            outbox_retries.clone(),
        );
        let outbox_backlog = Gauge::default();
        registry.register(
            "outbox_backlog",
            "Outbox entries not delivered yet",
            outbox_backlog.clone(),
        );
        let jobs_run = Family::<KindLabels, Counter>::default();
        registry.register("jobs_run", "Jobs run, by kind", jobs_run.clone());
        let jobs_late = Family::<KindLabels, Counter>::default();
        registry.register(
            "jobs_late",
            "Jobs that started more than a minute after they fell due, by kind",
            jobs_late.clone(),
        );
        let polls = Family::<OutcomeLabels, Gauge>::default();
        registry.register(
            "polls",
            "CAB polls by outcome (open: not decided yet)",
            polls.clone(),
        );
        let releases = Family::<StateLabels, Gauge>::default();
        registry.register("releases", "Releases by state", releases.clone());
        let chat_connected = Gauge::default();
        registry.register(
            "chat_connected",
            "1 when the chat platform is connected",
            chat_connected.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 when this instance leads (delivers and runs jobs); 0 for a standby",
            leader.clone(),
        );
        Telemetry {
            registry,
            commands,
            answer_seconds,
            outbox_retries,
            outbox_backlog,
            jobs_run,
            jobs_late,
            polls,
            releases,
            chat_connected,
            leader,
            connected: AtomicBool::new(false),
            scrape: Mutex::new(()),
        }
    }

    /// Counts a command (`release build`) and how long its answer took.
    pub fn command(&self, command: &str, outcome: Outcome, took: std::time::Duration) {
        self.commands
            .get_or_create(&CommandLabels {
                command: command.to_string(),
                outcome: outcome.key().to_string(),
            })
            .inc();
        self.answer_seconds.observe(took.as_secs_f64());
    }

    /// Counts a job of `kind` taken at `started`, due at `due`.
    pub fn job(&self, kind: &str, due: DateTime<Utc>, started: DateTime<Utc>) {
        let labels = KindLabels {
            kind: kind.to_string(),
        };
        self.jobs_run.get_or_create(&labels).inc();
        if started - due > LATE {
            self.jobs_late.get_or_create(&labels).inc();
        }
    }

    /// Counts outbox deliveries that failed.
    pub fn delivery_failures(&self, n: usize) {
        self.outbox_retries.inc_by(n as u64);
    }

    /// Says the chat platform connected or disconnected.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    /// Says whether this instance leads (set at each scrape).
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Whether the chat platform is connected.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// The text exposition of every measure, with `counts` as the records' gauges.
    pub fn encode(&self, counts: &Counts) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.outbox_backlog.set(counts.outbox_backlog);
        self.chat_connected.set(i64::from(self.connected()));
        // Cleared first: a state no release is in any more shows no stale count.
        self.polls.clear();
        for (outcome, n) in &counts.polls {
            let labels = OutcomeLabels {
                outcome: outcome.clone(),
            };
            self.polls.get_or_create(&labels).set(*n);
        }
        self.releases.clear();
        for (state, n) in &counts.releases {
            let labels = StateLabels { state: state.clone() };
            self.releases.get_or_create(&labels).set(*n);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_job_is_late_only_past_the_minute() {
        let m = Telemetry::new();
        m.job("window", t("2026-12-01T10:00:00Z"), t("2026-12-01T10:01:00Z"));
        m.job("window", t("2026-12-01T10:00:00Z"), t("2026-12-01T10:01:01Z"));
        let text = m.encode(&Counts::default());
        assert!(
            text.contains("release_desk_jobs_run_total{kind=\"window\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("release_desk_jobs_late_total{kind=\"window\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn the_records_gauges_show_only_the_latest_counts() {
        let m = Telemetry::new();
        let first = Counts {
            outbox_backlog: 3,
            polls: vec![("open".into(), 1)],
            releases: vec![("draft".into(), 2)],
        };
        assert!(m
            .encode(&first)
            .contains("release_desk_releases{state=\"draft\"} 2"));
        let later = Counts {
            releases: vec![("closed".into(), 2)],
            ..first
        };
        let text = m.encode(&later);
        assert!(!text.contains("state=\"draft\""), "{text}");
        assert!(
            text.contains("release_desk_releases{state=\"closed\"} 2"),
            "{text}"
        );
        assert!(text.contains("release_desk_outbox_backlog 3"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
