from assistant.retrieve.rankers import rrf
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
