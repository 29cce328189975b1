"""The ten policy guidelines (แนวทางที่ 1–10) of the seed as first-class knowledge.

`corpus/guidelines.yaml` holds them (the seed's titles; the descriptions are the project's summary).
Every chunk of an index is tagged with the guidelines it relates to:

    score(chunk, g) = cosine(chunk vector from Chroma, embed_query(title + description of g))
                      + keyword_weight × min(keyword hits of g in the chunk's tokens, 2)
    tag g  when  score ≥ threshold (Settings.guideline_threshold), or the chunk names
                 "แนวทางที่ g" itself

The threshold and weight were chosen on `eval/guideline_labels.jsonl` (`python -m
assistant.knowledge.guidelines --score`, figures in docs/guidelines.md).

Tags are derived data per index generation, like the keyword index: ingestion is not touched, the
tags of generation G are computed lazily the first time a reader needs them and cached in
`<index>/guideline_tags-<G>.json`; every write bumps the generation, so the next reader recomputes.
For every reader this is the same as tagging at ingest.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from assistant.knowledge.data import shipped
from assistant.schema import Answer, Retrieval
from assistant.text.thai import fold_digits, index_tokens

CACHE_PREFIX = "guideline_tags-"
KEYWORD_WEIGHT = 0.05  # per keyword hit, at most 2 hits counted (chosen with the threshold)
MAX_HITS = 2
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


def load(path: Path | None = None) -> GuidelineSet:
    """The guidelines file (Settings.guidelines_file); None → the shipped corpus/guidelines.yaml."""
    path = path or shipped("guidelines.yaml")
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
            from assistant.store.index import passage_text

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
        """Guidelines the first `top` of the given passages touch (rank_tags)."""
        return rank_tags(self.state()[1], chunk_ids[:top])


def rank_tags(tags: dict[str, list[int]], chunk_ids: list[str]) -> list[int]:
    """Guidelines tagged on at least one of the passages, ordered by how many of them carry the
    tag, then by number."""
    count: dict[int, int] = {}
    for cid in chunk_ids:
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


# A line names at most this many guidelines: an answer about more (the seed's list of ten, an
# overview passage) is about no one guideline, and the line would only repeat the list.
LINE_MOST = 2
# A tag the line may name: its score this far above the tagging threshold, or the passage names the
# guideline itself. Tags just over the threshold are the tagger's guesses (precision ≈ 0.8 overall);
# on the demo index's example answers this drops the meeting paragraph's 10 (+0.011) and the
# municipal duties' 7 (+0.010) and keeps the older-persons and disability sections' 6 (+0.035, +0.083).
CONFIDENT_MARGIN = 0.025


def cited_chunks(retrieval: Retrieval, ans: Answer) -> list[str]:
    """Chunk ids of the passages an answer cites, in citation order (a citation quotes part of a
    ranked passage or of a neighbour read with it)."""
    pool = list(retrieval.hits) + [h for near in retrieval.context.values() for h in near]
    pool += [h for part in retrieval.parts for h in part.hits]  # a part may cite beyond the merged top k
    out: list[str] = []
    for c in ans.citations:
        h = next((h for h in pool if h.doc_id == c.doc_id and c.text and c.text in h.text), None)
        if h is not None and h.chunk_id not in out:
            out.append(h.chunk_id)
    return out


def line_guidelines(retrieval: Retrieval, ans: Answer) -> list[int]:
    """The guidelines an answer's last line names: those the question names (one or two), else
    the confident tags of the passages it cites, when they come to one or two. A passage tagged
    with more than two is an overview and counts for none; a passage not cited counts for none."""
    nums = list(retrieval.plan.guidelines)
    if nums:
        return sorted(nums) if len(nums) <= LINE_MOST else []
    tags = retrieval.tags or {}
    margins = retrieval.tag_margins or {}
    texts = {h.chunk_id: h.text for h in retrieval.hits}
    found: set[int] = set()
    for cid in cited_chunks(retrieval, ans):
        mine = tags.get(cid, [])
        if not mine or len(mine) > LINE_MOST:
            continue
        says = named(texts.get(cid, ""), mine)
        found |= {g for g in mine if g in says or margins.get(cid, {}).get(g, -1.0) >= CONFIDENT_MARGIN}
    return sorted(found) if len(found) <= LINE_MOST else []


def note_guidelines(retrieval: Retrieval, ans: Answer, line: bool) -> Answer:
    """Which guidelines an answer touches: those the question names, else the tags of the cited
    passages (at most 3), into meta["guidelines"]; with `line`, a last line of the answer
    ("เกี่ยวข้องกับแนวทางที่ 7 และ 8") only where it informs (line_guidelines). Nothing when the
    retrieval carries no tags."""
    if ans.refused or retrieval.tags is None:
        return ans
    nums = list(retrieval.plan.guidelines)
    if not nums:
        ids = cited_chunks(retrieval, ans) or [h.chunk_id for h in ans.hits[:3]]
        nums = rank_tags(retrieval.tags, ids)[:3]
    ans.meta["guidelines"] = nums
    shown = line_guidelines(retrieval, ans) if line else []
    if shown:
        ans.answer = ans.answer.rstrip("\n") + "\n" + touches_line(shown)
    return ans
