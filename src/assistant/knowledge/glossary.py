"""Officers' words → the documents' words: a hand-kept glossary plus terms mined from the documents.

Both end up as groups of equivalent forms. Matching ignores case, spaces and dots (พ.ร.บ. = พรบ,
Smart City = smartcity) and only at word boundaries, so ปรับ never matches inside ปรับตัว."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.knowledge.data import shipped
from assistant.text.thai import fold_digits, words



def squash(text: str) -> str:
    return re.sub(r"[\s.]+", "", fold_digits(text).lower())


@dataclass
class TermGroup:
    forms: list[str]
    kind: str
    source: str  # "glossary" or the doc id it was mined from
    # More specific words (อบต., เทศบาล) that also bring in `forms` (the Acts' "องค์กรปกครอง
    # ส่วนท้องถิ่น"); one way only: a group with these is found by them alone, never by its forms.
    narrower: list[str] = field(default_factory=list)


@dataclass
class Match:
    form: str  # the form found in the question
    adds: list[str]  # the group's other forms
    source: str
    broader: bool = False  # found by a narrower word: the adds name a wider class (อบต. → อปท.)


@dataclass
class Glossary:
    groups: list[TermGroup] = field(default_factory=list)

    def __post_init__(self):
        self._by_key: dict[str, list[int]] = {}
        for i, g in enumerate(self.groups):
            self._index(i, g)

    def _index(self, i: int, g: TermGroup) -> None:
        for form in g.narrower or g.forms:
            key = squash(form)
            if len(key) >= 2 and i not in self._by_key.get(key, []):
                self._by_key.setdefault(key, []).append(i)

    def add(self, group: TermGroup) -> None:
        self.groups.append(group)
        self._index(len(self.groups) - 1, group)

    def merged(self, other: "Glossary") -> "Glossary":
        return Glossary(self.groups + other.groups)

    def find(self, question: str) -> list[Match]:
        """Forms of any group that occur in the question at word boundaries, longest first."""
        toks = [squash(w) for w in words(question)]
        toks = [t for t in toks if t]
        text = "".join(toks)
        starts, ends = set(), set()
        pos = 0
        for t in toks:
            starts.add(pos)
            pos += len(t)
            ends.add(pos)
        found: list[Match] = []
        taken: list[tuple[int, int]] = []
        for key in sorted(self._by_key, key=len, reverse=True):
            at = text.find(key)
            while at >= 0:
                end = at + len(key)
                if at in starts and end in ends and not any(a < end and at < b for a, b in taken):
                    taken.append((at, end))
                    for gi in self._by_key[key]:
                        g = self.groups[gi]
                        adds = [f for f in g.forms if squash(f) != key]
                        found.append(Match(key, adds, g.source, bool(g.narrower)))
                    break
                at = text.find(key, at + 1)
        return found


def load(path: Path) -> Glossary:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    groups = []
    for n, e in enumerate(data.get("entries", []), 1):
        if not isinstance(e, dict) or not e.get("term"):
            raise ValueError(f"{path}: entry {n} has no 'term'")
        forms = [e["term"]] + [v for v in e.get("variants", []) if v and v != e["term"]]
        narrower = e.get("narrower", [])
        if not isinstance(narrower, list):
            raise ValueError(f"{path}: entry {n} ({e['term']}): 'narrower' must be a list")
        groups.append(TermGroup(forms, e.get("kind", ""), "glossary", [w for w in narrower if w]))
    return Glossary(groups)


@lru_cache(maxsize=4)
def load_default(path: str | None = None) -> Glossary:
    """The glossary file (Settings.glossary_file); None → the shipped corpus/glossary.yaml."""
    path = path or str(shipped("glossary.yaml"))
    return load(Path(path)) if Path(path).is_file() else Glossary()


# ---------------------------------------------------------------- mined from the documents

_THAI = r"\u0e01-\u0e4e"
# "กรมส่งเสริมการปกครองท้องถิ่น (สถ.)": an abbreviation in parentheses after its name. The
# patterns anchor on the parenthesis and the name is taken from the text just before it:
# a lazy look-back pattern would backtrack at every character of every chunk.
_ABBREV = re.compile(rf"\(\s*([{_THAI}A-Za-z][{_THAI}A-Za-z.]{{1,11}})\s*\)")
# '(ต่อไปนี้เรียกว่า "สำนักงาน")': the preceding name gets a short name.
_CALLED = re.compile(rf"\(\s*ต่อไปนี้(?:ใน[{_THAI}]+)?เรียกว่า\s*[\"“']([^\"”']{{2,40}})[\"”']\s*\)")
_NAME_BEFORE = re.compile(rf"([{_THAI}A-Za-z0-9][{_THAI}A-Za-z0-9]{{3,80}})\s*$")
_LEADING = frozenset("และ กับ ของ โดย ให้ ที่ แก่ ให้แก่ ระหว่าง จาก ตาม ว่า เป็น หรือ จัด ร่วมกับ".split())


def _tidy_name(name: str) -> str:
    """The name itself, without the clause it sits in: text after the last space, then after
    the last linking word (แก่, และ, ของ, ...)."""
    toks = words(name)
    cut = max((i + 1 for i, t in enumerate(toks) if t in _LEADING), default=0)
    rest = "".join(toks[cut:])
    return rest if len(rest) >= 4 else name


def _is_abbreviation_of(abbr: str, name: str) -> bool:
    letters = [c for c in abbr if c != "."]
    if not letters or len(name) < 2 * len(letters):
        return False
    if all("a" <= c.lower() <= "z" for c in letters):
        return len(letters) <= 8  # a Latin acronym of a Thai name cannot be checked letter by letter
    it = iter(name)
    return all(any(ch == c for ch in it) for c in letters)  # letters in order in the name


def _name_before(text: str, at: int) -> str | None:
    m = _NAME_BEFORE.search(text[max(0, at - 82) : at])
    return _tidy_name(m.group(1)) if m else None


def mine(text: str, source: str) -> list[TermGroup]:
    """Abbreviations and short names a document defines for itself."""
    out, seen = [], set()
    for m in _ABBREV.finditer(text):
        name, abbr = _name_before(text, m.start()), m.group(1).strip()
        if name and _is_abbreviation_of(abbr, name) and (name, abbr) not in seen:
            seen.add((name, abbr))
            out.append(TermGroup([name, abbr], "mined-abbreviation", source))
    for m in _CALLED.finditer(text):
        name, short = _name_before(text, m.start()), m.group(1).strip()
        if name and len(name) > len(short) and (name, short) not in seen:
            seen.add((name, short))
            out.append(TermGroup([name, short], "mined-defined", source))
    return out
