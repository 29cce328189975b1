from assistant.schema import Document, Section
from ingest.chunking import approx_tokens, chunk_document, chunk_id, pack, pack_indices, units


def test_pack_respects_budget_and_overlaps():
    units = [f"ประโยคที่{i} " + "ก" * 20 + " " for i in range(10)]
    groups = pack_indices(units, budget=60, count=approx_tokens, overlap=1)
    assert len(groups) > 1
    assert all(sum(approx_tokens(units[i]) for i in g) <= 60 for g in groups)
    for a, b in zip(groups, groups[1:]):
        assert b[0] == a[-1]  # the last sentence is repeated as context
    assert sorted({i for g in groups for i in g}) == list(range(10))  # nothing lost
    assert pack(units, 60, approx_tokens)[0] == "".join(units[i] for i in groups[0]).strip()


def test_units_are_original_slices_split_at_enumerations():
    text = "ที่ประชุมเสนอ 3 แนวทาง ได้แก่ แนวทางที่ 1 การมีส่วนร่วม แนวทางที่ 2 การพัฒนาอย่างเท่าเทียม แนวทางที่ 3 พันธมิตร"
    us = units(text)
    assert "".join(us).strip() == text  # no text lost or re-spaced
    assert sum(u.startswith("แนวทางที่") for u in us) == 3


def test_plain_paragraphs_pack_together_with_a_range():
    secs = [Section(f"ย่อหน้าที่ {i} ของข่าวเรื่องการพัฒนาเมืองอัจฉริยะในจังหวัด", f"ย่อหน้า {i}") for i in range(1, 4)]
    chunks = chunk_document(Document("n.jsonl#1", "ข่าว", "n", "jsonl", secs + [Section("-", "ย่อหน้า 4")]), budget=128)
    assert len(chunks) == 1 and chunks[0].location == "ย่อหน้า 1–3"


def test_chunk_ids_are_stable_content_hashes():
    assert chunk_id("a.txt", "ข้อความ") == chunk_id("a.txt", "ข้อความ")
    assert chunk_id("a.txt", "ข้อความ") != chunk_id("b.txt", "ข้อความ")


def test_repeated_paragraphs_are_deduplicated():
    para = "เทศบาลมีหน้าที่ต้องทำในเขตเทศบาล ให้มีน้ำสะอาดหรือการประปา"
    doc = Document("rep.txt", "ซ้ำ", "rep.txt", "txt", [Section(para, f"ย่อหน้า {i}") for i in range(1, 1001)])
    chunks = chunk_document(doc, budget=160)
    assert len(chunks) == 1


def test_long_sentence_is_split_at_words():
    sent = "".join(f"ข้อ{i}การกระจายอำนาจให้แก่องค์กรปกครองส่วนท้องถิ่น" for i in range(40))  # no spaces
    doc = Document("long.txt", "ยาว", "long.txt", "txt", [Section(sent, "มาตรา ๑")])
    chunks = chunk_document(doc, budget=60)
    assert len(chunks) > 3
    assert all(approx_tokens(c.text) <= 60 for c in chunks)
    assert all(c.location == "มาตรา ๑" for c in chunks)


def test_long_sentences_are_not_carried_as_overlap():
    units = ["ก" * 90 + " ", "ข" * 90 + " ", "ค" * 90]  # 30 tokens each, over a quarter of the budget
    pieces = pack(units, budget=70, count=approx_tokens, overlap=1)
    assert pieces == ["ก" * 90 + " " + "ข" * 90, "ค" * 90]
