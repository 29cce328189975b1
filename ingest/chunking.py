"""Thai-aware chunking: sentences (crfcut) packed up to a model-token budget, small overlap."""

from __future__ import annotations

import hashlib
import re
from typing import Callable

from assistant.schema import Chunk, Document, Section
from assistant.text.thai import sentences, words
from ingest.budgets import Limits, checkpoint, windows

# Sentence splitting (crfcut) of one very long line costs far more than its length; a line over
# this is cut on a fixed window first (budgets.windows). The shared corpus's longest paragraph
# is about 30,000 characters, so real documents never reach it.
MAX_LINE_CHARS = Limits.max_line_chars

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


def pack_indices(units: list[str], budget: int, count: TokenCounter, overlap: int = 1) -> list[list[int]]:
    """Greedy packing of sentences into pieces of at most `budget` tokens; a piece after the
    first repeats the previous piece's last `overlap` sentences when they are short."""
    pieces: list[list[int]] = []
    cur: list[int] = []
    cur_tokens = 0
    sizes = [count(u) for u in units]
    for i, n in enumerate(sizes):
        if cur and cur_tokens + n > budget:
            pieces.append(cur)
            carry = cur[-overlap:] if overlap and len(cur) > overlap else []
            carry_tokens = sum(sizes[j] for j in carry)
            # Overlap is context, not content: a long carried sentence would double the embedding work.
            if carry_tokens > budget // 4 or carry_tokens + n > budget:
                carry, carry_tokens = [], 0
            cur, cur_tokens = list(carry), carry_tokens
        cur.append(i)
        cur_tokens += n
    if cur:
        pieces.append(cur)
    return pieces


def pack(units: list[str], budget: int, count: TokenCounter, overlap: int = 1) -> list[str]:
    """Units keep their own trailing spaces, so a piece is the original text, not a re-spaced copy."""
    out = ("".join(units[i] for i in idx).strip() for idx in pack_indices(units, budget, count, overlap))
    return [p for p in out if p]


# Enumerations inside one long Thai sentence ("แนวทางที่ 1 ... แนวทางที่ 2 ...", "(๑) ... (๒) ...")
# are separate points: each starts a unit, so a chunk boundary never cuts one in half.
_ENUM = re.compile(r"\s(?=(?:แนวทางที่|ข้อที่|ข้อ|ด้านที่|ประการที่)\s?[0-9๐-๙]+\s|\([0-9๐-๙]{1,2}\)\s?[\u0e01-\u0e4e])")
_LETTERS = re.compile(r"[\u0e01-\u0e4eA-Za-z]")
_SPACE = re.compile(r"\s")


def units(text: str, max_line: int = MAX_LINE_CHARS) -> list[str]:
    """Sentences (crfcut) as slices of the original text, split further at enumerations;
    each keeps the whitespace that followed it. A line over `max_line` characters is split on
    that window before crfcut reads it; a window without any space is not given to crfcut at
    all (Thai ends sentences with a space, so it could only return the window whole, slowly)."""
    out: list[str] = []
    for para, windowed in ((w, len(ws) > 1) for line in text.split("\n") for ws in [windows(line, max_line)] for w in ws):
        checkpoint("sentence splitting")
        cursor = 0
        spans = []
        for sent in (sentences(para) if not windowed or _SPACE.search(para) else [para]):
            at = para.find(sent, cursor)
            if at < 0:
                continue
            spans.append(at)
            cursor = at + len(sent)
        spans = spans or [0]
        bounds = spans + [len(para)]
        for a, b in zip(bounds, bounds[1:]):
            piece = para[a:b]
            cuts = [0] + [m.start() + 1 for m in _ENUM.finditer(piece)] + [len(piece)]
            out.extend(piece[x:y] for x, y in zip(cuts, cuts[1:]) if piece[x:y].strip())
        if out and not out[-1].endswith((" ", "\n")):
            out[-1] += " "
    return out


def _paragraph_run(location: str) -> bool:
    return location.startswith("ย่อหน้า")


def _merge_paragraphs(sections: list[Section]) -> list[Section]:
    """Consecutive plain paragraphs are packed together (location "ย่อหน้า 3–5"): a news item's
    one-line paragraphs would otherwise become tiny, context-free chunks."""
    out: list[Section] = []
    for sec in sections:
        if out and _paragraph_run(sec.location) and _paragraph_run(out[-1].location):
            first = out[-1].location.split("–")[0]
            last = sec.location.replace("ย่อหน้า ", "")
            out[-1] = Section(out[-1].text + "\n" + sec.text, f"{first}–{last}")
        else:
            out.append(Section(sec.text, sec.location, sec.title))
    return out


def chunk_document(doc: Document, budget: int = 128, count: TokenCounter = approx_tokens, overlap: int = 1,
                   max_line: int = MAX_LINE_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    full = doc.text
    offset = 0
    for section in doc.sections if not all(_paragraph_run(s.location) for s in doc.sections) else [None]:
        if section is None:  # a plain-paragraph document: pack across paragraphs, track which
            plan = _paragraph_pieces(doc.sections, budget, count, overlap, max_line)
        else:
            plan = [(p, section.location) for p in _section_pieces(section.text, budget, count, overlap, max_line)]
        for piece, location in plan:
            if len(_LETTERS.findall(piece)) < 8:  # "-", page numbers, view counters
                continue
            cid = chunk_id(doc.doc_id, piece)
            if cid in seen:  # a paragraph repeated in one document is indexed once
                continue
            seen.add(cid)
            start = full.find(piece[:40], offset)
            if start >= 0:
                offset = start
            else:
                start = offset
            chunks.append(
                Chunk(
                    chunk_id=cid,
                    doc_id=doc.doc_id,
                    ordinal=len(chunks),
                    text=piece,
                    title=(section.title if section is not None else "") or doc.title,
                    location=location,
                    char_start=start,
                    char_end=start + len(piece),
                    source=doc.source,
                    doc_sha256=doc.sha256,
                )
            )
    return chunks


def _section_units(text: str, budget: int, count: TokenCounter, max_line: int = MAX_LINE_CHARS) -> list[str]:
    out = []
    for u in units(text, max_line):
        checkpoint("chunking")
        out.extend(_split_long(u, budget, count) if count(u) > budget else [u])
    return out


def _section_pieces(text: str, budget: int, count: TokenCounter, overlap: int, max_line: int = MAX_LINE_CHARS) -> list[str]:
    return pack(_section_units(text, budget, count, max_line), budget, count, overlap)


def _paragraph_pieces(sections: list[Section], budget: int, count: TokenCounter, overlap: int,
                      max_line: int = MAX_LINE_CHARS) -> list[tuple[str, str]]:
    """Pack units across paragraphs; each piece is located by the paragraphs it spans."""
    tagged: list[tuple[str, int]] = []
    seen: set[str] = set()
    for sec in sections:
        if sec.text in seen:  # a paragraph repeated in one document is indexed once
            continue
        seen.add(sec.text)
        number = int(sec.location.split()[-1]) if sec.location.split()[-1].isdigit() else 0
        units_ = _section_units(sec.text, budget, count, max_line)
        if units_:
            units_[-1] = units_[-1].rstrip() + "\n"
        tagged.extend((u, number) for u in units_)
    texts = [u for u, _ in tagged]
    out = []
    for idx in pack_indices(texts, budget, count, overlap):
        piece = "".join(texts[i] for i in idx).strip()
        nums = [tagged[i][1] for i in idx if _LETTERS.search(texts[i])] or [tagged[idx[0]][1]]
        lo, hi = min(nums), max(nums)
        if piece:
            out.append((piece, f"ย่อหน้า {lo}" if lo == hi else f"ย่อหน้า {lo}–{hi}"))
    return out
