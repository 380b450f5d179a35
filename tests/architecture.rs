//! Architecture rules checked on the source text.
//!
//! `src/app/` is built from feature components that depend on shared models
//! and helpers, never on each other in a circle (DESIGN.md, "The window's
//! shape"). Rust allows module cycles, so nothing else would catch one: this
//! test reads every `src/app/**/*.rs`, collects the `crate::app::…` and
//! `super::…` paths outside `#[cfg(test)]` modules, builds the module graph
//! and fails naming each cycle it finds.
//!
//! A folder module (`query_form/`) counts as one node: its parts import their
//! parent's helpers by design.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Name of the `src/app/mod.rs` node.
const ROOT: &str = "app";

/// One source file: its module path below `app` (empty for `mod.rs`) and text.
struct SourceFile {
    module: Vec<String>,
    text: String,
}

fn collect(dir: &Path, prefix: &[String], out: &mut Vec<SourceFile>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if path.is_dir() {
            let mut module = prefix.to_vec();
            module.push(name);
            collect(&path, &module, out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut module = prefix.to_vec();
            if stem != "mod" {
                module.push(stem.to_string());
            }
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            out.push(SourceFile { module, text });
        }
    }
}

/// The text without line comments and without `#[cfg(test)] mod … { … }` blocks:
/// tests may reach anywhere; the shipped code may not.
fn shipped_code(text: &str) -> String {
    let without_comments: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = without_comments.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_module = trimmed.starts_with("mod ") || trimmed.starts_with("pub mod ");
        match (is_module, after.find(['{', ';'])) {
            (true, Some(open)) if after.as_bytes()[open] == b'{' => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (i, c) in after[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// The first path segment of every item in `crate::app::{…}` or `crate::app::x`.
fn leading_segments(after_prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
    };
    let trimmed = after_prefix.trim_start();
    if let Some(group) = trimmed.strip_prefix('{') {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = 0usize;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    items.push(ident(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(ident(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.into_iter().filter(|s| !s.is_empty()).collect()
    } else {
        vec![ident(trimmed)]
    }
}

/// The module graph: node = top-level module of `app` (or `app` itself),
/// edge = the first names something from the second.
fn module_graph(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let node_of =
        |module: &[String]| -> String { module.first().cloned().unwrap_or_else(|| ROOT.to_string()) };
    // `base::segment` names a module when one exists there; otherwise an item of `base`.
    let resolve = |base: &[String], segment: &str| -> String {
        let mut candidate = base.to_vec();
        candidate.push(segment.to_string());
        if segment != "self" && modules.contains(&candidate) { node_of(&candidate) } else { node_of(base) }
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = node_of(&file.module);
        let targets = graph.entry(from.clone()).or_default();
        let code = shipped_code(&file.text);
        let mut found = Vec::new();
        for (at, _) in code.match_indices("crate::app::") {
            for segment in leading_segments(&code[at + "crate::app::".len()..]) {
                found.push(resolve(&[], &segment));
            }
        }
        let parent = &file.module[..file.module.len().saturating_sub(1)];
        for (at, _) in code.match_indices("super::") {
            // `super::super::` and friends are not used in app/; treat as the parent.
            for segment in leading_segments(&code[at + "super::".len()..]) {
                found.push(resolve(parent, &segment));
            }
        }
        targets.extend(found.into_iter().filter(|to| *to != from));
    }
    graph
}

/// Every cycle's members (strongly connected components with more than one
/// module), each with one concrete loop through it for the message.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for node in graph.keys() {
        if reported.contains(node) {
            continue;
        }
        let forward = reaches(node);
        if !forward.contains(node) {
            continue;
        }
        let component: BTreeSet<String> =
            forward.iter().filter(|other| reaches(other).contains(node)).cloned().collect();
        if component.len() < 2 {
            continue;
        }
        reported.extend(component.iter().cloned());
        out.push(component.into_iter().collect());
    }
    out
}

/// One loop `a -> b -> … -> a` inside a cycle's members, for the message.
fn one_loop(graph: &BTreeMap<String, BTreeSet<String>>, members: &[String]) -> String {
    let inside: BTreeSet<&String> = members.iter().collect();
    let start = &members[0];
    // Breadth-first search back to `start`, staying inside the component.
    let mut previous: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(&node).into_iter().flatten() {
            if !inside.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![start.clone(), node.clone()];
                let mut at = node.clone();
                while let Some(p) = previous.get(&at) {
                    path.push(p.clone());
                    at = p.clone();
                }
                path.reverse();
                return path.join(" -> ");
            }
            if !previous.contains_key(next) && next != start {
                previous.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    members.join(", ")
}

#[test]
fn app_modules_import_each_other_without_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut files = Vec::new();
    collect(&root, &[], &mut files);
    assert!(files.len() > 10, "expected the app modules under {}", root.display());
    let graph = module_graph(&files);
    let found = cycles(&graph);
    let message: Vec<String> = found
        .iter()
        .map(|members| format!("cycle among {{{}}}, e.g. {}", members.join(", "), one_loop(&graph, members)))
        .collect();
    assert!(found.is_empty(), "import cycles in src/app/:\n{}", message.join("\n"));
}

/// The checker itself must be able to fail: a two-module loop, a loop through
/// a grouped `use`, a `super::` import and a test-only import that must not count.
#[test]
fn the_checker_finds_a_planted_cycle_and_ignores_tests() {
    let file = |module: &[&str], text: &str| SourceFile {
        module: module.iter().map(|s| s.to_string()).collect(),
        text: text.to_string(),
    };
    let files = vec![
        file(&[], "mod a;\nmod b;\nmod c;\nmod f;\n"),
        file(&["a"], "use crate::app::{b::Thing, c::Other};\n"),
        file(&["b"], "use super::c::X;\n"),
        file(&["c"], "pub fn x() { crate::app::a::y() }\n"),
        file(
            &["f"],
            "use crate::app::c;\n#[cfg(test)]\nmod tests {\n    use crate::app::a::Z;\n    fn t() { let _ = \"{}\"; }\n}\n",
        ),
        file(&["f", "part"], "use super::Helper;\n// use crate::app::a;\n"),
    ];
    let graph = module_graph(&files);
    assert_eq!(graph["a"], BTreeSet::from(["b".to_string(), "c".to_string()]));
    assert_eq!(graph["b"], BTreeSet::from(["c".to_string()]));
    assert_eq!(graph["f"], BTreeSet::from(["c".to_string()]));
    let found = cycles(&graph);
    assert_eq!(found, vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]);
    assert_eq!(one_loop(&graph, &found[0]), "a -> c -> a");
}
