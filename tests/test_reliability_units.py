"""Index mechanics without the model (a deterministic fake embedder): vectors land on the right
chunks however the pipeline slices the embedding, orphans never crowd out answers, a catalog
snapshot holds still while another writer commits, leftovers of killed writers are cleaned."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from assistant.store.index import Index, passage_text

DIM = 16


def fake_vec(text: str) -> np.ndarray:
    v = np.frombuffer(hashlib.sha256(text.encode()).digest()[:DIM], dtype=np.uint8).astype(np.float32) - 127.5
    return v / np.linalg.norm(v)


def fake_embed(texts):
    return np.stack([fake_vec(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)


def count(text: str) -> int:
    return max(1, len(text) // 3)


def write_docs(folder: Path, n: int, name: str = "doc") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = [f"เอกสาร{name}ที่ {i} ย่อหน้าที่ {j} " + "ข้อความยาวบ้างสั้นบ้าง " * (1 + (i * 7 + j * 3) % 9) for j in range(6)]
        (folder / f"{name}{i:02d}.txt").write_text("\n\n".join(paras), encoding="utf-8")


def test_every_vector_lands_on_its_own_chunk(tmp_path):
    """The pipeline embeds in slices sorted by length; each vector must still be its chunk's."""
    from ingest import pipeline

    write_docs(tmp_path / "docs", 8)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    rep = pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    assert rep.ok and rep.chunks_embedded > pipeline.EMBED_SLICE * 2
    ids = idx.catalog.chunk_ids()
    chunks = idx.catalog.chunks(ids)
    stored = idx.vectors.get_vectors(ids)
    for cid in ids:
        assert np.allclose(stored[cid], fake_vec(passage_text(chunks[cid])), atol=1e-6), cid
    assert idx.check()["healthy"]


def test_orphans_never_crowd_out_known_chunks(tmp_path):
    """Hundreds of vectors the catalog does not name (a killed ingest) sit nearer the query than
    every real chunk: dense search still returns n real chunks."""
    from ingest import pipeline

    write_docs(tmp_path / "docs", 3)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    q = fake_vec("query")
    rng = np.random.default_rng(1)
    near = q + 0.01 * rng.normal(size=(400, DIM)).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    idx.vectors.add([f"orphan{i}" for i in range(400)], near, [{"doc_id": "x", "ordinal": i} for i in range(400)])
    got = idx.dense(q, 10)
    known = set(idx.catalog.chunk_ids())
    assert len(got) == 10 and all(cid in known for cid, _ in got)
    assert idx.check()["orphan_vectors"] and not idx.check()["healthy"]
    idx.repair(fake_embed)
    assert idx.check()["healthy"]


def test_dense_search_of_a_small_index_is_exact_and_follows_new_vectors(tmp_path, monkeypatch):
    """Up to EXACT_MAX vectors every one is scored (HNSW's misses differ between processes); a
    later ingest is searched at once; above the limit HNSW answers."""
    from ingest import pipeline
    from assistant.store import index as index_mod

    write_docs(tmp_path / "docs", 4)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    ids = idx.catalog.chunk_ids()
    stored = idx.vectors.get_vectors(ids)
    q = fake_vec("query")
    truth = sorted(ids, key=lambda c: (-float(stored[c] @ q), c))[:12]
    assert [c for c, _ in idx.dense(q, 12)] == truth
    write_docs(tmp_path / "more", 1, "more")
    pipeline.ingest([tmp_path / "more"], idx, fake_embed, count, chunk_tokens=40)
    new = set(idx.catalog.chunk_ids()) - set(ids)
    target = next(iter(new))
    top = idx.dense(fake_vec(passage_text(idx.catalog.chunks([target])[target])), 1)
    assert top[0][0] == target  # the new chunk's own vector is its nearest
    monkeypatch.setattr(index_mod, "EXACT_MAX", 0)
    hnsw = [c for c, _ in idx.dense(q, 12)]
    assert len(hnsw) == 12 and len(set(hnsw) & set(truth)) >= 10


def test_a_snapshot_holds_still_while_another_thread_commits(tmp_path):
    from ingest import pipeline

    write_docs(tmp_path / "docs", 2)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    gen0, ids0 = idx.generation, set(idx.catalog.chunk_ids())
    write_docs(tmp_path / "more", 1, "more")
    with idx.reading():
        assert idx.generation == gen0
        t = threading.Thread(target=pipeline.ingest, args=([tmp_path / "more"], idx, fake_embed, count), kwargs={"chunk_tokens": 40})
        t.start()
        t.join()
        assert idx.generation == gen0 and set(idx.catalog.chunk_ids()) == ids0  # still the old state
        assert idx.keyword().generation == gen0
    assert idx.generation == gen0 + 1 and set(idx.catalog.chunk_ids()) > ids0  # and now the new one


def test_keyword_leftovers_of_dead_writers_are_removed(tmp_path):
    from ingest import pipeline

    write_docs(tmp_path / "docs", 1)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    kw = tmp_path / "index" / "keyword"
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    dead = 2**22 + 12345  # above pid_max on most systems: no such process
    (kw / f".tmp-gen-7-{dead}-1").mkdir()
    (kw / f".CURRENT.{dead}-1").write_text("7")
    mine = kw / f".tmp-gen-9-{os.getpid()}-99"
    mine.mkdir()
    write_docs(tmp_path / "docs2", 1, "other")
    pipeline.ingest([tmp_path / "docs2"], idx, fake_embed, count, chunk_tokens=40)
    assert not (kw / f".tmp-gen-7-{dead}-1").exists() and not (kw / f".CURRENT.{dead}-1").exists()
    assert mine.exists()  # a live writer's folder is left alone


def test_a_damaged_keyword_index_is_rebuilt_not_fatal(tmp_path):
    from ingest import pipeline

    write_docs(tmp_path / "docs", 1)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1")
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    gen_dir = tmp_path / "index" / "keyword" / f"gen-{idx.generation}"
    for f in gen_dir.rglob("*"):  # the window view's files too
        if f.is_file() and f.name != "chunk_ids.json":
            f.write_bytes(b"garbage")
    fresh = Index(tmp_path / "index", model_fingerprint="fake:1")
    assert fresh.bm25(["เอกสาร", "ข้อความ"], 3)  # rebuilt from the catalog
    assert fresh.check()["healthy"]
