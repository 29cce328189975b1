"""The specifics a question pins its answer to: a year ("ปี 68", "ปีงบประมาณ 2568", "ค.ศ. 2025") and
a province ("อบจ.เชียงใหม่", "จังหวัดน่าน"). Passages that name another year or province and not the
one asked speak of something else; the refusal (answer/evidence.py) reads these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.text.thai import fold_digits

# A year is named after its word: "60 ปี" is an age, "ปี 60" a year. Not a decade ("ยุคปี 70") and
# not the start of a range ("ปี 1995 ถึง 2000", "ปี 2551-63"): a passage may name the period otherwise.
_YEAR = re.compile(r"(?<!ยุค)(?<!ทศวรรษ)(ปี(?:งบประมาณ|การศึกษา)?|พ\.ศ\.|ค\.ศ\.)\s*(?:พ\.ศ\.|ค\.ศ\.)?\s*(\d{4}|\d{2})"
                   r"(?![\d.,])(?!\s*(?:ถึง|-|–)\s*(?:ปี\s*)?\d)")
_YEAR_DIGITS = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2[45]\d\d)(?!\d)")  # พ.ศ. or ค.ศ.
_ANY_YEAR = re.compile(_YEAR_DIGITS.pattern + r"|(?:ปี|พ\.ศ\.)\s*[4-9]\d(?!\d)")
# A province pins the answer when it names a body or the province itself ("อบจ.เชียงใหม่",
# "จังหวัดน่าน"); a place named alone may be an aside ("…หรือต้องไป สคบ. ที่กรุงเทพ"), and "เลย",
# "ตาก" or "แพร่" alone are common words.
_ADMIN = r"(?:จังหวัด|จ\.|อบจ\.?|องค์การบริหารส่วนจังหวัด|เทศบาล(?:นคร|เมือง)|ทน\.|ทม\.)\s*"
_ALONE = 5  # in a passage, a name this long names its province without an administrative word


@dataclass(frozen=True)
class Specific:
    label: str  # as the refusal names it, as the question writes it (Arabic digits): "ปี 68", "อบจ.เชียงใหม่"
    named: re.Pattern  # a text (digits folded) that names it
    kind: re.Pattern  # a text that names one of its kind: some year, some province


def other_era(year: int) -> int:
    """พ.ศ. 2567 ↔ ค.ศ. 2024."""
    return year - 543 if year >= 2400 else year + 543


def year_variants(text: str) -> list[str]:
    """The years `text` names, each in the other era: a document may use either."""
    return [str(other_era(int(y))) for y in _YEAR_DIGITS.findall(fold_digits(text))]


def _year(label: str, word: str, digits: str) -> Specific | None:
    n = int(digits)
    if len(digits) == 2:
        if n < 40:  # "ปี 25" is more often a count or a clause number than พ.ศ. 2525
            return None
        be = 2500 + n
    else:
        be = n if n >= 2400 else other_era(n)
    forms = [rf"(?<!\d){be}(?!\d)", rf"(?<!\d){be - 543}(?!\d)", rf"(?:ปี|พ\.ศ\.|งบประมาณ)\s*{be % 100:02d}(?!\d)"]
    return Specific(label, re.compile("|".join(forms)), _ANY_YEAR)


def years_named(question: str) -> list[Specific]:
    """The years a question names; a passage names one as พ.ศ., ค.ศ. or "ปี 68"."""
    out = {}
    for m in _YEAR.finditer(fold_digits(question)):
        y = _year(" ".join(m.group(0).split()), *m.groups())
        if y is not None:
            out.setdefault(y.named.pattern, y)
    return list(out.values())


@lru_cache(maxsize=1)
def _provinces() -> tuple[tuple[tuple[str, ...], ...], re.Pattern]:
    from pythainlp.corpus import provinces  # PyThaiNLP's own list of the 77 provinces (offline)

    names = [p["name_th"] for p in provinces(details=True)]
    forms = tuple((n, "กรุงเทพ", "กทม") if n == "กรุงเทพมหานคร" else (n,) for n in names)
    every = sorted((f for fs in forms for f in fs), key=len, reverse=True)
    any_province = re.compile("|".join([re.escape(f) for f in every if len(f) >= _ALONE]
                                       + [_ADMIN + "(?:" + "|".join(map(re.escape, every)) + ")"]))
    return forms, any_province


def provinces_named(question: str) -> list[Specific]:
    """The provinces a question names after an administrative word; a passage names one by any of
    its forms (กรุงเทพฯ, กทม.)."""
    if not re.search(_ADMIN, question):
        return []
    forms, any_province = _provinces()
    out = []
    for fs in forms:
        m = next((m for f in fs if (m := re.search(_ADMIN + re.escape(f), question))), None)
        if m:
            out.append((m.start(), Specific(m.group(0).replace(" ", ""), re.compile("|".join(map(re.escape, fs))), any_province)))
    return [s for _, s in sorted(out, key=lambda t: t[0])]


def specifics(question: str) -> list[Specific]:
    return years_named(question) + provinces_named(question)
