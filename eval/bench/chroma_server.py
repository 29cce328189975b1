"""The same searches with the vectors in a Chroma server (`chroma run`) instead of the embedded
store."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from assistant.store.services import chroma_binary, start_chroma  # noqa: F401 (eval.bench offers both)
from eval.bench.latency import bench_latency
from eval.bench.plan import Plan
from eval.bench.tools import PeakRSS, free_port, log, stop


def to_server(src: Path, dst: Path, url: str, fingerprint: str) -> int:
    """A copy of index `src` whose vectors live in a Chroma server: the catalog and keyword index
    travel as files, the vectors are upserted into the server's collection for `dst`."""
    from assistant.store.index import Index

    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("chroma", ".write.lock"))
    local = Index(src, None, fingerprint)
    remote = Index(dst, url, fingerprint)
    n = 0
    for ids, vecs, metas in local.vectors.pages(2000, metadatas=True):
        remote.vectors.bulk_add(ids, vecs, metas)
        n += len(ids)
    local.close()
    remote.close()
    return n


def bench_chroma_server(plan: Plan, index_dir: Path, queries_file: Path, fingerprint: str) -> dict:
    port = free_port()
    data_dir = plan.root / "chroma-server"
    shutil.rmtree(data_dir, ignore_errors=True)
    log(f"chroma server on port {port}")
    proc = start_chroma(data_dir, port)
    mon = PeakRSS(proc.pid)
    try:
        url = f"http://127.0.0.1:{port}"
        t = time.perf_counter()
        n = to_server(index_dir, plan.root / f"{index_dir.name}-server", url, fingerprint)
        load_s = time.perf_counter() - t
        lat = bench_latency(plan, plan.root / f"{index_dir.name}-server", queries_file, chroma_url=url)
    finally:
        stop(proc)
        peak = mon.stop()
    return {"vectors": n, "upload_s": load_s, "latency": lat, "server_rss_peak": peak}
