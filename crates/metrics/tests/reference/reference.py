"""Computes every value whetstone-metrics claims to equal, with the reference tools.

Usage: python reference.py INPUT.json OUTPUT.json

INPUT: {"hypotheses": [str], "references": [[str]], "words": [str]}
OUTPUT: the tools' values (see tests/reference.rs, which compares them to Whetstone's).
Needs sacrebleu 2.6.0, rouge-score 0.1.2, nltk 3.10.x and WordNet 3.0 under NLTK_DATA.
"""

import json
import sys
from importlib.metadata import version

import sacrebleu
from nltk.corpus import wordnet
from nltk.stem.porter import PorterStemmer
from nltk.translate.meteor_score import meteor_score
from rouge_score import rouge_scorer

EXPECTED = {"sacrebleu": "2.6.0", "rouge-score": "0.1.2", "nltk": "3.10."}


def check_versions():
    found = {name: version(name) for name in EXPECTED}
    for name, want in EXPECTED.items():
        ok = found[name].startswith(want) if want.endswith(".") else found[name] == want
        if not ok:
            sys.exit(f"{name} {found[name]} is installed; the reference is {want}")
    if wordnet.get_version() != "3.0":
        sys.exit(f"WordNet {wordnet.get_version()} is installed; the reference is 3.0")
    return found


def bleu_dict(b):
    return {
        "score": b.score,
        "counts": list(b.counts),
        "totals": list(b.totals),
        "precisions": list(b.precisions),
        "bp": b.bp,
        "ratio": b.ratio,
        "sys_len": b.sys_len,
        "ref_len": b.ref_len,
    }


def streams(references):
    """sacreBLEU's reference streams: None where a segment has fewer references."""
    width = max(len(r) for r in references)
    return [[r[k] if k < len(r) else None for r in references] for k in range(width)]


def mean(xs):
    return sum(xs) / len(xs)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    hyps, refs = data["hypotheses"], data["references"]
    out = {"versions": check_versions()}

    ref_streams = streams(refs)
    out["bleu"] = {
        "corpus": bleu_dict(sacrebleu.corpus_bleu(hyps, ref_streams)),
        "segments": [bleu_dict(sacrebleu.sentence_bleu(h, r)) for h, r in zip(hyps, refs)],
    }
    for name, word_order in (("chrf", 0), ("chrf++", 2)):
        out[name] = {
            "corpus": sacrebleu.corpus_chrf(hyps, ref_streams, word_order=word_order).score,
            "segments": [
                sacrebleu.sentence_chrf(h, r, word_order=word_order).score
                for h, r in zip(hyps, refs)
            ],
        }

    out["rouge"] = {}
    for kind in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        for stem in (False, True):
            scorer = rouge_scorer.RougeScorer([kind], use_stemmer=stem)
            segs = [scorer.score_multi(r, h)[kind] for h, r in zip(hyps, refs)]
            segs = [[s.precision, s.recall, s.fmeasure] for s in segs]
            out["rouge"][f"{kind}/{'stem' if stem else 'nostem'}"] = {
                "corpus": [mean([s[k] for s in segs]) for k in range(3)],
                "segments": segs,
            }

    meteor = [meteor_score([r.split() for r in rs], h.split()) for h, rs in zip(hyps, refs)]
    out["meteor"] = {"corpus": mean(meteor), "segments": meteor}

    stemmer = PorterStemmer()
    out["stems"] = {w: stemmer.stem(w) for w in data["words"]}

    # WordNet through NLTK: every 10th lemma of the index, every exception form, and the
    # given words; for each, the lemma names without "_" of all its synsets.
    words = set(data["words"])
    words.update(sorted(wordnet.all_lemma_names())[::10])
    for pos in "nvar":
        words.update(wordnet._exception_map[pos])
    out["synonyms"] = {
        w: sorted(
            {l.name() for s in wordnet.synsets(w) for l in s.lemmas() if "_" not in l.name()}
        )
        for w in sorted(words)
    }

    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
