"""Search and ask latency, warm, in a child process (`python -m eval.bench worker`): p50/p95/p99
per ranker and for ask, the per-stage split of a call, the raw BM25 scorer, RSS, a cProfile of
asks and the HNSW ef_search sweep at the largest size."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import time
from pathlib import Path

import numpy as np

from assistant.retrieve.rankers import RANKERS
from eval.bench.plan import ROOT, Plan
from eval.bench.tools import log, pct, rss, run_child
from eval.metrics import percentile


def worker(args: argparse.Namespace) -> None:

    from assistant.config import load_settings
    from assistant.service import Assistant

    t0 = time.perf_counter()
    queries = [q for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()]
    a = Assistant(load_settings(index_dir=Path(args.index), chroma_url=args.chroma_url))
    a.embedder  # noqa: B018  (load the model)
    loaded = time.perf_counter() - t0
    for m in RANKERS:
        a.search(queries[0], k=args.k, method=m)
    a.ask(queries[0])
    first = time.perf_counter() - t0
    rss_ready = rss()

    stages: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*x, **kw):
            t = time.perf_counter()
            try:
                return fn(*x, **kw)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    emb, idx = a.embedder, a.index
    orig = {"embed": emb.embed_query_vec, "dense": idx.dense, "bm25": idx.bm25, "fetch": idx.chunks}
    emb.embed_query_vec = timed("embed", orig["embed"])
    idx.dense = timed("dense", orig["dense"])
    idx.bm25 = timed("bm25", orig["bm25"])
    idx.chunks = timed("fetch", orig["fetch"])
    out: dict = {"chunks": len(idx.catalog.chunk_ids()), "queries": len(queries), "load_s": loaded, "first_answer_s": first}
    lat: dict[str, list[float]] = {}
    split: dict[str, list[dict]] = {}
    for m in RANKERS:
        emb.cache_clear() if hasattr(emb, "cache_clear") else None
        lat[m], split[m] = [], []
        for q in queries:
            stages.clear()
            t = time.perf_counter()
            a.search(q, k=args.k, method=m)
            lat[m].append(time.perf_counter() - t)
            split[m].append(dict(stages))
    emb.cache_clear() if hasattr(emb, "cache_clear") else None
    lat["ask"], split["ask"], refused = [], [], 0
    for q in queries:
        stages.clear()
        t = time.perf_counter()
        ans = a.ask(q)
        lat["ask"].append(time.perf_counter() - t)
        split["ask"].append(dict(stages))
        refused += bool(ans.refused)
    out["latency"] = {m: pct(v) for m, v in lat.items()}
    out["stages_ms"] = {
        m: {s: percentile([d.get(s, 0.0) for d in rows], 50) * 1000 for s in ("embed", "dense", "bm25", "fetch")}
        for m, rows in split.items()
    }
    for m, rows in split.items():
        other = [lat[m][i] - sum(rows[i].values()) for i in range(len(rows))]
        out["stages_ms"][m]["other"] = percentile(other, 50) * 1000
    out["refused"] = refused
    # the raw BM25 scorer alone (no query planning), to see how it grows with the index
    kw = idx.keyword()
    from assistant.text.thai import index_tokens

    toks = [index_tokens(q) for q in queries]
    t = time.perf_counter()
    for tk in toks:
        kw.search(tk, 60)
    out["bm25_raw_ms"] = (time.perf_counter() - t) / max(1, len(toks)) * 1000
    if args.profile:
        emb.cache_clear()
        prof = cProfile.Profile()
        prof.enable()
        for q in queries[: min(100, len(queries))]:
            a.ask(q)
        prof.disable()
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("cumulative").print_stats(25)
        out["profile"] = _trim_profile(buf.getvalue())
    out["rss_ready"] = rss_ready
    out["rss_after"] = rss()
    if args.hnsw_sweep:  # last: it reopens the Chroma store
        emb.embed_query_vec, idx.dense = orig["embed"], orig["dense"]
        out["hnsw"] = hnsw_sweep(a, queries, [int(x) for x in args.hnsw_sweep.split(",")])
    if hasattr(emb, "cache_hits"):
        out["query_cache"] = {"hits": emb.cache_hits, "misses": emb.cache_misses}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def _trim_profile(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    keep = [re.sub(r"/[^ ]*/site-packages/", "", re.sub(re.escape(str(ROOT)) + "/", "", line)) for line in lines[start:] if line.strip()]
    return "\n".join(keep[:26])


def hnsw_sweep(a, queries: list[str], efs: list[int]) -> dict:
    """Chroma's HNSW against exact (numpy) search over the same vectors: recall and latency per
    ef_search. A changed ef_search reaches only a client opened after the change (a loaded
    segment keeps its ef), so each setting reopens the store: run this last in a process."""
    vs = a.index.vectors
    n_total = vs.count()
    ids: list[str] = []
    parts: list[np.ndarray] = []
    for page_ids, vecs, _ in vs.pages(5000):
        ids += page_ids
        parts.append(vecs)
    mat = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    qs = queries[: min(100, len(queries))]
    qv = np.stack([a.embedder.embed_query_vec(q) for q in qs])
    n = min(60, n_total)  # what Index.dense asks Chroma for: candidates 50 + 10
    t = time.perf_counter()
    sims = qv @ mat.T
    exact = np.argsort(-sims, axis=1)[:, :n]
    exact_ms = (time.perf_counter() - t) / len(qs) * 1000
    exact_ids = [{ids[j] for j in row} for row in exact]
    exact10 = [{ids[j] for j in row[:10]} for row in exact]
    out = {"vectors": n_total, "exact_numpy_ms": exact_ms, "n_results": n, "rows": []}
    before = vs.search_ef
    out["ef_before"] = before
    for ef in efs:
        vs.set_search_ef(ef)
        vs.query(qv[0], n)
        times, r10, rn = [], [], []
        for i, v in enumerate(qv):
            t = time.perf_counter()
            res = vs.query(v, n)
            times.append(time.perf_counter() - t)
            got = [cid for cid, _ in res]
            r10.append(len(set(got[:10]) & exact10[i]) / max(1, min(10, n)))
            rn.append(len(set(got) & exact_ids[i]) / max(1, n))
        out["rows"].append({"ef_search": int(ef), "recall@10": float(np.mean(r10)), f"recall@{n}": float(np.mean(rn)),
                            **{k: v for k, v in pct(times).items() if k in ("p50", "p95")}})
    if before:
        vs.set_search_ef(before)
    out["rows"].sort(key=lambda r: r["ef_search"])
    return out


def bench_latency(plan: Plan, index_dir: Path, queries_file: Path, *, sweep: bool = False, profile: bool = False, chroma_url: str | None = None) -> dict:
    out = plan.root / f"latency-{index_dir.name}{'-server' if chroma_url else ''}.json"
    out.unlink(missing_ok=True)
    args = [sys.executable, "-m", "eval.bench", "worker", "--index", str(index_dir), "--queries", str(queries_file), "--out", str(out)]
    if sweep and plan.hnsw_sweep:
        args += ["--hnsw-sweep", ",".join(map(str, plan.hnsw_sweep))]
    if profile:
        args += ["--profile"]
    if chroma_url:
        args += ["--chroma-url", chroma_url]
    log(f"latency over {index_dir.name}{' via ' + chroma_url if chroma_url else ''}")
    res, wall, peak = run_child(args)
    if res.returncode != 0 or not out.is_file():
        raise RuntimeError(f"latency worker failed (exit {res.returncode}): {res.stderr[-3000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    data["wall_s"] = wall
    data["rss_peak"] = peak  # sampled from outside: ru_maxrss would include the parent's at fork
    return data
