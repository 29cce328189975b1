"""The data that flows between stages: Document → Chunk → Hit → Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Section:
    """A stretch of a document's text with the place it came from (page, มาตรา, heading)."""

    text: str
    location: str = ""


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

    def to_dict(self) -> dict:
        return asdict(self)


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

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "searched_as": self.searched_as,
            "meta": self.meta,
        }
