"""Read files into Documents: txt, md, html, pdf, docx, jsonl, in UTF-8/UTF-16/TIS-620.

The formats are a table, suffix → reader (`LOADERS`): a reader takes a `Source` (the file's
bytes, its doc id and the per-file budgets) and returns one `Loaded`. A new format is one
function and one `register_loader` call; `SUPPORTED` is the table's keys."""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from assistant.schema import FOOTNOTES, RATIONALE, Document, Section
from assistant.text.thai import has_thai, normalize
from ingest.agenda import Items, meeting_date, split_items
from ingest.budgets import ZIP_MAGIC, Limits, checkpoint, check_zip, html_depth
from ingest.errors import LoadError, message

__all__ = ["LOADERS", "SUPPORTED", "LoadError", "Loaded", "RowError", "Source", "decode", "discover", "load_file", "register_loader"]


@dataclass
class RowError:
    """A bad row in an otherwise good JSONL file; `reason` in English, `thai` for the UI."""

    path: str
    line: int
    reason: str
    code: str = ""
    thai: str = ""

    @classmethod
    def of(cls, path, line: int, code: str, **params) -> "RowError":
        en, th = message(code, **params)
        return cls(str(path), line, en, code, th)


# ---------------------------------------------------------------- decoding


def decode(data: bytes, path: Path | str = "") -> str:
    """Bytes → str for UTF-8 (with or without BOM), UTF-16 (with or without BOM) and TIS-620/cp874."""
    if not data.strip(b" \t\r\n\f\v"):
        raise LoadError(path, "empty")
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(3, len(text) // 1000):
            raise LoadError(path, "bad_utf8_bom")
        return _checked(text, path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _checked(data.decode("utf-16"), path)
        except UnicodeDecodeError:
            raise LoadError(path, "bad_utf16") from None
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM: the high byte of ASCII and Thai-block characters (0x00, 0x0E)
        # sits at odd offsets in little-endian, even offsets in big-endian.
        sample = data[:8192]
        odd, even = sample[1::2], sample[0::2]
        order = ("utf-16-le", "utf-16-be") if odd.count(0) + odd.count(0x0E) >= even.count(0) + even.count(0x0E) else ("utf-16-be", "utf-16-le")
        for enc in order:
            try:
                text = data[: len(data) - len(data) % 2].decode(enc)
            except UnicodeDecodeError:
                continue
            if _plausible(text):
                return _checked(text, path)
        # Not UTF-16: text with a stray NUL is named as such, anything else is binary.
        if _plausible(_decode_8bit(data.replace(b"\x00", b"")) or ""):
            raise LoadError(path, "nul_byte", offset=data.find(b"\x00"))
        raise LoadError(path, "binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        mixed = _mixed_lines(data)
        if mixed:
            raise LoadError(path, "mixed_encoding", utf8=mixed[0], tis=mixed[1], first=mixed[2]) from None
        try:
            text = data.decode("cp874")  # superset of TIS-620
        except UnicodeDecodeError:
            raise LoadError(path, "binary", why=" (not valid UTF-8, UTF-16 or TIS-620/cp874)") from None
        if not has_thai(text):
            raise LoadError(path, "not_thai")
        if not _plausible(text):
            raise LoadError(path, "binary", why=" (not valid UTF-8; as TIS-620 it is not Thai text)")
    return _checked(text, path)


def _decode_8bit(data: bytes) -> str | None:
    for enc in ("utf-8", "cp874"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _mixed_lines(data: bytes) -> tuple[int, int, int] | None:
    """(UTF-8 lines, TIS-620 lines, first TIS-620 line) when a file mixes the two (lines pasted
    from two sources), else None. Only ever run on a file that is not valid UTF-8."""
    utf8 = tis = first = 0
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
            continue
        except UnicodeDecodeError:
            pass
        try:
            text = line.decode("cp874")
        except UnicodeDecodeError:
            return None
        if not has_thai(text):
            return None
        tis += 1
        first = first or n
    return (utf8, tis, first) if utf8 and tis else None


def _checked(text: str, path: Path | str) -> str:
    if not _looks_like_text(text):
        raise LoadError(path, "binary")
    if not text.strip():
        raise LoadError(path, "empty")
    nul = text.find("\x00")
    if nul >= 0:  # anywhere in the file, not only in the sample that _looks_like_text reads
        raise LoadError(path, "nul_byte", offset=nul)
    return text


def _looks_like_text(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / len(sample) < 0.01


def _plausible(text: str) -> bool:
    """Text a Thai office writes: mostly ASCII, Thai, Latin-1 letters and common punctuation.
    Random bytes decoded as UTF-16 or cp874 are mostly other scripts and controls."""
    sample = text[:8192]
    if not sample or not _looks_like_text(sample):
        return False
    good = sum(
        1 for ch in sample
        if ch in "\n\r\t\f" or 32 <= ord(ch) < 0x250 or 0x0E00 <= ord(ch) <= 0x0E7F or 0x2000 <= ord(ch) <= 0x206F
        or ord(ch) in (0xFEFF, 0x20AC)
    )
    return good / len(sample) >= 0.95


# ---------------------------------------------------------------- per-format readers

_MATRA = re.compile(r"^(มาตรา\s*[๐-๙0-9]+(?:/[๐-๙0-9]+)?(?:\s*(?:ทวิ|ตรี|จัตวา))?)", re.M)
# A chapter heading and its title, on the same line or the next ("หมวด ๑\nบททั่วไป"); บทเฉพาะกาล has none.
_HEADING = re.compile(r"^((?:หมวด|ส่วนที่)\s*[๐-๙0-9]+|บทเฉพาะกาล)(?:[ \t]+([^\n\[]{2,80}?)|[ \t]*\n[ \t]*(?!มาตรา)([^\n\[]{2,80}?))?[ \t]*(?:\[[๐-๙0-9]+\])?[ \t]*$", re.M)


def _title_from_text(text: str, fallback: str) -> str:
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:6]
    if not lines:
        return fallback
    if lines[0].startswith("พระราชบัญญัติ"):
        parts = []
        for ln in lines:
            if not parts or ln != parts[-1]:
                parts.append(ln)
            if "พ.ศ." in ln:
                break
        title = " ".join(parts)
        return re.sub(r"^พระราชบัญญัติ\s+(?=พระราชบัญญัติ)", "", title)
    # News pages open with a short category label ("ข่าวผู้บริหาร"); the headline follows.
    for ln in lines[:3]:
        if len(ln) >= 20:
            return ln[:200]
    return lines[0][:200]


def _unwrap(text: str) -> str:
    """Join hard-wrapped lines inside a paragraph; blank lines separate paragraphs."""
    paras = [" ".join(ln.strip() for ln in p.split("\n") if ln.strip()) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paras if p)


# An Act file holds the principal Act, then each amending Act ("พระราชบัญญัติเทศบาล (ฉบับที่ ๑๓)
# พ.ศ. ๒๕๕๒[๑๔๖]") with its own มาตรา ๑, ๒, …, the rationale notes ("หมายเหตุ :- เหตุผลในการประกาศใช้…")
# and the footnotes that the inline markers ("[๖๙]") point to (Royal Gazette references).
# The amending Act's heading carries a footnote marker (its Gazette reference); the same words in a
# section that repeals older Acts ("มาตรา ๓ ให้ยกเลิก … (ฉบับที่ ๒) พ.ศ. ๒๕๒๕") do not.
_AMENDING = re.compile(r"^พระราชบัญญัติ\s*([^\n\[(]{1,120}?)\s*\n?\s*\(ฉบับที่\s*([๐-๙0-9]+)\)\s*(พ\.ศ\.\s*[๐-๙0-9]{4})(?=\s*\[[๐-๙0-9]+\])", re.M)
_RATIONALE = re.compile(r"^หมายเหตุ\s*\n?\s*:-", re.M)
FOOTNOTE_MARK = re.compile(r"\[[๐-๙0-9]{1,4}\]")
_FOOTNOTE_ENTRY = re.compile(r"^\[[๐-๙0-9]{1,4}\]\s*\n?\s*ราชกิจจานุเบกษา", re.M)


def split_act(text: str) -> list[Section]:
    """An Act split into its parts: sections (มาตรา) of the principal Act located by chapter and
    มาตรา; each amending Act's sections located by that Act ("พ.ร.บ.เทศบาล (ฉบับที่ ๑๓) พ.ศ. ๒๕๕๒
    มาตรา ๔"), never by the principal Act's last heading; rationale notes and the footnote list as
    their own sections. Inline footnote markers are dropped from the text. [] when the text is not
    an Act (fewer than three มาตรา)."""
    if len(_MATRA.findall(text)) < 3:
        return []
    sections: list[Section] = []
    last = max(m.start() for m in _MATRA.finditer(text))  # the footnote list follows the last มาตรา
    cut = next((m.start() for m in _FOOTNOTE_ENTRY.finditer(text, last)), None)
    body, footer = (text[:cut], text[cut:]) if cut is not None else (text, "")
    heads = list(_AMENDING.finditer(body))
    parts = [("", body[: heads[0].start()] if heads else body)]
    for i, h in enumerate(heads):
        name = " ".join(h.group(1).split())
        label = f"พ.ร.บ.{name} (ฉบับที่ {h.group(2)}) {' '.join(h.group(3).split())}"
        parts.append((label, body[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(body)]))
    for label, part in parts:
        sections += _act_part(label, part)
    if footer.strip():
        sections.append(Section(_unwrap(footer), FOOTNOTES))
    return sections


def _act_part(label: str, text: str) -> list[Section]:
    """The sections of one Act (`label` "" for the principal Act) and its rationale note."""
    prefix = f"{label} " if label else ""
    out: list[Section] = []
    note = _RATIONALE.search(text)
    rationale = ""
    if note:
        after = _MATRA.search(text, note.end())  # a note ends where the next section starts
        stop = after.start() if after else len(text)
        rationale, text = text[note.start():stop], text[: note.start()] + text[stop:]
    starts = [m.start() for m in _MATRA.finditer(text)]
    bounds = [0] + starts + [len(text)]
    chapter = ""
    for a, b in zip(bounds, bounds[1:]):
        piece = FOOTNOTE_MARK.sub("", text[a:b])
        m = _MATRA.match(piece)
        location = " ".join(m.group(1).split()) if m else ("ส่วนนำ" if not label else "")
        if chapter and m:
            location = f"{chapter} {location}"
        location = f"{prefix}{location}".strip()
        section_text = _unwrap(piece)
        if section_text:
            out.append(Section(section_text, location))
        for h in _HEADING.finditer(piece):
            # "หมวด ๒ องค์การบริหารส่วนตำบล ส่วนที่ ๓ อำนาจหน้าที่…": headings and their titles take
            # part in matching; a หมวด starts afresh, a ส่วนที่ sits inside the current หมวด.
            heading = " ".join(f"{h.group(1)} {h.group(2) or h.group(3) or ''}".split())
            if heading.startswith("ส่วนที่"):
                part_of = chapter.split(" ส่วนที่")[0] if chapter.startswith("หมวด") else ""
                chapter = f"{part_of} {heading}".strip()
            else:
                chapter = heading
    if rationale.strip():
        out.append(Section(_unwrap(FOOTNOTE_MARK.sub("", rationale)), f"{prefix}{RATIONALE}"))
    return out


def _paragraph_sections(text: str) -> list[Section]:
    paras = [p for p in _unwrap(text).split("\n") if p.strip()]
    return [Section(p, f"ย่อหน้า {i}") for i, p in enumerate(paras, 1)]


def _outline(sections: list[Section]) -> str:
    """The text of sections with their headings as lines: HTML and DOCX readers take headings
    out of the text into locations, and an agenda item's heading may be one."""
    plain = ("ส่วนนำ", "ย่อหน้า", "หน้า ")
    return "\n".join((f"{s.location}\n" if s.location and not s.location.startswith(plain) else "") + s.text for s in sections)


def _lines(text: str) -> str:
    return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())


def _items_meta(items: Items, meeting: str = "") -> dict:
    """What a cabinet summary says of itself: the meeting and its date (ISO, Gregorian)."""
    meeting = meeting or items.meeting
    if items.kind != "agenda":
        return {}
    opening = items.preamble[:500] if "คณะรัฐมนตรี" in items.preamble[:500] else ""
    date = meeting_date(meeting, opening)
    return {k: v for k, v in (("meeting", meeting), ("date", date)) if v}


# ---------------------------------------------------------------- the table


@dataclass
class Loaded:
    """What a reader returns: the documents of one file, its bad rows and its warnings."""

    documents: list[Document]
    row_errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Source:
    """One file handed to a reader: its bytes, its doc id and the per-file budgets."""

    path: Path
    doc_id: str
    data: bytes
    limits: Limits = field(default_factory=Limits)

    @property
    def kind(self) -> str:
        return self.path.suffix.lower().lstrip(".")

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def text(self) -> str:
        """The bytes decoded (UTF-8, UTF-16, TIS-620), or LoadError naming why not."""
        return decode(self.data, self.path)

    def document(self, title: str, sections: list[Section], warnings: list[str] | None = None,
                 raw: str | None = None) -> Loaded:
        """The usual result: one document of these sections (repeated paragraphs kept once).
        When the text (`raw`, else the sections with their headings) is a list of agenda or news
        items, the items are the sections instead, each cited by its own title."""
        meta: dict = {}
        items = split_items(raw if raw is not None else _outline(sections))
        if items is not None:
            # Raw text is hard-wrapped (paragraphs joined as before); a reader's sections already
            # hold one paragraph a line.
            join = _unwrap if raw is not None else _lines
            title, sections, meta = items.title(title), items.sections(join), _items_meta(items)
        sections = dedupe_paragraphs(sections)
        if not any(s.text.strip() for s in sections):
            raise LoadError(self.path, "no_text")
        return Loaded([Document(self.doc_id, title, str(self.path), self.kind, sections, self.sha256, meta)], [], warnings or [])


Reader = Callable[[Source], Loaded]
LOADERS: dict[str, Reader] = {}
SUPPORTED = LOADERS.keys()  # a live view: a registered format is supported everywhere at once


def register_loader(suffix: str | tuple[str, ...], reader: Reader | None = None):
    """Add a format: `register_loader(".csv", read_csv)`, or as a decorator
    `@register_loader((".csv", ".tsv"))`. A later registration of a suffix replaces the earlier."""
    suffixes = (suffix,) if isinstance(suffix, str) else tuple(suffix)

    def add(fn: Reader) -> Reader:
        for suf in suffixes:
            suf = suf.lower()
            LOADERS[suf if suf.startswith(".") else "." + suf] = fn
        return fn

    return add(reader) if reader is not None else add


# ---------------------------------------------------------------- per-format readers


@register_loader(".txt")
def read_text(src: Source) -> Loaded:
    text = normalize(src.text())
    title = _title_from_text(text, src.path.stem)
    return src.document(title, split_act(text) or _paragraph_sections(text), raw=text)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$", re.M)



@register_loader((".md", ".markdown"))
def read_markdown(src: Source) -> Loaded:
    text = normalize(src.text())
    heads = list(_MD_HEADING.finditer(text))
    title = heads[0].group(2) if heads else _title_from_text(text, src.path.stem)
    if not heads:
        return src.document(title, _paragraph_sections(text), raw=text)
    sections = []
    pre = text[: heads[0].start()].strip()
    if pre:
        sections.append(Section(_unwrap(pre), "ส่วนนำ"))
    for h, nxt in zip(heads, heads[1:] + [None]):
        body = text[h.end() : nxt.start() if nxt else len(text)]
        body = _unwrap(body)
        if body:
            sections.append(Section(body, h.group(2)))
    return src.document(title, sections, raw=text)


@register_loader((".html", ".htm"))
def read_html(src: Source) -> Loaded:
    from bs4 import BeautifulSoup

    path = src.path
    soup = BeautifulSoup(src.text(), "lxml")
    # Checked right after parsing (linear): the block walk below costs the square of the depth.
    depth = html_depth(soup)
    if depth > src.limits.max_html_depth:
        raise LoadError(path, "html_too_deep", depth=depth, limit=src.limits.max_html_depth)
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "iframe"]):
        if tag.name == "head":
            continue
        tag.decompose()
    title_tag = soup.find("title")
    h1 = soup.find("h1")
    title = normalize((title_tag or h1).get_text(" ")) if (title_tag or h1) else path.stem
    body = soup.body or soup
    for tag in body.find_all(["head"]):
        tag.decompose()
    sections: list[Section] = []
    heading = "ส่วนนำ"
    buf: list[str] = []
    blocks = body.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "th", "pre", "blockquote", "div"])
    seen = set()
    for el in blocks:
        checkpoint("html blocks")
        if el.name == "div" and el.find(["p", "div", "h1", "h2", "h3", "h4", "li", "table"]):
            continue
        if any(id(p) in seen for p in el.parents):
            continue
        seen.add(id(el))
        txt = normalize(el.get_text(" "))
        if not txt:
            continue
        if el.name in ("h1", "h2", "h3", "h4"):
            if buf:
                sections.append(Section("\n".join(buf), heading))
                buf = []
            heading = txt[:120]
            continue
        buf.append(txt)
    if buf:
        sections.append(Section("\n".join(buf), heading))
    if not sections:
        flat = normalize(body.get_text("\n"))
        if flat:
            sections = _paragraph_sections(flat)
    return src.document(title or path.stem, sections)


@register_loader(".pdf")
def read_pdf(src: Source) -> Loaded:
    """Pages become sections (location หน้า N). Thai extraction damage is repaired where the
    repair is deterministic (ingest.pdffix); a page that stays broken, or that has no text
    layer while others do, is named in the warnings."""
    import pymupdf

    from ingest import pdffix

    path, data = src.path, src.data
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own types for damaged files
        raise LoadError(path, "pdf_corrupt", why=f" ({exc})") from None
    if doc.needs_pass:
        raise LoadError(path, "pdf_encrypted")
    if doc.page_count == 0:
        raise LoadError(path, "pdf_corrupt", why=" (no pages)")
    warnings = []
    if doc.is_repaired:
        # MuPDF rebuilds damaged files; one that ends early would lose its last pages silently.
        if b"%%EOF" not in data[-2048:]:
            raise LoadError(path, "pdf_truncated")
        warnings.append(f"{path}: damaged PDF, repaired when read; check that every page is there")
    sections = []
    page_texts = []  # as extracted, with their line breaks: agenda headings are lines
    no_text = []
    try:
        for i, page in enumerate(doc, 1):
            checkpoint(f"PDF page {i}")
            fixed = pdffix.repair(pdffix.page_text(page))
            text = normalize(fixed.text)
            if fixed.broken:
                warnings.append(
                    f"{path}: page {i}: Thai text still broken after repair ({pdffix.describe(fixed.problems)}); "
                    "check this page against the PDF"
                )
            if "legacy_tis620_font" in fixed.repairs:
                warnings.append(f"{path}: page {i}: text in a legacy TIS-620 font, re-read as Thai; check it")
            if text:
                page_texts.append(text)
                sections.append(Section(_unwrap(text), f"หน้า {i}"))  # one paragraph a line
            elif pdffix.page_has_images(page):
                no_text.append(i)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, "pdf_corrupt", why=f", failed at a page ({exc})") from None
    if not sections:
        raise LoadError(path, "pdf_no_text", why=f"no text layer in {doc.page_count} page(s), a scan?")
    if no_text:
        pages = ", ".join(map(str, no_text[:20])) + (" …" if len(no_text) > 20 else "")
        warnings.append(f"{path}: page(s) {pages}: no text; needs OCR (image only, not indexed)")
    title = normalize(doc.metadata.get("title") or "") or _title_from_text(sections[0].text, path.stem)
    return src.document(title, sections, warnings, raw="\n".join(page_texts))


@register_loader(".docx")
def read_docx(src: Source) -> Loaded:
    import io

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(io.BytesIO(src.data))
    except Exception as exc:
        raise LoadError(src.path, "docx_unreadable", why=exc.__class__.__name__) from None
    sections: list[Section] = []
    heading = "ส่วนนำ"
    buf: list[str] = []
    title = normalize(d.core_properties.title or "")
    for block in d.element.body.iterchildren():
        checkpoint("DOCX paragraphs")
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(block, d)
            txt = normalize(p.text)
            if not txt:
                continue
            if (p.style is not None and p.style.name.lower().startswith(("heading", "title"))):
                if buf:
                    sections.append(Section("\n".join(buf), heading))
                    buf = []
                heading = txt[:120]
                title = title or txt
                continue
            buf.append(txt)
        elif tag == "tbl":
            # Tables keep their cells as text, one row per line.
            for row in Table(block, d).rows:
                cells = []
                for cell in row.cells:
                    c = normalize(cell.text)
                    if c and (not cells or cells[-1] != c):  # merged cells repeat
                        cells.append(c)
                if cells:
                    buf.append(" | ".join(cells))
    if buf:
        sections.append(Section("\n".join(buf), heading))
    return src.document(title or src.path.stem, sections)


@register_loader(".jsonl")
def read_jsonl(src: Source) -> Loaded:
    """One document per row {"id", "text", "title"?, ...}; bad rows are listed by line."""
    path, doc_prefix = src.path, src.doc_id
    docs, errors = [], []
    seen = set()
    for lineno, line in enumerate(src.text().splitlines(), 1):
        if not line.strip():
            continue
        if lineno % 64 == 0:
            checkpoint(f"JSONL line {lineno}")
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError.of(path, lineno, "row_json", why=exc.msg))
            continue
        if not isinstance(row, dict):
            errors.append(RowError.of(path, lineno, "row_not_object"))
            continue
        body = row.get("text")
        rid = row.get("id", row.get("doc_id"))
        if not isinstance(body, str) or not body.strip():
            errors.append(RowError.of(path, lineno, "row_no_text"))
            continue
        if rid is None or str(rid).strip() == "":
            errors.append(RowError.of(path, lineno, "row_no_id"))
            continue
        rid = str(rid)
        if rid in seen:
            errors.append(RowError.of(path, lineno, "row_duplicate", rid=rid))
            continue
        seen.add(rid)
        body = normalize(body)
        title = normalize(str(row.get("title") or row.get("item_title") or "")) or _title_from_text(body, rid)
        meta = {k: row[k] for k in ("source_url", "topic", "meeting", "date") if k in row}
        meeting = normalize(str(row.get("meeting") or ""))
        items = split_items(body)
        if items is not None:  # the row's title is its first item's: each item is cited by its own
            title = items.title(title, meeting)
            secs = dedupe_paragraphs(items.sections(_unwrap))
            meta = {**_items_meta(items, meeting), **meta}
        else:
            secs = dedupe_paragraphs(split_act(body) or _paragraph_sections(body))
        if meeting and "date" not in meta and meeting_date(meeting):
            meta["date"] = meeting_date(meeting)
        docs.append(
            Document(
                doc_id=f"{doc_prefix}#{rid}",
                title=title,
                source=str(row.get("source_url") or path),
                kind="jsonl",
                sections=secs,
                sha256=hashlib.sha256(line.encode("utf-8")).hexdigest(),
                meta=meta,
            )
        )
    if not docs and errors:
        raise LoadError(path, "jsonl_no_rows", why=f"{len(errors)} bad, first at line {errors[0].line}: {errors[0].reason}")
    return Loaded(docs, errors, [])


# ---------------------------------------------------------------- entry points


def load_file(path: Path, doc_id: str, max_bytes: int | None = None, limits: Limits | None = None,
              follow_links: bool = True) -> Loaded:
    """Read one file into Documents, or raise LoadError naming the file and the reason.
    `follow_links=False` (files found in a folder): a file that became a link since it was
    found is refused rather than read."""
    limits = limits or Limits()
    if max_bytes is not None:
        limits = Limits(**{**limits.__dict__, "max_bytes": max_bytes})
    path = Path(path)
    suffix = path.suffix.lower()
    reader = LOADERS.get(suffix)
    if reader is None:
        raise LoadError(path, "unsupported", suffix=suffix or "(none)", supported=", ".join(sorted(SUPPORTED)))
    try:
        fd = os.open(path, os.O_RDONLY | (0 if follow_links else os.O_NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError(path, "link_outside", target=os.path.realpath(path)) from None
        raise LoadError(path, "unreadable", why=exc.strerror) from None
    with os.fdopen(fd, "rb") as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise LoadError(path, "empty")
            if size > limits.max_bytes:
                raise LoadError(path, "too_large", size_mb=size / 1e6, limit_mb=limits.max_bytes / 1e6)
            data = fh.read()
        except OSError as exc:
            raise LoadError(path, "unreadable", why=exc.strerror) from None
    if data.startswith(ZIP_MAGIC):  # DOCX, or any zip container: judged before a reader unpacks it
        check_zip(path, data, limits, kind=suffix.lstrip(".") or "zip")
    return reader(Source(path, doc_id, data, limits))


REPEAT_MIN_CHARS = 30  # shorter repeats ("(ยกเลิก)", page headers) carry their place, keep them


def dedupe_paragraphs(sections: list[Section]) -> list[Section]:
    """A paragraph that a document repeats word for word is kept where it first appears: a file
    pasting the same text 1,000 times is indexed (and embedded) once."""
    seen: set[str] = set()
    out = []
    for sec in sections:
        kept = []
        for line in sec.text.split("\n"):
            key = " ".join(line.split())
            if len(key) >= REPEAT_MIN_CHARS:
                if key in seen:
                    continue
                seen.add(key)
            kept.append(line)
        text = "\n".join(kept).strip()
        if text:
            out.append(Section(text, sec.location, sec.title))
    return out


_FOLDER_DOCS = ("readme", "manifest", "license", "licence", "changelog")


def _skipped_in_folder(rel: Path) -> bool:
    """Hidden files and a folder's own documentation (README, MANIFEST, LICENSE) are not content;
    name such a file explicitly to ingest it."""
    if any(part.startswith(".") for part in rel.parts):
        return True
    return rel.stem.lower().startswith(_FOLDER_DOCS)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def discover(
    paths: list[Path],
    on_skip: Callable[[LoadError], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> Iterator[tuple[Path, str]]:
    """(file, doc id) pairs. A doc id is the path relative to the folder named on the command
    line (a single file's id is its name). Folders recurse without following links: a link to
    a file outside the folder, or to any folder, is passed to `on_skip` as a LoadError and
    skipped (an upload folder or a shared drive must not leak /etc/passwd). A named file may
    be a link; it is resolved and `on_note` says to what. Unsupported files and folder
    documentation are skipped silently."""
    skip = on_skip or (lambda err: None)
    note = on_note or (lambda msg: None)
    for root in paths:
        root = Path(root)
        if root.is_dir():
            real_root = root.resolve()
            found = []
            for folder, dirs, names in os.walk(root, followlinks=False):
                for d in list(dirs):
                    p = Path(folder) / d
                    if p.is_symlink():
                        dirs.remove(d)
                        if not _skipped_in_folder(p.relative_to(root)):
                            skip(LoadError(p, "link_folder", target=os.path.realpath(p)))
                for name in names:
                    f = Path(folder) / name
                    rel = f.relative_to(root)
                    if f.suffix.lower() not in SUPPORTED or _skipped_in_folder(rel):
                        continue
                    if f.is_symlink():
                        target = Path(os.path.realpath(f))
                        if not _inside(target, real_root):
                            skip(LoadError(f, "link_outside", target=target))
                            continue
                        if not target.is_file():
                            skip(LoadError(f, "link_folder", target=target))
                            continue
                        found.append((f, target, rel))  # a link within the folder: read its target
                    elif f.is_file():
                        found.append((f, f, rel))
            for _, f, rel in sorted(found):  # the order rglob gave: by path
                yield f, rel.as_posix()
        else:
            if root.is_symlink():
                target = Path(os.path.realpath(root))
                note(f"{root}: symbolic link, read from {target}")
                yield target, root.name
            else:
                yield root, root.name
