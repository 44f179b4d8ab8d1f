//! CSV and JSONL suite files: round trips, promptfoo's CSV columns, and every
//! refusal with its row, line, column and message.

use proptest::prelude::*;
use serde_json::{Value, json};
use whetstone_formats::{MAX_SUITE_BYTES, export_csv, export_jsonl, import_csv, import_jsonl};
use whetstone_model::{Assertion, TestCase};

fn assertion(v: Value) -> Assertion {
    serde_json::from_value(v).unwrap()
}

fn sample() -> Vec<TestCase> {
    vec![
        TestCase {
            id: "capital".into(),
            description: Some("capital, \"quoted\"".into()),
            vars: [
                ("city".to_string(), json!("Paris")),
                ("facts".to_string(), json!({"pop": 2.1, "tags": ["a"]})),
            ]
            .into_iter()
            .collect(),
            reference: Some("Paris is the capital.\r\nSecond line".into()),
            assertions: vec![
                assertion(json!({"type": "icontains", "value": "paris"})),
                assertion(
                    json!({"type": "not-contains-any", "value": ["sorry", "a, b"], "weight": 2.5}),
                ),
                assertion(json!({"type": "is-json", "value": {"type": "object"}})),
                assertion(json!({"type": "latency", "threshold": 1500})),
            ],
            threshold: Some(0.75),
        },
        TestCase {
            id: "empty-city".into(),
            vars: [("city".to_string(), json!("  padded \n value "))]
                .into_iter()
                .collect(),
            assertions: vec![assertion(json!({"type": "equals", "value": "42"}))],
            ..TestCase::default()
        },
        TestCase {
            id: "bare".into(),
            ..TestCase::default()
        },
    ]
}

#[test]
fn csv_round_trips_exactly() {
    let cases = sample();
    let csv = export_csv(&cases).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "__id,__description,city:json,facts:json,__reference,__threshold,__expected1,__expected2,__expected3,__expected4,__config:__expected2:weight"
    );
    assert!(csv.contains(r#"not-contains-any:sorry,""a, b"""#), "{csv}");
    assert_eq!(import_csv(csv.as_bytes()).unwrap(), cases);
}

#[test]
fn jsonl_round_trips_exactly_in_promptfoos_shape() {
    let cases = sample();
    let text = export_jsonl(&cases).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["assert"][1],
        json!({"type": "not-contains-any", "value": ["sorry", "a, b"], "weight": 2.5})
    );
    assert_eq!(first["vars"]["city"], "Paris");
    assert_eq!(
        text.lines().nth(2).unwrap(),
        r#"{"id":"bare","vars":{},"assert":[]}"#
    );
    assert_eq!(import_jsonl(text.as_bytes()).unwrap(), cases);
}

#[test]
fn csv_reads_promptfoos_columns() {
    let file = "\u{feff}question,__expected,__expected2,__description,__config:__expected2:threshold\r\n\
                What is 2+2?,4,latency,math,500\r\n\
                Capital?,contains: Paris,,geo,\r\n";
    let cases = import_csv(file.as_bytes()).unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].vars["question"], "What is 2+2?");
    assert_eq!(cases[0].description.as_deref(), Some("math"));
    assert_eq!(
        serde_json::to_value(&cases[0].assertions).unwrap(),
        json!([{"type": "equals", "value": "4"}, {"type": "latency", "threshold": 500.0}])
    );
    assert_eq!(cases[1].assertions.len(), 1);
    assert_eq!(cases[1].id, "");
}

#[test]
fn a_json_column_keeps_values_and_absence() {
    let file = "__id,n:json,s\nA,3,x\nB,,y\nC,\"\"\"text\"\"\",\n";
    let cases = import_csv(file.as_bytes()).unwrap();
    assert_eq!(cases[0].vars["n"], json!(3));
    assert!(!cases[1].vars.contains_key("n"));
    assert_eq!(cases[2].vars["n"], json!("text"));
    assert_eq!(cases[2].vars["s"], json!(""));
}

#[test]
fn csv_refusals_say_where_and_what() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"a,b\n1,2,3\n",
            "row 1 (line 2): the row has 3 columns; the header has 2",
        ),
        (
            b"a,__prefix\n1,2\n",
            "line 1: promptfoo's `__prefix` column is not supported by Whetstone",
        ),
        (
            b"a,__metadata:cat\n1,2\n",
            "line 1: promptfoo's metadata column `__metadata:cat` is not supported by Whetstone",
        ),
        (
            b"a,__bogus\n1,2\n",
            "line 1: unknown column `__bogus`: columns starting with __ are special (__id, __description, __reference, __threshold, __expected…, __config:__expectedN:threshold|weight)",
        ),
        (
            b"a,__config:__expected:colour\n1,2\n",
            "line 1: `__config:__expected:colour`: unknown setting `colour` (threshold or weight)",
        ),
        (
            b"a,__config:__expectedX:weight\n1,2\n",
            "line 1: `__config:__expectedX:weight`: `__expectedX` must be __expected or __expected<N>, N ≥ 1",
        ),
        (
            b"a,a:json\n1,2\n",
            "line 1, column `a:json`: this column appears twice",
        ),
        (b"a,\n1,2\n", "line 1: a column has no name"),
        (
            b"a,b\nok,\xff\xfe\n",
            "row 1 (line 2), column `b`: the text is not valid UTF-8 (bad byte at byte 1 of the cell)",
        ),
        (
            b"a:json\n{oops\n",
            "row 1 (line 2), column `a:json`: not valid JSON: key must be a string at line 1 column 2",
        ),
        (
            b"a,__expected\n1,javascript: 1\n",
            "row 1 (line 2), column `__expected`: promptfoo's `javascript` assertion is not supported: it runs code, and Whetstone runs no code from suite files",
        ),
        (
            b"a,__expected1,__expected2\n1,contains: x,regex: (\n",
            "row 1 (line 2), column `__expected2`: case assertion 2 (`regex`): invalid regex: regex parse error: ( ^ error: unclosed group",
        ),
        (
            b"a,__threshold\n1,high\n",
            "row 1 (line 2), column `__threshold`: `high` is not a number",
        ),
        (
            b"a,__threshold\n1,2\n",
            "row 1 (line 2), column `__threshold`: the case threshold must be a number from 0 to 1 (the least weighted mean score that passes), not 2",
        ),
        (
            b"a,__expected\n1,latency\n",
            "row 1 (line 2), column `__expected`: case assertion 1 (`latency`): needs a `threshold`: the most milliseconds that passes",
        ),
        (
            b"a,__expected,__config:__expected2:weight\n1,x,2\n",
            "row 1 (line 2), column `__config:__expected2:weight`: the row has no assertion 2 for this setting (it has 1)",
        ),
        (
            b"__id,a\nx,1\n\"multi\nline\",2\nx,3\n",
            "row 3 (line 5), column `__id`: the case id `x` is already used by row 1",
        ),
    ];
    for (file, msg) in cases {
        let err = import_csv(file).unwrap_err();
        assert_eq!(err.to_string(), *msg, "{}", String::from_utf8_lossy(file));
    }
}

#[test]
fn jsonl_refusals_say_where_and_what() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"{\"vars\": {}}\n{oops}\n",
            "row 2 (line 2): not valid JSON at character 2: key must be a string at line 1 column 2",
        ),
        (
            b"[1]\n",
            "row 1 (line 1): each line must be a JSON object (one test case)",
        ),
        (
            b"{\"vars\": 3}\n",
            "row 1 (line 1), column `vars`: must be an object, not 3",
        ),
        (
            b"{\"options\": {}}\n",
            "row 1 (line 1), column `options`: promptfoo's test `options` is not supported by Whetstone",
        ),
        (
            b"{\"colour\": 1}\n",
            "row 1 (line 1), column `colour`: unknown key (a test case has id, description, vars, assert, threshold, reference)",
        ),
        (
            b"{\"assert\": [{\"type\": \"llm-rubric\", \"value\": \"polite\"}]}\n",
            "row 1 (line 1), column `assert[0]`: promptfoo's `llm-rubric` assertion is not supported: it is an LLM judge, and Whetstone's judges are not available as assertions yet",
        ),
        (
            b"{\"assert\": [{\"type\": \"contains\", \"value\": \"x\", \"metric\": \"m\"}]}\n",
            "row 1 (line 1), column `assert[0]`: `metric` is not supported (an assertion has type, value, threshold, weight)",
        ),
        (
            b"{\"assert\": [{\"value\": \"x\"}]}\n",
            "row 1 (line 1), column `assert[0]`: the assertion has no `type`",
        ),
        (
            b"\n{\"assert\": [{\"type\": \"contains\"}]}\n",
            "row 1 (line 2), column `assert[0]`: case assertion 1 (`contains`): needs a `value`: the text to look for",
        ),
        (
            b"{\"threshold\": \"high\"}\n",
            "row 1 (line 1), column `threshold`: must be a number, not \"high\"",
        ),
        (
            b"{\"id\": \"a\"}\n{\"id\": \"a\"}\n",
            "row 2 (line 2), column `id`: the case id `a` is already used by row 1",
        ),
        (
            b"{\"id\": \"a\"}\n{\"id\": \"\xff\"}\n",
            "line 2: the text is not valid UTF-8 (bad byte at byte 9 of the line)",
        ),
    ];
    for (file, msg) in cases {
        let err = import_jsonl(file).unwrap_err();
        assert_eq!(err.to_string(), *msg, "{}", String::from_utf8_lossy(file));
    }
}

#[test]
fn oversized_files_are_refused_up_front() {
    let big = vec![b'a'; MAX_SUITE_BYTES + 1];
    assert_eq!(
        import_csv(&big).unwrap_err().to_string(),
        "the file is 50.0 MB; suite files are limited to 50 MB"
    );
    assert_eq!(
        import_jsonl(&big).unwrap_err().to_string(),
        "the file is 50.0 MB; suite files are limited to 50 MB"
    );
}

#[test]
fn csv_export_refuses_what_csv_cannot_carry() {
    let bad_var = TestCase {
        vars: [("__x".to_string(), json!("v"))].into_iter().collect(),
        ..TestCase::default()
    };
    assert_eq!(
        export_csv(&[bad_var]).unwrap_err().to_string(),
        "test case 1: the variable name \"__x\" cannot be a CSV column (empty, padded, starting with __ or ending with :json); export as JSONL"
    );
    let json_equals = TestCase {
        assertions: vec![assertion(json!({"type": "equals", "value": {"a": 1}}))],
        ..TestCase::default()
    };
    assert_eq!(
        export_csv(&[TestCase::default(), json_equals])
            .unwrap_err()
            .to_string(),
        "test case 2: assertion 1: `equals`: a value that is not text cannot be written in __expected; export as JSONL"
    );
}

fn arb_case() -> impl Strategy<Value = TestCase> {
    let text = "[a-zA-Z0-9 ,\"\n:é😀]{0,12}";
    let var_value = prop_oneof![
        text.prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        prop::collection::vec("[a-z]{0,4}", 0..3).prop_map(|v| json!(v)),
    ];
    let assertion = prop_oneof![
        "[a-z][a-z ,:]{0,8}[a-z]".prop_map(|v| json!({"type": "contains", "value": v})),
        "[a-z][a-z ,:]{0,8}[a-z]".prop_map(|v| json!({"type": "not-equals", "value": v})),
        prop::collection::vec("[a-z ,\"]{1,6}", 1..4)
            .prop_map(|v| json!({"type": "icontains-all", "value": v})),
        (0u32..5000).prop_map(|t| json!({"type": "latency", "threshold": f64::from(t)})),
        (0u32..100, 0u32..10).prop_map(
            |(w, c)| json!({"type": "word-count", "value": c, "weight": f64::from(w) / 4.0})
        ),
    ];
    (
        "[a-z0-9-]{1,8}",
        prop::option::of("[a-zA-Z ,]{1,10}"),
        prop::collection::btree_map("[a-z]{1,4}", var_value, 0..4),
        prop::option::of("[a-zA-Z ,\n]{1,10}"),
        prop::collection::vec(assertion, 0..4),
        prop::option::of(0u32..=100),
    )
        .prop_map(
            |(id, description, vars, reference, asserts, threshold)| TestCase {
                id,
                description,
                vars,
                reference,
                assertions: asserts
                    .into_iter()
                    .map(|a| serde_json::from_value(a).unwrap())
                    .collect(),
                threshold: threshold.map(|t| f64::from(t) / 100.0),
            },
        )
}

proptest! {
    #[test]
    fn any_suite_round_trips_through_both_formats(cases in prop::collection::vec(arb_case(), 0..5)) {
        // Case ids must be unique within a suite.
        let mut seen = std::collections::HashSet::new();
        let cases: Vec<TestCase> = cases.into_iter().filter(|c| seen.insert(c.id.clone())).collect();
        let csv = export_csv(&cases).unwrap();
        prop_assert_eq!(import_csv(csv.as_bytes()).unwrap(), cases.clone());
        let jsonl = export_jsonl(&cases).unwrap();
        prop_assert_eq!(import_jsonl(jsonl.as_bytes()).unwrap(), cases);
    }
}
