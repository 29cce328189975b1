"""Chroma server mode: a real `chroma run` on loopback (a free port), the seed ingested through
HttpClient, searched from a second app process that shares the index folder (catalog + keyword
index) and the server (vectors), then the server stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEED_DIR, SEED_ID

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    from eval.bench import chroma_binary, free_port, start_chroma, stop

    if not chroma_binary().exists():
        pytest.skip("the chromadb wheel's `chroma` command is not installed")
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port, timeout=120)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_ingest_and_search_through_a_chroma_server(chroma_url, tmp_path, settings_factory):
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    index_dir = tmp_path / "index"
    a = Assistant(settings_factory(index_dir, chroma_url=chroma_url))
    report = ingest([SEED_DIR], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok and report.added == [SEED_ID]

    # The vectors are in the server, not in the folder; the folder keeps catalog and keyword index.
    import chromadb

    assert not (index_dir / "chroma").exists()
    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    name = a.index.catalog.get_meta("collection")
    assert name and name.startswith("idx-")
    col = client.get_collection(name)
    assert col.count() == len(a.index.catalog.chunk_ids()) > 0
    assert col.metadata.get("model") == a.embedder.fingerprint

    for method in ("dense", "hybrid"):
        hits = a.search("แนวทางที่ 7 คืออะไร", k=3, method=method)
        assert hits and hits[0].doc_id == SEED_ID
    assert a.index.check()["healthy"], a.index.check()["problems"]
    a.index.close()

    # A second process (the CLI) answers from the same folder + server.
    env = {**os.environ, "ASSISTANT_CHROMA_URL": chroma_url, "PYTHONIOENCODING": "utf-8", "HF_HUB_OFFLINE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("ASSISTANT_LLM_")}
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "search", "แนวทางที่ 7", "--index", str(index_dir), "--method", "dense", "--json", "--k", "3"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    hits = json.loads(r.stdout.strip().splitlines()[-1])["hits"]
    assert hits and hits[0]["doc_id"] == SEED_ID


def test_two_index_folders_get_their_own_collections(chroma_url, tmp_path):
    from assistant.store.index import Index

    a = Index(tmp_path / "a", chroma_url, "model-x")
    b = Index(tmp_path / "b", chroma_url, "model-x")
    assert a.catalog.get_meta("collection") != b.catalog.get_meta("collection")
    again = Index(tmp_path / "a", chroma_url, "model-x")
    assert again.catalog.get_meta("collection") == a.catalog.get_meta("collection")
    for idx in (a, b, again):
        idx.close()


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from eval.bench import free_port
    from assistant.store.index import Index

    with pytest.raises(Exception) as info:
        Index(tmp_path / "idx", f"http://127.0.0.1:{free_port()}", "model-x")
    assert "connect" in str(info.value).lower() or "chroma" in str(info.value).lower()
