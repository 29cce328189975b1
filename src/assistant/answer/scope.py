"""What a refusal tells the officer: what the collection covers, in one Thai line, and a few
questions on the nearest topics it does cover, to ask instead."""

from __future__ import annotations

import re

from assistant.knowledge.collections import GUIDANCE
from assistant.query.understand import is_act_title, short_title
from assistant.schema import Hit
from assistant.text.thai import shorten

# The Acts named in the scope line, at most: the rest are counted.
NAMED_ACTS = 4
_SECTION = re.compile(r"มาตรา\s*[0-9๐-๙]+(?:/[0-9๐-๙]+)?")


def act_name(title: str) -> str:
    """"พระราชบัญญัติเทศบาล พ.ศ. ๒๔๙๖" → "พ.ร.บ.เทศบาล"; a decree keeps its own word."""
    short = short_title(title)
    return f"พ.ร.บ.{short}" if title.startswith("พระราชบัญญัติ") else shorten(title, 60)


def holdings(docs) -> tuple[list, list[str], int]:
    """What an index holds, from the catalog's DocInfo rows: (its guidance documents, the names of
    its Acts, how many other items)."""
    guidance = [d for d in docs if d.collection == GUIDANCE]
    acts = sorted({act_name(d.title) for d in docs if d.collection != GUIDANCE and is_act_title(d.title)})
    others = sum(1 for d in docs if d.collection != GUIDANCE and not is_act_title(d.title))
    return guidance, acts, others


def scope_line(docs) -> str:
    """"ตอบจากเอกสารในระบบเท่านั้น ได้แก่ …": the guidance, the Acts by name, the other items counted.
    `docs`: the catalog's DocInfo rows."""
    guidance, acts, others = holdings(docs)
    parts = []
    if guidance:
        parts.append(f"เอกสารแนวทาง {len(guidance)} ฉบับ ({shorten(guidance[0].title, 60)})")
    if acts:
        named = ", ".join(acts[:NAMED_ACTS])
        more = f" และอีก {len(acts) - NAMED_ACTS} ฉบับ" if len(acts) > NAMED_ACTS else ""
        parts.append(f"กฎหมาย {len(acts)} ฉบับ ({named}{more})")
    if others:
        parts.append(f"เอกสารอื่น เช่น ข่าวและมติคณะรัฐมนตรี {others} รายการ")
    if not parts:
        return "ยังไม่มีเอกสารในระบบ"
    return "ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น ได้แก่ " + "; ".join(parts)


def suggestions(hits: list[Hit], guidance_ids: frozenset[str] | set[str], most: int = 3) -> list[str]:
    """Questions on the documents nearest to a refused one, one per document: what its guidance,
    its section or its item says."""
    out: list[str] = []
    seen: set[str] = set()
    for h in hits:
        if h.doc_id in seen:
            continue
        seen.add(h.doc_id)
        if h.doc_id in guidance_ids:
            q = "แนวทางเมืองอัจฉริยะสำหรับ อปท. มีกี่ข้อ อะไรบ้าง"
        elif is_act_title(h.title) and (m := _SECTION.search(h.location)):
            q = f"{act_name(h.title)} {m.group(0)} ว่าอย่างไร"
        else:
            q = f"{shorten(h.title, 70)} มีสาระสำคัญอย่างไร"
        if q not in out:
            out.append(q)
        if len(out) == most:
            break
    return out
