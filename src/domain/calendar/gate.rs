//! The deployment gate, and why the calendar refuses.

use super::*;

/// Answer to "may a deployment to this environment start now?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Inside an opening serving the environment and outside every freeze.
    Open {
        /// The opening that allows the deployment.
        opening: Opening,
    },
    /// Closed, but allowed because the request is an emergency.  At least one
    /// of the fields reports a bypass; when nothing would have been bypassed
    /// the answer is [`Gate::Open`] instead.
    Emergency {
        /// No opening serving the environment contains the instant.
        outside_window: bool,
        /// Name of the freeze that was bypassed, if any.
        freeze: Option<String>,
    },
    /// Not allowed.
    Closed {
        /// Why not: outside every window ([`CalendarError::NotInWindow`]),
        /// in a freeze ([`CalendarError::InFreeze`]), or no window serves
        /// the environment ([`CalendarError::NoWindowFor`]).
        reason: CalendarError,
    },
}

/// Everything that can go wrong when asking the calendar something.
///
/// Messages are written for end users in chat.  An error does not know its
/// calendar's zone, so times in messages are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// No window has that name.
    #[error("there is no release window called \"{name}\"; {}", known_windows(.known))]
    UnknownWindow {
        /// The name as it was asked for.
        name: String,
        /// Names of the windows that do exist, to suggest a correction.
        known: Vec<String>,
    },
    /// Every opening within the search horizon is frozen (or the window does
    /// not open at all within it).
    #[error("release window \"{window}\" has no opening free of freezes in the next {days} days")]
    NoFreeOpening {
        /// Name of the window.
        window: String,
        /// How many days ahead were searched.
        days: u32,
    },
    /// The instant is not inside any opening serving the environment.
    #[error("\"{env}\" is outside every release window at {}; {}", rfc3339(*.at), next_text(.next))]
    NotInWindow {
        /// The environment as it was asked for.
        env: String,
        /// The instant that was checked.
        at: DateTime<Utc>,
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// The instant is inside a freeze.
    #[error("deployments are frozen by \"{freeze}\"; {}", next_text(.next))]
    InFreeze {
        /// Name of the freeze.
        freeze: String,
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// No window serves the environment.
    #[error("no release window serves the environment \"{env}\"")]
    NoWindowFor {
        /// The environment as it was asked for.
        env: String,
    },
    /// A freeze would end before (or when) it starts.
    #[error("a freeze must end after it starts, but this one runs from {} to {}", rfc3339(*.from), rfc3339(*.to))]
    FreezeOrder {
        /// Requested start.
        from: DateTime<Utc>,
        /// Requested end.
        to: DateTime<Utc>,
    },
}

impl Calendar {
    /// Checks that `at` is inside an opening serving `env` and outside every
    /// freeze, returning that opening.
    ///
    /// If `at` is both outside every window and inside a freeze, the freeze is
    /// reported: it is the explicit, deliberate block, and its `next` is the
    /// same as the window error's would be.
    pub fn check_at(&self, env: &str, at: DateTime<Utc>) -> Result<Opening, CalendarError> {
        if !self.windows.iter().any(|w| w.serves(env)) {
            return Err(CalendarError::NoWindowFor {
                env: env.trim().to_string(),
            });
        }
        if let Some(freeze) = self.freeze_at(at) {
            return Err(CalendarError::InFreeze {
                freeze: freeze.name.clone(),
                next: self.next_free_for_env(env, at),
            });
        }
        self.opening_at(env, at)
            .ok_or_else(|| CalendarError::NotInWindow {
                env: env.trim().to_string(),
                at,
                next: self.next_free_for_env(env, at),
            })
    }

    /// May a deployment to `env` start at `now`?
    ///
    /// Without `emergency`, this is exactly [`Calendar::check_at`] as an enum:
    /// [`Gate::Open`] iff `check_at` is `Ok`.  With `emergency`, anything that
    /// would be closed because of a window or a freeze is let through as
    /// [`Gate::Emergency`], which says what was bypassed so it can be
    /// recorded.  An environment no window serves stays closed even in an
    /// emergency: the calendar cannot vouch for a name it does not know, and it
    /// is far more likely a typo than a real environment.
    pub fn gate(&self, env: &str, now: DateTime<Utc>, emergency: bool) -> Gate {
        match self.check_at(env, now) {
            Ok(opening) => Gate::Open { opening },
            Err(err) if emergency && !matches!(err, CalendarError::NoWindowFor { .. }) => Gate::Emergency {
                outside_window: self.opening_at(env, now).is_none(),
                freeze: self.freeze_at(now).map(|f| f.name.clone()),
            },
            Err(reason) => Gate::Closed { reason },
        }
    }
}
