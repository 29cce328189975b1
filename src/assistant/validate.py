"""Input validation shared by the CLI, the JSON API and the UI: one place decides what a
question, a chat history, `k` and a retrieval method may be.

An InputError carries an English message (the CLI prints it, exit 2) and a Thai one (the API's
4xx body and the UI show it). Text must be real text: a lone surrogate (which JSON can encode
and Python keeps, but no encoder writes) or a NUL or other control character is refused here,
before it reaches the tokenizer, SQLite or the response encoder."""

from __future__ import annotations

import unicodedata
from typing import Any

from assistant.config import Settings, load_settings


class InputError(ValueError):
    def __init__(self, field: str, message: str, thai: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.thai = thai


_ALLOWED_CONTROLS = "\t\n\r"


def _bad_char(text: str) -> str | None:
    """The first character that is not text (a lone surrogate, NUL, another control), or None."""
    for ch in text:
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            return f"a lone surrogate U+{o:04X}"
        if (o < 32 and ch not in _ALLOWED_CONTROLS) or o == 0x7F:
            return "a NUL byte" if o == 0 else f"the control character U+{o:04X}"
        if 0x80 <= o < 0xA0 and unicodedata.category(ch) == "Cc":
            return f"the control character U+{o:04X}"
    return None


def text(value: Any, field: str, limit: int, empty_ok: bool = False) -> str:
    """A str of real text, stripped, at most `limit` characters."""
    if not isinstance(value, str):
        raise InputError(field, f"must be text, not {type(value).__name__}", f"{_thai_field(field)}ต้องเป็นข้อความ")
    bad = _bad_char(value)
    if bad:
        raise InputError(field, f"is not text (it holds {bad})", f"{_thai_field(field)}มีอักขระที่ไม่ใช่ข้อความ")
    value = value.strip()
    if not value and not empty_ok:
        raise InputError(field, "is empty", f"กรุณาพิมพ์{_thai_field(field)}")
    if len(value) > limit:
        raise InputError(field, f"is {len(value):,} characters, over the {limit:,} limit",
                         f"{_thai_field(field)}ยาว {len(value):,} ตัวอักษร เกินขีดจำกัด {limit:,} ตัวอักษร")
    return value


def question(value: Any, settings: Settings | None = None) -> str:
    s = settings or _settings()
    return text(value, "question", s.max_question_chars)


def history(value: Any, settings: Settings | None = None) -> list[str] | None:
    """The user's earlier questions, oldest first: a list of at most max_history_items
    questions, each checked as a question; None or [] means no history."""
    s = settings or _settings()
    if value is None:
        return None
    if not isinstance(value, list):
        raise InputError("history", f"must be a list of questions, not {type(value).__name__}",
                         "ประวัติการสนทนาต้องเป็นรายการคำถาม")
    if len(value) > s.max_history_items:
        raise InputError("history", f"has {len(value)} items, over the {s.max_history_items} limit",
                         f"ประวัติการสนทนามี {len(value)} รายการ เกินขีดจำกัด {s.max_history_items} รายการ")
    out = [text(item, "history", s.max_question_chars, empty_ok=True) for item in value]
    return [q for q in out if q] or None


def k(value: Any, settings: Settings | None = None, field: str = "k") -> int:
    """A number of results, 1..max_k. Accepts an int, or the digits of one (a query string)."""
    s = settings or _settings()
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"must be a whole number from 1 to {s.max_k}",
                         f"จำนวนผลลัพธ์ ({field}) ต้องเป็นจำนวนเต็ม 1 ถึง {s.max_k}")
    if not 1 <= value <= s.max_k:
        raise InputError(field, f"is {value}; it must be from 1 to {s.max_k}",
                         f"จำนวนผลลัพธ์ ({field}) ต้องอยู่ระหว่าง 1 ถึง {s.max_k}")
    return value


def method(value: Any) -> str:
    """One of the retrieval methods the retriever knows."""
    # The one place that knows the names: the retriever's table.
    from assistant.retrieve.rankers import RANKERS

    if not isinstance(value, str) or value not in RANKERS:
        shown = value if isinstance(value, str) and not _bad_char(value) else type(value).__name__
        raise InputError("method", f"{str(shown)[:40]!r} is not a retrieval method; choose from {', '.join(RANKERS)}",
                         f"วิธีค้นหาต้องเป็นหนึ่งใน {', '.join(RANKERS)}")
    return value


_THAI_FIELDS = {"question": "คำถาม", "history": "ประวัติการสนทนา", "q": "คำค้น", "query": "คำค้น"}


def _thai_field(field: str) -> str:
    return _THAI_FIELDS.get(field, field)


_SETTINGS: Settings | None = None


def _settings() -> Settings:
    global _SETTINGS
    if _SETTINGS is None:
        _SETTINGS = load_settings()
    return _SETTINGS
