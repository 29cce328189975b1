"""The Tantivy keyword backend against bm25s, with real tokens (the seed and a slice of the shared
corpus, tokenised by the project's own index_tokens): bm25s's rankings and scores exactly, on
both views, with and without expansion terms, also after per-document adds, replaces and deletes
(whose chunks Tantivy's own statistics still count); an Index that answers from it, and a damaged
or missing folder that is rebuilt from the catalog."""

from __future__ import annotations

import json
import logging
import random
import shutil

import pytest

from assistant.store.index import Index
from assistant.store.keyword import KeywordIndex
from assistant.store.keyword_tantivy import DocTokens, TantivyStore
from assistant.text.thai import index_tokens
from tests.conftest import SEED_DIR, SEED_ID
from tests.test_reliability_units import count, fake_embed

QUESTIONS = [
    "แนวทางที่ 7 คืออะไร",
    "อบต. มีหน้าที่ต้องทำอะไรบ้าง",
    "ผู้สูงอายุหมายความว่าอย่างไร",
    "การกระจายอำนาจให้แก่องค์กรปกครองส่วนท้องถิ่นมีขั้นตอนอย่างไร",
    "สิทธิของผู้สูงอายุในการได้รับการคุ้มครองส่งเสริมและสนับสนุน",
    "การประชุมกลุ่มผู้เชี่ยวชาญจัดร่วมกับ JICA และ depa",
    "เมืองอัจฉริยะที่ครอบคลุมคนทุกกลุ่ม",
    "คณะกรรมการการกระจายอำนาจประกอบด้วยใครบ้าง",
    "กองทุนผู้สูงอายุมีไว้เพื่ออะไร",
    "นายกรัฐมนตรีประชุมคณะรัฐมนตรี",
]
EXTRA = ["องค์การบริหารส่วนตำบล", "ท้องถิ่น"]


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory, slice_dir):
    """A bm25s index over the seed + two Acts + five news rows (fake vectors, real tokens)."""
    from ingest import pipeline

    root = tmp_path_factory.mktemp("kw-real")
    idx = Index(root / "index", model_fingerprint="fake:1")
    rep = pipeline.ingest([SEED_DIR, slice_dir], idx, fake_embed, count)
    assert rep.ok, rep.failures
    return idx


def _by_doc(ids, positions, toks) -> list[DocTokens]:
    docs: dict[str, DocTokens] = {}
    for cid, (doc, ordinal), t in zip(ids, positions, toks):
        d = docs.setdefault(doc, DocTokens(doc, [], [], []))
        d.chunk_ids.append(cid)
        d.ordinals.append(ordinal)
        d.tokens.append(t)
    return list(docs.values())


def _agree(a: list, b: list) -> None:
    """The same chunks in the same order, scores equal within 1e-6."""
    assert [c for c, _ in a] == [c for c, _ in b]
    for (_, x), (_, y) in zip(a, b):
        assert y == pytest.approx(x, abs=1e-6)


def _queries(toks: list[list[str]], count: int, seed: int = 7):
    """Random questions made of the corpus's own words (1 to 8, repeats possible), some with
    expansion terms, at several depths: near-ties at every cut."""
    rng = random.Random(seed)
    words = [t for ts in toks for t in ts]
    for _ in range(count):
        yield ([rng.choice(words) for _ in range(rng.randint(1, 8))], [rng.choice(words) for _ in range(rng.randint(0, 3))],
               rng.choice([1, 5, 10, 50]))


def test_tantivy_ranks_real_thai_queries_as_bm25s_does_on_both_views(corpus_index, tmp_path):
    gen, ids, positions, toks = corpus_index.catalog.tokens_at_generation()
    assert len(ids) > 200
    bm25 = KeywordIndex.build(toks, ids, positions, gen)
    tv = TantivyStore(tmp_path / "kw").build(gen, ids, positions, toks)
    assert tv.chunk_count == len(ids) and tv.chunk_ids == ids  # catalog order kept
    for q in QUESTIONS:
        tokens = index_tokens(q)
        for window in (False, True):
            for extra in ((), EXTRA):
                a = bm25.search(tokens, 10, extra, 0.5, window=window)
                assert a
                _agree(a, tv.search(tokens, 10, extra, 0.5, window=window))
    for tokens, extra, n in _queries(toks, 150):
        for window in (False, True):
            _agree(bm25.search(tokens, n, extra, 0.5, window=window), tv.search(tokens, n, extra, 0.5, window=window))


def test_short_chunks_score_exactly_as_bm25s_and_ties_keep_catalog_order(tmp_path):
    toks = [["ภาษี", "ป้าย"], ["อัตรา", "ค่าธรรมเนียม"], ["ภาษี", "ที่ดิน"], ["อัตรา", "ดอกเบี้ย"], ["ภาษี", "ป้าย"], ["ข่าว"]]
    ids = ["n0", "n1", "x0", "y0", "z0", "w0"]
    positions = [("law", 0), ("law", 1), ("news1", 0), ("news2", 0), ("news3", 0), ("news4", 0)]
    bm25 = KeywordIndex.build(toks, ids, positions, 1)
    tv = TantivyStore(tmp_path / "kw").build(1, ids, positions, toks)
    for window in (False, True):
        for q, extra in ((["ภาษี", "ป้าย"], ()), (["อัตรา"], ["ภาษี"]), (["ไม่มี"], []), ([], ["ดอกเบี้ย"]), (["ภาษี", "ภาษี"], ["ภาษี"])):
            _agree(bm25.search(q, 10, extra, 0.5, window=window), tv.search(q, 10, extra, 0.5, window=window))
    assert [c for c, _ in tv.search(["ภาษี", "ป้าย"], 2)] == ["n0", "z0"]  # a tie goes in catalog order


def test_a_chunk_tantivys_own_ranking_leaves_out_is_still_found(tmp_path, monkeypatch):
    """Tantivy stores a 62-token chunk's length as 60 (one byte): its BM25 puts that chunk (the
    word twice) above a 23-token one (the word once), which bm25s ranks first. With no margin at
    all the bound must widen the search to find it."""
    import tantivy

    import assistant.store.keyword_tantivy as kt

    filler = [f"คำ{i}" for i in range(60)]
    toks = [["ภาษี"] + filler[:22], ["ภาษี", "ภาษี"] + filler[:60], filler[:50]]
    ids, positions = ["short", "long", "other"], [("d1", 0), ("d2", 0), ("d3", 0)]
    tv = TantivyStore(tmp_path / "kw").build(1, ids, positions, toks)
    hits = tv.searcher.search(tantivy.Query.term_query(tv.schema, "chunk", "ภาษี"), 2).hits
    assert hits[0][0] > hits[1][0] and tv.searcher.doc(hits[0][1]).get_first("chunk_id") == "long"
    monkeypatch.setattr(kt, "MARGIN", 0)
    want = KeywordIndex.build(toks, ids, positions, 1).search(["ภาษี"], 2)
    assert [c for c, _ in want] == ["short", "long"]
    _agree(want[:1], tv.search(["ภาษี"], 1))
    _agree(want, tv.search(["ภาษี"], 2))


def test_per_document_updates_give_bm25s_results_exactly(corpus_index, tmp_path, monkeypatch):
    import tantivy

    import assistant.store.keyword_tantivy as kt

    gen, ids, positions, toks = corpus_index.catalog.tokens_at_generation()
    docs = _by_doc(ids, positions, toks)
    assert len(docs) >= 5
    first, later = docs[:-1], docs[-1]
    flat = lambda ds: ([c for d in ds for c in d.chunk_ids], [(d.doc_id, o) for d in ds for o in d.ordinals],
                       [t for d in ds for t in d.tokens])
    store = TantivyStore(tmp_path / "inc")
    store.build(1, *flat(first))
    folder = store.state()["dir"]

    def same(got, ds):
        """`got` ranks as bm25s (and a fresh Tantivy build) over the documents `ds`."""
        cids, pos, tks = flat(ds)
        bm25 = KeywordIndex.build(tks, cids, pos, 0)
        fresh = TantivyStore(tmp_path / f"full-{got.generation}").build(got.generation, cids, pos, tks)
        assert got.chunk_count == len(cids) and sorted(got.chunk_ids) == sorted(cids)
        checks = [(index_tokens(q), EXTRA, 10) for q in QUESTIONS] + list(_queries(tks, 60))
        for tokens, extra, n in checks:
            for window in (False, True):
                want = bm25.search(tokens, n, extra, 0.5, window=window)
                _agree(want, got.search(tokens, n, extra, 0.5, window=window))
                _agree(want, fresh.search(tokens, n, extra, 0.5, window=window))

    added = store.update(2, [later])
    assert added is not None and added.generation == 2
    same(added, first + [later])
    # replace a small document (its last chunk gone, the others reworded) and delete another
    small = min(first[1:], key=lambda d: len(d.chunk_ids))
    changed = DocTokens(small.doc_id, [c + "-v2" for c in small.chunk_ids[:-1]] or [small.chunk_ids[0] + "-v2"],
                        small.ordinals[:-1] or small.ordinals[:1], [t + ["ฉบับแก้ไข"] for t in (small.tokens[:-1] or small.tokens[:1])])
    gone = min((d for d in first if d.doc_id not in (small.doc_id, SEED_ID)), key=lambda d: len(d.chunk_ids))
    monkeypatch.setattr(kt, "COMPACT_SHARE", 0.5)  # on this small index the two exceed the default budget
    replaced = store.update(3, [changed], [gone.doc_id])
    assert replaced is not None and store.state()["dir"] == folder and replaced.deleted > 0  # no rebuild
    # Tantivy's own statistics still count the deleted chunks; the scores must not
    word = next(t for t in gone.tokens[0] if t)
    live = replaced.searcher.search(tantivy.Query.term_query(replaced.schema, "chunk", word), 1, count=True).count
    assert replaced.searcher.doc_freq("chunk", word) > live
    final = [d for d in first if d.doc_id not in (small.doc_id, gone.doc_id)] + [later, changed]
    same(replaced, final)
    monkeypatch.setattr(kt, "MARGIN", 0)  # every cut settled by the bound alone, deletions included
    same(replaced, final)
    monkeypatch.setattr(kt, "MARGIN", 200)
    assert {c for c, _ in replaced.search(["ฉบับแก้ไข"], 50)} == set(changed.chunk_ids)
    assert not set(gone.chunk_ids) & {c for c, _ in replaced.search(gone.tokens[0], 50)}
    # a reader opening the folder gets the same snapshot, deletions known
    reopened = TantivyStore(tmp_path / "inc").open(3)
    assert reopened is not None and reopened.deleted == replaced.deleted
    same(reopened, final)
    # the folder refuses an update that does not follow its generation, and one past the
    # deletion budget: the caller rebuilds
    assert store.update(5, [later]) is None
    monkeypatch.setattr(kt, "COMPACT_SHARE", 0.0)
    assert store.update(4, [later]) is None


@pytest.mark.slow
def test_an_index_on_tantivy_answers_updates_per_document_and_is_healthy(tmp_path, settings_factory, monkeypatch, caplog):
    import assistant.store.keyword_tantivy as kt
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    # the seed alone is a few chunks: one replaced chunk is past the default deletion budget
    monkeypatch.setattr(kt, "COMPACT_SHARE", 0.5)
    caplog.set_level(logging.INFO, logger="assistant.store.keyword_tantivy")

    a = Assistant(settings_factory(tmp_path / "idx", keyword_backend="tantivy"))
    docs = tmp_path / "docs"
    shutil.copytree(SEED_DIR, docs)
    note = docs / "note.txt"
    note.write_text("โครงการถนนอัจฉริยะของเทศบาลตำบลบ้านทดสอบเริ่มปี ๒๕๖๘", encoding="utf-8")
    emb = a.embedder
    assert ingest([docs], a.index, emb.embed_passages, emb.count_tokens).ok
    kw_dir = tmp_path / "idx" / "keyword-tantivy"
    assert not (tmp_path / "idx" / "keyword").exists()
    state = json.loads((kw_dir / "STATE.json").read_text())
    assert state["generation"] == a.index.generation and not state["pending"]
    ans = a.ask("แนวทางที่ 7 คืออะไร")
    assert not ans.refused and ans.citations[0].doc_id == SEED_ID
    assert "ปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ" in ans.citations[0].quote

    note.write_text("โครงการไฟส่องสว่างพลังงานแสงอาทิตย์ของเทศบาลตำบลบ้านทดสอบ", encoding="utf-8")
    rep = ingest([docs], a.index, emb.embed_passages, emb.count_tokens)
    assert rep.replaced == ["note.txt"]
    after = json.loads((kw_dir / "STATE.json").read_text())
    assert after["dir"] == state["dir"] and after["generation"] == a.index.generation  # updated in place
    assert after["deleted"] >= 1 and not any("compacting" in r.getMessage() for r in caplog.records)
    assert a.index.bm25(index_tokens("ไฟส่องสว่างพลังงานแสงอาทิตย์"), 1)[0][0] in a.index.catalog.chunk_ids("note.txt")
    assert not a.index.bm25(index_tokens("ถนนอัจฉริยะ"), 5) or all(
        c not in a.index.catalog.chunk_ids("note.txt") for c, _ in a.index.bm25(["ถนน"], 50))
    check = a.index.check()
    assert check["healthy"] and check["keyword_matches"], check["problems"]
    assert a.index.problems() == []
    # another process's reader (a fresh Index on the same folder) opens the committed state
    reader = Index(tmp_path / "idx", None, a.index.model_fingerprint, keyword_backend="tantivy")
    assert reader.keyword().generation == a.index.generation
    assert reader.keyword().chunk_count == len(a.index.catalog.chunk_ids())


@pytest.mark.parametrize("damage", ["missing", "state", "segments"])
def test_a_damaged_or_missing_tantivy_folder_is_rebuilt_from_the_catalog(tmp_path, damage, caplog):
    from ingest import pipeline
    from tests.test_reliability_units import write_docs

    write_docs(tmp_path / "docs", 4)
    idx = Index(tmp_path / "index", model_fingerprint="fake:1", keyword_backend="tantivy")
    pipeline.ingest([tmp_path / "docs"], idx, fake_embed, count, chunk_tokens=40)
    query = index_tokens("เอกสารdocที่ 2 ย่อหน้าที่ 3")
    want = idx.bm25(query, 5)
    assert want
    kw = tmp_path / "index" / "keyword-tantivy"
    if damage == "missing":
        shutil.rmtree(kw)
    elif damage == "state":
        (kw / "STATE.json").write_text("{not json")
    else:
        live = kw / json.loads((kw / "STATE.json").read_text())["dir"]
        for f in live.iterdir():
            if f.suffix in (".idx", ".term", ".store", ".fieldnorm"):
                f.write_bytes(b"\0" * 16)
    reader = Index(tmp_path / "index", model_fingerprint="fake:1", keyword_backend="tantivy")
    with caplog.at_level(logging.WARNING, logger="assistant.store.keyword_tantivy"):
        got = reader.bm25(query, 5)
    assert got == want  # searched from a copy built from the catalog, never empty
    if damage != "missing":
        assert any("tantivy keyword index" in r.getMessage() for r in caplog.records)
    assert any("in-memory copy" in r.getMessage() for r in caplog.records)
    assert not reader.check()["healthy"]  # doctor says so until a writer rewrites it
    reader.repair(fake_embed)
    assert reader.check()["healthy"] and reader.problems() == []
    fresh = Index(tmp_path / "index", model_fingerprint="fake:1", keyword_backend="tantivy")
    assert fresh.bm25(query, 5) == want


def test_unknown_backend_is_refused_and_env_selects_tantivy(tmp_path, monkeypatch):
    from assistant.config import load_settings
    from assistant.store.index import IndexError_

    with pytest.raises(IndexError_, match="keyword backend"):
        Index(tmp_path / "i", model_fingerprint="fake:1", keyword_backend="lucene")
    assert load_settings().keyword_backend == "bm25s"
    monkeypatch.setenv("ASSISTANT_KEYWORD_BACKEND", "tantivy")
    assert load_settings().keyword_backend == "tantivy"
