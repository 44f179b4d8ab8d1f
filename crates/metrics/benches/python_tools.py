"""Times the reference tools on the corpus benches/metrics.rs writes, the same work the
bench does: corpus + per-segment BLEU and chrF (sacreBLEU), ROUGE-1/2/L/Lsum stemmed
(rouge-score), METEOR (NLTK, str.split() tokens).

Usage: NLTK_DATA=... python benches/python_tools.py target/tmp/metrics-bench-corpus.json
"""

import json
import sys
import time

import sacrebleu
from nltk.translate.meteor_score import meteor_score
from rouge_score import rouge_scorer


def streams(references):
    width = max(len(r) for r in references)
    return [[r[k] if k < len(r) else None for r in references] for k in range(width)]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    hyps, refs = data["hypotheses"], data["references"]
    ref_streams = streams(refs)
    # Load WordNet before timing, as the Rust bench's warm-up does.
    meteor_score([["warm", "up"]], ["warm"])

    def bleu():
        sacrebleu.corpus_bleu(hyps, ref_streams)
        for h, r in zip(hyps, refs):
            sacrebleu.sentence_bleu(h, r)

    def chrf():
        sacrebleu.corpus_chrf(hyps, ref_streams)
        for h, r in zip(hyps, refs):
            sacrebleu.sentence_chrf(h, r)

    def rouge():
        scorer = rouge_scorer.RougeScorer(
            ["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True
        )
        for h, r in zip(hyps, refs):
            scorer.score_multi(r, h)

    def meteor():
        for h, r in zip(hyps, refs):
            meteor_score([x.split() for x in r], h.split())

    total = 0.0
    for name, fn in (("bleu", bleu), ("chrf", chrf), ("rouge", rouge), ("meteor", meteor)):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        total += took
        print(f"{name:8} {took:8.3f} s  ({len(hyps)} segments)")
    print(f"{'all':8} {total:8.3f} s")


if __name__ == "__main__":
    main()
