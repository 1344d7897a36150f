//! The release package: configuration items, their compatibility, and the
//! frozen baseline with its content hash.

use super::release::ReleaseState;
use super::rfc::text_enum;
use semver::{Version, VersionReq};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// What kind of configuration item.
    ItemKind { Software = "software", Hardware = "hardware", Documentation = "documentation", Process = "process", Other = "other" }
);
text_enum!(
    /// What the release does to the item.
    Change { New = "new", Changed = "changed", Retired = "retired" }
);

/// Parses a version leniently: `4.3` means `4.3.0`, `v2.0.1` means `2.0.1`.
pub fn parse_version(text: &str) -> Result<Version, String> {
    let t = text.trim().trim_start_matches(['v', 'V']);
    let core_len = t.find(['-', '+']).unwrap_or(t.len());
    let dots = t[..core_len].matches('.').count();
    let padded = match dots {
        0 => format!("{}.0.0{}", &t[..core_len], &t[core_len..]),
        1 => format!("{}.0{}", &t[..core_len], &t[core_len..]),
        _ => t.to_string(),
    };
    Version::parse(&padded).map_err(|_| "a semantic version such as 2.3.0".to_string())
}

/// One constraint on another item: `db-schema>=4.2,<5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The item it constrains.
    pub item: String,
    /// The versions accepted.
    pub req: VersionReq,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.item, self.req)
    }
}

/// Parses `;`-separated constraints, each an item name followed by a semver range.
pub fn parse_requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let expectation = "constraints such as db-schema>=4.2,<5 (several separated by ;)";
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| "<>=^~*".contains(c) || c.is_whitespace())
            .ok_or(expectation)?;
        let (item, range) = part.split_at(split);
        if item.is_empty() {
            return Err(expectation.into());
        }
        let req = VersionReq::parse(range.trim()).map_err(|_| expectation.to_string())?;
        out.push(Requirement {
            item: item.to_string(),
            req,
        });
    }
    Ok(out)
}

/// A configuration item in a release package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its name, unique in the package.
    pub name: String,
    /// Its kind.
    pub kind: ItemKind,
    /// Its version.
    pub version: Version,
    /// What the release does to it.
    pub change: Change,
    /// Constraints on other items of the package.
    pub requires: Vec<Requirement>,
}

/// Why a package action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageError {
    /// The package is frozen.
    Baselined {
        /// The baseline's hash.
        hash: String,
    },
    /// Packages change only before testing.
    NotNow {
        /// The release's state.
        state: ReleaseState,
    },
    /// Nothing to baseline.
    Empty,
    /// No such item.
    UnknownItem {
        /// The name asked for.
        item: String,
    },
    /// Constraints that the package does not meet.
    Incompatible {
        /// One line per broken constraint.
        problems: Vec<String>,
    },
}

/// Whether the package may change (or be baselined again) now.
///
/// Before the baseline it changes freely until testing; once baselined it is
/// frozen, except after a failed test (back in Building with runs counted),
/// when a corrected package may replace the baseline.
pub fn may_change(state: &ReleaseState, baseline: Option<&str>, test_runs: i64) -> Result<(), PackageError> {
    let open = matches!(
        state,
        ReleaseState::Planning | ReleaseState::PlanReview | ReleaseState::Preparing | ReleaseState::Building
    );
    if !open {
        return Err(PackageError::NotNow { state: state.clone() });
    }
    match baseline {
        Some(hash) if !(*state == ReleaseState::Building && test_runs > 0) => Err(PackageError::Baselined {
            hash: hash.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Checks every constraint against the package; returns each broken one.
pub fn check_compatibility(items: &[Item]) -> Vec<String> {
    let mut problems = Vec::new();
    for item in items {
        for r in &item.requires {
            match items.iter().find(|i| i.name.eq_ignore_ascii_case(&r.item)) {
                None => problems.push(format!(
                    "{} requires {} {}, which is not in the package",
                    item.name, r.item, r.req
                )),
                Some(dep) if dep.change == Change::Retired => problems.push(format!(
                    "{} requires {} {}, which this release retires",
                    item.name, r.item, r.req
                )),
                Some(dep) if !r.req.matches(&dep.version) => problems.push(format!(
                    "{} requires {} {}, but the package has {} {}",
                    item.name, r.item, r.req, dep.name, dep.version
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// Freezes the package: checks compatibility and returns the content hash
/// (SHA-256 over the items in name order, so order of entry does not matter).
pub fn baseline(items: &[Item]) -> Result<String, PackageError> {
    if items.is_empty() {
        return Err(PackageError::Empty);
    }
    let problems = check_compatibility(items);
    if !problems.is_empty() {
        return Err(PackageError::Incompatible { problems });
    }
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut hasher = Sha256::new();
    for i in sorted {
        let requires: Vec<String> = i.requires.iter().map(|r| r.to_string()).collect();
        hasher.update(format!(
            "{}\t{}\t{}\t{}\t{}\n",
            i.name,
            i.kind,
            i.version,
            i.change,
            requires.join(";")
        ));
    }
    Ok(hex::encode(hasher.finalize()))
}

/// One difference between what an audit found deployed and the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discrepancy {
    /// In the baseline, not found deployed.
    Missing {
        /// The item.
        item: String,
        /// The baselined version.
        expected: Version,
    },
    /// Found deployed, not in the baseline.
    Extra {
        /// The item.
        item: String,
        /// The version found.
        found: Version,
    },
    /// Found at another version.
    OtherVersion {
        /// The item.
        item: String,
        /// The baselined version.
        expected: Version,
        /// The version found.
        found: Version,
    },
}

/// Parses `api=2.3.0,db-schema=4.3`.
pub fn parse_found(text: &str) -> Result<Vec<(String, Version)>, String> {
    let expectation = "item=version pairs separated by commas, e.g. api=2.3.0,db-schema=4.3";
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, version) = p.split_once('=').ok_or(expectation)?;
            let name = name.trim();
            if name.is_empty() {
                return Err(expectation.to_string());
            }
            Ok((
                name.to_string(),
                parse_version(version).map_err(|_| expectation.to_string())?,
            ))
        })
        .collect()
}

/// Compares an audit with the baseline (retired items are expected absent).
pub fn audit(baseline: &[Item], found: &[(String, Version)]) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    for item in baseline.iter().filter(|i| i.change != Change::Retired) {
        match found.iter().find(|(n, _)| n.eq_ignore_ascii_case(&item.name)) {
            None => out.push(Discrepancy::Missing {
                item: item.name.clone(),
                expected: item.version.clone(),
            }),
            Some((_, v)) if *v != item.version => out.push(Discrepancy::OtherVersion {
                item: item.name.clone(),
                expected: item.version.clone(),
                found: v.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, v) in found {
        let known = baseline
            .iter()
            .any(|i| i.name.eq_ignore_ascii_case(name) && i.change != Change::Retired);
        if !known {
            out.push(Discrepancy::Extra {
                item: name.clone(),
                found: v.clone(),
            });
        }
    }
    out
}

impl FromStr for Item {
    type Err = String;
    /// For tests and fixtures: `name@version`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, version) = s.split_once('@').ok_or("name@version")?;
        Ok(Item {
            name: name.into(),
            kind: ItemKind::Software,
            version: parse_version(version)?,
            change: Change::Changed,
            requires: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str, requires: &str) -> Item {
        Item {
            requires: parse_requirements(requires).unwrap(),
            ..s.parse().unwrap()
        }
    }

    #[test]
    fn versions_are_semver_with_lenient_padding() {
        assert_eq!(parse_version("4.3").unwrap().to_string(), "4.3.0");
        assert_eq!(parse_version("v2.3.1-rc.1").unwrap().to_string(), "2.3.1-rc.1");
        assert!(parse_version("latest").is_err());
        assert!(parse_version("").is_err());
    }

    #[test]
    fn requirements_parse_item_and_range() {
        let r = parse_requirements("db-schema>=4.2,<5; auth ^1.2").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].item, "db-schema");
        assert!(r[0].req.matches(&Version::new(4, 3, 0)));
        assert!(!r[0].req.matches(&Version::new(5, 0, 0)));
        assert_eq!(r[1].item, "auth");
        assert!(parse_requirements(">=4").is_err());
        assert!(parse_requirements("db-schema").is_err());
        assert!(parse_requirements("db>=banana").is_err());
    }

    #[test]
    fn baseline_checks_constraints_and_hashes_content_not_order() {
        let api = item("api@2.3.0", "db-schema>=4.2,<5");
        let db = item("db-schema@4.3", "");
        let h1 = baseline(&[api.clone(), db.clone()]).unwrap();
        let h2 = baseline(&[db.clone(), api.clone()]).unwrap();
        assert_eq!(h1, h2);
        assert_eq!(h1.len(), 64);
        let db5 = item("db-schema@5.0.0", "");
        assert_ne!(baseline(&[api.clone(), item("db-schema@4.4", "")]).unwrap(), h1);
        match baseline(&[api.clone(), db5]) {
            Err(PackageError::Incompatible { problems }) => {
                assert_eq!(
                    problems,
                    vec!["api requires db-schema >=4.2, <5, but the package has db-schema 5.0.0"]
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            baseline(std::slice::from_ref(&api)),
            Err(PackageError::Incompatible { .. })
        ));
        let retired = Item {
            change: Change::Retired,
            ..db
        };
        assert!(matches!(
            baseline(&[api, retired]),
            Err(PackageError::Incompatible { .. })
        ));
        assert_eq!(baseline(&[]), Err(PackageError::Empty));
    }

    #[test]
    fn package_freezes_at_baseline_and_reopens_after_a_failed_test() {
        assert_eq!(may_change(&ReleaseState::Planning, None, 0), Ok(()));
        assert!(matches!(
            may_change(&ReleaseState::Building, Some("ab"), 0),
            Err(PackageError::Baselined { .. })
        ));
        assert_eq!(may_change(&ReleaseState::Building, Some("ab"), 1), Ok(()));
        assert!(matches!(
            may_change(&ReleaseState::Testing, None, 0),
            Err(PackageError::NotNow { .. })
        ));
    }

    #[test]
    fn audit_finds_missing_extra_and_other_versions() {
        let base = vec![
            item("api@2.3.0", ""),
            item("db-schema@4.3", ""),
            Item {
                change: Change::Retired,
                ..item("old@1.0.0", "")
            },
        ];
        let found = parse_found("api=2.3.0, db-schema=4.2, cache=1.0").unwrap();
        let d = audit(&base, &found);
        assert_eq!(
            d,
            vec![
                Discrepancy::OtherVersion {
                    item: "db-schema".into(),
                    expected: Version::new(4, 3, 0),
                    found: Version::new(4, 2, 0)
                },
                Discrepancy::Extra {
                    item: "cache".into(),
                    found: Version::new(1, 0, 0)
                },
            ]
        );
        let d = audit(&base, &parse_found("db-schema=4.3").unwrap());
        assert_eq!(
            d,
            vec![Discrepancy::Missing {
                item: "api".into(),
                expected: Version::new(2, 3, 0)
            }]
        );
        assert!(parse_found("api").is_err());
        assert!(parse_found("=1.0").is_err());
    }
}
