"""Read files into Documents: txt, md, html, pdf, docx, jsonl, in UTF-8/UTF-16/TIS-620."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from assistant.schema import Document, Section
from assistant.text.thai import has_thai, normalize

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".jsonl"}


class LoadError(Exception):
    """A file that cannot be ingested; the message says why, the path says which."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class RowError:
    """A bad row in an otherwise good JSONL file."""

    path: str
    line: int
    reason: str


# ---------------------------------------------------------------- decoding


def decode(data: bytes, path: Path | str = "") -> str:
    """Bytes → str for UTF-8 (with or without BOM), UTF-16 (with or without BOM) and TIS-620/cp874."""
    if not data.strip(b" \t\r\n\f\v"):
        raise LoadError(path, "empty file")
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(3, len(text) // 1000):
            raise LoadError(path, "not valid UTF-8 text (despite its UTF-8 byte-order mark)")
        return _checked(text, path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _checked(data.decode("utf-16"), path)
        except UnicodeDecodeError:
            raise LoadError(path, "not valid UTF-16 text (despite its byte-order mark)") from None
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
                return text
        raise LoadError(path, "binary data, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp874")  # superset of TIS-620
        except UnicodeDecodeError:
            raise LoadError(path, "binary data, not text (not valid UTF-8, UTF-16 or TIS-620/cp874)") from None
        if not has_thai(text):
            raise LoadError(path, "not valid UTF-8, and not Thai in TIS-620/cp874")
        if not _plausible(text):
            raise LoadError(path, "binary data, not text (not valid UTF-8; as TIS-620 it is not Thai text)")
    return _checked(text, path)


def _checked(text: str, path: Path | str) -> str:
    if not _looks_like_text(text):
        raise LoadError(path, "binary data, not text")
    if not text.strip():
        raise LoadError(path, "empty file")
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
_CHAPTER = re.compile(r"^((?:หมวด|ส่วนที่|บทเฉพาะกาล)[^\n]{0,80})$", re.M)


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


def split_act(text: str) -> list[Section]:
    """An Act split at มาตรา headings, each section located by its chapter and มาตรา."""
    starts = [m.start() for m in _MATRA.finditer(text)]
    if len(starts) < 3:
        return []
    bounds = [0] + starts + [len(text)]
    sections = []
    chapter = ""
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        m = _MATRA.match(piece)
        location = m.group(1).replace("  ", " ") if m else "ส่วนนำ"
        if chapter and m:
            location = f"{chapter} {location}"
        body = _unwrap(piece)
        if body:
            sections.append(Section(body, location))
        chapters = _CHAPTER.findall(piece)
        if chapters:
            chapter = chapters[-1].split()[0] + (" " + chapters[-1].split()[1] if len(chapters[-1].split()) > 1 else "")
    return sections


def _paragraph_sections(text: str) -> list[Section]:
    paras = [p for p in _unwrap(text).split("\n") if p.strip()]
    return [Section(p, f"ย่อหน้า {i}") for i, p in enumerate(paras, 1)]


def read_text(path: Path, text: str) -> tuple[str, list[Section]]:
    text = normalize(text)
    title = _title_from_text(text, path.stem)
    return title, split_act(text) or _paragraph_sections(text)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$", re.M)


def read_markdown(path: Path, text: str) -> tuple[str, list[Section]]:
    text = normalize(text)
    heads = list(_MD_HEADING.finditer(text))
    title = heads[0].group(2) if heads else _title_from_text(text, path.stem)
    if not heads:
        return title, _paragraph_sections(text)
    sections = []
    pre = text[: heads[0].start()].strip()
    if pre:
        sections.append(Section(_unwrap(pre), "ส่วนนำ"))
    for h, nxt in zip(heads, heads[1:] + [None]):
        body = text[h.end() : nxt.start() if nxt else len(text)]
        body = _unwrap(body)
        if body:
            sections.append(Section(body, h.group(2)))
    return title, sections


def read_html(path: Path, text: str) -> tuple[str, list[Section]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
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
    return title or path.stem, sections


def read_pdf(path: Path, data: bytes) -> tuple[str, list[Section], list[str]]:
    """Pages become sections (location หน้า N). Thai extraction damage is repaired where the
    repair is deterministic (ingest.pdffix); a page that stays broken, or that has no text
    layer while others do, is named in the warnings."""
    import pymupdf

    from ingest import pdffix

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own types for damaged files
        raise LoadError(path, f"corrupt or unreadable PDF ({exc})") from None
    if doc.needs_pass:
        raise LoadError(path, "encrypted PDF (password required)")
    if doc.page_count == 0:
        raise LoadError(path, "corrupt or unreadable PDF (no pages)")
    warnings = []
    if doc.is_repaired:
        # MuPDF rebuilds damaged files; one that ends early would lose its last pages silently.
        if b"%%EOF" not in data[-2048:]:
            raise LoadError(path, "truncated PDF (the file ends before its %%EOF marker; copy it again)")
        warnings.append(f"{path}: damaged PDF, repaired when read; check that every page is there")
    sections = []
    no_text = []
    try:
        for i, page in enumerate(doc, 1):
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
                sections.append(Section(_unwrap(text), f"หน้า {i}"))  # one paragraph a line
            elif pdffix.page_has_images(page):
                no_text.append(i)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"corrupt PDF, failed at a page ({exc})") from None
    if not sections:
        raise LoadError(path, f"no text; needs OCR (no text layer in {doc.page_count} page(s), a scan?)")
    if no_text:
        pages = ", ".join(map(str, no_text[:20])) + (" …" if len(no_text) > 20 else "")
        warnings.append(f"{path}: page(s) {pages}: no text; needs OCR (image only, not indexed)")
    title = normalize(doc.metadata.get("title") or "") or _title_from_text(sections[0].text, path.stem)
    return title, sections, warnings


def read_docx(path: Path, data: bytes) -> tuple[str, list[Section]]:
    import io

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(path, f"not a readable DOCX file ({exc.__class__.__name__})") from None
    sections: list[Section] = []
    heading = "ส่วนนำ"
    buf: list[str] = []
    title = normalize(d.core_properties.title or "")
    for block in d.element.body.iterchildren():
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
    return title or path.stem, sections


def read_jsonl(path: Path, text: str, doc_prefix: str) -> tuple[list[Document], list[RowError]]:
    docs, errors = [], []
    seen = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(str(path), lineno, f"invalid JSON ({exc.msg})"))
            continue
        if not isinstance(row, dict):
            errors.append(RowError(str(path), lineno, "row is not a JSON object"))
            continue
        body = row.get("text")
        rid = row.get("id", row.get("doc_id"))
        if not isinstance(body, str) or not body.strip():
            errors.append(RowError(str(path), lineno, "missing or empty 'text'"))
            continue
        if rid is None or str(rid).strip() == "":
            errors.append(RowError(str(path), lineno, "missing 'id'"))
            continue
        rid = str(rid)
        if rid in seen:
            errors.append(RowError(str(path), lineno, f"duplicate id {rid!r}"))
            continue
        seen.add(rid)
        body = normalize(body)
        title = normalize(str(row.get("title") or row.get("item_title") or "")) or _title_from_text(body, rid)
        secs = dedupe_paragraphs(split_act(body) or _paragraph_sections(body))
        meta = {k: row[k] for k in ("source_url", "topic", "meeting", "date") if k in row}
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
        raise LoadError(path, f"no valid rows ({len(errors)} bad, first at line {errors[0].line}: {errors[0].reason})")
    return docs, errors


# ---------------------------------------------------------------- entry points


@dataclass
class Loaded:
    documents: list[Document]
    row_errors: list[RowError]
    warnings: list[str]


def load_file(path: Path, doc_id: str, max_bytes: int) -> Loaded:
    """Read one file into Documents, or raise LoadError naming the file and the reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(path, f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED))}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"cannot read ({exc.strerror})") from None
    if size == 0:
        raise LoadError(path, "empty file")
    if size > max_bytes:
        raise LoadError(path, f"file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read ({exc.strerror})") from None
    sha = hashlib.sha256(data).hexdigest()
    warnings: list[str] = []
    if suffix == ".jsonl":
        docs, row_errors = read_jsonl(path, decode(data, path), doc_id)
        return Loaded(docs, row_errors, warnings)
    if suffix == ".pdf":
        title, sections, warnings = read_pdf(path, data)
    elif suffix == ".docx":
        title, sections = read_docx(path, data)
    else:
        text = decode(data, path)
        if suffix in (".html", ".htm"):
            title, sections = read_html(path, text)
        elif suffix in (".md", ".markdown"):
            title, sections = read_markdown(path, text)
        else:
            title, sections = read_text(path, text)
    sections = dedupe_paragraphs(sections)
    if not any(s.text.strip() for s in sections):
        raise LoadError(path, "no text found")
    doc = Document(doc_id, title, str(path), suffix.lstrip("."), sections, sha)
    return Loaded([doc], [], warnings)


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
            out.append(Section(text, sec.location))
    return out


_FOLDER_DOCS = ("readme", "manifest", "license", "licence", "changelog")


def _skipped_in_folder(rel: Path) -> bool:
    """Hidden files and a folder's own documentation (README, MANIFEST, LICENSE) are not content;
    name such a file explicitly to ingest it."""
    if any(part.startswith(".") for part in rel.parts):
        return True
    return rel.stem.lower().startswith(_FOLDER_DOCS)


def discover(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(file, doc id) pairs. A doc id is the path relative to the folder named on the command
    line (a single file's id is its name). Folders recurse; unsupported files and folder
    documentation in them are skipped."""
    for root in paths:
        root = Path(root)
        if root.is_dir():
            for f in sorted(p for p in root.rglob("*") if p.is_file()):
                if f.suffix.lower() in SUPPORTED and not _skipped_in_folder(f.relative_to(root)):
                    yield f, f.relative_to(root).as_posix()
        else:
            yield root, root.name
