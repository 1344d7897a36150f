//! Who may run a command: the check every command passes first.

use crate::domain::roles::{permits, Access, Roles};
use crate::render;

/// Why someone holding `held` may not run `path`, if they may not. Default
/// deny: a path without a definition, or whose definition declares no
/// roles (`access` None), is refused to everyone, never open.
pub(super) fn refusal(path: &str, access: Option<&Access>, held: &Roles) -> Option<String> {
    match access {
        None => Some(render::undeclared_access(path)),
        Some(Access::AnyOf(required)) if !permits(required, held) => {
            Some(render::permission_denied(path, required, held))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;

    #[test]
    fn an_undeclared_path_is_refused_to_everyone() {
        let all: Roles = Role::ALL.into_iter().collect();
        let refused = refusal("/x y", None, &all).expect("refused");
        assert!(refused.contains("/x y declares no roles"), "{refused}");
        assert!(refusal("/x y", Some(&Access::AnyOf(vec![])), &all).is_some());
        assert_eq!(refusal("/x y", Some(&Access::Everyone), &Roles::new()), None);
        let cab = Access::AnyOf(vec![Role::CabMember]);
        assert_eq!(refusal("/x y", Some(&cab), &[Role::CabMember].into()), None);
        let denied = refusal("/x y", Some(&cab), &Roles::new()).expect("refused");
        assert!(denied.starts_with("Only a CAB member can run /x y"), "{denied}");
    }
}
