//! Template speed: what every cell of a run pays before its request goes out, and
//! what the editor pays on each keystroke (analyze).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use whetstone_model::Variables;
use whetstone_template::{analyze, render};

fn vars(value: serde_json::Value) -> Variables {
    serde_json::from_value(value).expect("a JSON object")
}

fn small(c: &mut Criterion) {
    let template = "system:\nYou are a concise assistant who answers in {{ language }}.\nuser:\n{{ question }}";
    let vars = vars(json!({"language": "English", "question": "Why is the sky blue?"}));
    c.bench_function("render/two_messages", |b| {
        b.iter(|| render(black_box(template), black_box(&vars)).expect("renders"))
    });
}

fn few_shot(c: &mut Criterion) {
    let template = "\
system:
Classify the sentiment of the review as positive, negative or neutral.
{% for ex in examples %}
user:
{{ ex.review }}
assistant:
{{ ex.label }}
{% endfor %}
user:
{{ review }}";
    let examples: Vec<_> = (0..50)
        .map(|i| {
            let label = ["positive", "negative", "neutral"][i % 3];
            json!({
                "review": format!("Review number {i}: the product arrived on time and works as described."),
                "label": label,
            })
        })
        .collect();
    let vars = vars(json!({"examples": examples, "review": "Broke after two days."}));
    assert_eq!(render(template, &vars).expect("renders").len(), 102);
    c.bench_function("render/few_shot_50", |b| {
        b.iter(|| render(black_box(template), black_box(&vars)).expect("renders"))
    });
}

fn analyze_2kb(c: &mut Criterion) {
    let block = "\
{% if context_{i} %}Context {i}: {{ context_{i} | trim }}{% endif %}
{% for item in items_{i} %}- {{ item.name }}: {{ item.value | default('n/a') }}{% endfor %}
";
    let mut template = String::from("system:\nYou are {{ persona }}.\nuser:\n");
    let mut i = 0;
    while template.len() < 2048 {
        template.push_str(&block.replace("{i}", &i.to_string()));
        i += 1;
    }
    let analysis = analyze(&template);
    assert!(analysis.error.is_none() && analysis.variables.len() > 10);
    c.bench_function("analyze/2kb", |b| b.iter(|| analyze(black_box(&template))));
}

criterion_group!(benches, small, few_shot, analyze_2kb);
criterion_main!(benches);
