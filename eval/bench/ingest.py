"""Ingest rate: `assistant ingest` of the seed (+ ../shared/corpus) into an empty index, as a
child process: documents/s, chunks/s, the stage split (load, normalise, chunk, embed, write) and
peak RSS."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from eval.bench.plan import ROOT, SEED, Plan
from eval.bench.tools import log, run_child


def ingest_sources(plan: Plan) -> list[Path]:
    srcs = [SEED]
    if not plan.quick and (plan.shared / "corpus").is_dir():
        srcs.append(plan.shared / "corpus")
    return srcs


def measure_normalise(sources: list[Path]) -> dict:
    """Load every file again in this process with `normalize` timed, to split the pipeline's
    'load' stage into parsing and normalisation (the pipeline reports them together)."""
    import ingest.loaders as loaders
    from ingest import pdffix  # noqa: F401  (imported so its own normalize calls are patched too)

    spent = [0.0]
    real = loaders.normalize

    def timed(text, *a, **kw):
        t = time.perf_counter()
        try:
            return real(text, *a, **kw)
        finally:
            spent[0] += time.perf_counter() - t

    patched = [m for m in (loaders, sys.modules.get("ingest.pdffix")) if m is not None and getattr(m, "normalize", None) is real]
    for m in patched:
        m.normalize = timed
    t = time.perf_counter()
    try:
        for path, doc_id in loaders.discover(sources):
            try:
                loaders.load_file(path, doc_id, 50_000_000)
            except Exception:
                pass
    finally:
        for m in patched:
            m.normalize = real
    return {"load_s": time.perf_counter() - t, "normalise_s": spent[0]}


def bench_ingest(plan: Plan, index_dir: Path) -> dict:
    sources = ingest_sources(plan)
    shutil.rmtree(index_dir, ignore_errors=True)
    log(f"ingest {', '.join(str(s) for s in sources)} -> {index_dir}")
    args = [sys.executable, "-m", "assistant", "ingest", *map(str, sources), "--index", str(index_dir), "--json"]
    res, wall, peak = run_child(args)
    try:
        rep = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"ingest failed (exit {res.returncode}): {res.stderr[-2000:]}")
    norm = measure_normalise(sources)
    model_load = time_model_load()
    sec = rep["seconds"]
    share = norm["normalise_s"] / norm["load_s"] if norm["load_s"] else 0.0
    # The CLI loads the model lazily, at the first token count: inside the pipeline's 'chunk'.
    model_in_chunk = min(model_load, sec["chunk"])
    stages = {
        "load": sec["load"] * (1 - share),
        "normalise": sec["load"] * share,
        "chunk": sec["chunk"] - model_in_chunk,
        "embed": sec["embed"],
        "write": sec["write"],
    }
    pipeline = sum(stages.values())
    chunks = rep["chunks_embedded"]
    return {
        "sources": [str(s.relative_to(ROOT.parent)) if s.is_relative_to(ROOT.parent) else str(s) for s in sources],
        "files": rep["files"], "documents": rep["documents"], "chunks": rep["chunks_added"], "embedded": chunks,
        "ok": rep["ok"], "failures": len(rep["failures"]),
        "wall_s": wall, "pipeline_s": pipeline, "startup_s": wall - pipeline,
        "docs_per_s": rep["documents"] / pipeline if pipeline else 0.0,
        "chunks_per_s": chunks / pipeline if pipeline else 0.0,
        "chunks_per_s_wall": chunks / wall if wall else 0.0,
        "stages": stages, "peak_rss": peak, "model_load_s": model_load,
    }


def time_model_load() -> float:
    """Seconds a fresh process takes to load the model (what the ingest CLI does lazily)."""
    code = ("import time; t = time.perf_counter()\n"
            "from assistant.config import load_settings\n"
            "from assistant.model.embedding import load_embedder, resolve_model_dir\n"
            "s = load_settings(); e = load_embedder(resolve_model_dir(s.model_path, s.model_dir), s.embed_batch)\n"
            "e.count_tokens('x'); print(time.perf_counter() - t)")
    res, _, _ = run_child([sys.executable, "-c", code])
    try:
        return float(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0.0
