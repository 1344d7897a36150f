//! Release packages, baselines and release notes.

use super::short;
use crate::chat::{Outgoing, StateClass};
use crate::domain::happened::PackageChange;
use crate::domain::package::Item;
use crate::domain::records::{Release, Rfc};
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

fn package_lines(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| {
            let req = if i.requires.is_empty() {
                String::new()
            } else {
                format!(
                    " · requires {}",
                    i.requires
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            format!("  {} {} ({}, {}){req}", i.name, i.version, i.kind, i.change)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The package and its baseline.
pub fn package_show(r: &Release, items: &[Item]) -> Outgoing {
    let baseline = match &r.baseline_hash {
        Some(h) => format!("baselined {}", short(h)),
        None => "not baselined".to_string(),
    };
    if items.is_empty() {
        return Outgoing::text(format!("Package of {}: empty — {baseline}.", r.rid()));
    }
    Outgoing::text(format!(
        "Package of {} — {}, {baseline}:\n{}",
        r.rid(),
        super::human::count(items.len() as i64, "item", "items"),
        package_lines(items)
    ))
    .about([r.rid()])
}

/// An item added or changed.
pub fn package_changed(
    r: &Release,
    what: &PackageChange,
    items: &[Item],
    baseline_cleared: bool,
) -> Outgoing {
    let note = if baseline_cleared {
        "\n  The previous baseline no longer applies: baseline again before the next build."
    } else {
        ""
    };
    Outgoing::text(format!(
        "{} package: {}. {} now.{note}",
        r.rid(),
        super::happened::package_change(what),
        super::human::count(items.len() as i64, "item", "items")
    ))
    .about([r.rid()])
}

/// A package frozen.
pub fn baselined(r: &Release, hash: &str, items: &[Item]) -> Outgoing {
    Outgoing::text(format!(
        "{} package baselined: {}, all constraints met.\n  content hash sha256:{hash}\n{}",
        r.rid(),
        super::human::count(items.len() as i64, "item", "items"),
        package_lines(items)
    ))
    .class(StateClass::Success)
    .about([r.rid()])
}

/// Release notes: RFCs, package items by change, known errors with
/// workarounds, deployments with dates — as text and as a Markdown file.
pub fn release_notes(
    r: &Release,
    rfcs: &[Rfc],
    items: &[Item],
    known: &[crate::domain::records::KnownError],
    deployments: &[crate::domain::records::Deployment],
    tz: Tz,
) -> Outgoing {
    let mut md = format!(
        "# Release notes — {} {} ({})\n\nState: {}\n",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state
    );
    md.push_str("\n## Changes requested\n\n");
    for rfc in rfcs {
        md.push_str(&format!("- {} {} ({} risk)\n", rfc.rid(), rfc.title, rfc.risk));
    }
    md.push_str("\n## Package\n\n");
    if items.is_empty() {
        md.push_str("Empty.\n");
    }
    for change in crate::domain::package::Change::ALL {
        let of: Vec<&Item> = items.iter().filter(|i| i.change == *change).collect();
        if !of.is_empty() {
            md.push_str(&format!("{}:\n", change));
            for i in of {
                md.push_str(&format!("- {} {} ({})\n", i.name, i.version, i.kind));
            }
        }
    }
    md.push_str("\n## Known errors\n\n");
    if known.is_empty() {
        md.push_str("None recorded.\n");
    }
    for k in known {
        md.push_str(&format!(
            "- KE-{}: {} — workaround: {}\n",
            k.number, k.description, k.workaround
        ));
    }
    md.push_str("\n## Deployments\n\n");
    if deployments.is_empty() {
        md.push_str("None yet.\n");
    }
    for d in deployments {
        let when = match (d.started_at, d.finished_at) {
            (Some(s), Some(f)) => format!("{} – {}", show_time(s, tz), show_time(f, tz)),
            (Some(s), None) => format!("since {}", show_time(s, tz)),
            _ => "planned".to_string(),
        };
        md.push_str(&format!(
            "- {} (attempt {}): {} {}\n",
            d.env,
            d.attempt,
            d.outcome.map_or("in progress", |o| o.key()),
            when
        ));
    }
    let text: Vec<&str> = md
        .lines()
        .map(|l| l.trim_start_matches('#').trim_start())
        .collect();
    let text = text.join("\n");
    Outgoing {
        attachment: Some(crate::chat::Attachment {
            name: format!("release-notes-{}.md", r.rid()),
            content: md.into_bytes(),
        }),
        ..Outgoing::text(text.trim_end())
    }
    .about([r.rid()])
}
