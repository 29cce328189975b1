"""Documents that hold several items under one name: a cabinet summary (สรุปข่าวการประชุม
คณะรัฐมนตรี) is a list of agenda items "N. เรื่อง …", a page of news holds items that each open
with a dateline. Each item becomes its own section, titled by the item, so a passage is cited by
the item it comes from and not by the document's first item (a row of the thaigov corpus cut
from a summary can hold six items under the first one's title).

Structure is read from the text itself, whatever the file format; text without it gives None
and is read as before."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.schema import Section
from assistant.text.dates import MONTH, iso_date
from assistant.text.thai import fold_digits

__all__ = ["Items", "meeting_date", "split_agenda", "split_items", "split_news"]


# "24. เรื่อง ผลการประชุม…", "21. เรื่องการจัดทำ…" (no space), "๓. เรื่อง" with the title on the
# next line, "## 2. เรื่อง …" in Markdown. "1. เรื่องนี้เป็นการเสนอ…" opens a numbered point inside
# an item, not an item. Only "N." numbering: "1)" and "(1)" are lists inside items.
_AGENDA_HEAD = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*)?([0-9๐-๙]{1,3})\.[ \t]*เรื่อง(?!นี้|ดังกล่าว)[ \t:]*(.*)$", re.M)

# A summary's part labels stand on their own line after the last item of the part before.
_PART_LABEL = re.compile(r"^(?:กฎหมาย|เศรษฐกิจ|สังคม|เศรษฐกิจ\s*[-–]?\s*สังคม|ต่างประเทศ|แต่งตั้ง)$")

# A news item's dateline: the weekday date alone on its line ("วันจันทร์ที่ 14 กันยายน 2563").
# A body line that opens with the event's date and goes on ("วันศุกร์ที่ 8 มีนาคม 2567 เวลา…") is not one.
_WEEKDAYS = "จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์"
_DATELINE = re.compile(rf"^[ \t]*(วัน(?:{_WEEKDAYS})(?:ที่)?[ \t]*[0-9๐-๙]{{1,2}}[ \t]*(?:{MONTH})[ \t]*(?:พ\.[ \t]?ศ\.[ \t]*)?[0-9๐-๙]{{4}})[ \t]*$", re.M)

_MEETING = re.compile(r"^[ \t#]*(สรุป(?:ข่าว|ผล)?การประชุมคณะรัฐมนตรี[^\n]{0,80}?)[ \t]*$", re.M)

SUBSTANTIAL = 200  # characters of body that make an item more than an entry in a list of titles
MAX_TITLE = 300  # a title is shown on every citation; a heading run on with its body is cut


@dataclass
class Item:
    number: str  # as the document writes it (Arabic or Thai digits)
    title: str
    heading: str  # the heading line(s) as written
    body: str
    location: str


@dataclass
class Items:
    """A document's items, and what precedes the first (a summary's opening, its list of titles)."""

    kind: str  # agenda | news
    preamble: str
    items: list[Item] = field(default_factory=list)

    def sections(self, unwrap) -> list[Section]:
        """One section per item (heading on its own line, then the body as `unwrap` joins it),
        after the preamble's."""
        out = []
        pre = unwrap(self.preamble)
        if pre:
            out.append(Section(pre, "ส่วนนำ"))
        for it in self.items:
            text = "\n".join(p for p in (unwrap(it.heading), unwrap(it.body)) if p)
            out.append(Section(text, it.location, it.title))
        return out

    @property
    def meeting(self) -> str:
        """The meeting a summary reports ("สรุปข่าวการประชุมคณะรัฐมนตรี 17 พฤศจิกายน 2563"), from
        its opening; "" when it does not say."""
        m = _MEETING.search(self.preamble)
        return " ".join(m.group(1).split()) if m else ""

    def title(self, declared: str, meeting: str = "") -> str:
        """The document's title. A declared title that is one item's title (a row cut from a
        summary carries its first item's) would misname the others: the meeting (`meeting`,
        else the one the opening names), else the items' range, names the document instead."""
        items = {_squash(it.title) for it in self.items}
        d = _squash(declared)
        if d and not any(t and (t in d or (len(d) >= 20 and d in t)) for t in items):
            return declared
        if meeting or self.meeting:
            return meeting or self.meeting
        first, last = self.items[0], self.items[-1]
        word = "เรื่องที่" if self.kind == "agenda" else "ข่าวที่"
        return f"{word} {first.number}–{last.number}: {first.title}"[:MAX_TITLE]


def _squash(s: str) -> str:
    return " ".join(s.split())


def _title(rest: str, body: str) -> tuple[str, str, str]:
    """(title, extra heading line, body left) for a heading whose title is `rest` or, when the
    heading line has none, the body's first line."""
    if rest.strip():
        return rest.strip()[:MAX_TITLE], "", body
    lines = body.lstrip("\n").split("\n", 1)
    first = lines[0].strip()
    return first[:MAX_TITLE], first, lines[1] if len(lines) > 1 else ""


def _drop_part_label(body: str) -> str:
    lines = body.rstrip().split("\n")
    while lines and _PART_LABEL.match(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def split_agenda(text: str) -> Items | None:
    """Agenda items, or None. Items are headings "N. เรื่อง …" numbered one after another
    (at least two): a numbered point inside an item does not continue the items' numbering,
    so it stays in its item. Of several such runs the longest is taken; of equally long ones,
    the one whose shortest item is longest: a summary lists its items' titles before their
    texts, and that list is a run of the same numbers with bodies of a line or none."""
    heads = list(_AGENDA_HEAD.finditer(text))
    if len(heads) < 2:
        return None
    nums = [int(fold_digits(h.group(1))) for h in heads]
    # Runs followed backwards: the next heading of a run is the first later one numbered +1.
    nxt: list[int | None] = [None] * len(heads)
    length = [1] * len(heads)
    shortest = [0] * len(heads)
    first_after: dict[int, int] = {}
    for i in range(len(heads) - 1, -1, -1):
        j = first_after.get(nums[i] + 1)
        nxt[i] = j
        body = (heads[j].start() if j is not None else len(text)) - heads[i].end()
        length[i] = 1 + (length[j] if j is not None else 0)
        shortest[i] = min(body, shortest[j]) if j is not None else body
        first_after[nums[i]] = i
    # Past SUBSTANTIAL characters an item is a real one and the earliest run wins: the items of a
    # summary come before any "1. เรื่อง…" list inside one of them.
    best = max(range(len(heads)), key=lambda i: (length[i], min(shortest[i], SUBSTANTIAL), -i))
    if length[best] < 2:
        return None
    run = []
    i: int | None = best
    while i is not None:
        run.append(heads[i])
        i = nxt[i]
    items = []
    for h, after in zip(run, run[1:] + [None]):
        body = text[h.end(): after.start() if after is not None else len(text)]
        title, extra, body = _title(h.group(2), body)
        heading = h.group(0).strip().lstrip("#").strip() + (f"\n{extra}" if extra else "")
        items.append(Item(h.group(1), title, heading, _drop_part_label(body), f"เรื่องที่ {h.group(1)}"))
    return Items("agenda", text[: run[0].start()].strip(), items)


def split_news(text: str) -> Items | None:
    """News items by dateline, or None when fewer than two lines are datelines alone. An item
    runs from its dateline to the next item; its headline (the line after the dateline) is its
    title. The line set apart by a blank line just above a dateline is that item's page title
    (thaigov pages: "title\\n\\ndateline\\nheadline"), so it goes with the item, not the one before."""
    lines = list(_DATELINE.finditer(text))
    if len(lines) < 2:
        return None
    starts = []
    for m in lines:
        start = end = m.start()
        while end > 0 and text[end - 1] == "\n":
            end -= 1
        if end > 0 and start - end >= 2:
            cut = text.rfind("\n", 0, end) + 1
            line = text[cut:end].strip()
            if line and not line.startswith("ที่มา"):  # a source line ends the item before
                start = cut
        starts.append(start)
    items = []
    for k, (m, a, b) in enumerate(zip(lines, starts, starts[1:] + [len(text)]), 1):
        date = " ".join(m.group(1).split())
        before = text[a: m.start()].strip()
        rest = text[m.end(): b]
        title, _, _ = _title("", rest)
        heading = "\n".join(p for p in (before, date) if p)
        items.append(Item(str(k), title or before or date, heading, rest, f"ข่าวที่ {k} ({date})"))
    return Items("news", text[: starts[0]].strip(), items)


def split_items(text: str) -> Items | None:
    """Agenda items, else news items, else None."""
    return split_agenda(text) or split_news(text)


def meeting_date(*texts: str) -> str:
    """The first Thai date in these texts as ISO 8601 (Buddhist years converted), else ""."""
    return iso_date(*texts)
