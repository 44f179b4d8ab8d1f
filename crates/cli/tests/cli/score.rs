//! `whet score` (docs/metrics.md): the numbers are whetstone-metrics' (proven equal to the
//! reference tools in crates/metrics/tests/reference.rs); these tests check the files,
//! the streams, the shapes and the errors.

use crate::common::*;
use serde_json::Value;
use whetstone_metrics as metrics;

const HYPS: &str =
    "the cat sat on the mat\nRunning dogs are quick\n\nA feline was sitting on the rug\n";
const REFS1: &str =
    "the cat sat on the mat\nthe dog runs quickly\nan empty answer\nthe cat sat on the mat\n";
const REFS2: &str = "a cat was on the mat\nthe dogs ran\n\nthe cat is on the carpet\n";

fn lines(text: &str) -> Vec<&str> {
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect()
}

fn refs_per_segment<'a>(streams: &[&'a str]) -> Vec<Vec<&'a str>> {
    let streams: Vec<Vec<&str>> = streams.iter().map(|s| lines(s)).collect();
    (0..streams[0].len())
        .map(|i| streams.iter().map(|s| s[i]).collect())
        .collect()
}

fn scored(sb: &Sandbox, metric: &str, extra: &[&str]) -> Value {
    sb.write("hyps.txt", HYPS);
    sb.write("refs1.txt", REFS1);
    sb.write("refs2.txt", REFS2);
    sb.whet([
        "score",
        metric,
        "--refs",
        "refs1.txt",
        "--refs",
        "refs2.txt",
        "--hyps",
        "hyps.txt",
        "--json",
    ])
    .args(extra)
    .run()
    .ok()
    .json()
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().expect("a number");
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn bleu_json_has_the_corpus_and_every_segment_from_both_streams() {
    let sb = Sandbox::new();
    let out = scored(&sb, "bleu", &[]);
    let h = lines(HYPS);
    let r = refs_per_segment(&[REFS1, REFS2]);
    let corpus = metrics::corpus_bleu(&h, &r).unwrap();
    assert_eq!(out["metric"], "bleu");
    assert_eq!(out["scale"], 100);
    assert_eq!(out["corpus_aggregate"], "tool");
    close(&out["corpus"]["score"], corpus.score);
    assert_eq!(out["corpus"]["sys_len"], corpus.sys_len);
    assert_eq!(out["corpus"]["counts"].as_array().unwrap().len(), 4);
    let segments = out["segments"].as_array().unwrap();
    assert_eq!(
        segments.len(),
        4,
        "one a hypothesis line, the empty one included"
    );
    close(&segments[0]["score"], 100.0);
    for (i, s) in segments.iter().enumerate() {
        close(
            &s["score"],
            metrics::sentence_bleu(h[i], &r[i]).unwrap().score,
        );
    }
    // The empty hypothesis scores 0, as sacreBLEU's does.
    close(&segments[2]["score"], 0.0);
    assert!(
        !sb.env_data_dir().exists() && !sb.data_dir().exists(),
        "score opens no library"
    );
}

#[test]
fn text_output_is_the_corpus_line_then_one_line_a_segment() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", HYPS);
    sb.write("refs.txt", REFS1);
    let out = sb
        .whet(["score", "chrf", "--refs", "refs.txt", "--hyps", "hyps.txt"])
        .run()
        .ok();
    let text: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(text.len(), 5, "{}", out.stdout);
    let h = lines(HYPS);
    let r = refs_per_segment(&[REFS1]);
    let corpus = metrics::corpus_chrf(&h, &r, false).unwrap();
    assert!(
        text[0].starts_with(&format!("chrF {corpus:.2}")),
        "{}",
        text[0]
    );
    assert_eq!(text[1], "1\t100.00");
    assert!(text[4].starts_with("4\t"));
}

#[test]
fn every_metric_runs_and_reports_its_scale_and_aggregate() {
    let sb = Sandbox::new();
    let h = lines(HYPS);
    let r = refs_per_segment(&[REFS1, REFS2]);
    for (metric, scale, aggregate) in [
        ("chrf", 100, "tool"),
        ("chrf++", 100, "tool"),
        ("rouge1", 1, "mean"),
        ("rouge2", 1, "mean"),
        ("rougeL", 1, "mean"),
        ("rougeLsum", 1, "mean"),
        ("meteor", 1, "mean"),
    ] {
        let out = scored(&sb, metric, &[]);
        assert_eq!(out["metric"], metric);
        assert_eq!(out["scale"], scale, "{metric}");
        assert_eq!(out["corpus_aggregate"], aggregate, "{metric}");
        assert_eq!(out["segments"].as_array().unwrap().len(), 4, "{metric}");
        if aggregate == "mean" {
            let mean = out["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["score"].as_f64().unwrap())
                .sum::<f64>()
                / 4.0;
            close(&out["corpus"]["score"], mean);
        }
    }
    let meteor = scored(&sb, "meteor", &[]);
    close(
        &meteor["corpus"]["score"],
        metrics::corpus_meteor(&h, &r).unwrap().0,
    );
    let chrfpp = scored(&sb, "chrf++", &[]);
    assert_eq!(chrfpp["options"]["word_order"], 2);
    close(
        &chrfpp["corpus"]["score"],
        metrics::corpus_chrf(&h, &r, true).unwrap(),
    );
}

#[test]
fn stem_changes_rouge_as_rouge_score_does() {
    let sb = Sandbox::new();
    let plain = scored(&sb, "rouge1", &[]);
    let stemmed = scored(&sb, "rouge1", &["--stem"]);
    assert_eq!(plain["options"]["stem"], false);
    assert_eq!(stemmed["options"]["stem"], true);
    let h = lines(HYPS);
    let r = refs_per_segment(&[REFS1, REFS2]);
    let want = metrics::rouge(metrics::RougeKind::Rouge1, h[1], &r[1], true).unwrap();
    close(&stemmed["segments"][1]["fmeasure"], want.fmeasure);
    close(&stemmed["segments"][1]["precision"], want.precision);
    assert!(
        stemmed["segments"][1]["fmeasure"].as_f64() > plain["segments"][1]["fmeasure"].as_f64(),
        "running/runs and quick/quickly match only when stemmed"
    );
}

#[test]
fn hypotheses_from_stdin_and_crlf_files() {
    let sb = Sandbox::new();
    sb.write(
        "refs.txt",
        "one two three four five\r\nsix seven eight nine ten\r\n",
    );
    let out = sb
        .whet([
            "score", "bleu", "--refs", "refs.txt", "--hyps", "-", "--json",
        ])
        .stdin("one two three four five\nsix seven eight nine ten")
        .run()
        .ok()
        .json();
    close(&out["corpus"]["score"], 100.0);
}

#[test]
fn files_of_different_lengths_are_refused_naming_them() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", "a\nb\nc\n");
    sb.write("refs.txt", "a\nb\n");
    let out = sb
        .whet(["score", "bleu", "--refs", "refs.txt", "--hyps", "hyps.txt"])
        .run()
        .fails();
    assert!(
        out.stderr
            .contains("refs.txt has 2 lines but hyps.txt has 3"),
        "{}",
        out.stderr
    );
    let err = sb
        .whet([
            "score", "meteor", "--refs", "refs.txt", "--hyps", "hyps.txt", "--json",
        ])
        .run()
        .json_error();
    assert_eq!(err["code"], "invalid");
}

#[test]
fn empty_files_are_refused() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", "a\n");
    sb.write("refs.txt", "");
    let out = sb
        .whet([
            "score", "rouge1", "--refs", "refs.txt", "--hyps", "hyps.txt",
        ])
        .run()
        .fails();
    assert!(out.stderr.contains("refs.txt is empty"), "{}", out.stderr);
}

#[test]
fn invalid_utf8_is_refused_with_its_file_and_line() {
    let sb = Sandbox::new();
    sb.write("refs.txt", "a\nb\nc\n");
    std::fs::write(sb.path("hyps.txt"), b"a\nb\n\xffc\n").unwrap();
    let out = sb
        .whet([
            "score", "chrf", "--refs", "refs.txt", "--hyps", "hyps.txt", "--json",
        ])
        .run();
    let err = out.json_error();
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("hyps.txt: line 3 is not valid UTF-8"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_refused_naming_it() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", "a\n");
    let out = sb
        .whet(["score", "bleu", "--refs", "nope.txt", "--hyps", "hyps.txt"])
        .run()
        .fails();
    assert!(
        out.stderr.contains("could not read nope.txt"),
        "{}",
        out.stderr
    );
}

#[test]
fn stem_is_refused_outside_rouge() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", "a\n");
    sb.write("refs.txt", "a\n");
    let out = sb
        .whet([
            "score", "bleu", "--stem", "--refs", "refs.txt", "--hyps", "hyps.txt",
        ])
        .run()
        .fails();
    assert!(
        out.stderr
            .contains("--stem applies to the ROUGE metrics only"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_refs_or_an_unknown_metric_is_bad_usage() {
    let sb = Sandbox::new();
    sb.write("hyps.txt", "a\n");
    for args in [
        &["score", "bleu", "--hyps", "hyps.txt"][..],
        &[
            "score", "bleurt", "--refs", "hyps.txt", "--hyps", "hyps.txt",
        ],
        &["score", "--help-me"],
    ] {
        let out = sb.whet(args).run();
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
    }
    let help = sb.bare().args(["score", "--help"]).run().ok();
    for metric in ["bleu", "chrf++", "rougeLsum", "meteor"] {
        assert!(help.stdout.contains(metric), "{}", help.stdout);
    }
}
