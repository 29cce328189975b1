"""`make bench QUICK=1` in small: the benchmark runs end to end and produces its table. Its
timings are figures for people, never asserted."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_quick_bench_produces_the_table(tmp_path, capsys):
    from eval import bench

    path = bench.main(["--quick", "--root", str(tmp_path / "bench"), "--reports", str(tmp_path / "reports"),
                       "--queries", "4", "--scales", "300"])
    printed = capsys.readouterr().out
    assert "ingest / encoder" in printed and "search p95, hybrid" in printed
    text = path.read_text(encoding="utf-8")
    for heading in ("## Summary", "## Ingest", "## Search and ask latency (warm)", "## HNSW ef_search"):
        assert heading in text
    assert "| figure | value | target | met |" in text
    assert path.with_suffix(".json").is_file()


def test_queries_mix_the_domain_set_and_the_benchmarks(tmp_path):
    from eval.bench import Plan, load_queries

    qs = load_queries(Plan(queries=30))
    assert len(qs) == len(set(qs)) and 0 < len(qs) <= 30
    assert all(any("\u0e00" <= ch <= "\u0e7f" for ch in q) for q in qs)  # Thai


def test_grow_writes_synthetic_chunks_through_all_three_stores(tmp_path):
    import numpy as np

    from assistant.store.index import Index
    from assistant.schema import Chunk, Document, Section
    from eval.bench import grow
    from ingest.chunking import chunk_id

    idx = Index(tmp_path / "idx", None, "model-x")
    rng = np.random.default_rng(0)
    docs = []
    for d in range(3):
        doc = Document(f"d{d}.txt", f"เอกสาร {d}", "x", "txt", [Section("ข้อความ")], sha256=f"sha{d}")
        texts = [f"เทศบาลตำบล มีหน้าที่ ข้อ {d}.{i} รักษาความสะอาด" for i in range(4)]
        docs.append((doc, [Chunk(chunk_id(doc.doc_id, t), doc.doc_id, i, t, doc.title, "", 0, len(t)) for i, t in enumerate(texts)]))

    def embed(texts):
        v = rng.normal(size=(len(texts), 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    idx.write(docs, embed)
    idx.close()
    out = grow(tmp_path / "idx", 40, "model-x", sigma=0.02, seed=1)
    assert out["chunks"] == 40 and out["added"] == 28
    idx = Index(tmp_path / "idx", None, "model-x")
    check = idx.check()
    assert check["healthy"], check["problems"]
    hits = idx.bm25(["ความสะอาด"], 50)
    assert len(hits) > 30  # ~10% of the copies lose a token
    chunks, n_docs = idx.catalog.counts()
    assert chunks == 40 and n_docs == len(idx.documents())
    pages = list(idx.vectors.pages(16, metadatas=True))
    assert [len(ids) for ids, _, _ in pages] == [16, 16, 8] and pages[0][1].shape == (16, 8)
    idx.close()
