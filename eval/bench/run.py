"""The whole run, job after job: ingest, encoder, the sizes, latency at each, backends, serve,
Chroma server; returns the results the report is written from."""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from pathlib import Path

from eval.bench.chroma_server import bench_chroma_server
from eval.bench.encoder import bench_backends, bench_encoder
from eval.bench.ingest import bench_ingest
from eval.bench.latency import bench_latency
from eval.bench.plan import ROOT, Plan, load_queries
from eval.bench.scale import build_scales, index_sizes
from eval.bench.serve import bench_serve
from eval.bench.tools import loadavg, log


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        import psutil

        mem = psutil.virtual_memory().total
    except Exception:
        pass
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("torch", "sentence-transformers", "onnxruntime", "chromadb", "bm25s", "gradio"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**30, 1), "python": platform.python_version(), "versions": versions}


def run(plan: Plan) -> dict:
    from assistant.config import load_settings
    from assistant.model.embedding import default_backend, load_embedder, resolve_model_dir

    t_start = time.perf_counter()
    plan.root.mkdir(parents=True, exist_ok=True)
    res: dict = {"date": dt.date.today().isoformat(), "started": dt.datetime.now().isoformat(timespec="seconds"),
                 "quick": plan.quick, "machine": machine(), "load_before": loadavg(), "backend": default_backend()}
    queries = load_queries(plan)
    qfile = plan.root / "queries.txt"
    qfile.write_text("\n".join(queries) + "\n", encoding="utf-8")
    res["queries"] = {"n": len(queries)}

    s = load_settings()
    model_dir = resolve_model_dir(s.model_path, s.model_dir)
    corpus = plan.root / ("seed" if plan.quick else "corpus")
    res["ingest"] = bench_ingest(plan, corpus)
    res["ingest"]["load_after"] = loadavg()
    embedder = load_embedder(model_dir, s.embed_batch)
    res["model"] = embedder.fingerprint
    log("raw encoder")
    sample, res["encoder"] = bench_encoder(plan, corpus, embedder)
    res["encoder"]["load_after"] = loadavg()
    res["ingest"]["ratio_to_encoder"] = res["ingest"]["chunks_per_s"] / res["encoder"]["chunks_per_s"] if res["encoder"]["chunks_per_s"] else 0.0

    scales = build_scales(plan, res, corpus, embedder)
    # the model is not needed in this process any more; free it before the measuring children start
    del embedder
    load_embedder.cache_clear()

    for i, sc in enumerate(scales):
        last = i == len(scales) - 1
        sc["size"] = index_sizes(sc["dir"])
        sc["latency"] = bench_latency(plan, sc["dir"], qfile, sweep=last, profile=last and plan.profile)
    if plan.backends:
        res["backends"] = bench_backends(plan, sample[: plan.backend_sample], qfile)
    if plan.serve:
        res["serve"] = [bench_serve(plan, scales[0]["dir"], queries)]
        if len(scales) > 1:
            res["serve"].append(bench_serve(plan, scales[-1]["dir"], queries))
    if plan.chroma_server:
        try:
            res["chroma_server"] = bench_chroma_server(plan, scales[0]["dir"], qfile, res["model"])
        except Exception as exc:
            res["chroma_server"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    for sc in scales:
        sc["dir"] = str(Path(sc["dir"]).relative_to(ROOT)) if Path(sc["dir"]).is_relative_to(ROOT) else str(sc["dir"])
    res["scales"] = scales
    res["load_after"] = loadavg()
    res["total_s"] = time.perf_counter() - t_start
    return res
