//! Each assertion kind described for the window's assertion editor: its group, a
//! sentence saying when it passes, and the shape of its value and threshold. The
//! editor builds its fields from this; whether a value is valid is still decided
//! when the suite is saved (`assertion::validate`).

use crate::assertion::DEFAULT_METRIC_THRESHOLD;
use whetstone_model::{AssertionKind, AssertionKindInfo, ThresholdShape, ValueShape};

/// Every kind, in the order of `AssertionKind::ALL` (grouped as docs/suites.md).
pub fn assertion_kinds() -> Vec<AssertionKindInfo> {
    AssertionKind::ALL.into_iter().map(kind_info).collect()
}

pub fn kind_info(kind: AssertionKind) -> AssertionKindInfo {
    use AssertionKind as K;
    let text = |group: &str, summary: &str, hint: &str| AssertionKindInfo {
        kind,
        group: group.into(),
        summary: summary.into(),
        value: ValueShape::Text,
        value_required: true,
        value_hint: hint.into(),
        threshold: ThresholdShape::None,
        threshold_unit: String::new(),
        threshold_default: None,
        stem: false,
        matches: None,
    };
    let with = |value: ValueShape, required: bool, base: AssertionKindInfo| AssertionKindInfo {
        value,
        value_required: required,
        ..base
    };
    let limit = |summary: &str, unit: &str| AssertionKindInfo {
        value: ValueShape::None,
        value_required: false,
        value_hint: String::new(),
        threshold: ThresholdShape::Limit,
        threshold_unit: unit.into(),
        ..text("Limits", summary, "")
    };
    let metric = |summary: &str, tool: &str| AssertionKindInfo {
        value: ValueShape::References,
        value_required: false,
        value_hint: "References, one a line (default: the case's reference)".into(),
        threshold: ThresholdShape::Score,
        threshold_default: Some(DEFAULT_METRIC_THRESHOLD),
        matches: Some(tool.into()),
        ..text("Reference metrics", summary, "")
    };
    const ROUGE: &str = "rouge-score 0.1.2";
    match kind {
        K::Equals => text(
            "Text",
            "The output is exactly the value",
            "The whole expected output",
        ),
        K::Contains => text("Text", "The output contains the value", "Text to find"),
        K::Icontains => text(
            "Text",
            "The output contains the value, ignoring case",
            "Text to find",
        ),
        K::ContainsAny => with(
            ValueShape::Texts,
            true,
            text(
                "Text",
                "The output contains at least one of the texts",
                "Texts, one a line",
            ),
        ),
        K::ContainsAll => with(
            ValueShape::Texts,
            true,
            text(
                "Text",
                "The output contains every one of the texts",
                "Texts, one a line",
            ),
        ),
        K::IcontainsAny => with(
            ValueShape::Texts,
            true,
            text(
                "Text",
                "The output contains at least one of the texts, ignoring case",
                "Texts, one a line",
            ),
        ),
        K::IcontainsAll => with(
            ValueShape::Texts,
            true,
            text(
                "Text",
                "The output contains every one of the texts, ignoring case",
                "Texts, one a line",
            ),
        ),
        K::StartsWith => text(
            "Text",
            "The output starts with the value",
            "How the output begins",
        ),
        K::Regex => text(
            "Text",
            "The regex matches somewhere in the output (Rust regex syntax)",
            "A regex, e.g. ^\\d+$",
        ),
        K::IsJson => with(
            ValueShape::Schema,
            false,
            text(
                "JSON",
                "The whole output is JSON; with a JSON Schema, JSON that conforms",
                "Optional JSON Schema (JSON or YAML)",
            ),
        ),
        K::ContainsJson => with(
            ValueShape::Schema,
            false,
            text(
                "JSON",
                "Some {…} in the output is a JSON object; with a schema, one that conforms",
                "Optional JSON Schema (JSON or YAML)",
            ),
        ),
        K::CharacterCount => with(
            ValueShape::Count,
            true,
            text(
                "Length",
                "The output's length in characters is the count, or within the bounds",
                "",
            ),
        ),
        K::WordCount => with(
            ValueShape::Count,
            true,
            text(
                "Length",
                "The number of words in the output is the count, or within the bounds",
                "",
            ),
        ),
        K::Latency => limit("The whole request took at most the limit", "ms"),
        K::Ttft => limit("The first token came within the limit", "ms"),
        K::InputTokens => limit("The prompt used at most the limit", "tokens"),
        K::OutputTokens => limit("The answer used at most the limit", "tokens"),
        K::TotalTokens => limit("Prompt and answer used at most the limit", "tokens"),
        K::Cost => limit("The request cost at most the limit", "US dollars"),
        K::Bleu => metric(
            "Sentence BLEU against the reference reaches the threshold",
            "sacreBLEU 2.x (sentence BLEU, exp smoothing, effective order)",
        ),
        K::Chrf => metric(
            "chrF against the reference reaches the threshold",
            "sacreBLEU 2.x chrF",
        ),
        K::ChrfPlusPlus => metric(
            "chrF++ (with word bigrams) against the reference reaches the threshold",
            "sacreBLEU 2.x chrF++",
        ),
        K::Rouge1 => AssertionKindInfo {
            stem: true,
            ..metric("ROUGE-1 F-measure reaches the threshold", ROUGE)
        },
        K::Rouge2 => AssertionKindInfo {
            stem: true,
            ..metric("ROUGE-2 F-measure reaches the threshold", ROUGE)
        },
        K::RougeL => AssertionKindInfo {
            stem: true,
            ..metric("ROUGE-L F-measure reaches the threshold", ROUGE)
        },
        K::RougeLsum => AssertionKindInfo {
            stem: true,
            ..metric(
                "ROUGE-Lsum F-measure (sentences split on newlines) reaches the threshold",
                ROUGE,
            )
        },
        K::Meteor => metric(
            "METEOR against the reference reaches the threshold",
            "NLTK 3.10 meteor_score (WordNet 3.0)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scope, validate};
    use serde_json::json;
    use whetstone_model::{Assertion, AssertionType};

    /// A value of the shape the editor would send for each kind, and a threshold
    /// where the kind takes one: every kind must then compile, so the shapes told to
    /// the window agree with the compiler.
    #[test]
    fn the_described_shapes_compile() {
        for info in assertion_kinds() {
            let value = match info.value {
                ValueShape::None => None,
                ValueShape::Text => Some(json!("x")),
                ValueShape::Texts => Some(json!(["a", "b"])),
                ValueShape::Schema => Some(json!({"type": "object"})),
                ValueShape::Count => Some(json!({"min": 1, "max": 3})),
                ValueShape::References => Some(json!(["a reference"])),
            };
            let threshold = match info.threshold {
                ThresholdShape::None => None,
                ThresholdShape::Limit => Some(100.0),
                ThresholdShape::Score => Some(0.4),
            };
            let a = Assertion {
                kind: AssertionType::new(info.kind),
                value,
                threshold,
                weight: None,
            };
            validate(Scope::Case, &[a]).unwrap_or_else(|e| panic!("{}: {e}", info.kind));
            if info.stem {
                let a = Assertion::new(
                    AssertionType::new(info.kind),
                    Some(json!({"stem": true, "references": ["r"]})),
                );
                validate(Scope::Case, &[a]).unwrap_or_else(|e| panic!("{}: {e}", info.kind));
            }
        }
    }

    /// Optional values and thresholds may be left out; required ones may not.
    #[test]
    fn required_means_required() {
        for info in assertion_kinds() {
            let bare = Assertion::new(AssertionType::new(info.kind), None);
            let refused = validate(Scope::Case, &[bare]).is_err();
            let needs = info.value_required || info.threshold == ThresholdShape::Limit;
            assert_eq!(refused, needs, "{}", info.kind);
        }
    }

    #[test]
    fn every_kind_is_described_once_in_order() {
        let kinds: Vec<AssertionKind> = assertion_kinds().iter().map(|i| i.kind).collect();
        assert_eq!(kinds, AssertionKind::ALL);
    }
}
