"""Numbers written in Thai words (issue #33): the Acts write deadlines and thresholds as words
("ภายในสามสิบวัน", "หนึ่งหมื่นคน", "สองในสาม", "ร้อยละยี่สิบ"); they are read as numbers wherever
numbers meet: keyword tokens, answer typing, the figure checks and the direct answer."""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest

from assistant.text.numbers import annotate, as_digits, numerals
from tests.conftest import shared_corpus

# ---------------------------------------------------------------- the reader


@pytest.mark.parametrize("text, value", [
    ("ภายในสามสิบวัน", 30),
    ("ภายในสิบห้าวัน", 15),
    ("มีราษฎรตั้งแต่หนึ่งหมื่นคนขึ้นไป", 10000),
    ("ภายในยี่สิบเอ็ดวัน", 21),
    ("ไม่น้อยกว่าสองในสามของสมาชิก", Fraction(2, 3)),
    ("ในอัตราร้อยละยี่สิบของเงิน", 20),
    ("ปรับไม่เกินหนึ่งแสนบาท", 100000),
    ("ปรับไม่เกินห้าแสนบาท", 500000),
    ("มีราษฎรเกินห้าแสนคนแต่ไม่เกินหนึ่งล้านคน", 500000),
    ("สมาชิกจำนวนสิบสองคน", 12),
])
def test_numbers_in_words_are_read(text, value):
    found = numerals(text)
    assert found and found[0][2] == value
    start, end, _ = found[0]
    assert text[start:end] and not text[start:end].startswith(("ภายใน", "มี"))


@pytest.mark.parametrize("text", [
    "สามารถ", "สี่แยกไฟแดง", "เด็กหกล้ม", "อาณาจักรล้านนา", "นั่งเก้าอี้", "จังหวัดร้อยเอ็ด", "สิบเอกสมชาย",
    "พันธุ์ไม้", "แสนสิริ", "คนแสนดี", "ร้อยพวงมาลัย", "พันเอกสมชาย", "สามแยก", "ยี่ห้อ",
    "สองสามวัน",  # "a couple of days": no figure
    "37 ล้านคน",  # the digits are the figure; "ล้าน" is not a second one
])
def test_words_holding_number_syllables_are_not_numbers(text):
    assert numerals(text) == []


def test_annotate_writes_the_figure_once_after_its_unit():
    assert annotate("ภายในสามสิบวันนับแต่วันที่ได้รับ") == "ภายในสามสิบวัน (30 วัน) นับแต่วันที่ได้รับ"
    assert annotate("มีราษฎรตั้งแต่หนึ่งหมื่นคนขึ้นไป") == "มีราษฎรตั้งแต่หนึ่งหมื่นคน (10,000 คน) ขึ้นไป"
    assert annotate("ในอัตราร้อยละยี่สิบของเงิน") == "ในอัตราร้อยละยี่สิบ (ร้อยละ 20) ของเงิน"
    assert annotate("ไม่น้อยกว่าสองในสามของสมาชิก") == "ไม่น้อยกว่าสองในสาม (2/3) ของสมาชิก"
    once = annotate("ภายในสิบห้าวัน")
    assert once == "ภายในสิบห้าวัน (15 วัน)" and annotate(once) == once
    for left in ("ภายใน 30 วัน", "ภายใน ๓๐ วัน", "ตามวรรคหนึ่ง", "ทั้งสองฝ่าย", "สามารถทำได้"):
        assert annotate(left) == left


def test_keyword_tokens_hold_both_forms():
    from assistant.text.thai import index_tokens

    words = index_tokens("ให้สภาเทศบาลพิจารณาใหม่ภายในสามสิบวัน")
    assert "สามสิบ" in words and "30" in words
    assert "30" in index_tokens("ภายใน ๓๐ วัน") and "10000" in index_tokens("หนึ่งหมื่นคน")
    assert index_tokens("สามารถ สี่แยก") == [t for t in index_tokens("สามารถ สี่แยก") if not t.isdigit()]


def test_a_figure_in_words_is_a_figure():
    from assistant.answer.extractive import NUMBER, figure_given
    from assistant.answer.features import gives_asked_kind

    q = "สภาเทศบาลต้องพิจารณาใหม่ภายในกี่วัน"
    assert figure_given(q, ["ให้สภาเทศบาลพิจารณาใหม่ภายในสามสิบวันนับแต่วันที่ได้รับ"])
    assert figure_given("เทศบาลเมืองต้องมีราษฎรกี่คน", ["ที่มีราษฎรตั้งแต่หนึ่งหมื่นคนขึ้นไป"])
    assert figure_given("ได้รับจัดสรรกี่เปอร์เซ็นต์", ["ในอัตราร้อยละยี่สิบของเงินค่าภาคหลวงแร่"])
    # number syllables inside words give no figure, with or without the unit near them
    assert not figure_given("ต้องมีราษฎรกี่คน", ["สามารถให้คนในท้องถิ่นเข้าร่วม"])
    assert not figure_given("ต้องพิจารณาภายในกี่วัน", ["สามารถพิจารณาได้ทุกวัน"])
    assert gives_asked_kind("number", "ภายในสิบห้าวัน", q) and not gives_asked_kind("number", "สามารถทำได้", q)
    assert NUMBER.search("ไม่เกินสามคน") and not NUMBER.search("สามารถแต่งตั้งได้")
    assert as_digits("ภายในสามสิบวัน") == "ภายใน30วัน"


def test_a_classifier_with_diao_counts_one():
    from assistant.answer.extractive import figure_given

    q = "การขอเปิดอภิปรายทั่วไปทำได้กี่ครั้งในสมัยประชุมหนึ่ง"
    assert figure_given(q, ["การขอเปิดอภิปรายทั่วไปตามมาตรานี้ จะทำได้ครั้งเดียวในสมัยประชุมสามัญสมัยหนึ่ง"])
    assert as_digits("มีผู้สมัครคนเดียว") == "มีผู้สมัคร1 คน"
    # เดียวกัน is "the same", not one; เดียว after no classifier counts nothing
    assert not figure_given("ประชุมกี่ครั้ง", ["ให้ประชุมในคราวเดียวกันกับครั้งเดียวกัน"])
    assert as_digits("อย่างเดียว") == "อย่างเดียว"


def test_scorer_unit_feature_reads_words():
    from assistant.answer.features import FEATURES, Candidate, features
    from assistant.query.qtype import analyse

    q = "ต้องเลือกสมาชิกแทนภายในกี่วัน"
    row = features(analyse(q), ("เลือก", "สมาชิก", "แทน"), q, Candidate("ให้เลือกสมาชิกแทนภายในสิบห้าวัน", 0, 0.0, 0))
    got = dict(zip(FEATURES, row))
    assert got["unit"] == 1.0 and got["new_number"] == 1.0
    row = features(analyse(q), ("เลือก", "สมาชิก", "แทน"), q, Candidate("ให้เลือกสมาชิกแทนได้ตามที่สามารถ", 0, 0.0, 0))
    assert dict(zip(FEATURES, row))["new_number"] == 0.0


# ---------------------------------------------------------------- on the real Acts

ACTS = ("618130", "523968")  # the Municipality Act; the decentralisation plan Act


@pytest.fixture(scope="module")
def acts(tmp_path_factory, settings_factory):
    """The two Acts of ../shared/corpus that write these figures, indexed with the real model."""
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    src = shared_corpus() / "thai_law"
    docs = tmp_path_factory.mktemp("acts")
    for sysid in ACTS:
        shutil.copy(src / f"{sysid}.txt", docs)
    index_dir = tmp_path_factory.mktemp("acts-index")
    a = Assistant(settings_factory(index_dir))
    report = ingest([docs], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok and len(report.added) == 2, report.failures
    return a, index_dir


@pytest.mark.parametrize("question, words, digits, section", [
    # ภายในสามสิบวัน
    ("ถ้าผู้ว่าราชการจังหวัดไม่เห็นชอบร่างเทศบัญญัติ สภาเทศบาลต้องพิจารณาใหม่ภายในกี่วัน", "สามสิบวัน", "30 วัน", "มาตรา ๖๒"),
    # ภายในสิบห้าวัน
    ("ตำแหน่งประธานสภาเทศบาลว่างลง ต้องเลือกสมาชิกสภาเทศบาลขึ้นแทนภายในกี่วัน", "สิบห้าวัน", "15 วัน", "มาตรา ๒๐ ตรี"),
    # หนึ่งหมื่นคน
    ("ท้องถิ่นที่จะเป็นเทศบาลเมืองต้องมีราษฎรอย่างน้อยกี่คน", "หนึ่งหมื่นคน", "10,000 คน", "มาตรา ๑๐"),
    # สองในสาม
    ("สภาเทศบาลต้องมีมติยืนยันร่างเทศบัญญัติเดิมด้วยคะแนนเสียงเท่าไร", "สองในสาม", "2/3", "มาตรา ๖๒"),
    # ร้อยละยี่สิบ
    ("เทศบาลที่มีพื้นที่ครอบคลุมประทานบัตรได้รับจัดสรรค่าภาคหลวงแร่ร้อยละเท่าไร", "ร้อยละยี่สิบ", "ร้อยละ 20", "มาตรา ๒๓"),
])
def test_a_how_many_question_gets_the_figure_in_words_with_its_section(acts, question, words, digits, section):
    a, _ = acts
    ans = a.ask(question)
    assert not ans.refused, ans.answer
    direct = ans.answer.split("\n")[0]
    assert words in direct or digits in direct, ans.answer
    assert section in ans.citations[0].location, [c.location for c in ans.citations]


def test_digits_in_a_question_find_the_words_of_an_act(acts):
    from assistant.text.thai import index_tokens

    a, _ = acts
    for query, words in (("พิจารณาใหม่ภายใน 30 วัน ร่างเทศบัญญัติ", "สามสิบวัน"),
                         ("ราษฎรตั้งแต่ 10000 คน เทศบาลเมือง", "หนึ่งหมื่นคน")):
        top = a.index.bm25(index_tokens(query), 3)
        texts = a.index.chunks([cid for cid, _ in top])
        assert any(words in texts[cid].text for cid, _ in top), query


def test_an_index_tokenized_before_is_made_current(acts, tmp_path):
    """Keyword tokens are stored at ingest: an index made before numbers were read is found out,
    searched with fresh tokens, and re-tokenized by the next ingest (here: retokenize)."""
    from assistant.store.index import Index
    from assistant.text.thai import TOKENIZER_VERSION

    _, built = acts
    root = tmp_path / "old"
    shutil.copytree(built, root)
    idx = Index(root)
    rows = idx.catalog.chunks_with_tokens()
    # what the tokenizer before this one stored: no digits for numbers in words
    old = {c.chunk_id: [t for t in toks if not (t == "30" and "๓๐" not in c.text)] for c, toks in rows}
    idx.catalog.set_tokens(old, {"tokenizer": "1"})
    shutil.rmtree(root / "keyword")
    assert idx.tokens_stale()
    assert any("tokenizer" in p for p in idx.check()["problems"])
    assert any("tokenizer" in p.text and not p.blocking for p in idx.problems())
    with_words = {c.chunk_id for c, _ in rows if "สามสิบวัน" in c.text}
    assert with_words & {cid for cid, _ in idx.bm25(["30"], 500)}  # searches read fresh tokens meanwhile
    assert idx.retokenize() == len(rows)
    assert not idx.tokens_stale() and idx.catalog.get_meta("tokenizer") == TOKENIZER_VERSION
    stored = dict((c.chunk_id, t) for c, t in idx.catalog.chunks_with_tokens())
    assert all("30" in stored[cid] for cid in with_words)
    assert idx.check()["healthy"] and idx.retokenize() == 0
    idx.close()
