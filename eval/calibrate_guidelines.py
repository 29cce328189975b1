"""Calibrate the guideline tagger on labelled chunks (`eval/guideline_labels.jsonl`): sweep the
keyword weight and the threshold, report precision/recall, check the choice two-fold.

    python -m eval.calibrate_guidelines --score   # figures in docs/guidelines.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from assistant.knowledge.guidelines import (
    KEYWORD_WEIGHT, GuidelineSet, guideline_vectors, load, score_matrix, tags_from_scores,
)

LABELS_FILE = Path(__file__).resolve().parent / "guideline_labels.jsonl"
WEIGHTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1)
THRESHOLDS = np.arange(0.80, 0.95, 0.0025)

def read_labels(path: Path = LABELS_FILE) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def prf(pred: list[list[int]], gold: list[list[int]], numbers: list[int]) -> dict:
    tp = sum(len(set(p) & set(g)) for p, g in zip(pred, gold))
    fp = sum(len(set(p) - set(g)) for p, g in zip(pred, gold))
    fn = sum(len(set(g) - set(p)) for p, g in zip(pred, gold))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    per = {}
    for n in numbers:
        t = sum(1 for a, b in zip(pred, gold) if n in a and n in b)
        f_p = sum(1 for a, b in zip(pred, gold) if n in a and n not in b)
        f_n = sum(1 for a, b in zip(pred, gold) if n not in a and n in b)
        per[n] = {"precision": round(t / (t + f_p), 3) if t + f_p else None,
                  "recall": round(t / (t + f_n), 3) if t + f_n else None, "gold": t + f_n}
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "per_guideline": per}


def score_labels(embedder, labels: list[dict], gset: GuidelineSet | None = None) -> dict:
    """Embed the labelled chunk texts the way the index does (title + text, passage prompt), sweep
    (keyword weight, threshold) and report precision/recall; the chosen point maximises micro F1
    on the labels (a small set: expect a few points of optimism)."""
    gset = gset or load()
    texts = [f"{r.get('title', '')[:100]}\n{r['text']}" for r in labels]
    vecs = np.asarray(embedder.embed_passages(texts), np.float32)
    gvecs = guideline_vectors(embedder, gset)
    gold = [sorted(r["guidelines"]) for r in labels]
    nums = gset.numbers
    texts_only = [r["text"] for r in labels]
    per_w = {w: score_matrix(vecs, texts_only, gvecs, gset, w) for w in WEIGHTS}

    def sweep(idx: list[int]) -> list[dict]:
        out = []
        for w, (scores, _, names) in per_w.items():
            sc, nm, gd = scores[idx], [names[i] for i in idx], [gold[i] for i in idx]
            for t in THRESHOLDS:
                m = prf(tags_from_scores(sc, nm, gset, float(t)), gd, nums)
                out.append({"keyword_weight": w, "threshold": round(float(t), 4), **{k: m[k] for k in ("precision", "recall", "f1")}})
        return out

    def pick(rows: list[dict]) -> dict:
        return max(rows, key=lambda r: (r["f1"], r["precision"]))

    everything = list(range(len(labels)))
    rows = sweep(everything)
    best = pick(rows)
    # two-fold check of the choice: pick on one half, measure on the other
    folds = [everything[0::2], everything[1::2]]
    held = []
    for a, b in ((0, 1), (1, 0)):
        p_ = pick(sweep(folds[a]))
        scores, _, names = per_w[p_["keyword_weight"]]
        idx = folds[b]
        m = prf(tags_from_scores(scores[idx], [names[i] for i in idx], gset, p_["threshold"]), [gold[i] for i in idx], nums)
        held.append({"chosen_on_other_half": {k: p_[k] for k in ("keyword_weight", "threshold")},
                     **{k: m[k] for k in ("precision", "recall", "f1")}})
    scores, cos, names = score_matrix(vecs, [r["text"] for r in labels], gvecs, gset, best["keyword_weight"])
    chosen = prf(tags_from_scores(scores, names, gset, best["threshold"]), gold, nums)
    dense_only = max((r for r in rows if r["keyword_weight"] == 0.0), key=lambda r: (r["f1"], r["precision"]))
    # keywords alone: a tag for any keyword hit (or a named guideline)
    kw_scores, _, _ = score_matrix(np.zeros_like(vecs), [r["text"] for r in labels], gvecs, gset, 1.0)
    kw_only = prf(tags_from_scores(kw_scores, names, gset, 0.5), gold, nums)
    return {"labels": len(labels), "label_pairs": sum(len(g) for g in gold), "chosen": best, "metrics": chosen,
            "held_out": held,
            "dense_only": dense_only, "keywords_only": {k: kw_only[k] for k in ("precision", "recall", "f1")},
            "sweep": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.calibrate_guidelines", description=__doc__.split("\n")[0])
    ap.add_argument("--score", action="store_true", help="precision/recall of the tagger on eval/guideline_labels.jsonl")
    ap.add_argument("--labels", type=Path, default=LABELS_FILE)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    gset = load()
    if not args.score:
        for g in gset:
            print(f"แนวทางที่ {g.number}: {g.title}")
        return 0
    from assistant.config import load_settings
    from assistant.model.embedding import embedder_for

    s = load_settings()
    emb = embedder_for(s)
    rep = score_labels(emb, read_labels(args.labels), gset)
    if args.json:
        print(json.dumps({k: v for k, v in rep.items() if k != "sweep"}, ensure_ascii=False, indent=1))
        return 0
    c, m = rep["chosen"], rep["metrics"]
    print(f"labels: {rep['labels']} chunks, {rep['label_pairs']} chunk→guideline pairs ({args.labels})")
    print(f"chosen: threshold {c['threshold']}, keyword weight {c['keyword_weight']} "
          f"(configured: threshold {s.guideline_threshold}, keyword weight {KEYWORD_WEIGHT})")
    print(f"precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})")
    d = rep["dense_only"]
    print(f"embedding only (best threshold {d['threshold']}): precision {d['precision']:.3f} recall {d['recall']:.3f} F1 {d['f1']:.3f}")
    for h in rep["held_out"]:
        c2 = h["chosen_on_other_half"]
        print(f"two-fold (chosen on the other half: threshold {c2['threshold']}, weight {c2['keyword_weight']}): "
              f"precision {h['precision']:.3f} recall {h['recall']:.3f} F1 {h['f1']:.3f}")
    k = rep["keywords_only"]
    print(f"keywords only: precision {k['precision']:.3f} recall {k['recall']:.3f} F1 {k['f1']:.3f}")
    print("per guideline (precision / recall / gold):")
    for n, v in m["per_guideline"].items():
        print(f"  {n:>2}: {v['precision']} / {v['recall']} / {v['gold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
