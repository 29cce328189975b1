"""An Act's definitions as units (text/definitions.py): found for definition questions, quoted alone
under their Act and มาตรา, never the whole section."""

from __future__ import annotations

import pytest

from assistant.text.definitions import asked_term, defines, definitions

SECTION = ('มาตรา ๓ ในพระราชบัญญัตินี้ "ผู้สูงอายุ" หมายความว่า บุคคลซึ่งมีอายุเกินหกสิบปีบริบูรณ์ขึ้นไปและมีสัญชาติไทย '
           '"กองทุน" หมายความว่า กองทุนผู้สูงอายุ "คณะกรรมการ" หมายความว่า คณะกรรมการผู้สูงอายุแห่งชาติ')


def test_each_definition_runs_to_the_next():
    found = definitions(SECTION)
    assert [d.term for d in found] == ["ผู้สูงอายุ", "กองทุน", "คณะกรรมการ"]
    assert found[0].text == '"ผู้สูงอายุ" หมายความว่า บุคคลซึ่งมีอายุเกินหกสิบปีบริบูรณ์ขึ้นไปและมีสัญชาติไทย'
    assert found[-1].text.endswith("คณะกรรมการผู้สูงอายุแห่งชาติ")
    assert all(SECTION[d.start : d.end] == d.text for d in found)
    assert definitions("มาตรา ๕ ให้รัฐมนตรีรักษาการตามพระราชบัญญัตินี้") == []


@pytest.mark.parametrize("question, term", [
    ("ผังเมืองรวมหมายความว่าอะไร", "ผังเมืองรวม"),
    ("ตาม พ.ร.บ. ผู้สูงอายุ ผู้สูงอายุหมายความว่าอะไร", "ผู้สูงอายุ"),  # the Act named is not the term
    ("คำว่า คนพิการ ในกฎหมายหมายถึงใคร", "คนพิการ"),
    ("ความหมายของลายมือชื่ออิเล็กทรอนิกส์คืออะไร", "ลายมือชื่ออิเล็กทรอนิกส์"),
    ("ผู้สูงอายุคืออะไรครับ", "ผู้สูงอายุ"),  # a polite particle after the question word
    ("ตามพระราชบัญญัติการผังเมือง พ.ศ. 2562 ผังเมืองรวมหมายความว่าอะไร", "ผังเมืองรวม"),  # the Act's year too
    ("ผู้สูงอายุได้รับสิทธิอะไรบ้าง", ""),  # not a definition question
])
def test_the_term_a_definition_question_asks_about(question, term):
    assert asked_term(question) == term


def test_a_short_term_does_not_define_a_longer_subject():
    assert defines("ผังเมืองรวม", asked_term("ผังเมืองรวมหมายความว่าอะไร"))
    assert not defines("รถ", asked_term("รถพยาบาลฉุกเฉินคืออะไร"))
    assert not defines("ข้อมูลข่าวสาร", asked_term("ข้อมูลข่าวสารส่วนบุคคลหมายความว่าอะไร"))


def test_a_definition_question_is_answered_by_that_definition_alone(built_index):
    a, _ = built_index
    ans = a.ask("ผู้สูงอายุหมายความว่าอะไร")
    assert not ans.refused and ans.meta["items"] == [{"label": "นิยาม", "number": 0}]
    head, body = ans.answer.split("\n")[:2]
    assert head.startswith("พระราชบัญญัติ ผู้สูงอายุ") and "มาตรา ๓" in head
    assert body.startswith('"ผู้สูงอายุ" หมายความว่า บุคคลซึ่งมีอายุเกินหกสิบปีบริบูรณ์ขึ้นไปและมีสัญชาติไทย')
    assert '"กองทุน"' not in ans.answer  # the next definition of the same section is not quoted
    assert ans.citations[0].doc_id.endswith("635171.txt") and ans.citations[0].location.endswith("มาตรา ๓")


def test_the_last_definition_of_a_section_ends_with_its_section(built_index):
    a, _ = built_index
    ans = a.ask("รัฐมนตรีผู้รับผิดชอบหมายความว่าอะไร")  # the last definition of มาตรา ๓
    assert '"รัฐมนตรีผู้รับผิดชอบ" หมายความว่า' in ans.answer
    assert "มาตรา ๔" not in ans.answer.split("\n", 1)[1]  # the next section is not read into it


def test_an_everyday_word_for_the_term_finds_its_definition(built_index):
    a, _ = built_index
    ans = a.ask("คนแก่หมายถึงใคร")  # the glossary's colloquial form of ผู้สูงอายุ
    assert ans.meta.get("items") == [{"label": "นิยาม", "number": 0}]
    assert '"ผู้สูงอายุ" หมายความว่า' in ans.answer


def test_a_term_no_act_defines_is_answered_as_any_question(built_index):
    a, _ = built_index
    plan = a.understand("รถพยาบาลฉุกเฉินคืออะไร")
    assert plan.defines == "รถพยาบาลฉุกเฉิน" and a.retrieve(plan).items == []


def test_an_act_named_by_a_term_it_defines_is_not_an_unknown_act(built_index):
    # officers name an Act by what it is about ("กฎหมายรัฐบาลดิจิทัล"), which its title need not say
    a, _ = built_index
    assert a.understanding.unknown_references("ตามกฎหมายกองทุน ผู้สูงอายุกู้ยืมเงินได้ไหม") == []
    assert a.understanding.unknown_references("ตามกฎหมายควบคุมอาคาร ต้องเว้นระยะร่นกี่เมตร") == ["ควบคุมอาคาร"]
    # a term both Acts of the index define names neither
    assert a.understanding.unknown_references("ตามกฎหมายคณะกรรมการ ต้องประชุมปีละกี่ครั้ง") == ["คณะกรรมการ"]
