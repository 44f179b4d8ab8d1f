//! `whet score`: reference metrics over files, one segment a line, as sacreBLEU's CLI
//! takes them (each `--refs` file is one reference stream). The numbers come from
//! whetstone-metrics; the JSON shape is documented in docs/metrics.md.

use crate::output::{self, Failure};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use whetstone_metrics::{self as metrics, Bleu, Rouge, RougeKind};

#[derive(Args)]
pub struct ScoreArgs {
    /// The metric
    metric: Metric,
    /// A reference file, one segment a line; repeat for several references per segment
    #[arg(long = "refs", value_name = "FILE", required = true)]
    refs: Vec<PathBuf>,
    /// The hypotheses (model answers), one segment a line; - for stdin
    #[arg(long, value_name = "FILE")]
    hyps: PathBuf,
    /// ROUGE only: Porter-stem tokens longer than 3 characters (rouge-score's use_stemmer)
    #[arg(long)]
    stem: bool,
    /// Print JSON (see docs/metrics.md)
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Metric {
    /// BLEU as sacreBLEU 2.6.0 (0–100)
    Bleu,
    /// chrF as sacreBLEU 2.6.0 (0–100)
    Chrf,
    /// chrF++ (word bigrams too) as sacreBLEU 2.6.0 (0–100)
    #[value(name = "chrf++")]
    ChrfPlusPlus,
    /// ROUGE-1 as rouge-score 0.1.2 (0–1)
    Rouge1,
    /// ROUGE-2 as rouge-score 0.1.2 (0–1)
    Rouge2,
    /// ROUGE-L as rouge-score 0.1.2 (0–1)
    #[value(name = "rougeL")]
    RougeL,
    /// ROUGE-Lsum (sentences split on newlines) as rouge-score 0.1.2 (0–1)
    #[value(name = "rougeLsum")]
    RougeLsum,
    /// METEOR as NLTK 3.10 (0–1)
    Meteor,
}

impl Metric {
    fn name(self) -> &'static str {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .map(|n| Box::leak(n.into_boxed_str()) as &str)
            .expect("every metric has a name")
    }

    fn rouge(self) -> Option<RougeKind> {
        match self {
            Metric::Rouge1 => Some(RougeKind::Rouge1),
            Metric::Rouge2 => Some(RougeKind::Rouge2),
            Metric::RougeL => Some(RougeKind::RougeL),
            Metric::RougeLsum => Some(RougeKind::RougeLsum),
            _ => None,
        }
    }
}

fn invalid(message: String) -> anyhow::Error {
    Failure {
        code: "invalid",
        message,
        template: None,
        problems: Vec::new(),
    }
    .into()
}

/// A file's lines: split on "\n" (a final line end starts no segment; a "\r" before it is
/// dropped), each valid UTF-8. An empty file is refused: it has no segment at all.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    let name = crate::source_name(path);
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("could not read stdin")?;
        bytes
    } else {
        std::fs::read(path).with_context(|| format!("could not read {name}"))?
    };
    if bytes.is_empty() {
        return Err(invalid(format!(
            "{name} is empty: it needs one segment a line"
        )));
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            String::from_utf8(line.to_vec()).map_err(|e| {
                invalid(format!(
                    "{name}: line {} is not valid UTF-8 (at byte {} of the line)",
                    i + 1,
                    e.utf8_error().valid_up_to() + 1
                ))
            })
        })
        .collect()
}

pub fn score(args: ScoreArgs) -> Result<()> {
    let rouge_kind = args.metric.rouge();
    if args.stem && rouge_kind.is_none() {
        return Err(invalid(format!(
            "--stem applies to the ROUGE metrics only, not to {}",
            args.metric.name()
        )));
    }
    let hyps = read_lines(&args.hyps)?;
    let mut streams = Vec::with_capacity(args.refs.len());
    for path in &args.refs {
        let lines = read_lines(path)?;
        if lines.len() != hyps.len() {
            return Err(invalid(format!(
                "{} has {} lines but {} has {}: every file holds one segment a line",
                crate::source_name(path),
                lines.len(),
                crate::source_name(&args.hyps),
                hyps.len()
            )));
        }
        streams.push(lines);
    }
    let h: Vec<&str> = hyps.iter().map(String::as_str).collect();
    let r: Vec<Vec<&str>> = (0..h.len())
        .map(|i| streams.iter().map(|s| s[i].as_str()).collect())
        .collect();
    let report = compute(args.metric, rouge_kind, args.stem, &h, &r)?;
    if args.json {
        output::json(&report)
    } else {
        output::stdout(|w| {
            writeln!(w, "{}", report.summary)?;
            for (i, line) in report.segment_lines.iter().enumerate() {
                writeln!(w, "{}\t{line}", i + 1)?;
            }
            Ok(())
        })
    }
}

/// What `--json` prints (docs/metrics.md); the text lines ride along, unserialized.
#[derive(Serialize)]
struct Report {
    metric: &'static str,
    matches: &'static str,
    scale: u32,
    corpus_aggregate: &'static str,
    options: Value,
    corpus: Value,
    segments: Vec<Value>,
    #[serde(skip)]
    summary: String,
    #[serde(skip)]
    segment_lines: Vec<String>,
}

fn bleu_value(b: &Bleu) -> Value {
    json!({
        "score": b.score, "counts": b.counts, "totals": b.totals, "precisions": b.precisions,
        "bp": b.bp, "ratio": b.ratio, "sys_len": b.sys_len, "ref_len": b.ref_len,
    })
}

fn rouge_value(r: &Rouge) -> Value {
    json!({"score": r.fmeasure, "precision": r.precision, "recall": r.recall, "fmeasure": r.fmeasure})
}

fn compute(
    metric: Metric,
    rouge_kind: Option<RougeKind>,
    stem: bool,
    h: &[&str],
    r: &[Vec<&str>],
) -> Result<Report> {
    let fail = |e: metrics::MetricError| invalid(e.to_string());
    let name = metric.name();
    let report = match metric {
        Metric::Bleu => {
            let (corpus, segments) = metrics::corpus_bleu_with_segments(h, r).map_err(fail)?;
            let p = corpus.precisions.map(|p| format!("{p:.1}")).join("/");
            Report {
                metric: name,
                matches: "sacreBLEU 2.6.0 (corpus_bleu; sentence_bleu per segment)",
                scale: 100,
                corpus_aggregate: "tool",
                options: json!({"tokenize": "13a", "smooth": "exp", "max_ngram_order": 4}),
                summary: format!(
                    "BLEU {:.2}  ({p}, BP {:.3}, ratio {:.3}, hyp_len {}, ref_len {}; sacreBLEU 2.6.0)",
                    corpus.score, corpus.bp, corpus.ratio, corpus.sys_len, corpus.ref_len
                ),
                corpus: bleu_value(&corpus),
                segment_lines: segments.iter().map(|s| format!("{:.2}", s.score)).collect(),
                segments: segments.iter().map(bleu_value).collect(),
            }
        }
        Metric::Chrf | Metric::ChrfPlusPlus => {
            let pp = metric == Metric::ChrfPlusPlus;
            let (corpus, segments) = metrics::corpus_chrf_with_segments(h, r, pp).map_err(fail)?;
            Report {
                metric: name,
                matches: "sacreBLEU 2.6.0 (corpus_chrf; sentence_chrf per segment)",
                scale: 100,
                corpus_aggregate: "tool",
                options: json!({"char_order": 6, "word_order": if pp { 2 } else { 0 }, "beta": 2}),
                summary: format!(
                    "{} {corpus:.2}  (sacreBLEU 2.6.0)",
                    if pp { "chrF++" } else { "chrF" }
                ),
                corpus: json!({ "score": corpus }),
                segment_lines: segments.iter().map(|s| format!("{s:.2}")).collect(),
                segments: segments.iter().map(|s| json!({ "score": s })).collect(),
            }
        }
        Metric::Rouge1 | Metric::Rouge2 | Metric::RougeL | Metric::RougeLsum => {
            let kind = rouge_kind.expect("a ROUGE metric");
            let (corpus, segments) = metrics::corpus_rouge(kind, h, r, stem).map_err(fail)?;
            let prf = |x: &Rouge| {
                format!(
                    "P {:.4}  R {:.4}  F {:.4}",
                    x.precision, x.recall, x.fmeasure
                )
            };
            Report {
                metric: name,
                matches: "rouge-score 0.1.2 (RougeScorer.score_multi per segment)",
                scale: 1,
                corpus_aggregate: "mean",
                options: json!({ "stem": stem }),
                summary: format!(
                    "{name} {}  (mean of segments, Whetstone's own; segments as rouge-score 0.1.2{})",
                    prf(&corpus),
                    if stem { ", stemmed" } else { "" }
                ),
                corpus: rouge_value(&corpus),
                segment_lines: segments.iter().map(prf).collect(),
                segments: segments.iter().map(rouge_value).collect(),
            }
        }
        Metric::Meteor => {
            let (corpus, segments) = metrics::corpus_meteor(h, r).map_err(fail)?;
            Report {
                metric: name,
                matches: "NLTK 3.10 (meteor_score per segment, str.split() tokens)",
                scale: 1,
                corpus_aggregate: "mean",
                options: json!({"alpha": 0.9, "beta": 3.0, "gamma": 0.5}),
                summary: format!(
                    "METEOR {corpus:.4}  (mean of segments, Whetstone's own; segments as NLTK 3.10)"
                ),
                corpus: json!({ "score": corpus }),
                segment_lines: segments.iter().map(|s| format!("{s:.4}")).collect(),
                segments: segments.iter().map(|s| json!({ "score": s })).collect(),
            }
        }
    };
    Ok(report)
}
