"""Enumerated items as addressable units: "แนวทางที่ 1 … แนวทางที่ 10", "ข้อ ๑ …", "ประการที่ 2 …".

A document *enumerates* a label when it numbers at least three items 1, 2, 3, … with it; hundreds of
news items mention "แนวทาง" or "7." without enumerating anything. Pure functions over text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.thai import fold_digits, words

LABELS = ("แนวทางที่", "ยุทธศาสตร์ที่", "ประการที่", "ขั้นตอนที่", "มาตรการที่", "เป้าหมายที่", "ข้อที่", "ข้อ")
_MARK = re.compile(r"(?:และ\s*)?(" + "|".join(LABELS) + r")\s*([0-9๐-๙]{1,2})(?![0-9๐-๙.])")
# The word people use for an item, with or without "ที่": "แนวทาง 7", "ข้อ 3".
_STEM = {label: label.removesuffix("ที่") for label in LABELS}
_ORDINAL_FIRST = re.compile(r"(?:แรก|ที่หนึ่ง)")
_ORDINAL_LAST = re.compile(r"(?:สุดท้าย|ท้ายสุด)")
_THAI_NUMBERS = {"หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9, "สิบ": 10}
MIN_SERIES = 3


@dataclass(frozen=True)
class Item:
    label: str  # "แนวทางที่"
    number: int
    text: str  # the item's own words, without its label
    marker: str  # the label as the text writes it ("แนวทางที่ 7", "ข้อ ๓")
    start: int  # character offsets in the text it came from (from the marker)
    end: int


def stem(label: str) -> str:
    return _STEM.get(label, label)


def items_in(text: str) -> dict[str, list[Item]]:
    """The numbered items of a text per label, in order, each item running to the next marker of
    the same label (or the end of its line); only labels numbered as a series 1, 2, 3, …"""
    marks: dict[str, list[tuple[int, int, int]]] = {}
    for m in _MARK.finditer(text):
        label = m.group(1)
        if label == "ข้อ" and m.group(0).startswith("ข้อที่"):
            continue
        marks.setdefault(label, []).append((int(fold_digits(m.group(2))), m.start(1), m.end()))
    out: dict[str, list[Item]] = {}
    for label, found in marks.items():
        series, want = [], 1
        for n, s, e in found:  # the first run 1, 2, 3, … in text order
            if n == want:
                series.append((n, s, e))
                want += 1
        if len(series) < MIN_SERIES:
            continue
        items = []
        for i, (n, s, e) in enumerate(series):
            stop = series[i + 1][1] if i + 1 < len(series) else len(text)
            line_end = text.find("\n", e)
            if line_end != -1 and line_end < stop and i + 1 < len(series) and "\n" not in text[e:series[i + 1][1]].strip("\n"):
                stop = series[i + 1][1]
            elif line_end != -1 and line_end < stop:
                stop = line_end
            body = text[e:stop].strip(" \n").lstrip(":.-–— ")
            body = re.sub(r"\s*(?:และ)?\s*$", "", body)
            items.append(Item(label, n, body, text[s:e].strip(), s, stop))
        out[label] = items
    return out


def asked_items(question: str, label_stems: list[str]) -> tuple[str, list[int] | str] | None:
    """What a question asks of an enumeration: (stem, [numbers]) for "แนวทางที่ 7", "ข้อแรก",
    "แนวทาง 7 และ 8"; (stem, "last") for "ข้อสุดท้าย"; (stem, "which") for "แนวทางข้อไหนว่าด้วย…";
    (stem, "all") for "มีกี่แนวทาง อะไรบ้าง", "สิบแนวทาง". None when it names no enumerated label as a
    word ("ข้อมูล" is not "ข้อ")."""
    q = fold_digits(question)
    present = set(words(q))
    for st in sorted(label_stems, key=len, reverse=True):
        if st not in present and f"{st}ที่" not in present:
            continue
        # "แนวทาง 10 ข้อ" counts the items; it does not name item 10
        nums = [int(n) for n in re.findall(re.escape(st) + r"\s*(?:ที่)?\s*(\d{1,2})(?!\d)(?!\s*(?:ข้อ|ประการ|ด้าน|แนวทาง))", q)]
        # "แนวทางที่ 7 และ 8", "แนวทาง 7-9": the numbers that follow the first one
        tail = re.search(re.escape(st) + r"\s*(?:ที่)?\s*\d{1,2}((?:\s*(?:,|และ|กับ|-|–|ถึง)\s*\d{1,2})+)", q)
        if tail:
            extra = [int(x) for x in re.findall(r"\d{1,2}", tail.group(1))]
            if re.search(r"-|–|ถึง", tail.group(1)) and len(extra) == 1 and nums and extra[0] > nums[0]:
                extra = list(range(nums[0] + 1, extra[0] + 1))
            nums += [n for n in extra if n not in nums]
        if nums:
            return st, nums
        # "แนวทางข้อไหน", "มีข้อไหนที่เน้น…", "แนวทางที่เกี่ยวกับข้อมูล": which item is about something
        if st != "ข้อ" and (re.search(rf"(?:{re.escape(st)}|ข้อ)\s*(?:ที่)?\s*(?:ไหน|ใด|เท่า(?:ไร|ไหร่))(?!\s*บ้าง)", q)
                            or re.search(rf"(?:{re.escape(st)}|ข้อ)ที่\s*(?:ว่าด้วย|เกี่ยว|เน้น|ให้|พูดถึง|กล่าวถึง|ส่งเสริม|เรื่อง|มุ่ง)", q)):
            return st, "which"
        after = q[q.find(st) + len(st):].strip()
        if _ORDINAL_FIRST.match(after):
            return st, [1]
        if _ORDINAL_LAST.match(after):
            return st, "last"
        # The whole list: "มีกี่แนวทาง", "แนวทางทั้งหมด", "สิบแนวทาง", "แนวทาง...อะไรบ้าง"; never for the
        # bare "ข้อ", which questions use about anything ("มีกี่ข้อ").
        if st != "ข้อ" and re.search(rf"กี่\s*{st}|{st}\S*\s*ทั้งหมด|(?:{'|'.join(_THAI_NUMBERS)}|\d+)\s*{st}|อะไรบ้าง|ใดบ้าง|ประกอบด้วยอะไร|ได้แก่อะไร|มีอะไร", q):
            return st, "all"
    return None
