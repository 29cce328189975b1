"""A message that asks the assistant to do something rather than find what documents say: write
something, calculate, translate into another language, or chat. Such a task is refused as such,
whatever the passages say.

Other requests — a forecast, an opinion, what a word is in another language, what is true today —
are left to the answerability model reading the evidence (answer/answerability.py): their cue words
occur in questions a document answers ("ดีที่สุด", "ข่าวล่าสุดเรื่อง…", "ตอนนี้…กี่แห่ง", "data
governance แปลว่าอะไร", a meeting's English title), and as model features they taught it the style
of the project's own off-topic list.
"""

from __future__ import annotations

import re

# Requests the documents cannot serve, however well they match: the answer would be written or
# computed, not quoted.
TASKS = ("compose", "calculate", "translate", "chitchat")

_POLITE = r"\s*(?:ครับ|ค่ะ|คะ|นะ|จ้า|ฮะ|คับ)?\s*[!?.]*\s*"
_LANGUAGE = (r"(?:ไทย|อังกฤษ|ญี่ปุ่น|จีน|เกาหลี|ฝรั่งเศส|เยอรมัน|สเปน|รัสเซีย|อาหรับ|เวียดนาม|ลาว|เขมร|กัมพูชา|พม่า|เมียนมา|มลายู|"
             r"มาเลย์|อินโด\S*|english|thai|japanese|chinese|korean)")
_CUES: dict[str, re.Pattern] = {
    # Imperative only: "ใครแต่งเพลงนี้" asks who wrote it, and "ร่างพระราชบัญญัติ…" is a draft law,
    # both of which a document may answer.
    "compose": re.compile(
        r"(?:^|\s|ให้|รบกวน|ขอ|กรุณา)\s*(?:ช่วย|รบกวน)\s*(?:แต่ง|เขียน|ร่าง|เรียบเรียง|ออกข้อสอบ|ตั้งชื่อ|ทำแบบสอบถาม|ทำสไลด์|ทำโปสเตอร์)"
        r"|^\s*(?:แต่ง|เขียน|ร่าง)(?!\s*(?:พระราช|พ\.ร\.|กฎ|แผน|ระเบียบ|ข้อบัญญัติ|ประกาศ|รัฐธรรมนูญ|คำร้องอย่างไร))"
        rf"\S*.*(?:ให้หน่อย|หน่อย|ให้ที|ให้ด้วย){_POLITE}$"
        r"|^\s*ขอ\s*(?:จดหมาย|อีเมล|กลอน|คำขวัญ|สโลแกน|แคปชั่น|คำกล่าว|สุนทรพจน์|คำอวยพร)"
        r"|\b(?:write|compose)\s+(?:a|an|me|my|the)\b", re.IGNORECASE),
    # A sum asked for, not a figure a document gives: "เบี้ยยังชีพ 600 บวก 100 บาท ได้เมื่อไร" is not one.
    "calculate": re.compile(
        r"\d\s*(?:[+*×÷^]|คูณ|หาร|บวก|ลบ|ยกกำลัง)\s*(?:ด้วย)?\s*\d[\d,.\s]*(?:=|เท่ากับ|ได้)?\s*(?:เท่าไร|เท่าไหร่|กี่)?\S{0,6}"
        rf"{_POLITE}\??$|^[\d\s.,+*/×÷^()=?-]+$|รากที่\s*\d|(?:ช่วย|ลอง)\s*คำนวณ|คำนวณ\S{{0,30}}(?:ให้หน่อย|หน่อย|ให้ที|ให้ด้วย){_POLITE}$|"
        r"แปลงหน่วย|\d\s*%\s*ของ\s*\d", re.IGNORECASE),
    # A text put into another language: the answer would be written, never quoted. What a word
    # means ("แปลว่า"), interpreting a section ("แปลความ") and a word's name in another language
    # without "แปล" are questions.
    "translate": re.compile(
        r"(?:^|\s|ช่วย|ขอ|รบกวน|กรุณา)\s*แปล(?!ว่า|ความ|ผล|งาน|ตาม|เปลี่ยน|ปลง|ง|ก|ร่าง)\S*.{0,120}?(?:เป็น|ไป\s*เป็น)\s*(?:ภาษา)?\s*"
        + _LANGUAGE + r"|^\s*translate\b|\btranslate\b.{0,80}\b(?:to|into)\s+" + _LANGUAGE, re.IGNORECASE),
    # A greeting before a real question is only politeness: chat is a message that is nothing else.
    "chitchat": re.compile(
        r"^\s*(?:สวัสดี|หวัดดี|ดีจ้า|ขอบคุณ|ขอบใจ|ลาก่อน|ฝันดี|บ๊?ายบาย|บาย)(?:มาก|นะ|ครับ|ค่ะ|คะ|จ้า|จ้ะ|ค่า|ฮะ|ๆ|\s)*[!.?]*\s*$"
        r"|^\s*(?:hello|hi|hey|thanks|thank you|thx)\b[\s!.?]*$"
        r"|คุณ\s*(?:ชื่อ|เป็นใคร|เป็น\s*(?:AI|เอไอ|คน|หุ่นยนต์|บอท)|อายุ|เกิด|อยู่ที่ไหน|ทำอะไรได้|ชอบกิน|เหนื่อย|สบายดี|มีแฟน|โสด)"
        r"|เล่นมุก|เล่าเรื่องตลก|ตลกให้ฟัง|เหงา|เบื่อ(?:จัง|มาก)|ร้องเพลงให้|คุยเล่น|คุยด้วย", re.IGNORECASE),
}


def task_of(question: str) -> str | None:
    """The task the message asks for (compose, calculate, translate, chitchat), or None."""
    return next((k for k in TASKS if _CUES[k].search(question)), None)
