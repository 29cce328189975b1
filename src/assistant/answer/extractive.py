"""Answers built only from retrieved passages: extractive by default, every sentence cited.

The answer step sits behind one interface (`Answerer.answer(question, hits, evidence)`), exposed
as a LangChain Runnable, so a generative answerer can take its place later.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Protocol

from langchain_core.runnables import RunnableLambda

from assistant.schema import Answer, Citation, Hit
from assistant.text.thai import index_tokens, sentences

REFUSAL = "ไม่พบข้อมูลที่เกี่ยวข้องกับคำถามนี้ในเอกสารที่มีอยู่"
# Question words carry no content: matching them proves nothing about support.
QUESTION_WORDS = frozenset(
    "อะไร อย่างไร ไหม ไหน ใด ใคร เท่าไร เท่าไหร่ กี่ เมื่อไร เมื่อไหร่ ทำไม หรือไม่ บ้าง คือ ยังไง แบบไหน "
    "ได้แก่ อะไรบ้าง หรือเปล่า มั้ย ครับ ค่ะ คะ นะ จ๊ะ ช่วย บอก ขอ ทราบ อยาก รู้ ต้องการ".split()
)


def content_tokens(text: str) -> set[str]:
    return {t for t in index_tokens(text) if t not in QUESTION_WORDS}


@dataclass
class Evidence:
    """How strongly the corpus speaks to a question; the refusal rule reads these."""

    best_dense: float
    coverage: float  # share of the question's content words found in the top passages
    unknown: list[str] = field(default_factory=list)  # references no indexed text contains


def evidence_for(question: str, hits: list[Hit], top: int = 3, expansions=(), unknown=()) -> Evidence:
    """`expansions`: glossary matches of the question; a word counts as covered when the
    passages hold it or one of its equivalents (ขยะ is covered by มูลฝอย)."""
    dense = max((h.scores.get("dense", 0.0) for h in hits), default=0.0)
    q = content_tokens(question)
    if not q or not hits:
        return Evidence(dense, 0.0, list(unknown))
    seen = set()
    for h in hits[:top]:
        seen |= set(index_tokens(f"{h.title} {h.text}"))
    covered = q & seen
    for m in expansions:
        if any(set(index_tokens(a)) <= seen for a in m.adds):
            covered |= q & set(index_tokens(m.form))
    return Evidence(dense, len(covered) / len(q), list(unknown))


@dataclass
class RefusalRule:
    """Refuse when dense similarity is low, unless the words of the question are well covered.
    Thresholds are calibrated on the evaluation dev split (see eval/)."""

    min_dense: float = 0.80
    strong_dense: float = 0.86
    min_coverage: float = 0.5

    def refuse(self, ev: Evidence) -> bool:
        if ev.unknown:
            return True
        if ev.best_dense >= self.strong_dense:
            return False
        if ev.best_dense < self.min_dense:
            return True
        return ev.coverage < self.min_coverage


class Answerer(Protocol):
    def answer(self, question: str, hits: list[Hit], evidence: Evidence) -> Answer: ...


def _score_sentence(sentence: str, q: set[str]) -> float:
    toks = set(index_tokens(sentence))
    if not toks:
        return 0.0
    return len(q & toks) / math.sqrt(len(toks))


def _best_sentences(hit: Hit, q: set[str], limit: int = 2) -> list[str]:
    sents = [s for s in sentences(hit.text) if len(s) > 15] or [hit.text]
    scored = sorted(((_score_sentence(s, q), i, s) for i, s in enumerate(sents)), key=lambda t: (-t[0], t[1]))
    chosen = [t for t in scored[:limit] if t[0] > 0] or scored[:1]
    return [s for _, _, s in sorted(chosen, key=lambda t: t[1])]  # in the passage's own order


_ASKS_NUMBER = re.compile(r"เท่า(?:ไร|ไหร่|ใด)|กี่|จำนวนเท่า|ร้อยละเท่า|อัตราเท่า")
_NUM = r"(?:[0-9๐-๙][0-9๐-๙,.]*|หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ยี่สิบ|ร้อย|พัน|หมื่น|แสน|ล้าน)"
_NUMBER = re.compile(_NUM)
# "กี่บาท", "กี่คน": the unit a figure must carry; "งบ... เท่าไร" asks for baht.
_UNIT_AFTER_KI = re.compile(r"กี่\s*(ล้านบาท|บาท|คน|ปี|เดือน|วัน|ชั่วโมง|เมตร|องศา|เปอร์เซ็นต์)")
_MONEY = re.compile(r"งบ|ราคา|ค่า[\u0e01-\u0e4e]*|เงิน|บาท")


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


def figure_given(question: str, texts: list[str]) -> bool:
    """Does any text give the kind of figure the question asks for (a number with its unit)?"""
    m = _UNIT_AFTER_KI.search(question)
    unit = m.group(1) if m else ("บาท" if _MONEY.search(question) and re.search(r"เท่า(?:ไร|ไหร่|ใด)", question) else "")
    if unit == "ล้านบาท":
        unit = "บาท"
    pattern = re.compile(_NUM + (r"[\s\u0e01-\u0e4e]{0,12}?" + re.escape(unit) if unit else ""))
    return any(pattern.search(t) for t in texts)


@dataclass
class ExtractiveAnswerer:
    """Quotes the best sentences of the top passages, one cited line per passage."""

    rule: RefusalRule
    passages: int = 3
    # A passage after the first is cited only when its score is this close to the top one:
    # quoting weak passages lowers citation precision (calibrated on eval dev).
    cite_ratio: float = 0.0

    def answer(self, question: str, hits: list[Hit], evidence: Evidence) -> Answer:
        if not hits or self.rule.refuse(evidence):
            return refusal(question, hits, evidence)
        q = content_tokens(question)
        citations, lines = [], []
        top = hits[0].score
        for hit in hits[: self.passages]:
            if citations and hit.score < self.cite_ratio * top:
                break
            quote = _FOOTNOTE.sub("", " ".join(_best_sentences(hit, q))).strip()
            n = len(citations) + 1
            citations.append(Citation(n, hit.doc_id, hit.title, hit.location, hit.text, hit.score, quote))
            where = f"{hit.title}" + (f" ({hit.location})" if hit.location else "")
            lines.append(f"- {quote} [{n}]\n  — {where}")
        if asks_for_number(question) and not figure_given(question, [c.text for c in citations]):
            # A figure the quoted sentences do not give: better no answer than a wrong number.
            return refusal(question, hits, evidence, "เอกสารที่พบไม่ได้ระบุตัวเลขที่ถาม")
        text = "จากเอกสารที่เกี่ยวข้อง:\n" + "\n".join(lines)
        return Answer(question, text, False, citations, hits, meta=_meta(evidence))


def refusal(question: str, hits: list[Hit], evidence: Evidence, reason: str = "") -> Answer:
    nearest = []
    for h in hits:
        if h.title not in nearest:
            nearest.append(h.title)
        if len(nearest) == 3:
            break
    text = REFUSAL
    if evidence.unknown:
        reason = f"ไม่มีเอกสารใดกล่าวถึง: {', '.join(evidence.unknown)}"
    if reason:
        text += f" ({reason})"
    if nearest:
        text += "\nเอกสารที่ใกล้เคียงที่สุด: " + "; ".join(nearest)
    return Answer(question, text, True, [], hits, meta=_meta(evidence))


def _meta(ev: Evidence) -> dict:
    return {"best_dense": round(ev.best_dense, 4), "coverage": round(ev.coverage, 3), "unknown_references": ev.unknown}


_MARKER = re.compile(r"\[([0-9]+)\]")
# Footnote references in the Acts ("มาตรา ๒[๑]") would read as citation markers.
_FOOTNOTE = re.compile(r"\[[0-9๐-๙]{1,3}\]")


def markers(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]


def as_runnable(answerer: Answerer) -> RunnableLambda:
    """{'question', 'hits', 'evidence'} → Answer, composable with LangChain chains."""
    return RunnableLambda(lambda x: answerer.answer(x["question"], x["hits"], x["evidence"]), name="answer")
