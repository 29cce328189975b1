"""Numbers written in Thai words: the Acts write deadlines and thresholds as words
("ภายในสามสิบวัน", "หนึ่งหมื่นคน", "สองในสาม", "ร้อยละยี่สิบ"), questions and news mostly as digits.

Only whole newmm words are read, and runs of them ("สิบ" "ห้า" → 15), never syllables inside a word:
"สามารถ", "สี่แยก", "เก้าอี้", "ล้านนา", "สิบเอก", "พันธุ์" hold number syllables and no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from pythainlp.tokenize import word_tokenize
from pythainlp.util import thaiword_to_num

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_DIGIT_FOLD = str.maketrans(THAI_DIGITS, "0123456789")


def fold_digits(text: str) -> str:
    """Thai digits as Arabic ones."""
    return text.translate(_DIGIT_FOLD)


_MORPHEMES = "หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ยี่|เอ็ด|ร้อย|พัน|หมื่น|แสน|ล้าน"
_WORD = re.compile(rf"(?:{_MORPHEMES})+")
_MAYBE = re.compile(_MORPHEMES)  # cheap pre-check: most sentences hold no number word at all
# A multiplier alone is also an adverb or a verb ("แสนดี", "ร้อยมาลัย", "แสนสิริ"): it counts only
# before a unit. "ยี่" and "เอ็ด" never stand alone; "ร้อยเอ็ด" alone is the province.
_BARE = re.compile("(?:ร้อย|พัน|หมื่น|แสน|ล้าน)+")
_NEVER_ALONE = {"ยี่", "เอ็ด", "ร้อยเอ็ด"}
# What a figure counts: a number followed by one of these is a quantity the direct answer can show.
UNITS = ("ล้านบาท", "บาท", "สตางค์", "คน", "ราย", "ปี", "เดือน", "สัปดาห์", "วัน", "ชั่วโมง", "นาที", "วินาที", "ครั้ง",
         "แห่ง", "เมตร", "กิโลเมตร", "ตารางเมตร", "ตารางกิโลเมตร", "ไร่", "งาน", "ตารางวา", "กิโลกรัม", "ตัน", "ลิตร",
         "องศา", "ข้อ", "ประการ", "ประเภท", "เขต", "หมู่บ้าน", "ตำบล", "อำเภอ", "จังหวัด", "เท่า", "ฉบับ", "คณะ",
         "ตำแหน่ง", "เสียง", "หน่วย", "ระดับ", "ชั้น", "รอบ", "เล่ม", "เรื่อง", "โครงการ", "ประเทศ")
_UNIT_SET = frozenset(UNITS)
_DAYS = re.compile(r"^วัน(?:ทำการ|ทำงาน)?$")  # "สิบห้าวันทำการ"; not "วันที่", a date
_PERCENT = "ร้อยละ"
_OF = "ใน"  # "สองในสาม": two in three


@dataclass(frozen=True)
class Numeral:
    """A number read in a text: where its words are, its value, and how it is meant."""

    start: int
    end: int  # of the number words; the unit (if any) follows
    value: int | Fraction
    unit: str = ""  # the unit word after it; "%" after ร้อยละ; "" when none
    unit_end: int = 0  # end of the unit word (== end when none)

    @property
    def digits(self) -> str:
        """"30", "10,000", "2/3"."""
        if isinstance(self.value, Fraction):
            return f"{self.value.numerator}/{self.value.denominator}"
        return f"{self.value:,}"


def may_hold_numbers(text: str) -> bool:
    """False when `text` cannot hold a number in words (most text): no need to read it."""
    return bool(_MAYBE.search(text))


def _value(run: str) -> int | None:
    if run in _NEVER_ALONE or not _WORD.fullmatch(run):
        return None
    try:
        v = thaiword_to_num(run)
    except Exception:  # noqa: BLE001 - "สองสาม" (a few), "ยี่ห้า": not a numeral
        return None
    return v if isinstance(v, int) else None


def _is_unit(word: str) -> bool:
    return word in _UNIT_SET or bool(_DAYS.match(word))


def read_words(toks: list[str]) -> list[tuple[int, int, Numeral]]:
    """The numbers in a text given as its newmm words: (first word, last word, Numeral) each, in
    order. With the whitespace kept (their concatenation is the text) a Numeral's offsets are the
    text's; without it (keyword tokens) only the word positions mean anything."""
    starts, at = [], 0
    for t in toks:
        starts.append(at)
        at += len(t)
    found: list[tuple[int, int, Numeral]] = []
    i = 0
    while i < len(toks):
        if not _WORD.fullmatch(toks[i]):
            i += 1
            continue
        j = i
        while j + 1 < len(toks) and _WORD.fullmatch(toks[j + 1]):
            j += 1
        run = "".join(toks[i : j + 1])
        value = _value(run)
        start, end = starts[i], starts[j] + len(toks[j])
        nxt = j + 1
        # a unit may follow a space ("สามสิบ วัน")
        unit_at = nxt + 1 if nxt + 1 < len(toks) and toks[nxt].isspace() else nxt
        unit = toks[unit_at] if unit_at < len(toks) and _is_unit(toks[unit_at]) else ""
        before = toks[i - 1] if i > 0 and not toks[i - 1].isspace() else toks[i - 2] if i > 1 else ""
        # a multiplier alone counts only before a unit, and not after digits ("37 ล้านคน": the
        # digits are the figure)
        if value is not None and _BARE.fullmatch(run) and (not unit or before[-1:].isdigit()):
            value = None
        if value is None:
            i = j + 1
            continue
        # "สองในสาม(ของ)": a fraction, read as one
        if nxt + 1 < len(toks) and toks[nxt] == _OF and _WORD.fullmatch(toks[nxt + 1]):
            k = nxt + 1
            while k + 1 < len(toks) and _WORD.fullmatch(toks[k + 1]):
                k += 1
            below = _value("".join(toks[nxt + 1 : k + 1]))
            if below and below > value:
                end = starts[k] + len(toks[k])
                found.append((i, k, Numeral(start, end, Fraction(value, below), "", end)))
                i = k + 1
                continue
        if before.endswith(_PERCENT):  # newmm often joins "อัตราร้อยละ"
            found.append((i, j, Numeral(start, end, value, "%", end)))
        elif unit:
            found.append((i, j, Numeral(start, end, value, unit, starts[unit_at] + len(unit))))
        else:
            found.append((i, j, Numeral(start, end, value, "", end)))
        i = j + 1
    return found


@lru_cache(maxsize=8192)
def read(text: str) -> tuple[Numeral, ...]:
    """Every number written in words in `text`, in order."""
    if not may_hold_numbers(text):
        return ()
    return tuple(n for _, _, n in read_words(word_tokenize(text, engine="newmm", keep_whitespace=True)))


def token_value(n: Numeral) -> list[str]:
    """A number as the keyword tokens its digits make: "30"; a fraction's two parts."""
    v = n.value
    return [str(v.numerator), str(v.denominator)] if isinstance(v, Fraction) else [str(v)]


def numerals(text: str) -> list[tuple[int, int, int | Fraction]]:
    """(start, end, value) of each number written in words: "ภายในสามสิบวัน" → [(5, 11, 30)]."""
    return [(n.start, n.end, n.value) for n in read(text)]


def with_digits(text: str) -> str:
    """`text` with each number in words replaced by its digits ("ภายใน30วัน", "สองในสาม" → "2/3"),
    so checks written for digits read both."""
    out, at = [], 0
    for n in read(text):
        out += [text[at : n.start], n.digits.replace(",", "")]
        at = n.end
    return "".join(out) + text[at:] if out else text


# A classifier followed by เดียว counts one ("ทำได้ครั้งเดียว", "มีคนเดียว", "แห่งเดียว"); เดียวกัน is "the same".
_ONE = re.compile(rf"({'|'.join(sorted(UNITS, key=len, reverse=True))})\s?เดียว(?!กัน)")


def as_digits(text: str) -> str:
    """`text` with Thai digits and numbers in words as Arabic digits: what figure checks read, so a
    figure in words is a figure, with its unit, exactly like one in digits ("ครั้งเดียว" is "1 ครั้ง")."""
    text = with_digits(fold_digits(text))
    return _ONE.sub(r"1 \1", text) if "เดียว" in text else text


def _note(n: "Numeral") -> str:
    """The digits annotate writes after a quantity in words; "" for a number with no unit."""
    if n.unit == "%":
        return f"ร้อยละ {n.digits}"
    if isinstance(n.value, Fraction):
        return n.digits
    return f"{n.digits} {n.unit}" if n.unit else ""


def annotate(text: str) -> str:
    """Each quantity in words followed by its digits, once: "ภายในสามสิบวัน (30 วัน)",
    "หนึ่งหมื่นคน (10,000 คน)", "ร้อยละยี่สิบ (ร้อยละ 20)", "สองในสาม (2/3)". A number with no unit
    ("วรรคหนึ่ง", "ทั้งสอง") and digits are left as they are."""
    out, at = [], 0
    for n in read(text):
        note = _note(n)
        if not note or text[n.unit_end :].lstrip().startswith(f"({note})"):
            continue  # nothing to add, or already annotated
        # a space after it too when the sentence goes on: Thai reads a space as a phrase break
        tail = " " if text[n.unit_end : n.unit_end + 1].strip() else ""
        out += [text[at : n.unit_end], f" ({note}){tail}"]
        at = n.unit_end
    return "".join(out) + text[at:] if out else text


def unannotated(text: str) -> str:
    """`text` without the digits annotate added (a key check reads the document's words); a
    bracket the document itself wrote ("ในปี (1685)") stays."""
    out, at = [], 0
    for n in read(text):
        gloss = f" ({_note(n)})"
        if _note(n) and text.startswith(gloss, n.unit_end):
            out.append(text[at : n.unit_end])
            at = n.unit_end + len(gloss)
    return "".join(out) + text[at:] if out else text
