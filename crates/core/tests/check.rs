//! The run check: every reason a run would fail, with its kind, before anything is
//! sent; `start_run` refuses the same and files nothing. Real library files and the
//! loopback Ollama server.

use serde_json::json;
use whetstone_core::model::*;
use whetstone_core::{Error, Workbench};
use whetstone_testkit::{OllamaConfig, OllamaServer};

struct Fixture {
    bench: Workbench,
    prompt: Prompt,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    let prompt = bench.create_prompt("p".into()).unwrap();
    Fixture {
        bench,
        prompt,
        _dir: dir,
    }
}

fn echo() -> Target {
    Target {
        provider: "echo".into(),
        model: "echo".into(),
        params: Params::default(),
    }
}

fn spec(f: &Fixture, variants: &[(&str, Target)], vars: serde_json::Value) -> RunSpec {
    RunSpec {
        prompt_id: f.prompt.id,
        variants: variants
            .iter()
            .map(|(template, target)| Variant {
                source: TemplateSource::Draft {
                    prompt_id: f.prompt.id,
                    template: template.to_string(),
                },
                target: target.clone(),
            })
            .collect(),
        cases: vec![TestCase {
            vars: serde_json::from_value(vars).unwrap(),
            ..TestCase::default()
        }],
        samples: 1,
        use_cache: None,
        assertions: vec![],
        suite_hash: None,
    }
}

fn kinds(check: &RunCheck) -> Vec<(ProblemKind, bool)> {
    check
        .problems
        .iter()
        .map(|p| (p.kind, p.blocking))
        .collect()
}

/// Starting `spec` is refused; nothing is filed.
async fn refused(f: &Fixture, spec: RunSpec) -> Error {
    let err = match f.bench.start_run(spec, |_| {}) {
        Err(e) => e,
        Ok(handle) => panic!("the run started: {:?}", handle.finish().await),
    };
    assert!(
        f.bench.list_runs(f.prompt.id, None).unwrap().is_empty(),
        "a refused run is not filed"
    );
    err
}

#[tokio::test]
async fn an_empty_template_renders_no_message_and_is_refused() {
    let f = fixture();
    for template in ["", "  \n", "{# a comment only #}"] {
        let s = spec(&f, &[(template, echo())], json!({}));
        let check = f.bench.check_run(s.clone()).await.unwrap();
        assert!(!check.runnable);
        assert_eq!(kinds(&check), [(ProblemKind::NoMessages, true)]);
        assert_eq!(
            check.problems[0].message,
            "the template renders no message: there is nothing to send"
        );
        assert_eq!(check.problems[0].variants, [0]);
        let err = refused(&f, s).await;
        assert_eq!(err.code(), ErrorCode::Invalid);
        assert_eq!(
            err.to_string(),
            "the template renders no message: there is nothing to send"
        );
    }
}

#[tokio::test]
async fn text_without_roles_is_flagged_with_the_user_line_added() {
    let f = fixture();
    let template = "Summarize this: {{ text }}";
    let s = spec(&f, &[(template, echo())], json!({"text": "whetstones"}));
    let check = f.bench.check_run(s.clone()).await.unwrap();
    assert!(check.runnable, "a warning: the user may run anyway");
    assert_eq!(kinds(&check), [(ProblemKind::NoUserMessage, false)]);
    let problem = &check.problems[0];
    assert!(!problem.confirm, "said, not asked to be confirmed");
    assert!(
        problem.message.contains("no `user:` line"),
        "{}",
        problem.message
    );
    let fixed = problem.suggestion.clone().unwrap();
    assert_eq!(fixed, "user:\nSummarize this: {{ text }}");

    // The rule stays Prompty's: run anyway and it is one system message.
    let run = f
        .bench
        .start_run(s.clone(), |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    let roles: Vec<Role> = run.cells[0]
        .outcome
        .messages
        .iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles, [Role::System]);
    // The suggestion fixes it.
    let s = spec(&f, &[(&fixed, echo())], json!({"text": "whetstones"}));
    assert!(f.bench.check_run(s).await.unwrap().problems.is_empty());

    // With role lines but no user turn: flagged, no suggestion.
    let s = spec(&f, &[("system:\nBe brief.", echo())], json!({}));
    let check = f.bench.check_run(s).await.unwrap();
    assert_eq!(kinds(&check), [(ProblemKind::NoUserMessage, false)]);
    assert_eq!(check.problems[0].suggestion, None);
}

#[tokio::test]
async fn every_missing_variable_is_named_at_once_before_rendering() {
    let f = fixture();
    let template = "system:\nYou are {{ tone }}.\nuser:\n{{ x.split(\";\") | join(\", \") }} for {{ customer.name }}";
    let s = spec(&f, &[(template, echo())], json!({"tone": "calm"}));
    let check = f.bench.check_run(s.clone()).await.unwrap();
    assert_eq!(kinds(&check), [(ProblemKind::MissingVariables, true)]);
    let problem = &check.problems[0];
    assert_eq!(problem.variables, ["x", "customer"]);
    assert_eq!(
        problem.message,
        "no value for the variables `x` and `customer`"
    );
    let place = problem.template.clone().unwrap();
    assert_eq!(place.kind, TemplateErrorKind::UndefinedVariable);
    assert_eq!((place.line, place.column), (Some(4), Some(4)));

    let err = refused(&f, s).await;
    let reply = err.reply();
    assert_eq!(reply.code, ErrorCode::Template);
    assert_eq!(reply.message, problem.message);
    assert_eq!(reply.template.as_deref(), Some(&place));
}

#[tokio::test]
async fn empty_values_are_a_warning_naming_them() {
    let f = fixture();
    let s = spec(
        &f,
        &[("user:\n{{ a }} {{ b }} {{ c }}", echo())],
        json!({"a": "", "b": null, "c": "   "}),
    );
    let check = f.bench.check_run(s.clone()).await.unwrap();
    assert!(check.runnable);
    assert_eq!(kinds(&check), [(ProblemKind::EmptyVariables, false)]);
    assert!(
        check.problems[0].confirm,
        "the window asks before sending empty values"
    );
    assert_eq!(check.problems[0].variables, ["a", "b", "c"]);
    assert_eq!(
        check.problems[0].message,
        "the variables `a`, `b` and `c` are empty"
    );
    // "Run anyway": a warning does not stop the run.
    let run = f
        .bench
        .start_run(s, |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(run.cells[0].outcome.status, CellStatus::Ok);
}

#[tokio::test]
async fn syntax_errors_and_render_errors_are_placed() {
    let f = fixture();
    let s = spec(
        &f,
        &[
            ("user:\n{% if %}", echo()),
            ("user:\n{{ n + 'a' }}", echo()),
        ],
        json!({"n": 1}),
    );
    let check = f.bench.check_run(s.clone()).await.unwrap();
    assert_eq!(
        kinds(&check),
        [(ProblemKind::Syntax, true), (ProblemKind::Template, true)]
    );
    let syntax = &check.problems[0];
    assert_eq!(syntax.variants, [0]);
    assert!(syntax.message.starts_with("the template does not parse: "));
    assert_eq!(syntax.template.as_ref().unwrap().line, Some(2));
    let render = &check.problems[1];
    assert_eq!(render.variants, [1]);
    assert!(
        render
            .message
            .starts_with("the template cannot be rendered: "),
        "{}",
        render.message
    );
    let err = refused(&f, s).await;
    assert_eq!(
        err.to_string(),
        format!("{}; {}", syntax.message, render.message)
    );
}

#[tokio::test]
async fn targets_without_a_model_a_provider_or_a_key_are_refused() {
    let f = fixture();
    f.bench
        .add_provider(ProviderConfig {
            id: "openai".into(),
            name: "OpenAI".into(),
            kind: ProviderKind::OpenAi,
            base_url: None,
            key: KeySource::Env {
                var: "WHETSTONE_CHECK_TEST_NO_SUCH_VAR".into(),
            },
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let target = |provider: &str, model: &str| Target {
        provider: provider.into(),
        model: model.into(),
        params: Params::default(),
    };
    let user = "user:\nhi";
    let s = spec(
        &f,
        &[
            (user, target("ollama", "")),
            (user, target("ollama", " ")),
            (user, target("nowhere", "m")),
            (user, target("openai", "gpt-4o-mini")),
            (user, target("echo", "")),
        ],
        json!({}),
    );
    let check = f.bench.check_known(&s).unwrap();
    assert_eq!(
        kinds(&check),
        [
            (ProblemKind::NoModel, true),
            (ProblemKind::UnknownProvider, true),
            (ProblemKind::MissingKey, true),
        ]
    );
    assert_eq!(check.problems[0].variants, [0, 1], "one problem, two panes");
    assert_eq!(check.problems[0].message, "no model is chosen for Ollama");
    assert_eq!(
        check.problems[1].message,
        "there is no provider `nowhere` in this library"
    );
    assert_eq!(check.problems[2].variants, [3]);
    assert!(
        check.problems[2]
            .message
            .contains("WHETSTONE_CHECK_TEST_NO_SUCH_VAR")
    );
    refused(&f, s).await;
}

/// A loopback address that nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn a_provider_known_unreachable_is_refused_until_it_answers() {
    let f = fixture();
    let mut ollama = f.bench.get_provider("ollama").unwrap();
    let url = closed_port();
    ollama.base_url = Some(url.clone());
    f.bench.save_provider(ollama.clone()).unwrap();
    let target = Target {
        provider: "ollama".into(),
        model: "m".into(),
        params: Params::default(),
    };
    let s = spec(&f, &[("user:\nhi", target)], json!({}));

    // Not known yet: start_run (which asks no one) would send it; check_run asks.
    assert!(f.bench.check_known(&s).unwrap().runnable);
    let check = f.bench.check_run(s.clone()).await.unwrap();
    assert_eq!(kinds(&check), [(ProblemKind::ProviderUnreachable, true)]);
    assert!(
        check.problems[0].message.contains(&url)
            && check.problems[0].message.contains("ollama serve"),
        "{}",
        check.problems[0].message
    );
    refused(&f, s.clone()).await;

    // Ollama starts; the status (or the next check) finds it and the run goes.
    let server = OllamaServer::start(OllamaConfig::default().models(["m"]));
    ollama.base_url = Some(server.base_url().to_string());
    f.bench.save_provider(ollama).unwrap();
    f.bench.provider_status().await.unwrap();
    assert!(f.bench.check_run(s.clone()).await.unwrap().runnable);
    let run = f
        .bench
        .start_run(s, |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(run.cells[0].outcome.status, CellStatus::Ok);
}

#[tokio::test]
async fn each_case_of_a_suite_is_checked_and_named() {
    let f = fixture();
    let mut s = spec(&f, &[("user:\n{{ q }}", echo())], json!({"q": "1"}));
    s.cases.push(TestCase {
        id: "second".into(),
        vars: Variables::new(),
        ..TestCase::default()
    });
    let check = f.bench.check_run(s).await.unwrap();
    assert_eq!(kinds(&check), [(ProblemKind::MissingVariables, true)]);
    assert_eq!(check.problems[0].case_id.as_deref(), Some("second"));
    assert_eq!(
        check.problems[0].message,
        "test case `second`: no value for the variable `q`"
    );
}

#[test]
fn an_empty_template_cannot_be_saved_as_a_version() {
    let f = fixture();
    let err = f
        .bench
        .save_version(
            f.prompt.id,
            NewVersion {
                template: " \n".into(),
                default_target: None,
                message: "v1".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.reply().field.as_deref(), Some("template"));
    assert!(f.bench.list_versions(f.prompt.id).unwrap().is_empty());
}
