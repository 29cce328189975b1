"""Follow-up questions: rewrite "แล้วข้อ 8 ล่ะ" into a standalone query using the chat history.

A question that leans on context (short, or with a pointing word) is rewritten against the
previous question — itself resolved the same way, so a chain of follow-ups keeps its subject:

- a numbered item replaces the previous one's number: "แนวทางที่ 7 คืออะไร" + "แล้วข้อ 8 ล่ะ"
  → "แนวทางที่ 8 คืออะไร" (a different kind of item replaces the label too: "มาตรา 17");
- a kind of local government replaces the previous one: "อบต. มีหน้าที่อะไรบ้าง" + "แล้วเทศบาลล่ะ"
  → "เทศบาล มีหน้าที่อะไรบ้าง";
- otherwise the follow-up's own words (without แล้ว…ล่ะ) are searched with the previous question.

With a chat model configured, `rewrite_with_llm` asks the model instead and falls back to this
rule when the model fails, is slow, or answers with something that is not a question.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.text.thai import THAI_DIGITS, has_thai

_POINTING = re.compile(r"(^แล้ว|แล้ว.*ล่ะ|ล่ะ$|ดังกล่าว|เรื่องนี้|ข้อนี้|อันนี้|นั้น|นี้|เขา|มัน|ต่อ(ไป)?ล่ะ|ด้วยไหม|อีก(บ้าง)?)")
_SHORT = 12  # characters; a Thai question this short rarely stands alone

# Numbered items a question can point at. Generic labels take the previous question's label.
_ITEM = re.compile(
    r"(แนวทางที่|แนวทาง|มาตรา|ข้อเสนอที่|ข้อที่|ข้อ|หมวดที่|หมวด|ประเด็นที่|ขั้นตอนที่|ระยะที่|อันที่)\s*([0-9๐-๙]+)"
)
_GENERIC = {"ข้อ", "ข้อที่", "อันที่"}
# Kinds of local government: a follow-up naming one swaps it for the previous question's.
_LAO = re.compile(
    r"(องค์การบริหารส่วนตำบล|องค์การบริหารส่วนจังหวัด|องค์กรปกครองส่วนท้องถิ่น|เทศบาลตำบล|เทศบาลเมือง|เทศบาลนคร|"
    r"เทศบาล|เมืองพัทยา|กรุงเทพมหานคร|อบต\.?|อบจ\.?|อปท\.?|กทม\.?)"
)
_LEAD = re.compile(r"^(?:แล้ว(?:ก็)?|และ|ถ้าเป็น|หาก(?:เป็น)?|กรณี(?:ของ)?)\s*")
_TAIL = re.compile(r"\s*(?:ล่ะ|ละ|หล่ะ|ครับ|ค่ะ|คะ|นะ|จ้ะ|จ๊ะ|[?？]+)+\s*$")
_POLITE = re.compile(r"\s*(?:ครับ|ค่ะ|คะ|นะ|จ้ะ|จ๊ะ|[?？]+)+\s*$")
_THAI_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_ARABIC_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)


def depends_on_context(question: str) -> bool:
    """Does this question lean on the conversation (short, or pointing back)?"""
    question = _POLITE.sub("", question.strip())
    return len(question) <= 40 and (len(question) <= _SHORT or bool(_POINTING.search(question)))


def _core(question: str) -> str:
    """The follow-up without its conversational frame: "แล้วข้อ 8 ล่ะครับ" → "ข้อ 8"."""
    q = question.strip()
    for _ in range(3):
        q2 = _TAIL.sub("", _LEAD.sub("", q)).strip()
        if q2 == q:
            break
        q = q2
    return q


def _same_digits(number: str, like: str) -> str:
    """`number` written in the digits `like` uses (๘ after ๗, 8 after 7)."""
    number = number.translate(_THAI_TO_ARABIC)
    return number.translate(_ARABIC_TO_THAI) if any(c in THAI_DIGITS for c in like) else number


def _swap_item(question: str, previous: str) -> str | None:
    m = _ITEM.search(question)
    p = _ITEM.search(previous)
    if not m or not p:
        return None
    label, number = m.group(1), m.group(2)
    p_label, p_number = p.group(1), p.group(2)
    sep = p.group(0)[len(p_label): len(p.group(0)) - len(p_number)]
    keep = label in _GENERIC or label.removesuffix("ที่") == p_label.removesuffix("ที่")
    new = (p_label if keep else label) + sep + _same_digits(number, p_number)
    rest = _core(question.replace(m.group(0), " ", 1))
    out = previous[: p.start()] + new + previous[p.end():]
    return f"{out} {rest}".strip() if rest else out


def _swap_lao(question: str, previous: str) -> str | None:
    core = _core(question)
    m = _LAO.fullmatch(core)
    p = _LAO.search(previous)
    if not m or not p or m.group(0) == p.group(0):
        return None
    return (previous[: p.start()] + m.group(0) + previous[p.end():]).strip()


def rewrite_one(question: str, previous: str) -> str:
    """`question` made standalone with the (already standalone) `previous` question."""
    question, previous = question.strip(), previous.strip()
    if not previous or not depends_on_context(question):
        return question
    for swap in (_swap_item, _swap_lao):
        out = swap(question, previous)
        if out:
            return out
    core = _core(question) or question
    return f"{previous} {core}"


def resolve(history: list[str]) -> str:
    """The last question of `history` made standalone (each follow-up against the one before)."""
    current = ""
    for q in history:
        current = rewrite_one(q, current) if current else q.strip()
    return current


def rewrite(question: str, history: list[str] | None) -> str:
    """The query to search with. `history` holds earlier user questions, oldest first."""
    question = question.strip()
    if not history or not depends_on_context(question):
        return question
    previous = resolve([h for h in history if h and h.strip()])
    return rewrite_one(question, previous) if previous else question


# --------------------------------------------------------------------------- with a chat model

REWRITE_SYSTEM = (
    "หน้าที่ของคุณคือเขียนคำถามล่าสุดของผู้ใช้ใหม่ให้เป็นคำถามภาษาไทยที่สมบูรณ์ เข้าใจได้โดยไม่ต้องอ่านบทสนทนาก่อนหน้า "
    "ใช้คำถามก่อนหน้าเพื่อเติมสิ่งที่คำถามล่าสุดอ้างถึง เช่น เลขข้อ ชื่อหน่วยงาน หรือชื่อกฎหมาย "
    "ห้ามตอบคำถาม ถ้าคำถามสมบูรณ์อยู่แล้วให้ส่งคำถามเดิมกลับมา ตอบเป็นคำถามบรรทัดเดียวเท่านั้น"
)
REWRITE_HUMAN = "คำถามก่อนหน้า (เก่าไปใหม่):\n{history}\n\nคำถามล่าสุด: {question}\n\nคำถามที่เขียนใหม่:"
_ANSWER_PREFIX = re.compile(r"^\s*(?:คำถามที่เขียนใหม่|คำถามใหม่|คำถาม|Rewritten question|Question)\s*[:：]\s*", re.I)


def rewrite_chain(chat_model: Any):
    """{"history", "question"} → text, as a LangChain Runnable."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    prompt = ChatPromptTemplate.from_messages([("system", REWRITE_SYSTEM), ("human", REWRITE_HUMAN)])
    return (prompt | chat_model | StrOutputParser()).with_config(run_name="rewrite_followup")


def _accept(text: str, question: str) -> str | None:
    from assistant.answer.verify import strip_thinking

    lines = [x.strip() for x in strip_thinking(text or "").splitlines() if x.strip()]
    if not lines:
        return None
    out = _ANSWER_PREFIX.sub("", lines[0]).strip().strip("\"'“”「」").strip()
    if not out or not has_thai(out) or "[" in out or len(out) > max(200, 4 * len(question)):
        return None
    return out


def rewrite_with_llm(question: str, history: list[str] | None, chat_model: Any, timeout: float = 15.0) -> tuple[str, str]:
    """(query, how): how is "llm", "rule" (the model failed or was not needed: the rule's
    answer) or "none" (a standalone question, unchanged)."""
    question = question.strip()
    if not history or not depends_on_context(question):
        return question, "none"
    from assistant.answer.llm import call_with_deadline

    recent = [h.strip() for h in history if h and h.strip()][-4:]
    try:
        text = call_with_deadline(
            lambda: rewrite_chain(chat_model).invoke({"history": "\n".join(f"- {h}" for h in recent), "question": question}),
            timeout,
        )
    except Exception:  # noqa: BLE001 - any failure → the deterministic rule
        text = None
    out = _accept(text, question) if isinstance(text, str) else None
    if out:
        return out, "llm"
    return rewrite(question, history), "rule"
