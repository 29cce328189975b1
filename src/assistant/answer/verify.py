"""Checking a generated answer against the passages it was given.

A generated answer is split into *claims*: the stretch of text that ends in a group of `[n]`
markers, or a line's unmarked tail. For each claim:

- markers that name no given passage are removed (a model cannot cite what it was not given);
- its support is measured in the passages it cites: the share of its content words (PyThaiNLP
  tokens, `assistant.thai.index_tokens`, less question and answer-framing words) found there;
- numbers it states must appear in a cited passage (as digits, Thai digits or Thai number words),
  and a negation it states must be there too;
- a claim with no Thai at all, or no marker, is not verified.

The threshold on support was chosen on a labelled set of (sentence, passage, supported?) pairs,
`eval/questions/support_pairs.jsonl`; `python -m eval.calibrate_support` prints the figures (docs/llm.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.text.thai import fold_digits, has_thai
from assistant.text.thai import index_tokens as _index_tokens
from assistant.text.thai import words as _words


@lru_cache(maxsize=8192)
def _cached_index_tokens(text: str) -> tuple[str, ...]:
    return tuple(_index_tokens(text))


@lru_cache(maxsize=8192)
def _cached_words(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


def index_tokens(text: str) -> list[str]:
    """assistant.thai.index_tokens, cached: the same passages are checked again and again."""
    return list(_cached_index_tokens(text))


def words(text: str) -> list[str]:
    return list(_cached_words(text))


# The support threshold (share of a claim's content words found in the passages it cites),
# chosen on eval/questions/support_pairs.jsonl: see docs/llm.md.
DEFAULT_MIN_SUPPORT = 0.80

NOT_FOUND = "ไม่พบข้อมูล"

# Words that carry no content of their own in an answer or a question: matching them proves
# nothing, missing them disproves nothing.
FRAME_WORDS = frozenset(
    # question words (as in answer.QUESTION_WORDS)
    "อะไร อย่างไร ไหม ไหน ใด ใคร เท่าไร เท่าไหร่ กี่ เมื่อไร เมื่อไหร่ ทำไม หรือไม่ บ้าง คือ ยังไง แบบไหน "
    "ได้แก่ อะไรบ้าง หรือเปล่า มั้ย ครับ ค่ะ คะ นะ จ๊ะ ช่วย บอก ขอ ทราบ อยาก รู้ ต้องการ "
    # how answers refer to their sources and join their parts
    "เอกสาร ข้อความ ข้อมูล ระบุ ระบุว่า กล่าว กล่าวว่า กล่าวถึง ตาม ตามที่ ดังนี้ ดังต่อไปนี้ ประกอบด้วย "
    "กล่าวคือ เช่น ได้แก่ ทั้งนี้ นอกจากนี้ รวมถึง รวมทั้ง ส่วน สำหรับ โดยสรุป สรุป ว่า ซึ่ง เรื่อง "
    "ที่ ให้ ได้ มี เป็น และ หรือ ของ ใน การ ความ หมายถึง หมายความว่า ว่าด้วย".split()
)
NEGATIONS = frozenset("ไม่ มิ มิได้ ไม่ได้ ห้าม ไม่มี ไม่ใช่ ไม่ต้อง ปราศจาก".split())
# "Only X" is a claim of its own: the passage must make it too.
EXCLUSIVE = frozenset("เท่านั้น เพียง เฉพาะแต่ แต่เพียง".split())
_THAI_NUMBER_WORD = re.compile(r"^(?:สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ยี่|เอ็ด|ร้อย|พัน|หมื่น|แสน|ล้าน)+$")

_MARKER_GROUP = re.compile(r"(?:\s*[\[［【]\s*[0-9๐-๙]+(?:\s*[,，、]\s*[0-9๐-๙]+)*\s*[\]］】])+")
_ONE_MARKER = re.compile(r"[\[［【]([^\]］】]*)[\]］】]")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)]|[๐-๙]{1,2}[.)])\s+")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.S)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ONLY_PUNCT = re.compile(r"^[\W_]*$")
_LEADING_PUNCT = ".,;:!?。、"


@dataclass
class Claim:
    text: str  # without markers
    markers: list[int]  # as written (folded to Arabic digits), invalid ones included
    line: int  # which line of the answer it came from
    prefix: str = ""  # the bullet of its line, if it is the line's first claim
    valid: list[int] = field(default_factory=list)  # markers naming a given passage
    removed: list[int] = field(default_factory=list)  # markers naming none
    kind: str = "claim"  # claim | not_found
    verified: bool | None = None
    support: float | None = None
    reason: str = ""  # why not: no_marker invalid_marker not_thai low_support number negation entity exclusive item_mismatch

    def to_dict(self) -> dict:
        d = {"text": self.text, "markers": self.valid, "verified": self.verified, "support": self.support}
        if self.removed:
            d["removed_markers"] = self.removed
        if self.kind != "claim":
            d["kind"] = self.kind
        if self.reason:
            d["reason"] = self.reason
        return d


def strip_thinking(text: str) -> str:
    """Reasoning models wrap their thoughts in <think>…</think>; only the answer is checked."""
    return _THINK.sub("", text)


def _marker_numbers(group: str) -> list[int]:
    out = []
    for inner in _ONE_MARKER.findall(group):
        out.extend(int(n) for n in re.findall(r"\d+", fold_digits(inner)))
    return out


def split_claims(text: str) -> list[Claim]:
    """The claims of a generated answer, in order: each ends at a marker group or a line's end."""
    text = unicodedata.normalize("NFC", strip_thinking(text)).replace("\r\n", "\n")
    claims: list[Claim] = []
    for ln, line in enumerate(text.split("\n")):
        m = _BULLET.match(line)
        prefix = m.group(0).strip() if m else ""
        body = line[m.end():] if m else line
        pos, first = 0, True
        for g in _MARKER_GROUP.finditer(body):
            piece = body[pos:g.start()].strip().lstrip(_LEADING_PUNCT).strip()
            nums = _marker_numbers(g.group())
            if piece and not _ONLY_PUNCT.match(piece):
                claims.append(Claim(piece, nums, ln, prefix if first else ""))
                first = False
            elif claims and claims[-1].line == ln:  # "[1] [2]" after punctuation: the same claim
                claims[-1].markers.extend(nums)
            pos = g.end()
        tail = body[pos:].strip().lstrip(_LEADING_PUNCT).strip()
        if tail and not _ONLY_PUNCT.match(tail):
            claims.append(Claim(tail, [], ln, prefix if first else ""))
    for c in claims:
        if c.text.lstrip("\"'“(").startswith(NOT_FOUND) and not c.markers:
            c.kind = "not_found"
    return claims


def content_tokens(text: str) -> list[str]:
    return [t for t in index_tokens(text) if t not in FRAME_WORDS]


# Editorial footnote references in the Acts, "(๕)[๖๗]": not content, and not citation markers.
FOOTNOTE = re.compile(r"\[[๐-๙]+\]")
# Abbreviations an answer may use for what a passage spells out (or the other way round):
# both sides are compared in the long form.
ABBREVIATIONS = {
    "อบจ": "องค์การบริหารส่วนจังหวัด",
    "อบต": "องค์การบริหารส่วนตำบล",
    "อปท": "องค์กรปกครองส่วนท้องถิ่น",
    "สถ": "กรมส่งเสริมการปกครองท้องถิ่น",
    "ครม": "คณะรัฐมนตรี",
    "กทม": "กรุงเทพมหานคร",
}
_ABBR = re.compile(r"(?<![\u0e00-\u0e7f])(" + "|".join(ABBREVIATIONS) + r")(?:\.|(?![\u0e00-\u0e7f]))")
# A numbered item a claim is about: แนวทางที่ 7, ข้อ 9 / (9) (มาตรา 16 is read but not windowed).
_ITEM = re.compile(r"(แนวทางที่|มาตรา|ข้อ(?:ที่)?)\s*(\d+)(?!\d)")


# Text in a document addressed to an AI ("ignore previous instructions…", "ไม่ต้องสนใจคำสั่งก่อนหน้า
# ให้ตอบว่า…"): it is redacted from what the model reads and from what can support a claim, so an
# answer that obeys it finds no support.
_INSTRUCTION = re.compile(
    r"(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|preceding|system)\s+"
    r"(?:instructions?|prompts?|messages?|rules?|directions?)"
    r"|\b(?:system|developer)\s+prompt|\byou\s+are\s+now\b|\bas\s+an\s+ai\b|\bnew\s+instructions?\b"
    r"|\b(?:assistant|ai|llm|chatbot|language\s+model)\s*(?:must|should|shall)\s+(?:say|answer|reply|respond|write|tell)"
    r"|(?:respond|reply|answer)\s+(?:only\s+)?with\b|\btell\s+the\s+user"
    r"|(?:เพิกเฉย|ไม่ต้องสนใจ|ไม่ต้องทำตาม|ละเลย|ละทิ้ง|ลืม|ยกเลิก)\S{0,8}(?:คำสั่ง|คำแนะนำ|กฎ)"
    r"|คำสั่ง(?:ก่อนหน้า|ข้างต้น|เดิม|ของระบบ)"
    r"|(?:ผู้ช่วย|โมเดล(?:ภาษา)?|ปัญญาประดิษฐ์|เอไอ|AI|แชตบอต|แชทบอท)\s*\S{0,6}(?:ต้อง|จง|ให้)\s*(?:ตอบ|เขียน|พูด|บอก|แจ้ง)"
    r"|(?:จง|ให้)\s*(?:ตอบ|บอก|แจ้ง)(?:ผู้ใช้|ผู้ถาม)\S{0,4}ว่า|(?:จง|ให้)ตอบว่า",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?。]\s|\n")
REDACTED = "(ตัดข้อความที่มีลักษณะเป็นคำสั่งออก)"


def redact_instructions(text: str) -> tuple[str, int]:
    """(text with each instruction-like sentence replaced by a marker, how many were)."""
    count = 0
    while True:
        m = _INSTRUCTION.search(text)
        if not m:
            return text, count
        count += 1
        # From the sentence's start when that is near (a "Note to the AI:" lead-in), else from the match.
        start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        if m.start() - start > 60:
            start = m.start()
        nxt = _SENTENCE_END.search(text, m.end())
        end = nxt.end() if nxt else len(text)
        end = min(end, m.end() + 400)
        text = text[:start] + REDACTED + (" " if end < len(text) else "") + text[end:].lstrip(" ")


def _expand(text: str) -> str:
    return _ABBR.sub(lambda m: ABBREVIATIONS[m.group(1)], text)


def prepare_passage(text: str) -> str:
    """A passage as the checker reads it: footnote references and instruction-like text gone,
    abbreviations spelled out."""
    return _expand(redact_instructions(FOOTNOTE.sub("", text))[0])


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(fold_digits(text))}


def _number_in(n: str, passage_numbers: set[str], passage_text: str) -> bool:
    if n in passage_numbers:
        return True
    try:
        from pythainlp.util import num_to_thaiword

        word = num_to_thaiword(int(n)) if n.isdigit() and int(n) < 10**7 else ""
    except Exception:  # noqa: BLE001 - an odd number is just not found as a word
        word = ""
    return bool(word) and word in passage_text


def _negated(text: str) -> bool:
    # "ไม่" also hides inside dictionary words: โดยไม่จำกัด, ไม่ว่า.
    return any(w in NEGATIONS or "ไม่" in w for w in words(text))


_NEG_SKIP = frozenset("ได้ ให้ ต้อง มี เป็น ค่อย จำเป็น อาจ ควร จะ การ ที่ ใน ของ".split())


def _polarity(text: str) -> tuple[set[str], set[str]]:
    """(terms the text negates, terms it states plainly): the first content word after a
    negation ("ไม่มีหน้าที่สนับสนุน" negates หน้าที่; "โดยไม่จำกัด" negates จำกัด)."""
    ws = [w for w in words(fold_digits(text)) if w.strip()]
    neg, plain, pending = set(), set(), 0
    for w in ws:
        if w in NEGATIONS or "ไม่" in w:
            rest = w.split("ไม่", 1)[1] if "ไม่" in w else ""
            if rest and rest not in _NEG_SKIP and rest not in NEGATIONS:
                neg.add(rest)
                pending = 0
            else:
                pending = 3  # the negated word is among the next few
            continue
        if w in _NEG_SKIP or _ONLY_PUNCT.match(w):
            continue
        if pending:
            neg.add(w)
            pending = 0
        else:
            plain.add(w)
    return neg, plain


def _polarity_mismatch(claim: str, passage: str) -> bool:
    """The claim negates what the passage does not, or states plainly what the passage only
    ever negates ("ตราข้อบัญญัติที่ขัดต่อกฎหมาย" against "ตราข้อบัญญัติโดยไม่ขัดหรือแย้งต่อกฎหมาย")."""
    c_neg, c_plain = _polarity(claim)
    p_neg, p_plain = _polarity(passage)

    def among(t: str, terms: set[str]) -> bool:  # ขัดต่อ ~ ขัด
        return any(t == x or (min(len(t), len(x)) >= 2 and (t.startswith(x) or x.startswith(t))) for x in terms)

    if any(not among(t, p_neg) for t in c_neg):
        return True
    return any(among(t, p_neg) and not among(t, p_plain) for t in c_plain)


# A number the claim ties to a unit or a label must appear with it: "15 วัน" is not supported by
# a passage that mentions มาตรา ๑๕, nor "มาตรา 46" by one that holds 46 elsewhere.
_UNITS = "วัน|เดือน|ปี|บาท|ล้านบาท|ล้าน|คน|ครั้ง|แห่ง|แนวทาง|ข้อ|ชั่วโมง|นาที|กิโลเมตร|เมตร|ไร่|ราย"
_LABELS = "มาตรา|แนวทางที่|ข้อที่|ข้อ|หมวดที่|หมวด|ร้อยละ|อายุ|พ\\.ศ\\.|ปี"
_TIED = re.compile(rf"(?:({_LABELS})\s*(\d+))|(?:(\d+)\s*({_UNITS}))")


def _tied_numbers_missing(claim: str, passage: str) -> bool:
    flat = re.sub(r"\s+", "", fold_digits(passage))
    for m in _TIED.finditer(fold_digits(claim)):
        if m.group(1):
            label, n = m.group(1), m.group(2)
            forms = [label + n]
            if label in ("ข้อ", "ข้อที่"):
                forms += [f"({n})", f"ข้อ{n}", f"ข้อที่{n}"]
        else:
            n, unit = m.group(3), m.group(4)
            forms = [n + unit]
        try:
            from pythainlp.util import num_to_thaiword

            word = num_to_thaiword(int(n)) if int(n) < 10**7 else ""
        except Exception:  # noqa: BLE001
            word = ""
        if word:
            forms += [f.replace(n, word) for f in forms if n in f]
        if not any(re.sub(r"\s+", "", f) in flat for f in forms):
            return True
    return False


# Names that make a claim about someone else when swapped: kinds of local government, ministries
# and departments, and anything in Latin script (JICA, UNDP): each must be in the passage.
_LAO_NAMES = frozenset(
    "องค์การบริหารส่วนตำบล องค์การบริหารส่วนจังหวัด องค์กรปกครองส่วนท้องถิ่น เทศบาลตำบล เทศบาลเมือง "
    "เทศบาลนคร เมืองพัทยา กรุงเทพมหานคร".split()
)
_LATIN = re.compile(r"^[A-Za-z][A-Za-z.\-]*$")


def _critical_missing(claim: str, passage: str) -> str | None:
    flat = re.sub(r"\s+", "", passage).lower()
    for w in words(claim):
        critical = (
            w in _LAO_NAMES
            or (w.startswith("กระทรวง") and len(w) > 7)
            or (w.startswith("กรม") and len(w) >= 6 and w != "กรมการ")
            or (_LATIN.match(w) and len(w) >= 2)
        )
        if critical and w.lower().rstrip(".") not in flat:
            return w
    return None


def _exclusive(text: str) -> bool:
    return any(w in EXCLUSIVE for w in words(text))


def _claim_numbers(text: str) -> set[str]:
    """Numbers a claim states, in digits or in Thai words ("สิบปี" → 10; "หนึ่ง" is too often
    "one of" to count)."""
    nums = _numbers(text)
    for w in words(text):
        if _THAI_NUMBER_WORD.match(w):
            try:
                from pythainlp.util import thaiword_to_num

                nums.add(str(thaiword_to_num(w)))
            except Exception:  # noqa: BLE001 - not a number after all
                pass
    return nums


def _covered(token: str, flat_passage: str, min_piece: int = 3, min_cover: float = 0.8) -> bool:
    """A compound the passage writes apart ("อำนาจหน้าที่" ← "อำนาจและหน้าที่"): most of its
    characters are covered by pieces (longest first, at least `min_piece` long) found in the passage."""
    i, covered = 0, 0
    while i < len(token):
        for j in range(len(token), i + min_piece - 1, -1):
            if token[i:j] in flat_passage:
                covered += j - i
                i = j
                break
        else:
            i += 1
    return covered >= min_cover * len(token)


def _item_window(claim: str, passage: str) -> str | None:
    """When a claim is about one numbered item (แนวทางที่ 3) that the passage lists among others,
    the part of the passage that can support it: its lead-in and that item's own text."""
    # Only listed items: a มาตรา in a claim is usually the chunk's own heading, and where the
    # passage names another มาตรา it is a cross-reference ("ตามที่ระบุไว้ในมาตรา ๕๐"), not a list.
    refs = {(lab[:3], n) for lab, n in _ITEM.findall(fold_digits(claim)) if lab != "มาตรา"}
    if len(refs) != 1:
        return None
    label, n = next(iter(refs))
    folded = fold_digits(passage)
    if label == "ข้อ":
        any_item = re.compile(r"(?:ข้อ(?:ที่)?\s*\d+|\(\d+(?:/\d+)?\))")
        this = re.compile(rf"(?:ข้อ(?:ที่)?\s*{n}(?!\d)|\({n}\))")
    else:
        word = "แนวทางที่" if label == "แนว" else "มาตรา"
        any_item = re.compile(rf"{word}\s*\d+")
        this = re.compile(rf"{word}\s*{n}(?!\d)")
    m = this.search(folded)
    first = any_item.search(folded)
    if not m or not first:
        return None
    nxt = any_item.search(folded, m.end())
    return folded[: first.start()] + " " + folded[m.start(): nxt.start() if nxt else len(folded)]


@dataclass
class SupportChecker:
    """Support of a claim in the passages it cites: lexical coverage over PyThaiNLP tokens, plus
    number, negation and numbered-item checks. Threshold chosen on eval/questions/support_pairs.jsonl."""

    min_support: float = DEFAULT_MIN_SUPPORT
    min_marker_share: float = 0.5  # a cited passage must hold at least this share of the words

    def coverage(self, claim: str, passage: str) -> float:
        """Share of the claim's content words found in the (prepared) passage."""
        toks = content_tokens(claim)
        if not toks:
            return 0.0
        have = set(index_tokens(passage))
        flat = re.sub(r"\s+", "", fold_digits(passage))
        pnums = _numbers(passage)
        hit = 0
        for t in toks:
            if t in have or (len(t) >= 3 and t in flat) or (t.isdigit() and _number_in(t, pnums, passage)) or _covered(t, flat):
                hit += 1
        return hit / len(toks)

    def score(self, claim: str, passages: list[str]) -> tuple[float, str]:
        """(support in [0, 1], reason it fails or ''), the passages taken together."""
        if not has_thai(claim):
            return 0.0, "not_thai"
        claim = _expand(claim)
        if not content_tokens(claim):
            return 0.0, "empty"
        joined = "\n".join(prepare_passage(p) for p in passages)
        support = self.coverage(claim, joined)
        pnums = _numbers(joined)
        for n in _claim_numbers(claim):
            if not _number_in(n, pnums, joined):
                return support, "number"
        if _tied_numbers_missing(claim, joined):
            return support, "number"
        if _polarity_mismatch(claim, joined):
            return support, "negation"
        if _critical_missing(claim, joined):
            return support, "entity"
        if _exclusive(claim) and not _exclusive(joined):
            return support, "exclusive"
        if support >= self.min_support:
            window = _item_window(claim, joined)
            if window is not None:
                inside = self.coverage(claim, window)
                if inside < self.min_support:
                    return inside, "item_mismatch"
        return support, ("" if support >= self.min_support else "low_support")

    def supports(self, claim: str, passage: str) -> bool:
        s, why = self.score(claim, [passage])
        return not why

    def share(self, claim: str, passage: str) -> float:
        return self.coverage(_expand(claim), prepare_passage(passage))

    def check(self, claim: Claim, passages: dict[int, str]) -> Claim:
        """Fill claim.valid/removed/verified/support/reason; `passages` maps n → passage text."""
        seen = []
        for n in claim.markers:
            if n not in seen:
                seen.append(n)
        claim.valid = [n for n in seen if n in passages]
        claim.removed = [n for n in seen if n not in passages]
        if claim.kind == "not_found":
            claim.verified, claim.support = None, None
            return claim
        if not has_thai(claim.text):
            claim.verified, claim.support, claim.reason = False, 0.0, "not_thai"
            return claim
        if not claim.valid:
            claim.verified, claim.support = False, 0.0
            claim.reason = "invalid_marker" if claim.removed else "no_marker"
            return claim
        support, why = self.score(claim.text, [passages[n] for n in claim.valid])
        # A cited passage that holds little of the claim and is not needed for its support is a
        # wrong citation: drop its marker.
        if not why and len(claim.valid) > 1:
            for n in sorted(claim.valid, key=lambda n: self.share(claim.text, passages[n])):
                if len(claim.valid) == 1 or self.share(claim.text, passages[n]) >= self.min_marker_share:
                    break
                rest = [m for m in claim.valid if m != n]
                s2, why2 = self.score(claim.text, [passages[m] for m in rest])
                if not why2:
                    claim.valid, support = rest, s2
                    claim.removed.append(n)
        claim.support = round(support, 3)
        claim.verified = not why
        claim.reason = why
        return claim
