//! Chat roles of a Slack user: their own id and the user groups (`S…`)
//! named in `[roles]` that they are in. Group members are read with
//! `usergroups.users.list`, kept for [`REFRESH`], and read again sooner
//! after a `subteam_members_changed` event.

use super::chat::{classify, Connector};
use crate::chat::ChatError;
use crate::clock::Clock;
use chrono::{DateTime, Utc};
use slack_morphism::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// How long group members are trusted without an event saying they changed.
pub const REFRESH: chrono::Duration = chrono::Duration::minutes(5);

/// Each mapped group's members, and when they were read.
type Members = Option<(DateTime<Utc>, BTreeMap<String, BTreeSet<String>>)>;

/// The user-group cache.
pub struct Roles {
    groups: BTreeSet<String>,
    clock: Arc<dyn Clock>,
    members: tokio::sync::Mutex<Members>,
    /// Display names read with `users.info`, kept for the process.
    names: tokio::sync::Mutex<BTreeMap<String, String>>,
}

impl Roles {
    /// The user groups among `config`'s role mappings.
    pub fn new(config: &crate::config::Config, clock: Arc<dyn Clock>) -> Self {
        let groups = config
            .roles
            .values()
            .flatten()
            .filter(|v| super::config::is_id(v, 'S'))
            .cloned()
            .collect();
        Roles {
            groups,
            clock,
            members: Default::default(),
            names: Default::default(),
        }
    }

    /// How `user` is shown: their display name, else their real name, else
    /// their user name; their id when Slack cannot say (a name is never
    /// worth refusing a vote or a command over).
    pub async fn name(&self, s: &SlackClientSession<'_, Connector>, user: &str) -> String {
        if let Some(n) = self.names.lock().await.get(user) {
            return n.clone();
        }
        let req = SlackApiUsersInfoRequest::new(user.to_string().into());
        let found = match s.users_info(&req).await {
            Ok(r) => {
                let u = r.user;
                let (display, real) = u
                    .profile
                    .map(|p| (p.display_name, p.real_name))
                    .unwrap_or_default();
                [display, real, u.name]
                    .into_iter()
                    .flatten()
                    .map(|n| n.trim().to_string())
                    .find(|n| !n.is_empty())
            }
            Err(e) => {
                tracing::debug!(user, error = %classify(e), "users.info failed; shown by id");
                return user.to_string();
            }
        };
        let name = found.unwrap_or_else(|| user.to_string());
        self.names.lock().await.insert(user.to_string(), name.clone());
        name
    }

    /// Forgets the members (a group changed): the next look-up reads them again.
    pub async fn changed(&self) {
        *self.members.lock().await = None;
    }

    /// `user`'s chat roles: their id and every mapped group they are in.
    pub async fn of(
        &self,
        s: &SlackClientSession<'_, Connector>,
        user: &str,
    ) -> Result<Vec<String>, ChatError> {
        let mut out = vec![user.to_string()];
        if self.groups.is_empty() {
            return Ok(out);
        }
        let now = self.clock.now();
        let mut held = self.members.lock().await;
        let fresh = held.as_ref().is_some_and(|(at, _)| now - *at < REFRESH);
        if !fresh {
            let mut members = BTreeMap::new();
            for g in &self.groups {
                let req = SlackApiUserGroupsUsersListRequest::new(g.clone().into());
                let users = match s.usergroups_users_list(&req).await.map_err(classify) {
                    Ok(r) => r.users.into_iter().map(|u| u.value().clone()).collect(),
                    // A group deleted or mistyped in [roles] grants nothing;
                    // it must not stop everyone else's commands.
                    Err(ChatError::Permanent(why)) => {
                        tracing::warn!(group = %g, error = %why, "a user group in [roles] cannot be read; it grants no role");
                        BTreeSet::new()
                    }
                    Err(e) => return Err(e),
                };
                members.insert(g.clone(), users);
            }
            *held = Some((now, members));
        }
        let (_, members) = held.as_ref().expect("filled above");
        out.extend(
            members
                .iter()
                .filter(|(_, m)| m.contains(user))
                .map(|(g, _)| g.clone()),
        );
        Ok(out)
    }
}
