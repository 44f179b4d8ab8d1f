//! Runs and cells.

mod common;

use common::*;
use serde_json::json;
use whetstone_model::*;
use whetstone_store::{CellPos, FinishedCell, INTERRUPTED, StoreError};

/// Saves one finished cell.
fn finish(
    s: &whetstone_store::Store,
    id: CellId,
    outcome: &CellOutcome,
) -> Result<Cell, StoreError> {
    let cell = FinishedCell {
        id,
        outcome: outcome.clone(),
        cache_key: None,
    };
    s.finish_cells(&[cell]).map(|mut saved| saved.remove(0))
}

struct Fixture {
    lib: Library,
    prompt: Prompt,
    version: Version,
    spec: RunSpec,
}

/// A prompt with one version and a spec of two variants (v1 on gemma3, the draft on
/// llama3.2) over two cases.
fn fixture() -> Fixture {
    let lib = library();
    let prompt = lib.store.create_prompt("p", "user: {{q}}?").unwrap();
    let version = lib
        .store
        .save_version(prompt.id, &new_version("user: {{q}}", "v1"), &["q".into()])
        .unwrap();
    let gemma = Target {
        provider: "ollama".into(),
        model: "gemma3".into(),
        params: Params {
            temperature: Some(0.7),
            top_p: Some(0.9),
            max_tokens: Some(256),
            seed: Some(42),
            stop: vec!["END".into()],
            stream: Some(false),
        },
    };
    let spec = RunSpec {
        prompt_id: prompt.id,
        variants: vec![
            Variant {
                source: TemplateSource::Version {
                    version_id: version.id,
                },
                target: gemma,
            },
            Variant {
                source: TemplateSource::Draft {
                    prompt_id: prompt.id,
                    template: "user: {{q}}?".into(),
                },
                target: target("ollama", "llama3.2"),
            },
        ],
        cases: vec![
            TestCase {
                id: "why".into(),
                vars: [("q".to_string(), json!("why"))].into(),
                ..TestCase::default()
            },
            TestCase {
                id: "nested".into(),
                vars: [("q".to_string(), json!({"nested": [1, 2.5, null, "x"]}))].into(),
                ..TestCase::default()
            },
        ],
        samples: 1,
        use_cache: Some(true),
        assertions: vec![],
        suite_hash: None,
    };
    Fixture {
        lib,
        prompt,
        version,
        spec,
    }
}

/// The versions of `spec`'s variants, as `create_run` takes them.
fn versions_of(spec: &RunSpec) -> Vec<Option<VersionId>> {
    (spec.variants.iter())
        .map(|v| match v.source {
            TemplateSource::Version { version_id } => Some(version_id),
            TemplateSource::Draft { .. } => None,
        })
        .collect()
}

/// The cells of `spec`, in a scrambled order (cases and variants reversed) to
/// check that `get_run` sorts them.
fn cells_of(spec: &RunSpec) -> Vec<CellPos> {
    let mut cells = Vec::new();
    for case in (0..spec.cases.len() as u32).rev() {
        for variant in (0..spec.variants.len() as u32).rev() {
            cells.push(CellPos {
                variant,
                case,
                sample: 0,
            });
        }
    }
    cells
}

/// Creates a run of `cells`; its cells as `get_run` orders them.
fn create(
    s: &whetstone_store::Store,
    spec: &RunSpec,
    cells: &[CellPos],
) -> Result<Run, StoreError> {
    let mut run = s.create_run(spec, &versions_of(spec), cells)?;
    run.cells
        .sort_by_key(|c| (c.plan.variant, c.plan.case_index, c.plan.sample));
    Ok(run)
}

#[test]
fn create_run_returns_the_cells_in_the_order_given() {
    let f = fixture();
    let s = &f.lib.store;
    let cells = cells_of(&f.spec);
    let run = s
        .create_run(&f.spec, &versions_of(&f.spec), &cells)
        .unwrap();
    let order: Vec<CellPos> = (run.cells.iter())
        .map(|c| CellPos {
            variant: c.plan.variant,
            case: c.plan.case_index,
            sample: c.plan.sample,
        })
        .collect();
    assert_eq!(order, cells);
    // Each cell carries its case's id and values and its variant's target.
    for cell in &run.cells {
        let case = &f.spec.cases[cell.plan.case_index as usize];
        assert_eq!(
            (&cell.plan.case_id, &cell.plan.vars),
            (&case.id, &case.vars)
        );
    }
    let outside = CellPos {
        variant: 2,
        case: 0,
        sample: 0,
    };
    let err = s
        .create_run(&f.spec, &versions_of(&f.spec), &[outside])
        .unwrap_err();
    assert!(
        err.to_string().contains("outside the run's 2 variants"),
        "{err}"
    );
}

#[test]
fn create_run_writes_the_run_and_pending_cells() {
    let f = fixture();
    let s = &f.lib.store;
    let run = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    assert_eq!(run.prompt_id, f.prompt.id);
    assert_eq!(run.spec, f.spec);
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.finished_at, None);
    assert_eq!(run.cells.len(), 4);
    let order: Vec<(u32, u32, u32)> = run
        .cells
        .iter()
        .map(|c| (c.plan.variant, c.plan.case_index, c.plan.sample))
        .collect();
    assert_eq!(order, [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0)]);
    for cell in &run.cells {
        assert_eq!(cell.plan.run_id, run.id);
        assert_eq!(cell.outcome.status, CellStatus::Pending);
        assert!(cell.outcome.messages.is_empty() && cell.outcome.output.is_empty());
        assert_eq!(cell.outcome.error, None);
        assert_eq!(cell.outcome.timing, Timing::default());
        assert_eq!(cell.outcome.usage, Usage::default());
        assert_eq!(
            (&cell.outcome.started_at, &cell.outcome.finished_at),
            (&None, &None)
        );
        assert_eq!(
            cell.plan.target,
            f.spec.variants[cell.plan.variant as usize].target
        );
        assert_eq!(
            cell.plan.vars,
            f.spec.cases[cell.plan.case_index as usize].vars
        );
    }
    // The version number comes from the versions table; draft cells have none.
    assert_eq!(run.cells[0].plan.version_id, Some(f.version.id));
    assert_eq!(run.cells[0].plan.version_number, Some(1));
    assert_eq!(run.cells[2].plan.version_id, None);
    assert_eq!(run.cells[2].plan.version_number, None);
    // Built in memory as the rows were written: the same as reading them back.
    assert_eq!(s.get_run(run.id).unwrap(), run);

    assert_eq!(s.get_run(run.id).unwrap(), run);
    assert!(matches!(
        s.get_run(run.id + 1),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn cells_round_trip_every_field() {
    let f = fixture();
    let s = &f.lib.store;
    let run = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    let first = &run.cells[1];

    let outcome = CellOutcome {
        messages: vec![
            Message {
                role: Role::System,
                content: "Be brief.".into(),
            },
            Message {
                role: Role::User,
                content: "{\"nested\": [1, 2.5]} — ünïcode \u{1F600}".into(),
            },
        ],
        output: "Because.\nLine two with \"quotes\"".into(),
        status: CellStatus::Ok,
        error: None,
        timing: Timing {
            ttft_ms: Some(12.5),
            total_ms: Some(340.25),
        },
        usage: Usage {
            input_tokens: Some(17),
            output_tokens: Some(4_000_000_000),
        },
        usage_estimated: true,
        cached: true,
        cost_usd: Some(0.000_125),
        started_at: Some("2025-02-03T04:05:06.789Z".into()),
        finished_at: None,
    };
    let done = finish(s, first.plan.id, &outcome).unwrap();
    assert!(done.outcome.usage_estimated && done.outcome.cached);
    assert_eq!(done.plan.id, first.plan.id);
    assert_eq!(done.outcome.messages, outcome.messages);
    assert_eq!(done.outcome.output, outcome.output);
    assert_eq!(done.outcome.status, CellStatus::Ok);
    assert_eq!(done.outcome.error, None);
    assert_eq!(done.outcome.timing, outcome.timing);
    assert_eq!(done.outcome.usage, outcome.usage);
    assert_eq!(done.outcome.cost_usd, Some(0.000_125));
    assert_eq!(
        done.outcome.started_at.as_deref(),
        Some("2025-02-03T04:05:06.789Z")
    );
    let finished_at = done
        .outcome
        .finished_at
        .clone()
        .expect("saving stamps the time");
    assert!(finished_at.ends_with('Z') && finished_at >= run.created_at);
    assert_eq!(done.plan.target, first.plan.target);
    assert_eq!(done.plan.vars, first.plan.vars);
    assert_eq!(done.plan.version_number, first.plan.version_number);

    let failed = CellOutcome {
        messages: vec![],
        output: "half an ans".into(),
        status: CellStatus::Partial,
        error: Some("connection reset".into()),
        timing: Timing {
            ttft_ms: None,
            total_ms: Some(5.0),
        },
        usage: Usage::default(),
        usage_estimated: false,
        cached: false,
        cost_usd: None,
        started_at: Some("2025-02-03T04:05:07.000Z".into()),
        finished_at: Some("2025-02-03T04:05:07.005Z".into()),
    };
    let partial = finish(s, run.cells[2].plan.id, &failed).unwrap();
    assert_eq!(partial.outcome.status, CellStatus::Partial);
    assert_eq!(partial.outcome.error.as_deref(), Some("connection reset"));
    assert_eq!(partial.outcome.output, "half an ans");
    assert_eq!(partial.outcome.timing, failed.timing);
    assert_eq!(partial.outcome.usage, Usage::default());
    assert_eq!(partial.outcome.started_at, failed.started_at);
    assert_eq!(
        partial.outcome.finished_at, failed.finished_at,
        "the outcome's end is kept"
    );

    // What saving returned is what get_run reads back.
    let reread = s.get_run(run.id).unwrap();
    assert_eq!(reread.cells[1], done);
    assert_eq!(reread.cells[2], partial);
    assert_eq!(reread.cells[0].outcome.status, CellStatus::Pending);

    assert!(matches!(
        finish(s, 9999, &outcome),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn finish_run_sets_status_and_time() {
    let f = fixture();
    let s = &f.lib.store;
    let run = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    s.finish_run(run.id, RunStatus::Cancelled).unwrap();
    let got = s.get_run(run.id).unwrap();
    assert_eq!(got.status, RunStatus::Cancelled);
    let finished = got.finished_at.expect("finished_at is set");
    assert!(finished >= got.created_at);
    assert!(matches!(
        s.finish_run(run.id + 1, RunStatus::Done),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn list_runs_summarises_newest_first() {
    let f = fixture();
    let s = &f.lib.store;
    let ok = |s: &whetstone_store::Store, id| {
        finish(
            s,
            id,
            &CellOutcome {
                messages: vec![],
                output: "x".into(),
                status: CellStatus::Ok,
                error: None,
                timing: Timing::default(),
                usage: Usage::default(),
                usage_estimated: false,
                cached: false,
                cost_usd: None,
                started_at: None,
                finished_at: None,
            },
        )
        .unwrap()
    };
    let first = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    ok(s, first.cells[0].plan.id);
    ok(s, first.cells[3].plan.id);
    s.finish_run(first.id, RunStatus::Done).unwrap();
    tick();
    // Same model twice, then another: models are distinct, in variant order.
    let mut spec = f.spec.clone();
    spec.variants.insert(0, spec.variants[1].clone());
    spec.suite_hash = Some("a suite's hash".into());
    let second = create(s, &spec, &cells_of(&spec)[..1]).unwrap();
    tick();
    let third = create(s, &f.spec, &[]).unwrap();

    let runs = s.list_runs(f.prompt.id, 10).unwrap();
    let ids: Vec<RunId> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [third.id, second.id, first.id]);
    assert_eq!(
        runs[2],
        RunSummary {
            id: first.id,
            prompt_id: f.prompt.id,
            status: RunStatus::Done,
            cell_count: 4,
            ok_count: 2,
            case_count: 2,
            from_suite: false,
            models: vec!["gemma3".into(), "llama3.2".into()],
            created_at: first.created_at.clone(),
        }
    );
    assert_eq!(runs[1].models, ["llama3.2", "gemma3"]);
    assert!(runs[1].from_suite, "a run with a suite hash is a suite run");
    assert_eq!((runs[1].cell_count, runs[1].ok_count), (1, 0));
    assert_eq!(runs[1].status, RunStatus::Running);
    assert_eq!((runs[0].cell_count, runs[0].ok_count), (0, 0));

    let limited = s.list_runs(f.prompt.id, 2).unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].id, third.id);
    // Another prompt's history is separate.
    let other = s.create_prompt("other", "").unwrap();
    assert!(s.list_runs(other.id, 10).unwrap().is_empty());
    assert!(matches!(
        s.list_runs(9999, 10),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn samples_are_ordered_within_a_case() {
    let f = fixture();
    let s = &f.lib.store;
    let mut spec = f.spec.clone();
    spec.samples = 3;
    let mut cells = Vec::new();
    for sample in [2, 0, 1] {
        let mut c = cells_of(&spec).remove(3); // variant 0, case 0
        c.sample = sample;
        cells.push(c);
    }
    let run = create(s, &spec, &cells).unwrap();
    let samples: Vec<u32> = run.cells.iter().map(|c| c.plan.sample).collect();
    assert_eq!(samples, [0, 1, 2]);
    assert_eq!(s.get_run(run.id).unwrap().spec.samples, 3);
}

#[test]
fn interrupted_runs_are_closed() {
    let f = fixture();
    let s = &f.lib.store;
    let run = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    let finished = finish(
        s,
        run.cells[1].plan.id,
        &CellOutcome {
            messages: vec![],
            output: "fine".into(),
            status: CellStatus::Ok,
            error: None,
            timing: Timing::default(),
            usage: Usage::default(),
            usage_estimated: false,
            cached: false,
            cost_usd: None,
            started_at: None,
            finished_at: None,
        },
    )
    .unwrap();
    let done_run = create(s, &f.spec, &[]).unwrap();
    s.finish_run(done_run.id, RunStatus::Done).unwrap();
    let other = create(s, &f.spec, &cells_of(&f.spec)).unwrap();

    let running: Vec<RunId> = s.running_runs().unwrap().iter().map(|r| r.0).collect();
    assert_eq!(running, [run.id, other.id]);
    // Only the runs named are closed, and a finished run named is left as it is.
    assert_eq!(s.close_runs(&[run.id, done_run.id]).unwrap(), 1);
    let got = s.get_run(run.id).unwrap();
    assert_eq!(got.status, RunStatus::Interrupted);
    assert!(got.finished_at.is_some());
    assert_eq!(
        got.cells[1], finished,
        "finished cells are kept as they are"
    );
    for i in [0, 2, 3] {
        assert_eq!(got.cells[i].outcome.status, CellStatus::Error);
        assert_eq!(got.cells[i].outcome.error.as_deref(), Some(INTERRUPTED));
        assert!(got.cells[i].outcome.finished_at.is_some());
    }
    assert_eq!(s.get_run(done_run.id).unwrap().status, RunStatus::Done);
    let untouched = s.get_run(other.id).unwrap();
    assert_eq!(untouched.status, RunStatus::Running);
    assert!(
        (untouched.cells.iter()).all(|c| c.outcome.status == CellStatus::Pending),
        "a run not named keeps its pending cells"
    );
    assert_eq!(s.close_runs(&[run.id]).unwrap(), 0);
}

#[test]
fn a_run_records_the_owner_its_store_was_given() {
    let mut f = fixture();
    let first = create(&f.lib.store, &f.spec, &[]).unwrap();
    f.lib.store.set_run_owner(Some(r#"{"pid":7}"#.into()));
    let second = create(&f.lib.store, &f.spec, &[]).unwrap();
    assert_eq!(
        f.lib.store.running_runs().unwrap(),
        [
            (first.id, None),
            (second.id, Some(r#"{"pid":7}"#.to_string()))
        ]
    );
}

#[test]
fn finished_cells_are_saved_together_with_their_cached_answers() {
    let f = fixture();
    let s = &f.lib.store;
    let run = create(s, &f.spec, &cells_of(&f.spec)).unwrap();
    let outcome = |output: &str| CellOutcome {
        messages: vec![Message {
            role: Role::User,
            content: "q".into(),
        }],
        output: output.into(),
        status: CellStatus::Ok,
        error: None,
        timing: Timing::default(),
        usage: Usage {
            input_tokens: Some(3),
            output_tokens: Some(1),
        },
        usage_estimated: false,
        cached: false,
        cost_usd: Some(0.5),
        started_at: None,
        finished_at: None,
    };
    let batch = [
        FinishedCell {
            id: run.cells[0].plan.id,
            outcome: outcome("first"),
            cache_key: Some("k1".into()),
        },
        FinishedCell {
            id: run.cells[1].plan.id,
            outcome: outcome("second"),
            cache_key: None,
        },
    ];
    let saved = s.finish_cells(&batch).unwrap();
    assert_eq!(
        saved
            .iter()
            .map(|c| c.outcome.output.as_str())
            .collect::<Vec<_>>(),
        ["first", "second"]
    );
    let reread = s.get_run(run.id).unwrap();
    assert_eq!(reread.cells[..2], saved[..]);
    assert_eq!(reread.cells[2].outcome.status, CellStatus::Pending);
    let kept = s.cached_response("k1").unwrap().expect("kept");
    assert_eq!(
        (kept.output.as_str(), kept.usage),
        ("first", batch[0].outcome.usage)
    );

    // All or none: a cell that is gone fails the batch, and nothing of it is written.
    let gone = [
        FinishedCell {
            id: run.cells[2].plan.id,
            outcome: outcome("third"),
            cache_key: Some("k2".into()),
        },
        FinishedCell {
            id: 9999,
            outcome: outcome("nowhere"),
            cache_key: None,
        },
    ];
    assert!(matches!(
        s.finish_cells(&gone),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.get_run(run.id).unwrap().cells[2].outcome.status,
        CellStatus::Pending
    );
    assert_eq!(s.cached_response("k2").unwrap(), None);
}
