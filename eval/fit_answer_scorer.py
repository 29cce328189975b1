"""Fit the answer engine's sentence scorer on the iApp Wiki QA *train* split, and write its weights
to `src/assistant/answer/scorer.json` (a small text file shipped with the package).

    python -m eval.fit_answer_scorer [--shared-eval ../shared/eval] [--out PATH] [--ablation]

Candidates are shaped like the engine's: the sentences of the top three BM25 paragraphs for each
question over the 1,523 train contexts (the gold paragraph and its strongest distractors), ranked
in BM25 order; a sentence is positive when it holds a gold answer. The model is fitted to pick,
within each question, the sentence that answers (a conditional logit): held-out top-1 0.690 where
a pointwise logistic fit on the same features reaches 0.624. Test splits are never read here.
`--ablation` refits with each feature left out and prints top-1 accuracy on a held-out fifth.
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
        got, scores = retriever.retrieve([list(tokens(q["question"])) or ["?"]], k=top + 3, show_progress=False)
        # equal scores (to float noise that depends on the order of a set inside bm25s) in paragraph
        # order, so every run trains on the same candidates
        ranked = sorted(zip(got[0].tolist(), scores[0].tolist()), key=lambda x: (-round(x[1], 6), x[0]))[:top]
        answers = [_norm(a) for a in q["answers"] if a.strip()]
        best = float(ranked[0][1]) or 1.0
        for rank, (di, sc) in enumerate(ranked):
            d = docs[int(di)]
            if d["doc_id"] not in sents:
                sents[d["doc_id"]] = [s for s in answer_sentences(d["text"]) if len(s) >= 12]
            ss = sents[d["doc_id"]]
            for pos, s in enumerate(ss):
                c = Candidate.at(ss, pos, rank, float(rank), float(sc) / best)
                X.append(features(qt, q_tokens, q["question"], c))
                y.append(any(a in _norm(s) for a in answers))
                group.append(qn)
    del ids
    return np.asarray(X, float), np.asarray(y, bool), np.asarray(group, int)


def fit(X: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float = 10.0) -> dict:
    """A conditional logit: the weights that make a question's answer sentence the likeliest of
    *its* candidates (a softmax within each question, L2 `l2`), rather than a pointwise model of
    "holds an answer" over all sentences: what the engine does is pick within a question. The
    scores are then put on a probability scale (Platt: a one-feature logistic fit on them), since
    the refusal rule and the support ratio read them as probabilities."""
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    g = np.unique(group, return_inverse=True)[1]
    answered = np.bincount(g, weights=y.astype(float)) > 0  # a question none of whose sentences answers teaches nothing
    keep = answered[g]
    Zk, yk, gk = Z[keep], y[keep].astype(float), np.unique(g[keep], return_inverse=True)[1]
    n = gk.max() + 1

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = Zk @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, gk, s)
        e = np.exp(s - top[gk])
        every = np.bincount(gk, weights=e, minlength=n)
        right = np.bincount(gk, weights=e * yk, minlength=n)
        ll = np.log(right) - np.log(every)
        grad = Zk.T @ (e * yk / right[gk] - e / every[gk])
        return -ll.sum() + l2 * w @ w / 2, -grad + l2 * w

    # converged tightly: the optimum is unique (L2), so the same data gives the same weights
    w = minimize(loss, np.zeros(Z.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 10000, "ftol": 1e-14, "gtol": 1e-9}).x
    platt = LogisticRegression(C=1.0, max_iter=1000).fit((Z @ w)[:, None], y)
    a = float(platt.coef_[0][0])
    return {"coef": (a * w).tolist(), "intercept": float(platt.intercept_[0]), "mean": mean.tolist(), "scale": scale.tolist()}


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
    w = fit(X[~held], y[~held], group[~held])
    print(f"top-1 on the held-out fifth: {top1(w, X[held], y[held], group[held]):.3f}")
    if args.ablation:
        for i, name in enumerate(FEATURES):
            cols = [j for j in range(X.shape[1]) if j != i]
            wi = fit(X[~held][:, cols], y[~held], group[~held])
            print(f"  without {name:12s} {top1(wi, X[held], y[held], group[held], cols):.3f}")
    final = fit(X, y, group)
    # the optimiser ends within ~1e-6 of the optimum, run to run: four decimals reproduce exactly
    final = {"coef": [round(c, 4) for c in final["coef"]], "intercept": round(final["intercept"], 4),
             "mean": [round(m, 6) for m in final["mean"]], "scale": [round(v, 6) for v in final["scale"]]}
    out = {"features": list(FEATURES), **final, "model": "conditional logit (softmax within a question), Platt-scaled", "trained_on": "iapp_wiki_qa/train_queries.jsonl (top-3 BM25 paragraphs)",
           "questions": int(len(np.unique(group))), "sentences": int(len(y))}
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("weights:", ", ".join(f"{n} {c:+.2f}" for n, c in zip(FEATURES, final["coef"])))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
