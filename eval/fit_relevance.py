"""Fit the learned similarity (src/assistant/model/relevance.py) on iApp Wiki QA train questions.

    python -m eval.fit_relevance --index var/index-full --bench-index var/bench

Each question, embedded as the dense search embeds it, meets three passages: the chunk of its own
paragraph nearest to it (answers), the nearest chunk of the policy index (seed + ../shared/corpus:
nothing there answers a Wikipedia question) and the nearest chunk of the Wikipedia index less its
paragraph (neither). A logistic model over the products of question and passage, dimension by
dimension, is their weighted dot product. The questions are those the answerability model is *not*
fitted on (eval/fit_answerability.py takes the first --sample of the same shuffle), so it reads
this similarity as it will meet it on new questions. The L2 penalty is chosen on a fifth of the
questions held out, by the share of policy-index passages refused; XQuAD-th and iApp test are
never read. Writes the weights and eval/reports/<date>-relevance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from pathlib import Path

import numpy as np

from assistant.model.relevance import WEIGHTS_FILE
from eval.fit_answerability import assistant_at, chunks_by_paragraph, ensure_benchmark_index, fit_logistic, folded, probabilities
from eval.harness import read_jsonl
from eval.report import write_fit_report

PENALTIES = (30.0, 300.0, 1000.0, 3000.0, 10000.0)
GROUPS = ("own paragraph", "policy index", "Wikipedia less its paragraph")


def collect(args) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(question vectors, passage vectors, labels, groups), three rows per question."""
    train = read_jsonl(args.shared_eval / "iapp_wiki_qa" / "train_queries.jsonl")
    random.Random(args.seed).shuffle(train)
    train = train[args.skip:]
    bench = ensure_benchmark_index(args.bench_index, args.shared_eval)
    policy = assistant_at(args.index)
    b_ids, b_mat = bench.index.all_vectors()
    _, p_mat = policy.index.all_vectors()
    row_of = {c: i for i, c in enumerate(b_ids)}
    paragraphs = chunks_by_paragraph(bench)
    qs, ps, ys, gs = [], [], [], []
    for q in train:
        own = [row_of[c] for g in q["gold_doc_ids"] for c in paragraphs.get(g, ()) if c in row_of]
        if not own:
            continue
        v = np.asarray(bench.embedder.embed_query_vec(bench.understand(q["question"]).dense_text), dtype=np.float32)
        sims = b_mat @ v
        best_own = own[int(np.argmax(sims[own]))]
        sims[own] = -np.inf
        for p, label, group in ((b_mat[best_own], 1, GROUPS[0]), (p_mat[int(np.argmax(p_mat @ v))], 0, GROUPS[1]),
                                (b_mat[int(np.argmax(sims))], 0, GROUPS[2])):
            qs.append(v)
            ps.append(p)
            ys.append(label)
            gs.append(group)
    return np.array(qs), np.array(ps), np.array(ys, dtype=float), gs


def refused_at(p: np.ndarray, y: np.ndarray, groups: np.ndarray, false_refusal: float) -> dict[str, float]:
    """Each group's share under the cut that refuses `false_refusal` of the positives."""
    cut = np.quantile(p[y == 1], false_refusal)
    return {g: float((p[groups == g] < cut).mean()) for g in GROUPS}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="the policy index (seed + ../shared/corpus)")
    ap.add_argument("--bench-index", type=Path, default=Path("var/bench"), help="where the iApp index is kept or built")
    ap.add_argument("--shared-eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--skip", type=int, default=2000, help="the first questions of the shuffle, left to the answerability fit")
    ap.add_argument("--seed", type=int, default=13, help="the answerability fit's shuffle")
    ap.add_argument("--false-refusal", type=float, default=0.02, help="where held-out penalties are compared")
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = ap.parse_args(argv)

    t = time.perf_counter()
    qv, pv, y, groups = collect(args)
    g = np.array(groups)
    x = qv * pv
    print(f"collected {len(y)} rows ({int(y.sum())} questions) in {time.perf_counter() - t:.0f} s", flush=True)
    questions = np.arange(len(y)) // 3
    held = np.random.default_rng(args.seed).permutation(questions.max() + 1)[: (questions.max() + 1) // 5]
    test = np.isin(questions, held)
    cosine = refused_at(x[test].sum(1), y[test], g[test], args.false_refusal)
    trials = {}
    for l2 in PENALTIES:
        fit = fit_logistic(x[~test], y[~test], l2=l2)
        trials[l2] = refused_at(probabilities(x[test], *fit), y[test], g[test], args.false_refusal)
    # Its job in the answerability model is a topic the index lacks (the policy index's passages);
    # a neighbouring paragraph on the same topic is the word-coverage features' to see. Within
    # 0.005 of the best, the lighter penalty.
    best = max(v[GROUPS[1]] for v in trials.values())
    l2 = min(k for k in PENALTIES if trials[k][GROUPS[1]] >= best - 0.005)
    weights, bias = folded(*fit_logistic(x, y, l2=l2))  # sum_i w_i q_i p_i + bias is the model's log-odds
    fp = assistant_at(args.index).index.model_fingerprint
    args.out.write_text(json.dumps({
        "model": fp, "bias": round(bias, 6), "weights": [round(float(w), 6) for w in weights], "l2": l2,
        "questions": int(y.sum()), "skip": args.skip, "seed": args.seed,
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    cmd = f"python -m eval.fit_relevance --index var/index-full --bench-index var/bench --skip {args.skip} --seed {args.seed}"
    lines = [f"# Learned similarity — {dt.date.today().isoformat()}", "", f"`{cmd}` → `{args.out.name}` (model {fp}).", "",
             f"{int(y.sum())} iApp train questions, each with its own paragraph's nearest chunk (answers), the policy index's",
             "nearest chunk and the Wikipedia index's nearest chunk outside its paragraph (not answers). A fifth of the",
             f"questions held out; each row: the share of each group under the cut that refuses {args.false_refusal:.0%} of the held-out",
             "positives.", "", "| similarity | policy index refused | Wikipedia less its paragraph refused |", "|---|---|---|",
             f"| cosine | {cosine[GROUPS[1]]:.3f} | {cosine[GROUPS[2]]:.3f} |"]
    lines += [f"| weighted, L2 {k:g}{' (chosen)' if k == l2 else ''} | {v[GROUPS[1]]:.3f} | {v[GROUPS[2]]:.3f} |" for k, v in trials.items()]
    path = write_fit_report("relevance", lines)
    print(f"weights: {args.out}\nreport: {path}")


if __name__ == "__main__":
    main()
