"""Thai text handling: normalisation, digit folding, word tokens for the keyword index, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pythainlp.tokenize import sent_tokenize, word_tokenize
from pythainlp.util import normalize as thai_normalize

from assistant.text.numbers import THAI_DIGITS, fold_digits, may_hold_numbers, read_words, token_value  # noqa: F401 (re-exported)

# C1 controls seen in the corpus: U+0093/U+0094 are cp1252 curly quotes decoded as Latin-1.
_C1_REPAIR = {"\x91": "'", "\x92": "'", "\x93": '"', "\x94": '"', "\x96": "-", "\x97": "-", "\x85": "..."}
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_C1 = re.compile(r"[\x80-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_THAI_CHAR = re.compile(r"[\u0e00-\u0e7f]")
# Thai marks that can never follow a space: vowels above/below, tone marks, thanthakhat, nikhahit.
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_SPACE_BEFORE_MARK = re.compile(rf"(?<=[\u0e01-\u0e2e]) +(?=[{_MARKS}])")


def normalize(text: str) -> str:
    """Canonical form of any text before it is chunked, indexed or compared."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_ZERO_WIDTH)
    text = _C1.sub(lambda m: _C1_REPAIR.get(m.group(), ""), text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    text = text.replace("\u0e4d\u0e32", "\u0e33")  # sara am split into nikhahit + sara aa
    # PyThaiNLP's normalize collapses newlines, which carry paragraph structure: apply per line.
    lines = [thai_normalize(_SPACES.sub(" ", line)).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def has_thai(text: str) -> bool:
    return bool(_THAI_CHAR.search(text))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


_TOKEN_JUNK = re.compile(r"^[\W_]+$")


def words(text: str, keep_whitespace: bool = False) -> list[str]:
    """PyThaiNLP newmm words; with keep_whitespace their concatenation is the input."""
    if keep_whitespace:
        return word_tokenize(text, engine="newmm", keep_whitespace=True)
    return [w for w in word_tokenize(text, engine="newmm", keep_whitespace=False) if w.strip()]


# Bumped whenever index_tokens changes what it gives for the same text: keyword tokens are stored
# per chunk at ingest, so an index made by another version is re-tokenized (store/index.py).
TOKENIZER_VERSION = "2"  # 2: numbers in words also give their digits


def index_tokens(text: str) -> list[str]:
    """Tokens for the keyword index and keyword queries: newmm words, Thai digits folded to
    Arabic, lower-cased Latin, stopwords and punctuation dropped. A number in words is followed by
    its digits ("สามสิบ", "30"): the Acts write "ภายในสามสิบวัน", a question "30 วัน", and "หนึ่ง" of
    "หนึ่งหมื่น" is a stopword."""
    out = []
    stop = stopwords()
    ws = words(fold_digits(text))
    # (read on the words without whitespace: newmm cuts "ต่าง ๆ" otherwise, and the tokens must stay)
    after = {j: token_value(n) for _, j, n in read_words(ws)} if may_hold_numbers(text) else {}
    for k, w in enumerate(ws):
        w = w.strip().lower()
        if w and w not in stop and not _TOKEN_JUNK.match(w):
            out.append(w)
        out += after.get(k, ())
    return out


@lru_cache(maxsize=2048)
def _crfcut(para: str) -> tuple[str, ...]:
    # cached: the answer engine cuts its direct answer's paragraph again to complete it (~7 ms a question)
    return tuple(s.strip() for s in sent_tokenize(para, engine="crfcut") if s.strip())


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph. Thai marks sentence ends with spaces, which crfcut reads."""
    out = []
    for para in text.split("\n"):
        para = para.strip()
        if not para:
            continue
        if has_thai(para):
            out.extend(_crfcut(para))
        else:
            out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", para) if s.strip())
    return out


# A sentence that ends in a Thai abbreviation ("พ.ศ.", "อปท.", "ดร.", "ก.ป.") or an initial has not
# ended: crfcut cuts there because the dot is followed by a space.
_ABBREV_END = re.compile(r"(?:^|[\s(\"'“])(?:[\u0e01-\u0e2e\u0e30-\u0e4eA-Za-z]{1,4}\.){1,4}$")
_OPENERS = {"(": ")", "[": "]", "“": "”", "«": "»"}


def _unbalanced(text: str) -> bool:
    for o, c in _OPENERS.items():
        if text.count(o) > text.count(c):
            return True
    return text.count('"') % 2 == 1


def answer_sentences(text: str, items: bool = False, continued: bool = False) -> list[str]:
    """Sentences fit for quoting an answer: crfcut sentences joined again where crfcut cut after an
    abbreviation or inside parentheses or quotes, so a date after "พ.ศ." or a name after "(อปท."
    stays in the sentence that states it. `items`: a listed item "(๑) …" is one unit (for quoting a
    list; scoring keeps whole sentences, which often hold two items an answer needs). `continued`:
    the text goes on with a list begun before it, so a single "(๓) …" is an item too."""
    out: list[str] = []
    for para in text.split("\n"):
        merged: list[str] = []
        for s in sentences(para):
            if merged and (_ABBREV_END.search(merged[-1]) or _unbalanced(merged[-1])):
                merged[-1] = f"{merged[-1]} {s}"
            else:
                merged.append(s)
        out.extend(_items_as_units(merged, continued) if items else merged)
    return out


# "(๑)", "(2)", "(๑/๑)": the items of a list in a law or a decision.
ITEM_MARK = re.compile(r"(?<!\S)\(([0-9๐-๙]{1,2})(?:/[0-9๐-๙]{1,2})?\)")
# The words that introduce a list ("… มีหน้าที่ ดังต่อไปนี้ (๑) …"), and such words ending a text.
LIST_INTRO_WORD = re.compile(r"ดังต่อไปนี้|ดังนี้|ได้แก่|ประกอบด้วย|คือ|:")
LIST_INTRO = re.compile(rf"(?:{LIST_INTRO_WORD.pattern})\s*$")


def _items_as_units(sents: list[str], continued: bool = False) -> list[str]:
    """A paragraph that lists items "(๑) … (๒) …" is cut at the items: crfcut cuts inside an item
    ("(๑) จัดให้มี | การดูแลการจราจร") and runs items together, so a duty or a member type could
    not be quoted whole. The words before the first item stay as crfcut cut them. A single item
    counts only right after the words that introduce a list, or in a text `continued` from one: a
    chunk may end with a list's first item ("… 3 ยุทธศาสตร์หลัก ได้แก่ (1) Green by Design …") or
    hold its last ("(๓) … ในระดับวิกฤติ …"), while "ตามมาตรา ๔๒ (๒)" refers to one."""
    joined = " ".join(sents)
    marks = [m.start() for m in ITEM_MARK.finditer(joined)]
    if not marks or len(marks) == 1 and not continued and not LIST_INTRO.search(joined[: marks[0]]):
        return sents
    out, at = [], 0
    for s in sents:
        if at + len(s) > marks[0]:
            break
        out.append(s)
        at += len(s) + 1
    out.append(joined[at : marks[0]])
    out += [joined[a:b] for a, b in zip(marks, marks[1:] + [len(joined)])]
    return [s.strip() for s in out if s.strip()]


def shorten(text: str, limit: int) -> str:
    """The start of a text, cut at a space near `limit` characters (Thai puts spaces between
    phrases, not words, so a cut there never splits a word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + " …"
