from assistant.schema import Document, Section
from ingest.chunking import approx_tokens, chunk_document, chunk_id, pack


def test_pack_respects_budget_and_overlaps():
    units = [f"ประโยคที่{i} " + "ก" * 30 for i in range(10)]
    pieces = pack(units, budget=60, count=approx_tokens, overlap=1)
    assert len(pieces) > 1
    assert all(approx_tokens(p) <= 60 + 15 for p in pieces)
    # each piece after the first starts with the previous piece's last sentence
    for a, b in zip(pieces, pieces[1:]):
        assert b.startswith(a.split(" ")[-2])


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
    units = ["ก" * 90, "ข" * 90, "ค" * 90]  # 30 tokens each, more than a quarter of the budget
    pieces = pack(units, budget=70, count=approx_tokens, overlap=1)
    assert pieces == ["ก" * 90 + " " + "ข" * 90, "ค" * 90]
