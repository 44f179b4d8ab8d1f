//! Random templates and .prompty files built from syntax fragments: nothing panics,
//! and every rendered message is trimmed and non-empty.

use serde_json::json;
use whetstone_model::Variables;
use whetstone_template::{analyze, prompty, render};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{-",
    "-}}",
    "{%-",
    "-%}",
    " ",
    "\n",
    "\r\n",
    "user:\n",
    "system:\n",
    "# assistant:\n",
    "\u{FDD0}",
    "é",
    "🦀",
    "x",
    "v",
    "ex",
    "for",
    " in ",
    "if",
    "else",
    "endif",
    "endfor",
    "set",
    "=",
    "macro",
    "endmacro",
    "raw",
    "endraw",
    "include",
    "(",
    ")",
    "[",
    "]",
    "|",
    ".",
    ",",
    "'",
    "\"",
    "~",
    "*",
    "1",
    "100000",
    "range",
    "upper",
    "loop.index",
    "none",
    "true",
    "is defined",
    "---\n",
    "name: ",
    "model:\n  options:\n    temperature: ",
    ":",
    "- ",
    "  ",
];

#[test]
fn random_fragments_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vars: Variables =
        serde_json::from_value(json!({"x": "user:\nhi", "v": [1, 2], "ex": {"a": 1}})).unwrap();
    for _ in 0..20_000 {
        let len = 1 + rng.next() % 24;
        let text: String = (0..len).map(|_| rng.pick(FRAGMENTS)).collect();
        let _ = analyze(&text);
        if let Ok(messages) = render(&text, &vars) {
            for m in messages {
                assert!(!m.content.is_empty(), "{text:?}");
                assert_eq!(m.content.trim(), m.content, "{text:?}");
            }
        }
        if let Ok(file) = prompty::parse(&text) {
            assert!(text.ends_with(&file.body), "{text:?}");
        }
    }
}
