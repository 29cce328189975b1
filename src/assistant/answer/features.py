"""Features of a candidate answer sentence for a question: how much of the question it holds, and
whether it holds the *kind of thing* the question asks for (a date for เมื่อไร, a number with the
asked unit for กี่/เท่าไร, a person or agency for ใคร, a place for ที่ไหน, items for อะไรบ้าง).
Pure functions: the answer engine scores with them, `eval/fit_answer_scorer.py` learns weights."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.query.qtype import QuestionType
from assistant.text.dates import MONTH
from assistant.text.numbers import as_digits
from assistant.text.thai import index_tokens

DETECTORS: dict[str, re.Pattern] = {
    "date": re.compile(rf"(?:พ\.\s?ศ\.|ค\.\s?ศ\.|พุทธศักราช|คริสต์ศักราช)\s*\d{{3,4}}|\d{{1,2}}\s*(?:{MONTH})|(?:{MONTH})\s*\d{{2,4}}|"
                       r"(?<!\d)(?:1[5-9]\d\d|20\d\d|2[45]\d\d)(?!\d)|ศตวรรษ|ทศวรรษ|ปี\s*\d"),
    "number": re.compile(r"\d"),  # read on `as_digits` text: numbers in words are digits there
    "person": re.compile(r"(?:นาย|นางสาว|นาง|ดร\.|ศ\.|รศ\.|ผศ\.|พล\.|พระ|สมเด็จ|คุณ|ท่าน|อธิบดี|รัฐมนตรี|นายก|ประธาน|ผู้ว่า|"
                         r"ผู้อำนวยการ|เลขาธิการ|กษัตริย์|ราชินี|จักรพรรดิ|เจ้าชาย|เจ้าหญิง|ผู้ก่อตั้ง|ผู้ประพันธ์|ผู้เขียน)"),
    "agency": re.compile(r"(?:กรม|กระทรวง|สำนักงาน|สำนัก|องค์การ|องค์กร|คณะกรรมการ|คณะรัฐมนตรี|สถาบัน|มหาวิทยาลัย|บริษัท|"
                         r"ธนาคาร|สมาคม|มูลนิธิ|เทศบาล|รัฐบาล|หน่วยงาน|ศาล|สภา|กองทัพ|พรรค|ทีม|สโมสร|[A-Z]{2,})"),
    # a region, not a sector ("ภาคเหนือ", not "ภาครัฐ", "ภาคเอกชน"); the state, its government and a kind
    # of city ("หน่วยงานของรัฐ", "รัฐบาล", "ประชารัฐ", "ผังเมือง", "เมืองอัจฉริยะ") name no place either
    "place": re.compile(r"(?:จังหวัด|อำเภอ|ตำบล|ประเทศ|(?<!ผัง)(?<!การ)(?<!พล)เมือง(?!อัจฉริยะ|น่าอยู่)|กรุง|"
                        r"(?<!ภาค)(?<!ของ)(?<!แห่ง)(?<!ประชา)รัฐ(?!บาล|มนตรี|วิสาหกิจ|ธรรมนูญ|ศาสตร์|ประศาสน|ประหาร)|"
                        r"ทวีป|เกาะ|แม่น้ำ|ภูเขา|ภูมิภาค|ภาค(?:เหนือ|ใต้|กลาง|ตะวันออก|ตะวันตก|อีสาน)|(?<!ขอบ)เขต(?!อำนาจ)|ถนน|"
                        r"ที่ตั้ง|ตั้งอยู่|ณ\s)"),
    "list": re.compile(r"(?:ได้แก่|ประกอบด้วย|ดังนี้|คือ|เช่น|อาทิ|\(\s*[1-9๑-๙]\s*\)|(?:^|\s)[1-9]\.\s|แนวทางที่\s*\d|ข้อ\s*\d)"),
    "definition": re.compile(r"(?:หมายถึง|หมายความว่า|คือ|เป็น|เรียกว่า|ได้แก่)"),
    "reason": re.compile(r"(?:เพราะ|เนื่องจาก|เหตุผล|ดังนั้น|จึง|ทำให้|เพื่อ)"),
    "how": re.compile(r"(?:โดย|ด้วย|วิธี|ผ่าน|ตาม|การ)"),
    "yesno": re.compile(r"(?:ได้|ต้อง|ห้าม|ไม่|มิได้|สามารถ|ให้)"),
}
# The kinds of thing each question kind asks for.
WANTS: dict[str, tuple[str, ...]] = {
    "when": ("date",), "number": ("number",), "who": ("person", "agency"), "where": ("place",),
    "list": ("list",), "definition": ("definition",), "why": ("reason",), "how": ("how",), "yesno": ("yesno",),
    "what": (), "other": (),
}
# Per question kind, whether the sentence holds a new thing of the asked kind: a linear scorer can
# then weigh a date for เมื่อไร differently from a cue word for อย่างไร.
KIND_FEATURES = ("when", "number", "who", "where", "list", "definition", "why", "how")
FEATURES = ("overlap", "bigram", "coverage", "focus", "type", "type_new", "unit", "proximity", "rank", "top", "first",
            "position", "length", "context", "chunk_score") + tuple(f"new_{k}" for k in KIND_FEATURES)


@lru_cache(maxsize=1)
def _tnc_idf() -> dict[str, float]:
    from pythainlp.corpus import tnc

    # "acid", "Acid" and "ACID" are one word to the tokeniser: their counts add up (the list comes in
    # an order that changes from run to run, so keeping one variant made the weights unrepeatable)
    counts: dict[str, int] = {}
    for w, f in tnc.word_freqs():
        counts[w.lower()] = counts.get(w.lower(), 0) + f
    total = sum(counts.values())
    return {w: math.log(total / (1 + f)) for w, f in counts.items()}


def idf(token: str) -> float:
    """Rarity of a word in the Thai National Corpus: a name or a term counts more than "ที่"."""
    return _tnc_idf().get(token, 14.0 if not token.isdigit() else 8.0)


@lru_cache(maxsize=20000)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(index_tokens(text))


@dataclass
class Candidate:
    """A sentence that may answer: where it came from and its place there."""

    text: str
    hit: int  # index of the hit it came from (0 = top)
    rank: float  # the hit's rank, 0-based; a neighbouring chunk counts half a place lower
    position: int  # sentence number inside its passage
    context: str = ""  # the sentence before it
    chunk_score: float = 0.0  # the hit's score relative to the top hit

    @classmethod
    def at(cls, sentences: list[str], position: int, hit: int, rank: float, chunk_score: float) -> Candidate:
        """The sentence at `position` of its passage's `sentences`, read with the one before it."""
        return cls(sentences[position], hit, rank, position, sentences[position - 1] if position else "", chunk_score)


def _type_spans(kind: str, text: str) -> list[tuple[int, int]]:
    spans = []
    for want in WANTS.get(kind, ()):
        spans += [m.span() for m in DETECTORS[want].finditer(text)]
    return spans


def _new_spans(kind: str, folded_text: str, question: str) -> list[tuple[int, int]]:
    """Where `folded_text` (`as_digits`) holds a thing of the asked kind that the question does
    not: a year the question already names answers nothing."""
    qf = as_digits(question)
    f = folded_text
    return [sp for sp in _type_spans(kind, f) if f[sp[0]:sp[1]].strip() and f[sp[0]:sp[1]].strip() not in qf]


def gives_asked_kind(kind: str, text: str, question: str) -> bool:
    """Does `text` name a new thing of the kind the question asks for (a person or agency for ใคร, a
    place for ที่ไหน, a date for เมื่อไร …)?"""
    return bool(_new_spans(kind, as_digits(text), question))


def features(qt: QuestionType, q_tokens: tuple[str, ...], question: str, c: Candidate) -> list[float]:
    """One row of FEATURES for a candidate sentence."""
    s_tokens = tokens(c.text)
    s_set = set(s_tokens)
    q_set = set(q_tokens)
    q_idf = sum(idf(t) for t in q_set) or 1.0
    shared = q_set & s_set
    overlap = sum(idf(t) for t in shared) / q_idf
    q_pairs = set(zip(q_tokens, q_tokens[1:]))
    s_pairs = set(zip(s_tokens, s_tokens[1:]))
    bigram = len(q_pairs & s_pairs) / max(len(q_pairs), 1)
    coverage = len(shared) / max(len(q_set), 1)
    text = as_digits(c.text)
    spans = _type_spans(qt.kind, text)
    new = _new_spans(qt.kind, text, question)
    unit = 1.0 if qt.unit and re.search(r"\d[\d,.\s]*" + re.escape(qt.unit), text) else 0.0
    proximity = 0.0
    if new and shared:
        at = [text.find(t) for t in shared if text.find(t) >= 0]
        if at:
            gap = min(abs(a - sp[0]) for a in at for sp in new)
            proximity = 1.0 / (1.0 + gap / 20.0)
    ctx = set(tokens(c.context)) if c.context else set()
    context = sum(idf(t) for t in (q_set & ctx) - shared) / q_idf
    # the question's rarest word (a name, a term) in the sentence; ties (words the corpus lacks)
    # broken by the word itself, so a run does not depend on the order of a set
    rare = max(q_set, key=lambda t: (idf(t), t)) if q_set else ""
    focus = 1.0 if rare and rare in s_set else 0.0
    return [
        overlap, bigram, coverage, focus, 1.0 if spans else 0.0, 1.0 if new else 0.0, unit, proximity,
        c.rank, 1.0 if c.hit == 0 else 0.0, 1.0 if c.position == 0 else 0.0,
        math.log1p(c.position), math.log1p(len(c.text)), context, c.chunk_score,
    ] + [1.0 if new and qt.kind == k else 0.0 for k in KIND_FEATURES]
