"""Situations told as facts → the Criminal Code article that governs them (`../shared/eval/thai_legal_tscc`,
961 Supreme Court cases, evaluation only). One index document per article; section-level scores as
that set's README defines them (NitiBench): HR@k (any gold article among the first k distinct
articles), Multi-HR@10 (all of them in the top 10), Recall@10, MRR@10; on the first half (q-1 … q-480,
where settings may be chosen) and on the rest, reported apart."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.retrieve.rankers import RANKERS
from eval import metrics as M

FOLDER = "thai_legal_tscc"
CHOOSE = 480  # questions q-1 … q-480 choose; the rest only report


def articles_file(shared_eval: Path, root: Path) -> Path:
    """The Code's articles as one JSONL document each, written beside the benchmark's index (never
    into the project)."""
    code = json.loads((shared_eval / FOLDER / "criminal_code.json").read_text(encoding="utf-8"))
    rows = [{"id": a["id"], "title": f"ประมวลกฎหมายอาญา {a['id']}", "text": a["text"]} for law in code for a in law["articles"]]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "tscc-articles.jsonl"
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if not path.is_file() or path.read_text(encoding="utf-8") != body:
        path.write_text(body, encoding="utf-8")
    return path


def scores(ranked: list[list[str]], gold: list[set[str]]) -> dict:
    out = {f"HR@{k}": M.mean(1.0 if set(r[:k]) & g else 0.0 for r, g in zip(ranked, gold)) for k in (1, 5, 10)}
    out["Multi-HR@10"] = M.mean(1.0 if g <= set(r[:10]) else 0.0 for r, g in zip(ranked, gold))
    out["Recall@10"] = M.mean(len(g & set(r[:10])) / len(g) for r, g in zip(ranked, gold))
    out["MRR@10"] = M.mean(next((1.0 / i for i, a in enumerate(r[:10], 1) if a in g), 0.0) for r, g in zip(ranked, gold))
    return {k: round(v, 4) for k, v in out.items()}


def run(assistant, shared_eval: Path, limit: int | None = None, methods=tuple(RANKERS), tick=None) -> dict:
    """`assistant` must have its own index (the articles are ingested into it)."""
    from ingest.pipeline import ingest

    s = assistant.settings
    t = time.perf_counter()
    report = ingest([articles_file(shared_eval, s.index_dir.parent / "tscc-source")], assistant.index,
                    assistant.embedder.embed_passages, assistant.embedder.count_tokens, chunk_tokens=s.chunk_tokens,
                    overlap=s.chunk_overlap_sentences)
    ingest_s = round(time.perf_counter() - t, 1)
    questions = json.loads((shared_eval / FOLDER / "questions.json").read_text(encoding="utf-8"))[:limit]
    gold = [{a["article_id"] for a in q["relevant_articles"]} for q in questions]
    half = [int(q["question_id"].split("-")[1]) <= CHOOSE for q in questions]
    out = {"questions": len(questions), "articles": report.documents, "ingest_s": ingest_s, "methods": {}}
    ranked: dict[str, list[list[str]]] = {m: [] for m in methods}
    for q in questions:
        for m in methods:
            hits = assistant.search(q["text"], k=30, method=m)
            ranked[m].append(M.doc_level([h.doc_id.split("#", 1)[-1] for h in hits]))
        if tick:
            tick()
    for m, rs in ranked.items():
        out["methods"][m] = {
            name: scores([r for r, h in zip(rs, half) if h == first], [g for g, h in zip(gold, half) if h == first])
            for name, first in (("choose", True), ("report", False)) if any(h == first for h in half)
        }
    return out
