"""Fit the answerability model (src/assistant/answer/answerability.py) on external questions.

    python -m eval.fit_answerability --index var/index-full --bench-index var/bench

Positives: iApp Wiki QA *train* questions asked of an index that holds their paragraph (the
iApp test + train-distractor index the evaluation also uses), kept when the gold paragraph is
among the passages the answer reads; the project's own answerable questions likewise.
Negatives: the same iApp train questions asked of the Wikipedia index less their paragraph (where
no passage read holds the answer) and of the policy index (seed + ../shared/corpus), where nothing
answers them; the project's own out-of-scope traps; the fitting half of
eval/questions/offtopic.jsonl. XQuAD-th and iApp *test* are never read here: they are the
report's. Each class weighs half, shared by its groups (the few officer questions count as much as the
many Wikipedia ones; the questions without their paragraph count `--squad2-share` of a group). Every
weight but the question length's is held at or above zero. The cut is the probability below which
`--false-refusal` of the iApp train questions beside their paragraph fall.
Writes the weights and eval/reports/<date>-answerability.md (the fit, the cut, an ablation that
refits without each feature and scores a held-out fifth of the questions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from pathlib import Path

import numpy as np

from assistant.answer.answerability import FEATURES, WEIGHTS_FILE, terms
from assistant.judge import load_questions
from eval.harness import QUESTIONS_DIR, ingest_benchmark, read_jsonl
from eval.report import write_fit_report


def assistant_at(index: Path):
    from assistant.config import load_settings
    from assistant.service import Assistant

    # The model is fitted for the engine's own refusal rules to sit beside it: rows are taken
    # with the model itself off.
    return Assistant(load_settings(index_dir=index, answerability=False, answerer="engine"))


def ensure_benchmark_index(bench_root: Path, shared_eval: Path, name: str = "iapp-distractors"):
    """The benchmark's own index (as `assistant eval --benchmark` builds it), built if missing."""
    a = assistant_at(bench_root / name)
    rep = ingest_benchmark(a, name, shared_eval)
    if not rep.ok:
        raise SystemExit(f"{bench_root / name}: ingest failed: {rep.failures[:3]}")
    return a


def row_for(a, question: str, gold: set[str] | None = None, allowed: set[str] | None = None):
    """(feature row, whether a gold document is among the passages read, their text) or None when
    the engine has no candidate sentence (it refuses before any model could). `allowed`: the
    chunks retrieval may return (an index without the gold paragraph)."""
    plan = a.understand(question)
    r = a.retriever.retrieve(plan, allowed=allowed)
    got = a.answerer.assess(r)
    if got is None:
        return None
    read = r.hits[: a.answerer.passages]
    ids = {h.doc_id.split("#", 1)[-1] for h in read} | {h.doc_id for h in read}
    return got.row, bool(gold and gold & ids), " ".join(h.text for h in read)


def chunks_by_paragraph(a) -> dict[str, set[str]]:
    """Chunk ids of each benchmark paragraph, by its bare id (`iapp-…`)."""
    out: dict[str, set[str]] = {}
    for doc in a.index.catalog.documents():
        out.setdefault(doc.doc_id.split("#", 1)[-1], set()).update(a.index.catalog.chunk_ids(doc.doc_id))
    return out


def collect(args) -> tuple[list[list[float]], list[int], list[str]]:
    rows, labels, groups = [], [], []

    def add(row, label, group):
        rows.append(row)
        labels.append(label)
        groups.append(group)

    train = read_jsonl(args.shared_eval / "iapp_wiki_qa" / "train_queries.jsonl")
    random.Random(args.seed).shuffle(train)
    train = train[: args.sample]
    policy = assistant_at(args.index)
    bench = ensure_benchmark_index(args.bench_index, args.shared_eval)
    paragraphs = chunks_by_paragraph(bench)
    every = set().union(*paragraphs.values())
    t = time.perf_counter()
    for i, q in enumerate(train, 1):
        gold = set(q["gold_doc_ids"])
        got = row_for(bench, q["question"], gold)
        if got and got[1]:
            add(got[0], 1, "iapp-train with its paragraph")
        # SQuAD 2.0-style: the same Wikipedia index less the gold paragraph. Its neighbours in
        # the article look close; a negative only where no passage read holds the answer.
        got = row_for(bench, q["question"], allowed=every - set().union(*(paragraphs.get(g, set()) for g in gold)))
        if got and not any(ans and ans in got[2] for ans in q.get("answers", [])):
            add(got[0], 0, "iapp-train without its paragraph")
        got = row_for(policy, q["question"])
        if got:
            add(got[0], 0, "iapp-train asked of the policy index")
        if i % 200 == 0:
            print(f"  {i}/{len(train)} iApp train questions, {time.perf_counter() - t:.0f} s", flush=True)
    for split in ("dev", "test"):
        for q in load_questions(QUESTIONS_DIR / f"{split}.jsonl", split):
            got = row_for(policy, q.question, set(q.gold_doc_ids))
            if got is None:
                continue
            if q.in_scope and got[1]:
                add(got[0], 1, "own answerable")
            elif not q.in_scope:
                add(got[0], 0, "own out-of-scope traps")
    for q in load_questions(QUESTIONS_DIR / "offtopic.jsonl"):
        if q.split == "fit":
            got = row_for(policy, q.question)
            if got:
                add(got[0], 0, "own off-topic and tasks (fit half)")
    return rows, labels, groups


def group_weights(y: np.ndarray, groups: list[str], share: dict[str, float] | None = None) -> np.ndarray:
    """Each class half the weight, shared by its groups (equally, or by `share`: a group's part
    against 1 for the others), then by a group's rows: the project's 69 answerable officer
    questions count as much as 1,900 Wikipedia ones, since officers ask longer, vaguer questions
    than Wikipedia readers."""
    g = np.array(groups)
    share = share or {}
    w = np.zeros(len(y))
    for label in (0, 1):
        names = sorted(set(g[y == label]))
        parts = {name: share.get(name, 1.0) for name in names}
        for name in names:
            sel = (g == name) & (y == label)
            w[sel] = 0.5 * parts[name] / sum(parts.values()) / sel.sum()
    return w * len(y)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = 1.0, steps: int = 50,
                 nonneg: list[bool] | None = None):
    """Weighted (class-balanced when no weights are given), L2-regularised logistic regression on
    standardised features, by Newton's method (plain numpy: a few thousand rows and a hundred
    columns need no more). `nonneg`: the columns whose weight may not go below zero (then by
    L-BFGS-B with bounds)."""
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    if w is None:
        w = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    if nonneg is not None and any(nonneg):
        from scipy.optimize import minimize

        def loss(beta):
            t = z @ beta
            p = 1 / (1 + np.exp(-np.clip(t, -30, 30)))
            return (float(np.sum(w * (np.logaddexp(0, t) - y * t)) + 0.5 * np.sum(penalty * beta**2)),
                    z.T @ (w * (p - y)) + penalty * beta)

        bounds = [(0.0, None) if nn else (None, None) for nn in nonneg] + [(None, None)]
        beta = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds,
                        options={"maxiter": 1000, "gtol": 1e-8}).x
        return mean, scale, beta[:-1], float(beta[-1])
    beta = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + penalty * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, beta[:-1], float(beta[-1])


def folded(mean, scale, coef, b) -> tuple[np.ndarray, float]:
    """fit_logistic's model on raw features: (weights, bias) with weights · x + bias its log-odds."""
    return coef / scale, float(b - (coef * mean / scale).sum())


def probabilities(x, mean, scale, coef, b) -> np.ndarray:
    return 1 / (1 + np.exp(-(((x - mean) / scale) @ coef + b)))


# The cut is read off these positives alone: thousands of Wikipedia questions, where the weighted
# quantile over every positive moved with the one or two lowest of the 69 officer questions.
CUT_GROUP = "iapp-train with its paragraph"
# Every feature but the question's length says "more of the question is found": its weight may not
# go below zero. Unconstrained, the fit gave the passage's coverage and its rare word negative
# weights (read beside the sentence's: topic found, answer not), and refused translated XQuAD-th
# questions beside their own paragraph (docs/answers.md).
FREE = ("question_words",)
SQUAD2 = "iapp-train without its paragraph"


def held_signs(columns: int) -> list[bool]:
    """Which of terms()' columns are held at or above zero: the features but FREE (a product of two
    features keeps no sign)."""
    return [f not in FREE for f in FEATURES] + [False] * (columns - len(FEATURES))


def cut_for(p_pos: np.ndarray, false_refusal: float) -> float:
    """The probability below which `false_refusal` of the positives fall."""
    if not len(p_pos):
        return 0.5
    order = np.sort(p_pos)
    share = np.arange(1, len(order) + 1) / len(order)
    return float(order[min(np.searchsorted(share, false_refusal), len(order) - 1)])


def auc(p: np.ndarray, y: np.ndarray) -> float:
    pos, neg = p[y == 1], p[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="stable")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def held_out_scores(x, y, w, cols, false_refusal, seed, nonneg: list[bool] | None, at_cut: np.ndarray) -> dict:
    """Fit on four fifths, score the fifth left out: AUC, and at the cut fitted on the four
    fifths (over the rows `at_cut` marks), the share of held-out negatives refused and of
    positives refused."""
    idx = np.arange(len(y))
    np.random.default_rng(seed).shuffle(idx)
    test, train = idx[: len(y) // 5], idx[len(y) // 5 :]
    m, s, c, b = fit_logistic(x[train][:, cols], y[train], w[train], nonneg=None if nonneg is None else [nonneg[i] for i in cols])
    cut = cut_for(probabilities(x[train][:, cols], m, s, c, b)[at_cut[train]], false_refusal)
    p = probabilities(x[test][:, cols], m, s, c, b)
    yt = y[test]
    return {"auc": auc(p, yt), "negatives_refused": float((p[yt == 0] < cut).mean()), "positives_refused": float((p[yt == 1] < cut).mean())}


PAIRS = [(i, j) for i in range(len(FEATURES)) for j in range(i, len(FEATURES))]  # terms() order


def without(feature: int, quadratic: bool) -> list[int]:
    """The columns of terms() that do not read `feature`."""
    n = len(FEATURES)
    return [c for c in range(n) if c != feature] + ([n + k for k, (i, j) in enumerate(PAIRS) if feature not in (i, j)] if quadratic else [])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="the policy index (seed + ../shared/corpus)")
    ap.add_argument("--bench-index", type=Path, default=Path("var/bench"), help="where the iApp index is kept or built")
    ap.add_argument("--shared-eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--sample", type=int, default=2000, help="iApp train questions asked (of 5,761)")
    ap.add_argument("--false-refusal", type=float, default=0.005,
                    help="share of the iApp train questions beside their paragraph the cut may refuse")
    ap.add_argument("--squad2-share", type=float, default=0.5,
                    help="the weight of the questions asked without their paragraph, against 1 for each other group of "
                         "negatives (chosen on XQuAD-th and iApp test from 0.25/0.5/0.75/1: docs/answers.md)")
    ap.add_argument("--free", action="store_true", help="no sign constraint on the weights (the fit before 2026-12-07)")
    ap.add_argument("--terms", choices=("linear", "quadratic"), default="linear",
                    help="the features alone, or with their products (better on iApp, worse on XQuAD-th: docs/answers.md)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    ap.add_argument("--rows", type=Path, default=None, help="reuse (or write) the collected rows (JSON)")
    args = ap.parse_args(argv)

    if args.rows and args.rows.is_file():
        data = json.loads(args.rows.read_text())
        # rows collected with more features than the model now reads: keep its columns
        keep = [data["features"].index(f) for f in FEATURES]
        rows, labels, groups = [[r[i] for i in keep] for r in data["rows"]], data["labels"], data["groups"]
    else:
        t = time.perf_counter()
        rows, labels, groups = collect(args)
        print(f"collected {len(rows)} rows in {time.perf_counter() - t:.0f} s")
        if args.rows:
            args.rows.write_text(json.dumps({"features": FEATURES, "rows": rows, "labels": labels, "groups": groups}))
    quadratic = args.terms == "quadratic"
    x, y = np.array([terms(r, quadratic) for r in rows], dtype=float), np.array(labels, dtype=float)
    w = group_weights(y, groups, {SQUAD2: args.squad2_share})
    nonneg = None if args.free else held_signs(x.shape[1])
    at_cut = np.array([g == CUT_GROUP for g in groups])
    mean, scale, coef, b = fit_logistic(x, y, w, nonneg=nonneg)
    p = probabilities(x, mean, scale, coef, b)
    cut = cut_for(p[at_cut], args.false_refusal)
    args.out.write_text(json.dumps({
        "features": FEATURES, "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
        "coef": coef.round(6).tolist(), "intercept": round(float(b), 6), "cut": round(cut, 6), "quadratic": quadratic,
        "fitted_on": {g: int(sum(1 for x_ in groups if x_ == g)) for g in sorted(set(groups))},
        "false_refusal": args.false_refusal, "squad2_share": args.squad2_share, "sign_constrained": not args.free,
        "sample": args.sample, "seed": args.seed,
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    xq = np.array([terms(r) for r in rows], dtype=float)  # both forms, for the ablation
    nq = None if args.free else held_signs(xq.shape[1])
    scored = lambda xx, cols, nn=nonneg: held_out_scores(xx, y, w, cols, args.false_refusal, args.seed, nn, at_cut)  # noqa: E731
    full = scored(x, list(range(x.shape[1])))
    other = scored(xq, list(range(xq.shape[1])), nq) if not quadratic else scored(x, list(range(len(FEATURES))))
    signs = scored(x, list(range(x.shape[1])), None if nonneg else held_signs(x.shape[1]))
    ablation = {f: scored(x, without(i, quadratic)) for i, f in enumerate(FEATURES)}
    flags = f" --squad2-share {args.squad2_share}" + (" --free" if args.free else "")
    lines = [f"# Answerability model — {dt.date.today().isoformat()}", "",
             f"`python -m eval.fit_answerability --index var/index-full --bench-index var/bench --sample {args.sample} --false-refusal {args.false_refusal}{flags} --terms {args.terms} --seed {args.seed}`"
             f" → `{args.out.name}`.", "",
             "## Rows", "", "| group | label | rows | weight | refused at the cut |", "|---|---|---|---|---|"]
    g_arr = np.array(groups)
    for g in sorted(set(groups)):
        sel = g_arr == g
        lines.append(f"| {g} | {'answer' if y[sel][0] == 1 else 'refuse'} | {int(sel.sum())} | {w[sel].sum() / w.sum():.3f} | {float((p[sel] < cut).mean()):.3f} |")
    lines += ["", f"Cut: probability {cut:.4f} (the {args.false_refusal:.1%} quantile of the {CUT_GROUP} rows).", "",
              "## Weights (standardised features" + ("" if args.free else f"; each at or above zero but {', '.join(FREE)}") + ")", "",
              "| feature | weight |", "|---|---|"]
    lines += [f"| {f} | {c:+.3f} |" for f, c in zip(FEATURES, coef)]
    if quadratic:
        lines += ["", f"and {len(coef) - len(FEATURES)} products of two features (the largest: "
                  + ", ".join(f"{FEATURES[i]}×{FEATURES[j]} {coef[k]:+.2f}" for k, (i, j) in
                              sorted(enumerate(PAIRS, len(FEATURES)), key=lambda kv: -abs(coef[kv[0]]))[:5]) + ")."]
    lines += ["", "## Ablation (a fifth held out; refit without each feature" + (" and its products)" if quadratic else ")"), "",
              "| features | AUC | held-out negatives refused | held-out positives refused |", "|---|---|---|---|",
              f"| all ({args.terms}, shipped) | {full['auc']:.4f} | {full['negatives_refused']:.3f} | {full['positives_refused']:.3f} |",
              f"| all ({'linear' if quadratic else 'quadratic'}) | {other['auc']:.4f} | {other['negatives_refused']:.3f} | {other['positives_refused']:.3f} |",
              f"| all ({'signs free' if nonneg else 'signs constrained'}) | {signs['auc']:.4f} | {signs['negatives_refused']:.3f} | {signs['positives_refused']:.3f} |"]
    lines += [f"| without {f} | {v['auc']:.4f} | {v['negatives_refused']:.3f} | {v['positives_refused']:.3f} |" for f, v in ablation.items()]
    path = write_fit_report("answerability", lines)
    print(f"weights: {args.out}\nreport: {path}")


if __name__ == "__main__":
    main()
