"""Questions that ask several things: split into parts (query/parts.py), each part searched on its
own and answered in the question's order, refused part by part (answer/engine.py)."""

from __future__ import annotations

import pytest

from assistant.answer.engine import AnswerEngine
from assistant.answer.evidence import RefusalRule
from assistant.judge import contains_key
from assistant.query.parts import OWN_WORDS, _content, split
from assistant.schema import Evidence, Hit, QueryPlan, Retrieval
from assistant.text.thai import words
from tests.conftest import SEED_ID

OLDER_PERSONS = "thai_law/635171.txt"


def asked(question: str) -> list[str]:
    return [p.asked for p in split(question)]


@pytest.mark.parametrize("question, parts", [
    ("การประชุม EGM จัดขึ้นเมื่อไรและที่ไหน", ["การประชุม EGM จัดขึ้นเมื่อไร", "ที่ไหน"]),
    ("ประชุม EGM จัดที่โรงแรมอะไร แล้วมีหน่วยงานไหนร่วมจัดบ้าง", ["ประชุม EGM จัดที่โรงแรมอะไร", "มีหน่วยงานไหนร่วมจัดบ้าง"]),
    # a condition stays with its part
    ("ต้องส่งรายงานภายในกี่วันถ้าไม่ส่งจะเป็นอย่างไร", ["ต้องส่งรายงานภายในกี่วัน", "ถ้าไม่ส่งจะเป็นอย่างไร"]),
    ("พิธีลงนามจัดขึ้นวันไหน ที่จังหวัดอะไร ใครเป็นประธาน", ["พิธีลงนามจัดขึ้นวันไหน", "ที่จังหวัดอะไร", "ใครเป็นประธาน"]),
    ("ใครเป็นประธานเปิดงานครับ แล้วมีผู้เชี่ยวชาญจากประเทศไหนบ้าง", ["ใครเป็นประธานเปิดงานครับ", "มีผู้เชี่ยวชาญจากประเทศไหนบ้าง"]),
    # "กับ" joins names as often as asks: not a cut
    ("ครม. อนุมัติให้ใครลงนามรับทุน Phuket Smart City กับ USTDA แล้วพิธีลงนามจัดขึ้นวันไหน",
     ["ครม. อนุมัติให้ใครลงนามรับทุน Phuket Smart City กับ USTDA", "พิธีลงนามจัดขึ้นวันไหน"]),
])
def test_a_question_that_asks_several_things_is_split_into_its_asks(question, parts):
    assert asked(question) == parts


@pytest.mark.parametrize("question", [
    "กรมส่งเสริมการปกครองท้องถิ่นและ JICA จัดประชุมเมื่อไร",  # one ask, "และ" inside its subject
    "แนวทางมีกี่ข้อ อะไรบ้างคะ",  # a count and its list are one ask
    "แนวทางมีกี่ข้ออะไรบ้าง",
    "ทำอะไรได้บ้างไหม",  # question words with nothing between them
    "ทำได้ ใช่ไหม",
    "ผู้ใดฝ่าฝืนมาตรา 10 ต้องระวางโทษเท่าไร",  # the law's "whoever" is not a question word
    "ควรตั้งโจทย์จากอะไร จากเทคโนโลยีที่บริษัทเสนอขาย หรือจากเรื่องที่คนในพื้นที่เดือดร้อนจริง ๆ",  # alternatives
    "หน่วยงานของรัฐต้องเปิดเผยข้อมูลใด ๆ ไหม",  # "ใด ๆ" (any) asks nothing
])
def test_a_question_that_asks_one_thing_is_not_split(question):
    assert split(question) == []


def test_a_thin_part_is_searched_with_the_subject_named_once():
    first, second = split("การประชุม EGM จัดขึ้นเมื่อไรและที่ไหน")
    assert second.asked == "ที่ไหน" and "EGM" in second.search and "เมื่อไร" not in second.search
    # a part that says enough of its own is searched as it is
    _, law = split("ชาวบ้านขอดูงบประมาณประจำปีของ อบต. ได้ไหม และกฎหมายรัฐบาลดิจิทัลกำหนดให้หน่วยงานรัฐเปิดเผยข้อมูลผ่านช่องทางใด")
    assert law.search == law.asked


def test_a_part_that_opens_on_a_word_pointing_back_is_searched_with_the_subject():
    first, second = split("ศูนย์อาเซียนด้านการเปลี่ยนแปลงสภาพภูมิอากาศ (ACCC) จะตั้งที่ประเทศไหน แล้วประเทศนั้นจะสมทบเงินเข้ากองทุนเท่าไร")
    assert second.asked == "ประเทศนั้นจะสมทบเงินเข้ากองทุนเท่าไร" and "ACCC" in second.search
    assert len(_content(words(second.asked, keep_whitespace=True))) >= OWN_WORDS  # carried for pointing back
    # further in, the word points inside its own part, which says enough on its own
    _, own = split("กฎหมายนิยามรัฐบาลดิจิทัลว่าอย่างไร และหน่วยงานที่ได้รับข้อมูลดิจิทัลจากหน่วยงานอื่นต้องใช้ข้อมูลนั้นอย่างไร")
    assert own.search == own.asked
    # a part that opens on a verb leaves out the subject it shares
    _, verb = split("ประชุมคณะอนุกรรมการเมืองอัจฉริยะครั้งที่ 1/2566 ใครเป็นประธาน แล้วเห็นชอบแผนพัฒนาเมืองอัจฉริยะไปกี่พื้นที่")
    assert "1/2566" in verb.search
    # "กฎหมายนั้น": the Act the first part's answer names, which the first part's words would not find
    _, act = split("ครม. ชี้ว่าบริษัทเอกชนไม่ได้ทำตามกฎหมายฉบับไหน และกฎหมายนั้นแบ่งระดับภัยคุกคามไซเบอร์ไว้กี่ระดับ")
    assert act.search == act.asked


def test_a_part_that_names_another_kind_of_document_drops_the_first_parts_kind():
    law, guidance = split("เรื่องขยะ กฎหมายว่าอย่างไร และแนวทางของ สถ. ว่าอย่างไร")
    assert "ขยะ" in guidance.search and "กฎหมาย" not in guidance.search
    # naming where to look ("แล้ว พ.ร.บ. ว่าไว้อย่างไร") is not saying what about: the subject is carried
    _, says = split("เทศบาลตั้งศูนย์ดูแลคนชราเองได้ไหม แล้ว พ.ร.บ. ผู้สูงอายุว่าไว้อย่างไร")
    assert "ศูนย์ดูแลคนชรา" in says.search


# ------------------------------------------------------------------ composing, on given passages

STRONG = Evidence(best_dense=0.9, coverage=1.0)


def _hit(text: str, doc: str = "d", chunk: str = "c1", title: str = "เอกสาร") -> Hit:
    return Hit(chunk, doc, title, "มาตรา ๑", text, 1.0, 1, scores={"dense": 0.9})


def _engine() -> AnswerEngine:
    return AnswerEngine(RefusalRule(0.0, 0.86, 0.0, 0.0, 0.0))


def test_each_part_gets_its_own_numbered_line_and_cited_sentence():
    text = ("สภาองค์การบริหารส่วนตำบลต้องพิจารณาร่างข้อบัญญัติงบประมาณให้แล้วเสร็จภายในหกสิบวันนับแต่วันที่ได้รับร่าง\n"
            "ถ้าสภาพิจารณาไม่แล้วเสร็จในกำหนด ให้ถือว่าสภาให้ความเห็นชอบตามที่นายกเสนอ")
    q = "สภาต้องพิจารณางบประมาณให้แล้วเสร็จภายในกี่วัน ถ้าไม่ทันจะเป็นอย่างไร"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    lines = ans.answer.splitlines()
    assert lines[0].startswith("1) ") and "หกสิบวัน" in lines[0] and lines[0].endswith("[1]")
    assert lines[1].startswith("2) ") and "ความเห็นชอบ" in lines[1]
    assert [p["question"] for p in ans.parts] == ["สภาต้องพิจารณางบประมาณให้แล้วเสร็จภายในกี่วัน", "ถ้าไม่ทันจะเป็นอย่างไร"]
    assert all(p["citations"] == [1] and not p["refused"] for p in ans.parts)
    assert ans.meta["parts"] == {"found": 2, "answered": 2, "refused": 0}
    assert ans.to_dict()["parts"] == ans.parts


def test_a_part_the_passages_do_not_answer_says_so_and_the_rest_is_answered():
    text = "การประชุมจัดขึ้นเมื่อวันที่ 30 เมษายน 2567 ณ ห้องดวงกมล โรงแรม เดอะ สุโกศล กรุงเทพมหานคร"
    q = "การประชุมจัดขึ้นเมื่อไร แล้วมีงบประมาณกี่บาท"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert not ans.refused
    assert "30 เมษายน 2567" in ans.answer.splitlines()[0]
    assert ans.answer.splitlines()[1] == "2) มีงบประมาณกี่บาท: เอกสารที่มีไม่ได้ให้คำตอบส่วนนี้"
    assert [p["refused"] for p in ans.parts] == [False, True]


def test_with_question_parts_off_a_question_is_answered_whole():
    text = "การประชุมจัดขึ้นเมื่อวันที่ 30 เมษายน 2567 ณ ห้องดวงกมล โรงแรม เดอะ สุโกศล กรุงเทพมหานคร"
    q = "การประชุมจัดขึ้นเมื่อไร แล้วจัดที่ไหน"
    engine = AnswerEngine(RefusalRule(0.0, 0.86, 0.0, 0.0, 0.0), split_questions=False)
    ans = engine.answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert ans.parts == [] and not ans.answer.startswith("1) ") and "30 เมษายน 2567" in ans.answer


def test_a_further_part_is_answered_by_a_sentence_that_names_what_it_asks_though_shown_before():
    # the first sentence names the place and the person; the fresh one shares the part's word "ทีม"
    # and names no one
    text = ("การประชุมจัดขึ้นที่ห้องดวงกมล โรงแรม เดอะ สุโกศล นำโดยนายธีรยุทธ สำราญทรัพย์ ผู้ตรวจราชการกรม\n"
            "ผู้เข้าร่วมต้องทำงานเป็นทีมเดียวกันและแก้ปัญหาร่วมกันอย่างรวดเร็ว")
    q = "การประชุมจัดที่ไหน แล้วใครนำทีมกรม"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert "สุโกศล" in ans.parts[0]["answer"]
    assert "ธีรยุทธ" in ans.parts[1]["answer"] and ans.answer.splitlines()[1] == "2) ดูข้อ 1"


def test_a_question_none_of_whose_parts_is_supported_is_refused():
    text = "โครงการพัฒนาเมืองอัจฉริยะมุ่งเน้นการมีส่วนร่วมของประชาชน"
    q = "โครงการนี้ใช้งบกี่บาท แล้วมีคนได้ประโยชน์กี่คน"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert ans.refused and [p["refused"] for p in ans.parts] == [True, True]


# ------------------------------------------------------------------ on a real index

def test_each_part_is_searched_on_its_own_and_keeps_its_documents_in_the_top_5(built_index):
    a, _ = built_index
    q = "ตามกฎหมายผู้สูงอายุต้องมีอายุเท่าไร และแนวทางของ สถ. ข้อไหนว่าด้วยการพัฒนาที่ครอบคลุมคนทุกกลุ่ม"
    plan = a.understand(q)
    assert len(plan.parts) == 2
    r = a.retrieve(plan)
    assert all(p.hits for p in r.parts)
    top5 = [h.doc_id for h in r.hits[:5]]
    assert any(d.endswith(SEED_ID) for d in top5) and any(d.endswith(OLDER_PERSONS) for d in top5)
    # each part's best passage is among the merged hits
    assert all(p.hits[0].chunk_id in {h.chunk_id for h in r.hits} for p in r.parts)
    ans = a.answer(r)
    assert not ans.refused and ans.answer.startswith("1) ")
    assert contains_key(ans.answer, ["หกสิบปี"]) and contains_key(ans.answer, ["ครอบคลุมคนทุกกลุ่ม"])
    cited = [c.doc_id for c in ans.citations]
    assert any(d.endswith(SEED_ID) for d in cited) and any(d.endswith(OLDER_PERSONS) for d in cited)


def test_an_off_topic_part_is_refused_on_its_own_line(built_index):
    a, _ = built_index
    ans = a.ask("การประชุม EGM จัดที่โรงแรมอะไร แล้วราคาทองวันนี้เท่าไร")
    assert not ans.refused
    assert [p["refused"] for p in ans.parts] == [False, True]
    assert "ราคาทองวันนี้เท่าไร: เอกสารที่มีไม่ได้ให้คำตอบส่วนนี้" in ans.answer
