"""Query understanding: Thai-specific normalisation, glossary and mined-term expansion, and the
documents a question names. The result is a plan that retrieval follows and the UI shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.knowledge.glossary import Glossary, Match, squash
from assistant.text.thai import fold_digits, index_tokens, normalize

_REPEATS = re.compile(r"([\u0e01-\u0e4e])\1{2,}")  # มากกกก → มาก
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2[45]\d\d)(?!\d)")
_ACT_PREFIX = re.compile(r"^(?:พระราชบัญญัติ|พระราชกฤษฎีกา|พระราชกำหนด)\s*")
_ACT_YEAR = re.compile(r"\s*(?:พ\.ศ\.|\(ฉบับ).*$")
_NAMES_ACT = re.compile(r"พ\.?ร\.?บ\.?|พระราชบัญญัติ|กฎหมาย|ตาม")
# "แนวทางที่ 11", "มาตรา 16", "พ.ร.บ. ควบคุมอาคาร": references a corpus either holds or does not.
_NUMBERED = re.compile(r"(แนวทางที่|มาตรา|หมวด)\s*([0-9๐-๙]+)")
_ACT_NAME = re.compile(r"(?:พ\.\s?ร\.\s?บ\.?|พรบ\.?|พระราชบัญญัติ)\s*([\u0e01-\u0e4e]+)")
_QUESTION_TAIL = re.compile(r"(กำหนด|ว่า|ให้|มี|คือ|เรื่อง|ระบุ|บอก|ได้|ไหม|อะไร|อย่างไร|เท่าไร|หรือ|ที่|ซึ่ง|ใน|ของ|ปี|พ\.ศ).*$")


@dataclass
class QueryPlan:
    question: str
    text: str  # normalised question
    dense_text: str
    tokens: list[str]
    extra_tokens: list[str] = field(default_factory=list)
    expansions: list[Match] = field(default_factory=list)
    boost_docs: list[str] = field(default_factory=list)

    @property
    def searched_as(self) -> str:
        """What the officer sees under "ค้นหาเป็น": the question plus what was added."""
        adds = []
        for m in self.expansions:
            for a in m.adds[:2]:
                if a not in adds:
                    adds.append(a)
        extra = [t for t in self.extra_tokens if t.isdigit() and t not in self.tokens]
        parts = adds + [y for y in extra if y not in adds]
        return self.text + (f" (+ {', '.join(parts)})" if parts else "")


def clean_query(question: str) -> str:
    text = normalize(question)
    text = _REPEATS.sub(r"\1", text)
    return text.replace("ๆ", " ๆ ").replace("  ", " ").strip()


def year_variants(text: str) -> list[str]:
    """พ.ศ. 2567 ↔ ค.ศ. 2024: a document may use either era."""
    out = []
    for y in _YEAR.findall(fold_digits(text)):
        y = int(y)
        out.append(str(y - 543) if y >= 2400 else str(y + 543))
    return out


def short_title(title: str) -> str:
    """"พระราชบัญญัติเทศบาล พ.ศ. ๒๔๙๖" → "เทศบาล": what people call an Act."""
    t = _ACT_YEAR.sub("", _ACT_PREFIX.sub("", title.strip()))
    return t.strip()


def named_documents(text: str, act_titles: dict[str, str]) -> list[str]:
    """Documents a question names by their short title (an Act's name), longest names first."""
    q = squash(text)
    if not _NAMES_ACT.search(text):
        return []
    found, taken = [], []
    for doc_id, short in sorted(act_titles.items(), key=lambda kv: -len(kv[1])):
        key = squash(short)
        if len(key) < 5:
            continue
        at = q.find(key)
        if at >= 0 and not any(a <= at < b for a, b in taken):
            taken.append((at, at + len(key)))
            found.append(doc_id)
    return found


# "ตาม พ.ร.บ. X ..." or "พ.ร.บ. X กำหนด...": the question asks what Act X itself says.
_ACCORDING_TO = re.compile(r"ตาม(?:กฎหมาย)?\s*(?:พ\.\s?ร\.\s?บ\.?|พรบ\.?|พระราชบัญญัติ)\s*([\u0e01-\u0e4e]+)")
_ACT_SAYS = re.compile(r"(?:พ\.\s?ร\.\s?บ\.?|พรบ\.?|พระราชบัญญัติ)\s*([\u0e01-\u0e4e]+?)(?=\s*(?:กำหนด|ระบุ|บัญญัติ))")


def references(text: str) -> list[str]:
    """Numbered parts and Acts a question points at, in squashed form for a corpus lookup."""
    refs = [squash(f"{a}{b}") for a, b in _NUMBERED.findall(text)]
    for name in _ACT_NAME.findall(text):
        name = _QUESTION_TAIL.sub("", name).strip()
        if len(name) >= 4:
            refs.append(squash(name))
    return refs


def cited_acts(text: str) -> list[str]:
    """Acts the question asks about by name ("ตาม พ.ร.บ. ผู้สูงอายุ ..."), squashed; the
    answer has to come from that Act, so it must be in the index, not just mentioned."""
    names = [n[:4] + _QUESTION_TAIL.sub("", n[4:]) for n in _ACCORDING_TO.findall(text)] + _ACT_SAYS.findall(text)
    return [squash(n.replace("ฯ", "")) for n in names if len(n.replace("ฯ", "")) >= 4]


def plan(
    question: str,
    glossary: Glossary | None = None,
    act_titles: dict[str, str] | None = None,
    expand_dense: bool = True,
) -> QueryPlan:
    text = clean_query(question)
    tokens = index_tokens(text)
    matches = glossary.find(text) if glossary else []
    extra: list[str] = []
    for m in matches:
        for form in m.adds:
            extra += [t for t in index_tokens(form) if t not in tokens and t not in extra]
    extra += [y for y in year_variants(text) if y not in tokens and y not in extra]
    dense = text
    if expand_dense and matches:
        # The formal term (first form) helps the dense model with abbreviations and slang.
        canon = []
        for m in matches:
            if m.adds and m.adds[0] not in canon and squash(m.adds[0]) not in squash(text):
                canon.append(m.adds[0])
        if canon:
            dense = f"{text} ({' '.join(canon)})"
    boost = named_documents(text, act_titles) if act_titles else []
    return QueryPlan(question, text, dense, tokens, extra, matches, boost)
