"""What an officer is told about a cited document: its kind in Thai and its date.

Neither is stored with a citation: the kind is told from the title, the catalog entry (collection,
cabinet meeting) and the document id; the date from the entry's meta (a cabinet item's meeting
date) or, for news, the dateline in the document's first passage. Looked up once per document
version and cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from assistant.knowledge.collections import GUIDANCE
from assistant.query.understand import is_act_title
from assistant.text.dates import iso_date, thai_date

GUIDE, ACT, NEWS, CABINET, OTHER = "แนวทาง", "พระราชบัญญัติ", "ข่าว", "มติ ครม.", "เอกสาร"
_DECREE = ("พระราชกฤษฎีกา", "พระราชกำหนด")


def dateline(text: str) -> str:
    """The first "12 ตุลาคม 2563" near the start of a text, in Arabic digits; '' if none."""
    return thai_date(iso_date(str(text or "")[:600]))


def kind_of(title: str, doc_id: str = "", meta: dict | None = None, collection: str = "", guide_doc: str = "",
            location: str = "", opening: str = "") -> str:
    """แนวทาง / พระราชบัญญัติ (or the decree's own word) / มติ ครม. / ข่าว / เอกสาร."""
    meta = meta or {}
    title = str(title or "").strip()
    if collection == GUIDANCE or (guide_doc and doc_id == guide_doc):
        return GUIDE
    if is_act_title(title):
        return next((w for w in _DECREE if title.startswith(w)), ACT)
    if meta.get("meeting") or str(location).startswith("เรื่องที่"):
        return CABINET
    if "news" in doc_id.lower() or "ข่าว" in str(opening)[:120]:
        return NEWS
    return OTHER


class Describer:
    """doc_id → {"kind", "date"} from an index's catalog (thread-safe, bounded cache)."""

    def __init__(self, index, guide_doc: str = "", size: int = 512):
        self.index = index
        self.guide_doc = guide_doc
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def describe(self, doc_id: str, title: str = "", location: str = "") -> dict:
        cat = getattr(self.index, "catalog", None)
        info = None
        try:
            info = cat.document(doc_id) if cat is not None else None
        except Exception:  # noqa: BLE001  (a label is a nicety; never fail an answer over it)
            info = None
        if info is None:
            return {"kind": kind_of(title, doc_id, guide_doc=self.guide_doc, location=location), "date": ""}
        key = (doc_id, info.sha256)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        opening = ""
        try:
            first = cat.chunk_range(doc_id, 0, 0)
            opening = first[0].text if first else ""
        except Exception:  # noqa: BLE001
            pass
        kind = kind_of(info.title, doc_id, info.meta, info.collection, self.guide_doc, location, opening)
        date = thai_date(info.meta.get("date", "")) if isinstance(info.meta, dict) else ""
        if not date and kind in (NEWS, GUIDE, OTHER):  # an Act's year is in its title
            date = dateline(opening)
        out = {"kind": kind, "date": date}
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out

    def describe_all(self, rows) -> dict[str, dict]:
        """{doc_id: description} for citation or hit dicts (doc_id, title, location)."""
        out: dict[str, dict] = {}
        for r in rows or []:
            d = r.get("doc_id", "")
            if d and d not in out:
                out[d] = self.describe(d, r.get("title", ""), r.get("location", ""))
        return out
