"""Follow-up questions: rewrite "แล้วข้อ 8 ล่ะ" into a standalone query using the chat history.

A deterministic rule for the extractive default: a question that leans on context (short, or
with a pointing word) is searched together with the previous question's content words."""

from __future__ import annotations

import re

_POINTING = re.compile(r"(แล้ว.*ล่ะ|ล่ะ$|ดังกล่าว|เรื่องนี้|ข้อนี้|อันนี้|นั้น|นี้|เขา|มัน|ต่อ(ไป)?ล่ะ|ด้วยไหม|อีก(บ้าง)?)")
_SHORT = 12  # characters; a Thai question this short rarely stands alone


def rewrite(question: str, history: list[str] | None) -> str:
    """The query to search with. `history` holds earlier user questions, oldest first."""
    question = question.strip()
    if not history:
        return question
    if len(question) > 40 or not (len(question) <= _SHORT or _POINTING.search(question)):
        return question
    previous = history[-1].strip()
    return f"{previous} {question}" if previous else question
