"""A section or paragraph cut into several chunks is one hit (retrieve/retriever.join_units)."""

from types import SimpleNamespace

from assistant.retrieve.retriever import join_units


def _chunk(cid, doc, ordinal, location, text=""):
    return SimpleNamespace(chunk_id=cid, doc_id=doc, ordinal=ordinal, location=location, text=text or cid)


def test_chunks_of_one_section_found_together_are_one_hit_ranked_at_the_best():
    chunks = {c.chunk_id: c for c in [
        _chunk("a2", "act", 2, "มาตรา ๕"), _chunk("a3", "act", 3, "มาตรา ๕"), _chunk("a4", "act", 4, "มาตรา ๕"),
        _chunk("a9", "act", 9, "มาตรา ๕"),  # the same label further on is not the same unit
        _chunk("b1", "act", 5, "มาตรา ๖"), _chunk("n1", "news", 1, "ย่อหน้า 2"), _chunk("n2", "news", 2, "ย่อหน้า 2"),
        _chunk("x1", "plain", 1, ""), _chunk("x2", "plain", 2, "")]}  # no location: nothing to join on
    ranked = [("a3", 0.9), ("n1", 0.8), ("a9", 0.7), ("a2", 0.6), ("x1", 0.5), ("x2", 0.45), ("b1", 0.4), ("n2", 0.3), ("a4", 0.2)]
    out, units = join_units(ranked, chunks, most=3)
    assert [c for c, _ in out] == ["a3", "n1", "a9", "x1", "x2", "b1"]
    assert units == {"a3": ["a2", "a3", "a4"], "n1": ["n1", "n2"]}
    # at most `most` chunks a unit; 1 leaves every chunk its own hit
    out, units = join_units(ranked, chunks, most=2)
    assert units["a3"] == ["a2", "a3"] and ("a4", 0.2) in out
    assert join_units(ranked, chunks, most=1) == (ranked, {})


def test_joined_text_does_not_repeat_the_sentence_a_chunk_carries_over():
    from assistant.schema import Chunk, joined_text

    def chunk(text, start):
        return Chunk(text, "act", 0, text, "", "มาตรา ๕", start, start + len(text))

    first = "มาตรา ๕ ให้เทศบาลมีหน้าที่จัดให้มีน้ำสะอาด และรักษาความสะอาดของถนน"
    second = "และรักษาความสะอาดของถนน กับทั้งกำจัดมูลฝอยและสิ่งปฏิกูล"
    at = first.index("และรักษา")  # the chunker carries the last sentence over (offsets in the document)
    assert joined_text([chunk(first, 0), chunk(second, at)]) == first + " กับทั้งกำจัดมูลฝอยและสิ่งปฏิกูล"
    assert joined_text([chunk("ก่อน", 0), chunk("หลัง", 5)]) == "ก่อน หลัง"
