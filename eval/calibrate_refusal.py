"""Choose the refusal thresholds on the blind dev set and the external sets (never on the project's
own questions alone): answerable external questions must not be refused beyond `--max-false`
(XQuAD-th, iApp test), nor answerable blind questions beyond `--max-false-blind`; among the rules that keep that, the one that refuses the most out-of-scope
questions of the domain sets (blind dev, own dev and test), then the fewest in-scope ones, wins.

    python -m eval.calibrate_refusal --index var/index-full --bench-index var/bench [--every 3]

Signals per question: the best dense similarity and the coverage of the question's words in the
top passages (answer/evidence.py), and the answer engine's best sentence score (answer/engine.py).
Prints the current rule's figures, the chosen rule, and the Settings lines to set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from assistant import Assistant, load_settings
from assistant.answer.engine import AnswerEngine
from assistant.answer.evidence import RefusalRule, refusal_rule
from eval import harness

GRID = {
    "min_dense": (0.0, 0.78, 0.80, 0.82, 0.84, 0.86),
    "strong_dense": (0.86, 0.87, 0.88, 0.90, 1.01),
    "min_coverage": (0.0, 0.5, 0.67, 1.0),
    "answer_score": (0.2, 0.3, 0.4, 0.5, 0.6, 1.01),
    "min_answer_score": (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
}


def signals(a: Assistant, questions: list[tuple[str, bool]], name: str) -> list[dict]:
    """Evidence and best sentence score for each (question, in scope) with nothing refused yet."""
    open_engine = AnswerEngine(RefusalRule(0.0, 0.0, 0.0, 0.0, 0.0))
    rows = []
    for q, in_scope in questions:
        r = a.retrieve(a.understand(q))
        ans = open_engine.compose(r)
        rows.append({"set": name, "in_scope": in_scope, "unknown": bool(r.evidence.unknown), "evidence": r.evidence,
                     "score": ans.meta.get("answer_score"), "always": ans.refused})  # no candidates, or no figure
    return rows


def refused(rule: RefusalRule, row: dict) -> bool:
    return row["always"] or rule.refuse(row["evidence"], row["score"])


def figures(rule: RefusalRule, rows: list[dict]) -> dict[str, dict]:
    out = {}
    for name in sorted({r["set"] for r in rows}):
        ins = [r for r in rows if r["set"] == name and r["in_scope"]]
        outs = [r for r in rows if r["set"] == name and not r["in_scope"]]
        out[name] = {"false_refusal": round(sum(refused(rule, r) for r in ins) / max(len(ins), 1), 4), "n_in": len(ins)}
        if outs:
            out[name] |= {"refusal_accuracy": round(sum(refused(rule, r) for r in outs) / len(outs), 4), "n_out": len(outs)}
    return out


def choose(rows: list[dict], max_false: float, external=("xquad-th", "iapp"), max_false_blind: float = 1.0) -> tuple[RefusalRule, dict]:
    domain = [r for r in rows if r["set"] not in external]
    best = None
    for values in itertools.product(*GRID.values()):
        rule = RefusalRule(*values)
        if rule.strong_dense < rule.min_dense:
            continue
        f = figures(rule, rows)
        if any(f[e]["false_refusal"] > max_false for e in external if e in f):
            continue
        if "blind" in f and f["blind"]["false_refusal"] > max_false_blind:
            continue
        outs = [r for r in domain if not r["in_scope"]]
        ins = [r for r in domain if r["in_scope"]]
        oos = sum(refused(rule, r) for r in outs) / max(len(outs), 1)
        fr = sum(refused(rule, r) for r in ins) / max(len(ins), 1)
        # Out-of-scope questions stay refused first; then the fewest in-scope refusals.
        key = (round(oos, 6), -round(fr, 6), -rule.min_dense)
        if best is None or key > best[0]:
            best = (key, rule, f)
    if best is None:
        raise SystemExit(f"no rule keeps false refusals on {', '.join(external)} at or below {max_false} "
                         f"and on the blind set at or below {max_false_blind}")
    return best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.calibrate_refusal", description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="index of corpus/documents + ../shared/corpus")
    ap.add_argument("--bench-index", type=Path, default=Path("var/bench"), help="benchmark indexes (from `make eval`)")
    ap.add_argument("--shared-eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--every", type=int, default=3, help="use every n-th external question (speed)")
    ap.add_argument("--max-false", type=float, default=0.035, help="false refusals allowed on XQuAD-th and iApp")
    ap.add_argument("--max-false-blind", type=float, default=0.05, help="false refusals allowed on the blind dev set")
    args = ap.parse_args(argv)
    rows = []
    for name in ("xquad-th", "iapp"):
        folder, _, query_file = harness.BENCHMARKS[name]
        a = Assistant(load_settings(index_dir=args.bench_index / name))
        if not a.index.info()["chunks"]:
            raise SystemExit(f"{args.bench_index / name}: no index; run `make eval` first")
        qs = [json.loads(x) for x in (args.shared_eval / folder / query_file).read_text(encoding="utf-8").splitlines() if x.strip()]
        rows += signals(a, [(q["question"], True) for q in qs[:: args.every]], name)
    a = Assistant(load_settings(index_dir=args.index))
    for split in ("dev", "test"):
        rows += signals(a, [(q.question, q.in_scope) for q in harness.load_split(split)], f"own-{split}")
    blind = harness.load_questions(args.shared_eval / "domain_dev" / "questions.jsonl", "blind", blind=True)
    rows += signals(a, [(q.question, q.in_scope) for q in blind], "blind")
    current = refusal_rule(a.settings)
    print("current", current, json.dumps(figures(current, rows), ensure_ascii=False))
    rule, f = choose(rows, args.max_false, max_false_blind=args.max_false_blind)
    print("chosen ", rule, json.dumps(f, ensure_ascii=False))
    print(f"Settings: refuse_min_dense={rule.min_dense} refuse_strong_dense={rule.strong_dense} "
          f"refuse_min_coverage={rule.min_coverage} refuse_answer_score={rule.answer_score} "
          f"refuse_min_answer_score={rule.min_answer_score}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
