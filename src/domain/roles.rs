//! ITIL roles and the permission check every command passes through.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A role of the Release and Deployment process, mapped from chat roles by config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Plans, submits, schedules, cancels and closes releases.
    ReleaseManager,
    /// Authorizes releases, declares freezes, decides expired polls.
    ChangeManager,
    /// Votes on CAB polls.
    CabMember,
    /// Votes on ECAB (emergency) polls.
    EcabMember,
    /// Manages the release package, builds and tests.
    BuildManager,
    /// Plans and runs deployments.
    DeploymentStaff,
    /// Records incidents and known errors in early life support.
    ElsStaff,
}

impl Role {
    /// Every role, in the order config lists them.
    pub const ALL: [Role; 7] = [
        Role::ReleaseManager,
        Role::ChangeManager,
        Role::CabMember,
        Role::EcabMember,
        Role::BuildManager,
        Role::DeploymentStaff,
        Role::ElsStaff,
    ];

    /// The name used in config and in `commands/` files.
    pub fn key(self) -> &'static str {
        match self {
            Role::ReleaseManager => "release_manager",
            Role::ChangeManager => "change_manager",
            Role::CabMember => "cab_member",
            Role::EcabMember => "ecab_member",
            Role::BuildManager => "build_manager",
            Role::DeploymentStaff => "deployment_staff",
            Role::ElsStaff => "els_staff",
        }
    }

    /// The name in a sentence ("a release manager").
    pub fn title(self) -> &'static str {
        match self {
            Role::ReleaseManager => "release manager",
            Role::ChangeManager => "change manager",
            Role::CabMember => "CAB member",
            Role::EcabMember => "ECAB member",
            Role::BuildManager => "build manager",
            Role::DeploymentStaff => "member of deployment staff",
            Role::ElsStaff => "member of early-life-support staff",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| format!("one of {}", Role::ALL.map(Role::key).join(", ")))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The ITIL roles one person holds.
pub type Roles = BTreeSet<Role>;

/// The role name a command definition uses to open a command to everyone.
pub const EVERYONE: &str = "everyone";

/// Who may run a command, as its definition declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Declared open (`roles = ["everyone"]`).
    Everyone,
    /// Anyone holding one of these roles.
    AnyOf(Vec<Role>),
}

impl Access {
    /// Reads a declaration; None when it declares nothing, or mixes
    /// `everyone` with roles (either would leave the intent unclear).
    pub fn declared(names: &[String]) -> Option<Result<Access, String>> {
        if names.is_empty() {
            return None;
        }
        if names.iter().any(|n| n == EVERYONE) {
            return Some(if names.len() == 1 {
                Ok(Access::Everyone)
            } else {
                Err(format!("\"{EVERYONE}\" must stand alone"))
            });
        }
        Some(
            names
                .iter()
                .map(|n| Role::from_str(n).map_err(|e| format!("role {n:?}: expected {EVERYONE} or {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Access::AnyOf),
        )
    }

    /// Whether someone holding `held` may run the command.
    pub fn permits(&self, held: &Roles) -> bool {
        match self {
            Access::Everyone => true,
            Access::AnyOf(required) => permits(required, held),
        }
    }
}

/// Default deny: a command needs one of the roles it names; naming none
/// allows no one (openness is declared, see [`Access::Everyone`]).
pub fn permits(required: &[Role], held: &Roles) -> bool {
    required.iter().any(|r| held.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_deny_and_open_commands() {
        let held: Roles = [Role::BuildManager].into();
        assert!(!permits(&[], &held));
        assert!(!permits(&[], &Role::ALL.into_iter().collect()));
        assert!(Access::Everyone.permits(&Roles::new()));
        assert!(!Access::AnyOf(vec![]).permits(&held));
        assert!(permits(&[Role::BuildManager], &held));
        assert!(!permits(&[Role::ReleaseManager], &held));
        assert!(!permits(&[Role::ReleaseManager], &Roles::new()));
        assert_eq!("cab_member".parse::<Role>(), Ok(Role::CabMember));
        assert!("cab".parse::<Role>().is_err());
    }

    #[test]
    fn declarations() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Access::declared(&[]), None);
        assert_eq!(
            Access::declared(&names(&["everyone"])),
            Some(Ok(Access::Everyone))
        );
        assert_eq!(
            Access::declared(&names(&["cab_member", "change_manager"])),
            Some(Ok(Access::AnyOf(vec![Role::CabMember, Role::ChangeManager])))
        );
        assert!(matches!(
            Access::declared(&names(&["everyone", "cab_member"])),
            Some(Err(_))
        ));
        assert!(matches!(Access::declared(&names(&["cab"])), Some(Err(_))));
    }
}
