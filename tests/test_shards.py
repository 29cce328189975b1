"""The services layout: two real `chroma run` shards, a PostgreSQL catalog (both started on
loopback) and the Tantivy keyword index. Documents are placed whole by a hash of their id, a
query asks both shards, and the answers are those of the embedded layout; a shard that stops is reported (search, API 503, doctor), never
answered around; a shard that lost its vectors is refilled from the catalog without embedding."""

from __future__ import annotations

import pytest

from tests.conftest import SEED_DIR
from tests.services import ingest_into, start_chroma_shard, start_postgres, stop_postgres
from tests.test_catalog_pg import QUESTIONS

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    from eval.bench import stop

    folder, catalog = start_postgres()
    shards = []
    try:
        for name in ("shard-0", "shard-1"):
            shards.append(start_chroma_shard(tmp_path_factory.mktemp(name)))
        yield catalog, shards
    finally:
        for proc, _ in shards:
            stop(proc)
        stop_postgres(folder)


def test_two_shards_answer_as_one_embedded_store_and_a_lost_one_is_refilled_without_embedding(
        services, tmp_path, tmp_path_factory, slice_dir, settings_factory, built_index):
    from fastapi.testclient import TestClient

    from assistant.api import create_app
    from assistant.store.health import IndexDamaged
    from assistant.store.shards import ShardedVectors, shard_of
    from assistant.store.services import start_chroma
    from eval.bench import stop

    catalog, shards = services
    urls = ",".join(url for _, url in shards)
    a = ingest_into(settings_factory(tmp_path / "idx", catalog=catalog, chroma_url=urls, keyword_backend="tantivy"),
                    [SEED_DIR, slice_dir])
    vectors = a.index.vectors
    assert isinstance(vectors, ShardedVectors)
    counts = vectors.counts()
    n_chunks = a.index.catalog.counts()[0]
    assert all(counts) and sum(counts) == n_chunks, counts
    for n, shard in enumerate(vectors.shards):  # every document whole in the shard its id names
        for page_ids, _, metas in shard.pages(metadatas=True):
            assert {shard_of(m["doc_id"], 2) for m in metas} == {n}
    report = a.index.check()
    assert report["healthy"] and [s["vectors"] for s in report["vector_shards"]] == counts, report["problems"]

    embedded = built_index[0]  # the same files in the embedded layout (SQLite, vectors in the folder, bm25s)
    before = {q: [h.chunk_id for h in a.search(q, k=10)] for q in QUESTIONS}
    for q in QUESTIONS:
        assert before[q] == [h.chunk_id for h in embedded.search(q, k=10)], q

    # Shard 1 stops: no answer from shard 0 alone.
    proc, url = shards[1]
    stop(proc)
    with pytest.raises(IndexDamaged, match="vector shard .* cannot be reached"):
        a.search(QUESTIONS[0], k=10)
    got = TestClient(create_app(a)).post("/api/ask", json={"question": QUESTIONS[0]})
    assert got.status_code == 503 and "ดัชนีเอกสารเสียหาย" in got.json()["error"] and url in got.json()["detail"], got.text
    with pytest.raises(IndexDamaged, match=url):
        a.index.check()

    # It comes back empty (its disk lost): still no answer from half the vectors, until doctor --fix
    # (an index opened to repair) refills it from the catalog's vectors.
    port = int(url.rsplit(":", 1)[1])
    shards[1] = (start_chroma(tmp_path_factory.mktemp("shard-1-new"), port, timeout=120), url)
    with pytest.raises(IndexDamaged, match=url):
        a.search(QUESTIONS[0], k=10)
    from assistant.store.index import Index

    fixing = Index.from_settings(a.settings, a.index.model_fingerprint, repair=True)
    lost = fixing.check()
    assert len(lost["missing_vectors"]) == counts[1] and not lost["healthy"]

    def no_embedding(texts):
        raise AssertionError(f"re-embedded {len(texts)} passages the catalog keeps")

    fixed = fixing.repair(no_embedding)
    assert fixed["healthy"] and fixing.vectors.counts() == counts, fixed["problems"]
    fixing.close()
    assert {q: [h.chunk_id for h in a.search(q, k=10)] for q in QUESTIONS} == before  # the running app, again
    a.index.close()


def test_services_up_starts_the_layout_and_down_stops_it(tmp_path):
    """What `make services-up` / `services-down` run: PostgreSQL and two shards in one folder."""
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from assistant.store.pg_local import free_port
    from assistant.store.shards import ShardedVectors

    folder = Path(tempfile.mkdtemp(prefix="assistant-services-"))
    folder.chmod(0o755)  # as var/services is: PostgreSQL's user must reach the folder inside it
    ports = f"{free_port()},{free_port()}"
    up = subprocess.run([sys.executable, "-m", "assistant.store.services", "up", str(folder), "--pg-port", str(free_port()),
                         "--shard-ports", ports], capture_output=True, text=True, timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        env = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines())
        assert env["ASSISTANT_CHROMA_URL"].count("http://127.0.0.1:") == 2
        vectors = ShardedVectors(env["ASSISTANT_CHROMA_URL"].split(","), "probe")
        assert vectors.counts() == [0, 0]
        vectors.close()
        from assistant.store.catalog_pg import PgCatalog

        PgCatalog(env["ASSISTANT_CATALOG"]).close()
    finally:
        down = subprocess.run([sys.executable, "-m", "assistant.store.services", "down", str(folder)],
                              capture_output=True, text=True, timeout=120)
    assert down.returncode == 0 and down.stdout.strip() == "stopped: shard-0, shard-1, pg", down.stdout + down.stderr
    shutil.rmtree(folder, ignore_errors=True)
