"""What a message asks the assistant to do, besides finding what documents say: write something,
translate, calculate, foretell, give its own opinion, chat, or report what is true today.

The assistant answers from its documents only. A task (compose, calculate, chat) is
refused as such, whatever the passages say; the other kinds are read by the answerability model
beside the evidence (answer/answerability.py), since "ข่าวล่าสุดเรื่อง…" or "ปัจจุบันกฎหมายกำหนด…"
may still be answered by a document.
"""

from __future__ import annotations

import re

# Requests the documents cannot serve, however well they match: the answer would be written or
# computed, not quoted. A translation may still be quoted (a document gives the English name of
# a meeting), so it is left to the model with the evidence.
TASKS = ("compose", "calculate", "chitchat")
KINDS = (*TASKS, "translate", "predict", "opinion", "current")

_POLITE = r"\s*(?:ครับ|ค่ะ|คะ|นะ|จ้า|ฮะ|คับ)?\s*[!?.]*\s*"
_CUES: dict[str, re.Pattern] = {
    # Imperative only: "ใครแต่งเพลงนี้" asks who wrote it, and "ร่างพระราชบัญญัติ…" is a draft law,
    # both of which a document may answer.
    "compose": re.compile(
        r"(?:^|\s|ให้|รบกวน|ขอ|กรุณา)\s*(?:ช่วย|รบกวน)\s*(?:แต่ง|เขียน|ร่าง|เรียบเรียง|ออกข้อสอบ|ตั้งชื่อ|ทำแบบสอบถาม|ทำสไลด์|ทำโปสเตอร์)"
        r"|^\s*(?:แต่ง|เขียน|ร่าง)(?!\s*(?:พระราช|พ\.ร\.|กฎ|แผน|ระเบียบ|ข้อบัญญัติ|ประกาศ|รัฐธรรมนูญ|คำร้องอย่างไร))"
        rf"\S*.*(?:ให้หน่อย|หน่อย|ให้ที|ให้ด้วย){_POLITE}$"
        r"|^\s*ขอ\s*(?:จดหมาย|อีเมล|กลอน|คำขวัญ|สโลแกน|แคปชั่น|คำกล่าว|สุนทรพจน์|คำอวยพร)"
        r"|\b(?:write|compose)\s+(?:a|an|me|my|the)\b", re.IGNORECASE),
    # "X แปลว่าอะไร" asks what X means, which a definition may answer: only a request to
    # translate into or from a language counts.
    "translate": re.compile(
        r"แปล\s*(?:เป็น|ให้|หน่อย|ประโยค|ข้อความ|จาก|คำว่า)|เป็นภาษา(?:อังกฤษ|ญี่ปุ่น|จีน|เกาหลี|ฝรั่งเศส|เยอรมัน|"
        r"ลาว|พม่า|เขมร|เวียดนาม|มลายู|รัสเซีย|สเปน|อาหรับ|อิตาลี|ไทย)|\btranslat", re.IGNORECASE),
    # A sum asked for, not a figure a document gives: "เบี้ยยังชีพ 600 บวก 100 บาท ได้เมื่อไร" is not one.
    "calculate": re.compile(
        r"\d\s*(?:[+*×÷^]|คูณ|หาร|บวก|ลบ|ยกกำลัง)\s*(?:ด้วย)?\s*\d[\d,.\s]*(?:=|เท่ากับ|ได้)?\s*(?:เท่าไร|เท่าไหร่|กี่)?\S{0,6}"
        rf"{_POLITE}\??$|^[\d\s.,+*/×÷^()=?-]+$|รากที่\s*\d|(?:ช่วย|ลอง)\s*คำนวณ|คำนวณ\S{{0,30}}(?:ให้หน่อย|หน่อย|ให้ที|ให้ด้วย){_POLITE}$|"
        r"แปลงหน่วย|\d\s*%\s*ของ\s*\d", re.IGNORECASE),
    # A greeting before a real question is only politeness: chat is a message that is nothing else.
    "chitchat": re.compile(
        rf"^\s*(?:สวัสดี|หวัดดี|ดีจ้า|ขอบคุณ|ขอบใจ|ลาก่อน|ฝันดี|บ๊?ายบาย|บาย)(?:มาก|นะ|ครับ|ค่ะ|คะ|จ้า|จ้ะ|ค่า|ฮะ|ๆ|\s)*[!.?]*\s*$"
        r"|^\s*(?:hello|hi|hey|thanks|thank you|thx)\b[\s!.?]*$"
        r"|คุณ\s*(?:ชื่อ|เป็นใคร|เป็น\s*(?:AI|เอไอ|คน|หุ่นยนต์|บอท)|อายุ|เกิด|อยู่ที่ไหน|ทำอะไรได้|ชอบกิน|เหนื่อย|สบายดี|มีแฟน|โสด)"
        r"|เล่นมุก|เล่าเรื่องตลก|ตลกให้ฟัง|เหงา|เบื่อ(?:จัง|มาก)|ร้องเพลงให้|คุยเล่น|คุยด้วย", re.IGNORECASE),
    "predict": re.compile(
        r"พรุ่งนี้|มะรืน|ปีหน้า|เดือนหน้า|สัปดาห์หน้า|อาทิตย์หน้า|งวดหน้า|งวดนี้|ทำนาย|พยากรณ์|ดูดวง|ดวงชะตา|"
        r"เลขเด็ด|หวย|ลอตเตอรี่|ใครจะ(?:ชนะ|ได้)|จะ(?:ขึ้น|ลง)(?:ไหม|มั้ย)|แนวโน้ม\S*จะ", re.IGNORECASE),
    "opinion": re.compile(
        r"คุณ\s*(?:คิด|เห็น|ว่า|ชอบ|แนะนำ|จะเลือก|จะทำ)|ความ(?:คิด)?เห็น(?:ของ)?คุณ|ถ้าคุณเป็น|"
        r"ดีกว่ากัน|ดีที่สุด|ควรเลือก|แนะนำ(?:ร้าน|ที่เที่ยว|หนัง|เพลง|หนังสือ|มือถือ|รถ)|ชอบ\S*(?:ไหม|มั้ย)|"
        r"น่า(?:ซื้อ|ลงทุน|ไป|เที่ยว)(?:ไหม|มั้ย)", re.IGNORECASE),
    "current": re.compile(
        r"วันนี้|ตอนนี้|ขณะนี้|เวลานี้|ล่าสุด|เรียลไทม์|real[- ]?time|ปัจจุบัน|เมื่อวาน|\btoday\b|\bnow\b|\blatest\b",
        re.IGNORECASE),
}


def request_kinds(question: str) -> list[str]:
    """Every kind whose cue the question holds, in KINDS order."""
    return [k for k in KINDS if _CUES[k].search(question)]


def task_of(question: str) -> str | None:
    """The task the message asks for (compose, calculate, chitchat), or None."""
    return next((k for k in request_kinds(question) if k in TASKS), None)
