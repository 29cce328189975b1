"""Does the services layout answer as the embedded one? PostgreSQL catalog + two Chroma shards +
Tantivy against the embedded layout (catalog.sqlite, vectors in the folder, bm25s).

    python -m eval.bench_layout [--shared ../shared] [--limit N] [--report eval/reports/DATE-layout.md]

Starts its own PostgreSQL (assistant.store.pg_local) and two `chroma run` servers on loopback,
builds both layouts of the same files (the seed + the shared corpus, asked the blind dev set; the
XQuAD-th paragraphs, asked their questions) and prints per set: questions whose hybrid top 10 is
identical, whose first hit is, dense recall@60 of the sharded HNSW search against the embedded
exact search, and warm hybrid search p50/p95 of each layout. Vectors come from the passage cache
when present, so a second run embeds nothing. About 10 min on 2 cores."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.config import load_settings
from assistant.judge import load_questions
from assistant.service import Assistant
from eval import harness
from eval.metrics import percentile
from ingest.pipeline import ingest

ROOT = Path(__file__).resolve().parents[1]


def _filled(settings, paths: list[Path]) -> tuple[Assistant, float]:
    a = Assistant(settings)
    t = time.perf_counter()
    report = ingest(paths, a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.failures}")
    return a, time.perf_counter() - t


def compare(embedded: Assistant, services: Assistant, questions: list[str]) -> dict:
    same10 = same1 = 0
    recall, t_emb, t_srv = [], [], []
    for q in questions:
        a = [h.chunk_id for h in embedded.search(q, k=10)]
        b = [h.chunk_id for h in services.search(q, k=10)]
        same10 += a == b
        same1 += a[:1] == b[:1]
        v = embedded.embedder.embed_query_vec(q)
        exact = {c for c, _ in embedded.index._nearest(v, 60)}
        got = {c for c, _ in services.index._nearest(v, 60)}
        recall.append(len(exact & got) / max(1, len(exact)))
    for q in questions:  # warm, alternating, so both see the same machine
        t = time.perf_counter(); embedded.search(q, k=10); t_emb.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter(); services.search(q, k=10); t_srv.append(1000 * (time.perf_counter() - t))
    return {"questions": len(questions), "chunks": embedded.index.catalog.counts()[0], "same_top10": same10,
            "same_first": same1, "recall60_mean": float(np.mean(recall)), "recall60_min": float(min(recall)),
            "embedded_ms": (percentile(t_emb, 50), percentile(t_emb, 95)),
            "services_ms": (percentile(t_srv, 50), percentile(t_srv, 95)),
            "shards": services.index.vectors.counts()}


def main(argv: list[str] | None = None) -> None:
    from assistant.store import pg_local
    from eval.bench import free_port, start_chroma, stop

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--limit", type=int, default=None, help="questions per set (default all)")
    ap.add_argument("--report", type=Path, default=ROOT / "eval" / "reports" / f"{dt.date.today()}-layout.md")
    args = ap.parse_args(argv)
    ev = args.shared / "eval"
    sets = {
        "blind dev set (seed + shared corpus)": ([ROOT / "corpus" / "documents", args.shared / "corpus"],
                                                 [q.question for q in load_questions(ev / "domain_dev" / "questions.jsonl")]),
        "XQuAD-th (its paragraphs)": ([ev / "xquad_th" / "corpus.jsonl"],
                                      [q["question"] for q in harness.read_jsonl(ev / "xquad_th" / "queries.jsonl")]),
    }
    work = Path(tempfile.mkdtemp(prefix="assistant-layout-"))
    pg = Path(tempfile.mkdtemp(prefix="assistant-layout-pg-"))  # directly under /tmp: PostgreSQL's user must reach it
    procs, urls = [], []
    rows = []
    try:
        url = pg_local.up(pg)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        for i in range(2):
            p = free_port()
            procs.append(start_chroma(work / f"shard-{i}", p, timeout=120))
            urls.append(f"http://127.0.0.1:{p}")
        for n, (name, (paths, questions)) in enumerate(sets.items()):
            embedded, t_emb = _filled(load_settings(index_dir=work / f"embedded-{n}"), paths)
            services, t_srv = _filled(load_settings(index_dir=work / f"services-{n}", catalog=pg_local.create_database(port, f"set{n}"),
                                                    chroma_url=",".join(urls), keyword_backend="tantivy"), paths)
            r = compare(embedded, services, questions[: args.limit])
            r |= {"set": name, "ingest_embedded_s": t_emb, "ingest_services_s": t_srv}
            rows.append(r)
            print(f"{name}: {r['questions']} questions, {r['chunks']} chunks (shards {r['shards']}): same hybrid top 10 "
                  f"{r['same_top10']}, same first hit {r['same_first']}; dense recall@60 {r['recall60_mean']:.4f} "
                  f"(min {r['recall60_min']:.3f}); hybrid p50/p95 embedded {r['embedded_ms'][0]:.1f}/{r['embedded_ms'][1]:.1f} ms, "
                  f"services {r['services_ms'][0]:.1f}/{r['services_ms'][1]:.1f} ms", flush=True)
            for a in (embedded, services):
                a.index.close()
    finally:
        for p in procs:
            stop(p)
        pg_local.down(pg)
        for folder in (work, pg):
            shutil.rmtree(folder, ignore_errors=True)
    lines = [f"# Services layout against the embedded layout ({dt.date.today()})", "",
             "`python -m eval.bench_layout`: PostgreSQL catalog + two `chroma run` shards + Tantivy, against "
             "catalog.sqlite + vectors in the folder (exact search below 20,000 vectors) + bm25s, on the same files.", "",
             "| set | questions | chunks (per shard) | same hybrid top 10 | same first hit | dense recall@60 (min) | "
             "hybrid p50 / p95 embedded | services |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['set']} | {r['questions']} | {r['chunks']} ({' + '.join(map(str, r['shards']))}) | "
                     f"{r['same_top10']} | {r['same_first']} | {r['recall60_mean']:.4f} ({r['recall60_min']:.3f}) | "
                     f"{r['embedded_ms'][0]:.0f} / {r['embedded_ms'][1]:.0f} ms | {r['services_ms'][0]:.0f} / {r['services_ms'][1]:.0f} ms |")
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
