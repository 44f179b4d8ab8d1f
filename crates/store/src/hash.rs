//! The content hash of a version.

use serde_json::Value;
use sha2::{Digest, Sha256};
use whetstone_model::{Assertion, Target, TestCase};

/// The `content_hash` of a version: lowercase hex SHA-256 of one canonical JSON text.
///
/// Exactly what is hashed: the UTF-8 bytes of the JSON object
/// `{"default_target": <Target as serde serialises it>, "inputs": [<names in order>], "template": <text>}`,
/// written canonically:
/// - object members sorted by key (bytewise), no whitespace anywhere;
/// - members whose value is `null` are left out (so a target without default target,
///   or an unset parameter, hashes the same as before that field existed);
/// - strings escaped as serde_json writes them, numbers as serde_json prints them.
///
/// The version's message, number, parent and time are not part of the content.
pub fn content_hash(template: &str, default_target: Option<&Target>, inputs: &[String]) -> String {
    let document = serde_json::json!({
        "template": template,
        "default_target": default_target,
        "inputs": inputs,
    });
    let mut text = String::new();
    write_canonical(&document, &mut text);
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The `hash` of a suite: lowercase hex SHA-256 of the canonical JSON (as for
/// versions) of `{"assertions": [...], "cases": [...]}`, cases in order.
pub fn suite_hash(cases: &[TestCase], assertions: &[Assertion]) -> String {
    let document = serde_json::json!({ "cases": cases, "assertions": assertions });
    let mut text = String::new();
    write_canonical(&document, &mut text);
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().filter(|(_, v)| !v.is_null()).collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // null, booleans and numbers have one spelling in serde_json.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use whetstone_model::Params;

    fn target(temperature: Option<f64>) -> Target {
        Target {
            provider: "ollama".into(),
            model: "gemma3".into(),
            params: Params {
                temperature,
                ..Params::default()
            },
        }
    }

    #[test]
    fn hashes_the_documented_canonical_text() {
        let t = target(Some(0.5));
        let expected_text = r#"{"default_target":{"model":"gemma3","params":{"stop":[],"temperature":0.5},"provider":"ollama"},"inputs":["a","b"],"template":"user: \"{{a}}\"\n{{b}}"}"#;
        let expected = format!("{:x}", Sha256::digest(expected_text.as_bytes()));
        let inputs = ["a".to_string(), "b".to_string()];
        assert_eq!(
            content_hash("user: \"{{a}}\"\n{{b}}", Some(&t), &inputs),
            expected
        );
    }

    #[test]
    fn every_part_of_the_content_counts() {
        let inputs = vec!["x".to_string()];
        let base = content_hash("hi {{x}}", Some(&target(None)), &inputs);
        assert_eq!(base.len(), 64);
        assert_eq!(base, content_hash("hi {{x}}", Some(&target(None)), &inputs));
        assert_ne!(
            base,
            content_hash("hi {{ x}}", Some(&target(None)), &inputs)
        );
        assert_ne!(base, content_hash("hi {{x}}", None, &inputs));
        assert_ne!(
            base,
            content_hash("hi {{x}}", Some(&target(Some(0.0))), &inputs)
        );
        assert_ne!(base, content_hash("hi {{x}}", Some(&target(None)), &[]));
    }
}
