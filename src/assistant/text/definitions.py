"""An Act's definitions: `"ผู้สูงอายุ" หมายความว่า บุคคลซึ่งมีอายุเกินหกสิบปีบริบูรณ์ขึ้นไป…`. The Acts
define their terms in one section, one after another; each definition is the answer to "X คืออะไร",
"X หมายความว่าอะไร", and is quoted alone rather than as the whole section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.knowledge.glossary import squash

# After normalisation the Acts' curly quotes are plain ones (text/thai.py).
_DEFINES = re.compile(r'"([^"\n]{1,60})"\s*หมายความ(?:ว่า|รวมถึง)')
# What a definition question asks of its subject: "X คืออะไร", "X หมายความว่าอะไร", "ความหมายของ X".
_CUE = re.compile(r"\s*(?:คือ(?:อะไร|ใคร)?|หมายความว่า(?:อะไร|อย่างไร)?|หมายถึง(?:อะไร|ใคร)?|มีความหมาย\S*|แปลว่าอะไร)"
                  r"\s*(?:ครับ|ค่ะ|คะ|คับ|นะ|จ๊ะ|จ้ะ|ฮะ)?\s*[?？]?\s*$")  # a polite particle may end it
_ABOUT = re.compile(r"^(?:ความหมายของ|นิยามของ|คำว่า|คำนิยาม)\s*")
# Where a question says whose definition it wants ("ตาม พ.ร.บ. ผู้สูงอายุ", "ในกฎหมาย…"): not the term.
_SOURCE = re.compile(r"\s*(?:ตาม|ใน|ของ)?\s*(?:พ\.\s?ร\.\s?บ\.?\s*|พระราชบัญญัติ\s*|กฎหมาย)\S*\s*(?:พ\.?\s?ศ\.?\s*[0-9๐-๙]{4}\s*)?")
COVER = 0.6  # share of the subject a term must be: "รถ" does not define "รถพยาบาลฉุกเฉิน"


@dataclass(frozen=True)
class Definition:
    term: str
    text: str  # the definition as the Act writes it, from the quoted term to the next definition
    start: int
    end: int


def definitions(text: str) -> list[Definition]:
    """The definitions a text holds, in order; each runs to the next one, or to the text's end."""
    heads = list(_DEFINES.finditer(text))
    out = []
    for m, nxt in zip(heads, heads[1:] + [None]):
        end = nxt.start() if nxt else len(text)
        body = text[m.start() : end].rstrip()
        out.append(Definition(m.group(1).strip(), body, m.start(), m.start() + len(body)))
    return out


def asked_term(question: str) -> str:
    """The subject a definition question asks about ("ผังเมืองรวม" of "ผังเมืองรวมหมายความว่าอะไร"),
    squashed; "" for a question that asks no definition."""
    q = question.strip()
    if not _CUE.search(q):
        return ""
    subject = _ABOUT.sub("", _CUE.sub("", q))
    return squash(_SOURCE.sub(" ", subject).replace('"', "").replace("“", "").replace("”", ""))


def defines(term: str, subject: str) -> bool:
    """Does a definition of `term` answer a question about `subject` (both squashed)?"""
    return bool(term) and term in subject and len(term) >= COVER * len(subject)
