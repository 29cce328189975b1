"""Choose the support threshold of the answer verifier on labelled (sentence, passage) pairs
(`eval/questions/support_pairs.jsonl`) and print precision/recall per split (docs/llm.md).

    python -m eval.calibrate_support [PAIRS.jsonl] [--embedding]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from assistant.answer.verify import DEFAULT_MIN_SUPPORT, SupportChecker

PAIRS_FILE = Path(__file__).resolve().parent / "questions" / "support_pairs.jsonl"

def load_pairs(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def pr(pairs: list[dict], threshold: float) -> dict:
    """Precision/recall of 'verified' against the labels at one threshold."""
    tp = fp = fn = tn = 0
    for p in pairs:
        s, why = SupportChecker(threshold).score(p["sentence"], [p["passage"]])
        pred = not why
        if pred and p["supported"]:
            tp += 1
        elif pred:
            fp += 1
        elif p["supported"]:
            fn += 1
        else:
            tn += 1
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": round(prec, 3), "recall": round(rec, 3)}


def choose_threshold(pairs: list[dict], min_precision: float = 0.95) -> dict:
    """The lowest threshold whose precision reaches `min_precision` (the most recall at that
    precision); a wrong sentence shown as verified costs more than a right one dropped."""
    grid = [round(x * 0.05, 2) for x in range(4, 21)]
    rows = [pr(pairs, t) for t in grid]
    ok = [r for r in rows if r["precision"] >= min_precision]
    best = max(ok, key=lambda r: (r["recall"], -r["threshold"])) if ok else max(rows, key=lambda r: r["precision"])
    return {"chosen": best, "grid": rows}


def by_kind(pairs: list[dict], threshold: float) -> dict[str, list[int]]:
    """{kind: [right, total]} at a threshold: which kinds of sentence the check gets wrong."""
    out: dict[str, list[int]] = {}
    checker = SupportChecker(threshold)
    for p in pairs:
        kind = ("+" if p["supported"] else "-") + p["kind"].split(":")[0]
        ok = (not checker.score(p["sentence"], [p["passage"]])[1]) == p["supported"]
        row = out.setdefault(kind, [0, 0])
        row[0] += ok
        row[1] += 1
    return dict(sorted(out.items()))


def embedding_report(pairs: list[dict], threshold: float) -> None:
    """Cosine of (sentence, passage) under the project's embedding model, alone and as a second
    condition after the lexical check (docs/llm.md: it does not earn its place)."""

    from assistant.config import load_settings
    from assistant.model.embedding import embedder_for

    s = load_settings()
    emb = embedder_for(s)
    texts = sorted({p["passage"] for p in pairs})
    pv = dict(zip(texts, emb.embed_passages(texts)))
    sv = emb.embed_passages([p["sentence"] for p in pairs])
    cos = np.array([float(sv[i] @ pv[p["passage"]]) for i, p in enumerate(pairs)])
    y = np.array([p["supported"] for p in pairs])
    checker = SupportChecker(threshold)
    lex = np.array([not checker.score(p["sentence"], [p["passage"]])[1] for p in pairs])

    def row(pred):
        tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
        return f"P {tp / max(tp + fp, 1):.3f} R {tp / max(tp + fn, 1):.3f} (fp {fp}, fn {fn})"

    print(f"embedding cosine: supported mean {cos[y].mean():.3f}, unsupported mean {cos[~y].mean():.3f}")
    for t in (0.85, 0.86, 0.87, 0.88, 0.89, 0.90):
        print(f"  cosine >= {t:.2f}: {row(cos >= t)}   lexical AND cosine >= {t:.2f}: {row(lex & (cos >= t))}")
    print(f"  lexical alone at {threshold:.2f}: {row(lex)}")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0]) if args else PAIRS_FILE
    pairs = load_pairs(path)
    dev = [p for p in pairs if p.get("split") == "dev"]
    test = [p for p in pairs if p.get("split") == "test"]
    res = choose_threshold(dev)
    t = res["chosen"]["threshold"]
    splits = ", ".join(f"{k} {sum(p.get('split') == k for p in pairs)}" for k in sorted({p.get("split") for p in pairs}))
    print(f"pairs: {len(pairs)} ({splits}); supported {sum(p['supported'] for p in pairs)}")
    print("threshold  precision  recall   (dev)")
    for r in res["grid"]:
        print(f"  {r['threshold']:.2f}      {r['precision']:.3f}    {r['recall']:.3f}")
    print(f"chosen on dev: {t:.2f} → dev {json.dumps(pr(dev, t))}")
    print(f"               test {json.dumps(pr(test, t))}")
    for split in sorted({p.get("split") for p in pairs} - {"dev", "test"}):
        print(f"               {split} {json.dumps(pr([p for p in pairs if p.get('split') == split], t))}")
    print(f"default {DEFAULT_MIN_SUPPORT:.2f} on all pairs: {json.dumps(pr(pairs, DEFAULT_MIN_SUPPORT))}")
    print("right/total by kind (+ supported, - not):")
    for kind, (ok, n) in by_kind(pairs, DEFAULT_MIN_SUPPORT).items():
        print(f"  {kind:16s} {ok}/{n}")
    if "--embedding" in argv:
        embedding_report(pairs, DEFAULT_MIN_SUPPORT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
