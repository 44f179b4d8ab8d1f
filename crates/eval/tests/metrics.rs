//! Reference metrics as assertions: each scores the metric's own value (0–1) against
//! the case's reference, or references given in the assertion, and passes at its
//! threshold.

use serde_json::{Value, json};
use whetstone_eval::{
    Answer, Facts, Scope, compile_list, parse_expected, print_expected, validate,
};
use whetstone_metrics::RougeKind;
use whetstone_model::Assertion;

fn compiled(v: Value) -> whetstone_eval::Compiled {
    let a: Assertion = serde_json::from_value(v).expect("a valid assertion");
    compile_list(Scope::Suite, &[a])
        .expect("compiles")
        .remove(0)
}

fn score(v: Value, output: &str, reference: Option<&str>) -> whetstone_eval::Outcome {
    compiled(v).score(&Answer {
        output,
        facts: Facts::default(),
        reference,
    })
}

const OUT: &str = "The cat sat on the mat near the door.";
const REF: &str = "A cat was sitting on the mat by the door.";

#[test]
fn each_metric_scores_what_its_tool_computes() {
    let refs = [REF];
    let expected = [
        (
            "bleu",
            whetstone_metrics::sentence_bleu(OUT, &refs).unwrap().score / 100.0,
        ),
        (
            "chrf",
            whetstone_metrics::sentence_chrf(OUT, &refs, false).unwrap() / 100.0,
        ),
        (
            "chrf++",
            whetstone_metrics::sentence_chrf(OUT, &refs, true).unwrap() / 100.0,
        ),
        (
            "rouge-1",
            whetstone_metrics::rouge(RougeKind::Rouge1, OUT, &refs, false)
                .unwrap()
                .fmeasure,
        ),
        (
            "rouge-2",
            whetstone_metrics::rouge(RougeKind::Rouge2, OUT, &refs, false)
                .unwrap()
                .fmeasure,
        ),
        (
            "rouge-l",
            whetstone_metrics::rouge(RougeKind::RougeL, OUT, &refs, false)
                .unwrap()
                .fmeasure,
        ),
        (
            "rouge-lsum",
            whetstone_metrics::rouge(RougeKind::RougeLsum, OUT, &refs, false)
                .unwrap()
                .fmeasure,
        ),
        ("meteor", whetstone_metrics::meteor(OUT, &refs).unwrap()),
    ];
    for (kind, want) in expected {
        assert!(want > 0.0 && want < 1.0, "{kind}: {want}");
        let o = score(json!({"type": kind, "threshold": 0.0}), OUT, Some(REF));
        assert_eq!(o.value, want, "{kind}");
        assert!(o.pass, "{kind}: {}", o.reason);
        assert!(o.reason.starts_with(kind), "{kind}: {}", o.reason);
        let o = score(json!({"type": kind, "threshold": 1.0}), OUT, Some(REF));
        assert!(!o.pass, "{kind} passes only at a perfect score");
        // Negated: passes below the threshold; the value counts what is missing.
        let o = score(
            json!({"type": format!("not-{kind}"), "threshold": 1.0}),
            OUT,
            Some(REF),
        );
        assert!(o.pass);
        assert!((o.value - (1.0 - want)).abs() < 1e-12);
    }
}

#[test]
fn rouge_can_stem_and_references_can_be_given() {
    // Stemming (tokens over 3 characters) makes "running" and "runs" meet.
    let (out, reference) = ("the dogs were running home", "two dogs runs home");
    let stemmed = score(
        json!({"type": "rouge-1", "value": {"stem": true}}),
        out,
        Some(reference),
    );
    let want = whetstone_metrics::rouge(RougeKind::Rouge1, out, &[reference], true)
        .unwrap()
        .fmeasure;
    assert_eq!(stemmed.value, want);
    let plain = score(json!({"type": "rouge-1"}), out, Some(reference));
    assert!(
        stemmed.value > plain.value,
        "{} vs {}",
        stemmed.value,
        plain.value
    );
    // References in the assertion win over the case's.
    let given = score(
        json!({"type": "bleu", "value": [OUT, "other"]}),
        OUT,
        Some(REF),
    );
    assert_eq!(given.value, 1.0);
    assert!(given.pass, "default threshold 0.5: {}", given.reason);
}

#[test]
fn a_case_without_reference_fails_and_says_so() {
    let o = score(json!({"type": "meteor"}), OUT, None);
    assert!(!o.pass);
    assert_eq!(o.value, 0.0);
    assert!(o.reason.contains("no reference"), "{}", o.reason);
}

#[test]
fn bad_metric_settings_are_refused_naming_the_assertion() {
    let check = |v: Value, part: &str| {
        let a: Assertion = serde_json::from_value(v.clone()).unwrap();
        let e = validate(Scope::Case, &[a]).unwrap_err().to_string();
        assert!(e.contains(part), "{v}: {e}");
        assert!(e.starts_with("case assertion 1 ("), "{e}");
    };
    check(json!({"type": "bleu", "threshold": 2}), "from 0 to 1");
    check(
        json!({"type": "rouge-l", "value": {"stem": "yes"}}),
        "`stem` must be true or false",
    );
    check(
        json!({"type": "meteor", "value": {"stem": true}}),
        "unknown key `stem`",
    );
    check(
        json!({"type": "chrf", "value": []}),
        "list of references is empty",
    );
    check(json!({"type": "chrf", "value": 3}), "reference text");
}

#[test]
fn metrics_round_trip_through_promptfoos_expected_syntax() {
    for text in [
        "bleu(0.4):the reference",
        "meteor",
        "not-rouge-l(0.7)",
        "chrf++(0.25)",
    ] {
        let a = parse_expected(text).unwrap().unwrap();
        assert!(a.kind.kind.is_metric(), "{text}");
        assert_eq!(print_expected(&a).unwrap(), text);
    }
    let a = parse_expected("bleu(0.4):the reference").unwrap().unwrap();
    assert_eq!(
        (a.threshold, a.value),
        (Some(0.4), Some(json!("the reference")))
    );
    let e = parse_expected("rouge-n(0.5):x").unwrap_err().to_string();
    assert!(e.contains("rouge-1"), "{e}");
}
