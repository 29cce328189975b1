"""The model alone: the raw encoder's throughput on the chunk texts just ingested (what the
ingest ratio is measured against), and each embedding backend side by side in a fresh process."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from eval.bench.plan import Plan
from eval.bench.tools import log, pct, rss, run_child


def bench_encoder(plan: Plan, index_dir: Path, embedder) -> dict:
    """The model alone on chunk texts of the index just built: one call (the encoder sorts by
    length across the call), and the pipeline's way (length-sorted slices of EMBED_SLICE)."""
    from assistant.store.catalog import Catalog
    from assistant.store.index import passage_text

    cat = Catalog(index_dir / "catalog.sqlite")
    ids = sorted(cat.chunk_ids())  # by id, so a seed draws the same chunks every run
    got = cat.chunks(ids)
    cat.close()
    rows = [got[i] for i in ids]
    rng = random.Random(plan.seed)
    sample = rng.sample(rows, min(plan.encoder_sample, len(rows)))
    texts = [passage_text(c) for c in sample]
    embedder.embed_passages(texts[:4])  # warm
    t = time.perf_counter()
    embedder.embed_passages(texts)
    one = time.perf_counter() - t
    try:
        from ingest.pipeline import EMBED_SLICE as step
    except ImportError:
        step = 32
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # what the pipeline does
    t = time.perf_counter()
    for i in range(0, len(order), step):
        embedder.embed_passages([texts[j] for j in order[i : i + step]])
    sliced = time.perf_counter() - t
    tokens = [embedder.count_tokens(x) for x in texts]
    return texts, {"texts": len(texts), "tokens_mean": float(np.mean(tokens)) if tokens else 0.0,
            "chunks_per_s": len(texts) / one if one else 0.0, "chunks_per_s_sliced": len(texts) / sliced if sliced else 0.0, "slice": step,
            "batch_size": embedder.batch_size, "backend": getattr(embedder, "backend", "torch")}


def encoder_child(args: argparse.Namespace) -> None:
    """One backend in a fresh process: load time, passage throughput, query latency, RSS."""

    os.environ["ASSISTANT_BACKEND"] = args.backend
    from assistant.config import load_settings
    from assistant.model.embedding import load_embedder, resolve_model_dir

    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    queries = [q for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()][:40]
    s = load_settings()
    t = time.perf_counter()
    e = load_embedder(resolve_model_dir(s.model_path, s.model_dir), s.embed_batch, args.backend)
    e.count_tokens("x")
    load = time.perf_counter() - t
    e.embed_passages(texts[:4])
    t = time.perf_counter()
    e.embed_passages(texts)
    one = time.perf_counter() - t
    e.cache_clear()
    lat = []
    for q in queries:
        t = time.perf_counter()
        e.embed_query_vec(q)
        lat.append(time.perf_counter() - t)
    out = {"backend": args.backend, "load_s": load, "chunks_per_s": len(texts) / one, "query": pct(lat), "rss": rss(),
           "torch_loaded": "torch" in sys.modules, "fingerprint": e.fingerprint}
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


def bench_backends(plan: Plan, texts: list[str], queries_file: Path) -> list[dict]:
    from assistant.model.embedding import BACKENDS

    tfile = plan.root / "encoder-texts.json"
    tfile.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    rows = []
    for b in BACKENDS:
        out = plan.root / f"encoder-{b}.json"
        out.unlink(missing_ok=True)
        log(f"backend {b}")
        res, wall, peak = run_child([sys.executable, "-m", "eval.bench", "encoder", "--backend", b, "--texts", str(tfile),
                                     "--queries", str(queries_file), "--out", str(out)])
        if res.returncode != 0 or not out.is_file():
            rows.append({"backend": b, "error": res.stderr[-500:]})
            continue
        rows.append({**json.loads(out.read_text(encoding="utf-8")), "rss_peak": peak})
    return rows
