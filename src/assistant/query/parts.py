"""Question parts: a message that asks two or three things at once ("…จัดที่ไหน แล้วใครร่วมจัด",
"ต้องทำภายในกี่วัน ถ้าไม่ทำจะเป็นอย่างไร") split into its asks, each searched and answered on its own.

A part ends at its question word (with the unit of a กี่, and the particles after it) where a space
or a joining word (แล้ว, และ, ถ้า…) follows; one question word, or two with nothing between them
("มีกี่ข้ออะไรบ้าง", "ทำอะไรได้บ้างไหม"), is one ask. A later part that says nothing of its own
("…เมื่อไร และที่ไหน"), or that opens on a word pointing back ("ประเทศนั้น…") or on a verb ("…แล้ว
เห็นชอบแผนไปกี่พื้นที่"), is searched with the words of the first part, the subject an officer names
once; a part that names another kind of document (กฎหมาย against แนวทาง) drops the first part's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.thai import stopwords, words

# Question words as newmm cuts them ("ที่ไหน", "เมื่อไร" and "หรือไม่" are one word; "ใด" stands
# alone after its noun, while "ผู้ใด" is the law's "whoever").
_ASK = re.compile(r"^(?:อะไร|ใคร|ไหน|ที่ไหน|ที่ใด|แห่งใด|เมื่อใด|ใด|ไหม|มั้ย|ยังไง|อย่างไร|เมื่อไร|เมื่อไหร่|เท่าไร|เท่าไหร่|เท่าใด|"
                  r"ทำไม|หรือเปล่า|หรือไม่|แค่ไหน|เพียงใด|กี่)$")
# Words that carry no content of their own after a question word: "…อะไรบ้างคะ".
_TRAIL = frozenset("บ้าง คะ ค่ะ ครับ คับ ค่า ฮะ นะ น่ะ ล่ะ จ๊ะ จ้ะ จ้า เลย กัน ดี ? ?".split())
# Words that open a new ask when they follow one.
# ("กับ" and "หรือ" join names and alternatives as often as asks: "…Smart City กับ USTDA".)
JOINS = frozenset("แล้ว และ ถ้า หาก ส่วน รวมทั้ง รวมถึง นอกจากนี้ อีกทั้ง ทั้งนี้ แล้วก็ และก็".split())
# Asks that say nothing beyond the question word merge into the ask before them ("มีกี่ข้อ อะไรบ้าง",
# "ทำได้ ใช่ไหม"); a where, when, who, how-many or how of their own is a part ("…เมื่อไร และที่ไหน").
_OWN_KIND = re.compile(r"ที่ไหน|ที่ใด|แห่งใด|เมื่อ|ใคร|เท่า|กี่|อย่างไร|ยังไง|ทำไม|ไหน")
_LAW = re.compile(r"กฎหมาย|พ\.?\s?ร\.?\s?บ|พระราชบัญญัติ|มาตรา")
_GUIDANCE = re.compile(r"แนวทาง|สถ\.|ส\s*ถ\.|กรมส่งเสริม")
_EDGE = frozenset("ที่ เมื่อ วันที่ ว่า ณ ใน ของ จาก โดย".split())  # left dangling when the ask is cut off
_IF = frozenset(("ถ้า", "หาก"))  # a condition stays with its part: "ถ้าไม่ทำจะเป็นอย่างไร"
# A part that opens on a thing named before it ("…ประเทศไหน แล้วประเทศนั้นจะใส่เงินเท่าไร") asks about
# the first part's subject, however many words of its own it has; further in, the word points
# inside its own part ("…ได้รับข้อมูลดิจิทัล…ต้องใช้ข้อมูลนั้นอย่างไร"). "กฎหมายนั้น" points to the
# document the first part's answer names, which the first part's words would not find.
_BACK = frozenset("นั้น ดังกล่าว เหล่านั้น นั่น ที่นั่น".split())
_BACK_WITHIN = 3  # the part's first words, where a word that points back refers to the first part
_VERB = ("VERB", "AUX")  # Universal Dependencies tags

OWN_WORDS = 4  # content words a part needs to be searched without the subject it shares


def _names_document(text: str) -> bool:
    """Does `text` name a kind of document (the law or the guidance)?"""
    return bool(_LAW.search(text) or _GUIDANCE.search(text))


@dataclass(frozen=True)
class Part:
    asked: str  # the part as the officer wrote it
    search: str  # what is searched and answered: the part with the subject it shares


def _is_ask(tok: str, nxt: str) -> bool:
    """`nxt`: the next word that is not a space ("ใด ๆ", any, asks nothing)."""
    return bool(_ASK.match(tok)) and not (tok == "ใด" and nxt == "ๆ")


def _next_word(toks: list[str], i: int) -> str:
    return next((t for t in toks[i + 1 :] if t.strip()), "")


def _content(toks: list[str]) -> list[str]:
    stop = stopwords()
    return [t for t in toks if t.strip() and not _ASK.match(t) and t not in _TRAIL and t not in JOINS
            and t not in stop and re.search(r"\w", t)]


def _pieces(question: str) -> list[list[str]]:
    """The question's words cut between each two asks: at the first joining word after a space,
    else at the first joining word, else at the last space; no cut where there is none."""
    toks = words(question, keep_whitespace=True)
    asks = [i for i, t in enumerate(toks) if _is_ask(t, _next_word(toks, i))]
    cuts = []
    for a, b in zip(asks, asks[1:]):
        between = range(a + 1, b)
        joins = [i for i in between if toks[i] in JOINS]
        spaced = [i for i in joins if not toks[i - 1].strip()]
        spaces = [i for i in between if not toks[i].strip()]
        cut = (spaced or joins or spaces[-1:] or [None])[0]
        if cut is not None:
            cuts.append(cut)
    return [toks[i:j] for i, j in zip([0] + cuts, cuts + [len(toks)])]


def _shares_the_subject(toks: list[str]) -> bool:
    """Does a later part ask about the first part's subject, however much it says: it opens on a
    word pointing back ("ประเทศนั้น…"), or on a verb, Thai leaving out a subject it has named
    ("…ใครเป็นประธาน แล้วเห็นชอบแผนไปกี่พื้นที่")?"""
    from pythainlp.tag import pos_tag  # the tagger's model ships inside PyThaiNLP

    said = [t for t in toks if t.strip()]
    if not said:
        return False
    if any(t in _BACK and not (i and _names_document(said[i - 1]))
           for i, t in enumerate(said[:_BACK_WITHIN])):
        return True
    return pos_tag(said, engine="perceptron", corpus="orchid_ud")[0][1] in _VERB


def _text(toks: list[str]) -> str:
    return re.sub(r"\s+", " ", "".join(toks)).strip()


def _context(first: list[str]) -> list[str]:
    """The first part without its question words: the subject later parts share."""
    toks = [t for i, t in enumerate(first) if not _is_ask(t, _next_word(first, i)) and t not in _TRAIL]
    while toks and (not toks[-1].strip() or toks[-1] in _EDGE or toks[-1] in JOINS):
        toks.pop()
    while toks and (not toks[0].strip() or toks[0] in JOINS):
        toks.pop(0)
    return toks


def split(question: str) -> list[Part]:
    """The asks of a question that asks more than one thing, in order; [] for a single ask."""
    pieces = _pieces(question)
    merged: list[list[str]] = []
    for p in pieces:
        body = _text(p)
        if merged and not _content(p) and not _OWN_KIND.search(body):
            merged[-1] = merged[-1] + [" "] + p
        else:
            merged.append(p)
    if len(merged) < 2:
        return []
    shared = _context(merged[0])
    out = [Part(_text(merged[0]), _text(merged[0]))]
    for p in merged[1:]:
        asked = p
        while asked and (not asked[0].strip() or asked[0] in JOINS and asked[0] not in _IF):
            asked = asked[1:]
        body = _text(asked)
        own = _content(asked)
        kind = _names_document(body)
        # A part that says enough of its own is searched as it is: the first part's words would
        # pull its search back to the first part's document. Naming where to look ("แล้ว พ.ร.บ.
        # ว่าไว้อย่างไร") is not saying what about.
        says_enough = len([t for t in own if not _names_document(t)]) >= OWN_WORDS
        if says_enough and not _shares_the_subject(asked):
            out.append(Part(body, body))
            continue
        carry = [t for t in shared if not t.strip() or t not in own]
        if kind:  # it names its own kind of document: the first part's is not carried
            carry = [t for t in carry if not _names_document(t)]
        out.append(Part(body, f"{_text(carry)} {body}" if _content(carry) else body))
    return out
