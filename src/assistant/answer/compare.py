"""Questions that compare two things ("ข้อบัญญัติ อบต. กับข้อบัญญัติ อบจ. … ต่างกันยังไง", "นายก อบต. กับ
นายกเทศมนตรี … เหมือนกันไหม"): the answer must speak of both, and the best passage usually speaks of
one. The sides are the glossary terms the question names on either side of the word that joins
them, each with the forms the glossary gives it (อบต. → องค์การบริหารส่วนตำบล), since an Act names
an organisation in full and a question by its abbreviation.
"""

from __future__ import annotations

import re

from assistant.knowledge.glossary import squash
from assistant.schema import Hit

COMPARES = re.compile(r"ต่างกัน|แตกต่าง|ต่างจาก|เหมือนกัน|เหมือนหรือต่าง|เท่ากัน|เทียบ")
_JOIN = re.compile(r"กับ|และ|หรือ")


def sides(question: str, expansions: list) -> list[tuple[str, ...]]:
    """The two things a comparing question names, each as its forms; [] for any other question.
    `expansions`: the plan's glossary matches (knowledge.glossary.Match), the specific sense of a
    form's own group, not the wider class a narrower word brings in (อบต. → อปท.)."""
    said = COMPARES.search(question)
    if not said:
        return []
    q = squash(question[: said.start()])
    forms: dict[str, tuple[str, ...]] = {}
    for m in expansions:  # a narrower word (เทศบาล) stands for itself, not for the wider class it brings in
        if not m.broader:
            forms[squash(m.form)] = (m.form, *m.adds)
        else:
            forms.setdefault(squash(m.form), (m.form,))
    at = {f: q.find(f) for f in forms if f and q.find(f) >= 0}
    for j in _JOIN.finditer(q):
        before = [f for f in at if at[f] + len(f) <= j.start()]
        after = [f for f in at if at[f] >= j.end()]
        if before and after:
            left = max(before, key=lambda f: at[f] + len(f))
            right = min(after, key=lambda f: at[f])
            if left != right:
                return [forms[left], forms[right]]
    return []


def names(hit: Hit, forms: tuple[str, ...]) -> bool:
    """Whether a passage, with its document's title and its heading, speaks of a side."""
    text = squash(f"{hit.title} {hit.location} {hit.text}")
    return any(k and k in text for k in map(squash, forms))
