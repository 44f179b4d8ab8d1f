//! The first run: the sample library a new window library starts with, and the
//! providers' status (Ollama found, stopped or empty; echo always there), on real
//! library files and the loopback Ollama server.

use std::collections::BTreeSet;
use whetstone_core::Workbench;
use whetstone_core::api::Library;
use whetstone_core::model::*;
use whetstone_core::samples;
use whetstone_testkit::{OllamaConfig, OllamaServer};

fn open_window_library(dir: &std::path::Path) -> Workbench {
    match Library::open(dir) {
        Library::Open(bench) => bench,
        Library::Failed { error, .. } => panic!("{error}"),
    }
}

#[test]
fn every_sample_file_is_built_in_and_named_by_the_manifest() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/samples");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".jinja"))
        .collect();
    let built_in: BTreeSet<String> = samples::FILES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, built_in);
    for (name, text) in samples::FILES {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *text);
    }
    let named: BTreeSet<String> = samples::samples()
        .into_iter()
        .flat_map(|s| s.versions.into_iter().map(|v| v.file))
        .collect();
    assert_eq!(named, built_in, "every file is used, every name is a file");
}

#[tokio::test]
async fn a_new_window_library_has_the_samples_ready_to_run_on_echo() {
    let dir = tempfile::tempdir().unwrap();
    let bench = open_window_library(dir.path());
    let prompts = bench.list_prompts(None).unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Start here",
            "Summarize an article",
            "Support reply",
            "Sentiment (few-shot)"
        ]
    );
    let summarize = &prompts[1];
    assert_eq!(summarize.latest_version, Some(2), "two versions to compare");

    for summary in &prompts {
        let prompt = bench.get_prompt(summary.id).unwrap();
        let latest = bench.list_versions(prompt.id).unwrap().remove(0);
        assert_eq!(prompt.draft, latest.template, "the draft starts unchanged");
        let setup = bench.get_run_setup(prompt.id).unwrap();
        assert!(setup.saved);
        for variable in &latest.inputs {
            assert!(
                setup.vars.contains_key(variable),
                "{}: a value for `{variable}`",
                prompt.name
            );
        }
        // Each sample runs as the window would run it: its setup, on echo.
        let variants = setup
            .variants
            .iter()
            .map(|v| Variant {
                source: match v.source {
                    SetupSource::Draft => TemplateSource::Draft {
                        prompt_id: prompt.id,
                        template: prompt.draft.clone(),
                    },
                    SetupSource::Version { version_id } => TemplateSource::Version { version_id },
                },
                target: v.target.clone(),
            })
            .collect();
        let spec = RunSpec {
            prompt_id: prompt.id,
            variants,
            cases: vec![TestCase {
                vars: setup.vars.clone(),
                ..TestCase::default()
            }],
            samples: 1,
            use_cache: None,
            assertions: vec![],
            suite_hash: None,
        };
        let run = bench
            .start_run(spec, |_| {})
            .unwrap()
            .finish()
            .await
            .unwrap();
        for cell in &run.cells {
            assert_eq!(cell.plan.target.provider, "echo");
            assert_eq!(
                cell.outcome.status,
                CellStatus::Ok,
                "{}: {cell:?}",
                prompt.name
            );
            let roles: Vec<Role> = cell.outcome.messages.iter().map(|m| m.role).collect();
            assert_eq!(roles.first(), Some(&Role::System), "{}", prompt.name);
            assert_eq!(roles.last(), Some(&Role::User), "{}", prompt.name);
        }
    }

    // The few-shot sample sends its examples as user/assistant turns.
    let sentiment = bench.find_prompt("Sentiment (few-shot)").unwrap();
    let run = bench.last_run(sentiment.id).unwrap().unwrap();
    let roles: Vec<Role> = run.cells[0]
        .outcome
        .messages
        .iter()
        .map(|m| m.role)
        .collect();
    use Role::*;
    assert_eq!(
        roles,
        [
            System, User, Assistant, User, Assistant, User, Assistant, User
        ]
    );
    // The support reply reads JSON values: an object's fields and a list.
    let support = bench.find_prompt("Support reply").unwrap();
    let run = bench.last_run(support.id).unwrap().unwrap();
    let user = &run.cells[0].outcome.messages[1].content;
    assert!(
        user.starts_with("Order A-1042 from Grace Hopper:\n- 1 × Coticule 200 × 50 mm\n- 2 × Slurry stone\n\nTheir message:"),
        "{user}"
    );
    // Summarize compares its two versions side by side.
    let summarize = bench.find_prompt("Summarize an article").unwrap();
    let run = bench.last_run(summarize.id).unwrap().unwrap();
    let versions: Vec<Option<u32>> = run.cells.iter().map(|c| c.plan.version_number).collect();
    assert_eq!(versions, [Some(1), Some(2)]);
    assert!(
        run.cells[1]
            .outcome
            .output
            .contains("at most 45 words, as 3 bullet points")
    );
}

#[test]
fn only_a_library_the_window_creates_is_seeded_and_only_once() {
    // An existing library keeps what it has.
    let dir = tempfile::tempdir().unwrap();
    {
        let bench = Workbench::open(dir.path()).unwrap();
        bench.create_prompt("mine".into()).unwrap();
    }
    let bench = open_window_library(dir.path());
    let names: Vec<String> = (bench.list_prompts(None).unwrap())
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["mine"]);

    // A library emptied by its user stays empty on the next start.
    let dir = tempfile::tempdir().unwrap();
    let bench = open_window_library(dir.path());
    for p in bench.list_prompts(None).unwrap() {
        bench.delete_prompt(p.id).unwrap();
    }
    drop(bench);
    let bench = open_window_library(dir.path());
    assert!(bench.list_prompts(None).unwrap().is_empty());

    // The CLI's libraries (and `open_empty`, for tests) start empty.
    let dir = tempfile::tempdir().unwrap();
    assert!(
        (Workbench::open(dir.path()).unwrap())
            .list_prompts(None)
            .unwrap()
            .is_empty()
    );
    let dir = tempfile::tempdir().unwrap();
    let Library::Open(bench) = Library::open_empty(dir.path()) else {
        panic!("opens")
    };
    assert!(bench.list_prompts(None).unwrap().is_empty());

    // On demand: the samples whose names are free, once.
    bench.create_prompt("Start here".into()).unwrap();
    let added: Vec<String> = (bench.add_samples().unwrap())
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        added,
        [
            "Summarize an article",
            "Support reply",
            "Sentiment (few-shot)"
        ]
    );
    assert!(bench.add_samples().unwrap().is_empty());
}

fn point_ollama_at(bench: &Workbench, url: &str) {
    let mut config = bench.get_provider("ollama").unwrap();
    config.base_url = Some(url.to_string());
    bench.save_provider(config).unwrap();
}

/// A loopback address that nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn status_finds_ollama_with_its_models_and_suggests_the_first() {
    let server = OllamaServer::start(OllamaConfig::default().models(["gemma3", "llama3.2"]));
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    point_ollama_at(&bench, server.base_url());
    let status = bench.provider_status().await.unwrap();

    let ollama = status.providers.iter().find(|p| p.id == "ollama").unwrap();
    assert_eq!(ollama.state, ProviderState::Ready);
    let models: Vec<&str> = ollama.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(models, ["gemma3:latest", "llama3.2:latest"]);
    assert_eq!(status.summary, "Ollama is running with 2 models.");
    assert_eq!(status.suggested.provider, "ollama");
    assert_eq!(status.suggested.model, "gemma3:latest");
    let echo = status.providers.iter().find(|p| p.id == "echo").unwrap();
    assert_eq!(echo.state, ProviderState::Ready);

    // New prompts start on the suggestion.
    let prompt = bench.create_prompt("p".into()).unwrap();
    let setup = bench.get_run_setup(prompt.id).unwrap();
    assert_eq!(setup.variants[0].target, status.suggested);
}

#[tokio::test]
async fn status_says_how_to_start_ollama_and_offers_echo() {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    let url = closed_port();
    point_ollama_at(&bench, &url);
    let status = bench.provider_status().await.unwrap();
    let ollama = status.providers.iter().find(|p| p.id == "ollama").unwrap();
    assert_eq!(ollama.state, ProviderState::Unreachable);
    assert_eq!(
        ollama.message,
        format!(
            "Ollama is not reachable at {url}. Start Ollama with `ollama serve`, or set its \
             address (OLLAMA_HOST or the provider's base URL). Not installed? Get it at \
             https://ollama.com."
        )
    );
    assert_eq!(
        status.summary,
        format!(
            "{} Meanwhile, Echo answers with the rendered prompt: it tries templates without \
             any model.",
            ollama.message
        )
    );
    assert_eq!(status.suggested.provider, "echo");
    assert_eq!(status.suggested.model, "echo");
}

#[tokio::test]
async fn status_tells_ollama_without_models_and_cloud_providers_without_keys() {
    let server = OllamaServer::start(OllamaConfig::default().models(Vec::<&str>::new()));
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    point_ollama_at(&bench, server.base_url());
    bench
        .add_provider(ProviderConfig {
            id: "openai".into(),
            name: "OpenAI".into(),
            kind: ProviderKind::OpenAi,
            base_url: None,
            key: KeySource::Env {
                var: "WHETSTONE_TEST_UNSET_KEY_VAR".into(),
            },
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let status = bench.provider_status().await.unwrap();
    let state = |id: &str| {
        let p = status.providers.iter().find(|p| p.id == id).unwrap();
        (p.state, p.message.clone())
    };
    assert_eq!(
        state("ollama"),
        (
            ProviderState::NoModels,
            "Ollama is running but has no models: pull one with `ollama pull llama3.2`.".into()
        )
    );
    assert_eq!(
        state("openai"),
        (
            ProviderState::NeedsKey,
            "OpenAI needs an API key: set the environment variable `WHETSTONE_TEST_UNSET_KEY_VAR`."
                .into()
        )
    );
    // Only the local server was asked; nothing went to the cloud.
    assert!(server.requests().iter().all(|r| r.path == "/api/tags"));
    assert_eq!(status.suggested.provider, "echo");
}

#[tokio::test]
async fn the_window_learns_how_long_a_short_hash_is() {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(dir.path());
    let reply = library
        .dispatch("window_start", serde_json::Value::Null, None)
        .await
        .unwrap();
    let status = serde_json::from_str::<WindowStart>(&reply).unwrap().status;
    assert_eq!(
        status.short_hash_len as usize,
        whetstone_core::SHORT_HASH_LEN
    );
    assert_eq!(whetstone_core::short_hash("0123456789abcdef"), "01234567");
}

/// "Start from an example": real text that runs once its two variables have values,
/// with a user turn (no placeholder that merely looks like content).
#[test]
fn the_starter_template_runs_once_its_variables_have_values() {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    let starter = bench.starter_template().unwrap();
    let analysis = whetstone_core::template::analyze(&starter);
    assert_eq!(analysis.error, None);
    assert_eq!(analysis.variables, ["language", "question"]);
    let none = whetstone_core::check_template(&starter, &Default::default());
    assert!(
        none.iter()
            .any(|p| p.kind == ProblemKind::MissingVariables && p.variables.len() == 2)
    );
    let vars = serde_json::from_value(serde_json::json!({
        "language": "English", "question": "What is a whetstone?"
    }))
    .unwrap();
    assert_eq!(whetstone_core::check_template(&starter, &vars), []);
    let messages = whetstone_core::template::render(&starter, &vars).unwrap();
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::System, Role::User]);
    assert_eq!(messages[1].content.trim(), "What is a whetstone?");
}
