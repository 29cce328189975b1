"""The extractive answerer: quotes the best sentences of the top passages, every line cited [n].
Offline and the default; an entry of the answerers table (answer/answerers.py)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from langchain_core.runnables import RunnableLambda

from assistant.answer.answerers import Answerer
from assistant.answer.evidence import RefusalRule, content_tokens, evidence_meta, refusal, refusal_rule
from assistant.query.qtype import per_unit, rate_asked, unit_asked
from assistant.knowledge.guidelines import note_guidelines
from assistant.schema import Answer, Citation, Hit, Retrieval
from assistant.text.numbers import as_digits
from assistant.text.numbers import read as number_words
from assistant.text.thai import index_tokens, sentences


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


# ("เกี่ยวข้อง" holds กี่: a leading vowel before it makes another word, as in query/qtype.py)
_ASKS_NUMBER = re.compile(r"เท่า(?:ไร|ไหร่|ใด)|(?<![เแโใไ])กี่|จำนวนเท่า|ร้อยละเท่า|อัตราเท่า")
# Figures are read with numbers in words written as digits (text/numbers.py): "ภายใน30วัน" for
# "ภายในสามสิบวัน", while "สามารถ" holds no figure.
_NUM = r"(?:[0-9][0-9,./]*)"


class _Figure:
    """A figure in digits or in words, found with `NUMBER.search(text)` (truthy when there is one)."""

    _DIGITS = re.compile(r"[0-9๐-๙]")

    def search(self, text: str):
        return self._DIGITS.search(text) or (number_words(text) or None)


NUMBER = _Figure()
# The unit a figure must carry ("กี่บาท", "กี่แห่ง": query/qtype.py); "งบ... เท่าไร" asks for baht.
_MONEY_WORDS = ("งบ", "ราคา", "ค่า", "เงิน", "บาท")  # word starts, so "ตั้งบริษัท" is not money
# An amount asked as money with no currency named is given in any currency ("1.5 ล้านดอลลาร์สหรัฐ").
_CURRENCY = "บาท|ดอลลาร์|ดอลล่าร์|เหรียญสหรัฐ|ยูโร|เยน|หยวน|ปอนด์|วอน|ริงกิต|USD|EUR|JPY"
_PERCENT_Q = re.compile(r"เปอร์เซ็นต์|ร้อยละ|%")
_PERCENT = re.compile(rf"ร้อยละ\s*{_NUM}|{_NUM}\s*(?:%|เปอร์เซ็นต์)")


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


def figure_given(question: str, texts: list[str], unit: str = "") -> bool:
    """Does any text give the kind of figure the question asks for (a number with its unit, or
    with `unit` when given), in digits or in words ("ภายในสามสิบวัน" gives "กี่วัน")?"""
    texts = [as_digits(t) for t in texts]
    if _PERCENT_Q.search(question):  # "กี่เปอร์เซ็นต์" is answered by "ร้อยละสอง"
        return any(_PERCENT.search(t) for t in texts)
    money = any(t.startswith(_MONEY_WORDS) for t in index_tokens(question))
    named = unit or unit_asked(question, ki_only=True)
    inferred = not named  # "เงิน…เท่าไร": no unit named
    unit = named or ("บาท" if money and re.search(r"เท่า(?:ไร|ไหร่|ใด)", question) else "")
    if unit == "ล้านบาท":
        unit = "บาท"
    unit_re = f"(?:{_CURRENCY})" if inferred and unit == "บาท" else re.escape(unit)
    pattern = re.compile(_NUM + (r"[\s\u0e01-\u0e4e]{0,12}?" + unit_re if unit else ""))
    # a price per unit ("โครงการละกี่บาท") is given per that unit; counts per year are left alone,
    # since crfcut often cuts "37 ล้าน | คนต่อปี"
    per = rate_asked(question) if unit == "บาท" else ""
    per = per_unit(per) if per else None
    return any(pattern.search(t) and (per is None or per.search(t)) for t in texts)


@dataclass
class ExtractiveAnswerer(Answerer):
    """Quotes the best sentences of the top passages, one cited line per passage."""

    rule: RefusalRule
    passages: int = 3
    # A passage after the first is cited only when its score is this close to the top one:
    # quoting weak passages lowers citation precision (calibrated on eval dev).
    cite_ratio: float = 0.0

    @classmethod
    def from_settings(cls, settings, rule: RefusalRule | None = None) -> "ExtractiveAnswerer":
        return cls(rule or refusal_rule(settings), settings.answer_passages, settings.cite_ratio)

    def answer(self, retrieval: Retrieval) -> Answer:
        return note_guidelines(retrieval, self.compose(retrieval), line=True)

    def compose(self, retrieval: Retrieval) -> Answer:
        """The answer without the guideline line (the generative answerer's fallback)."""
        question, hits, evidence = retrieval.question, retrieval.hits, retrieval.evidence
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
        return Answer(question, text, False, citations, hits, meta=evidence_meta(evidence))


_MARKER = re.compile(r"\[([0-9]+)\]")
# Footnote references in the Acts ("มาตรา ๒[๑]") would read as citation markers.
_FOOTNOTE = re.compile(r"\[[0-9๐-๙]{1,3}\]")


def strip_footnotes(text: str) -> str:
    return _FOOTNOTE.sub("", text)


def markers(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]


def as_runnable(answerer: Answerer) -> RunnableLambda:
    """{'question', 'hits', 'evidence'} → Answer, composable with LangChain chains."""
    return RunnableLambda(lambda x: answerer.answer(Retrieval.of(x["question"], x["hits"], x["evidence"])), name="answer")
