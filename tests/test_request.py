"""What a message asks for: a task (write, compute, translate, chat) is told apart from a question a
document may answer, however the two share words."""

from __future__ import annotations

import pytest

from assistant.query.request import task_of


@pytest.mark.parametrize("message, task", [
    ("ช่วยแต่งกลอนวันแม่ให้หน่อย", "compose"),
    ("รบกวนช่วยร่างหนังสือเชิญประชุมประชาคมหมู่บ้านให้ที", "compose"),
    ("เขียนคำกล่าวเปิดงานวันเด็กให้หน่อยครับ", "compose"),
    ("ขอคำขวัญรณรงค์คัดแยกขยะสั้น ๆ", "compose"),
    ("125 คูณ 48 ได้เท่าไร", "calculate"),
    ("3500*12", "calculate"),
    ("ช่วยคำนวณดอกเบี้ยเงินกู้ 2 แสนให้หน่อย", "calculate"),
    ("ช่วยแปลคำว่า smart city เป็นภาษาญี่ปุ่นให้หน่อย", "translate"),
    ("แปลประโยคนี้เป็นภาษาอังกฤษ ขอเชิญชวนประชาชนมาประชุม", "translate"),
    ("translate ผู้สูงอายุ to English", "translate"),
    ("สวัสดีครับ", "chitchat"),
    ("คุณชื่ออะไร", "chitchat"),
    ("เล่นมุกให้ฟังหน่อย", "chitchat"),
])
def test_a_task_is_named(message, task):
    assert task_of(message) == task


@pytest.mark.parametrize("question", [
    "สวัสดีครับ อยากทราบว่าแนวทางที่ 2 คืออะไร",  # a greeting before a real question
    "ใครเป็นผู้แต่งเพลงนี้",  # asks who wrote it: a document may say
    "เปาโลเขียนจดหมายฉบับนี้ถึงใคร",
    "ผังเมืองรวมแปลว่าอะไร",  # what a word means: a definition may answer
    "ช่วยแปลความมาตรา 16 ให้เป็นภาษาง่าย ๆ หน่อย",  # interpreting a section: the section answers
    "หนังสือเล่มนี้ถูกแปลเป็นภาษาไทยเมื่อไร",  # a fact about a translation
    "การประชุมครั้งที่ 1/2566 มีมติอะไร",  # a meeting number, not a division
    "อัตราการตัดไม้ในช่วงปี 2004 - 2014 เป็นอย่างไร",  # a range of years
    "เบี้ยยังชีพผู้สูงอายุเดือนละกี่บาท",
    "ใครได้มาช่วยแต่งเพลงในอัลบั้มนี้",
    "ร่างพระราชบัญญัติฉบับนี้ให้อำนาจใคร",  # a draft law
    "ร่างแผนพัฒนาเมืองอัจฉริยะต้องให้ใครอนุมัติ",
    "เขียนคำร้องอย่างไรให้ถูกต้องตามระเบียบ",
    "ขอข้อความมาตรา 16 ของ พ.ร.บ.เทศบาล",
    "what does the draft act say about data",
    "วิธีคำนวณภาษีให้ใช้อัตราเท่าไร",
    "การคำนวณค่าธรรมเนียมให้คิดจากอะไร",
    "เบี้ยยังชีพ 600 บวก 100 บาท ได้เมื่อไร",
    "highway ในเขตเทศบาลใครดูแล",
    "HIV ผู้ติดเชื้อได้รับการคุ้มครองไหม",
    "บายพาสเลี่ยงเมืองสร้างโดยหน่วยงานใด",
])
def test_a_question_is_not_a_task(question):
    assert task_of(question) is None


def test_forecasts_opinions_a_word_in_another_language_and_current_questions_are_left_to_the_evidence():
    for question in ("ราคาทองวันนี้เท่าไร", "พรุ่งนี้ฝนจะตกไหม", "คุณคิดว่านายกคนไหนดีกว่ากัน",
                     "data governance แปลว่าอะไร", "ชื่อการประชุมเป็นภาษาอังกฤษว่าอะไร"):
        assert task_of(question) is None
