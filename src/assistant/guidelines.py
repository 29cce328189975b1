"""The ten policy guidelines (แนวทางที่ 1–10) of the seed as first-class knowledge.

`corpus/guidelines.yaml` holds them (the seed's titles; the descriptions are the project's summary).
Every chunk of an index is tagged with the guidelines it relates to:

    score(chunk, g) = cosine(chunk vector from Chroma, embed_query(title + description of g))
                      + keyword_weight × min(keyword hits of g in the chunk's tokens, 2)
    tag g  when  score ≥ threshold (Settings.guideline_threshold), or the chunk names
                 "แนวทางที่ g" itself

The threshold and weight were chosen on `eval/guideline_labels.jsonl` (`python -m
assistant.guidelines --score`, figures in docs/guidelines.md).

Tags are derived data per index generation, like the keyword index: ingestion is not touched, the
tags of generation G are computed lazily the first time a reader needs them and cached in
`<index>/guideline_tags-<G>.json`; every write bumps the generation, so the next reader recomputes.
For every reader this is the same as tagging at ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from assistant.thai import fold_digits, index_tokens

ROOT = Path(__file__).resolve().parents[2]
GUIDELINES_FILE = ROOT / "corpus" / "guidelines.yaml"
LABELS_FILE = ROOT / "eval" / "guideline_labels.jsonl"
CACHE_PREFIX = "guideline_tags-"
KEYWORD_WEIGHT = 0.05  # per keyword hit, at most 2 hits counted (chosen with the threshold)
MAX_HITS = 2
WEIGHTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1)
THRESHOLDS = np.arange(0.80, 0.95, 0.0025)
_NAMED = re.compile(r"แนวทางที่\s*(\d{1,2})(?!\d)")


@dataclass(frozen=True)
class Guideline:
    number: int
    title: str
    short: str
    description: str
    keywords: tuple[str, ...]
    summary_by_project: bool = True

    @property
    def query_text(self) -> str:
        return f"แนวทางที่ {self.number} {self.title} {self.description}"


@dataclass
class GuidelineSet:
    guidelines: list[Guideline]
    summary_label: str = "สรุปโดยโครงการ (ไม่ใช่ข้อความทางการ)"
    source: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.guidelines)

    def __len__(self):
        return len(self.guidelines)

    def get(self, number: int) -> Guideline | None:
        return next((g for g in self.guidelines if g.number == number), None)

    @property
    def numbers(self) -> list[int]:
        return [g.number for g in self.guidelines]


def load(path: Path = GUIDELINES_FILE) -> GuidelineSet:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    gs = [
        Guideline(
            number=int(g["number"]), title=str(g["title"]).strip(), short=str(g.get("short", "")).strip(),
            description=" ".join(str(g.get("description", "")).split()),
            keywords=tuple(str(k).strip() for k in g.get("keywords", []) if str(k).strip()),
            summary_by_project=bool(g.get("summary_by_project", True)),
        )
        for g in data.get("guidelines", [])
    ]
    return GuidelineSet(sorted(gs, key=lambda g: g.number), str(data.get("summary_label") or GuidelineSet.summary_label),
                        dict(data.get("source") or {}))


# ---------------------------------------------------------------- scoring


def keyword_runs(gset: GuidelineSet) -> dict[int, list[tuple[str, ...]]]:
    """Each guideline's keywords as token runs (the same tokenizer as the keyword index)."""
    out = {}
    for g in gset:
        runs = {tuple(index_tokens(k)) for k in g.keywords}
        out[g.number] = sorted(r for r in runs if r)
    return out


def keyword_hits(tokens: list[str], runs: list[tuple[str, ...]]) -> int:
    """How many of the keyword runs occur (as contiguous tokens) in `tokens`."""
    hits = 0
    for run in runs:
        n = len(run)
        first = run[0]
        for i, t in enumerate(tokens):
            if t == first and tuple(tokens[i : i + n]) == run:
                hits += 1
                break
    return hits


def named(text: str, numbers: list[int]) -> set[int]:
    """Guidelines a text names itself ("แนวทางที่ 7")."""
    return {int(m.group(1)) for m in _NAMED.finditer(fold_digits(text)) if int(m.group(1)) in numbers}


def score_matrix(chunk_vecs: np.ndarray, texts: list[str], guide_vecs: np.ndarray, gset: GuidelineSet,
                 keyword_weight: float = KEYWORD_WEIGHT) -> tuple[np.ndarray, np.ndarray, list[set[int]]]:
    """(combined scores [chunks × guidelines], cosines, guidelines each text names)."""
    runs = keyword_runs(gset)
    cos = chunk_vecs @ guide_vecs.T if len(chunk_vecs) else np.zeros((0, len(gset)), np.float32)
    hits = np.zeros_like(cos)
    nums = gset.numbers
    names = []
    for i, text in enumerate(texts):
        toks = index_tokens(text)
        for j, g in enumerate(gset):
            hits[i, j] = min(keyword_hits(toks, runs[g.number]), MAX_HITS)
        names.append(named(text, nums))
    return cos + keyword_weight * hits, cos, names


def tags_from_scores(scores: np.ndarray, names: list[set[int]], gset: GuidelineSet, threshold: float) -> list[list[int]]:
    nums = gset.numbers
    out = []
    for i in range(scores.shape[0]):
        tags = {nums[j] for j in range(len(nums)) if scores[i, j] >= threshold} | names[i]
        out.append(sorted(tags))
    return out


def guideline_vectors(embedder, gset: GuidelineSet) -> np.ndarray:
    return np.stack([np.asarray(embedder.embed_query_vec(g.query_text), np.float32) for g in gset])


# ---------------------------------------------------------------- per index generation


class GuidelineTags:
    """Tags of every chunk of an index, for its current generation (cached on disk)."""

    def __init__(self, index, embedder, threshold: float, gset: GuidelineSet | None = None,
                 keyword_weight: float = KEYWORD_WEIGHT):
        self.index = index
        self.embedder = embedder
        self.threshold = threshold
        self.keyword_weight = keyword_weight
        self.gset = gset or load()
        self._lock = threading.Lock()
        self._state: tuple[int, dict[str, list[int]], dict[str, dict[int, float]]] | None = None

    def _cache_path(self, gen: int) -> Path:
        return Path(self.index.root) / f"{CACHE_PREFIX}{gen}.json"

    def _signature(self) -> str:
        import hashlib

        raw = json.dumps([[g.number, g.query_text, g.keywords] for g in self.gset], ensure_ascii=False)
        return hashlib.sha1(f"{raw}|{self.threshold}|{self.keyword_weight}".encode()).hexdigest()[:12]

    def state(self) -> tuple[int, dict[str, list[int]], dict[str, dict[int, float]]]:
        """(generation, chunk id → guideline numbers, chunk id → {guideline: score} for tagged ones)."""
        gen = self.index.generation
        st = self._state
        if st is not None and st[0] == gen:
            return st
        with self._lock:
            if self._state is not None and self._state[0] == gen:
                return self._state
            path = self._cache_path(gen)
            sig = self._signature()
            data = None
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("signature") != sig or data.get("generation") != gen:
                    data = None
            except (OSError, ValueError):
                data = None
            if data is None:
                data = self._compute(gen, sig)
                self._save(self._cache_path(data["generation"]), data)
            tags = {cid: v for cid, v in data["tags"].items()}
            scores = {cid: {int(k): s for k, s in v.items()} for cid, v in data["scores"].items()}
            self._state = (data["generation"], tags, scores)
            return self._state

    def _compute(self, gen: int, sig: str) -> dict:
        with self.index.reading():  # one catalog state: its generation and its chunks
            gen = self.index.generation
            ids = self.index.catalog.chunk_ids()
            chunks = self.index.chunks(ids)
        ids = [c for c in ids if c in chunks]
        fresh = getattr(self.index, "_fresh_vectors", None)
        if fresh:  # another process may have written since this Chroma client opened
            fresh()
        vecs = self.index.vectors.get_vectors(ids) if ids else {}
        missing = [c for c in ids if c not in vecs]
        if missing:  # a vector Chroma lacks (doctor would report it): embed it the way ingest does
            from assistant.index import passage_text

            for cid, v in zip(missing, self.embedder.embed_passages([passage_text(chunks[c]) for c in missing])):
                vecs[cid] = np.asarray(v, np.float32)
        mat = np.stack([vecs[c] for c in ids]) if ids else np.zeros((0, 1), np.float32)
        gvecs = guideline_vectors(self.embedder, self.gset)
        scores, _, names = score_matrix(mat, [chunks[c].text for c in ids], gvecs, self.gset, self.keyword_weight)
        tags = tags_from_scores(scores, names, self.gset, self.threshold)
        nums = self.gset.numbers
        return {
            "generation": gen,
            "signature": sig,
            "threshold": self.threshold,
            "tags": {cid: t for cid, t in zip(ids, tags)},
            "scores": {cid: {str(g): round(float(scores[i, nums.index(g)]), 4) for g in t}
                       for i, (cid, t) in enumerate(zip(ids, tags)) if t},
        }

    def _save(self, path: Path, data: dict) -> None:
        try:
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
            for old in path.parent.glob(f"{CACHE_PREFIX}*.json"):  # keep this generation and the one before
                try:
                    g = int(old.stem[len(CACHE_PREFIX):])
                except ValueError:
                    continue
                if g < data["generation"] - 1:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only index still answers from memory

    # -------------------------------------------------------------- queries
    def of(self, chunk_id: str) -> list[int]:
        return self.state()[1].get(chunk_id, [])

    def chunks_for(self, number: int) -> set[str]:
        return {cid for cid, t in self.state()[1].items() if number in t}

    def passages(self, number: int, limit: int = 30, per_doc: int = 3) -> list[dict]:
        """The passages tagged with a guideline, best first, at most `per_doc` per document."""
        _, tags, scores = self.state()
        ranked = sorted((cid for cid, t in tags.items() if number in t), key=lambda c: (-scores.get(c, {}).get(number, 0.0), c))
        chunks = self.index.chunks(ranked[: max(limit * 10, 200)])
        out, per = [], {}
        for cid in ranked:
            ch = chunks.get(cid)
            if ch is None or per.get(ch.doc_id, 0) >= per_doc:
                continue
            per[ch.doc_id] = per.get(ch.doc_id, 0) + 1
            out.append({"chunk_id": cid, "doc_id": ch.doc_id, "title": ch.title, "location": ch.location,
                        "text": ch.text, "score": scores.get(cid, {}).get(number, 0.0), "guidelines": tags[cid]})
            if len(out) == limit:
                break
        return out

    def counts(self) -> dict[int, int]:
        tags = self.state()[1]
        return {g: sum(1 for t in tags.values() if g in t) for g in self.gset.numbers}

    def for_hits(self, chunk_ids: list[str], top: int = 3) -> list[int]:
        """Guidelines the given passages touch: those tagged on at least one of the first `top`
        passages, ordered by how many of them carry the tag, then by number."""
        tags = self.state()[1]
        count: dict[int, int] = {}
        for cid in chunk_ids[:top]:
            for g in tags.get(cid, []):
                count[g] = count.get(g, 0) + 1
        return sorted(count, key=lambda g: (-count[g], g))


def touches_line(numbers: list[int]) -> str:
    """Thai: "เกี่ยวข้องกับแนวทางที่ 7 และ 8"."""
    if not numbers:
        return ""
    nums = sorted(numbers)
    if len(nums) == 1:
        return f"เกี่ยวข้องกับแนวทางที่ {nums[0]}"
    return "เกี่ยวข้องกับแนวทางที่ " + ", ".join(str(n) for n in nums[:-1]) + f" และ {nums[-1]}"


# ---------------------------------------------------------------- scorer


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
    ap = argparse.ArgumentParser(prog="python -m assistant.guidelines", description=__doc__.split("\n")[0])
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
    from assistant.embedding import embedder_for

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
