//! API tokens: their scopes, their shape, and the digest that is all the
//! database keeps of them.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read readiness (`GET /api/v1/readiness`).
    Readiness,
    /// Record build and test results.
    Results,
    /// Drive deployments (start, steps, verify, back out).
    Deploy,
}

/// Every scope, in the order they are listed.
pub const SCOPES: [Scope; 3] = [Scope::Readiness, Scope::Results, Scope::Deploy];

impl Scope {
    /// The name used on the command line and stored.
    pub fn key(self) -> &'static str {
        match self {
            Scope::Readiness => "readiness",
            Scope::Results => "results",
            Scope::Deploy => "deploy",
        }
    }

    /// The scope called `s`, if any.
    pub fn parse(s: &str) -> Option<Scope> {
        SCOPES.into_iter().find(|c| c.key() == s.trim())
    }
}

/// Parses `readiness,results`: every name must be a scope, and one at least given.
pub fn parse_scopes(list: &str) -> Result<BTreeSet<Scope>, String> {
    let mut out = BTreeSet::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        out.insert(Scope::parse(part).ok_or_else(|| part.to_string())?);
    }
    if out.is_empty() {
        return Err(String::new());
    }
    Ok(out)
}

/// The stored form of a scope set (`readiness,results`).
pub fn scopes_key(scopes: &BTreeSet<Scope>) -> String {
    scopes.iter().map(|s| s.key()).collect::<Vec<_>>().join(",")
}

/// A token name: 1–64 of letters, digits, `-`, `_`, `.`.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The token shown to its owner, from 32 random bytes.
pub fn from_bytes(bytes: &[u8; 32]) -> String {
    format!("rdk_{}", hex::encode(bytes))
}

/// The SHA-256 digest kept instead of the token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_strictly() {
        let s = parse_scopes("readiness, deploy").unwrap();
        assert_eq!(scopes_key(&s), "readiness,deploy");
        assert_eq!(parse_scopes("readiness,admin"), Err("admin".into()));
        assert_eq!(parse_scopes(" , "), Err(String::new()));
    }

    #[test]
    fn tokens_and_digests() {
        let t = from_bytes(&[0xab; 32]);
        assert_eq!(t.len(), 4 + 64);
        assert!(t.starts_with("rdk_abab"));
        assert_ne!(digest(&t), digest("rdk_other"));
        assert_eq!(digest(&t), digest(&t.clone()));
        assert!(valid_name("ci-prod.1") && !valid_name("") && !valid_name("a b"));
    }
}
