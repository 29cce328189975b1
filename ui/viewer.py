"""The evidence viewer: a cited passage shown in its document.

The catalog already keeps what the viewer needs: every chunk of a document with its ordinal,
location (หมวด / มาตรา / ย่อหน้า / หน้า N) and character offsets. The viewer reads a window of
passages around the cited one (one indexed range query, so an Act of 2,000 passages opens as fast
as a news item), outlines the cited passage and highlights the quote with the cards' own
`render.highlight`, so document text is escaped exactly as in the cards.

For a PDF the page number is the chunk's location (the loader makes one section per page, "หน้า N").
The quote's boxes are found when the page is viewed, by searching the page of the recorded source
file with PyMuPDF: nothing has to be added at ingest, PDFs indexed before the viewer existed work,
and a box can never point at a stale layout, because the page is only drawn when the file's SHA-256
still equals the one the chunks were made from. A file that has moved or changed gets the text view
with a note instead of a wrong picture.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.schema import Chunk, overlap
from ui import render

WINDOW = 12  # passages shown either side of the current one
PAGE_DPI = 96
_PAGE = re.compile(r"^หน้า\s*(\d+)$")
_SECTION_WORD = re.compile(r"\s*(มาตรา|ข้อ)\s")


@dataclass
class ViewState:
    """What one session's viewer shows: a document, the cited passage, the passage in focus."""

    doc_id: str
    cited: int
    current: int
    quote: str = ""
    n: int = 0  # the citation number, for the heading

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "cited": self.cited, "current": self.current, "quote": self.quote, "n": self.n}

    @classmethod
    def from_dict(cls, d: dict | None) -> "ViewState | None":
        if not d or "doc_id" not in d:
            return None
        return cls(str(d["doc_id"]), int(d["cited"]), int(d["current"]), str(d.get("quote", "")), int(d.get("n", 0)))


@dataclass
class PageView:
    number: int
    png: bytes
    boxes: list[tuple[float, float, float, float]]  # left, top, width, height as fractions of the page
    note: str = ""


@dataclass
class View:
    title: str
    doc_id: str
    kind: str
    total: int
    state: ViewState
    passages: list[Chunk]
    page: PageView | None = None
    notes: list[str] = field(default_factory=list)


_CHAPTER_LINE = re.compile(r"((?:หมวด|ส่วนที่)\s*[0-9๐-๙]+)\s+(\S[^\n]{0,80})$")


def _chapter_titles(passages: list[Chunk]) -> dict[str, str]:
    """"หมวด 2" → "หมวด 2 คณะกรรมการ…": an Act's chapter line ends the passage before its first
    มาตรา (the loader splits at มาตรา), so the window itself holds the titles it needs."""
    out = {}
    for c in passages:
        m = _CHAPTER_LINE.search(c.text.rstrip())
        if m:
            out[" ".join(m.group(1).split())] = f"{m.group(1)} {m.group(2).strip()}"
    return out


def _chapter(location: str) -> str:
    """"หมวด 2 มาตรา 10" → "หมวด 2": the heading a run of มาตรา sits under."""
    m = _SECTION_WORD.search(" " + location)
    return location[: max(0, m.start() - 1)].strip() if m and m.start() > 0 else ""


class Viewer:
    """Reads views from the index's catalog; thread-safe (the catalog has a connection per thread)."""

    def __init__(self, index):
        self.index = index
        self._sha_cache: dict[tuple[str, int, int], str] = {}
        self._pages: OrderedDict[tuple, PageView] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ locating
    def locate(self, doc_id: str, text: str, quote: str = "", n: int = 0) -> ViewState | None:
        at = self.index.catalog.find_ordinal(doc_id, text, quote)
        if at is None:
            return None
        return ViewState(doc_id, at, at, quote, n)

    def move(self, state: ViewState, step: int) -> ViewState:
        total = self.index.catalog.chunk_count(state.doc_id)
        current = min(max(0, state.current + step), max(0, total - 1))
        return ViewState(state.doc_id, state.cited, current, state.quote, state.n)

    # ------------------------------------------------------------ reading
    def view(self, state: ViewState, pages: bool = True) -> View | None:
        cat = self.index.catalog
        with cat.reading():  # count, window and document from one committed state
            info = cat.document(state.doc_id)
            if info is None:
                return None
            total = cat.chunk_count(state.doc_id)
            passages = cat.chunk_range(state.doc_id, state.current - WINDOW, state.current + WINDOW)
            cited = cat.chunk_range(state.doc_id, state.cited, state.cited)
        v = View(info.title, info.doc_id, info.kind, total, state, passages)
        if pages and info.kind == "pdf":
            focus = next((c for c in passages if c.ordinal == state.current), None) or (cited[0] if cited else None)
            if focus is not None:
                quote = state.quote if focus.ordinal == state.cited else ""
                v.page = self.page(focus, quote)
        return v

    # ------------------------------------------------------------ PDF pages
    def _sha256(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        sha = self._sha_cache.get(key)
        if sha is None:
            h = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            sha = self._sha_cache[key] = h.hexdigest()
        return sha

    def page(self, chunk: Chunk, quote: str) -> PageView | None:
        m = _PAGE.match(chunk.location.strip())
        if not m:
            return None
        number = int(m.group(1))
        path = Path(chunk.source)
        try:
            if not path.is_file():
                return PageView(number, b"", [], "ไม่พบไฟล์ต้นฉบับบนเครื่องนี้ จึงแสดงเฉพาะข้อความ")
            if chunk.doc_sha256 and self._sha256(path) != chunk.doc_sha256:
                return PageView(number, b"", [], "ไฟล์ต้นฉบับเปลี่ยนไปหลังนำเข้า จึงไม่แสดงภาพหน้า (นำเข้าใหม่เพื่อให้ตรงกัน)")
        except OSError:
            return PageView(number, b"", [], "อ่านไฟล์ต้นฉบับไม่ได้ จึงแสดงเฉพาะข้อความ")
        key = (str(path), chunk.doc_sha256, number, quote or chunk.text[:200])
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        pv = _render_page(path, number, quote or "", chunk.text)
        with self._lock:
            self._pages[key] = pv
            while len(self._pages) > 32:
                self._pages.popitem(last=False)
        return pv


def _page_chars(page) -> tuple[str, list[tuple[int, object]]]:
    """The page's text without whitespace, and for each character its (line number, box). The
    indexed text was unwrapped and normalised (lines joined, with or without a space), so the
    quote is matched against this squashed text rather than searched as a phrase."""
    import pymupdf

    text, boxes, line_no = [], [], 0
    for block in page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT).get("blocks", []):
        for line in block.get("lines", []):
            line_no += 1
            for span in line.get("spans", []):
                for ch in span.get("chars", []):
                    c = ch["c"]
                    if c.isspace():
                        continue
                    box = pymupdf.Rect(ch["bbox"])
                    if c == "\u0e32" and text and text[-1] == "\u0e4d":  # NIKHAHIT + SARA AA, as written by old producers
                        text[-1], boxes[-1] = "\u0e33", (line_no, boxes[-1][1] | box)
                        continue
                    text.append(c)
                    boxes.append((line_no, box))
    return "".join(text), boxes


def find_boxes(page, quote: str, min_run: int = 6) -> list:
    """Rectangles of the quote on a PyMuPDF page, one per line it covers. The quote (whitespace
    removed) is matched greedily: the longest stretch the page has, then the rest, so a quote that
    runs over a line break, or that the loader's repairs changed in a few characters, is still
    boxed where it matches."""
    from ui.render import _longest_prefix_in

    text, boxes = _page_chars(page)
    rest = "".join(unicodedata.normalize("NFC", quote).split())
    hit: set[int] = set()
    last = 0
    while len(rest) >= min_run:
        n = _longest_prefix_in(text, rest)
        if n < min_run:
            rest = rest[1:]
            continue
        at = text.find(rest[:n], last)
        at = text.find(rest[:n]) if at < 0 else at
        hit.update(range(at, at + n))
        last, rest = at + n, rest[n:]
    lines: dict[int, object] = {}
    for i in sorted(hit):
        line, box = boxes[i]
        lines[line] = lines[line] | box if line in lines else box
    return list(lines.values())


def _render_page(path: Path, number: int, quote: str, passage: str) -> PageView:
    import pymupdf

    try:
        with pymupdf.open(path) as doc:
            if not 1 <= number <= doc.page_count:
                return PageView(number, b"", [], "ไม่พบหน้านี้ในไฟล์ต้นฉบับ")
            page = doc[number - 1]
            rects = find_boxes(page, quote) if quote else []
            png = page.get_pixmap(dpi=PAGE_DPI).tobytes("png")
            w, h = page.rect.width or 1, page.rect.height or 1
            x0, y0 = page.rect.x0, page.rect.y0
            boxes = [((r.x0 - x0) / w, (r.y0 - y0) / h, r.width / w, r.height / h) for r in rects]
    except Exception:  # noqa: BLE001 (a damaged file: the text view still works)
        return PageView(number, b"", [], "เปิดไฟล์ PDF ต้นฉบับไม่ได้ จึงแสดงเฉพาะข้อความ")
    note = "" if boxes or not quote else "ไม่พบตำแหน่งของข้อความที่อ้างอิงบนภาพหน้านี้ (ข้อความในไฟล์อาจถูกแก้คำสะกดตอนนำเข้า)"
    return PageView(number, png, boxes, note)


# ---------------------------------------------------------------- HTML


def _page_html(p: PageView) -> str:
    if not p.png:
        return f'<div class="tpa-v-pagenote">{render.esc(p.note)}</div>' if p.note else ""
    boxes = "".join(
        f'<div class="tpa-v-box" style="left:{x * 100:.2f}%;top:{y * 100:.2f}%;width:{w * 100:.2f}%;height:{h * 100:.2f}%"></div>'
        for x, y, w, h in p.boxes
    )
    src = "data:image/png;base64," + base64.b64encode(p.png).decode("ascii")
    caption = f"หน้า {p.number}" + (f" · พบข้อความที่อ้างอิง {len(p.boxes)} ตำแหน่ง (กรอบสีส้ม)" if p.boxes else "")
    return (
        f'<figure class="tpa-v-pagebox" data-page="{p.number}"><div class="tpa-v-pagewrap">'
        f'<img class="tpa-v-page" src="{src}" alt="ภาพหน้า {p.number} ของเอกสาร">{boxes}</div>'
        f'<figcaption>{render.esc(caption)}</figcaption>'
        + (f'<div class="tpa-v-pagenote">{render.esc(p.note)}</div>' if p.note else "")
        + "</figure>"
    )


def view_html(v: View | None, seq: int = 0) -> str:
    """The viewer panel. `seq` changes on every render, so the browser re-scrolls to the passage
    in focus even when the same view is shown again."""
    if v is None:
        return '<div class="tpa-viewer tpa-v-empty"><p>ไม่พบเอกสารหรือข้อความที่อ้างอิงในดัชนีปัจจุบัน (อาจถูกลบหรือนำเข้าใหม่)</p></div>'
    s = v.state
    cited = next((c for c in v.passages if c.ordinal == s.cited), None)
    where = cited.location if cited is not None else ""
    head = (
        f'<header class="tpa-v-head"><div class="tpa-v-title">{render.esc(v.title)}</div>'
        f'<div class="tpa-meta tpa-v-meta">'
        + (f'<span class="tpa-n">[{int(s.n)}]</span> ' if s.n else "")
        + (f'<span class="tpa-loc">{render.esc(where)}</span>' if where else "")
        + f'<span class="tpa-v-pos">ช่วงข้อความที่ {s.current + 1:,} จาก {v.total:,}</span></div></header>'
    )
    parts = []
    if v.passages and v.passages[0].ordinal > 0:
        parts.append(f'<p class="tpa-v-more">… ก่อนหน้านี้อีก {v.passages[0].ordinal:,} ช่วง</p>')
    chapter, location = None, None
    titles = _chapter_titles(v.passages)
    for i, c in enumerate(v.passages):
        nxt = v.passages[i + 1] if i + 1 < len(v.passages) else None
        if c.ordinal == s.cited:  # the cited passage whole, so its highlight matches the card's
            body = render.highlight(c.text, s.quote)
        else:
            start = overlap(v.passages[i - 1], c) if i else 0
            end = len(c.text) - (overlap(c, nxt) if nxt is not None and nxt.ordinal == s.cited else 0)
            body = render.esc_lines(c.text[start:end].strip())
        ch = _chapter(c.location)
        if ch and ch != chapter:
            parts.append(f'<h4 class="tpa-v-chapter">{render.esc(titles.get(ch, ch))}</h4>')
        chapter = ch or chapter
        loc = c.location[len(ch):].strip() if ch else c.location
        cls = "tpa-v-passage" + (" tpa-v-target" if c.ordinal == s.cited else "") + (" tpa-v-current" if c.ordinal == s.current else "")
        # the passage's place (มาตรา / หน้า / ย่อหน้า) whenever it changes from the passage before
        label = f'<div class="tpa-v-loc">{render.esc(loc)}</div>' if loc and c.location != location else ""
        location = c.location
        parts.append(f'<section class="{cls}" id="tpa-v-p-{c.ordinal}" data-ordinal="{c.ordinal}">{label}'
                     f'<div class="tpa-v-ptext">{body}</div></section>')
    last = v.passages[-1].ordinal if v.passages else 0
    if last < v.total - 1:
        parts.append(f'<p class="tpa-v-more">… ต่อจากนี้อีก {v.total - 1 - last:,} ช่วง</p>')
    page = _page_html(v.page) if v.page else ""
    return (
        f'<div class="tpa-viewer{" tpa-v-pdf" if page else ""}" data-doc="{render.esc(v.doc_id)}" '
        f'data-current="{s.current}" data-cited="{s.cited}" data-seq="{int(seq)}">{head}'
        f'<div class="tpa-v-body">{page}<div class="tpa-v-text">{"".join(parts)}</div></div></div>'
    )


# ---------------------------------------------------------------- the panel in the chat tab


def _citation(turns: list[dict], request: str) -> dict | None:
    """`request` is "turn:n", sent by the page when a card's button or an [n] marker is clicked."""
    try:
        turn, n = (int(x) for x in str(request or "").split(":", 1))
    except ValueError:
        return None
    for t in turns or []:
        if t.get("turn") == turn:
            return next((c for c in t["answer"].get("citations", []) if int(c.get("n", 0)) == n), None)
    return None


def attach(index, turns) -> None:
    """The viewer drawer and its events, inside the chat tab. The page asks for a citation through
    a hidden textbox and button (ui.js fills them on a click), so markers inside chat messages and
    buttons inside the cards' HTML can both open it."""
    import itertools

    import gradio as gr

    viewer = Viewer(index)
    seq = itertools.count(1)
    state = gr.State(None)
    req = gr.Textbox(visible="hidden", elem_id="tpa-viewer-req", show_label=False)
    go = gr.Button(visible="hidden", elem_id="tpa-viewer-go")
    with gr.Column(visible=False, elem_id="tpa-viewer", elem_classes="tpa-drawer") as drawer:
        with gr.Row(elem_id="tpa-viewer-bar"):
            gr.Markdown("### เอกสารต้นฉบับ", elem_id="tpa-viewer-heading")
            prev = gr.Button("◀ ช่วงก่อนหน้า", size="sm", elem_id="tpa-viewer-prev", min_width=90)
            back = gr.Button("ข้อความที่อ้างอิง", size="sm", elem_id="tpa-viewer-back", min_width=90)
            nxt = gr.Button("ช่วงถัดไป ▶", size="sm", elem_id="tpa-viewer-next", min_width=90)
            close = gr.Button("✕ ปิด", size="sm", elem_id="tpa-viewer-close", min_width=60)
        body = gr.HTML("", elem_id="tpa-viewer-body", js_on_load=None)

    def show(s: ViewState | None):
        return view_html(viewer.view(s) if s else None, next(seq)), (s.to_dict() if s else None)

    def open_(request, turns_):
        c = _citation(turns_, request)
        s = viewer.locate(c["doc_id"], c.get("text", ""), c.get("quote", ""), int(c.get("n", 0))) if c else None
        html, d = show(s)
        return gr.update(visible=True), html, d

    def step(d, k):
        s = ViewState.from_dict(d)
        if s is None:
            return gr.skip(), gr.skip()
        return show(viewer.move(s, k) if k else ViewState(s.doc_id, s.cited, s.cited, s.quote, s.n))

    kw = dict(api_visibility="private", concurrency_id="viewer", concurrency_limit=4, show_progress="hidden")
    go.click(open_, [req, turns], [drawer, body, state], **kw)
    prev.click(lambda d: step(d, -1), [state], [body, state], **kw)
    nxt.click(lambda d: step(d, 1), [state], [body, state], **kw)
    back.click(lambda d: step(d, 0), [state], [body, state], **kw)
    close.click(lambda: gr.update(visible=False), None, drawer, api_visibility="private", queue=False)
