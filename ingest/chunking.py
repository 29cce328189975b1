"""Thai-aware chunking: sentences (crfcut) packed up to a model-token budget, small overlap."""

from __future__ import annotations

import hashlib
from typing import Callable

from assistant.schema import Chunk, Document
from assistant.thai import sentences, words

TokenCounter = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """Fallback when no tokenizer is given: mE5's sentencepiece averages ~3 Thai chars a token."""
    return max(1, len(text) // 3)


def chunk_id(doc_id: str, text: str) -> str:
    """Stable content hash: the same text in the same document always gets the same id."""
    return hashlib.sha1(f"{doc_id}\n{text}".encode("utf-8")).hexdigest()[:20]


def _split_long(sentence: str, budget: int, count: TokenCounter) -> list[str]:
    """A sentence over budget (Acts run long without spaces) is cut at word boundaries."""
    out, cur = [], ""
    for w in words(sentence, keep_whitespace=True):
        cand = cur + w
        if cur.strip() and count(cand) > budget:
            out.append(cur.strip())
            cur = w
        else:
            cur = cand
    if cur.strip():
        out.append(cur.strip())
    return out


def pack(units: list[str], budget: int, count: TokenCounter, overlap: int = 1) -> list[str]:
    """Greedy packing of sentences into pieces of at most `budget` tokens; a piece after the
    first repeats the previous piece's last `overlap` sentences when they are short."""
    pieces: list[list[str]] = []
    cur: list[str] = []
    cur_tokens = 0
    for unit in units:
        n = count(unit)
        if cur and cur_tokens + n > budget:
            pieces.append(cur)
            carry = cur[-overlap:] if overlap and len(cur) > overlap else []
            carry_tokens = sum(count(u) for u in carry)
            # Overlap is context, not content: a long carried sentence would double the embedding work.
            if carry_tokens > budget // 4 or carry_tokens + n > budget:
                carry, carry_tokens = [], 0
            cur, cur_tokens = list(carry), carry_tokens
        cur.append(unit)
        cur_tokens += n
    if cur:
        pieces.append(cur)
    return [" ".join(p) for p in pieces]


def chunk_document(doc: Document, budget: int = 128, count: TokenCounter = approx_tokens, overlap: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    offset = 0
    full = doc.text
    for section in doc.sections:
        units: list[str] = []
        for sent in sentences(section.text):
            units.extend(_split_long(sent, budget, count) if count(sent) > budget else [sent])
        for piece in pack(units, budget, count, overlap):
            cid = chunk_id(doc.doc_id, piece)
            if cid in seen:  # a paragraph repeated in one document is indexed once
                continue
            seen.add(cid)
            start = full.find(piece[:40], offset)
            start = start if start >= 0 else offset
            chunks.append(
                Chunk(
                    chunk_id=cid,
                    doc_id=doc.doc_id,
                    ordinal=len(chunks),
                    text=piece,
                    title=doc.title,
                    location=section.location,
                    char_start=start,
                    char_end=start + len(piece),
                    source=doc.source,
                    doc_sha256=doc.sha256,
                )
            )
        offset += len(section.text) + 2
    return chunks
