//! The core's modules form layers: no module uses one that uses it back. Read off
//! the sources (`crate::module` paths outside `#[cfg(test)]` code), so a cycle
//! fails here rather than living on in a comment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules of `src/` and the ones each uses.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" {
            continue;
        }
        let mut text = String::new();
        collect(&path, &mut text);
        graph.insert(name, text);
    }
    let names: BTreeSet<String> = graph.keys().cloned().collect();
    graph
        .into_iter()
        .map(|(name, text)| {
            let used = crate_paths(&text)
                .into_iter()
                .filter(|m| *m != name && names.contains(m))
                .collect();
            (name, used)
        })
        .collect()
}

/// The first segment of every `crate::…` path, including each of a
/// `crate::{a, b::c}` group.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

/// The module's non-test source, files and folders alike.
fn collect(path: &Path, out: &mut String) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        out.push_str(code);
    }
}

#[test]
fn core_modules_have_no_cycles() {
    let graph = uses();
    assert!(graph.len() > 5, "modules found: {graph:?}");
    // The reader sees the edges that are there.
    assert!(graph["run"].contains("services"), "{graph:?}");
    assert!(graph["api"].contains("error"), "{graph:?}");
    // Depth-first search for a back edge; the path to it is the cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(i) = path.iter().position(|n| n == node) {
            panic!("module cycle: {} → {node}", path[i..].join(" → "));
        }
        path.push(node.to_string());
        for next in &graph[node] {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_layers_are_the_documented_ones() {
    let graph = uses();
    // Each module may use only those listed before it (see lib.rs).
    let order = [
        "paths",
        "logging",
        "error",
        "batch",
        "limits",
        "keys",
        "owner",
        "health",
        "scoring",
        "services",
        "run",
        "workbench",
        "api",
        "ipc",
    ];
    let known: BTreeSet<&str> = order.iter().copied().collect();
    for module in graph.keys() {
        assert!(
            known.contains(module.as_str()),
            "`{module}` is not in the documented layers"
        );
    }
    for (i, module) in order.iter().enumerate() {
        for used in &graph[*module] {
            let j = order.iter().position(|m| m == used).unwrap();
            assert!(
                j < i,
                "`{module}` uses `{used}`, which comes after it in lib.rs's layers"
            );
        }
    }
}
