//! `.prompty` files, v1 and v2.

use serde_json::json;
use whetstone_model::{Message, Params, Role};
use whetstone_template::prompty::{PromptyError, parse};
use whetstone_template::{analyze, render};

const V1: &str = r####"---
name: Basic Prompt
description: A basic prompt that uses the chat API to answer questions
authors:
  - sethjuarez
  - jietong
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt-35-turbo
    azure_endpoint: ${env:AZURE_OPENAI_ENDPOINT}
  parameters:
    max_tokens: 128
    temperature: 0.2
    top_p: 0.9
    seed: 42
    stop: "###"
    frequency_penalty: 0.5
inputs:
  firstName:
    type: string
  question:
    type: string
sample:
  firstName: Jane
  question: What is the meaning of life?
template: jinja2
---
system:
You are an AI assistant who helps people find information.
You are helping {{firstName}} to find answers to their questions.

user:
{{question}}
"####;

const V2: &str = "\u{feff}---\r
name: shakespeare\r
metadata:\r
  authors: [ada]\r
model:\r
  id: gpt-4o-mini\r
  provider: openai\r
  apiType: chat\r
  connection:\r
    kind: key\r
    endpoint: https://example.invalid\r
  options:\r
    temperature: 1\r
    maxOutputTokens: 300\r
    topP: 0.5\r
    stopSequences: [\"\\n\\n\", END]\r
inputs:\r
  - name: style\r
    kind: string\r
    sample: sonnet\r
  - name: topic\r
    kind: string\r
    sample: the sea\r
    default: rain\r
template:\r
  format:\r
    kind: jinja2\r
  parser:\r
    kind: prompty\r
---\r
system:\r
Write a {{ style }}.\r
user:\r
About {{ topic }}.\r
";

#[test]
fn reads_a_v1_file() {
    let file = parse(V1).unwrap();
    assert_eq!(file.name.as_deref(), Some("Basic Prompt"));
    assert_eq!(
        file.description.as_deref(),
        Some("A basic prompt that uses the chat API to answer questions")
    );
    assert_eq!(file.authors, ["sethjuarez", "jietong"]);
    assert_eq!(file.api.as_deref(), Some("chat"));
    assert_eq!(file.provider.as_deref(), Some("azure_openai"));
    assert_eq!(file.model.as_deref(), Some("gpt-35-turbo"));
    assert_eq!(
        file.params,
        Params {
            temperature: Some(0.2),
            top_p: Some(0.9),
            max_tokens: Some(128),
            seed: Some(42),
            stop: vec!["###".into()],
            stream: None,
        }
    );
    assert_eq!(file.inputs, ["firstName", "question"]);
    assert_eq!(file.sample.get("firstName"), Some(&json!("Jane")));
    assert_eq!(file.sample.len(), 2);
    assert_eq!(file.body_line, 30);
    assert!(file.body.starts_with("system:\nYou are an AI assistant"));

    let messages = render(&file.body, &file.sample).unwrap();
    assert_eq!(
        messages,
        vec![
            Message {
                role: Role::System,
                content: "You are an AI assistant who helps people find information.\nYou are helping Jane to find answers to their questions.".into()
            },
            Message {
                role: Role::User,
                content: "What is the meaning of life?".into()
            },
        ]
    );
}

#[test]
fn reads_a_v2_file_with_bom_and_crlf() {
    let file = parse(V2).unwrap();
    assert_eq!(file.name.as_deref(), Some("shakespeare"));
    assert_eq!(file.authors, ["ada"]);
    assert_eq!(file.api.as_deref(), Some("chat"));
    assert_eq!(file.provider.as_deref(), Some("openai"));
    assert_eq!(file.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        file.params,
        Params {
            temperature: Some(1.0),
            top_p: Some(0.5),
            max_tokens: Some(300),
            seed: None,
            stop: vec!["\n\n".into(), "END".into()],
            stream: None,
        }
    );
    assert_eq!(file.inputs, ["style", "topic"]);
    assert_eq!(file.sample.get("style"), Some(&json!("sonnet")));
    assert_eq!(file.sample.get("topic"), Some(&json!("the sea")));
    assert_eq!(file.body_line, 31);

    let messages = render(&file.body, &file.sample).unwrap();
    assert_eq!(messages[0].content, "Write a sonnet.");
    assert_eq!(messages[1].content, "About the sea.");
}

#[test]
fn v2_shorthands_and_map_inputs() {
    let text = "---\nmodel: llama3.2\ntemplate: jinja2\ninputs:\n  q:\n    kind: string\n    sample: why?\n  plain: string\n  bare:\n---\n{{ q }}";
    let file = parse(text).unwrap();
    assert_eq!(file.model.as_deref(), Some("llama3.2"));
    assert_eq!(file.provider, None);
    assert_eq!(file.inputs, ["q", "plain", "bare"]);
    assert_eq!(file.sample.get("q"), Some(&json!("why?")));
    assert_eq!(file.body, "{{ q }}");
    assert_eq!(file.body_line, 11);
}

#[test]
fn top_level_sample_wins_over_input_samples_and_file_samples_are_not_read() {
    let text =
        "---\ninputs:\n  - name: a\n    sample: from-input\nsample:\n  a: from-sample\n---\n";
    assert_eq!(
        parse(text).unwrap().sample.get("a"),
        Some(&json!("from-sample"))
    );
    let text = "---\nsample: ${file:sample.json}\n---\n";
    assert!(parse(text).unwrap().sample.is_empty());
}

#[test]
fn unknown_keys_are_ignored_and_empty_front_matter_is_fine() {
    let text =
        "---\nname: x\nversion: 2\ntools: [{name: t}]\nmodel:\n  whatever: {deep: [1]}\n---\nbody";
    assert_eq!(parse(text).unwrap().name.as_deref(), Some("x"));
    let file = parse("---\n---\nhello").unwrap();
    assert_eq!(file.body, "hello");
    assert_eq!(file.body_line, 3);
    assert_eq!(file.params, Params::default());
}

#[test]
fn template_errors_map_to_file_lines() {
    let text = "---\nname: x\n---\nsystem:\nhi\nuser:\n{{ question }";
    let file = parse(text).unwrap();
    let err = analyze(&file.body).error.unwrap();
    assert_eq!(err.line, Some(4));
    let err = file.error_in_file(err);
    assert_eq!(err.line, Some(7));
    assert_eq!(text.lines().nth(6), Some("{{ question }"));
}

fn error(text: &str) -> PromptyError {
    parse(text).expect_err(text)
}

#[test]
fn missing_front_matter() {
    let err = error("system:\nhi");
    assert_eq!((err.line, err.column), (1, Some(1)));
    assert!(err.message.contains("front matter"), "{}", err.message);
    let err = error("\n\n");
    assert!(err.message.contains("empty"), "{}", err.message);
}

#[test]
fn unclosed_front_matter() {
    let err = error("\n---\nname: x\nuser:\nhi\n");
    assert_eq!(err.line, 2);
    assert!(err.message.contains("never closed"), "{}", err.message);
}

#[test]
fn bad_yaml_is_placed_in_the_file() {
    let err = error("---\nname: x\ndescription: a: b\n---\nbody");
    assert_eq!((err.line, err.column), (3, Some(15)), "{err}");
    assert!(err.column.is_some());
    assert!(!err.message.contains("line 1 "), "{}", err.message);
    assert_eq!(
        err.to_string(),
        "line 3, column 15: mapping values are not allowed in this context"
    );

    // libyaml also names the construct it was parsing, on a file line too.
    let err = error(
        "---\nname: x\nmodel:\n  api: chat\n  configuration:\n    type: openai\n   name: oops\n---\n",
    );
    assert_eq!(err.line, 7, "{err}");
    assert!(
        err.message.contains("at line 4 column 3"),
        "{}",
        err.message
    );
}

#[test]
fn wrong_types_name_the_key_and_place_it() {
    let err = error("---\nname: x\nmodel:\n  parameters:\n    temperature: hot\n---\n");
    assert_eq!((err.line, err.column), (5, Some(18)));
    assert!(
        err.message.contains("model.parameters.temperature"),
        "{}",
        err.message
    );
    assert!(err.message.contains("expected a number"), "{}", err.message);

    let err = error("---\nmodel:\n  options:\n    maxOutputTokens: -5\n---\n");
    assert_eq!(err.line, 4);
    assert!(err.message.contains("maxOutputTokens"), "{}", err.message);

    let err = error("---\ninputs: 3\n---\n");
    assert_eq!(err.line, 2);
    assert!(err.message.contains("inputs"), "{}", err.message);

    let err = error("---\nsample: [1, 2]\n---\n");
    assert!(
        err.message.contains("map of variable values"),
        "{}",
        err.message
    );

    let err = error("---\n- just\n- a list\n---\n");
    assert!(
        err.message.contains("map of front matter keys"),
        "{}",
        err.message
    );
}

#[test]
fn inputs_in_a_list_need_names() {
    let err = error("---\ninputs:\n  - kind: string\n---\n");
    assert!(err.message.contains("no `name`"), "{}", err.message);
    assert_eq!(err.line, 3);
}

#[test]
fn other_template_languages_are_refused() {
    let err = error("---\ntemplate: mustache\n---\n{{#x}}{{/x}}");
    assert!(err.message.contains("`mustache`"), "{}", err.message);
    assert_eq!(err.line, 2);
    let err = error("---\ntemplate:\n  format:\n    kind: handlebars\n---\n");
    assert!(err.message.contains("`handlebars`"), "{}", err.message);
    assert_eq!(err.line, 4);
}
