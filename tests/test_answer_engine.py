"""The answer engine: question typing, sentences cut for answers, enumerated items, composition."""

from __future__ import annotations

import pytest

from assistant.answer import engine
from assistant.answer.engine import AnswerEngine, candidates
from assistant.answer.evidence import RefusalRule
from assistant.judge import contains_key
from assistant.query.qtype import analyse
from assistant.schema import Evidence, Hit, ItemHit, QueryPlan, Retrieval
from assistant.text.items import asked_items, items_in
from assistant.text.thai import answer_sentences
from tests.conftest import SEED_DIR, SEED_ID

STRONG = Evidence(0.95, 1.0)


@pytest.mark.parametrize("question, kind, unit", [
    ("การประชุมจัดขึ้นเมื่อไร", "when", ""),
    ("พัทธ์ธีรา ศรุติพงศ์โภคิน เกิดวันที่เท่าไร", "when", ""),
    ("พระราชกฤษฎีกาฉบับนี้ประกาศในปีใด", "when", ""),
    ("ใครเป็นประธานการประชุม", "who", ""),
    ("หน่วยงานใดรับผิดชอบโครงการ", "who", ""),
    ("สำนักงานใหญ่ตั้งอยู่ที่ไหน", "where", ""),
    ("โครงการนี้ใช้งบประมาณกี่บาท", "number", "บาท"),
    ("ผู้สูงอายุได้รับเบี้ยยังชีพเดือนละเท่าไร", "number", ""),
    ("มีแนวทางทั้งหมดกี่ข้อ อะไรบ้าง", "list", "ข้อ"),
    ("สภามีสมาชิกกี่ประเภท", "number", "ประเภท"),  # any classifier, not only a list of units
    ("แบ่งภัยคุกคามออกเป็นกี่ระดับ", "number", "ระดับ"),
    ("อปท. มีหน้าที่อะไรบ้าง", "list", ""),
    ("เทศบาลตำบลเก็บค่าขยะได้ไหม", "yesno", ""),
    ("อบต. ต้องจัดทำแผนพัฒนาหรือไม่", "yesno", ""),
    ("เมืองอัจฉริยะคืออะไร", "definition", ""),
    ("ผู้สูงอายุ หมายถึง", "definition", ""),
    ("ยื่นคำขอรับเบี้ยยังชีพอย่างไร", "how", ""),
    ("ทำไมต้องพัฒนาเมืองอัจฉริยะ", "why", ""),
])
def test_question_types(question, kind, unit):
    qt = analyse(question)
    assert (qt.kind, qt.unit) == (kind, unit)


@pytest.mark.parametrize("sentence, names_a_place", [
    ("เมื่อวันที่ 30 เมษายน 2567 ณ ห้องดวงกมล โรงแรม เดอะ สุโกศล", True),
    ("ฝนตกหนักในภาคเหนือและภาคอีสาน", True),
    ("สำนักงานตั้งอยู่ที่อำเภอเมือง จังหวัดน่าน", True),
    ("ห้างแห่งใหม่อยู่กลางตัวเมืองเชียงใหม่", True),
    ("ครอบครัวย้ายไปอยู่รัฐแคลิฟอร์เนีย", True),
    # sectors, the state and a kind of city are no place
    ("โดยเชิญผู้แทนหน่วยงานภาครัฐ ภาคเอกชน และสถาบันการศึกษา", False),
    ("ส่งเสริมภาคอุตสาหกรรมและภาคเกษตรร่วมกับภาคี", False),
    ("หน่วยงานของรัฐต้องเปิดเผยข้อมูลตามที่รัฐบาลกำหนด", False),
    ("นักการเมืองและพลเมืองร่วมกันแก้ปัญหาตามขอบเขตอำนาจ", False),
    ("กรมโยธาธิการและผังเมืองร่วมพัฒนาเมืองอัจฉริยะ", False),
])
def test_a_where_answer_names_a_place(sentence, names_a_place):
    from assistant.answer.features import gives_asked_kind

    assert gives_asked_kind("where", sentence, "การประชุมจัดขึ้นที่ไหน") is names_a_place


def test_a_word_holding_the_letters_of_a_question_word_is_not_one():
    assert analyse("เขาแสดงความเห็นเกี่ยวกับโรคระบาดว่าอย่างไร").kind == "how"  # เกี่ยว is not กี่


@pytest.mark.parametrize("text, keeps", [
    ("โครงการเริ่มในปี พ.ศ. 2533 และดำเนินการต่อเนื่อง", "พ.ศ. 2533"),
    ("ส่งเสริมบทบาทขององค์กรปกครองส่วนท้องถิ่น (อปท. ) ในการพัฒนาเมือง", "(อปท. ) ในการพัฒนาเมือง"),
    ("ดร. ภาสกร บุญญลักษม์ ผู้อำนวยการกอง กล่าวเปิดการประชุม", "ดร. ภาสกร"),
])
def test_an_abbreviation_or_an_open_bracket_never_ends_an_answer_sentence(text, keeps):
    assert any(keeps.replace(" ", "") in s.replace(" ", "") for s in answer_sentences(text))


def test_the_seed_enumerates_ten_guidelines():
    text = (SEED_DIR / SEED_ID).read_text(encoding="utf-8")
    items = items_in(text)["แนวทางที่"]
    assert [i.number for i in items] == list(range(1, 11))
    assert items[3].text == "เสริมสร้างศักยภาพ อปท."
    assert items[6].text.startswith("การให้ความสำคัญกับการปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ")
    assert not items[8].text.endswith("และ")


def test_numbers_in_running_text_are_not_an_enumeration():
    assert items_in("ย่านพระราม 4 7. การพัฒนาเมืองเก่า แนวทางที่ 2 ของกระทรวง") == {}


@pytest.mark.parametrize("question, asked", [
    ("แนวทางที่ 7 ของการพัฒนาเมืองอัจฉริยะคืออะไร", ("แนวทาง", [7])),
    ("แนวทางที่ ๗ คืออะไร", ("แนวทาง", [7])),
    ("แนวทาง 7 และ 8 ว่าอย่างไร", ("แนวทาง", [7, 8])),
    ("แนวทางที่ 7-9 มีอะไร", ("แนวทาง", [7, 8, 9])),
    ("แนวทางแรกคืออะไร", ("แนวทาง", [1])),
    ("ข้อสุดท้ายคืออะไร", ("ข้อ", "last")),
    ("มีแนวทางทั้งหมดกี่ข้อ อะไรบ้าง", ("แนวทาง", "all")),
    ("สิบแนวทางมีอะไรบ้าง", ("แนวทาง", "all")),
    ("ข้อมูลอะไรบ้างที่ต้องเปิดเผย", None),
    ("มีกี่ข้อ", None),
    ("ต้นแบบตามแนวทาง 10 ข้อมีกี่แห่ง", None),  # "แนวทาง 10 ข้อ" counts the guidelines; it names none
    ("เรื่องนี้ตรงกับแนวทางข้อไหน", ("แนวทาง", "which")),
    ("แนวทางที่เกี่ยวกับข้อมูลมีชื่อว่าอะไร", ("แนวทาง", "which")),
    ("แนวทางข้อใดบ้างที่เกี่ยวกับสิ่งแวดล้อม", ("แนวทาง", "all")),  # ใดบ้าง: the items on a topic
    ("ข้อไหนสำคัญที่สุด", None),  # the bare ข้อ is not an enumeration a question names
])
def test_what_a_question_asks_of_an_enumeration(question, asked):
    assert asked_items(question, ["แนวทาง", "ข้อ"]) == asked


def _hit(text, n=1, doc="d.txt", score=0.03):
    return Hit(f"c{n}", doc, "ข่าว", f"ย่อหน้า {n}", text, score, n, scores={"dense": 0.9})


def _engine(**kw):
    return AnswerEngine(RefusalRule(), **kw)


def test_the_sentence_holding_the_asked_kind_of_thing_comes_first():
    text = ("การประชุมกลุ่มผู้เชี่ยวชาญด้านเมืองอัจฉริยะจัดขึ้นที่กรุงเทพมหานคร โดยมีผู้เชี่ยวชาญหลายหน่วยงานเข้าร่วม "
            "การประชุมกลุ่มผู้เชี่ยวชาญจัดขึ้นเมื่อวันที่ 30 เมษายน 2567 ณ โรงแรมในกรุงเทพมหานคร")
    r = Retrieval(QueryPlan.bare("การประชุมกลุ่มผู้เชี่ยวชาญจัดขึ้นเมื่อไร"), [_hit(text)], STRONG)
    ans = _engine().answer(r)
    first = ans.answer.split("\n")[0]
    assert "30 เมษายน 2567" in first and first.endswith("[1]")
    quoted = [ln.rsplit(" [", 1)[0].removeprefix("- ") for ln in ans.answer.split("\n") if ln.endswith("]")]
    assert all(q in text for q in quoted) and ans.meta["question_type"] == "when"  # verbatim quotes only


def test_an_answer_in_the_next_chunk_is_found():
    top = _hit("โครงการพัฒนาเมืองอัจฉริยะของเทศบาลได้รับความสนใจจากประชาชนจำนวนมาก", 1)
    after = _hit("งบประมาณของโครงการพัฒนาเมืองอัจฉริยะทั้งสิ้น 25 ล้านบาท จากกองทุนพัฒนาดิจิทัล", 2)
    r = Retrieval(QueryPlan.bare("โครงการพัฒนาเมืองอัจฉริยะใช้งบประมาณกี่บาท"), [top], STRONG, context={"c1": [after]})
    cands, sources = candidates(r, 3)
    assert any("25 ล้านบาท" in c.text and sources[c.hit].chunk_id == "c2" for c in cands)
    ans = _engine().answer(r)
    assert "25 ล้านบาท" in ans.answer.split("\n")[0]
    assert any(c.location == "ย่อหน้า 2" for c in ans.citations)


def test_a_figure_no_passage_gives_is_refused():
    r = Retrieval(QueryPlan.bare("โครงการนี้ใช้งบประมาณกี่บาท"), [_hit("โครงการพัฒนาเมืองอัจฉริยะมุ่งเน้นการมีส่วนร่วมของประชาชน")], STRONG)
    assert _engine().answer(r).refused


def test_each_part_of_a_two_part_question_gets_its_sentence():
    text = ("สภาองค์การบริหารส่วนตำบลต้องพิจารณาร่างข้อบัญญัติงบประมาณให้แล้วเสร็จภายในหกสิบวันนับแต่วันที่ได้รับร่าง\n"
            "ถ้าสภาพิจารณาไม่แล้วเสร็จในกำหนด ให้ถือว่าสภาให้ความเห็นชอบตามที่นายกเสนอ")
    q = "สภา อบต. ต้องพิจารณาร่างข้อบัญญัติงบประมาณให้เสร็จภายในกี่วัน ถ้าพิจารณาไม่เสร็จจะเป็นยังไง"
    ans = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert "หกสิบวัน" in ans.answer and "ให้ถือว่าสภาให้ความเห็นชอบ" in ans.answer
    assert all(line.endswith("]") for line in ans.answer.split("\n") if line.strip() and not line.endswith(":"))


def test_the_figure_must_be_in_the_quoted_sentence_not_only_its_passage():
    text = ("โครงการพัฒนาเมืองอัจฉริยะของเทศบาลได้รับงบประมาณสนับสนุนจากหลายหน่วยงาน "
            "ประชาชนในพื้นที่ 3 ตำบลได้ร่วมให้ความเห็นต่อโครงการ")
    r = Retrieval(QueryPlan.bare("โครงการพัฒนาเมืองอัจฉริยะของเทศบาลได้รับงบประมาณกี่บาท"), [_hit(text)], STRONG)
    ans = _engine().answer(r)
    assert ans.refused and "ตัวเลข" in ans.answer  # a number sits in the passage, but not in baht
    given = text + " งบประมาณที่ได้รับรวม 12 ล้านบาท"
    ans = _engine().answer(Retrieval(r.plan, [_hit(given)], STRONG))
    assert not ans.refused and "12 ล้านบาท" in ans.answer.split("\n")[0]


def test_a_weak_best_sentence_is_refused_however_close_the_passages_look():
    from assistant.answer.evidence import Evidence as Ev

    close = Ev(0.95, 1.0)
    assert not RefusalRule(min_answer_score=0.0).refuse(close, 0.05)
    assert RefusalRule(min_answer_score=0.2).refuse(close, 0.05)
    assert not RefusalRule(min_answer_score=0.2).refuse(close, 0.5)


def test_items_are_quoted_as_a_numbered_list_with_citations():
    seed = (SEED_DIR / SEED_ID).read_text(encoding="utf-8")
    items = items_in(seed)["แนวทางที่"]
    h = Hit("s1", SEED_ID, "สถ. ร่วมกับ JICA", "ย่อหน้า 4", seed, 1.0)
    plan = QueryPlan.bare("มีแนวทางทั้งหมดกี่ข้อ อะไรบ้าง")
    plan.asked_items = ("แนวทาง", "all")
    r = Retrieval(plan, [h], Evidence(0.5, 0.0), items=[ItemHit(i.label, i.number, i.text, h, len(items)) for i in items])
    ans = _engine().answer(r)
    lines = ans.answer.split("\n")
    assert lines[0] == "มีทั้งหมด 10 แนวทาง:" and len(lines) == 11
    assert lines[7].startswith("7. การให้ความสำคัญกับการปรับตัว") and lines[7].endswith("[1]")
    assert not ans.refused and ans.citations[0].doc_id == SEED_ID  # items answer even on weak evidence


def test_a_list_question_with_a_topic_keeps_the_items_on_that_topic():
    from assistant.knowledge.glossary import load_default
    from assistant.query.understand import plan as make_plan

    seed = (SEED_DIR / SEED_ID).read_text(encoding="utf-8")
    items = items_in(seed)["แนวทางที่"]
    h = Hit("s1", SEED_ID, "สถ.", "ย่อหน้า 4", seed, 1.0)
    plan = make_plan("แนวทางเรื่องโลกร้อนมีอะไรบ้าง", load_default())
    plan.asked_items = ("แนวทาง", "all")
    r = Retrieval(plan, [h], STRONG, items=[ItemHit(i.label, i.number, i.text, h, len(items)) for i in items])
    ans = _engine().answer(r)
    numbered = [ln.split(".")[0] for ln in ans.answer.split("\n")[1:]]
    assert numbered == ["7", "8"]


def test_listed_items_are_units_for_quoting_a_list_only():
    text = "มาตรา ๖๗ องค์การบริหารส่วนตำบล มีหน้าที่ต้องทำ ดังต่อไปนี้ (๑) จัดให้มีและบำรุงรักษาทางน้ำและทางบก (๒) รักษาความสะอาดของถนน ทางน้ำ ทางเดิน และที่สาธารณะ (๓) ป้องกันโรคและระงับโรคติดต่อ"
    units = answer_sentences(text, items=True)
    assert units[0].endswith("ดังต่อไปนี้")
    assert units[1:] == ["(๑) จัดให้มีและบำรุงรักษาทางน้ำและทางบก", "(๒) รักษาความสะอาดของถนน ทางน้ำ ทางเดิน และที่สาธารณะ",
                         "(๓) ป้องกันโรคและระงับโรคติดต่อ"]
    assert answer_sentences("เขาเกิด (1) ค.ศ. 1990 ที่กรุงเทพ", items=True) == ["เขาเกิด (1) ค.ศ. 1990 ที่กรุงเทพ"]  # one marker is no list
    # ... unless the words before it introduce a list: a chunk may end with a list's first item
    assert answer_sentences("นโยบายนี้มี 3 ยุทธศาสตร์หลัก ได้แก่ (1) Green by Design: การออกแบบเมือง", items=True) == [
        "นโยบายนี้มี 3 ยุทธศาสตร์หลัก ได้แก่", "(1) Green by Design: การออกแบบเมือง"]
    assert len(answer_sentences("ให้เป็นไปตามมาตรา ๔๒ (๒) แห่งพระราชบัญญัตินี้", items=True)) == 1
    assert " ".join(answer_sentences(text)).replace(" ", "") == text.replace(" ", "")  # scoring keeps sentences


def _chunk_of(doc: str, title: str, location: str):
    """Consecutive chunks of one part of a document: part(n, text) is its n-th."""
    return lambda n, text: Hit(f"c{n}", doc, title, location, text, 0.03, n, scores={"dense": 0.9})


def test_a_list_a_duty_question_meets_is_quoted_item_by_item_across_chunks():
    part = _chunk_of("act.txt", "พระราชบัญญัติสภาตำบลและองค์การบริหารส่วนตำบล", "มาตรา ๖๗")

    first = part(1, "มาตรา ๖๗ องค์การบริหารส่วนตำบล มีหน้าที่ต้องทำในเขตองค์การบริหารส่วนตำบล ดังต่อไปนี้ "
                    "(๑) จัดให้มีและบำรุงรักษาทางน้ำและทางบก (๒) รักษาความสะอาดของถนน ทางน้ำ ทางเดิน และที่สาธารณะ (๓) ป้องกันโรค")
    after = part(2, "(๓) ป้องกันโรคและระงับโรคติดต่อ (๔) ป้องกันและบรรเทาสาธารณภัย")
    other = Hit("c9", "act.txt", "พระราชบัญญัติสภาตำบลและองค์การบริหารส่วนตำบล", "มาตรา ๖๘", "(๕) ให้มีน้ำเพื่อการอุปโภค", 0.03, 9)
    r = Retrieval(QueryPlan.bare("องค์การบริหารส่วนตำบลมีหน้าที่ต้องทำอะไรบ้าง"), [first], STRONG, context={"c1": [after, other]})
    lines = _engine().answer(r).answer.split("\n")
    assert lines[0].endswith("ดังต่อไปนี้ [1]")
    assert [ln.split(")")[0] for ln in lines[1:5]] == ["- (๑", "- (๒", "- (๓", "- (๔"]
    assert lines[3] == "- (๓) ป้องกันโรคและระงับโรคติดต่อ [2]"  # the item whole, from the chunk that holds it whole
    assert lines[4] == "- (๔) ป้องกันและบรรเทาสาธารณภัย [2]"
    assert "(๕)" not in "\n".join(lines)  # another section's items are not this list's
    # the next chunk may hold the list's last item alone, followed by its sub-items
    two = part(1, first.text.split(" ทางน้ำ ทางเดิน")[0])  # the chunk boundary falls inside (๒)
    last = part(2, "ทางน้ำ ทางเดิน และที่สาธารณะ (๓) ป้องกันโรคและระงับโรคติดต่อ ดังต่อไปนี้ (ก) โรคไข้เลือดออก (ข) โรคพิษสุนัขบ้า")
    r = Retrieval(QueryPlan.bare("องค์การบริหารส่วนตำบลมีหน้าที่ต้องทำอะไรบ้าง"), [two], STRONG, context={"c1": [last]})
    lines = _engine().answer(r).answer.split("\n")
    assert lines[3].startswith("- (๓) ป้องกันโรคและระงับโรคติดต่อ") and lines[3].endswith("[2]")


def test_a_news_items_title_repeated_in_its_text_is_not_quoted_as_the_answer():
    title = "ดีอีเอส ลงนามข้อตกลงการรับทุน พัฒนาภูเก็ตสู่เมืองอัจฉริยะ"
    text = (f"รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-{title}\n{title}\n"
            "นายชัยวุฒิ ธนาคมานุสรณ์ รัฐมนตรีว่าการกระทรวงดิจิทัลฯ ได้ร่วมเป็นสักขีพยานการลงนามข้อตกลงการรับทุนพัฒนาภูเก็ต")
    hit = Hit("c1", "news.txt", title, "ย่อหน้า 1", text, 0.03, 1, scores={"dense": 0.9})
    ans = _engine().answer(Retrieval(QueryPlan.bare("ใครเป็นสักขีพยานตอนดีอีเอสลงนามข้อตกลงการรับทุนพัฒนาภูเก็ตสู่เมืองอัจฉริยะ"), [hit], STRONG))
    assert ans.answer.startswith("นายชัยวุฒิ") and "ข่าวทำเนียบรัฐบาล" not in ans.answer
    assert ans.answer.count(title) == 0


def test_a_list_whose_first_item_ends_a_chunk_goes_on_in_the_next():
    part = _chunk_of("news.txt", "ดีอี ร่วมประชุมเมืองอัจฉริยะ", "ย่อหน้า 2")

    first = part(1, "นายเวทางค์ได้ร่วมเสวนา โดยกล่าวถึงนโยบายดิจิทัลสีเขียวของกระทรวง ซึ่งให้ความสำคัญกับ 3 ยุทธศาสตร์หลัก "
                    "ได้แก่ (1) Green by Design: การออกแบบเมืองที่ยั่งยืน")
    after = part(2, "ตั้งแต่เริ่มต้น (2) Green Digitalization: การใช้ดิจิทัลลดผลกระทบ (3) Green Optimization: การใช้ทรัพยากรอย่างคุ้มค่า")
    r = Retrieval(QueryPlan.bare("นโยบายดิจิทัลสีเขียวมียุทธศาสตร์หลักอะไรบ้าง"), [first], STRONG, context={"c1": [after]})
    lines = _engine().answer(r).answer.split("\n")
    assert lines[0].endswith("ได้แก่ [1]")
    assert lines[1:4] == ["- (1) Green by Design: การออกแบบเมืองที่ยั่งยืน [1]", "- (2) Green Digitalization: การใช้ดิจิทัลลดผลกระทบ [2]",
                          "- (3) Green Optimization: การใช้ทรัพยากรอย่างคุ้มค่า [2]"]


def test_a_figure_asked_in_a_later_part_does_not_refuse_the_first_part():
    text = ("คณะกรรมการกระจายอำนาจให้ อปท. มีภารกิจป้องกันไฟป่าตามกิจการอื่นใดที่เป็นผลประโยชน์ของประชาชนในท้องถิ่น\n"
            "การดำเนินงานในพื้นที่นำร่องจังหวัดเชียงใหม่มีองค์กรปกครองส่วนท้องถิ่นเข้าร่วม 19 แห่ง")
    q = "ให้ อปท. ป้องกันไฟป่าอาศัยช่องทางข้อไหน นำร่องที่จังหวัดเชียงใหม่กี่แห่ง"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert not ans.refused and "กิจการอื่นใด" in ans.answer and "19 แห่ง" in ans.answer
    no_figure = text.split("\n")[0]
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(no_figure)], STRONG))
    assert not ans.refused and "กิจการอื่นใด" in ans.answer  # the figure part goes unanswered, the rest stands


def test_a_long_list_shows_each_items_start_and_its_card_the_whole_item():
    items = " ".join(f"({n}) {'ส่งเสริมและสนับสนุนการพัฒนาคุณภาพชีวิตของประชาชนในท้องถิ่นทุกกลุ่มวัย ' * 2}ข้อที่ {n}" for n in "๑๒๓๔๕")
    text = f"มาตรา ๖๗ องค์การบริหารส่วนตำบล มีหน้าที่ต้องทำในเขตองค์การบริหารส่วนตำบล ดังต่อไปนี้ {items}"
    ans = _engine().answer(Retrieval(QueryPlan.bare("องค์การบริหารส่วนตำบลมีหน้าที่ต้องทำอะไรบ้าง"), [_hit(text)], STRONG))
    lines = ans.answer.split("\n")
    assert lines[0].endswith("ดังต่อไปนี้ [1]") and len(lines) == 6
    assert all(ln.startswith("- (") and ln.endswith("… [1]") and len(ln) < 140 for ln in lines[1:])
    for item in answer_sentences(text, items=True)[1:]:  # the card marks each item whole, as the Act has it
        assert item.endswith("ข้อที่ " + item[1]) and item in ans.citations[0].quote


def test_a_further_part_is_answered_by_a_sentence_holding_what_it_asks_about():
    # The fee sentence also scores best for "ถ้าไม่จ่ายต้องเสียดอกเบี้ยเท่าไร" read with the first part's
    # words, and it gives a figure; only the interest sentence holds ดอกเบี้ย.
    text = ("มาตรา ๑๒ องค์กรปกครองส่วนท้องถิ่นจะกำหนดให้ผู้ซึ่งฝ่าฝืนข้อบัญญัติท้องถิ่นต้องเสียค่าธรรมเนียมเป็นพิเศษ"
            "ตามจำนวนที่กำหนดไว้ในข้อบัญญัติท้องถิ่นซึ่งไม่เกินหนึ่งพันบาทก็ได้\n"
            "ผู้ใดไม่ชำระค่าธรรมเนียมเป็นพิเศษ ต้องเสียดอกเบี้ยร้อยละสิบห้าต่อปี คำนวณถึงวันที่ชำระครบถ้วน")
    q = "ค่าธรรมเนียมเป็นพิเศษสำหรับคนฝ่าฝืนข้อบัญญัติท้องถิ่นกำหนดได้ไม่เกินเท่าไร ถ้าไม่จ่ายต้องเสียดอกเบี้ยเท่าไร"
    ans = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))  # no support to lean on
    assert not ans.refused and "หนึ่งพันบาท" in ans.answer and "ดอกเบี้ยร้อยละสิบห้า" in ans.answer


def test_a_count_in_another_word_than_the_question_uses_is_still_an_answer():
    # "กี่ที่นั่ง" is answered in คน: the counted word helps scoring, it is not required
    text = "จังหวัดใดมีราษฎรเกินสองล้านคนขึ้นไป ให้มีการเลือกตั้งสมาชิกสภาองค์การบริหารส่วนจังหวัดได้สี่สิบแปดคน"
    ans = _engine().answer(Retrieval(QueryPlan.bare("จังหวัดประชากรเกินสองล้านคนเลือกสมาชิกสภาองค์การบริหารส่วนจังหวัดได้กี่ที่นั่ง"),
                                     [_hit(text)], STRONG))
    assert not ans.refused and "สี่สิบแปดคน" in ans.answer


def test_a_count_asked_in_a_word_is_answered_by_the_sentence_counting_in_it():
    text = ('มาตรา ๑๐ ห้ามบุคคลใดนอกจากสภาใช้ชื่อ "สภาดิจิทัลเพื่อเศรษฐกิจและสังคมแห่งประเทศไทย" หรือใช้ชื่อในทำนองเดียวกัน'
            'จนเป็นเหตุให้บุคคลอื่นหลงเชื่อว่าเป็นส่วนหนึ่งของสภาดิจิทัลเพื่อเศรษฐกิจและสังคมแห่งประเทศไทย\n'
            "มาตรา ๑๑ สภามีสมาชิกสามประเภท คือ (๑) สมาชิกสามัญ (๒) สมาชิกวิสามัญ (๓) สมาชิกกิตติมศักดิ์")
    q = "สภาดิจิทัลเพื่อเศรษฐกิจและสังคมแห่งประเทศไทยมีสมาชิกกี่ประเภท"
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert not ans.refused and ans.answer.startswith("มาตรา ๑๑ สภามีสมาชิกสามประเภท")


def test_a_question_on_what_the_law_says_hears_it_from_an_act_among_the_top_passages():
    # the guidance's sentence answers the first half; the Act ranked fourth holds what the law says
    news = [_hit("แนวทางที่ 2 ส่งเสริมการมีส่วนร่วมของชุมชนในการพัฒนาเมืองอัจฉริยะ", 1),
            _hit("เทศบาลหลายแห่งเปิดเวทีรับฟังความเห็นของประชาชนเรื่องเมืองอัจฉริยะ", 2),
            _hit("ประชาชนในพื้นที่ร่วมออกแบบโครงการพัฒนาเมืองอัจฉริยะกับเทศบาล", 3)]
    act = Hit("c4", "law.txt", "พระราชบัญญัติเทศบาล พ.ศ. ๒๔๙๖", "มาตรา ๕๐", "มาตรา ๕๐ ภายใต้บังคับแห่งกฎหมาย "
              "เทศบาลตำบลมีหน้าที่ต้องทำในเขตเทศบาล และให้คำนึงถึงการมีส่วนร่วมของประชาชนในการจัดทำแผนพัฒนาเทศบาล", 0.02)
    q = "แนวทางข้อที่ให้ชุมชนมีส่วนร่วม ถ้าเทศบาลจะทำจริง กฎหมายเขียนไว้ไหมว่าต้องให้ประชาชนมีส่วนร่วมตอนทำแผน"
    ans = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare(q), news + [act], STRONG))
    assert "การมีส่วนร่วมของประชาชนในการจัดทำแผนพัฒนาเทศบาล" in ans.answer
    assert ans.citations[-1].doc_id == "law.txt" and ans.citations[-1].location == "มาตรา ๕๐"
    # a question that does not ask about the law is not sent to an Act
    plain = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare("แนวทางข้อที่ให้ชุมชนมีส่วนร่วมคือข้อไหน"), news + [act], STRONG))
    assert all(c.doc_id != "law.txt" for c in plain.citations)


@pytest.mark.parametrize("text, question, rest", [
    # crfcut cuts a list's last items off the sentence that lists them ...
    ("ผักพื้นฐานของแกงกะหรี่ญี่ปุ่นคือ หอมใหญ่ แคร์รอต และมันฝรั่ง บางครั้งก็ใส่เนื้อวัวหรือเนื้อหมูลงไปด้วย",
     "ผักพื้นฐานของแกงกะหรี่ญี่ปุ่นมีอะไรบ้าง", "แคร์รอต และมันฝรั่ง"),
    # ... and a year off "ปีงบประมาณ"
    (("โครงการเมืองอัจฉริยะของเทศบาลนำร่องในสามพื้นที่ ได้แก่ ตำบลบ้านใหม่ ตำบลหนองบัว และตำบลท่าทราย "
      "โดยเริ่มดำเนินการในปีงบประมาณ 2568"), "โครงการเมืองอัจฉริยะของเทศบาลเริ่มดำเนินการในปีงบประมาณใด", "2568"),
    # ... and a short opening clause off the sentence it begins
    ("ปลาชนิดนี้เป็นปลากินเนื้อ มีพฤติกรรมอาศัยอยู่รวมกันเป็นฝูง มักหากินตามชายฝั่งซึ่งบางครั้งอาจพบได้ในแถบน้ำกร่อย",
     "ปลาชนิดนี้มีพฤติกรรมอย่างไร", "ปลาชนิดนี้เป็นปลากินเนื้อ"),
])
def test_the_rest_of_a_sentence_crfcut_cut_off_stays_with_it(text, question, rest):
    pieces = answer_sentences(text)
    assert rest in pieces  # the cut this guards against
    r = Retrieval(QueryPlan.bare(question), [_hit(text)], STRONG)
    first = _engine().answer(r).answer.split("\n")[0]
    assert rest in first and first.endswith("[1]")


def test_a_who_answer_that_names_no_one_takes_in_the_subject_crfcut_cut_off():
    text = ("คณะกรรมาธิการยุโรปซึ่งเป็นฝ่ายบริหารของสหภาพยุโรปและประกอบด้วยกรรมาธิการจากทุกประเทศสมาชิก "
            "มีเอกสิทธิ์ในการร่างกฎหมายและเสนอต่อที่ประชุมใหญ่")
    assert answer_sentences(text)[0].endswith("ทุกประเทศสมาชิก")  # crfcut cuts the subject off
    ans = _engine().answer(Retrieval(QueryPlan.bare("ใครมีเอกสิทธิ์ในการร่างกฎหมาย"), [_hit(text)], STRONG))
    assert ans.answer.startswith("คณะกรรมาธิการยุโรป") and "มีเอกสิทธิ์ในการร่างกฎหมาย" in ans.answer.split("\n")[0]
    # a question of another kind keeps the sentence that answers it alone
    ans = _engine().answer(Retrieval(QueryPlan.bare("การร่างกฎหมายเป็นเอกสิทธิ์ของฝ่ายบริหารหรือไม่"), [_hit(text)], STRONG))
    assert not ans.answer.startswith("คณะกรรมาธิการยุโรป")


def test_the_sentence_after_the_direct_answer_joins_it_when_the_two_read_as_one(monkeypatch):
    # the best sentence matches the question; the one after it gives the fact
    first = "เภสัชกรที่ปรึกษาส่วนใหญ่มีแนวโน้มที่จะทำงานในสถานที่แห่งหนึ่งมาโดยตลอดตั้งแต่อดีตจนถึงปัจจุบัน"
    then = "ตามปกติแล้วเภสัชกรที่ปรึกษาจะทำงานในสถานพยาบาลเป็นส่วนใหญ่ แต่ก็กำลังแตกแขนงเข้าไปในสถาบันอื่นเพิ่มขึ้น"
    assert answer_sentences(f"{first} {then}") == [first, then]
    q = "เภสัชกรที่ปรึกษาส่วนใหญ่มีแนวโน้มที่จะทำงานที่ใด"
    lead = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare(q), [_hit(f"{first} {then}")], STRONG)).answer.split("\n")[0]
    assert lead.startswith(first) and "สถานพยาบาล" in lead
    # two that are long together stay apart
    monkeypatch.setattr(engine, "JOINED", len(first) + len(then) - 1)
    assert engine.completed(first, _hit(f"{first} {then}")) == first


def test_a_sentence_is_not_completed_with_the_next_paragraph():
    text = "การประชุมกลุ่มผู้เชี่ยวชาญจัดขึ้นเมื่อวันที่ 30 เมษายน 2567 ณ โรงแรมในกรุงเทพมหานคร\nหมวด ๒ การกำกับดูแล"
    r = Retrieval(QueryPlan.bare("การประชุมกลุ่มผู้เชี่ยวชาญจัดขึ้นเมื่อไร"), [_hit(text)], STRONG)
    first = _engine().answer(r).answer.split("\n")[0]
    assert "30 เมษายน 2567" in first and "หมวด" not in first


def test_a_numbered_instance_no_passage_names_is_refused_with_its_name():
    from assistant.answer.evidence import evidence_for, unfound_instances

    first = _hit("การประชุมกลุ่มผู้เชี่ยวชาญ (EGM) จัดขึ้นเมื่อวันที่ 30 เมษายน 2567 ณ โรงแรมเดอะสุโกศล กรุงเทพมหานคร")
    q = "การประชุม EGM ครั้งที่ 2 จะจัดวันไหน ที่โรงแรมอะไร"
    assert unfound_instances(q, [first]) == ["ครั้งที่ 2"]
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [first], evidence_for(q, [first])))
    assert ans.refused and "ครั้งที่ 2" in ans.answer and "30 เมษายน" not in ans.answer
    # named as the question names it, by the thing and its number, or in a title carrying the number
    assert unfound_instances(q, [_hit("การประชุม EGM ครั้งที่ ๒ จะจัดขึ้นในเดือนกันยายน")]) == []
    assert unfound_instances("ใครร้องเพลงชาติในซูเปอร์โบว์ลครั้งที่ 50", [_hit("เลดีกาการ้องเพลงชาติในซูเปอร์โบว์ล 50")]) == []
    titled = Hit("c1", "sb.txt", "Super_Bowl_50", "", "เลดีกากาขับร้องเพลงชาติก่อนการแข่งขัน", 0.03, 1)
    assert unfound_instances("ใครร้องเพลงชาติในซูเปอร์โบว์ลครั้งที่ 50", [titled]) == []
    other = Hit("c1", "n.txt", "ปลัด ดีอี เปิดงาน IEEE-ISC2-2024", "", "การประชุมครั้งที่ 12 จัดขึ้นที่กรุงเทพ", 0.03, 1)
    assert unfound_instances(q, [other]) == ["ครั้งที่ 2"]  # neither "ISC2" nor "ครั้งที่ 12" names it


def test_a_year_or_province_the_passages_speak_past_is_refused_with_its_name():
    from assistant.answer.evidence import evidence_for, unfound_specifics

    budget = _hit("เมื่อวันที่ 12 ตุลาคม 2565 บีโอไออนุมัติการลงทุนรวม 80,208 ล้านบาท")
    q = "อบจ.เชียงใหม่ได้งบประมาณปี 68 สำหรับทำสมาร์ทซิตี้เท่าไหร่"
    assert unfound_specifics(q, [budget]) == ["ปี 68"]
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [budget], evidence_for(q, [budget])))
    assert ans.refused and "ปี 68" in ans.answer and "80,208" not in ans.answer
    # the year in the other era, or as "ปีงบประมาณ 68", names it
    assert unfound_specifics(q.replace("อบจ.เชียงใหม่", "อบจ."), [_hit("ในปี 2025 อบจ. ได้รับ 10 ล้านบาท")]) == []
    # passages that name no year and no province (an Act's section) may hold the answer
    act = _hit("องค์การบริหารส่วนจังหวัดมีอำนาจหน้าที่จัดทำแผนพัฒนาองค์การบริหารส่วนจังหวัด")
    assert unfound_specifics("อบจ.ขอนแก่นปี 2568 มีอำนาจหน้าที่อะไร", [act]) == []
    # another province named, the one asked not
    news = _hit("นายก อบจ.พิษณุโลก และนายก อบจ.ระยอง ร่วมประชุมการถ่ายโอนภารกิจ")
    assert unfound_specifics("ผลเลือกตั้งนายก อบจ.ขอนแก่นใครได้รับเลือก", [news]) == ["อบจ.ขอนแก่น"]
    assert unfound_specifics("ผลเลือกตั้งนายก อบจ.ระยองใครได้รับเลือก", [news]) == []


def test_no_quote_comes_from_a_passage_on_another_year():
    from assistant.answer.evidence import evidence_for, speaks_of_another

    q = "ไจก้าให้งบสนับสนุน สถ. ทำโครงการเมืองน่าอยู่อัจฉริยะปี 67 เป็นเงินกี่ล้านบาท"
    seed = _hit("สถ. ร่วมกับไจก้าจัดประชุมผู้เชี่ยวชาญเรื่องเมืองน่าอยู่อัจฉริยะเมื่อวันที่ 30 เมษายน 2567", 1, "seed.txt")
    budget = _hit("บีโอไออนุมัติโครงการเมืองอัจฉริยะ 26 โครงการ คิดเป็นเงิน 80,208 ล้านบาท", 2, "boi.txt")
    dated = Hit("c9", "boi.txt", "ข่าว", "ย่อหน้า 1", "วันพุธที่ 12 ตุลาคม 2565 ข่าวบีโอไอ", 0.0, 0)
    # the top passages together name ปี 67, so the question is not refused for the year; the
    # budget passage names no year, but its document's dateline says 2565
    ev = evidence_for(q, [seed, budget], openings={"boi.txt": dated})
    assert not ev.unfound and speaks_of_another(q, budget, {"boi.txt": dated})
    assert not speaks_of_another(q, budget)  # undated, it may still answer
    r = Retrieval(QueryPlan.bare(q), [seed, budget], ev, openings={"boi.txt": dated})
    ans = _engine().answer(r)
    assert ans.refused and "80,208" not in ans.answer
    ans = _engine().answer(Retrieval(QueryPlan.bare(q), [seed, budget], evidence_for(q, [seed, budget])))
    assert not ans.refused and "80,208" in ans.answer  # without the dateline the figure is quoted
    # a question naming two years is served by a passage on either
    two = "ปี 2564 คัดคนรุ่นใหม่ได้กี่คน แล้วรุ่นที่ 2 ในปี 2566 มีคนจบกี่คน"
    assert not speaks_of_another(two, _hit("ในปี 2564 มีผู้ผ่านการคัดเลือก 30 คน"))
    assert speaks_of_another(two, _hit("ในปี 2562 มีผู้ผ่านการคัดเลือก 20 คน"))


def test_a_further_part_prefers_the_sentence_holding_its_rarest_words():
    # "จ่าย" also sits inside "ค่าใช้จ่าย"; only the interest sentence holds "ดอกเบี้ย", the rarer word
    text = ("มาตรา ๑๒ ผู้ซึ่งฝ่าฝืนข้อบัญญัติท้องถิ่นต้องเสียค่าธรรมเนียมเป็นพิเศษซึ่งไม่เกินหนึ่งพันบาทก็ได้\n"
            "มาตรา ๑๑ เงินค่าธรรมเนียม ค่าใช้จ่าย และค่าปรับตามพระราชบัญญัตินี้ ให้ตกเป็นรายได้ขององค์กรปกครองส่วนท้องถิ่น\n"
            "ผู้ใดไม่ชำระภายในกำหนด ต้องเสียดอกเบี้ยร้อยละสิบห้าต่อปี")
    q = "ค่าธรรมเนียมเป็นพิเศษกำหนดได้ไม่เกินเท่าไร ถ้าไม่จ่ายต้องเสียดอกเบี้ยเท่าไร"
    ans = _engine(max_sentences=1).answer(Retrieval(QueryPlan.bare(q), [_hit(text)], STRONG))
    assert contains_key(ans.answer, ["ร้อยละสิบห้าต่อปี"]) and "ค่าใช้จ่าย" not in ans.answer  # its figure glossed


def _plan(question):
    from assistant.knowledge.glossary import load_default

    plan = QueryPlan.bare(question)
    plan.expansions = load_default().find(question)
    return plan


def test_the_two_things_a_question_compares_are_the_glossary_terms_either_side_of_its_joining_word():
    from assistant.answer.compare import sides

    q = "ทต. กับ อบจ. มีวาระการดำรงตำแหน่งต่างกันไหม"
    assert [s[:2] for s in sides(q, _plan(q).expansions)] == [("ทต", "เทศบาลตำบล"), ("อบจ", "องค์การบริหารส่วนจังหวัด")]
    # a narrower word stands for itself, not for the class it brings into the search (อปท.)
    q = "อบต. และเทศบาล มีรายได้ต่างกันอย่างไร"
    assert sides(q, _plan(q).expansions) == [("อบต", "องค์การบริหารส่วนตำบล"), ("เทศบาล",)]
    q = "อบต. ร่วมมือกับ depa ทำโครงการอะไรบ้าง"  # joins two bodies but compares nothing
    assert sides(q, _plan(q).expansions) == []


def test_a_comparing_question_quotes_a_passage_on_each_thing_it_compares():
    pao = Hit("c1", "pao.txt", "พระราชบัญญัติ องค์การบริหารส่วนจังหวัด พ.ศ. ๒๕๔๐", "มาตรา ๕๑",
              "มาตรา ๕๑ ในข้อบัญญัติจะกำหนดโทษผู้ละเมิดข้อบัญญัติไว้ด้วยก็ได้ แต่ห้ามมิให้กำหนดโทษจำคุกเกินหกเดือน "
              "และหรือปรับเกินหนึ่งหมื่นบาท", 0.04)
    news = [_hit("องค์การบริหารส่วนจังหวัดหลายแห่งออกข้อบัญญัติเรื่องการจัดการขยะ", 2, "news2.txt", 0.03),
            _hit("ประชาชนร่วมแสดงความเห็นต่อร่างข้อบัญญัติขององค์การบริหารส่วนจังหวัด", 3, "news3.txt", 0.025)]
    tao = Hit("c4", "tao.txt", "พระราชบัญญัติ สภาตำบลและองค์การบริหารส่วนตำบล พ.ศ. ๒๕๓๗", "มาตรา ๗๑",
              "มาตรา ๗๑ องค์การบริหารส่วนตำบลอาจออกข้อบัญญัติเพื่อใช้บังคับในเขตได้ "
              "ในการนี้จะกำหนดโทษปรับผู้ฝ่าฝืนด้วยก็ได้ แต่มิให้กำหนดโทษปรับเกินหนึ่งพันบาท", 0.02)
    q = "ข้อบัญญัติ อบจ. กับข้อบัญญัติ อบต. กำหนดโทษปรับได้สูงสุดต่างกันอย่างไร"
    ans = _engine(max_sentences=1).answer(Retrieval(_plan(q), [pao] + news + [tao], STRONG))
    assert "ปรับเกินหนึ่งหมื่นบาท" in ans.answer and "ปรับเกินหนึ่งพันบาท" in ans.answer
    assert {c.doc_id for c in ans.citations} >= {"pao.txt", "tao.txt"}
    # asked of one body only, the other body's Act is not brought in
    one = "ข้อบัญญัติ อบจ. กำหนดโทษปรับได้สูงสุดเท่าไร"
    assert all(c.doc_id != "tao.txt" for c in _engine(max_sentences=1).answer(Retrieval(_plan(one), [pao] + news + [tao], STRONG)).citations)
