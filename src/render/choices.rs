//! The labels offered beside ids as a command option is completed.

/// A release's label: its name and version.
pub fn release_label(name: &str, version: &str) -> String {
    format!("{name} {version}")
}

/// The label of `all` where a release or every release is the target.
pub fn every_release_label() -> &'static str {
    "every release"
}
