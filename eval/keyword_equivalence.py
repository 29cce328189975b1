"""Does Tantivy rank like bm25s? Keyword rankings of both backends over existing indexes.

    python -m eval.keyword_equivalence --index var/index-full --bench-index var/bench \
        [--limit 50] [--hybrid] [--report eval/reports/DATE-keyword-equivalence.md]

For each set (the blind dev set over --index; XQuAD-th and iApp + distractors over their
benchmark indexes under --bench-index) the Tantivy index is built from the catalog's stored
tokens into a scratch folder (the indexes themselves are only read), every question is planned
as the assistant plans it (tokens and glossary expansions), and both backends rank the top 10 of
each view (chunks, windows). Per set and view: the share of questions whose top 10 is identical
(the same chunks in the same order), the largest score difference, the share of bm25s's top 10
that Tantivy's holds, how often both put the same chunk first, and R@5 / MRR@10 of each ranking
against the gold documents (paragraph sets: by document; the blind set: a passage holding the
evidence, as the eval harness judges it). With --hybrid, the blind dev set's hybrid retrieval
(dense + both keyword views, fused, as `assistant ask` retrieves) runs once per backend on the
same index and its top 10 are compared per question (this loads the embedding model)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from assistant.config import load_settings
from assistant.judge import load_questions
from assistant.query.understand import QueryUnderstanding
from assistant.store.catalog import Catalog
from assistant.store.keyword import KeywordIndex
from assistant.store.keyword_tantivy import TantivyStore
from eval import metrics as M

K = 10
VIEWS = {"chunk": False, "window": True}
SETS = {  # name → (index folder under --index or --bench-index, question file under --shared-eval)
    "blind-dev": (None, "domain_dev/questions.jsonl"),
    "xquad-th": ("xquad-th", "xquad_th/queries.jsonl"),
    "iapp-distractors": ("iapp-distractors", "iapp_wiki_qa/test_queries.jsonl"),
}


class CatalogView:
    """What query understanding reads of an index, without opening its vector store."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @property
    def generation(self) -> int:
        return self.catalog.generation

    def documents(self):
        return self.catalog.documents()


def backends(root: Path, scratch: Path):
    """(catalog, bm25s index, Tantivy index) at the catalog's generation."""
    catalog = Catalog(root / "catalog.sqlite")
    gen, ids, positions, toks = catalog.tokens_at_generation()
    bm25 = KeywordIndex.load(root / "keyword")
    if bm25 is None or bm25.generation != gen:
        bm25 = KeywordIndex.build(toks, ids, positions, gen)
    t = time.perf_counter()
    tantivy = TantivyStore(scratch).build(gen, ids, positions, toks)
    return catalog, bm25, tantivy, {"chunks": len(ids), "tantivy_build_s": round(time.perf_counter() - t, 2)}


def questions(name: str, shared_eval: Path, limit: int | None) -> list[dict]:
    path = shared_eval / SETS[name][1]
    if name == "blind-dev":
        rows = [{"question": q.question, "gold": list(q.gold_doc_ids), "evidence": list(q.evidence), "blind": True}
                for q in load_questions(path, "blind", blind=True) if q.gold_doc_ids]
    else:
        rows = [{"question": r["question"], "gold": r["gold_doc_ids"]}
                for r in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip())]
    return rows[:limit] if limit else rows


def relevance(q: dict, ranked: list[str], catalog: Catalog) -> list[bool]:
    if q.get("blind"):
        chunks = catalog.chunks(ranked)
        return [M.relevant(chunks[c].doc_id, chunks[c].text, q["gold"], q["evidence"], True) for c in ranked]
    docs = M.doc_level([catalog.chunks([c])[c].doc_id.split("#", 1)[-1] for c in ranked])
    return [d in set(q["gold"]) for d in docs]


def compare(name: str, root: Path, shared_eval: Path, scratch: Path, limit: int | None) -> dict:
    settings = load_settings(index_dir=root)
    catalog, bm25, tantivy, info = backends(root, scratch)
    understanding = QueryUnderstanding(CatalogView(catalog), settings)
    rows = questions(name, shared_eval, limit)
    stats = {v: {"identical": [], "overlap": [], "first": [], "diff": [0.0], "time": {"bm25s": 0.0, "tantivy": 0.0},
                 "bm25s": {"R@5": [], "MRR@10": []}, "tantivy": {"R@5": [], "MRR@10": []}} for v in VIEWS}
    for q in rows:
        plan = understanding.plan(q["question"])
        for view, window in VIEWS.items():
            st, got = stats[view], {}
            for label, kw in (("bm25s", bm25), ("tantivy", tantivy)):
                t = time.perf_counter()
                got[label] = kw.search(plan.tokens, K, plan.extra_tokens, settings.expansion_weight, window=window)
                st["time"][label] += time.perf_counter() - t
                rels = relevance(q, [c for c, _ in got[label]], catalog)
                st[label]["R@5"].append(M.recall_at(rels, 5))
                st[label]["MRR@10"].append(M.mrr_at(rels, 10))
            a, b = [c for c, _ in got["bm25s"]], [c for c, _ in got["tantivy"]]
            st["identical"].append(float(a == b))
            st["overlap"].append(len(set(a) & set(b)) / len(a) if a else float(not b))
            st["first"].append(float(a[:1] == b[:1]))
            theirs = dict(got["tantivy"])
            st["diff"] += [abs(s - theirs[c]) for c, s in got["bm25s"] if c in theirs]
    out = {"set": name, "questions": len(rows), **info}
    for view, st in stats.items():
        out[view] = {"identical_top10": round(M.mean(st["identical"]), 4), "top10_overlap": round(M.mean(st["overlap"]), 4),
                     "same_first": round(M.mean(st["first"]), 4), "max_score_diff": max(st["diff"]),
                     "ms_per_search": {k: round(1000 * v / max(len(rows), 1), 2) for k, v in st["time"].items()},
                     **{label: {k: round(M.mean(v), 4) for k, v in st[label].items()} for label in ("bm25s", "tantivy")}}
    catalog.close()
    return out


def compare_hybrid(root: Path, shared_eval: Path, limit: int | None) -> dict:
    """The blind dev set's hybrid top 10 with each keyword backend (the Tantivy one is built in
    memory by the reading Index, since this process never writes the index)."""
    from assistant.service import Assistant

    rows = [{"question": q.question} for q in load_questions(shared_eval / SETS["blind-dev"][1], "blind", blind=True)]
    rows = rows[:limit] if limit else rows  # every question, out-of-scope ones too: no gold is needed here
    base = load_settings(index_dir=root)
    ranked = {}
    for backend in ("bm25s", "tantivy"):
        a = Assistant(replace(base, keyword_backend=backend))
        out = []
        for q in rows:
            hits = a.retriever.retrieve(a.understanding.plan(q["question"]), k=K, method="hybrid").hits
            out.append(([h.chunk_id for h in hits], [h.doc_id for h in hits], [round(h.score, 6) for h in hits]))
        ranked[backend] = out
    same_chunks = [float(x[0] == y[0]) for x, y in zip(ranked["bm25s"], ranked["tantivy"])]
    same_docs = [float(x[1] == y[1]) for x, y in zip(ranked["bm25s"], ranked["tantivy"])]
    same_scores = [float(x[2] == y[2]) for x, y in zip(ranked["bm25s"], ranked["tantivy"])]
    return {"set": "blind-dev hybrid", "questions": len(rows), "identical_top10_chunks": round(M.mean(same_chunks), 4),
            "identical_top10_docs": round(M.mean(same_docs), 4), "identical_scores": round(M.mean(same_scores), 4)}


def markdown(results: list[dict], hybrid: dict | None, command: str) -> str:
    lines = [f"# Keyword backends: Tantivy against bm25s ({dt.date.today().isoformat()})", "",
             f"`{command}`: keyword-only top 10 of both backends on the same catalog tokens, every question planned as the "
             "assistant plans it (question tokens plus glossary terms at the expansion weight). Tantivy finds the "
             "candidates and scores them exactly as bm25s does (docs/retrieval.md).", "",
             "| set | view | questions | identical top 10 | top-10 overlap | same first | max score diff "
             "| R@5 bm25s / Tantivy | MRR@10 bm25s / Tantivy | ms per search bm25s / Tantivy |",
             "|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['set']} | | skipped: {r['skipped']} | | | | | | | |")
            continue
        for view in VIEWS:
            v = r[view]
            lines.append(f"| {r['set']} ({r['chunks']} chunks) | {view} | {r['questions']} | {v['identical_top10']:.4f} "
                         f"| {v['top10_overlap']:.4f} | {v['same_first']:.4f} | {v['max_score_diff']:.1e} "
                         f"| {v['bm25s']['R@5']:.4f} / {v['tantivy']['R@5']:.4f} "
                         f"| {v['bm25s']['MRR@10']:.4f} / {v['tantivy']['MRR@10']:.4f} "
                         f"| {v['ms_per_search']['bm25s']} / {v['ms_per_search']['tantivy']} |")
    lines += ["", "ms per search: mean per question, both backends in the same process on the same machine (Tantivy "
              "reads each candidate's stored tokens back; bm25s holds its score matrix in memory)."]
    if hybrid:
        lines += ["", f"Hybrid retrieval (blind dev set, {hybrid['questions']} questions, dense + chunk + window views fused, "
                  "`Retriever.retrieve(method=\"hybrid\", k=10)` once per backend on the same index): identical top-10 chunks "
                  f"{hybrid['identical_top10_chunks']:.4f}, identical top-10 documents {hybrid['identical_top10_docs']:.4f}, "
                  f"identical fused scores {hybrid['identical_scores']:.4f}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=Path("var/index-full"), help="the policy corpus index (blind dev set)")
    ap.add_argument("--bench-index", type=Path, default=Path("var/bench"), help="folder of the benchmark indexes")
    ap.add_argument("--shared-eval", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval")
    ap.add_argument("--set", action="append", choices=list(SETS), help="only these sets (repeatable)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions of each set")
    ap.add_argument("--hybrid", action="store_true", help="also compare the blind dev set's hybrid retrieval (loads the model)")
    ap.add_argument("--report", type=Path, default=None, help="write a markdown report here")
    args = ap.parse_args(argv)
    results = []
    for name in args.set or list(SETS):
        root = args.index if SETS[name][0] is None else args.bench_index / SETS[name][0]
        if not (root / "catalog.sqlite").is_file():
            results.append({"set": name, "skipped": f"{root}: no index"})
            print(json.dumps(results[-1]))
            continue
        scratch = Path(tempfile.mkdtemp(prefix=f"kw-{name}-"))
        try:
            results.append(compare(name, root, args.shared_eval, scratch / "keyword-tantivy", args.limit))
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    hybrid = None
    if args.hybrid and (args.index / "catalog.sqlite").is_file():
        hybrid = compare_hybrid(args.index, args.shared_eval, args.limit)
        print(json.dumps(hybrid, ensure_ascii=False), flush=True)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join(["python -m eval.keyword_equivalence", *(argv if argv is not None else sys.argv[1:])])
        args.report.write_text(markdown(results, hybrid, command), encoding="utf-8")


if __name__ == "__main__":
    main()
