"""Learned fusion measured against the shipped weighted RRF (issue: keep it only if it wins on the
blind dev set *and* on iApp test + distractors).

    python -m eval.fit_fusion --index var/index-full --bench-index var/bench [--every 2]

A logistic model over each candidate's dense and BM25 scores and ranks (and whether both lists hold
it) is fitted on iApp Wiki QA *train* questions (`train_queries.jsonl`, every n-th) retrieved from the
iApp test + distractors index (its 1,523 train contexts are the distractors); a candidate is positive
when it comes from the gold paragraph. The fitted ranker then replaces RRF inside the same retriever
(guidance preference, per-document cap and the rest unchanged) on the blind dev set and on iApp test.
Nothing is written to the package: the shipped default stays RRF unless this prints a win on both.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from assistant import Assistant, load_settings
from assistant.retrieve import rankers as R
from eval import metrics as M
from eval.harness import load_questions

FEATURES = ("dense_score", "dense_rank", "bm25_share", "bm25_rank", "in_both", "rrf")


def candidate_features(ctx, plan, n: int) -> tuple[list[str], np.ndarray, dict]:
    """Chunk ids, one row of FEATURES each, and the two base lists (for the hit's part scores)."""
    dense = R.RANKERS["dense"](ctx, plan, n).items
    bm25 = R.RANKERS["bm25"](ctx, plan, n).items
    d_at = {c: (i, s) for i, (c, s) in enumerate(dense)}
    b_at = {c: (i, s) for i, (c, s) in enumerate(bm25)}
    b_max = max((s for _, s in bm25), default=1.0) or 1.0
    d_min = min((s for _, s in dense), default=0.0)
    ids = list(dict.fromkeys([c for c, _ in dense] + [c for c, _ in bm25]))
    rows = []
    for c in ids:
        di, ds = d_at.get(c, (n, d_min - 0.01))
        bi, bs = b_at.get(c, (n, 0.0))
        rows.append([ds, math.log1p(di), bs / b_max, math.log1p(bi), float(c in d_at and c in b_at),
                     1 / (61 + di) + 0.5 / (61 + bi)])
    return ids, np.asarray(rows, float).reshape(-1, len(FEATURES)), {"dense": dense, "bm25": bm25}


def fit(X: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=3000).fit((X - mean) / scale, y)
    return {"coef": model.coef_[0], "intercept": float(model.intercept_[0]), "mean": mean, "scale": scale}


def learned_ranker(w: dict):
    def rank(ctx, plan, n):
        ids, X, parts = candidate_features(ctx, plan, n)
        if not ids:
            return R.Ranked([], parts)
        z = ((X - w["mean"]) / w["scale"]) @ w["coef"] + w["intercept"]
        p = 1.0 / (1.0 + np.exp(-z))  # positive, as RRF scores are: the retriever adds shares of the top score
        return R.Ranked(sorted(zip(ids, p.tolist()), key=lambda kv: (-kv[1], kv[0]))[:n], parts)

    return rank


def train_rows(a: Assistant, queries: list[dict], n: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = [], []
    ctx = a.retriever.context
    for q in queries:
        ids, F, _ = candidate_features(ctx, a.understanding.plan(q["question"]), n)
        chunks = a.index.chunks(ids)
        gold = set(q["gold_doc_ids"])
        for c, f in zip(ids, F):
            if c in chunks:
                X.append(f)
                y.append(chunks[c].doc_id.split("#", 1)[-1] in gold)
    return np.asarray(X), np.asarray(y)


def blind_scores(a: Assistant, path: Path, method: str) -> dict:
    qs = [q for q in load_questions(path, "blind", blind=True) if q.in_scope]
    rows = []
    for q in qs:
        hits = a.retriever.retrieve(a.understanding.plan(q.question), k=10, method=method).hits
        rows.append([M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence, True) for h in hits])
    return {"R@5": M.mean(M.recall_at(x, 5) for x in rows), "MRR@10": M.mean(M.mrr_at(x, 10) for x in rows)}


def iapp_r1(a: Assistant, queries: list[dict], method: str) -> float:
    out = []
    for q in queries:
        hits = a.retriever.retrieve(a.understanding.plan(q["question"]), k=10, method=method).hits
        docs = M.doc_level([h.doc_id.split("#", 1)[-1] for h in hits])
        out.append(M.recall_at([d in set(q["gold_doc_ids"]) for d in docs], 1))
    return M.mean(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.fit_fusion", description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="index of corpus/documents + ../shared/corpus")
    ap.add_argument("--bench-index", type=Path, default=Path("var/bench"), help="benchmark indexes (from `make eval`)")
    ap.add_argument("--shared-eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--every", type=int, default=2, help="use every n-th training question (speed)")
    args = ap.parse_args(argv)
    base = args.shared_eval / "iapp_wiki_qa"
    read = lambda p: [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]  # noqa: E731
    iapp = Assistant(load_settings(index_dir=args.bench_index / "iapp-distractors"))
    if not iapp.index.info()["chunks"]:
        raise SystemExit(f"{args.bench_index / 'iapp-distractors'}: no index; run `make eval` first")
    n = iapp.settings.candidates
    X, y = train_rows(iapp, read(base / "train_queries.jsonl")[:: args.every], n)
    w = fit(X, y)
    print(f"fitted on {len(y)} candidates ({int(y.sum())} gold) of iApp train; weights:",
          ", ".join(f"{f} {c:+.2f}" for f, c in zip(FEATURES, w["coef"])))
    R.RANKERS["learned"] = learned_ranker(w)  # this process only: the shipped table is unchanged
    try:
        domain = Assistant(load_settings(index_dir=args.index))
        test = read(base / "test_queries.jsonl")
        print("| ranker | blind R@5 | blind MRR@10 | iApp test + distractors R@1 |\n|---|---|---|---|")
        for method in ("hybrid", "learned"):
            b = blind_scores(domain, args.shared_eval / "domain_dev" / "questions.jsonl", method)
            print(f"| {method} | {b['R@5']:.3f} | {b['MRR@10']:.3f} | {iapp_r1(iapp, test, method):.3f} |")
    finally:
        R.RANKERS.pop("learned", None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
