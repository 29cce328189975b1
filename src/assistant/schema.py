"""The data that flows between stages: Document → Chunk (ingest); QueryPlan → Retrieval (Hit,
Evidence) → Answer (a question)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


# Parts of an Act that are about the law, not the law itself (ingest/loaders.py split_act):
# retrieval ranks them as commentary.
RATIONALE = "เหตุผลในการประกาศใช้"
FOOTNOTES = "เชิงอรรถ"


def is_commentary(location: str) -> bool:
    return location.endswith(RATIONALE) or location == FOOTNOTES


@dataclass
class Section:
    """A stretch of a document's text with the place it came from (page, มาตรา, heading).
    `title`: what a passage of this section is cited as, when not the document's title (an
    agenda item of a cabinet summary is cited by its own เรื่อง)."""

    text: str
    location: str = ""
    title: str = ""


@dataclass
class Document:
    doc_id: str
    title: str
    source: str  # path or URL it was read from
    kind: str  # txt, md, html, pdf, docx, jsonl
    sections: list[Section]
    sha256: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    title: str
    location: str
    char_start: int
    char_end: int
    source: str = ""
    doc_sha256: str = ""


def overlap(prev: Chunk, cur: Chunk) -> int:
    """How many leading characters of `cur` repeat the end of `prev` (chunks overlap by a
    sentence); 0 when the offsets and the text do not agree."""
    o = prev.char_end - cur.char_start
    if 0 < o < len(cur.text) and prev.text.endswith(cur.text[:o]):
        return o
    return 0


def joined_text(chunks: list[Chunk]) -> str:
    """Consecutive chunks' texts as one, without what a chunk repeats of the one before."""
    out = chunks[0].text
    for prev, cur in zip(chunks, chunks[1:]):
        o = overlap(prev, cur)
        out += ("" if o else " ") + cur.text[o:]
    return out


@dataclass
class Hit:
    chunk_id: str
    doc_id: str
    title: str
    location: str
    text: str
    score: float
    rank: int = 0
    source: str = ""
    scores: dict = field(default_factory=dict)  # per-retriever evidence: bm25, dense, rrf
    # The hit's own chunk when `text` holds the whole section or paragraph it belongs to.
    chunk_text: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def own_chunk(self) -> "Hit":
        """The hit as its own chunk: what an answer quotes sentence by sentence."""
        return replace(self, text=self.chunk_text, chunk_text="") if self.chunk_text else self


@dataclass
class QueryPlan:
    """A question after query understanding: what retrieval follows and the answer step reads."""

    question: str  # as searched: the officer's question, or its standalone rewrite in a chat
    text: str  # normalised question
    dense_text: str
    tokens: list[str]
    extra_tokens: list[str] = field(default_factory=list)
    expansions: list[Any] = field(default_factory=list)  # glossary matches (knowledge.glossary.Match)
    boost_docs: list[str] = field(default_factory=list)  # documents the question names (an Act)
    unknown: list[str] = field(default_factory=list)  # references no indexed text contains
    items: list[tuple[str, str]] = field(default_factory=list)  # ("แนวทางที่", "7"), ("มาตรา", "16")
    guidelines: list[int] = field(default_factory=list)  # guideline numbers the question names
    asked_items: tuple | None = None  # (label stem, [numbers] | "all" | "last"): text/items.py
    rewritten_by: str = "none"  # none | rule | llm (a follow-up made standalone)
    # A question that asks several things (query/parts.py): a plan per ask, each searched on its
    # own; `asked` is a part's words as the officer wrote them.
    parts: list["QueryPlan"] = field(default_factory=list)
    asked: str = ""
    defines: str = ""  # the term a definition question asks about, squashed (text/definitions.py)

    @classmethod
    def bare(cls, question: str) -> "QueryPlan":
        """A plan with no understanding applied (tests, and answering given passages)."""
        return cls(question, question, question, [])

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


@dataclass
class Evidence:
    """How strongly the retrieved passages speak to a question; the refusal rule reads these."""

    best_dense: float
    coverage: float  # share of the question's content words found in the top passages
    unknown: list[str] = field(default_factory=list)  # references no indexed text contains
    unfound: list[str] = field(default_factory=list)  # numbered instances ("ครั้งที่ 2") no retrieved passage names


@dataclass
class ItemHit:
    """An enumerated item the question asks for ("แนวทางที่ 7", "มาตรา ๑๖"), in the passage holding it."""

    label: str
    number: int
    text: str  # the item's own words (a section: the passage text)
    hit: Hit
    of: int = 0  # how many items the enumeration has (0: not a series, e.g. a มาตรา)
    marker: str = ""  # the item's label as its document writes it ("แนวทางที่ 7")

    @property
    def quote(self) -> str:
        """The words quoted from the document: its marker and the item's own words."""
        return f"{self.marker} {self.text}".strip()


@dataclass
class Retrieval:
    """What the answer step receives: the plan, the ranked passages and the evidence."""

    plan: QueryPlan
    hits: list[Hit]
    evidence: Evidence
    # Guideline numbers of each hit's chunk; None when tags are not available (no line is added).
    tags: dict[str, list[int]] | None = None
    # How far each of those tags' scores is above the tagging threshold (knowledge/guidelines.py):
    # how sure the tagger is; a tag a passage earns by naming the guideline may be below it.
    tag_margins: dict[str, dict[int, float]] | None = None
    # Neighbouring passages of the top hits (small-to-big): chunk id → [previous, next] that exist.
    context: dict[str, list[Hit]] = field(default_factory=dict)
    items: list[ItemHit] = field(default_factory=list)  # the enumerated items the question asks for
    # The first chunk of each top hit's document, by document id: read only for a question that
    # names a year or a province (a news item's dateline gives its year).
    openings: dict[str, Hit] = field(default_factory=dict)
    parts: list["Retrieval"] = field(default_factory=list)  # one per part of the plan, in order
    # How far the question's style is above the cut under which it reads as a request no document
    # answers (model/style.py; below zero: an opinion, a forecast, today's figures), from the dense
    # search's question vector; None without one (bm25, window, another embedding model).
    asking: float | None = None

    @property
    def question(self) -> str:
        return self.plan.text

    @classmethod
    def of(cls, question: str, hits: list[Hit], evidence: Evidence, tags: dict[str, list[int]] | None = None) -> "Retrieval":
        """Passages given directly (tests, the evaluation harness, LangChain callers)."""
        return cls(QueryPlan.bare(question), hits, evidence, tags)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    location: str
    text: str
    score: float
    quote: str = ""  # the sentence(s) the answer took from this passage

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    hits: list[Hit]
    searched_as: str = ""
    meta: dict = field(default_factory=dict)
    # A question that asks several things: per part {question, answer, citations (numbers), refused}.
    parts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "searched_as": self.searched_as,
            "meta": self.meta,
            "parts": self.parts,
        }
