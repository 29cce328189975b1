"""Thai text out of PDFs: rebuild a page's lines, repair what the extraction broke, and say what
stays broken.

What PDF text extraction does to Thai, and what is repaired here (only deterministic repairs):

- Fonts without full Unicode tables emit the *presentation* glyphs of shifted marks as
  private-use code points (U+F700–U+F71A, Windows; U+F884–U+F89E, Mac): a tone mark lowered
  over a consonant without an upper vowel, a vowel moved left of a tall consonant, ญ/ฐ without
  their lower part. Each maps to exactly one standard character (the table below is the one
  shapers use to pick these glyphs, e.g. HarfBuzz's Thai fallback shaper).
- Sara am is drawn as nikhahit + sara aa, the nikhahit placed before any tone mark
  (น ํ ้ า for น้ำ): nikhahit, tone marks, sara aa → tone marks, sara am.
- A tone mark extracted before the vowel it sits on (ก ่ ิ) → vowel first (กิ่).
- A space (or a line break) before a mark that cannot start a syllable is removed.
- Old Thai fonts with their own 8-bit encoding come out as Latin-1 letters (¡ÒÃ for การ):
  a page of such letters and no Thai is re-read as TIS-620.

What cannot be repaired deterministically (U+FFFD, unknown private-use glyphs, marks with no
consonant to sit on) is counted, and the loader flags the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Private-use presentation glyphs → the standard character (Windows PUA, then Mac PUA).
PUA_TO_THAI: dict[int, str] = {
    # shifted down (tone marks and below vowels for consonants with a descender / no upper vowel)
    0xF70A: "\u0e48", 0xF70B: "\u0e49", 0xF70C: "\u0e4a", 0xF70D: "\u0e4b", 0xF70E: "\u0e4c",
    0xF718: "\u0e38", 0xF719: "\u0e39", 0xF71A: "\u0e3a",
    # shifted down-left
    0xF705: "\u0e48", 0xF706: "\u0e49", 0xF707: "\u0e4a", 0xF708: "\u0e4b", 0xF709: "\u0e4c",
    # shifted left (for ป ฝ ฟ, whose ascender would collide)
    0xF713: "\u0e48", 0xF714: "\u0e49", 0xF715: "\u0e4a", 0xF716: "\u0e4b", 0xF717: "\u0e4c",
    0xF710: "\u0e31", 0xF701: "\u0e34", 0xF702: "\u0e35", 0xF703: "\u0e36", 0xF704: "\u0e37",
    0xF712: "\u0e47", 0xF711: "\u0e4d",
    # consonants without their descender (before a below vowel)
    0xF70F: "\u0e0d", 0xF700: "\u0e10",
    # Mac OS equivalents
    0xF88B: "\u0e48", 0xF88E: "\u0e49", 0xF891: "\u0e4a", 0xF894: "\u0e4b", 0xF897: "\u0e4c",
    0xF89B: "\u0e38", 0xF89C: "\u0e39", 0xF89D: "\u0e3a",
    0xF88C: "\u0e48", 0xF88F: "\u0e49", 0xF892: "\u0e4a", 0xF895: "\u0e4b", 0xF898: "\u0e4c",
    0xF88A: "\u0e48", 0xF88D: "\u0e49", 0xF890: "\u0e4a", 0xF893: "\u0e4b", 0xF896: "\u0e4c",
    0xF884: "\u0e31", 0xF885: "\u0e34", 0xF886: "\u0e35", 0xF887: "\u0e36", 0xF888: "\u0e37",
    0xF889: "\u0e47", 0xF899: "\u0e4d",
    0xF89A: "\u0e0d", 0xF89E: "\u0e10",
}
_PUA_TABLE = dict(PUA_TO_THAI)

CONSONANTS = "\u0e01-\u0e2e"
# Marks that never begin a syllable: above/below vowels, sara am, tone marks, thanthakhat, ...
MARKS = "\u0e31\u0e33-\u0e3a\u0e47-\u0e4e"
TONES = "\u0e48-\u0e4b"
_ABOVE_BELOW_VOWELS = "\u0e31\u0e34-\u0e3a"

_BASES = CONSONANTS + "\u0e24\u0e26"  # consonants, and ฤ ฦ, which carry marks too
_SPACE_BEFORE_MARK = re.compile(rf"(?<=[{_BASES}{MARKS}])[ \t\u00a0\n]+(?=[{MARKS}])")
_SPLIT_SARA_AM = re.compile(rf"\u0e4d([{TONES}]*)\u0e32")
_SPLIT_SARA_AM_AFTER = re.compile(rf"([{TONES}]*)\u0e32\u0e4d")  # sara aa drawn first
_TONE_BEFORE_VOWEL = re.compile(rf"([{TONES}\u0e4c]+)([{_ABOVE_BELOW_VOWELS}]+)")
_ORPHAN_MARK = re.compile(rf"(?:^|(?<=[^{_BASES}{MARKS}]))[{MARKS}]", re.M)
_PUA = re.compile("[\ue000-\uf8ff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_THAI = re.compile("[\u0e01-\u0e5b]")
_LEGACY = re.compile("[\u00a1-\u00da\u00df-\u00fb]")


@dataclass
class PageFix:
    text: str
    repairs: dict[str, int] = field(default_factory=dict)  # what was repaired, how often
    problems: dict[str, int] = field(default_factory=dict)  # what is still broken

    @property
    def broken(self) -> bool:
        return bool(self.problems)


def legacy_thai(text: str) -> str | None:
    """Text whose Thai came out as Latin-1 letters (a TIS-620 font without a Unicode map), re-read
    as TIS-620; None when the text does not look like that."""
    if _THAI.search(text):
        return None
    letters = [ch for ch in text if not ch.isspace() and not ch.isdigit() and ch not in ".,:;()-/\"'"]
    if len(letters) < 20:
        return None
    legacy = sum(1 for ch in letters if _LEGACY.match(ch))
    if legacy / len(letters) < 0.6:
        return None
    out = "".join(chr(0x0E00 + ord(ch) - 0xA0) if _LEGACY.match(ch) else ch for ch in text)
    # Real Thai has marks on consonants: if most marks would be orphans, it was not Thai.
    marks = len(re.findall(f"[{MARKS}]", out))
    if marks and len(_ORPHAN_MARK.findall(out)) > marks * 0.2:
        return None
    return out


def repair(text: str) -> PageFix:
    """Deterministic repairs of extracted Thai, and a count of what still looks broken."""
    repairs: dict[str, int] = {}

    def note(name: str, n: int) -> None:
        if n:
            repairs[name] = repairs.get(name, 0) + n

    legacy = legacy_thai(text)
    if legacy is not None:
        text = legacy
        note("legacy_tis620_font", 1)
    n_pua = sum(1 for ch in text if ord(ch) in _PUA_TABLE)
    if n_pua:
        text = text.translate(_PUA_TABLE)
        note("private_use_glyphs", n_pua)
    text, n = _SPACE_BEFORE_MARK.subn("", text)
    note("space_before_mark", n)
    text, n = _SPLIT_SARA_AM.subn(lambda m: m.group(1) + "\u0e33", text)
    note("split_sara_am", n)
    text, n = _SPLIT_SARA_AM_AFTER.subn(lambda m: m.group(1) + "\u0e33", text)
    note("split_sara_am", n)
    text, n = _TONE_BEFORE_VOWEL.subn(lambda m: m.group(2) + m.group(1), text)
    note("tone_before_vowel", n)
    found = problems(text)
    text = _CONTROL.sub("", text)  # counted above; a NUL or control code is never content
    return PageFix(text, repairs, found)


def problems(text: str) -> dict[str, int]:
    """What extraction broke that no deterministic repair fixes."""
    out = {}
    pua = len(_PUA.findall(text))
    if pua:
        out["unknown_private_use_glyphs"] = pua
    bad = text.count("\ufffd") + len(_CONTROL.findall(text))
    if bad:
        out["unmapped_glyphs"] = bad
    orphans = len(_ORPHAN_MARK.findall(text))
    if orphans:
        out["marks_without_consonant"] = orphans
    return out


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} ×{v}" for k, v in sorted(counts.items()))


# ---------------------------------------------------------------- page text from PyMuPDF


def _is_mark(ch: str) -> bool:
    return "\u0e31" == ch or "\u0e33" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e"


def _glue(left: str, right: str) -> str:
    """How a wrapped line continues: Thai wraps between words without a space, so a Thai–Thai
    wrap takes none; anything else takes one."""
    if not left or not right or left[-1].isspace() or right[0].isspace():
        return ""
    if "\u0e01" <= left[-1] <= "\u0e5b" and "\u0e01" <= right[0] <= "\u0e5b":
        return ""
    return " "


def page_text(page) -> str:
    """A page's text: lines in PyMuPDF's reading order, wrapped lines joined into paragraphs,
    paragraphs separated by blank lines, cells on one row separated by spaces.

    Two things PyMuPDF's plain text gets wrong for Thai are handled here. Some producers
    (LibreOffice among them) draw the spaces between Thai words with a second font, and PyMuPDF
    puts those spaces on lines of their own so the words run together: a line holding only
    spaces is put back into the line it belongs to, by baseline and x position. And Thai fonts'
    tall line spacing makes PyMuPDF start a new block at almost every line: a paragraph break is
    taken only where the baseline step is clearly larger than the page's usual line pitch."""
    import pymupdf

    raw = page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT)
    lines = []  # {"block", "chars": [[c, x, y, size, width]], "y", "size", "x0", "x1"}
    spaces = []  # (x, y, width, size)
    for b_i, block in enumerate(raw.get("blocks", [])):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", []):
            chars = []
            for span in line.get("spans", []):
                for c in span.get("chars", []):
                    x, y = c["origin"]
                    chars.append([c["c"], x, y, span.get("size", 10.0), c["bbox"][2] - c["bbox"][0]])
            if not chars:
                continue
            if all(ch[0].isspace() for ch in chars):
                spaces.extend((x, y, w, size) for _, x, y, size, w in chars)
                continue
            sizes = sorted(ch[3] for ch in chars)
            lines.append({
                "block": b_i, "chars": chars, "y": chars[0][2], "size": sizes[len(sizes) // 2] or 10.0,
                "top": line["bbox"][1], "bottom": line["bbox"][3],
                "x0": min(ch[1] for ch in chars), "x1": max(ch[1] + ch[4] for ch in chars),
            })
    for sx, sy, sw, size in spaces:
        _put_space_back(lines, sx, sy, sw, size)
    if not lines:
        return ""
    steps = sorted(b["y"] - a["y"] for a, b in zip(lines, lines[1:]) if 0.5 * a["size"] < b["y"] - a["y"] < 3 * a["size"])
    pitch = steps[len(steps) // 4] if steps else None
    right = max(ln["x1"] for ln in lines)
    paragraphs: list[str] = []
    cur = ""
    prev = None
    for ln in lines:
        text = "".join(c[0] for c in ln["chars"])
        if prev is None:
            cur = text
            prev = ln
            continue
        step = ln["y"] - prev["y"]
        overlap = min(ln["bottom"], prev["bottom"]) - max(ln["top"], prev["top"])
        if overlap > 0.5 * min(ln["bottom"] - ln["top"], prev["bottom"] - prev["top"]) and ln["x0"] >= prev["x1"] - 1:
            cur += ("" if cur.endswith(" ") else " ") + text  # same row: table cells, tab stops
            prev = {**ln, "x0": prev["x0"]}
            continue
        wrapped = (
            0 < step < 3 * prev["size"]
            and prev["x1"] >= right - 3 * prev["size"]  # the line above ran to the margin
            and abs(ln["x0"] - prev["x0"]) < 4 * prev["size"]  # same column
            and (pitch is None or step <= pitch * 1.3 + 0.5)  # no paragraph spacing
        )
        if wrapped:
            cur += _glue(cur, text) + text
        else:
            paragraphs.append(cur)
            cur = text
        prev = ln
    paragraphs.append(cur)
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


def _put_space_back(lines: list[dict], sx: float, sy: float, sw: float, size: float) -> None:
    best, best_d = None, None
    for ln in lines:
        d = abs(ln["y"] - sy)
        if d > 0.4 * size or not (ln["x0"] - size <= sx <= ln["x1"] + size):
            continue
        if best_d is None or d < best_d:
            best, best_d = ln, d
    if best is None:
        return
    chars = best["chars"]
    threshold = sx + max(sw, 0.1) * 0.5
    pos = len(chars)
    for i, c in enumerate(chars):
        if not _is_mark(c[0]) and c[1] >= threshold:
            pos = i
            break
    if (pos > 0 and chars[pos - 1][0].isspace()) or (pos < len(chars) and chars[pos][0].isspace()):
        return
    chars.insert(pos, [" ", sx, sy, size, sw])
    best["x0"], best["x1"] = min(best["x0"], sx), max(best["x1"], sx + sw)


def page_has_images(page) -> bool:
    try:
        return bool(page.get_images(full=False))
    except Exception:
        return False
