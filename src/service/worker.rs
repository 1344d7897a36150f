//! The outbox/scheduler worker and the stop signal.

use super::{EDIT_INTERVAL, TICK};
use crate::app::App;
use crate::chat::Chat;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::Notify;

/// Delivers the outbox and runs due jobs, every [`TICK`] and when woken
/// (a command, reaction or recount queued a message or a job);
/// checkpoints the write-ahead log every [`TICK`].
pub(super) async fn worker<C: Chat + 'static>(app: App, chat: Arc<C>, wake: Rc<Notify>) {
    let mut checkpointer = match crate::db::checkpoint::Checkpointer::open(&app.db).await {
        Ok(c) => Some(c),
        Err(e) => {
            // The log then grows until the final checkpoint at shutdown.
            tracing::error!(error = format!("{e:#}"), "cannot open the checkpoint connection");
            None
        }
    };
    let mut checkpointed = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Some(c) = checkpointer.as_mut().filter(|_| checkpointed.elapsed() >= TICK) {
            checkpointed = std::time::Instant::now();
            if let Err(e) = c.tick(&app.db).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "checkpoint failed; retried on the next tick"
                );
            }
        }
        // Jobs and deliveries catch their own panics; one elsewhere in the
        // pass is retried on the next tick like an error.
        match AssertUnwindSafe(app.settle(&*chat, EDIT_INTERVAL))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(
                error = format!("{e:#}"),
                "outbox or scheduler pass failed; retried on the next tick"
            ),
            Err(panic) => tracing::error!(
                error = crate::scheduler::panic_message(&*panic),
                "outbox or scheduler pass panicked; retried on the next tick"
            ),
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
