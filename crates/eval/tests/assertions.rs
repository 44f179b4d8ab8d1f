//! Assertions: scoring (a table also checked against promptfoo 0.121.20's own
//! assertion code, see `data/README.md`), validation messages, facts, scorer names
//! and the case verdict.

use serde_json::{Value, json};
use whetstone_eval::{
    Answer, Facts, Scope, compile_case, compile_list, scorer_names, validate, validate_case,
    verdict,
};
use whetstone_model::{
    Assertion, Cell, CellOutcome, CellPlan, CellStatus, Params, Target, TestCase, Timing, Usage,
};

fn assertion(v: Value) -> Assertion {
    serde_json::from_value(v).expect("a valid assertion shape")
}

fn score(a: Value, output: &str) -> whetstone_eval::Outcome {
    score_with(a, output, Facts::default())
}

fn score_with(a: Value, output: &str, facts: Facts) -> whetstone_eval::Outcome {
    let compiled = compile_list(Scope::Case, &[assertion(a)]).expect("compiles");
    compiled[0].score(&Answer {
        output,
        facts,
        reference: None,
    })
}

#[test]
fn scoring_table_agrees_with_promptfoo() {
    let rows: Vec<Value> = serde_json::from_str(include_str!("data/scoring.json")).unwrap();
    assert!(rows.len() > 50);
    for row in rows {
        let out = score(row["assert"].clone(), row["output"].as_str().unwrap());
        let want = row["pass"].as_bool().unwrap();
        assert_eq!(
            out.pass, want,
            "{} on {}: {}",
            row["assert"], row["output"], out.reason
        );
        assert_eq!(out.value, if want { 1.0 } else { 0.0 });
        assert!(!out.reason.is_empty());
    }
}

#[test]
fn reasons_say_what_was_expected_and_found() {
    let cases: &[(Value, &str, &str)] = &[
        (
            json!({"type": "equals", "value": "Paris"}),
            "Rome",
            r#"expected "Paris", found "Rome""#,
        ),
        (
            json!({"type": "contains", "value": "Paris"}),
            "It is Rome.",
            r#""Paris" not found in "It is Rome.""#,
        ),
        (
            json!({"type": "not-contains", "value": "sorry"}),
            "Oh, sorry about that",
            r#"expected the opposite, but found "sorry" at character 4: "Oh, sorry about that""#,
        ),
        (
            json!({"type": "contains-all", "value": ["a", "b", "c"]}),
            "a c",
            r#"found "a", "c"; missing "b""#,
        ),
        (
            json!({"type": "contains-any", "value": ["x", "y"]}),
            "z",
            r#"found none of "x", "y""#,
        ),
        (
            json!({"type": "starts-with", "value": "Yes"}),
            "No\nway",
            r#"the output starts "No\nway""#,
        ),
        (
            json!({"type": "regex", "value": "\\d+"}),
            "call 555 now",
            r#"matched "555" at character 5"#,
        ),
        (
            json!({"type": "regex", "value": "^\\d+$"}),
            "x",
            r"no match for /^\d+$/",
        ),
        (
            json!({"type": "is-json"}),
            "{oops}",
            "the output is not JSON (key must be a string at line 1 column 2)",
        ),
        (
            json!({"type": "is-json", "value": {"type": "object", "required": ["name"]}}),
            r#"{"age": 3}"#,
            r#"the output is JSON but does not conform to the schema: at the root: "name" is a required property"#,
        ),
        (
            json!({"type": "contains-json", "value": {"required": ["id"]}}),
            r#"see {"x": 1}"#,
            r#"the JSON object at character 4 does not conform to the schema: at the root: "id" is a required property"#,
        ),
        (
            json!({"type": "contains-json"}),
            "none",
            "the output contains no JSON object",
        ),
        (
            json!({"type": "word-count", "value": {"max": 2}}),
            "a b c",
            "3 words; expected at most 2",
        ),
        (
            json!({"type": "character-count", "value": {"min": 2, "max": 4}}),
            "héllo",
            "5 characters; expected 2 to 4",
        ),
        (
            json!({"type": "character-count", "value": 2}),
            "😀😀",
            "2 characters; expected exactly 2",
        ),
    ];
    for (a, output, reason) in cases {
        assert_eq!(score(a.clone(), output).reason, *reason, "{a}");
    }
}

#[test]
fn reasons_are_bounded_and_one_line_even_for_huge_outputs() {
    let big = "line of text\n".repeat(100_000);
    for a in [
        json!({"type": "equals", "value": "short"}),
        json!({"type": "contains", "value": "needle"}),
        json!({"type": "not-contains", "value": "text"}),
        json!({"type": "is-json"}),
        json!({"type": "regex", "value": "x{3}"}),
    ] {
        let r = score(a.clone(), &big).reason;
        assert!(r.chars().count() <= 301, "{a}: {} chars", r.chars().count());
        assert!(!r.contains('\n'), "{a}: {r}");
    }
}

#[test]
fn limits_score_the_cells_facts() {
    let facts = Facts {
        latency_ms: Some(1520.0),
        ttft_ms: Some(240.5),
        input_tokens: Some(100),
        output_tokens: Some(50),
        cost_usd: Some(0.0021),
        ..Facts::default()
    };
    let cases: &[(Value, bool, &str)] = &[
        (
            json!({"type": "latency", "threshold": 2000}),
            true,
            "latency 1520 ms; limit 2000 ms",
        ),
        (
            json!({"type": "latency", "threshold": 1000}),
            false,
            "latency 1520 ms; limit 1000 ms",
        ),
        (
            json!({"type": "latency", "threshold": 1520}),
            true,
            "latency 1520 ms; limit 1520 ms",
        ),
        (
            json!({"type": "not-latency", "threshold": 1000}),
            true,
            "latency 1520 ms; limit 1000 ms",
        ),
        (
            json!({"type": "ttft", "threshold": 200}),
            false,
            "time to first token 240.5 ms; limit 200 ms",
        ),
        (
            json!({"type": "input-tokens", "threshold": 100}),
            true,
            "input tokens 100 tokens; limit 100 tokens",
        ),
        (
            json!({"type": "output-tokens", "threshold": 40}),
            false,
            "output tokens 50 tokens; limit 40 tokens",
        ),
        (
            json!({"type": "total-tokens", "threshold": 150}),
            true,
            "total tokens 150 tokens; limit 150 tokens",
        ),
        (
            json!({"type": "cost", "threshold": 0.002}),
            false,
            "cost $0.0021; limit $0.002",
        ),
    ];
    for (a, pass, reason) in cases {
        let o = score_with(a.clone(), "", facts);
        assert_eq!((o.pass, o.reason.as_str()), (*pass, *reason), "{a}");
    }
    let estimated = Facts {
        tokens_estimated: true,
        ..facts
    };
    assert_eq!(
        score_with(
            json!({"type": "output-tokens", "threshold": 60}),
            "",
            estimated
        )
        .reason,
        "output tokens 50 tokens (estimated); limit 60 tokens"
    );
}

#[test]
fn a_missing_fact_fails_and_says_why() {
    let cached = Facts {
        cached: true,
        ..Facts::default()
    };
    let not_streamed = Facts {
        not_streamed: true,
        ..Facts::default()
    };
    let cases: &[(Value, Facts, &str)] = &[
        (
            json!({"type": "latency", "threshold": 1}),
            cached,
            "latency unknown: the answer came from the response cache",
        ),
        (
            json!({"type": "not-latency", "threshold": 1}),
            cached,
            "latency unknown: the answer came from the response cache",
        ),
        (
            json!({"type": "ttft", "threshold": 1}),
            not_streamed,
            "time to first token unknown: the answer was not streamed",
        ),
        (
            json!({"type": "total-tokens", "threshold": 1}),
            Facts {
                input_tokens: Some(3),
                ..Facts::default()
            },
            "output token count unknown: the provider reported none",
        ),
        (
            json!({"type": "cost", "threshold": 1}),
            Facts::default(),
            "cost unknown: the model has no price in the price table",
        ),
    ];
    for (a, facts, reason) in cases {
        let o = score_with(a.clone(), "", *facts);
        assert!(!o.pass, "{a}");
        assert_eq!(o.reason, *reason);
    }
}

#[test]
fn facts_of_a_cached_cell_have_no_timings() {
    let mut cell = Cell {
        plan: CellPlan {
            id: 1,
            run_id: 1,
            variant: 0,
            case_index: 0,
            case_id: "case-1".into(),
            sample: 0,
            version_id: None,
            version_number: None,
            target: Target {
                provider: "p".into(),
                model: "m".into(),
                params: Params::default(),
            },
            vars: Default::default(),
        },
        outcome: CellOutcome {
            messages: vec![],
            output: "hi".into(),
            status: CellStatus::Ok,
            error: None,
            timing: Timing {
                ttft_ms: Some(10.0),
                total_ms: Some(30.0),
            },
            usage: Usage {
                input_tokens: Some(5),
                output_tokens: Some(1),
            },
            usage_estimated: true,
            cached: false,
            cost_usd: Some(0.5),
            started_at: None,
            finished_at: None,
        },
    };
    let f = Facts::of_cell(&cell);
    assert_eq!(
        (f.latency_ms, f.ttft_ms, f.input_tokens, f.cost_usd),
        (Some(30.0), Some(10.0), Some(5), Some(0.5))
    );
    assert!(f.tokens_estimated && !f.not_streamed);
    cell.outcome.cached = true;
    cell.plan.target.params.stream = Some(false);
    let f = Facts::of_cell(&cell);
    assert_eq!((f.latency_ms, f.ttft_ms), (None, None));
    assert!(f.cached && f.not_streamed);
}

#[test]
fn validation_names_the_assertion_and_says_what_is_wrong() {
    let cases: &[(Value, &str)] = &[
        (
            json!({"type": "equals"}),
            "case assertion 1 (`equals`): needs a `value`: the text the output must equal",
        ),
        (
            json!({"type": "contains"}),
            "case assertion 1 (`contains`): needs a `value`: the text to look for",
        ),
        (
            json!({"type": "not-icontains", "value": ""}),
            "case assertion 1 (`not-icontains`): `value` is empty: give the text to look for",
        ),
        (
            json!({"type": "contains", "value": ["a"]}),
            "case assertion 1 (`contains`): `value` must be text, not a list",
        ),
        (
            json!({"type": "starts-with", "value": {"a": 1}}),
            "case assertion 1 (`starts-with`): `value` must be text, not an object",
        ),
        (
            json!({"type": "contains-any"}),
            "case assertion 1 (`contains-any`): needs a `value`: a list of texts",
        ),
        (
            json!({"type": "contains-all", "value": []}),
            "case assertion 1 (`contains-all`): `value` is an empty list: give at least one text",
        ),
        (
            json!({"type": "icontains-any", "value": ["a", ""]}),
            "case assertion 1 (`icontains-any`): `value` item 2 is empty (it would match any output)",
        ),
        (
            json!({"type": "contains-any", "value": ["a", true]}),
            "case assertion 1 (`contains-any`): `value` item 2 must be text, not a boolean",
        ),
        (
            json!({"type": "contains-any", "value": 3}),
            "case assertion 1 (`contains-any`): `value` must be a list of texts, not a number",
        ),
        (
            json!({"type": "contains-any", "value": "\"a, b"}),
            "case assertion 1 (`contains-any`): `value`: a quoted item has no closing quote",
        ),
        (
            json!({"type": "regex", "value": "(unclosed"}),
            "case assertion 1 (`regex`): invalid regex: regex parse error: (unclosed ^ error: unclosed group",
        ),
        (
            json!({"type": "regex", "value": "a(?=b)"}),
            "case assertion 1 (`regex`): invalid regex: regex parse error: a(?=b) ^^^ error: look-around, including look-ahead and look-behind, is not supported",
        ),
        (
            json!({"type": "regex"}),
            "case assertion 1 (`regex`): needs a `value`: the regex to match",
        ),
        (
            json!({"type": "regex", "value": 5}),
            "case assertion 1 (`regex`): `value` must be a regex as text, not a number",
        ),
        (
            json!({"type": "is-json", "value": 5}),
            "case assertion 1 (`is-json`): `value` must be a JSON Schema (an object), not a number",
        ),
        (
            json!({"type": "is-json", "value": {"type": "strin"}}),
            "case assertion 1 (`is-json`): invalid JSON Schema: \"strin\" is not valid under any of the schemas listed in the 'anyOf' keyword",
        ),
        (
            json!({"type": "contains-json", "value": "{not: [valid"}),
            "case assertion 1 (`contains-json`): the schema text is not JSON or YAML: did not find expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 7",
        ),
        (
            json!({"type": "is-json", "value": {"$ref": "https://example.com/s.json"}}),
            "case assertion 1 (`is-json`): invalid JSON Schema: Resource 'https://example.com/s.json' is not present in a registry and retrieving it failed: remote $ref `https://example.com/s.json` refused: Whetstone fetches no schema from the network or from files; put the definition in the schema itself (under `$defs`)",
        ),
        (
            json!({"type": "word-count"}),
            "case assertion 1 (`word-count`): needs a `value`: a count, or `{\"min\": …, \"max\": …}`",
        ),
        (
            json!({"type": "word-count", "value": -1}),
            "case assertion 1 (`word-count`): `value` must be a whole number ≥ 0, not -1",
        ),
        (
            json!({"type": "character-count", "value": 2.5}),
            "case assertion 1 (`character-count`): `value` must be a whole number ≥ 0, not 2.5",
        ),
        (
            json!({"type": "word-count", "value": {"min": 5, "max": 2}}),
            "case assertion 1 (`word-count`): `min` (5) is greater than `max` (2)",
        ),
        (
            json!({"type": "word-count", "value": {}}),
            "case assertion 1 (`word-count`): `value` needs `min` and/or `max`",
        ),
        (
            json!({"type": "word-count", "value": {"maximum": 3}}),
            "case assertion 1 (`word-count`): `value` has an unknown key `maximum`: use `min` and/or `max`",
        ),
        (
            json!({"type": "latency"}),
            "case assertion 1 (`latency`): needs a `threshold`: the most milliseconds that passes",
        ),
        (
            json!({"type": "cost", "threshold": -0.5}),
            "case assertion 1 (`cost`): `threshold` must be a number ≥ 0, not -0.5",
        ),
        (
            json!({"type": "output-tokens", "value": 100}),
            "case assertion 1 (`output-tokens`): takes no `value` (found a number); put the limit in `threshold`",
        ),
        (
            json!({"type": "contains", "value": "a", "threshold": 0.5}),
            "case assertion 1 (`contains`): takes no `threshold` (found 0.5); thresholds are for limits such as latency or cost, and for reference metrics",
        ),
        (
            json!({"type": "contains", "value": "a", "weight": -1}),
            "case assertion 1 (`contains`): `weight` must be a number ≥ 0, not -1",
        ),
    ];
    for (a, msg) in cases {
        let err = validate(Scope::Case, &[assertion(a.clone())]).unwrap_err();
        assert_eq!(err.to_string(), *msg, "{a}");
    }
    // The error points at the assertion at fault, not the first one.
    let list = [
        assertion(json!({"type": "contains", "value": "ok"})),
        assertion(json!({"type": "regex", "value": "["})),
    ];
    let err = validate(Scope::Suite, &list).unwrap_err();
    assert_eq!((err.index, err.kind.to_string()), (1, "regex".to_string()));
    assert!(
        err.to_string()
            .starts_with("suite assertion 2 (`regex`): invalid regex: regex parse error:"),
        "{err}"
    );
}

#[test]
fn a_schema_may_reference_its_own_definitions() {
    let schema = json!({
        "$defs": {"name": {"type": "string", "minLength": 1}},
        "type": "object",
        "properties": {"name": {"$ref": "#/$defs/name"}},
        "required": ["name"]
    });
    let a = json!({"type": "is-json", "value": schema});
    assert!(score(a.clone(), r#"{"name": "Ada"}"#).pass);
    assert!(!score(a, r#"{"name": ""}"#).pass);
}

#[test]
fn case_threshold_is_checked() {
    let case = TestCase {
        threshold: Some(1.5),
        ..TestCase::default()
    };
    assert_eq!(
        validate_case(&case).unwrap_err().to_string(),
        "the case threshold must be a number from 0 to 1 (the least weighted mean score that passes), not 1.5"
    );
    assert!(
        validate_case(&TestCase {
            threshold: Some(0.5),
            ..TestCase::default()
        })
        .is_ok()
    );
}

#[test]
fn scorer_names_are_scoped_and_count_repeats_of_a_type() {
    let list: Vec<Assertion> = [
        json!({"type": "contains", "value": "a"}),
        json!({"type": "not-contains", "value": "b"}),
        json!({"type": "contains", "value": "c"}),
        json!({"type": "latency", "threshold": 5}),
        json!({"type": "contains", "value": "d"}),
    ]
    .into_iter()
    .map(assertion)
    .collect();
    assert_eq!(
        scorer_names(Scope::Case, &list),
        [
            "case/contains",
            "case/not-contains",
            "case/contains#2",
            "case/latency",
            "case/contains#3"
        ]
    );
    // Editing a value keeps the name: the score is replaced in place.
    let mut edited = list.clone();
    edited[2].value = Some(json!("changed"));
    assert_eq!(
        scorer_names(Scope::Case, &edited),
        scorer_names(Scope::Case, &list)
    );
    assert_eq!(scorer_names(Scope::Suite, &list[..1]), ["suite/contains"]);
}

fn outcome(value: f64, pass: bool) -> whetstone_eval::Outcome {
    whetstone_eval::Outcome {
        value,
        pass,
        reason: String::new(),
    }
}

type Results<'a> = Vec<(&'a str, f64, &'a whetstone_eval::Outcome)>;

#[test]
fn verdict_follows_promptfoos_rule() {
    let (p, f) = (outcome(1.0, true), outcome(0.0, false));
    // (results as (name, weight, outcome), threshold) → (score, pass, reason)
    let cases: Vec<(Results, Option<f64>, f64, bool, &str)> = vec![
        (vec![], None, 1.0, true, "no assertions"),
        (
            vec![("a", 1.0, &p), ("b", 1.0, &p)],
            None,
            1.0,
            true,
            "all 2 assertions pass",
        ),
        (
            vec![("a", 1.0, &p), ("b", 1.0, &f)],
            None,
            0.5,
            false,
            "1 of 2 assertions fail: b",
        ),
        (
            vec![("a", 3.0, &p), ("b", 1.0, &f)],
            None,
            0.75,
            false,
            "1 of 2 assertions fail: b",
        ),
        (
            vec![("a", 3.0, &p), ("b", 1.0, &f)],
            Some(0.7),
            0.75,
            true,
            "score 0.75 ≥ threshold 0.7",
        ),
        (
            vec![("a", 1.0, &p), ("b", 3.0, &f)],
            Some(0.5),
            0.25,
            false,
            "score 0.25 < threshold 0.5",
        ),
        // A threshold of 0 is no threshold, as in promptfoo (`if (threshold)`).
        (
            vec![("a", 1.0, &p), ("b", 1.0, &f)],
            Some(0.0),
            0.5,
            false,
            "1 of 2 assertions fail: b",
        ),
        // All weights 0: the plain mean.
        (
            vec![("a", 0.0, &p), ("b", 0.0, &p)],
            None,
            1.0,
            true,
            "all 2 assertions pass",
        ),
    ];
    for (results, threshold, score, pass, reason) in cases {
        let v = verdict(results.clone(), threshold);
        assert_eq!(
            (v.score, v.pass, v.reason.as_str()),
            (score, pass, reason),
            "{results:?} {threshold:?}"
        );
    }
}

#[test]
fn a_case_scores_suite_defaults_then_its_own_assertions() {
    let suite = vec![assertion(
        json!({"type": "not-icontains", "value": "as an AI"}),
    )];
    let case = TestCase {
        id: "c1".into(),
        assertions: vec![
            assertion(json!({"type": "contains", "value": "Paris"})),
            assertion(json!({"type": "word-count", "value": {"max": 3}, "weight": 0})),
            assertion(json!({"type": "latency", "threshold": 100, "weight": 2})),
        ],
        ..TestCase::default()
    };
    let compiled = compile_case(&suite, &case).unwrap();
    let answer = Answer {
        output: "It is Paris, of course.",
        facts: Facts {
            latency_ms: Some(50.0),
            ..Facts::default()
        },
        reference: None,
    };
    let scores = compiled.score(&answer);
    let names: Vec<&str> = scores.assertions.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "suite/not-icontains",
            "case/contains",
            "case/word-count",
            "case/latency"
        ]
    );
    // The weight-0 word count fails on its own but passes as informative.
    let wc = &scores.assertions[2].1;
    assert_eq!((wc.value, wc.pass), (0.0, true));
    assert_eq!(
        wc.reason,
        "5 words; expected at most 3 (weight 0: does not count)"
    );
    assert_eq!((scores.verdict.score, scores.verdict.pass), (1.0, true));
    let rows = scores.to_scores(42);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        (rows[4].scorer.as_str(), rows[4].cell_id, rows[4].pass),
        ("verdict", 42, true)
    );

    let slow = Answer {
        facts: Facts {
            latency_ms: Some(500.0),
            ..Facts::default()
        },
        ..answer
    };
    let v = compiled.score(&slow).verdict;
    // (1 + 1 + 0×0 + 2×0) / (1 + 1 + 0 + 2)
    assert_eq!(
        (v.score, v.pass, v.reason.as_str()),
        (0.5, false, "1 of 4 assertions fail: case/latency")
    );

    let bad = TestCase {
        assertions: vec![assertion(json!({"type": "regex", "value": "("}))],
        ..case
    };
    assert!(
        compile_case(&suite, &bad)
            .unwrap_err()
            .to_string()
            .starts_with("case assertion 1 (`regex`)")
    );
}
