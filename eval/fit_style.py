"""Fit the question-style model (src/assistant/model/style.py): does a message ask what a document says?

    python -m eval.fit_style --index var/index-full

Questions a document answers: every iApp Wiki QA train question (5,761) and the project's own
answerable questions (dev, test, multipart). Requests it does not: the fitting half of the
project's off-topic and task list (eval/questions/offtopic.jsonl). Each is embedded as the dense
search embeds it; a logistic model over the vector, each class half the weight (iApp and own
questions a quarter each). The L2 penalty and the cut are chosen by five-fold cross-fitting: the
share of requests refused at the cut that refuses 0.2 % of the iApp and of the own answerable
questions (stricter than the answerability model's 0.5 %: this refusal never reads the evidence).
The held half of the off-topic list, XQuAD-th and iApp test are never read.

A message under the cut is refused as a request (answer/engine.py). Writes the weights and the
cut, and eval/reports/<date>-style.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np

from assistant.model.style import WEIGHTS_FILE
from eval.fit_answerability import assistant_at, fit_logistic, folded, group_weights
from eval.harness import QUESTIONS_DIR, read_jsonl
from eval.report import write_fit_report

PENALTIES = (1.0, 10.0, 100.0, 1000.0)
FOLDS = 5


def collect(args) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """(vectors, labels, groups, model fingerprint); groups: iapp-train, own answerable or a request
    kind."""
    questions, labels, groups = [], [], []
    for q in read_jsonl(args.shared_eval / "iapp_wiki_qa" / "train_queries.jsonl"):
        questions.append(q["question"]), labels.append(1), groups.append("iapp-train")
    for split in ("dev", "test", "multipart"):
        for q in read_jsonl(QUESTIONS_DIR / f"{split}.jsonl"):
            if q.get("gold_doc_ids"):
                questions.append(q["question"]), labels.append(1), groups.append("own answerable")
    for q in read_jsonl(QUESTIONS_DIR / "offtopic.jsonl"):
        if q["split"] == "fit":
            questions.append(q["question"]), labels.append(0), groups.append(q["request"])
    a = assistant_at(args.index)
    vectors = a.embedder.embed_queries([a.understand(q).dense_text for q in questions])
    return np.asarray(vectors, dtype=float), np.array(labels, dtype=float), groups, a.index.model_fingerprint


def log_odds(x: np.ndarray, mean, scale, coef, b) -> np.ndarray:
    return ((x - mean) / scale) @ coef + b


def cut_of(z: np.ndarray, groups: np.ndarray, false_refusal: float) -> float:
    """Below it, at most `false_refusal` of the iApp questions and of the own answerable ones."""
    return min(float(np.quantile(z[groups == g], false_refusal)) for g in ("iapp-train", "own answerable"))


def cross_fitted(x, y, groups, w, l2: float, seed: int) -> np.ndarray:
    """Each question's log-odds from the model fitted on the other folds (folds within each group)."""
    fold = np.zeros(len(y), dtype=int)
    rng = np.random.default_rng(seed)
    for g in sorted(set(groups)):
        idx = np.flatnonzero(groups == g)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % FOLDS
    z = np.zeros(len(y))
    for k in range(FOLDS):
        test = fold == k
        z[test] = log_odds(x[test], *fit_logistic(x[~test], y[~test], w[~test], l2=l2))
    return z


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="the policy index (its model embeds the questions)")
    ap.add_argument("--shared-eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--false-refusal", type=float, default=0.002,
                    help="share of the iApp and of the own answerable questions under the cut (the penalty is chosen there)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = ap.parse_args(argv)

    t = time.perf_counter()
    x, y, groups, fp = collect(args)
    g = np.array(groups)
    # each class half; the questions' half shared by iApp and own, the requests' by every row
    w = group_weights(y, [k if label else "request" for k, label in zip(groups, y)])
    print(f"embedded {len(y)} questions in {time.perf_counter() - t:.0f} s", flush=True)
    trials = {}
    for l2 in PENALTIES:
        z = cross_fitted(x, y, g, w, l2, args.seed)
        trials[l2] = (z, cut_of(z, g, args.false_refusal))
    refused = {l2: float((z[y == 0] < cut).mean()) for l2, (z, cut) in trials.items()}
    l2 = max(PENALTIES, key=lambda k: (refused[k], k))  # ties: the heavier penalty
    z, cut = trials[l2]
    weights, bias = folded(*fit_logistic(x, y, w, l2=l2))
    args.out.write_text(json.dumps({
        "model": fp, "bias": round(bias, 6), "weights": [round(float(v), 6) for v in weights], "cut": round(cut, 6), "l2": l2,
        "fitted_on": {k: int((g == k).sum()) for k in sorted(set(groups))}, "seed": args.seed,
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    kinds = sorted(set(groups) - {"iapp-train", "own answerable"})
    lines = [f"# Question style — {dt.date.today().isoformat()}", "",
             f"`python -m eval.fit_style --index var/index-full --false-refusal {args.false_refusal} --seed {args.seed}` → `{args.out.name}` (model {fp}).", "",
             f"{int(y.sum())} questions a document answers ({int((g == 'iapp-train').sum())} iApp train, {int((g == 'own answerable').sum())} own answerable) "
             f"against {int((y == 0).sum())} requests (the off-topic list's fitting half). Five-fold cross-fitted; each row: the share",
             f"of each group under the cut that refuses {args.false_refusal:.1%} of the iApp and of the own answerable questions. The model",
             f"ships with the chosen penalty's cut ({cut:.3f}): a message under it is refused as a request.", "",
             "| L2 | requests refused | " + " | ".join(kinds) + " | iApp train refused | own answerable refused |",
             "|---|---|" + "---|" * len(kinds) + "---|---|"]
    for k, (zk, ck) in trials.items():
        lines.append(f"| {k:g}{' (chosen)' if k == l2 else ''} | {refused[k]:.3f} | "
                     + " | ".join(f"{float((zk[g == kind] < ck).mean()):.2f}" for kind in kinds)
                     + f" | {float((zk[g == 'iapp-train'] < ck).mean()):.3f} | {float((zk[g == 'own answerable'] < ck).mean()):.3f} |")
    path = write_fit_report("style", lines)
    print(f"weights: {args.out}\nreport: {path}")


if __name__ == "__main__":
    main()
