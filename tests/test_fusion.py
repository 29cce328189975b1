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
