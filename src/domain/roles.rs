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

/// Default deny: a command that names roles needs one of them; a command
/// naming none is open to everyone.
pub fn permits(required: &[Role], held: &Roles) -> bool {
    required.is_empty() || required.iter().any(|r| held.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_deny_and_open_commands() {
        let held: Roles = [Role::BuildManager].into();
        assert!(permits(&[], &held));
        assert!(permits(&[Role::BuildManager], &held));
        assert!(!permits(&[Role::ReleaseManager], &held));
        assert!(!permits(&[Role::ReleaseManager], &Roles::new()));
        assert_eq!("cab_member".parse::<Role>(), Ok(Role::CabMember));
        assert!("cab".parse::<Role>().is_err());
    }
}
