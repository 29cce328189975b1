"""How strongly retrieved passages speak to a question, and the refusal built on it: shared by
every answerer, so an extractive and a generative answer refuse the same questions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.query.specifics import specifics
from assistant.schema import Answer, Evidence, Hit
from assistant.text.numbers import as_digits
from assistant.text.thai import fold_digits, index_tokens

REFUSAL = "ไม่พบข้อมูลที่เกี่ยวข้องกับคำถามนี้ในเอกสารที่มีอยู่"
TASK_REFUSAL = ("ผู้ช่วยนี้ตอบได้เฉพาะคำถามที่เอกสารในระบบตอบได้ พร้อมอ้างอิงข้อความจากเอกสาร "
                "จึงไม่ได้แต่งหรือเขียนข้อความ คำนวณ หรือสนทนาทั่วไปให้")
# Why a message written as a request (model/style.py) is refused whatever passages it finds.
REQUEST_REASON = "คำถามนี้ขอความเห็น การคาดการณ์ หรือข้อมูล ณ ขณะนี้ ซึ่งเอกสารในระบบไม่ได้บันทึกไว้"
# Question words carry no content: matching them proves nothing about support.
QUESTION_WORDS = frozenset(
    "อะไร อย่างไร ไหม ไหน ใด ใคร เท่าไร เท่าไหร่ กี่ เมื่อไร เมื่อไหร่ ทำไม หรือไม่ บ้าง คือ ยังไง แบบไหน "
    "ได้แก่ อะไรบ้าง หรือเปล่า มั้ย ครับ ค่ะ คะ นะ จ๊ะ ช่วย บอก ขอ ทราบ อยาก รู้ ต้องการ".split()
)


# Below this share of its content words in the top passages a refused question is off the
# documents' topics, not a question on them that they leave unanswered.
OFF_TOPIC_COVERAGE = 0.5


def content_tokens(text: str) -> set[str]:
    return {t for t in index_tokens(text) if t not in QUESTION_WORDS}


# "การประชุม EGM ครั้งที่ 2", "รุ่นที่ 3", "ระยะที่ 2": one numbered instance of something that
# recurs. Passages on the topic (the first meeting) do not answer for the one asked about.
_INSTANCE = re.compile(r"(ครั้งที่|รุ่นที่|ระยะที่|รอบที่|ชุดที่)\s*(\d{1,3}(?:/\d{2,4})?)(?![\d/])")


def unfound_instances(question: str, hits: list[Hit]) -> list[str]:
    """The numbered instances the question names that no retrieved passage names, as the question
    writes them ("ครั้งที่ 2"). A passage may name it by the thing and its number alone
    ("ซูเปอร์โบว์ล 50" for "ซูเปอร์โบว์ลครั้งที่ 50"), and a document titled with the number
    ("Super_Bowl_50") is about that instance throughout."""
    q = as_digits(question)  # "ครั้งที่สอง" is "ครั้งที่ 2"
    found = as_digits("\n".join(f"{h.location} {h.text}" for h in hits))
    titles = as_digits("\n".join({h.title for h in hits}))
    missing = []
    for m in _INSTANCE.finditer(q):
        label, number = m.groups()
        before = index_tokens(q[: m.start()])
        forms = [re.escape(label) + r"\s*" + re.escape(number)]
        if before:
            forms.append(re.escape(before[-1]) + r"\s*" + re.escape(number))
        named = re.compile(rf"(?:{'|'.join(forms)})(?![\d/])", re.IGNORECASE)
        if not (named.search(found) or named.search(titles) or re.search(rf"(?<![0-9A-Za-z]){re.escape(number)}(?![0-9A-Za-z])", titles)):
            missing.append(f"{label} {number}")
    return missing


def _said(hits: list[Hit], openings: dict[str, Hit] | None) -> str:
    docs, have = {h.doc_id for h in hits}, {h.chunk_id for h in hits}
    read = hits + [o for d, o in (openings or {}).items() if d in docs and o.chunk_id not in have]
    return fold_digits("\n".join(f"{h.title} {h.location} {h.text}" for h in read))


def unfound_specifics(question: str, hits: list[Hit], openings: dict[str, Hit] | None = None) -> list[str]:
    """The years and provinces the question names that `hits` (in text, location or title) do not
    name while naming another: the passages an answer would quote speak of another year or place
    ("อบจ.เชียงใหม่ … ปี 68" met by a budget item of 2565). Passages that name none (an Act's section,
    an undated paragraph) may still hold the answer. `openings`: the first chunk of each document
    by id, where a news item's dateline gives its year."""
    asked = specifics(question)
    if not asked:
        return []
    said = _said(hits, openings)
    return [s.label for s in asked if not s.named.search(said) and s.kind.search(said)]


def speaks_of_another(question: str, hit: Hit, openings: dict[str, Hit] | None = None) -> bool:
    """Whether a passage (with its document's opening) names a year, or a province, and none of
    those the question names: what it says is about another. A question may name two years
    ("…ปี 2564 … รุ่นที่ 2 ในปี 2566"); a passage on either of them serves."""
    asked = specifics(question)
    if not asked:
        return False
    said = _said([hit], openings)
    kinds = {s.kind.pattern: s.kind for s in asked}
    return any(k.search(said) and not any(s.named.search(said) for s in asked if s.kind.pattern == p)
               for p, k in kinds.items())


def evidence_for(question: str, hits: list[Hit], top: int = 3, expansions=(), unknown=(), openings=None) -> Evidence:
    """`expansions`: glossary matches of the question; a word counts as covered when the
    passages hold it or one of its equivalents (ขยะ is covered by มูลฝอย). `unknown`: references
    no indexed text holds. `top`: the passages the answer reads; `openings`: see unfound_specifics."""
    dense = max((h.scores.get("dense", 0.0) for h in hits), default=0.0)
    q = content_tokens(question)
    unfound = unfound_instances(question, hits) + unfound_specifics(question, hits[:top], openings) if hits else []
    if not q or not hits:
        return Evidence(dense, 0.0, list(unknown), unfound)
    seen = set()
    for h in hits[:top]:
        seen |= set(index_tokens(f"{h.title} {h.text}"))
    covered = q & seen
    for m in expansions:
        if any(set(index_tokens(a)) <= seen for a in m.adds):
            covered |= q & set(index_tokens(m.form))
    return Evidence(dense, len(covered) / len(q), list(unknown), unfound)


@dataclass
class RefusalRule:
    """Refuse when dense similarity is low, unless the words of the question are well covered or
    (for an answerer that scores sentences) one sentence answers it well. Thresholds are chosen in
    eval/ (`python -m eval.calibrate_refusal`)."""

    min_dense: float = 0.80
    strong_dense: float = 0.86
    min_coverage: float = 0.5
    answer_score: float = 1.01  # a best sentence scoring this high is answered (1.01: never)
    # A best sentence scoring below this is refused however close the passages look: near-domain
    # traps ("EGM ครั้งที่ 2", a budget no document gives) find passages on the topic, not the answer.
    min_answer_score: float = 0.0

    def refuse(self, ev: Evidence, score: float | None = None) -> bool:
        if ev.unknown or ev.unfound:
            return True
        if score is not None and score < self.min_answer_score:
            return True
        if score is not None and score >= self.answer_score:
            return False
        if ev.best_dense >= self.strong_dense:
            return False
        if ev.best_dense < self.min_dense:
            return True
        return ev.coverage < self.min_coverage


def refusal_rule(settings) -> RefusalRule:
    """The rule the settings describe (thresholds calibrated on eval dev)."""
    return RefusalRule(settings.refuse_min_dense, settings.refuse_strong_dense, settings.refuse_min_coverage,
                       settings.refuse_answer_score, settings.refuse_min_answer_score)


def refusal(question: str, hits: list[Hit], evidence: Evidence, reason: str = "", kind: str = "",
            missing: list[str] | tuple = (), answerability: float | None = None) -> Answer:
    """`kind` (meta["refusal"]): missing (the documents lack a word or figure the question names:
    meta["missing"]), no_support (passages on the topic do not answer it), off_topic (the
    documents hardly share its words), task (compose, calculate, translate, chat: not a question on the
    documents), request (written as an opinion, a forecast or today's figures: model/style.py). A
    reference the evidence lacks makes it missing whatever is given; unset, it is told by word
    coverage."""
    nearest = []
    for h in hits:
        if h.title not in nearest:
            nearest.append(h.title)
        if len(nearest) == 3:
            break
    text = REFUSAL
    if evidence.unknown:
        reason = f"ไม่มีเอกสารใดกล่าวถึง: {', '.join(evidence.unknown)}"
        kind, missing = "missing", evidence.unknown
    elif evidence.unfound:
        reason = f"เอกสารที่พบไม่ได้กล่าวถึง: {', '.join(evidence.unfound)}"
        kind, missing = "missing", evidence.unfound
    kind = kind or ("no_support" if evidence.coverage >= OFF_TOPIC_COVERAGE else "off_topic")
    if reason:
        text += f" ({reason})"
    if nearest:
        text += "\nเอกสารที่ใกล้เคียงที่สุด: " + "; ".join(nearest)
    meta = evidence_meta(evidence) | {"refusal": kind, "missing": list(missing)}
    if answerability is not None:
        meta["answerability"] = round(answerability, 4)
    return Answer(question, text, True, [], hits, meta=meta)


def task_refusal(question: str, task: str) -> Answer:
    """A request to write, compute, translate or chat (query/request.py): refused as a task, not searched."""
    return Answer(question, TASK_REFUSAL, True, [], [], meta={"refusal": "task", "task": task, "missing": []})


def evidence_meta(ev: Evidence) -> dict:
    return {"best_dense": round(ev.best_dense, 4), "coverage": round(ev.coverage, 3), "unknown_references": ev.unknown, "unfound_instances": ev.unfound}


