//! Suites through the core: saved and checked, imported from files, run over
//! variants against the loopback Ollama server, scored as cells finish, re-scored
//! without calling the provider, rerun in place, and summed up per column.

use serde_json::json;
use std::sync::{Arc, Mutex};
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::{Fault, OllamaConfig, OllamaServer};

const TEMPLATE: &str = "user:\nName the capital of {{ country }}.";

struct Fixture {
    bench: Workbench,
    prompt: Prompt,
    _dir: tempfile::TempDir,
}

fn fixture(server: &OllamaServer) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    bench
        .save_provider(ProviderConfig {
            id: "ollama".into(),
            name: "Ollama".into(),
            kind: ProviderKind::Ollama,
            base_url: Some(server.base_url().to_string()),
            key: KeySource::None,
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let prompt = bench.create_prompt("Capitals".into()).unwrap();
    Fixture {
        bench,
        prompt,
        _dir: dir,
    }
}

fn case(country: &str, assertions: serde_json::Value) -> TestCase {
    TestCase {
        vars: Variables::from([("country".to_string(), json!(country))]),
        reference: Some(format!("You said: Name the capital of {country}.")),
        assertions: serde_json::from_value(assertions).unwrap(),
        ..TestCase::default()
    }
}

fn variant(prompt: PromptId, model: &str) -> Variant {
    Variant {
        source: TemplateSource::Draft {
            prompt_id: prompt,
            template: TEMPLATE.into(),
        },
        target: Target {
            provider: "ollama".into(),
            model: model.into(),
            params: Params::default(),
        },
    }
}

type Events = Arc<Mutex<Vec<RunEvent>>>;

fn collect() -> (Events, impl FnMut(RunEvent) + Send + 'static) {
    let events: Events = Arc::default();
    let sink = events.clone();
    (events, move |e| sink.lock().unwrap().push(e))
}

/// The suite's three cases over two models: France and Italy pass `contains`,
/// Spain's assertion asks for a word the echo answer lacks.
fn three_cases(f: &Fixture) -> Suite {
    f.bench
        .save_suite(
            f.prompt.id,
            vec![
                case("France", json!([{"type": "contains", "value": "France"}])),
                case("Italy", json!([{"type": "icontains", "value": "ITALY"}])),
                case("Spain", json!([{"type": "contains", "value": "Madrid"}])),
            ],
            serde_json::from_value(json!([{"type": "not-contains", "value": "sorry"}])).unwrap(),
        )
        .unwrap()
}

#[test]
fn a_saved_suite_keeps_its_order_gets_ids_and_a_hash() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let empty = f.bench.get_suite(f.prompt.id).unwrap();
    assert!(empty.cases.is_empty() && empty.updated_at.is_none());
    let suite = three_cases(&f);
    let ids: Vec<&str> = suite.cases.iter().map(|c| c.id.as_str()).collect();
    assert!(
        ids.iter().all(|id| id.starts_with("c-") && id.len() == 10),
        "{ids:?}"
    );
    assert_eq!(
        suite
            .cases
            .iter()
            .map(|c| c.vars["country"].clone())
            .collect::<Vec<_>>(),
        [json!("France"), json!("Italy"), json!("Spain")]
    );
    assert_eq!(f.bench.get_suite(f.prompt.id).unwrap(), suite);
    assert_eq!(suite.hash.len(), 64);

    // Ids are kept through edits and reorders; the hash follows the content.
    let mut cases = suite.cases.clone();
    cases.swap(0, 2);
    let reordered = f
        .bench
        .save_suite(f.prompt.id, cases, suite.assertions.clone())
        .unwrap();
    assert_eq!(reordered.cases[0].id, suite.cases[2].id);
    assert_ne!(reordered.hash, suite.hash);

    // A copy of the prompt has the suite too.
    let copy = f.bench.duplicate_prompt(f.prompt.id).unwrap();
    assert_eq!(f.bench.get_suite(copy.id).unwrap().cases, reordered.cases);
}

#[test]
fn a_bad_suite_is_refused_naming_the_assertion_and_nothing_changes() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let before = three_cases(&f);
    let mut cases = before.cases.clone();
    cases[1].assertions = serde_json::from_value(json!([
        {"type": "contains", "value": "x"},
        {"type": "regex", "value": "(unclosed"}
    ]))
    .unwrap();
    let err = f
        .bench
        .save_suite(f.prompt.id, cases.clone(), vec![])
        .unwrap_err();
    let reply = err.reply();
    assert_eq!(reply.code, ErrorCode::Invalid);
    assert_eq!(reply.field.as_deref(), Some("cases.1.assertions.1"));
    assert!(
        reply.message.starts_with("test case 2 (`c-"),
        "{}",
        reply.message
    );
    assert!(
        reply.message.contains("(`regex`): invalid regex"),
        "{}",
        reply.message
    );

    let defaults = serde_json::from_value(json!([{"type": "bleu", "threshold": 3}])).unwrap();
    let err = f
        .bench
        .save_suite(f.prompt.id, before.cases.clone(), defaults)
        .unwrap_err();
    assert_eq!(err.reply().field.as_deref(), Some("assertions.0"));

    cases[1] = before.cases[1].clone();
    cases[2].id = cases[0].id.clone();
    let err = f.bench.save_suite(f.prompt.id, cases, vec![]).unwrap_err();
    assert_eq!(err.reply().field.as_deref(), Some("cases.2.id"));
    assert_eq!(f.bench.get_suite(f.prompt.id).unwrap(), before);
}

#[test]
fn suite_files_import_whole_or_not_at_all_and_export_back() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let suite = three_cases(&f);
    let csv = f.bench.export_suite(f.prompt.id, SuiteFormat::Csv).unwrap();
    // Round trip: importing the export over an empty suite gives the same cases.
    let other = f.bench.create_prompt("Other".into()).unwrap();
    let imported = f
        .bench
        .import_suite(other.id, SuiteFormat::Csv, csv.clone(), false)
        .unwrap();
    assert_eq!(imported.cases, suite.cases);

    // Merged by id: a known id replaces its case in place, a new one is appended.
    let first = &suite.cases[0].id;
    let file = format!("__id,country,__expected\n{first},Portugal,contains:Portugal\n,Greece,\n");
    let merged = f
        .bench
        .import_suite(f.prompt.id, SuiteFormat::Csv, file, false)
        .unwrap();
    assert_eq!(merged.cases.len(), 4);
    assert_eq!(&merged.cases[0].id, first);
    assert_eq!(merged.cases[0].vars["country"], "Portugal");
    assert_eq!(merged.cases[3].vars["country"], "Greece");
    assert!(!merged.cases[3].id.is_empty());

    // A bad file says where, and the suite is as it was.
    let bad = "country,__expected\nChile,contains:Santiago\nPeru,regex:(\n".to_string();
    let err = f
        .bench
        .import_suite(f.prompt.id, SuiteFormat::Csv, bad, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 2"), "{err}");
    assert!(err.contains("__expected"), "{err}");
    assert_eq!(f.bench.get_suite(f.prompt.id).unwrap(), merged);

    let jsonl = f
        .bench
        .export_suite(f.prompt.id, SuiteFormat::Jsonl)
        .unwrap();
    let replaced = f
        .bench
        .import_suite(other.id, SuiteFormat::Jsonl, jsonl, true)
        .unwrap();
    assert_eq!(replaced.cases, merged.cases);
}

#[test]
fn a_suite_file_is_written_whole_where_the_save_dialog_said() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    three_cases(&f);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capitals.jsonl");
    std::fs::write(&path, "an older file").unwrap();
    let written = f
        .bench
        .export_suite_file(f.prompt.id, SuiteFormat::Jsonl, path.display().to_string())
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        f.bench
            .export_suite(f.prompt.id, SuiteFormat::Jsonl)
            .unwrap()
    );
    assert_eq!(written, text.len() as u64);
    // Nothing left beside it but the file itself.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A folder, or a folder that does not exist, is refused and names the path.
    let err = f
        .bench
        .export_suite_file(
            f.prompt.id,
            SuiteFormat::Csv,
            dir.path().display().to_string(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("it is a folder"), "{err}");
    let missing = dir.path().join("no/such/dir/cases.csv");
    let err = f
        .bench
        .export_suite_file(f.prompt.id, SuiteFormat::Csv, missing.display().to_string())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("could not write"), "{err}");
    assert!(err.contains("cases.csv"), "{err}");
}

#[test]
fn the_assertion_editor_learns_every_kind_from_the_core() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let kinds = f.bench.assertion_kinds().unwrap();
    assert_eq!(kinds.len(), AssertionKind::ALL.len());
    let latency = kinds
        .iter()
        .find(|k| k.kind == AssertionKind::Latency)
        .unwrap();
    assert_eq!(
        (latency.threshold, latency.threshold_unit.as_str()),
        (ThresholdShape::Limit, "ms")
    );
    let bleu = kinds
        .iter()
        .find(|k| k.kind == AssertionKind::Bleu)
        .unwrap();
    assert_eq!(bleu.threshold_default, Some(0.5));
    assert!(bleu.matches.as_deref().unwrap().contains("sacreBLEU"));
}

#[tokio::test]
async fn a_suite_run_scores_each_cell_as_it_finishes() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let suite = three_cases(&f);
    let (events, sink) = collect();
    let handle = f
        .bench
        .run_suite(
            SuiteRun {
                prompt_id: f.prompt.id,
                variants: vec![
                    variant(f.prompt.id, "llama3.2:latest"),
                    variant(f.prompt.id, "qwen2.5:0.5b"),
                ],
                cases: None,
                samples: 1,
                use_cache: Some(false),
            },
            sink,
        )
        .unwrap();
    let run = handle.finish().await.unwrap();
    assert_eq!(run.spec.suite_hash.as_deref(), Some(suite.hash.as_str()));
    assert_eq!(run.spec.cases, suite.cases);
    assert_eq!(run.cells.len(), 6);
    assert!(run.cells.iter().all(|c| c.outcome.status == CellStatus::Ok));

    // Every cell: its assertion, the suite's, and the verdict; saved and sent.
    assert_eq!(run.scores.len(), 6 * 3);
    let verdicts: Vec<(String, bool)> = (run.cells.iter())
        .map(|c| {
            let v = run
                .scores
                .iter()
                .find(|s| s.cell_id == c.plan.id && s.scorer == "verdict")
                .unwrap();
            (c.plan.case_id.clone(), v.pass)
        })
        .collect();
    let spain = &suite.cases[2].id;
    for (case, pass) in &verdicts {
        assert_eq!(*pass, case != spain, "{case}");
    }
    let sent: Vec<Score> = (events.lock().unwrap().iter())
        .filter_map(|e| match e {
            RunEvent::Scored { scores, .. } => Some(scores.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sent.len(), run.scores.len());
    let madrid = run
        .scores
        .iter()
        .find(|s| s.scorer == "case/contains" && !s.pass)
        .unwrap();
    assert!(madrid.reason.contains("Madrid"), "{}", madrid.reason);

    let stats = f.bench.run_stats(run.id).unwrap();
    assert_eq!(stats.len(), 2);
    for column in &stats {
        assert_eq!((column.cells, column.done, column.ok), (3, 3, 3));
        assert_eq!((column.scored, column.passed), (3, 2));
        assert!((column.pass_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert!(column.latency_p50_ms.unwrap() <= column.latency_p95_ms.unwrap());
        assert!(column.output_tokens > 0);
        assert_eq!((column.cost_usd, column.unpriced), (0.0, 0));
        let suite_scorer = column
            .scorers
            .iter()
            .find(|s| s.scorer == "suite/not-contains");
        assert_eq!(suite_scorer.map(|s| (s.count, s.passed)), Some((3, 3)));
    }
}

#[tokio::test]
async fn editing_an_assertion_rescores_a_finished_run_without_asking_the_provider() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let suite = three_cases(&f);
    let request = SuiteRun {
        prompt_id: f.prompt.id,
        variants: vec![variant(f.prompt.id, "llama3.2:latest")],
        cases: None,
        samples: 1,
        use_cache: Some(false),
    };
    let (_, sink) = collect();
    let run = f
        .bench
        .run_suite(request, sink)
        .unwrap()
        .finish()
        .await
        .unwrap();
    let asked = server.requests().len();
    let passed = |scores: &[Score]| {
        scores
            .iter()
            .filter(|s| s.scorer == "verdict" && s.pass)
            .count()
    };
    assert_eq!(passed(&run.scores), 2);

    // Spain now asks for what the answer has, and a metric joins the suite.
    let mut cases = suite.cases.clone();
    cases[2].assertions =
        serde_json::from_value(json!([{"type": "contains", "value": "Spain"}])).unwrap();
    let defaults = serde_json::from_value(json!([{"type": "rouge-l", "threshold": 0.9}])).unwrap();
    f.bench.save_suite(f.prompt.id, cases, defaults).unwrap();
    let scores = f.bench.rescore_run(run.id).unwrap();
    assert_eq!(server.requests().len(), asked, "no provider call");
    assert_eq!(passed(&scores), 3);
    let rouge: Vec<&Score> = scores
        .iter()
        .filter(|s| s.scorer == "suite/rouge-l")
        .collect();
    assert_eq!(rouge.len(), 3);
    // The echo answer is the reference: a perfect ROUGE-L.
    assert!(rouge.iter().all(|s| s.value == 1.0 && s.pass), "{rouge:?}");
    let saved = f.bench.get_run(run.id).unwrap();
    assert_eq!(saved.scores.len(), scores.len());
    assert_eq!(
        saved.spec.cases[2].assertions[0].value,
        Some(json!("Spain"))
    );
}

#[tokio::test]
async fn failed_cells_run_again_in_place() {
    let server = OllamaServer::start(OllamaConfig {
        fault: Fault::Status {
            status: 500,
            message: "the model crashed".into(),
        },
        fault_times: Some(2),
        ..OllamaConfig::default()
    });
    let f = fixture(&server);
    three_cases(&f);
    let (_, sink) = collect();
    let run = f
        .bench
        .run_suite(
            SuiteRun {
                prompt_id: f.prompt.id,
                variants: vec![variant(f.prompt.id, "llama3.2:latest")],
                cases: None,
                samples: 1,
                use_cache: Some(false),
            },
            sink,
        )
        .unwrap()
        .finish()
        .await
        .unwrap();
    let failed: Vec<CellId> = (run.cells.iter())
        .filter(|c| c.outcome.status == CellStatus::Error)
        .map(|c| c.plan.id)
        .collect();
    assert_eq!(failed.len(), 2);
    let kept = run
        .cells
        .iter()
        .find(|c| c.outcome.status == CellStatus::Ok)
        .unwrap()
        .clone();

    let (events, sink) = collect();
    let again = f
        .bench
        .rerun_cells(run.id, failed.clone(), sink)
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(again.id, run.id);
    assert_eq!(again.status, RunStatus::Done);
    assert!(
        again
            .cells
            .iter()
            .all(|c| c.outcome.status == CellStatus::Ok)
    );
    let same = again
        .cells
        .iter()
        .find(|c| c.plan.id == kept.plan.id)
        .unwrap();
    assert_eq!(same, &kept, "a cell not rerun keeps its outcome");
    assert_eq!(
        again
            .scores
            .iter()
            .filter(|s| s.scorer == "verdict")
            .count(),
        3
    );
    let finished = (events.lock().unwrap().iter())
        .filter(|e| matches!(e, RunEvent::CellFinished { .. }))
        .count();
    assert_eq!(finished, 2);

    let err = f.bench.rerun_cells(run.id, vec![], |_| {}).err().unwrap();
    assert!(err.to_string().contains("no cells"), "{err}");
}

#[test]
fn versions_diff_as_typed_hunks() {
    let server = OllamaServer::start(OllamaConfig::default());
    let f = fixture(&server);
    let save = |template: &str| {
        f.bench
            .save_version(
                f.prompt.id,
                NewVersion {
                    template: template.into(),
                    default_target: None,
                    message: String::new(),
                },
            )
            .unwrap()
    };
    let v1 = save("user:\nName the capital of {{ country }}.");
    let v2 = save("user:\nName the largest city of {{ country }}.");
    let diff = f
        .bench
        .diff_versions(v1.id, v2.id, DiffOptions::default())
        .unwrap();
    let text = serde_json::to_string(&diff).unwrap();
    assert!(
        text.contains("capital") && text.contains("largest city"),
        "{text}"
    );
    assert!(!diff.coarse);
}
