"""Question analysis (Thai): what kind of answer a question expects, and the unit it asks for.

Kinds: who (a person or an agency), when (a date or year), where, number (how many / how much),
list (อะไรบ้าง, มีกี่ข้อ), yesno (ได้ไหม, หรือไม่), definition (คืออะไร, หมายถึง), how, why, what.
The answer engine looks for the kind of thing the question asks for in candidate sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.thai import words

# Order matters: the first kind whose pattern matches wins ("วันที่เท่าไร" asks for a date, not a
# number; "มีกี่ข้อ อะไรบ้าง" for a list).
_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("list", re.compile(r"อะไรบ้าง|ใดบ้าง|ไหนบ้าง|ใครบ้าง|อย่างไรบ้าง|มีกี่(?:ข้อ|แนวทาง|ประการ|ด้าน|ประเภท|ขั้นตอน)|ทั้งหมดกี่|กี่(?:ข้อ|ประการ)\s*(?:อะไร|ได้แก่)|ประกอบด้วย(?:อะไร|อะไรบ้าง)|ได้แก่อะไร|มีอะไร\S{0,12}บ้าง")),
    ("when", re.compile(r"เมื่อ(?:ไร|ไหร่|ใด)|วัน(?:ที่)?(?:ไหน|ใด|อะไร|เท่า(?:ไร|ไหร่|ใด))|(?:ปี|พ\.ศ\.|ค\.ศ\.|เดือน|ช่วง(?:เวลา)?|ระยะเวลา)\s*(?:ไหน|ใด|อะไร|เท่า(?:ไร|ไหร่|ใด))|ตั้งแต่(?:เมื่อ|ปี|สมัย)|กี่โมง|ยุคใด|สมัยใด|ศตวรรษ(?:ที่)?(?:ใด|เท่าไร)")),
    ("who", re.compile(r"ใคร|ผู้ใด|บุคคลใด|(?:หน่วยงาน|องค์กร|องค์การ|กระทรวง|กรม|บริษัท|ทีม|สถาบัน|ประเทศ|พรรค|คณะ|ผู้)\S{0,6}(?:ใด|ไหน|อะไร)")),
    ("where", re.compile(r"ที่ไหน|ที่ใด|แห่งใด|แห่งไหน|(?:จังหวัด|อำเภอ|ตำบล|เมือง|ภูมิภาค|ทวีป|เขต|พื้นที่|สถานที่)\s*(?:ใด|ไหน|อะไร)|ตั้งอยู่\S{0,6}(?:ใด|ไหน)")),
    ("number", re.compile(r"(?<![เแโใไ])กี่|เท่า(?:ไร|ไหร่|ใด)|จำนวน(?:เท่า|กี่|ทั้งหมด)|ร้อยละเท่า|อัตราเท่า|มากน้อย")),
    ("why", re.compile(r"ทำไม|เพราะ(?:เหตุ)?(?:ใด|อะไร)|เหตุใด|เหตุผล(?:ใด|อะไร)|สาเหตุ")),
    ("yesno", re.compile(r"ได้(?:ไหม|หรือไม่|หรือเปล่า|มั้ย)|ใช่(?:ไหม|หรือไม่|หรือเปล่า)|หรือไม่|หรือเปล่า|ไหม\s*$|มั้ย\s*$|(?:ต้อง|สามารถ|ควร)\S.*(?:ไหม|หรือไม่|มั้ย)")),
    ("how", re.compile(r"อย่างไร|ยังไง|ด้วยวิธี|วิธี(?:การ)?(?:ใด|ไหน|อะไร)|แบบไหน|ทำได้อย่าง")),
    ("definition", re.compile(r"คืออะไร|หมายถึง(?:อะไร)?|หมายความว่า|ความหมาย|คือ\s*$|เป็นอะไร")),
)
_WHAT = re.compile(r"อะไร|ใด|ไหน")
# "กี่บาท", "เท่าไรปี": the unit a figure must carry.
UNITS = ("ล้านบาท", "บาท", "คน", "ราย", "ปี", "เดือน", "วัน", "ชั่วโมง", "นาที", "ครั้ง", "แห่ง", "เมตร",
         "กิโลเมตร", "ไร่", "องศา", "เปอร์เซ็นต์", "ข้อ", "แนวทาง", "ประการ", "ประเทศ", "ตัว", "เล่ม", "เรื่อง")
_UNIT_AFTER = re.compile(r"กี่\s*(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")")
_KI = re.compile(r"กี่\s*([\u0e01-\u0e4e]+)")
_UNIT_BEFORE = re.compile(r"(" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")\s*(?:เท่า(?:ไร|ไหร่|ใด))")


@dataclass(frozen=True)
class QuestionType:
    kind: str  # who | when | where | number | list | yesno | definition | how | why | what
    unit: str = ""  # the unit a number answer carries, when the question names it


def unit_asked(question: str, ki_only: bool = False) -> str:
    """"กี่บาท", "ปีเท่าไร" → the unit a figure must carry; "" when the question names none.
    `ki_only`: only the "กี่ <unit>" form ("ปีเท่าไร" may ask for a year, not a count of years)."""
    m = _UNIT_AFTER.search(question) or (None if ki_only else _UNIT_BEFORE.search(question))
    return m.group(1) if m else ""


# "เดือนละกี่บาท", "ชั่วโมงละเท่าไร": a rate, so the figure must be given per that unit; a monthly
# figure does not answer for an hourly one, nor a total for "per project".
_PER_UNITS = ("โครงการ", "ตารางเซนติเมตร", "ตารางเมตร", "ตารางวา", "กิโลกรัม", "กิโลเมตร", "ชั่วโมง", "สัปดาห์",
              "เดือน", "ลิตร", "นาที", "ครั้ง", "หน่วย", "แห่ง", "ราย", "คน", "คัน", "ไร่", "วัน", "ปี")
_RATE = re.compile("(" + "|".join(sorted(_PER_UNITS, key=len, reverse=True)) + r")ละ\s*(?:กี่|เท่า(?:ไร|ไหร่|ใด))")


def rate_asked(question: str) -> str:
    """"โครงการละกี่บาท" → โครงการ: the unit a figure is asked per; "" when none."""
    m = _RATE.search(question)
    return m.group(1) if m else ""


def per_unit(unit: str) -> re.Pattern:
    """A text giving a figure per `unit`: "เดือนละ", "ต่อเดือน", "ต่อ 1 เดือน", "แต่ละเดือน", "/เดือน"."""
    u = re.escape(unit)
    return re.compile(rf"{u}ละ|ต่อ\s*(?:หนึ่ง|1|๑)?\s*{u}|แต่ละ\s*{u}|/\s*{u}")


def counted_as(question: str) -> str:
    """The word a count is asked in, whatever it is: "กี่ประเภท" → ประเภท, "กี่โครงการ" → โครงการ.
    A preference (the scorer's unit, a sentence counting in it leads), never a requirement: a
    document may count in another word ("กี่ที่นั่ง" is answered by "สี่สิบแปดคน")."""
    k = _KI.search(question)
    following = words(k.group(1)) if k else []
    return following[0] if following and len(following[0]) > 1 else ""


def analyse(question: str) -> QuestionType:
    q = question.strip()
    for kind, pattern in _KINDS:
        if pattern.search(q):
            return QuestionType(kind, (unit_asked(q) or counted_as(q)) if kind in ("number", "list") else "")
    return QuestionType("what" if _WHAT.search(q) else "other")


LAW_WORDS = re.compile(r"กฎหมาย|พ\.?\s?ร\.?\s?บ|พระราชบัญญัติ")  # "…กฎหมายเขียนไว้ไหม", "ตาม พ.ร.บ. …"


def asks_about_law(question: str) -> bool:
    """Whether the question asks what the law says: an Act, not news about it, answers that part."""
    return bool(LAW_WORDS.search(question))
