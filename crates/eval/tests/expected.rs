//! promptfoo's `__expected` string syntax: parsing (as promptfoo 0.121's
//! `assertionFromString`), refusals, printing, and print → parse round trips.

use proptest::prelude::*;
use serde_json::{Value, json};
use whetstone_eval::expected::{join_list, split_list};
use whetstone_eval::{Scope, parse_expected, parse_type, print_expected, validate};
use whetstone_model::Assertion;

fn assertion(v: Value) -> Assertion {
    serde_json::from_value(v).expect("a valid assertion shape")
}

#[test]
fn parses_as_promptfoo_does() {
    let cases: &[(&str, Value)] = &[
        ("Paris", json!({"type": "equals", "value": "Paris"})),
        (
            "  The answer: 42  ",
            json!({"type": "equals", "value": "The answer: 42"}),
        ),
        (
            "contains: Paris",
            json!({"type": "contains", "value": "Paris"}),
        ),
        (
            "contains:Paris ",
            json!({"type": "contains", "value": "Paris"}),
        ),
        (
            "not-icontains: as an AI",
            json!({"type": "not-icontains", "value": "as an AI"}),
        ),
        (
            "equals:contains: x",
            json!({"type": "equals", "value": "contains: x"}),
        ),
        (
            "starts-with: Yes",
            json!({"type": "starts-with", "value": "Yes"}),
        ),
        (
            "starts-with(0.9): Yes",
            json!({"type": "starts-with", "value": "Yes"}),
        ),
        ("regex: ^\\d+$", json!({"type": "regex", "value": "^\\d+$"})),
        ("regex:a\nb", json!({"type": "regex", "value": "a\nb"})),
        // A type followed by something other than `:` or `(n)` is plain text.
        (
            "contains Paris",
            json!({"type": "equals", "value": "contains Paris"}),
        ),
        (
            "contains :x",
            json!({"type": "equals", "value": "contains :x"}),
        ),
        (
            "contains-any: Rome, Paris",
            json!({"type": "contains-any", "value": ["Rome", "Paris"]}),
        ),
        (
            "contains-all:a,,b, ",
            json!({"type": "contains-all", "value": ["a", "b"]}),
        ),
        (
            r#"icontains-any: "a, b", "say ""hi""", c\d"#,
            json!({"type": "icontains-any", "value": ["a, b", "say \"hi\"", "c\\d"]}),
        ),
        (
            r#"not-icontains-all: "x\"y", "\\z""#,
            json!({"type": "not-icontains-all", "value": ["x\"y", "\\z"]}),
        ),
        ("is-json", json!({"type": "is-json"})),
        ("is-json:", json!({"type": "is-json"})),
        ("not-is-json", json!({"type": "not-is-json"})),
        (
            "is-json: {\"type\": \"object\", \"required\": [\"a\"]}",
            json!({"type": "is-json", "value": {"type": "object", "required": ["a"]}}),
        ),
        (
            "contains-json:type: array",
            json!({"type": "contains-json", "value": {"type": "array"}}),
        ),
        ("word-count: 50", json!({"type": "word-count", "value": 50})),
        (
            "word-count:{\"min\": 2, \"max\": 9}",
            json!({"type": "word-count", "value": {"min": 2, "max": 9}}),
        ),
        (
            "character-count:{\"max\":280}",
            json!({"type": "character-count", "value": {"max": 280}}),
        ),
        (
            "latency(1500)",
            json!({"type": "latency", "threshold": 1500.0}),
        ),
        (
            "not-latency(20)",
            json!({"type": "not-latency", "threshold": 20.0}),
        ),
        ("cost(0.005)", json!({"type": "cost", "threshold": 0.005})),
        ("cost(0.005):", json!({"type": "cost", "threshold": 0.005})),
        ("ttft(300)", json!({"type": "ttft", "threshold": 300.0})),
        ("latency", json!({"type": "latency"})),
        (
            "output-tokens(256)",
            json!({"type": "output-tokens", "threshold": 256.0}),
        ),
    ];
    for (cell, want) in cases {
        let got = parse_expected(cell).unwrap().unwrap();
        assert_eq!(serde_json::to_value(&got).unwrap(), *want, "{cell:?}");
    }
    assert_eq!(parse_expected("   ").unwrap(), None);
}

#[test]
fn refuses_what_whetstone_does_not_support() {
    let cases: &[(&str, &str)] = &[
        (
            "javascript: output.length < 10",
            "promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "fn: x => true",
            "promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "eval: 1",
            "promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "file://check.js",
            "promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "file://check.py:grade",
            "promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "python: output == 'x'",
            "promptfoo's `python` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            "grade: is polite",
            "promptfoo's `llm-rubric` assertion is not supported: it is an LLM judge, and Whetstone's judges are not available as assertions yet",
        ),
        (
            "llm-rubric: is polite",
            "promptfoo's `llm-rubric` assertion is not supported: it is an LLM judge, and Whetstone's judges are not available as assertions yet",
        ),
        (
            "similar(0.8): hello",
            "promptfoo's `similar` assertion is not supported: Whetstone has no such check",
        ),
        (
            "rouge-n(0.5): the reference",
            "promptfoo's `rouge-n` assertion is not supported: Whetstone's reference metrics are bleu, chrf, chrf++, rouge-1, rouge-2, rouge-l, rouge-lsum and meteor (each equal to its reference tool)",
        ),
        (
            "not-is-xml",
            "promptfoo's `is-xml` assertion is not supported: Whetstone has no such check",
        ),
        (
            "cost: 0.01",
            "`cost` takes its limit in parentheses, not after `:` (write `cost(500)`)",
        ),
        (
            "is-json: {a: [",
            "`is-json`: the schema text is not JSON or YAML: did not find expected node content at line 2 column 1, while parsing a flow node",
        ),
        ("contains-any: \"open", "a quoted item has no closing quote"),
        (
            "contains-any: \"a\" b",
            "a quoted item must be followed by a comma",
        ),
    ];
    for (cell, msg) in cases {
        assert_eq!(
            parse_expected(cell).unwrap_err().to_string(),
            *msg,
            "{cell:?}"
        );
    }
}

#[test]
fn types_are_read_with_specific_messages() {
    assert_eq!(
        parse_type("not-contains-any").unwrap().to_string(),
        "not-contains-any"
    );
    assert_eq!(
        parse_type("not-llm-rubric").unwrap_err().to_string(),
        "promptfoo's `llm-rubric` assertion is not supported: it is an LLM judge, and Whetstone's judges are not available as assertions yet"
    );
    assert!(parse_type("contians").unwrap_err().to_string().starts_with(
        "unknown assertion type `contians` (Whetstone has: equals, contains, icontains,"
    ));
}

#[test]
fn prints_what_parses_back_the_same() {
    let cases: &[(Value, &str)] = &[
        (json!({"type": "equals", "value": "Paris"}), "Paris"),
        (
            json!({"type": "equals", "value": "contains: x"}),
            "equals:contains: x",
        ),
        (
            json!({"type": "equals", "value": "javascript: 1"}),
            "equals:javascript: 1",
        ),
        (json!({"type": "not-equals", "value": "x"}), "not-equals:x"),
        (
            json!({"type": "contains", "value": "a: b"}),
            "contains:a: b",
        ),
        (
            json!({"type": "not-regex", "value": "^a\nb$"}),
            "not-regex:^a\nb$",
        ),
        (
            json!({"type": "contains-any", "value": ["a", "b c"]}),
            "contains-any:a,b c",
        ),
        (
            json!({"type": "contains-all", "value": ["a, b", " pad", "\"q\"", "x\\\"y", ""]}),
            r#"contains-all:"a, b"," pad","""q""",x\"y,"""#,
        ),
        (json!({"type": "is-json"}), "is-json"),
        (
            json!({"type": "is-json", "value": {"type": "object"}}),
            r#"is-json:{"type":"object"}"#,
        ),
        (
            json!({"type": "word-count", "value": {"min": 1, "max": 3}}),
            r#"word-count:{"max":3,"min":1}"#,
        ),
        (
            json!({"type": "character-count", "value": 140}),
            "character-count:140",
        ),
        (
            json!({"type": "latency", "threshold": 1500}),
            "latency(1500)",
        ),
        (json!({"type": "cost", "threshold": 0.0001}), "cost(0.0001)"),
        (
            json!({"type": "not-ttft", "threshold": 2.5}),
            "not-ttft(2.5)",
        ),
    ];
    for (a, text) in cases {
        let a = assertion(a.clone());
        let printed = print_expected(&a).unwrap();
        assert_eq!(printed, *text);
        assert_eq!(
            parse_expected(&printed).unwrap().as_ref(),
            Some(&a),
            "{printed:?}"
        );
    }
}

#[test]
fn refuses_to_print_what_the_syntax_cannot_carry() {
    let cases: &[(Value, &str)] = &[
        (
            json!({"type": "contains", "value": "a", "weight": 2}),
            "`contains`: a weight cannot be written in promptfoo's __expected syntax",
        ),
        (
            json!({"type": "equals", "value": {"a": 1}}),
            "`equals`: a value that is not text cannot be written in __expected",
        ),
        (
            json!({"type": "equals", "value": " padded"}),
            "`equals`: the value \" padded\" has leading or trailing whitespace (or is empty), which __expected cannot keep",
        ),
        (
            json!({"type": "equals", "value": ""}),
            "`equals`: the value \"\" has leading or trailing whitespace (or is empty), which __expected cannot keep",
        ),
        (
            json!({"type": "contains", "value": "a", "threshold": 0.5}),
            "`contains`: the threshold 0.5 cannot be written in __expected",
        ),
        (json!({"type": "latency"}), "`latency` needs a threshold"),
    ];
    for (a, msg) in cases {
        assert_eq!(
            print_expected(&assertion(a.clone()))
                .unwrap_err()
                .to_string(),
            *msg,
            "{a}"
        );
    }
}

#[test]
fn parsed_assertions_validate() {
    for cell in [
        "contains: x",
        "contains-any: a, b",
        "is-json: {\"type\": \"object\"}",
        "word-count: 12",
        "latency(10)",
    ] {
        let a = parse_expected(cell).unwrap().unwrap();
        validate(Scope::Case, &[a]).unwrap();
    }
}

proptest! {
    #[test]
    fn list_items_survive_join_and_split(items in prop::collection::vec("[a-z ,\"\\\\\n]{0,8}", 1..6)) {
        prop_assert_eq!(split_list(&join_list(&items)).unwrap(), items);
    }

    #[test]
    fn text_values_survive_print_and_parse(
        kind in prop::sample::select(vec!["equals", "contains", "not-icontains", "starts-with", "regex"]),
        value in "[^\\s][a-z:( )\\n,\"]{0,12}[^\\s]",
    ) {
        let a = assertion(json!({"type": kind, "value": value}));
        let printed = print_expected(&a).unwrap();
        prop_assert_eq!(parse_expected(&printed).unwrap(), Some(a));
    }
}
