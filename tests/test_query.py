"""Query understanding: glossary matching, mined terms, Thai query normalisation, named Acts."""

import pytest

from assistant.knowledge import glossary as G
from assistant.query.specifics import year_variants
from assistant.query.understand import clean_query, named_documents, plan, short_title


def test_glossary_matches_at_word_boundaries_ignoring_dots_and_case():
    g = G.load_default()
    forms = {m.form for m in g.find("ทต. กับ อบต. ต้องเก็บขยะไหม")}
    assert {"ทต", "อบต", "ขยะ"} <= forms
    assert any("smartcity" == m.form for m in g.find("Smart City คืออะไร"))
    assert not [m for m in g.find("การปรับตัวของชุมชน") if m.form == "ปรับ"]


def test_a_narrower_word_brings_in_the_broader_term_one_way_only(tmp_path):
    # The Acts say "ราชการส่วนท้องถิ่น" / "องค์กรปกครองส่วนท้องถิ่น" where an officer names their own kind
    g = G.load_default()
    adds = [a for m in g.find("ทต. อยากเปิดศูนย์ดูแลคนพิการ") for a in m.adds]
    assert {"เทศบาลตำบล", "องค์กรปกครองส่วนท้องถิ่น", "ราชการส่วนท้องถิ่น"} <= set(adds)
    assert not {"อบต.", "อบจ.", "เทศบาลนคร"} & set(adds)  # never the other kinds of local government
    broad = [a for m in g.find("ราชการส่วนท้องถิ่นต้องทำอะไร") for a in m.adds]
    assert "อบต." not in broad and "องค์การบริหารส่วนตำบล" not in broad
    qp = plan("อบต. ตั้งกองทุนคนพิการได้ไหม", g)
    assert "ราชการส่วนท้องถิ่น" in qp.searched_as
    bad = tmp_path / "glossary.yaml"
    bad.write_text("entries:\n  - {term: ก, narrower: ข}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="narrower"):
        G.load(bad)


def test_plan_expands_colloquial_words_for_both_retrievers():
    qp = plan("คนแก่ในตำบลได้รับการดูแลอะไรบ้าง", G.load_default())
    assert "ผู้สูงอายุ" in qp.extra_tokens or "สูงอายุ" in "".join(qp.extra_tokens)
    assert "ผู้สูงอายุ" in qp.dense_text
    assert "ผู้สูงอายุ" in qp.searched_as


def test_mined_abbreviations_from_a_document():
    text = "วันนี้ กรมส่งเสริมการปกครองท้องถิ่น (สถ.) ร่วมกับสำนักงานส่งเสริมเศรษฐกิจดิจิทัล (depa) จัดงาน และเผยแพร่แก่องค์กรปกครองส่วนท้องถิ่น (อปท.)"
    pairs = {tuple(gr.forms) for gr in G.mine(text, "news.txt")}
    assert ("กรมส่งเสริมการปกครองท้องถิ่น", "สถ.") in pairs
    assert ("สำนักงานส่งเสริมเศรษฐกิจดิจิทัล", "depa") in pairs
    assert ("องค์กรปกครองส่วนท้องถิ่น", "อปท.") in pairs
    assert all(gr.source == "news.txt" for gr in G.mine(text, "news.txt"))


def test_a_mined_term_is_used_by_the_next_query():
    g = G.Glossary()
    assert not g.find("สพธอ. มีหน้าที่อะไร")
    for group in G.mine("สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์ (สพธอ.) เปิดบริการ", "doc.txt"):
        g.add(group)
    qp = plan("สพธอ. มีหน้าที่อะไร", g)
    assert "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์" in qp.dense_text
    assert qp.expansions[0].source == "doc.txt"


def test_thai_query_normalisation():
    assert clean_query("ดีมากกกกก") == "ดีมาก"
    assert clean_query("มากกกก ครับ") == "มาก ครับ"
    assert clean_query("การบริหารแบบบูรณาการ") == "การบริหารแบบบูรณาการ"  # three บ across two words
    assert clean_query("มาตรา\u00a0๑๖") == "มาตรา ๑๖"
    assert year_variants("ปี พ.ศ. ๒๕๖๗") == ["2024"]
    assert year_variants("in 2024") == ["2567"]
    assert "2024" in plan("แผนปี พ.ศ. 2567").extra_tokens


def test_questions_that_name_an_act_boost_it():
    titles = {"thai_law/618130.txt": short_title("พระราชบัญญัติ เทศบาล พ.ศ. ๒๔๙๖"),
              "thai_law/635171.txt": short_title("พระราชบัญญัติ ผู้สูงอายุ พ.ศ. ๒๕๔๖")}
    assert titles["thai_law/635171.txt"] == "ผู้สูงอายุ"
    assert named_documents("ตาม พ.ร.บ. ผู้สูงอายุ มีสิทธิอะไร", titles) == ["thai_law/635171.txt"]
    assert named_documents("คนแก่ได้อะไรบ้าง", titles) == []


def test_questions_citing_an_act_name_it():
    from assistant.query.understand import cited_acts, references

    assert cited_acts("ตาม พ.ร.บ.ควบคุมอาคาร ต้องเว้นระยะร่นกี่เมตร") == ["ควบคุมอาคาร"]
    assert cited_acts("พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคลกำหนดโทษอะไร") == ["คุ้มครองข้อมูลส่วนบุคคล"]
    assert cited_acts("ตามพระราชบัญญัติกำหนดแผนและขั้นตอนการกระจายอำนาจฯ ให้ทำอะไร") == ["กำหนดแผนและขั้นตอนการกระจายอำนาจ"]
    assert cited_acts("เทศบาลมีหน้าที่อะไร") == []
    # "ตามกฎหมาย X" names an Act as often as "ตาม พ.ร.บ. X"; "ตามกฎหมายแล้ว…" names none
    assert cited_acts("นายกมีวาระกี่ปีตามกฎหมายระเบียบบริหารราชการเมืองพัทยา") == ["ระเบียบบริหารราชการเมืองพัทยา"]
    assert cited_acts("ตามกฎหมายเรื่องผู้สูงอายุ ต้องอายุเท่าไร") == ["ผู้สูงอายุ"]
    assert cited_acts("ดีป้าเป็นหน่วยงานแบบไหนตามกฎหมายแล้วตั้งขึ้นเมื่อไร") == []
    assert cited_acts("สถานะตามกฎหมายเป็นแบบไหน") == []
    assert cited_acts("ตามกฎหมายกระจายอำนาจอยู่แล้ว") == ["กระจายอำนาจ"]
    assert references("แนวทางที่ ๑๑ คืออะไร") == ["แนวทางที่11"]


def test_a_figure_needs_its_unit():
    from assistant.answer.extractive import figure_given

    assert not figure_given("การประชุมใช้งบประมาณไปเท่าไร", ["เมื่อวันที่ 30 เมษายน 2567 ณ โรงแรม"])
    assert figure_given("ใช้งบประมาณเท่าไร", ["กรอบวงเงิน 2,003.7188 ล้านบาท"])
    assert figure_given("นายกเทศมนตรีอยู่ได้สมัยละกี่ปี", ["มีวาระการดำรงตำแหน่งคราวละสี่ปี"])
    assert not figure_given("เบี้ยยังชีพเดือนละกี่บาท", ["ผู้สูงอายุอายุเกิน 60 ปี มีสิทธิ"])
    assert figure_given("มีกี่เมือง", ["เมืองอัจฉริยะ 36 พื้นที่"])  # loose units: any number
    # money asked with no currency named is given in any currency; บาท asked is given in บาท
    assert figure_given("ประเทศเจ้าภาพจะสมทบเงินเข้ากองทุนเท่าไร", ["สมทบเงิน 1.5 ล้านดอลลาร์สหรัฐ"])
    assert not figure_given("ประเทศเจ้าภาพจะสมทบเงินกี่บาท", ["สมทบเงิน 1.5 ล้านดอลลาร์สหรัฐ"])
    assert not figure_given("ประเทศเจ้าภาพจะสมทบเงินเท่าไร", ["สมทบเงินทุก 5 ปี"])


def test_a_price_per_unit_is_given_per_that_unit():
    from assistant.answer.extractive import figure_given

    q = "หน่วยงานให้ทุนเทศบาลได้สูงสุดโครงการละกี่บาท"
    assert not figure_given(q, ["อนุมัติรวม 26 โครงการ มูลค่า 80,208 ล้านบาท"])  # a total, not per project
    assert figure_given(q, ["ให้ทุนไม่เกินโครงการละ 500,000 บาท"])
    assert figure_given(q, ["วงเงิน 500,000 บาทต่อโครงการ"])
    assert figure_given("ค่าจอดรถชั่วโมงละเท่าไร", ["อัตราค่าจอด 20 บาท/ชั่วโมง"])
    # a count per year is not held to it: crfcut cuts "มากกว่า 37 ล้าน | คนต่อปี"
    assert figure_given("รถไฟขนส่งผู้โดยสารปีละกี่คน", ["ขนส่งผู้โดยสารมากกว่า 37 ล้านคน"])
    assert figure_given("แบ่งเป็นเมืองเดิมกับเมืองใหม่อย่างละกี่เมือง", ["เมืองเดิม 13 เมือง"])  # อย่างละ: each


def test_the_years_and_provinces_a_question_pins_its_answer_to():
    from assistant.query.specifics import provinces_named, specifics, years_named

    labels = lambda q: [s.label for s in specifics(q)]
    assert labels("อบจ.เชียงใหม่ได้งบประมาณปี 68 สำหรับทำสมาร์ทซิตี้เท่าไหร่") == ["ปี 68", "อบจ.เชียงใหม่"]
    (y,) = years_named("งบประมาณปี ๒๕๖๘")
    assert all(y.named.search(t) for t in ("ปีงบประมาณ พ.ศ. 2568", "ในปี 2025", "งบประมาณ 68"))
    assert not y.named.search("ปี 2567 และ 12568 ราย")
    assert [s.label for s in years_named("ในปี ค.ศ. 2030 ลดการปล่อยก๊าซ")] == ["ปี ค.ศ. 2030"]
    assert years_named("ในปี ค.ศ. 2030")[0].named.search("ภายในปี 2573")
    assert years_named("อาณานิคมที่ตั้งขึ้นในปี 1564 ชื่ออะไร")[0].named.search("ของฝรั่งเศสในปี 1564 เริ่ม")
    # an age, a decade, a range and a low two-digit number pin no year
    for q in ("ผู้สูงอายุ 60 ปี ได้อะไร", "ใครเล่นบนเวทีในยุคปี 70", "ป่าลดลงจากปี 1995 ถึง 2000 เท่าไร",
              "ช่วงปี 2551-63 โอนไปได้กี่แห่ง", "ปี 25 ข้อ"):
        assert years_named(q) == [], q
    # a province after an administrative word; a place named in passing, or a common word, is not
    assert [s.label for s in provinces_named("นายก อบจ. ขอนแก่น คือใคร จังหวัดน่านด้วย")] == ["อบจ.ขอนแก่น", "จังหวัดน่าน"]
    assert provinces_named("ต้องไป สคบ. ที่กรุงเทพอย่างเดียวไหม") == []
    assert provinces_named("ตากแดดมากเกินไปเลยไม่ดี") == []
    (bkk,) = provinces_named("เทศบาลนครกรุงเทพ")
    assert bkk.named.search("สำนักงานเขต กทม.") and bkk.kind.search("จังหวัดนนทบุรี")
