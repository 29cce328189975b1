from assistant.retrieve.rankers import by_scores, rrf, standouts
from assistant.retrieve.retriever import cap_per_doc


def test_rrf_rewards_agreement():
    fused = rrf({"dense": ["a", "b", "c"], "bm25": ["c", "a", "d"]}, {"dense": 1, "bm25": 1}, k=60)
    order = [cid for cid, _ in fused]
    assert order[0] == "a"  # ranks 1 and 2
    assert order.index("c") < order.index("b")  # in both lists beats one
    assert set(order) == {"a", "b", "c", "d"}


def test_rrf_weights_shift_the_order():
    only = rrf({"dense": ["x"], "bm25": ["y"]}, {"dense": 2.0, "bm25": 1.0})
    assert only[0][0] == "x"


def test_cap_per_doc_makes_room_for_other_documents():
    items = [(f"a{i}", 1.0 - i / 100) for i in range(5)] + [("b0", 0.5)]
    doc_of = {cid: cid[0] for cid, _ in items}
    top = cap_per_doc(items, doc_of, cap=2, k=3)
    assert [c for c, _ in top] == ["a0", "a1", "b0"]


def test_a_question_on_what_the_law_says_keeps_an_act_in_the_top_five():
    from types import SimpleNamespace

    from assistant.query.qtype import asks_about_law
    from assistant.retrieve.retriever import keep_an_act

    chunks = {c: SimpleNamespace(title="ข่าว") for c in "abcdefg"}
    chunks["f"] = SimpleNamespace(title="พระราชบัญญัติเทศบาล พ.ศ. ๒๔๙๖")
    pool = [(c, 1.0 - i / 10) for i, c in enumerate("abcdefg")]
    ranked = pool[:6]
    assert [c for c, _ in keep_an_act(ranked, pool, chunks, 5, 6)] == list("abcdfe")  # the Act takes the fifth place
    assert keep_an_act(pool[:4] + [pool[5]], pool, chunks, 5, 5) == pool[:4] + [pool[5]]  # one is there already
    assert asks_about_law("กฎหมายที่ตั้งเทศบาลเขียนไว้ไหมว่าต้องให้ประชาชนมีส่วนร่วม")
    assert asks_about_law("ตาม พ.ร.บ. ข้อมูลข่าวสาร ต้องเปิดเผยไหม") and not asks_about_law("แนวทางที่ 2 คืออะไร")


def test_a_chunks_window_holds_its_neighbours_in_the_same_document_only():
    from assistant.store.keyword import window_tokens

    positions = [("a", 0), ("a", 1), ("b", 0), ("a", 2), ("a", 5)]
    toks = [["x"], ["y"], ["z"], ["w"], ["v"]]
    win = window_tokens(positions, toks, width=1)
    assert win == [["x", "y"], ["x", "y", "w"], ["z"], ["y", "w"], ["v"]]  # in document order; ("a", 5) has no neighbour


def test_the_window_view_finds_a_passage_whose_words_the_chunker_split_and_survives_a_reload(tmp_path):
    from assistant.store.keyword import KeywordIndex

    # The question's two words sit in two neighbouring chunks of one document; elsewhere each
    # word stands alone in a chunk of its own.
    toks = [["ภาษี", "ป้าย"], ["อัตรา", "ค่าธรรมเนียม"], ["ภาษี", "ที่ดิน"], ["อัตรา", "ดอกเบี้ย"], ["ข่าว", "กีฬา"]]
    ids = ["n0", "n1", "x0", "y0", "z0"]
    positions = [("law", 0), ("law", 1), ("news1", 0), ("news2", 0), ("news3", 0)]
    kw = KeywordIndex.build(toks, ids, positions, 3, "m")
    kw.save(tmp_path / "keyword")
    again = KeywordIndex.load(tmp_path / "keyword")
    assert again is not None and again.window is not None and again.generation == 3
    for k in (kw, again):
        by_window = [c for c, _ in k.search(["ป้าย", "ค่าธรรมเนียม"], 5, window=True)]
        assert by_window[:2] == ["n0", "n1"]  # each holds both words through its neighbour
        assert {c for c, _ in k.search(["ป้าย", "ค่าธรรมเนียม"], 5)} == {"n0", "n1"}
        assert k.search(["ภาษี", "ดอกเบี้ย"], 5, window=True)[0][1] > 0


def test_a_keyword_index_saved_without_windows_is_rebuilt(tmp_path):
    import json

    from assistant.store.keyword import KeywordIndex

    KeywordIndex.build([["ภาษี"]], ["c0"], [("d", 0)], 1, "m").save(tmp_path / "kw")
    meta = tmp_path / "kw" / "gen-1" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "window": None}))  # as an older version saved it
    assert KeywordIndex.load(tmp_path / "kw") is None  # the caller rebuilds it from the catalog


def test_a_passage_that_stands_out_of_its_list_takes_the_lead_rank_fusion_gave_away():
    # BM25 is sure of "gold" (far above a flat tail); dense puts "near" first by a hair
    dense = [("near", 0.86), ("gold", 0.859)] + [(f"d{i}", 0.85 - i * 0.001) for i in range(20)]
    bm25 = [("gold", 30.0), ("near", 5.0)] + [(f"d{i}", 4.0) for i in range(20)]
    weights = {"dense": 1.0, "bm25": 0.5}
    fused = rrf({n: [c for c, _ in items] for n, items in {"dense": dense, "bm25": bm25}.items()}, weights)
    assert fused[0][0] == "near"  # places alone: a tie broken by dense's weight
    lifted = standouts(fused, {"dense": dense, "bm25": bm25}, weights, z=2.25, share=0.5)
    assert lifted[0][0] == "gold"
    assert standouts(fused, {"dense": dense, "bm25": bm25}, weights, z=2.25, share=0.0) == fused  # off


def test_no_standout_leaves_the_fused_order_as_it_was():
    flat = {"dense": [(c, 0.8 - i * 0.01) for i, c in enumerate("abcdefgh")],
            "bm25": [(c, 10.0 - i) for i, c in enumerate("hgfedcba")]}
    weights = {"dense": 1.0, "bm25": 0.5}
    fused = rrf({n: [c for c, _ in items] for n, items in flat.items()}, weights)
    assert [c for c, _ in standouts(fused, flat, weights, z=2.25, share=0.5)] == [c for c, _ in fused]


def test_the_leading_passages_are_reordered_by_how_far_each_list_prefers_them():
    # dense puts "near" a hair ahead of "gold"; BM25 and the window put gold first by a wide margin:
    # rank fusion at dense 1, BM25 0.5, window 0.2 leads with near all the same
    dense = [("near", 0.880), ("gold", 0.861)] + [(f"d{i}", 0.85 - i * 0.002) for i in range(8)]
    bm25 = [("gold", 12.7), ("near", 8.0)] + [(f"d{i}", 6.0 - i * 0.3) for i in range(8)]
    window = [("gold", 14.6), ("near", 10.6)] + [(f"d{i}", 7.0 - i * 0.3) for i in range(8)]
    parts = {"dense": dense, "bm25": bm25, "window": window}
    weights = {"dense": 1.0, "bm25": 0.5, "window": 0.2}
    fused = rrf({n: [c for c, _ in items] for n, items in parts.items()}, weights)
    assert fused[0][0] == "near"
    out = by_scores(fused, parts, {"dense": 1.0, "bm25": 0.5, "window": 0.5}, top=3)
    assert out[0][0] == "gold" and out[1][0] == "near"
    assert [sc for _, sc in out] == [sc for _, sc in fused]  # the scores stay, in the new order
    assert out[3:] == fused[3:]  # past the first three nothing moves
    assert by_scores(fused, parts, weights, top=0) == fused  # off
