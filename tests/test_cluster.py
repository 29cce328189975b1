"""The Ray cluster (`cluster` marker, `make test-cluster`): a head and a worker, each in a network
namespace of its own joined by a veth pair, one CPU each. Ingests the seed and a slice of
../shared/corpus through Ray Data, asks through both nodes, kills a replica, crashes an ingest
task, kills the worker; always tears down. Skipped where namespaces cannot be made or Ray is not
installed (pip install '.[cluster]')."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reliability import ROOT, catalog_state, cli_env, run_cli

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SHARED = ROOT.parent / "shared" / "corpus" / "thai_law"
SLICE = [ROOT / "corpus" / "documents", SHARED / "834088.txt", SHARED / "834104.txt"]
LATER = SHARED / "635171.txt"
KILLED = SHARED / "832109.txt"
CHROMA_PORT = 8765
API_PORT = 8300
QUESTION = "แนวทางที่ 7 คืออะไร"


def _skip_reason() -> str:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install '.[cluster]')"
    from assistant.cluster.nodes import netns_available

    ok, why = netns_available()
    return "" if ok else f"network namespaces unavailable: {why}"


def _in_node(cluster, node: int, code: str, timeout: float = 30) -> str:
    r = cluster.run(node, [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def _http(cluster, node: int, url: str, body: dict | None = None, timeout: float = 60) -> tuple[int, dict, str]:
    """(status, the response's JSON, the replica that answered), asked from inside a node."""
    code = f"""
import json, urllib.request, urllib.error
body = {json.dumps(body, ensure_ascii=True)!r}
req = urllib.request.Request({url!r}, data=body.encode() if body != 'null' else None, headers={{"content-type": "application/json"}})
try:
    r = urllib.request.urlopen(req, timeout={timeout})
    status, data, who = r.status, r.read(), r.headers.get("x-assistant-replica", "")
except urllib.error.HTTPError as e:
    status, data, who = e.code, e.read(), e.headers.get("x-assistant-replica", "")
except Exception as e:
    status, data, who = 0, json.dumps({{"error": repr(e)}}).encode(), ""
print(json.dumps({{"status": status, "who": who, "body": data.decode("utf-8", "replace")}}))
"""
    out = json.loads(_in_node(cluster, node, code, timeout + 30).strip().splitlines()[-1])
    try:
        data = json.loads(out["body"])
    except ValueError:
        data = {"raw": out["body"]}
    return out["status"], data, out["who"]


def _ask(cluster, node: int, ip: str) -> tuple[int, dict, str]:
    return _http(cluster, node, f"http://{ip}:{API_PORT}/api/ask", {"question": QUESTION})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = _skip_reason()
    if why:
        pytest.skip(why)
    from assistant.cluster.nodes import LocalCluster

    root = tmp_path_factory.mktemp("cluster")
    c = LocalCluster(netns=True, cpus=1, prefix=f"tpt{os.getpid() % 100000}")
    procs: list[subprocess.Popen] = []
    c.procs = procs
    try:
        c.up(workers=1, timeout=180)
        chroma, c.chroma_url = c.start_chroma(root / "chroma", CHROMA_PORT)
        procs.append(chroma)
        yield c
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)  # a serve driver removes its replicas on the way out
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        c.down(timeout=60)
        assert not any(Path("/run/netns", n).exists() for n in c.names), "namespaces left behind"


def _env(cluster, **extra) -> dict:
    # No passage cache: a vector must come from the model on the node that embedded it.
    return cluster.env(**cli_env(ASSISTANT_PASSAGE_CACHE="0", **extra))


def _cli(cluster, *args, env=None, timeout=900) -> subprocess.CompletedProcess:
    return cluster.run(0, [sys.executable, "-m", "assistant", *map(str, args)], capture_output=True, text=True,
                       env=env or _env(cluster), cwd=ROOT, timeout=timeout)


def _vectors(index_dir: Path, chroma_url: str | None = None) -> dict[str, np.ndarray]:
    from assistant.config import load_settings
    from assistant.model.embedding import fingerprint_for
    from assistant.store.index import Index

    s = load_settings(index_dir=index_dir, chroma_url=chroma_url)
    idx = Index.from_settings(s, fingerprint_for(s))
    ids = idx.catalog.chunk_ids()
    return idx.vectors.get_vectors(ids)


@pytest.fixture(scope="module")
def ingested(cluster, tmp_path_factory):
    """The slice ingested through Ray Data into the cluster's stores (a catalog in a folder both
    nodes see, vectors in the head's Chroma server)."""
    index = tmp_path_factory.mktemp("ray-index")
    r = _cli(cluster, "ingest", *SLICE, "--index", index, "--chroma-url", cluster.chroma_url, "--ray", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    return index, json.loads(r.stdout)


def test_ray_ingest_makes_the_single_machine_index_on_both_nodes(cluster, ingested, tmp_path):
    index, report = ingested
    assert report["ok"] and report["added"] >= 3 and report["chunks_embedded"] == report["chunks_added"] > 50
    # Both nodes read and embedded: the work was spread, not run on the head alone.
    assert set(report["nodes"]) == {n.ip for n in cluster.nodes}, report["nodes"]
    single = tmp_path / "single"
    r = run_cli("ingest", *SLICE, "--index", single, "--json", env=cli_env(ASSISTANT_PASSAGE_CACHE="0"))
    assert r.returncode == 0, r.stderr[-2000:]
    here = json.loads(r.stdout)
    assert here["chunks_added"] == report["chunks_added"] and here["documents"] == report["documents"]
    ray_vecs = _in_node_vectors(cluster, index)
    one_vecs = _vectors(single)
    assert set(ray_vecs) == set(one_vecs)  # the same content-hashed chunk ids
    worst = max(float(np.abs(ray_vecs[i] - one_vecs[i]).max()) for i in one_vecs)
    assert worst < 1e-4, worst  # the same vectors, whichever node and batch embedded them
    r = _cli(cluster, "doctor", "--index", index, "--chroma-url", cluster.chroma_url, "--json")
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]


def _in_node_vectors(cluster, index: Path) -> dict[str, np.ndarray]:
    """The Ray index's vectors, read from the head's Chroma server (reachable only in its namespace)."""
    code = f"""
import sys, pickle
sys.path[:0] = {[str(ROOT), str(ROOT / "src")]!r}
from tests.test_cluster import _vectors
sys.stdout.buffer.write(pickle.dumps({{k: v.tolist() for k, v in _vectors({str(index)!r}, {cluster.chroma_url!r}).items()}}))
"""
    import pickle

    r = cluster.run(0, [sys.executable, "-c", code], capture_output=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    return {k: np.asarray(v, np.float32) for k, v in pickle.loads(r.stdout).items()}


def test_a_task_killed_mid_batch_is_retried_and_the_catalog_stays_whole(cluster, ingested, tmp_path):
    index, _ = ingested
    marker = tmp_path / "crashed"
    env = _env(cluster, ASSISTANT_CRASH_AT=f"ray-embed:{marker}")
    r = _cli(cluster, "ingest", LATER, "--index", index, "--chroma-url", cluster.chroma_url, "--ray", "--json", env=env)
    assert marker.exists(), "the embedding actor never crashed: the hook did not fire"
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["added"] >= 1 and report["chunks_embedded"] == report["chunks_added"] > 0
    r = _cli(cluster, "doctor", "--index", index, "--chroma-url", cluster.chroma_url, "--json")
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]  # catalog, vectors and keyword index agree
    # Nothing of the file lost in the retry: the chunks a single-machine ingest of it makes.
    single = tmp_path / "single"
    r = run_cli("ingest", LATER, "--index", single, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    want = catalog_state(single)["chunks"]
    docs = {d for d, _, _ in want}
    assert [c for c in catalog_state(index)["chunks"] if c[0] in docs] == want


def test_a_killed_driver_leaves_the_last_commit_and_the_same_command_finishes(cluster, ingested):
    index, _ = ingested
    args = ["ingest", KILLED, "--index", index, "--chroma-url", cluster.chroma_url, "--ray", "--json"]
    r = _cli(cluster, *args, env=_env(cluster, ASSISTANT_CRASH_AT="before-commit"))
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    r = _cli(cluster, "doctor", "--index", index, "--chroma-url", cluster.chroma_url, "--json")
    rep = json.loads(r.stdout)
    # The vectors went in first; the catalog never named them: an interrupted ingest, nothing answered from it.
    assert r.returncode == 1 and rep["orphan_vectors"] > 0 and rep["missing_vectors"] == 0, rep
    r = _cli(cluster, *args)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["added"] >= 1 and out["chunks_added"] == rep["orphan_vectors"] and out["chunks_embedded"] == 0, out
    r = _cli(cluster, "doctor", "--index", index, "--chroma-url", cluster.chroma_url, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["healthy"], r.stdout


@pytest.fixture(scope="module")
def served(cluster, ingested):
    index, _ = ingested
    log = open(Path(index).parent / "serve.log", "w")
    p = cluster.popen(0, [sys.executable, "-m", "assistant", "serve", "--ray", "--index", str(index), "--chroma-url",
                          cluster.chroma_url, "--host", "0.0.0.0", "--port", str(API_PORT), "--replicas", "2"],
                      stdout=log, stderr=subprocess.STDOUT, env=_env(cluster), cwd=ROOT)
    cluster.procs.append(p)
    end = time.monotonic() + 240
    while True:
        assert p.poll() is None, Path(log.name).read_text()[-3000:]
        if "พร้อมใช้งาน" in Path(log.name).read_text():
            break
        assert time.monotonic() < end, Path(log.name).read_text()[-3000:]
        time.sleep(1)
    return p


def test_both_nodes_answer_through_two_replicas(cluster, served):
    who = set()
    for _ in range(20):
        for node in (0, 1):
            status, data, name = _ask(cluster, node, cluster.nodes[node].ip)
            assert status == 200, data
            assert data["citations"] and "แนวทางที่ 7" in data["answer"]
            who.add(name)
        if {w.split("/")[0] for w in who} == {n.ip for n in cluster.nodes}:
            break
    assert {w.split("/")[0] for w in who} == {n.ip for n in cluster.nodes}, who


def test_a_killed_replica_is_restarted(cluster, served):
    status, _, name = _ask(cluster, 0, cluster.nodes[0].ip)
    assert status == 200
    pid = int(name.split("/")[1])
    os.kill(pid, signal.SIGKILL)
    seen, end = set(), time.monotonic() + 120
    while time.monotonic() < end:
        for node in (0, 1):
            status, _, who = _ask(cluster, node, cluster.nodes[node].ip)
            if status == 200:
                seen.add(who)
        if len({w for w in seen if w != name}) >= 2:
            break
        time.sleep(1)
    assert len(seen - {name}) >= 2, f"no replica took the killed one's place: {seen}"


def test_the_head_keeps_answering_when_the_worker_is_lost(cluster, served):
    cluster.kill_node(1)
    head = cluster.nodes[0].ip
    ok, seen, end = 0, set(), time.monotonic() + 240
    # Five answers in a row, and the lost replica started again on the head (two replicas there).
    while (ok < 5 or len(seen) < 2) and time.monotonic() < end:
        status, data, who = _ask(cluster, 0, head)
        ok = ok + 1 if status == 200 and data.get("citations") else 0
        if status == 200:
            assert who.startswith(head + "/"), who
            seen.add(who)
        if ok == 0 or len(seen) < 2:
            time.sleep(1)
    assert ok >= 5, "the head did not answer five times in a row after the worker was lost"
    assert len(seen) >= 2, f"the lost replica did not come back on the head: {seen}"
