"""Fit the answer engine's sentence scorer on the iApp Wiki QA *train* split, and write its weights
to `src/assistant/answer/scorer.json` (a small text file shipped with the package).

    python -m eval.fit_answer_scorer [--shared-eval ../shared/eval] [--out PATH] [--ablation]

Candidates are shaped like the engine's: the sentences of the top three BM25 paragraphs for each
question over the 1,523 train contexts (the gold paragraph and its strongest distractors), ranked
in BM25 order; a sentence is positive when it holds a gold answer. Test splits are never read
here. `--ablation` refits with each feature left out and prints top-1 accuracy on a held-out fifth.
Deterministic: the same data gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from assistant.answer.engine import WEIGHTS_FILE, question_tokens
from assistant.answer.features import FEATURES, Candidate, features, tokens
from assistant.query.qtype import analyse
from assistant.text.thai import answer_sentences, fold_digits


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", fold_digits(s))


def build(shared_eval: Path, top: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, group): one row per candidate sentence, group = question number."""
    import bm25s

    base = shared_eval / "iapp_wiki_qa"
    docs = [json.loads(x) for x in (base / "train_corpus_distractors.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    queries = [json.loads(x) for x in (base / "train_queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    ids = [d["doc_id"] for d in docs]
    retriever = bm25s.BM25()
    retriever.index([list(tokens(d["text"])) for d in docs], show_progress=False)
    sents = {}
    X, y, group = [], [], []
    for qn, q in enumerate(queries):
        qt = analyse(q["question"])
        q_tokens = question_tokens(q["question"])
        got, scores = retriever.retrieve([list(tokens(q["question"])) or ["?"]], k=top, show_progress=False)
        answers = [_norm(a) for a in q["answers"] if a.strip()]
        best = float(scores[0][0]) or 1.0
        for rank, (di, sc) in enumerate(zip(got[0], scores[0])):
            d = docs[int(di)]
            if d["doc_id"] not in sents:
                sents[d["doc_id"]] = [s for s in answer_sentences(d["text"]) if len(s) >= 12]
            ss = sents[d["doc_id"]]
            for pos, s in enumerate(ss):
                c = Candidate(s, rank, float(rank), pos, ss[pos - 1] if pos else "", float(sc) / best)
                X.append(features(qt, q_tokens, q["question"], c))
                y.append(any(a in _norm(s) for a in answers))
                group.append(qn)
    del ids
    return np.asarray(X, float), np.asarray(y, bool), np.asarray(group, int)


def fit(X: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((X - mean) / scale, y)
    return {"coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]), "mean": mean.tolist(), "scale": scale.tolist()}


def top1(w: dict, X: np.ndarray, y: np.ndarray, group: np.ndarray, cols: list[int] | None = None) -> float:
    """Share of questions whose best-scored sentence holds the answer."""
    cols = cols if cols is not None else list(range(X.shape[1]))
    z = ((X[:, cols] - np.asarray(w["mean"])) / np.asarray(w["scale"])) @ np.asarray(w["coef"]) + w["intercept"]
    hit, n = 0, 0
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        hit += bool(y[idx[np.argmax(z[idx])]])
        n += 1
    return hit / max(n, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.fit_answer_scorer", description=__doc__.split("\n")[0])
    ap.add_argument("--shared-eval", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "eval")
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    ap.add_argument("--ablation", action="store_true", help="refit without each feature; top-1 on a held-out fifth")
    args = ap.parse_args(argv)
    X, y, group = build(args.shared_eval)
    print(f"{len(np.unique(group))} questions, {len(y)} candidate sentences, {int(y.sum())} hold an answer")
    held = group % 5 == 0
    w = fit(X[~held], y[~held])
    print(f"top-1 on the held-out fifth: {top1(w, X[held], y[held], group[held]):.3f}")
    if args.ablation:
        for i, name in enumerate(FEATURES):
            cols = [j for j in range(X.shape[1]) if j != i]
            wi = fit(X[~held][:, cols], y[~held])
            print(f"  without {name:12s} {top1(wi, X[held], y[held], group[held], cols):.3f}")
    final = fit(X, y)
    out = {"features": list(FEATURES), **final, "trained_on": "iapp_wiki_qa/train_queries.jsonl (top-3 BM25 paragraphs)",
           "questions": int(len(np.unique(group))), "sentences": int(len(y))}
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("weights:", ", ".join(f"{n} {c:+.2f}" for n, c in zip(FEATURES, final["coef"])))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
