//! The import graph points inward: adapters → service → app → scheduler →
//! handlers → render → db → domain; nothing outside an adapter names it;
//! no cycle between modules. Checked from the source (`crate::…` paths in
//! `src/`), so a new outward import fails here. And every storage-facing
//! test takes its database from the PostgreSQL switch ([`databases`]).

#[path = "architecture/answers.rs"]
mod answers;
#[path = "architecture/databases.rs"]
mod databases;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, innermost first: a module may use its own layer and those before it.
const LAYERS: &[&[&str]] = &[
    &["domain", "clock", "chat", "chat::message", "telemetry"],
    &["command", "config"],
    &["db"],
    &["render"],
    &["handlers"],
    &["scheduler"],
    &["app"],
    &["service"],
    // `http` (the HTTP API, another branch) drives the app like an adapter.
    &["chat::console", "chat::discord", "chat::slack", "http"],
];

/// The adapters: named only inside themselves (and by the binary, `main.rs`,
/// which wires them and uses the library's public paths, not `crate::`).
const ADAPTERS: &[&str] = &["chat::console", "chat::discord", "chat::slack"];

/// The module a source file belongs to (`src/chat/discord/x.rs` → `chat::discord`).
fn module_of(path: &str) -> Option<String> {
    let rel = path.strip_prefix("src/")?.trim_end_matches(".rs");
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["lib" | "main"] => None,
        ["chat", "mod"] => Some("chat".into()),
        ["chat", adapter, ..] => Some(format!("chat::{adapter}")),
        [top, ..] => Some(top.to_string()),
        [] => None,
    }
}

/// The module a `crate::…` path names (`crate::chat::Outgoing` → `chat`).
fn module_named(path: &str) -> String {
    let parts: Vec<&str> = path.split("::").collect();
    match parts.as_slice() {
        ["chat", adapter, ..] if ADAPTERS.contains(&format!("chat::{adapter}").as_str()) => {
            format!("chat::{adapter}")
        }
        [top, ..] => top.to_string(),
        [] => String::new(),
    }
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `crate::a::b` path in `text`, comments included (a doc link to an
/// outer module is a dependency of the reader, too).
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(after.len());
        let before_ok =
            i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
        if before_ok {
            out.push(after[..end].trim_end_matches(':').to_string());
        }
        rest = &after[end..];
    }
    out
}

/// What is wrong with the import graph of `files` (path, text).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let Some(from) = module_of(path) else { continue };
        let Some(from_layer) = layer(&from) else {
            errs.push(format!("{path}: module {from} is in no layer"));
            continue;
        };
        for named in crate_paths(text) {
            let to = module_named(&named);
            if to == from {
                continue;
            }
            edges.entry(from.clone()).or_default().insert(to.clone());
            if ADAPTERS.contains(&to.as_str()) {
                errs.push(format!("{path}: names the adapter {to} (crate::{named})"));
                continue;
            }
            match layer(&to) {
                Some(l) if l > from_layer => {
                    errs.push(format!("{path}: {from} uses the outer {to} (crate::{named})"))
                }
                Some(_) => {}
                None => errs.push(format!("{path}: crate::{named} is in no layer")),
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        errs.push(format!("module cycle: {}", cycle.join(" → ")));
    }
    errs
}

/// A cycle in `edges`, if any, as the modules along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut vec![], &mut done))
}

/// The most lines a module may have before its tests.
const MAX_LINES: usize = 400;

/// Whether `path` holds only tests (`tests.rs`, `*_tests.rs`, a `tests/` folder).
fn is_test_file(path: &str) -> bool {
    path.ends_with("/tests.rs") || path.ends_with("_tests.rs") || path.contains("/tests/")
}

/// The modules over [`MAX_LINES`] lines, not counting their `#[cfg(test)]` tail.
fn oversized(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, _)| !is_test_file(path))
        .filter_map(|(path, text)| {
            let n = text
                .lines()
                .take_while(|l| !l.starts_with("#[cfg(test)]"))
                .count();
            (n > MAX_LINES).then(|| format!("{path}: {n} lines before its tests, at most {MAX_LINES}"))
        })
        .collect()
}

/// What a domain file must not name: the domain is plain Rust, with no I/O.
const DOMAIN_FORBIDS: &[&str] = &[
    "sqlx",
    "tokio",
    "serenity",
    "reqwest",
    "std::fs",
    "std::net",
    "tracing::",
];

/// The domain files that name I/O.
fn domain_io(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    for (path, text) in files.iter().filter(|(p, _)| p.starts_with("src/domain/")) {
        for word in DOMAIN_FORBIDS {
            let named = text.lines().any(|l| {
                let code = l.split("//").next().unwrap_or("");
                code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .any(|t| {
                        t == *word
                            || t.starts_with(&format!("{word}::"))
                            || (word.ends_with("::") && t.starts_with(word))
                    })
            });
            if named {
                errs.push(format!("{path}: the domain names {word}"));
            }
        }
    }
    errs
}

/// Where stored words must arrive as enums: the modules that act on records.
const TYPED: &[&str] = &["src/handlers/", "src/service/", "src/scheduler/", "src/app.rs"];

/// Lines of those modules (before their tests, outside comments) that
/// compare with a string literal or match on a string: a state, outcome or
/// action compared as text rather than as its enum.
fn string_comparisons(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    for (path, text) in files
        .iter()
        .filter(|(p, _)| TYPED.iter().any(|t| p.starts_with(t)))
    {
        for (n, line) in text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .enumerate()
        {
            let code = line.split("//").next().unwrap_or("").replace(' ', "");
            if code.contains("==\"")
                || code.contains("!=\"")
                || code.contains("\"==")
                || code.contains("\"!=")
                || code.contains(".as_str(){")
            {
                errs.push(format!("{path}:{}: compares a string: {}", n + 1, line.trim()));
            }
        }
    }
    errs
}

/// The top-level arguments of the call whose `(` is at `open` in `code`,
/// or `None` if it is not closed.
fn call_args(code: &str, open: usize) -> Option<Vec<String>> {
    let (mut depth, mut args, mut cur, mut quoted) = (0usize, vec![], String::new(), false);
    let mut prev = ' ';
    for c in code[open..].chars() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    args.push(std::mem::take(&mut cur));
                    return Some(args);
                }
            }
            ',' if !quoted && depth == 1 => {
                args.push(std::mem::take(&mut cur));
                prev = c;
                continue;
            }
            _ => {}
        }
        if depth >= 1 && !(depth == 1 && c == '(' && cur.is_empty() && args.is_empty()) {
            cur.push(c);
        }
        prev = c;
    }
    None
}

/// `audit(…)` calls in those modules (before their tests) whose before or
/// after value is written as words (a `format!` or a literal with a space):
/// an audit entry stores facts (`domain::audit::Fact`) that render words.
fn audited_sentences(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    for (path, text) in files
        .iter()
        .filter(|(p, _)| TYPED.iter().any(|t| p.starts_with(t)))
    {
        let code: String = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .map(|l| if l.trim_start().starts_with("//") { "" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        for (at, _) in code.match_indices("audit(") {
            let before = code[..at].chars().next_back().unwrap_or(' ');
            if before.is_ascii_alphanumeric() || before == '_' || code[..at].ends_with("fn ") {
                continue;
            }
            let Some(args) = call_args(&code, at + "audit".len()) else {
                continue;
            };
            for (i, value) in args.iter().enumerate().skip(5) {
                let literal_words = value.split('"').skip(1).step_by(2).any(|lit| lit.contains(' '));
                if value.contains("format!") || literal_words {
                    let line = code[..at].matches('\n').count() + 1;
                    let which = if i == 5 { "before" } else { "after" };
                    errs.push(format!(
                        "{path}:{line}: an audit {which} written as words: {}",
                        value.trim()
                    ));
                }
            }
        }
    }
    errs
}

/// Whether a format string reads as prose: with each `{…}` as one word, a
/// word of letters, a space and another (`"build {n} recorded"`,
/// `"{title} ({type}, {risk} risk)"`). Ids, keys and paths (`"INC-{n}"`,
/// `"release.{action}"`, `"{JOB}:{id}:early"`) and bare values (`"{e:#}"`,
/// `"panicked: {}"`) have no such pair.
fn reads_as_prose(template: &str) -> bool {
    let mut words = String::new();
    let mut inside = false;
    for c in template.chars() {
        match c {
            '{' if !inside => inside = true,
            '}' if inside => {
                inside = false;
                words.push('x');
            }
            _ if !inside => words.push(c),
            _ => {}
        }
    }
    let w: Vec<char> = words.chars().collect();
    w.windows(3)
        .any(|t| t[0].is_alphanumeric() && t[1] == ' ' && t[2].is_alphabetic())
}

/// `format!` calls in those modules (before their tests, outside comments)
/// whose text reads as prose: the words of a notification, a reply or a
/// stored value belong in `render`, and a handler passes it facts. An error's
/// context (`.context(format!(…))`, `with_context(|| format!(…))`) and a
/// tracing field (`error = format!(…)`) are not for users and pass.
fn handler_prose(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    for (path, text) in files
        .iter()
        .filter(|(p, _)| TYPED.iter().any(|t| p.starts_with(t)))
    {
        let code: String = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .map(|l| if l.trim_start().starts_with("//") { "" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        for (at, _) in code.match_indices("format!(") {
            let lead = code[..at].trim_end();
            let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
            let on_line = code[line_start..at].trim();
            // `name = format!(…)` as a macro's argument, not `let name =`.
            let field = lead.strip_suffix('=').is_some_and(|l| {
                let l = l.trim_end();
                let name = l.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
                let rest = name.trim_end();
                name.len() < l.len() && (rest.ends_with('(') || rest.ends_with(','))
            });
            // An error value (`Err(ChatError::Permanent(format!(…)))`) is for operators.
            let error = lead.ends_with('(') && on_line.contains("Err(");
            if lead.ends_with("context(") || lead.ends_with("context(||") || field || error {
                continue;
            }
            let Some(args) = call_args(&code, at + "format!".len()) else {
                continue;
            };
            let Some(template) = args.first().and_then(|a| a.split('"').nth(1)) else {
                continue;
            };
            if reads_as_prose(template) {
                let line = code[..at].matches('\n').count() + 1;
                errs.push(format!(
                    "{path}:{line}: prose built in a handler: format!(\"{template}\")"
                ));
            }
        }
    }
    errs
}

/// The child modules of `top` (`handlers` → `polls`, `survey`, …) each file
/// under `src/{top}/` uses, by `crate::{top}::x` or by `super::x` from the
/// file's own depth: the graph inside one top module.
fn child_edges(top: &str, files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let prefix = format!("src/{top}/");
    let rel_of = |path: &str| -> Option<Vec<String>> {
        let rel = path.strip_prefix(&prefix)?.trim_end_matches(".rs");
        let mut parts: Vec<String> = rel.split('/').map(String::from).collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        (!parts.is_empty()).then_some(parts)
    };
    let children: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| rel_of(p))
        .map(|r| r[0].clone())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let Some(rel) = rel_of(path) else { continue };
        let code: String = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut named = BTreeSet::new();
        for path in crate_paths(&code) {
            if let Some(rest) = path.strip_prefix(&format!("{top}::")) {
                named.insert(rest.split("::").next().unwrap_or("").to_string());
            }
        }
        // `super::` as many times as the file is deep names the top module.
        let up = "super::".repeat(rel.len());
        let mut rest = code.as_str();
        while let Some(i) = rest.find(&up) {
            let before_ok =
                i == 0 || !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            let after = &rest[i + up.len()..];
            if before_ok {
                if let Some(group) = after.strip_prefix('{') {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for part in group.split(',') {
                        named.insert(part.trim().split("::").next().unwrap_or("").to_string());
                    }
                } else {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    named.insert(after[..end].to_string());
                }
            }
            rest = after;
        }
        for n in named {
            if children.contains(&n) && n != rel[0] {
                edges.entry(rel[0].clone()).or_default().insert(n);
            }
        }
    }
    edges
}

/// The cycles between the child modules of each top module.
fn child_cycles(files: &[(String, String)]) -> Vec<String> {
    let tops: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| {
            let rel = p.strip_prefix("src/")?;
            let (top, _) = rel.split_once('/')?;
            Some(top.to_string())
        })
        .collect();
    tops.iter()
        .filter_map(|top| {
            find_cycle(&child_edges(top, files)).map(|c| format!("cycle in {top}: {}", c.join(" → ")))
        })
        .collect()
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn the_import_graph_points_inward() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    sources(&root.join("src"), root, &mut files);
    assert!(files.len() > 50, "the sources were read: {}", files.len());
    let errs = violations(&files);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

/// The check can fail: an outward import, an adapter named from the
/// service, an unknown module and a cycle are each found.
#[test]
fn the_check_finds_outward_imports_adapters_and_cycles() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let outward = violations(&[f("src/domain/x.rs", "use crate::db::outbox;")]);
    assert_eq!(outward.len(), 1, "{outward:?}");
    assert!(outward[0].contains("domain uses the outer db"), "{outward:?}");

    let adapter = violations(&[f("src/service/x.rs", "let g = crate::chat::console::GUILD;")]);
    assert!(
        adapter
            .iter()
            .any(|e| e.contains("names the adapter chat::console")),
        "{adapter:?}"
    );
    // An adapter naming itself, or the port, is fine.
    assert!(violations(&[f(
        "src/chat/discord/a.rs",
        "use crate::chat::discord::x; use crate::chat::Outgoing;"
    )])
    .is_empty());

    let unknown = violations(&[f("src/gizmo/x.rs", "use crate::domain::ids;")]);
    assert!(
        unknown.iter().any(|e| e.contains("module gizmo is in no layer")),
        "{unknown:?}"
    );

    let cycle = violations(&[
        f("src/render.rs", "use crate::handlers::Reply;"),
        f("src/handlers/mod.rs", "use crate::render;"),
    ]);
    assert!(cycle.iter().any(|e| e.starts_with("module cycle:")), "{cycle:?}");
    assert!(
        cycle.iter().any(|e| e.contains("render uses the outer handlers")),
        "{cycle:?}"
    );

    // `mycrate::x` is not `crate::x`.
    assert_eq!(
        crate_paths("use mycrate::db; crate::a::b::C"),
        vec!["a::b::C".to_string()]
    );
}

#[test]
fn modules_are_small_the_domain_does_no_io_handlers_compare_no_strings_and_submodules_have_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    sources(&root.join("src"), root, &mut files);
    assert!(files.len() > 50, "the sources were read: {}", files.len());
    let errs: Vec<String> = oversized(&files)
        .into_iter()
        .chain(domain_io(&files))
        .chain(string_comparisons(&files))
        .chain(audited_sentences(&files))
        .chain(handler_prose(&files))
        .chain(child_cycles(&files))
        .chain(answers::bare_commits(&files))
        .collect();
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

/// Both checks can fail: a long module, and a domain file naming sqlx or
/// tokio, are found; tests and comments are not counted.
#[test]
fn the_size_and_domain_checks_find_what_they_forbid() {
    let f = |p: &str, t: String| (p.to_string(), t);
    let long = "fn a() {}\n".repeat(MAX_LINES + 1);
    let errs = oversized(&[f("src/db/x.rs", long.clone())]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("401 lines"), "{errs:?}");
    let at_limit = "fn a() {}\n".repeat(MAX_LINES);
    let with_tests = format!("{at_limit}#[cfg(test)]\nmod tests {{\n{long}}}\n");
    assert!(oversized(&[f("src/db/x.rs", with_tests)]).is_empty());
    assert!(oversized(&[
        f("src/db/tests.rs", long.clone()),
        f("src/domain/calendar/tests/a.rs", long)
    ])
    .is_empty());

    let io = domain_io(&[
        f("src/domain/a.rs", "use sqlx::Row;".into()),
        f(
            "src/domain/b.rs",
            "async fn f() { tokio::time::sleep(d).await }".into(),
        ),
        f("src/domain/c.rs", "// not sqlx, a comment\nfn mysqlx() {}".into()),
        f("src/db/d.rs", "use sqlx::Row;".into()),
    ]);
    assert_eq!(
        io,
        vec![
            "src/domain/a.rs: the domain names sqlx".to_string(),
            "src/domain/b.rs: the domain names tokio".to_string()
        ]
    );
}

/// The string check can fail: a comparison with a literal, either way round,
/// and a match on `as_str()` are found in a handler; not in render, a
/// comment or a handler's tests.
#[test]
fn the_string_check_finds_comparisons_with_literals() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let errs = string_comparisons(&[
        f(
            "src/handlers/a.rs",
            "if s.via == \"dm\" {}\nif \"add\" != e.action {}\nmatch p.as_str() {\n",
        ),
        f("src/scheduler/b.rs", "let ok = state != \"closed\";"),
        f("src/render/c.rs", "if via == \"dm\" {}"),
        f(
            "src/handlers/d.rs",
            "// if via == \"dm\"\n#[cfg(test)]\nmod tests { fn t() { assert!(x == \"y\") } }",
        ),
    ]);
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(errs[0].starts_with("src/handlers/a.rs:1:"), "{errs:?}");
    assert!(errs[2].starts_with("src/handlers/a.rs:3:"), "{errs:?}");
    assert!(errs[3].starts_with("src/scheduler/b.rs:1:"), "{errs:?}");
}

/// The audit check can fail: a `format!` or a sentence as the before or
/// after of a handler's `audit(…)` is found, nested or not; a fact, a bare
/// key, a formatted record id, `fn audit(` itself, `package::audit(…)` in
/// words' place and a handler's tests are not.
#[test]
fn the_audit_check_finds_values_written_as_words() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let errs = audited_sentences(&[
        f(
            "src/handlers/a.rs",
            "fn g() {\n    audit(\n        &mut tx,\n        ctx,\n        &who,\n        id,\n        \"x.y\",\n        None,\n        Some(format!(\"{env}: {}\", f(a, b))),\n    );\n}",
        ),
        f(
            "src/scheduler/b.rs",
            "audit(tx, ctx, &a, r, \"x\", Some(\"was open\".into()), None);",
        ),
        f(
            "src/handlers/ok.rs",
            "pub fn audit(tx: &mut Tx, before: Option<AuditValue>) {}\n\
             audit(tx, ctx, &a, format!(\"freeze:{}\", n), \"x\", Some(\"open\".into()), Some(Fact::Lifted { reason: None }.into()));\n\
             let d = package::audit(&items, &found);\n\
             #[cfg(test)]\nmod tests { fn t() { audit(tx, ctx, &a, r, \"x\", None, Some(format!(\"a b\"))); } }",
        ),
        f("src/render/c.rs", "audit(tx, ctx, &a, r, \"x\", None, Some(format!(\"{x} y\")));"),
    ]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with("src/handlers/a.rs:2: an audit after"),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with("src/scheduler/b.rs:1: an audit before"),
        "{errs:?}"
    );
}

/// The prose check can fail: a notification's words built in a handler or
/// the scheduler are found; ids, job keys, error contexts, tracing fields,
/// `render`'s own words and a handler's tests are not.
#[test]
fn the_prose_check_finds_words_built_in_handlers() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let errs = handler_prose(&[
        f(
            "src/handlers/a.rs",
            "fn g() {\n    Tell::Subscribers {\n        what: &format!(\"deployment to {env} started\"),\n    };\n}",
        ),
        f(
            "src/scheduler/b.rs",
            "let what = format!(\"{} ({}, {} risk) — open\", t, k, r);\nwhat = format!(\"{} {} — {}\", n, v, s);",
        ),
        f(
            "src/handlers/ok.rs",
            "let id = format!(\"INC-{}\", n);\n\
             let a = format!(\"release.{}\", name);\n\
             let k = format!(\"{CLOSE_JOB}:{}:early:{n}\", id);\n\
             let p = format!(\"panicked: {}\", m);\n\
             // let c = format!(\"a comment, not code\");\n\
             db::x().await.context(format!(\"loading release {id}\"))?;\n\
             db::y().await.with_context(|| format!(\"saving poll {id}\"))?;\n\
             tracing::warn!(\n    error = format!(\"{e:#}\"),\n    reason = format!(\"job {id} failed\"),\n);\n\
             tracing::warn!(error = format!(\"{e:#} at step {n}\"), \"step failed\");\n\
             return Err(ChatError::Permanent(format!(\"delivery panicked: {m}\")));\n\
             #[cfg(test)]\nmod tests { fn t() { let s = format!(\"build {n} recorded\"); } }",
        ),
        f("src/render/c.rs", "format!(\"build {n} recorded\")"),
    ]);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].starts_with("src/handlers/a.rs:3: prose built in a handler"),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with("src/scheduler/b.rs:1: prose built in a handler"),
        "{errs:?}"
    );
    assert!(
        errs[2].starts_with("src/scheduler/b.rs:2: prose built in a handler"),
        "{errs:?}"
    );
}

/// The submodule check can fail: two handlers naming each other (by
/// `super::`, a `super::{…}` group or `crate::handlers::`) are a cycle; a
/// file naming its own module's parts, or the top module's root, is not.
#[test]
fn the_submodule_check_finds_a_cycle_inside_a_top_module() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let cycle = child_cycles(&[
        f("src/handlers/mod.rs", "pub mod polls; pub mod survey;"),
        f("src/handlers/polls/mod.rs", "use super::{audit, survey::answer};"),
        f("src/handlers/survey.rs", "use super::Ctx;"),
        f("src/handlers/polls/close.rs", "use super::*;"),
        f(
            "src/handlers/survey/x.rs",
            "let j = super::super::polls::CLOSE_JOB;",
        ),
    ]);
    assert_eq!(cycle.len(), 1, "{cycle:?}");
    assert!(cycle[0].starts_with("cycle in handlers: "), "{cycle:?}");
    assert!(
        cycle[0].contains("polls") && cycle[0].contains("survey"),
        "{cycle:?}"
    );

    let by_crate = child_cycles(&[
        f("src/domain/a.rs", "use crate::domain::b::X;"),
        f("src/domain/b.rs", "fn f() -> super::a::Y { todo!() }"),
    ]);
    assert_eq!(by_crate.len(), 1, "{by_crate:?}");

    let none = child_cycles(&[
        f("src/handlers/polls/mod.rs", "use super::{audit, Ctx};"),
        f(
            "src/handlers/polls/close.rs",
            "use super::*; use super::super::notify;",
        ),
        f(
            "src/handlers/survey.rs",
            "use super::polls::CLOSE_JOB; // super::survey",
        ),
    ]);
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn storage_facing_tests_take_their_database_from_the_switch() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    sources(&root.join("tests"), root, &mut files);
    assert!(files.len() > 40, "the tests were read: {}", files.len());
    let script = std::fs::read_to_string(root.join("scripts/test")).unwrap();
    let sqlite_only = databases::sqlite_only(&script);
    assert!(
        sqlite_only.len() >= 8 && sqlite_only.iter().any(|s| s == "architecture"),
        "scripts/test's sqlite_only list was read: {sqlite_only:?}"
    );
    for name in &sqlite_only {
        assert!(
            root.join(format!("tests/{name}.rs")).is_file(),
            "scripts/test's sqlite_only names no test binary: {name}"
        );
    }
    let found = databases::direct_sqlite(&files, &sqlite_only);
    let errs = databases::unexplained(&found, databases::ALLOWED);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

/// The database check can fail: a test file opening an SQLite path,
/// handing the binary a `--db` path, writing `sqlite://` into a config or
/// connecting with sqlx's SQLite types is found; `database_url`, a
/// harness's `.url`, comments, tests/common and sqlite_only binaries are
/// not; an allow-list entry explains its finding, and one that explains
/// nothing is reported.
#[test]
fn the_database_check_finds_sqlite_opened_behind_the_switch() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let files = [
        f(
            "tests/a.rs",
            "let db = Db::open(dir.path().join(\"a.sqlite\").to_str().unwrap()).await;\n\
             let db = Db::open(&common::database_url(&dir.path().join(\"a.sqlite\"))).await;\n\
             let db = release_desk::db::Db::open(&bot.url)\n    .await;\n\
             let db = Db::open_at(&url, 12).await;",
        ),
        f(
            "tests/b.rs",
            "cmd.args([\"console\", \"--db\"])\n    .arg(db);\n\
             cmd.arg(\"--db\")\n    .arg(common::database_url(db));",
        ),
        f(
            "tests/fake_x/bot.rs",
            "// sqlite:// in a comment\nlet c = \"[database]\\nurl = \\\"sqlite://{db}\\\"\";\n\
             let conn = sqlx::SqliteConnection::connect(&u).await;",
        ),
        f(
            "tests/common/mod.rs",
            "let db = Db::open(path.to_str().unwrap()).await;",
        ),
        f(
            "tests/lite.rs",
            "let db = Db::open(copy.to_str().unwrap()).await;",
        ),
        f("tests/lite/helper.rs", "let u = \"sqlite://x\";"),
    ];
    let only =
        databases::sqlite_only("x\nsqlite_only=(\n  lite   # its reason\n  other  # another\n)\nafter\n");
    assert_eq!(only, ["lite", "other"]);
    let found = databases::direct_sqlite(&files, &only);
    let at: Vec<(&str, usize)> = found.iter().map(|(p, l, _)| (p.as_str(), *l)).collect();
    assert_eq!(
        at,
        [
            ("tests/a.rs", 1),
            ("tests/a.rs", 5),
            ("tests/b.rs", 1),
            ("tests/fake_x/bot.rs", 2),
            ("tests/fake_x/bot.rs", 3),
        ],
        "{found:#?}"
    );
    let errs = databases::unexplained(
        &found,
        &[
            ("tests/a.rs", "Db::open_at(&url", "why"),
            ("tests/fake_x/bot.rs", "SqliteConnection", "why"),
            ("tests/gone.rs", "Db::open(", "why"),
        ],
    );
    assert_eq!(errs.len(), 4, "{errs:#?}");
    assert!(
        errs[0].starts_with("tests/a.rs:1: opens SQLite behind the switch"),
        "{errs:#?}"
    );
    assert!(errs[1].starts_with("tests/b.rs:1: "), "{errs:#?}");
    assert!(errs[2].starts_with("tests/fake_x/bot.rs:2: "), "{errs:#?}");
    assert_eq!(errs[3], "allowed but not found (stale): tests/gone.rs: Db::open(");
}

/// The answer check finds a handler that answers and commits by itself,
/// and not one that commits through the context or answers nothing.
#[test]
fn the_answer_check_finds_a_handler_committing_its_answer_by_itself() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let bare =
        "pub async fn new(ctx: Ctx<'_>) -> Handled {\n    tx.commit().await?;\n    Ok(Reply::Public(m))\n}\n";
    let errs = answers::bare_commits(&[f("src/handlers/rfc.rs", bare)]);
    assert_eq!(
        errs,
        ["src/handlers/rfc.rs: fn new answers but commits with tx.commit(), not ctx.commit"]
    );
    let through =
        "pub async fn new(ctx: Ctx<'_>) -> Handled {\n    ctx.commit(tx, Reply::Public(m)).await\n}\n\
                   async fn job(ctx: Ctx<'_>) -> anyhow::Result<()> {\n    tx.commit().await\n}\n";
    assert!(answers::bare_commits(&[f("src/handlers/rfc.rs", through)]).is_empty());
    // Outside the handlers, nothing is looked at.
    assert!(answers::bare_commits(&[f("src/app.rs", bare)]).is_empty());
}
