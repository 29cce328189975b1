"""Query understanding, the stage before retrieval: Thai-specific normalisation, glossary and
mined-term expansion, the documents, items and guidelines a question names, and the references no
indexed text holds. The result is a QueryPlan that retrieval follows and the UI shows."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from assistant.knowledge import glossary as glossary_mod
from assistant.knowledge.collections import GUIDANCE
from assistant.knowledge.glossary import Glossary, squash
from assistant.query.parts import split
from assistant.query.specifics import year_variants
from assistant.schema import QueryPlan
from assistant.text.definitions import Definition, asked_term, definitions
from assistant.text.items import Item, asked_items, items_in, stem
from assistant.text.thai import fold_digits, index_tokens, normalize

# มากกกก → มาก, where emphasis repeats a letter: at the end of a word ("แบบบูรณาการ" keeps its three บ)
_REPEATS = re.compile(r"([\u0e01-\u0e4e])\1{2,}(?![\u0e01-\u0e4e])")
_ACT_PREFIX = re.compile(r"^(?:พระราชบัญญัติ|พระราชกฤษฎีกา|พระราชกำหนด)\s*")
_ACT_YEAR = re.compile(r"\s*(?:พ\.ศ\.|\(ฉบับ).*$")
_NAMES_ACT = re.compile(r"พ\.?ร\.?บ\.?|พระราชบัญญัติ|กฎหมาย|ตาม")
# "แนวทางที่ 11", "มาตรา 16", "พ.ร.บ. ควบคุมอาคาร": references a corpus either holds or does not.
_NUMBERED = re.compile(r"(แนวทางที่|มาตรา|หมวด)\s*([0-9๐-๙]+)")
_ACT_NAME = re.compile(r"(?:พ\.\s?ร\.\s?บ\.?|พรบ\.?|พระราชบัญญัติ)\s*([\u0e01-\u0e4e]+)")
_QUESTION_TAIL = re.compile(r"(กำหนด|ว่า|ให้|มี|คือ|เรื่อง|ระบุ|บอก|ได้|ไหม|อะไร|อย่างไร|เท่าไร|หรือ|ที่|ซึ่ง|ใน|ของ|ปี|พ\.ศ).*$")


def clean_query(question: str) -> str:
    text = normalize(question)
    text = _REPEATS.sub(r"\1", text)
    return text.replace("ๆ", " ๆ ").replace("  ", " ").strip()


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
# "ตามกฎหมายระเบียบบริหารราชการเมืองพัทยา": an Act named as "กฎหมาย X" — but not "ตามกฎหมายแล้ว…",
# "ตามกฎหมายที่…", where no name follows.
_LOOSE_TAIL = re.compile(r"(?:อยู่|แล้ว|เป็น|ต้อง|จะ|ก็|นั้น|นี้).*$")  # where a loosely named Act ends
_BY_LAW = re.compile(r"ตามกฎหมาย(?:เรื่อง|ว่าด้วย)?(?!\s*(?:พ\.|พรบ|พระราชบัญญัติ))(?!\s*(?:แล้ว|นี้|นั้น|ที่|ว่า|ใด|ไหน|อะไร|ไทย|ของ|เกี่ยวกับ|ด้วย|ก็|จะ|ต้อง|ให้|กำหนด|ระบุ|บอก|ซึ่ง|และ|หรือ|เดิม|ใหม่|ปัจจุบัน|เป็น|อยู่))\s*([\u0e01-\u0e4e]{6,})")
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
    names += [n[:4] + _QUESTION_TAIL.sub("", _LOOSE_TAIL.sub("", n[4:])) for n in _BY_LAW.findall(text)]
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
    items = [(label, fold_digits(n)) for label, n in _NUMBERED.findall(text)]
    return QueryPlan(question, text, dense, tokens, extra, matches, boost, items=items)


_ACT_TITLE = ("พระราชบัญญัติ", "พระราชกฤษฎีกา", "พระราชกำหนด")


def is_act_title(title: str) -> bool:
    """A document titled as an Act (or a royal decree): law, not news about it."""
    return title.startswith(_ACT_TITLE)


_SECTION_AT_END = re.compile(r"มาตรา\s*([0-9๐-๙]+)\s*$")


def _enumerations(rows, acts: set[str]):
    """Per label stem, the documents that number a series of items, each item with the chunk that
    holds its marker; and per Act, the first chunk of each มาตรา."""
    by_doc: dict[str, list[tuple[str, str, str]]] = {}
    for cid, doc_id, _, text, location in rows:
        by_doc.setdefault(doc_id, []).append((cid, text, location))
    enumerations: dict[str, dict[str, list]] = {}
    sections: dict[str, dict[int, str]] = {}
    for doc_id, chunks in by_doc.items():
        if doc_id in acts:
            secs = sections.setdefault(doc_id, {})
            for cid, _, location in chunks:
                m = _SECTION_AT_END.search(location)
                if m:
                    secs.setdefault(int(fold_digits(m.group(1))), cid)
            continue  # an Act's "ข้อ" are inside its sections: addressed by มาตรา
        starts, joined, at = [], [], 0
        for cid, text, _ in chunks:
            starts.append((at, cid))
            joined.append(text)
            at += len(text) + 1
        for label, items in items_in("\n".join(joined)).items():
            placed = []
            for it in items:
                cid = next(c for s, c in reversed(starts) if s <= it.start)
                placed.append((it, cid))
            enumerations.setdefault(stem(label), {})[doc_id] = placed
    return enumerations, sections


@dataclass(frozen=True)
class Knowledge:
    """What query understanding knows of one index generation."""

    generation: int
    terms: Glossary  # the glossary merged with the terms the documents define
    act_titles: dict[str, str]  # doc id → short title, for Acts
    corpus: str  # every title and text, squashed: does any document hold a reference?
    # label stem → doc id → [(item, chunk id)]: documents that enumerate (text/items.py)
    enumerations: dict[str, dict[str, list[tuple[Item, str]]]]
    sections: dict[str, dict[int, str]]  # Act doc id → มาตรา number → its first chunk id
    guidance: frozenset[str] = frozenset()  # doc ids of the guidance collection (knowledge/collections.py)
    # squashed term → [(Act doc id, chunk id, its definition)]: text/definitions.py
    definitions: dict[str, list[tuple[str, str, Definition]]] | None = None


class QueryUnderstanding:
    """Questions → QueryPlans against one index; its knowledge is rebuilt per index generation."""

    def __init__(self, index, settings):
        self.index = index
        self.settings = settings
        self._knowledge: Knowledge | None = None
        self._lock = threading.Lock()

    def knowledge(self) -> Knowledge:
        gen = self.index.generation
        with self._lock:
            if self._knowledge is None or self._knowledge.generation != gen:
                self._knowledge = self._build(gen)
            return self._knowledge

    def _build(self, gen: int) -> Knowledge:
        s = self.settings
        base = glossary_mod.load_default(str(s.glossary_file) if s.glossary_file else None) if s.use_glossary else Glossary()
        rows = self.index.catalog.iter_chunk_texts()  # one scan of the catalog per generation
        mined = Glossary()
        if s.use_mined_terms:
            for _, doc_id, _, text, _ in rows:
                for group in glossary_mod.mine(text, doc_id):
                    mined.add(group)
        docs = self.index.documents()
        titles = {d.doc_id: short_title(d.title) for d in docs if is_act_title(d.title)}
        guidance = frozenset(d.doc_id for d in docs if d.collection == GUIDANCE)
        corpus = "\n".join(squash(f"{title}{text}") for _, _, title, text, _ in rows)
        enumerations, sections = _enumerations(rows, set(titles))
        defined: dict[str, list[tuple[str, str, Definition]]] = {}
        for cid, doc_id, _, text, _ in rows:
            if doc_id in titles:
                for d in definitions(text):
                    entries = defined.setdefault(squash(d.term), [])
                    # a definition cut by a chunk's end is also whole in the next chunk: keep the longer
                    same = next((i for i, e in enumerate(entries) if e[0] == doc_id), None)
                    if same is None:
                        entries.append((doc_id, cid, d))
                    elif len(d.text) > len(entries[same][2].text):
                        entries[same] = (doc_id, cid, d)
        return Knowledge(gen, base.merged(mined), titles, corpus, enumerations, sections, guidance, defined)

    def unknown_references(self, text: str) -> list[str]:
        """References in the question ("แนวทางที่ 11", "พ.ร.บ. ควบคุมอาคาร") that no indexed
        text contains: the corpus cannot answer a question about them."""
        kn = self.knowledge()
        missing = [r for r in references(text) if r not in kn.corpus]
        indexed = [squash(t) for t in kn.act_titles.values()]
        # an Act is also named by the term it is about, which it alone defines ("กฎหมายรัฐบาลดิจิทัล" for
        # the digital government Act, whose title never says it); "กองทุน", "คณะกรรมการ" name no Act
        defined = kn.definitions or {}
        missing += [a for a in cited_acts(text) if not any(a in t or t in a for t in indexed)
                    and len({doc for doc, _, _ in defined.get(a, [])}) != 1 and a not in missing]
        return missing

    def plan(self, query: str, guideline_numbers: list[int] | None = None) -> QueryPlan:
        """`guideline_numbers`: the guidelines that exist, to note the ones the question names."""
        qp = self._plan(query, guideline_numbers)
        parts = split(qp.text) if self.settings.question_parts else []
        qp.parts = [self._plan(p.search, guideline_numbers, asked=p.asked) for p in parts]
        return qp

    def _plan(self, query: str, guideline_numbers: list[int] | None, asked: str = "") -> QueryPlan:
        kn = self.knowledge()
        s = self.settings
        qp = plan(query, kn.terms, kn.act_titles, s.expand_dense)
        qp.asked = asked
        qp.unknown = self.unknown_references(qp.text)
        qp.asked_items = asked_items(qp.text, list(kn.enumerations))
        qp.defines = asked_term(qp.text)
        if guideline_numbers:
            from assistant.knowledge.guidelines import named

            qp.guidelines = sorted(named(qp.text, guideline_numbers))
        return qp
