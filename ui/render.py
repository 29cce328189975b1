"""HTML for answers and citation cards.

Everything that comes from a document (titles, locations, passages, quotes, and the answer text
built from them) is untrusted: it is escaped here and only ever shown as text. Chat messages are
also protected from Markdown: each message is one single-line HTML block (Markdown leaves such a
block alone) and Markdown's own punctuation is written as character references besides.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

_MARKER = re.compile(r"\[(\d+)\]")
# Characters Markdown (and GFM autolinks, LaTeX) would act on; as references they are inert text.
_MD_TABLE = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$:@=^"}
    | {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\x00": ""}
)


def esc(text) -> str:
    """Untrusted text → HTML text (for gr.HTML, which renders HTML)."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_md(text) -> str:
    """Untrusted text → HTML text that Markdown will not touch either (for chat messages)."""
    return ("" if text is None else str(text)).translate(_MD_TABLE)


def esc_lines(text, escape=esc) -> str:
    return "<br>".join(escape(line) for line in str(text or "").split("\n"))


def card_id(turn: int, n: int) -> str:
    return f"tpa-c-{int(turn)}-{int(n)}"


def _marker_link(turn: int, n: int) -> str:
    return (
        f'<a class="tpa-ref" href="#{card_id(turn, n)}" data-turn="{int(turn)}" data-n="{int(n)}" '
        f'title="ดูแหล่งอ้างอิง [{int(n)}]">&#91;{int(n)}&#93;</a>'
    )


def _line_with_markers(line: str, turn: int, known: set[int]) -> str:
    """Escape a line of answer text, turning `[n]` markers of real citations into links."""
    out, pos = [], 0
    for m in _MARKER.finditer(line):
        n = int(m.group(1))
        if n not in known:
            continue
        out.append(esc_md(line[pos : m.start()]))
        out.append(_marker_link(turn, n))
        pos = m.end()
    out.append(esc_md(line[pos:]))
    return "".join(out)


def answer_lines(answer: dict, turn: int) -> list[str]:
    """The answer text as a list of HTML lines, in order; the UI streams them one by one."""
    known = {int(c["n"]) for c in answer.get("citations", [])}
    lines = []
    for i, raw in enumerate(str(answer.get("answer", "")).split("\n")):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("- "):
            lines.append(f'<div class="tpa-item">{_line_with_markers(text[2:], turn, known)}</div>')
        elif text.startswith("—"):
            lines.append(f'<div class="tpa-src">{_line_with_markers(text, turn, known)}</div>')
        elif text.endswith(":"):
            lines.append(f'<div class="tpa-lead">{_line_with_markers(text, turn, known)}</div>')
        elif i == 0 and not answer.get("refused"):  # the direct answer comes first, quotes below it
            lines.append(f'<div class="tpa-direct">{_line_with_markers(text, turn, known)}</div>')
        else:
            lines.append(f'<div class="tpa-para">{_line_with_markers(text, turn, known)}</div>')
    return lines


def nearest_documents(answer: dict, limit: int = 3) -> list[dict]:
    seen, out = set(), []
    for h in answer.get("hits", []):
        if h.get("doc_id") in seen:
            continue
        seen.add(h.get("doc_id"))
        out.append(h)
        if len(out) == limit:
            break
    return out


def refusal_html(answer: dict) -> str:
    first = str(answer.get("answer", "")).split("\n", 1)[0].strip()
    parts = [f'<div class="tpa-refused-head">{esc_md(first)}</div>']
    near = nearest_documents(answer)
    if near:
        items = "".join(
            f'<li><span class="tpa-near-title">{esc_md(h.get("title", ""))}</span>'
            + (f' <span class="tpa-near-loc">({esc_md(h.get("location", ""))})</span>' if h.get("location") else "")
            + "</li>"
            for h in near
        )
        parts.append(f'<div class="tpa-near">เอกสารที่ใกล้เคียงที่สุด:<ul>{items}</ul></div>')
    meta = answer.get("meta") or {}
    if meta.get("scope"):
        parts.append(f'<div class="tpa-scope">{esc_md(meta["scope"])}</div>')
    asks = meta.get("suggestions") or []
    if asks:  # a click asks it (ui.js)
        links = "".join(f'<li><a class="tpa-suggest" href="#tpa-question">{esc_md(q)}</a></li>' for q in asks)
        parts.append(f'<div class="tpa-suggests">ลองถามเรื่องที่เอกสารมี:<ul>{links}</ul></div>')
    elif meta.get("refusal") != "task":
        parts.append('<div class="tpa-hint">ลองถามใหม่โดยระบุชื่อกฎหมาย มาตรา หรือหัวข้อให้ชัดเจนขึ้น</div>')
    return "".join(parts)


def searched_as_html(question: str, searched_as: str) -> str:
    if not searched_as or searched_as.strip() == question.strip():
        return ""
    return f'<div class="tpa-searched">ค้นหาเป็น: {esc_md(searched_as)}</div>'


def message_html(answer: dict, turn: int, upto: int | None = None, done: bool = True) -> str:
    """One assistant chat message: the answer (first `upto` lines while streaming), then the
    searched-as query. A single line of HTML: Markdown passes a one-line HTML block through."""
    if answer.get("refused"):
        body = refusal_html(answer)
        cls = "tpa-answer tpa-refused"
    else:
        lines = answer_lines(answer, turn)
        body = "".join(lines if upto is None else lines[:upto])
        cls = "tpa-answer"
    body = notice_html(answer) + body
    if done:
        body += searched_as_html(answer.get("question", ""), answer.get("searched_as", ""))
    else:
        body += '<div class="tpa-typing">…</div>'
    return f'<div class="{cls}" data-turn="{int(turn)}">{body}</div>'


def partial_html(text: str, turn: int) -> str:
    """A generative answer while it streams: its citations are not known yet, markers stay text."""
    return message_html({"answer": text, "citations": [], "refused": False}, turn, done=False)


def notice_html(answer: dict) -> str:
    meta = answer.get("meta") or {}
    parts = []
    if meta.get("notice"):
        parts.append(f'<div class="tpa-notice">{esc_md(meta["notice"])}</div>')
    if meta.get("mode") == "generative":
        parts.append('<div class="tpa-mode">คำตอบเรียบเรียงโดยโมเดลภาษาจากแหล่งอ้างอิง '
                     "ทุกประโยคผ่านการตรวจกับข้อความต้นฉบับ โปรดตรวจสอบกับแหล่งอ้างอิงก่อนใช้</div>")
    return "".join(parts)


def status_html(text: str) -> str:
    return f'<div class="tpa-answer tpa-pending">{esc_md(text)}</div>'


# ---------------------------------------------------------------- citation cards


def _longest_prefix_in(passage: str, text: str) -> int:
    """Length of the longest prefix of `text` found somewhere in `passage` (binary search: a
    prefix found implies every shorter prefix is found)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text[:mid] in passage:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _quote_spans(passage: str, quote: str, min_run: int) -> list[tuple[int, int]]:
    """Where the quote sits in the passage. A quote is some of the passage's own sentences joined
    by spaces: mark each passage sentence the quote contains; if the sentences cannot be
    recovered, fall back to consecutive longest-prefix matches."""
    if quote in passage:
        at = passage.find(quote)
        return [(at, at + len(quote))]
    spans: list[tuple[int, int]] = []
    try:
        from assistant.text.thai import sentences

        sents = sentences(passage)
    except Exception:  # noqa: BLE001  (highlighting is a nicety; never fail a card over it)
        sents = []
    last = 0
    for sent in sents:
        if len(sent) < min_run or sent not in quote:
            continue
        at = passage.find(sent, last)
        if at < 0:
            continue
        spans.append((at, at + len(sent)))
        last = at + len(sent)
    # what of the quote is not covered yet (the sentence splitter may cut a chunk differently)
    rest_pieces = [quote]
    for a, b in spans:
        rest_pieces = [x for piece in rest_pieces for x in piece.split(passage[a:b])]
    for rest in (x.strip() for x in rest_pieces):
        while len(rest) >= min_run:
            n = _longest_prefix_in(passage, rest)
            if n < min_run:
                rest = rest[max(n, 1):].lstrip()
                continue
            piece = rest[:n].rstrip()
            at = passage.find(piece, last)
            if at < 0:
                at = passage.find(piece)
            spans.append((at, at + len(piece)))
            last = at + len(piece)
            rest = rest[n:].lstrip()
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1 and not passage[merged[-1][1]:a].strip():
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        elif merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlight(passage: str, quote: str, min_run: int = 8) -> str:
    """The passage, escaped, with the stretches it shares with the quote wrapped in <mark>.
    Quotes are the passage's own sentences joined by spaces, so matching runs find them even
    where the sentence splitter trimmed spaces."""
    return highlight_many(passage, [(0, quote)], min_run)


def highlight_many(passage: str, quotes: list[tuple[int, str]], min_run: int = 8) -> str:
    """`highlight` for several quotes of one passage (one card of several citations): each
    mark names the citation numbers (`data-n`) whose quote it covers."""
    passage = str(passage or "")
    spans: list[tuple[int, int, int]] = []
    for n, quote in quotes:
        quote = str(quote or "").strip()
        if quote:
            spans += [(a, b, n) for a, b in _quote_spans(passage, quote, min_run)]
    if not spans:
        return esc_lines(passage)
    spans.sort()
    merged: list[list] = []  # [start, end, {numbers}]
    for a, b, n in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2].add(n)
        else:
            merged.append([a, b, {n}])
    out, pos = [], 0
    for a, b, ns in merged:
        out.append(esc_lines(passage[pos:a]))
        attr = f' data-n="{" ".join(str(int(n)) for n in sorted(ns))}"' if any(ns) else ""
        out.append(f'<mark class="tpa-quote"{attr}>{esc_lines(passage[a:b])}</mark>')
        pos = b
    out.append(esc_lines(passage[pos:]))
    return "".join(out)


def _score_txt(score) -> str:
    return f"{float(score):.4f}" if isinstance(score, (int, float)) else "-"


def group_citations(citations: list[dict]) -> list[list[dict]]:
    """Citations of one section (same document and place) together, in the order they are
    first cited: two cards of one paragraph would look identical. Without a place, only the
    same passage text groups."""
    groups: dict[tuple, list[dict]] = {}
    for c in citations:
        loc = str(c.get("location") or "").strip()
        key = (c.get("doc_id", ""), "loc", loc) if loc else (c.get("doc_id", ""), "text", c.get("text", ""))
        groups.setdefault(key, []).append(c)
    return list(groups.values())


def _passages(group: list[dict]) -> list[tuple[str, list[tuple[int, str]]]]:
    """The distinct passage texts of a group, each with the quotes to mark in it; a text another
    one contains is shown once, inside the longer one."""
    texts: list[str] = []
    for c in sorted(group, key=lambda c: -len(str(c.get("text", "")))):
        t = str(c.get("text", ""))
        if not any(t in other for other in texts):
            texts.append(t)
    order = [str(c.get("text", "")) for c in group]
    texts.sort(key=lambda t: min((i for i, o in enumerate(order) if o in t), default=0))
    return [(t, [(int(c.get("n", 0)), c.get("quote", "")) for c in group if str(c.get("text", "")) in t])
            for t in texts]


def doc_line(kind: str, date: str, place: str) -> str:
    """The kind, date and place of a passage, as chips (escaped)."""
    return (
        (f'<span class="tpa-kind">{esc(kind)}</span>' if kind else "")
        + (f'<span class="tpa-date">{esc(date)}</span>' if date else "")
        + (f'<span class="tpa-loc">{esc(place)}</span>' if place else "")
    )


def details_html(rows: list[tuple[str, str]]) -> str:
    """What only the maintainers need (file, search score, index version), folded away."""
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in rows if v not in ("", None))
    return f'<details class="tpa-more"><summary>รายละเอียด</summary><dl>{items}</dl></details>' if items else ""


def card_html(group: list[dict] | dict, turn: int, docs: dict | None = None, generation=None) -> str:
    """One card for the citations of one section: numbers, title, kind, date and place first;
    the passage with every quote marked; file, score and index version behind รายละเอียด."""
    group = [group] if isinstance(group, dict) else list(group)
    first = group[0]
    ns = [int(c.get("n", 0)) for c in group]
    doc_id = str(first.get("doc_id", ""))
    info = (docs or {}).get(doc_id) or {}
    aliases = "".join(f'<span class="tpa-alias" id="{card_id(turn, n)}"></span>' for n in ns[1:])
    numbers = "".join(f'<span class="tpa-n">[{n}]</span>' for n in ns)
    body = "".join(f'<blockquote class="tpa-passage">{highlight_many(t, qs)}</blockquote>' for t, qs in _passages(group))
    more = details_html([
        ("ไฟล์ต้นฉบับ", doc_id),
        ("คะแนนการค้นหา", " · ".join(f"[{int(c.get('n', 0))}] {_score_txt(c.get('score'))}" for c in group)),
        ("รุ่นของดัชนี", str(int(generation)) if generation is not None else ""),
    ])
    return (
        f'<article class="tpa-card" id="{card_id(turn, ns[0])}" tabindex="-1" data-n="{ns[0]}" '
        f'data-ns="{" ".join(map(str, ns))}" data-doc="{esc(doc_id)}">{aliases}'
        f'<header class="tpa-card-head"><span class="tpa-ns">{numbers}</span> '
        f'<span class="tpa-title">{esc(first.get("title", ""))}</span></header>'
        f'<div class="tpa-meta">{doc_line(info.get("kind", ""), info.get("date", ""), first.get("location") or "")}'
        f'<button type="button" class="tpa-open" data-turn="{int(turn)}" data-n="{ns[0]}" '
        f'title="เปิดเอกสารต้นฉบับที่ข้อความนี้">เปิดในเอกสาร</button></div>'
        f"{body}{more}</article>"
    )


def turn_html(t: dict, open_: bool) -> str:
    a = t["answer"]
    turn = int(t["turn"])
    docs = a.get("docs") or {}
    if a.get("refused"):
        near = nearest_documents(a)
        body = '<p class="tpa-none">ไม่มีแหล่งอ้างอิง: ระบบไม่ตอบคำถามนี้เพราะไม่พบข้อมูลที่เกี่ยวข้องพอ</p>'
        if near:
            body += '<p class="tpa-none">เอกสารที่ใกล้เคียงที่สุด:</p><ul class="tpa-near-list">' + "".join(
                f'<li data-doc="{esc(h.get("doc_id", ""))}">{esc(h.get("title", ""))}'
                + (f' — {esc(h.get("location", ""))}' if h.get("location") else "")
                + (f' <span class="tpa-kind">{esc(docs[h.get("doc_id")]["kind"])}</span>' if docs.get(h.get("doc_id")) else "")
                + "</li>"
                for h in near
            ) + "</ul>"
    else:
        body = "".join(card_html(g, turn, docs, t.get("generation")) for g in group_citations(a.get("citations", [])))
    return (
        f'<details class="tpa-turn" id="tpa-turn-{turn}"{" open" if open_ else ""}>'
        f'<summary><span class="tpa-qno">คำถามที่ {turn}</span> {esc(a.get("question", ""))}</summary>'
        f"{body}</details>"
    )


def cards_html(turns: list[dict], limit: int = 20) -> str:
    if not turns:
        return (
            '<div class="tpa-cards tpa-empty"><p>แหล่งอ้างอิงของคำตอบจะแสดงที่นี่ '
            "คลิกเครื่องหมาย <b>[1]</b>, <b>[2]</b> ในคำตอบเพื่อดูข้อความต้นฉบับที่ใช้ตอบ</p></div>"
        )
    shown = list(reversed(turns[-limit:]))
    return '<div class="tpa-cards">' + "".join(turn_html(t, i == 0) for i, t in enumerate(shown)) + "</div>"


def upload_results_html(rows: list[dict]) -> str:
    """rows: {name, stored, status, ok, chunks, reason}."""
    if not rows:
        return ""
    body = "".join(
        f'<tr class="{"tpa-ok" if r["ok"] else "tpa-err"}"><td>{esc(r["name"])}</td><td>{esc(r.get("stored", ""))}</td>'
        f'<td>{esc(r["status"])}</td><td>{esc(r.get("chunks", ""))}</td><td>{esc_lines(r.get("reason", ""))}</td></tr>'
        for r in rows
    )
    return (
        '<table class="tpa-upload-table"><thead><tr><th>ไฟล์</th><th>บันทึกเป็น</th><th>สถานะ</th>'
        f"<th>จำนวนช่วงข้อความ</th><th>หมายเหตุ</th></tr></thead><tbody>{body}</tbody></table>"
    )


def when(ts: float) -> str:
    try:
        return datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OSError):
        return ""


# ---------------------------------------------------------------- guidelines and trainer scenarios


def _gl_chips(numbers) -> str:
    return "".join(f'<span class="tpa-gl-chip">แนวทาง {int(n)}</span>' for n in numbers or [])


def guideline_html(g, passages: list[dict], summary_label: str, source: dict, count: int | None = None,
                   docs: dict | None = None, source_title: str = "") -> str:
    """One guideline in the browser tab: the seed's title (official wording), the project's
    summary (labelled as such), and the passages tagged with it (escaped, as the citation cards)."""
    docs = docs or {}
    where = " · ".join(x for x in (source_title or "", source.get("location", "")) if x)
    head = (
        f'<div class="tpa-gl" id="tpa-gl-{int(g.number)}" data-guideline="{int(g.number)}">'
        f'<h3 class="tpa-gl-title">แนวทางที่ {int(g.number)}: {esc(g.title)}</h3>'
        + (f'<div class="tpa-gl-source" data-doc="{esc(source.get("doc_id", ""))}">ชื่อแนวทางตามเอกสาร: {esc(where)}</div>'
           if where else "")
        + f'<div class="tpa-gl-desc">{esc(g.description)}'
        + (f' <span class="tpa-gl-label">[{esc(summary_label)}]</span>' if g.summary_by_project else "")
        + "</div>"
    )
    n = len(passages) if count is None else int(count)
    if not passages:
        return head + '<p class="tpa-none">ยังไม่มีข้อความในดัชนีที่ติดป้ายแนวทางนี้</p></div>'
    cards = "".join(
        f'<article class="tpa-card tpa-gl-card" data-doc="{esc(p.get("doc_id", ""))}">'
        f'<header class="tpa-card-head"><span class="tpa-n">{i}.</span> <span class="tpa-title">{esc(p.get("title", ""))}</span></header>'
        f'<div class="tpa-meta">{doc_line((docs.get(p.get("doc_id")) or {}).get("kind", ""), (docs.get(p.get("doc_id")) or {}).get("date", ""), p.get("location") or "")}</div>'
        f'<div class="tpa-gl-tags">{_gl_chips(p.get("guidelines"))}</div>'
        f'<blockquote class="tpa-passage">{esc_lines(p.get("text", ""))}</blockquote>'
        + details_html([("ไฟล์ต้นฉบับ", str(p.get("doc_id", ""))),
                        ("ความเกี่ยวข้องกับแนวทาง (0–1)", f'{float(p.get("score", 0)):.3f}')])
        + "</article>"
        for i, p in enumerate(passages, 1)
    )
    return (head + f'<p class="tpa-gl-count">ข้อความที่เกี่ยวข้องในดัชนี {n} ช่วง (แสดง {len(passages)} ช่วงแรก, '
            f"ไม่เกิน 3 ช่วงต่อเอกสาร)</p>{cards}</div>")


def scenario_html(s: dict, g, summary_label: str, titles: dict | None = None) -> str:
    """A trainer scenario: the situation, and the key points of a good answer with their sources
    (by title when `titles` knows the document, else by its file name)."""
    titles = titles or {}
    points = []
    for p in s.get("points", []):
        srcs = "".join(
            f'<li class="tpa-src-ref" data-doc="{esc(r.get("doc_id", ""))}">'
            f'<span class="tpa-title">{esc(titles.get(r.get("doc_id"), r.get("doc_id", "")))}</span> · '
            f'<span class="tpa-loc">{esc(r.get("location", ""))}</span>'
            f'<blockquote class="tpa-passage">{esc(r.get("quote", ""))}</blockquote></li>'
            for r in p.get("sources", [])
        )
        points.append(f'<li class="tpa-point"><div class="tpa-point-text">{esc(p.get("text", ""))}</div>'
                      f'<ul class="tpa-point-sources">{srcs}</ul></li>')
    title = f"แนวทางที่ {int(g.number)}: {esc(g.title)}" if g is not None else f"แนวทางที่ {int(s.get('guideline', 0))}"
    return (
        f'<div class="tpa-scenario" id="tpa-scenario-{int(s.get("guideline", 0))}">'
        f'<div class="tpa-scn-title">{title}</div>'
        f'<div class="tpa-scn-situation"><b>สถานการณ์:</b> {esc(s.get("situation", ""))} '
        f'<span class="tpa-gl-label">[กรณีศึกษาที่โครงการเขียนขึ้น]</span></div>'
        f'<div class="tpa-scn-points-head"><b>ประเด็นสำคัญที่คำตอบที่ดีควรมี</b> (พร้อมแหล่งที่มา)</div>'
        f'<ol class="tpa-scn-points">{"".join(points)}</ol></div>'
    )
