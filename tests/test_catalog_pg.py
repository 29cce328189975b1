"""The PostgreSQL catalog: a real PostgreSQL started by the tests on loopback (a free port, a
folder of its own), the same catalog contract as SQLite, writers locking per document, the seed
and a slice of the shared corpus answered the same as from the SQLite catalog, and a stopped
database reported (CLI, doctor, API 503), never answered from."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SEED_DIR, SEED_ID
from tests.reliability import cli_env, run_cli
from tests.services import ingest_into, start_postgres, stop_postgres

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.fixture(scope="module")
def cluster():
    folder, url = start_postgres()
    try:
        yield folder, int(url.rsplit(":", 1)[1].split("/")[0])
    finally:
        stop_postgres(folder)


_n = iter(range(10_000))


@pytest.fixture
def pg_url(cluster):
    """A fresh database of its own for each test."""
    from assistant.store.pg_local import create_database

    return create_database(cluster[1], f"t{os.getpid()}_{next(_n)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path):
    from assistant.store.catalog import Catalog

    if request.param == "sqlite":
        cat = Catalog(tmp_path / "catalog.sqlite")
    else:
        from assistant.store.catalog_pg import PgCatalog

        cat = PgCatalog(request.getfixturevalue("pg_url"))
    yield cat
    cat.close()


def _doc(doc_id: str, n: int, word: str = "text"):
    from assistant.schema import Chunk
    from assistant.store.catalog import DocInfo

    info = DocInfo(doc_id, f"title {doc_id}", f"{doc_id}.txt", "txt", "sha-" + doc_id, 0, 0.0, {"lang": "th"})
    chunks = [Chunk(f"{doc_id}-{i}", doc_id, i, f"{word} {doc_id} {i}", info.title, f"ย่อหน้า {i}", 0, 9,
                    info.source, info.sha256) for i in range(n)]
    return info, chunks, [[word, doc_id, str(i)] for i in range(n)]


def test_both_catalogs_keep_the_same_contract(catalog):
    assert catalog.generation == 0 and catalog.counts() == (0, 0)
    assert catalog.replace_documents([_doc("a", 3), _doc("b", 2)]) == 1
    assert catalog.counts() == (5, 2)
    assert catalog.chunk_ids() == ["a-0", "a-1", "a-2", "b-0", "b-1"]
    assert [d.meta for d in catalog.documents()] == [{"lang": "th"}, {"lang": "th"}]
    assert catalog.find_ordinal("a", "no such text", quote="text a 2") == 2
    assert [c.ordinal for c in catalog.chunk_range("a", 1, 5)] == [1, 2]
    ids, positions, tokens = catalog.all_tokens()
    assert positions[3] == ("b", 0) and tokens[3] == ["text", "b", "0"]

    # Replace a document with fewer chunks and remove another: one generation, one log entry per chunk.
    assert catalog.replace_documents([_doc("a", 2, word="new")], remove=["b"]) == 2
    assert catalog.counts() == (2, 1)
    log = {(c.chunk_id, c.op) for c in catalog.changes_since(1)}
    assert log == {("a-0", "put"), ("a-1", "put"), ("a-2", "delete"), ("b-0", "delete"), ("b-1", "delete")}
    assert {c.generation for c in catalog.changes_since(1)} == {2}
    assert catalog.changes_since(2) == []
    assert {(c.generation, c.op) for c in catalog.changes_since(0, upto=1)} == {(1, "put")}

    assert catalog.set_tokens({"a-1": ["x", "y"]}, {"tokenizer": "9"}) == 3
    assert [(c.doc_id, c.chunk_id, c.op) for c in catalog.changes_since(2)] == [("a", "a-1", "put")]
    assert catalog.get_meta("tokenizer") == "9" and catalog.all_tokens()[2][1] == ["x", "y"]


def test_a_failed_write_leaves_the_catalog_as_it_was(catalog):
    catalog.replace_documents([_doc("a", 2)])
    from dataclasses import replace

    info, chunks, tokens = _doc("a", 3)
    chunks[2] = replace(chunks[2], doc_id="no-such-document")  # refused by the foreign key, after two chunks went in
    import sqlite3

    import psycopg

    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.ForeignKeyViolation)):
        catalog.replace_documents([(info, chunks, tokens)])
    assert catalog.generation == 1 and catalog.chunk_ids() == ["a-0", "a-1"] and catalog.changes_since(1) == []


def test_a_reader_keeps_its_snapshot_while_another_thread_commits(catalog):
    catalog.replace_documents([_doc("a", 2)])
    with catalog.reading():
        before = (catalog.generation, catalog.counts())
        t = threading.Thread(target=lambda: catalog.replace_documents([_doc("b", 4)]))
        t.start()
        t.join(30)
        assert (catalog.generation, catalog.counts()) == before == (1, (2, 1))
    assert (catalog.generation, catalog.counts()) == (2, (6, 2))


def test_writers_of_different_documents_do_not_wait_for_each_other(pg_url):
    """SQLite has one writer per file; PostgreSQL locks the documents written, so a writer of `b`
    commits while a writer of `a` is still inside its transaction, and a second writer of `a`
    waits for the first."""
    from assistant.store.catalog_pg import PgCatalog

    cat = PgCatalog(pg_url)
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_a() -> list:
        inside.set()
        release.wait(30)
        cat._xmany("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                   [("slow", "a")])
        order.append("first a")
        return [("a", "a-0", "put")]

    def second_a() -> None:
        cat.replace_documents([_doc("a", 1)])
        order.append("second a")

    first = threading.Thread(target=lambda: cat._in_new_generation(["a"], slow_a))
    first.start()
    assert inside.wait(30)
    cat.replace_documents([_doc("b", 2)])  # would wait for the first writer with one lock per catalog
    order.append("b")
    again = threading.Thread(target=second_a)
    again.start()
    time.sleep(1.0)
    assert order == ["b"], "a second writer of the same document went ahead of the first"
    release.set()
    first.join(30)
    again.join(30)
    assert order == ["b", "first a", "second a"]
    assert cat.generation == 3 and cat.counts() == (3, 2)
    assert sorted({c.generation for c in cat.changes_since(0)}) == [1, 2, 3]
    cat.close()


QUESTIONS = ["แนวทางที่ 7 คืออะไร", "การประชุม EGM จัดขึ้นเมื่อไรและที่ไหน", "ผู้สูงอายุมีสิทธิได้รับการคุ้มครองอะไรบ้าง",
             "แผนการกระจายอำนาจให้แก่องค์กรปกครองส่วนท้องถิ่น", "ใครเป็นผู้รักษาการตามพระราชบัญญัตินี้"]


def test_an_index_on_postgresql_answers_as_the_sqlite_one_does(pg_url, tmp_path, slice_dir, settings_factory, built_index):
    sqlite = built_index[0]  # the session's index of the same files, with the SQLite catalog
    pg = ingest_into(settings_factory(tmp_path / "pg", catalog=pg_url), [SEED_DIR, slice_dir])
    assert not (tmp_path / "pg" / "catalog.sqlite").exists()  # the folder keeps only the derived stores
    assert pg.index.catalog.kind == "postgresql" and pg.index.check()["healthy"], pg.index.check()["problems"]
    assert pg.index.catalog.counts() == sqlite.index.catalog.counts()
    for q in QUESTIONS:
        assert [h.chunk_id for h in pg.search(q, k=10)] == [h.chunk_id for h in sqlite.search(q, k=10)], q
        mine, theirs = pg.ask(q), sqlite.ask(q)
        assert (mine.answer, mine.refused, [c.doc_id for c in mine.citations]) == \
            (theirs.answer, theirs.refused, [c.doc_id for c in theirs.citations]), q
    # Re-ingesting the same files changes nothing and logs nothing.
    gen = pg.index.generation
    ingest_into(settings_factory(tmp_path / "pg", catalog=pg_url), [SEED_DIR, slice_dir])
    assert pg.index.generation == gen and pg.index.catalog.changes_since(gen) == []
    pg.index.close()


def _cli(*args: str, catalog: str):
    return run_cli(*args, env=cli_env(ASSISTANT_CATALOG=catalog))


def test_a_stopped_database_is_reported_never_answered_from(tmp_path, settings_factory):
    from fastapi.testclient import TestClient

    from assistant.api import create_app
    from assistant.store import pg_local

    folder, url = start_postgres()  # a cluster of its own: this test stops it
    try:
        a = ingest_into(settings_factory(tmp_path / "idx", catalog=url), [SEED_DIR])
        client = TestClient(create_app(a))
        assert client.get("/healthz").json()["ok"] is True
        assert client.get("/api/search", params={"q": "แนวทางที่ 7", "k": "3"}).json()["hits"][0]["doc_id"] == SEED_ID

        pg_local.down(folder)
        got = client.post("/api/ask", json={"question": "แนวทางที่ 7 คืออะไร"})
        assert got.status_code == 503, got.text
        assert "ฐานข้อมูลแคตตาล็อก" in got.json()["error"] and "cannot be reached" in got.json()["detail"]
        assert client.get("/healthz").status_code == 503
        r = _cli("ask", "แนวทางที่ 7 คืออะไร", "--index", str(tmp_path / "idx"), catalog=url)
        assert r.returncode == 1 and "cannot be reached" in r.stderr and "Traceback" not in r.stderr, r.stderr
        r = _cli("doctor", "--index", str(tmp_path / "idx"), catalog=url)
        report = json.loads(r.stdout)
        assert r.returncode == 1 and not report["healthy"] and not report["catalog_lost"]
        assert "cannot be reached" in report["problems"][0]

        # Started again, the same running app answers again (its broken connections are replaced).
        pg_local.up(folder)
        got = client.post("/api/ask", json={"question": "แนวทางที่ 7 คืออะไร"})
        if got.status_code == 503:  # the request that found a connection broken; the next one reconnects
            got = client.post("/api/ask", json={"question": "แนวทางที่ 7 คืออะไร"})
        assert got.status_code == 200 and got.json()["citations"], got.text
        r = _cli("doctor", "--index", str(tmp_path / "idx"), catalog=url)
        report = json.loads(r.stdout)
        assert r.returncode == 0 and report["healthy"] and report["catalog"]["kind"] == "postgresql", r.stdout
        a.index.close()
    finally:
        stop_postgres(folder)


def test_a_catalog_url_that_is_not_postgresql_is_refused(tmp_path):
    r = _cli("doctor", "--index", str(tmp_path / "idx"), catalog="mysql://x@127.0.0.1/db")
    assert r.returncode == 1 and "give a postgresql://" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_streaming_replica_is_reported_and_answers_as_its_primary(cluster, tmp_path, settings_factory):
    """Serving processes may read from a replica: doctor on the primary lists it streaming, and
    an app on the replica's URL answers as one on the primary once the replica has replayed."""
    import tempfile

    from assistant.store import pg_local

    primary = pg_local.url(cluster[1])
    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-replica-"))
    try:
        replica = pg_local.up_replica(primary, folder)
        a = ingest_into(settings_factory(tmp_path / "primary", catalog=primary), [SEED_DIR])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replicas = a.index.check()["catalog"]["replicas"]
            if replicas and replicas[0]["state"] == "streaming" and _generation(replica) == a.index.generation:
                break
            time.sleep(0.2)
        assert replicas and replicas[0]["state"] == "streaming", replicas
        b = settings_factory(tmp_path / "primary", catalog=replica)  # the same vectors, the catalog from the replica
        from assistant.service import Assistant

        reader = Assistant(b)
        assert reader.index.generation == a.index.generation
        q = "แนวทางที่ 7 คืออะไร"
        assert [h.chunk_id for h in reader.search(q, k=5)] == [h.chunk_id for h in a.search(q, k=5)]
        import psycopg

        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # a replica refuses writes
            reader.index.catalog.set_meta("note", "x")
        for x in (a, reader):
            x.index.close()
    finally:
        stop_postgres(folder)


def _generation(url: str) -> int:
    from assistant.store.catalog_pg import PgCatalog

    cat = PgCatalog(url)
    try:
        return cat.generation
    finally:
        cat.close()


def test_a_tantivy_folder_behind_a_shared_catalog_catches_up_from_the_change_log(pg_url, tmp_path, slice_dir, settings_factory):
    """Two index folders write one catalog. The first folder's Tantivy index, two generations
    behind after the other folder's ingest, is brought forward by the documents the change log
    names, in place (no rebuild), and ranks as one built from the whole catalog."""
    from assistant.store.keyword_tantivy import TantivyStore

    act, news = slice_dir / "thai_law", slice_dir / "thaigov"
    a = ingest_into(settings_factory(tmp_path / "a", catalog=pg_url, keyword_backend="tantivy"), [SEED_DIR])
    built = a.index._tantivy.state()["dir"]
    ingest_into(settings_factory(tmp_path / "b", catalog=pg_url, keyword_backend="tantivy"), [act])  # the other folder
    ingest_into(settings_factory(tmp_path / "a", catalog=pg_url, keyword_backend="tantivy"), [news])
    state = TantivyStore(tmp_path / "a" / "keyword-tantivy").state()
    assert state["generation"] == a.index.generation and state["dir"] == built  # updated in place, not rebuilt
    assert a.index.check()["keyword_matches"]
    gen, ids, positions, toks = a.index.catalog.tokens_at_generation()
    whole = TantivyStore(tmp_path / "scratch").build(gen, ids, positions, toks, persist=False)
    caught_up = a.index._tantivy.open(gen)
    for q in (["ผู้สูงอายุ"], ["แนวทาง", "เมือง"], ["คณะรัฐมนตรี"]):
        assert [c for c, _ in caught_up.search(q, 10)] == [c for c, _ in whole.search(q, 10)], q
    a.index.close()


def test_an_empty_database_beside_vectors_is_a_lost_catalog_not_a_new_index(cluster, pg_url, tmp_path, settings_factory):
    """Pointed at a wiped (or wrong) database, an index folder whose vectors remain refuses to
    open, so `doctor --fix` cannot drop those vectors as orphans; `rebuild PATH` re-ingests into the
    database, reusing them."""
    from assistant.service import Assistant
    from assistant.store.health import IndexDamaged
    from assistant.store.pg_local import create_database

    a = ingest_into(settings_factory(tmp_path / "idx", catalog=pg_url), [SEED_DIR])
    n = a.index.vectors.count()
    a.index.close()
    empty = create_database(cluster[1], f"empty{os.getpid()}_{next(_n)}")
    with pytest.raises(IndexDamaged, match=f"holds no chunks while the vector store holds {n} vectors"):
        Assistant(settings_factory(tmp_path / "idx", catalog=empty)).index
    r = _cli("rebuild", str(SEED_DIR), "--index", str(tmp_path / "idx"), "--json", catalog=empty)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["chunks_embedded"] == 0, report  # every vector found where it was
    b = Assistant(settings_factory(tmp_path / "idx", catalog=empty))
    assert b.search("แนวทางที่ 7 คืออะไร", k=3)[0].doc_id == SEED_ID and b.index.vectors.count() == n
    b.index.close()
