"""The Ray cluster bench (`make bench-cluster`, root): one one-CPU node against two.

    python -m eval.bench_cluster [--shared ../shared] [--seconds 60] [--concurrency 16]

Two nodes in network namespaces, each pinned to one core of this machine (taskset) with its Ray
processes, replicas and actors, and offering one CPU to Ray; the ingest driver runs on the head's
core. What stands beside the nodes is not pinned: the Chroma server (on the head's network) and
the load clients. With one node they can use the idle second core; with two they take from both
nodes' cores: the two-node figures are a lower bound.
- Ingest: the same files with one node, then with two (`assistant ingest --ray`, no passage
  cache): chunks per second, and whether both runs made the same chunk ids.
- Asks: `assistant serve --ray` with one replica on one node, then two replicas on two nodes;
  clients on every node ask its proxy the project's own questions (646 distinct) for --seconds:
  asks per second, p50/p95.
Prints a table and writes eval/reports/<date>-cluster.md. Run it alone on the machine: the
load clients and the Chroma server share its cores with the nodes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMA_PORT = 8765
API_PORT = 8300
# Distinct questions (the project's own sets: 136 in-domain, 510 off-topic and task requests):
# eight repeated ones would be answered from each replica's query-vector cache after their first ask.
QUESTION_FILES = [ROOT / "eval" / "questions" / f for f in ("dev.jsonl", "test.jsonl", "multipart.jsonl", "offtopic.jsonl")]


def _ids(index: Path) -> list[str]:
    from assistant.store.catalog import Catalog

    cat = Catalog(index / "catalog.sqlite")
    try:
        return sorted(cat.chunk_ids())
    finally:
        cat.close()


def _env(cluster, **extra):
    return cluster.env(PYTHONIOENCODING="utf-8", ASSISTANT_PASSAGE_CACHE="0", ASSISTANT_ONNX_THREADS="1", **extra)


def ingest_run(cluster, files: list[Path], index: Path, chroma_url: str) -> dict:
    t = time.perf_counter()
    r = cluster.run(0, [sys.executable, "-m", "assistant", "ingest", *map(str, files), "--index", str(index),
                        "--chroma-url", chroma_url, "--ray", "--json"], capture_output=True, text=True,
                    env=_env(cluster), cwd=ROOT, timeout=3600)
    wall = time.perf_counter() - t
    if r.returncode:
        raise RuntimeError(f"ingest --ray failed: {r.stderr[-2000:]}")
    rep = json.loads(r.stdout)
    return {"chunks": rep["chunks_embedded"], "seconds": round(wall, 1),
            "chunks_per_s": round(rep["chunks_embedded"] / wall, 2), "nodes": rep.get("nodes", {})}


def ask_run(cluster, index: Path, chroma_url: str, replicas: int, seconds: float, concurrency: int) -> dict:
    log = index.parent / f"serve-{replicas}.log"
    p = cluster.popen(0, [sys.executable, "-m", "assistant", "serve", "--ray", "--index", str(index), "--chroma-url",
                          chroma_url, "--host", "0.0.0.0", "--port", str(API_PORT), "--replicas", str(replicas),
                          "--replica-cpus", "1"], stdout=open(log, "w"), stderr=subprocess.STDOUT, env=_env(cluster), cwd=ROOT)
    try:
        end = time.monotonic() + 300
        while "พร้อมใช้งาน" not in log.read_text():
            if p.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"serve --ray did not start: {log.read_text()[-2000:]}")
            time.sleep(1)
        nodes = cluster.nodes[: cluster.started]
        per = max(1, concurrency // len(nodes))
        # Clients on each node, asking its proxy, all at once; warm-up first (the first asks load lazily).
        load = [sys.executable, "-m", "eval.load", "--json", "--questions", *map(str, QUESTION_FILES), "--url"]
        for i, n in enumerate(nodes):
            cluster.run(i, load + [f"http://{n.ip}:{API_PORT}", "--concurrency", "2", "--seconds", "5", "--seed", "99"],
                        pin=False, capture_output=True, env=_env(cluster), cwd=ROOT, timeout=300)
        # Every client in an order of its own (--seed per node), so few asks meet a replica's query cache.
        procs = [cluster.popen(i, load + [f"http://{n.ip}:{API_PORT}", "--concurrency", str(per), "--seconds", str(seconds),
                                          "--seed", str(i)], pin=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(cluster), cwd=ROOT, text=True)
                 for i, n in enumerate(nodes)]
        results = []
        for q in procs:
            out, err = q.communicate(timeout=seconds + 600)
            results.append(json.loads(out.strip().splitlines()[-1]))
        lat = sorted(x for r in results for x in [r["p50_s"]])
        return {"replicas": replicas, "nodes": len(nodes), "clients": per * len(nodes),
                "asks": sum(r["ok"] for r in results), "errors": sum(r["errors"] for r in results),
                "asks_per_s": round(sum(r["throughput_rps"] for r in results), 2),
                "p50_s": max(lat), "p95_s": max(r["p95_s"] for r in results)}  # the slower node's
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def main(argv: list[str] | None = None) -> int:
    from assistant.cluster.nodes import LocalCluster, netns_available

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--files", type=int, default=8, help="Acts of ../shared/corpus/thai_law ingested beside the seed")
    args = ap.parse_args(argv)
    ok, why = netns_available()
    if not ok:
        print(f"error: {why}", file=sys.stderr)
        return 2
    laws = sorted((args.shared / "corpus" / "thai_law").glob("*.txt"))[: args.files]
    files = [ROOT / "corpus" / "documents", *laws]
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    rows: dict = {"ingest": [], "ask": []}
    for n_nodes in (1, 2):
        cluster = LocalCluster(netns=True, cpus=1, pin=True, prefix="tpb")
        try:
            cluster.up(workers=n_nodes - 1, timeout=180)
            chroma, url = cluster.start_chroma(work / f"chroma-{n_nodes}", CHROMA_PORT)
            index = work / f"index-{n_nodes}"
            rows["ingest"].append({"nodes": n_nodes, **ingest_run(cluster, files, index, url)})
            rows["ingest"][-1]["ids"] = _ids(index)
            rows["ask"].append(ask_run(cluster, index, url, n_nodes, args.seconds, args.concurrency))
            chroma.terminate()
            chroma.wait(timeout=30)
        finally:
            cluster.down(timeout=60)
    same_ids = rows["ingest"][0].pop("ids") == rows["ingest"][1].pop("ids")
    one, two = rows["ingest"]
    a1, a2 = rows["ask"]
    lines = [
        f"# Ray cluster bench ({dt.date.today()})", "",
        f"Two network namespaces on one {__import__('os').cpu_count()}-core machine, each node pinned to one core with its "
        f"Ray processes, replicas and actors (the ingest driver on the head's core; the Chroma server and the load clients "
        f"not pinned: the two-node figures are a lower bound) and offering one CPU; ingest of corpus/documents + {len(laws)} Acts of ../shared/corpus/thai_law; asks from "
        f"{args.concurrency} clients for {args.seconds:.0f} s through every node's proxy.", "",
        "| | one node | two nodes | ratio |", "|---|---|---|---|",
        f"| ingest chunks/s | {one['chunks_per_s']} ({one['chunks']} in {one['seconds']} s) | {two['chunks_per_s']} "
        f"({two['seconds']} s; per node {two['nodes']}) | {two['chunks_per_s'] / one['chunks_per_s']:.2f}× |",
        f"| asks/s | {a1['asks_per_s']} | {a2['asks_per_s']} | {a2['asks_per_s'] / max(a1['asks_per_s'], 1e-9):.2f}× |",
        f"| ask p50 / p95 (s) | {a1['p50_s']} / {a1['p95_s']} | {a2['p50_s']} / {a2['p95_s']} | |",
        f"| errors | {a1['errors']} | {a2['errors']} | |", "",
        f"Same chunk ids from one node and two: {'yes' if same_ids else 'NO'}.", "",
        "```json", json.dumps(rows, ensure_ascii=False, indent=1), "```", "",
    ]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "eval" / "reports" / f"{dt.date.today()}-cluster.md"
    out.write_text(text, encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")
    return 0 if same_ids else 1


if __name__ == "__main__":
    sys.exit(main())
