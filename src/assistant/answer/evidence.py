"""How strongly retrieved passages speak to a question, and the refusal built on it: shared by
every answerer, so an extractive and a generative answer refuse the same questions."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schema import Answer, Evidence, Hit
from assistant.text.thai import index_tokens

REFUSAL = "ไม่พบข้อมูลที่เกี่ยวข้องกับคำถามนี้ในเอกสารที่มีอยู่"
# Question words carry no content: matching them proves nothing about support.
QUESTION_WORDS = frozenset(
    "อะไร อย่างไร ไหม ไหน ใด ใคร เท่าไร เท่าไหร่ กี่ เมื่อไร เมื่อไหร่ ทำไม หรือไม่ บ้าง คือ ยังไง แบบไหน "
    "ได้แก่ อะไรบ้าง หรือเปล่า มั้ย ครับ ค่ะ คะ นะ จ๊ะ ช่วย บอก ขอ ทราบ อยาก รู้ ต้องการ".split()
)


def content_tokens(text: str) -> set[str]:
    return {t for t in index_tokens(text) if t not in QUESTION_WORDS}


def evidence_for(question: str, hits: list[Hit], top: int = 3, expansions=(), unknown=()) -> Evidence:
    """`expansions`: glossary matches of the question; a word counts as covered when the
    passages hold it or one of its equivalents (ขยะ is covered by มูลฝอย)."""
    dense = max((h.scores.get("dense", 0.0) for h in hits), default=0.0)
    q = content_tokens(question)
    if not q or not hits:
        return Evidence(dense, 0.0, list(unknown))
    seen = set()
    for h in hits[:top]:
        seen |= set(index_tokens(f"{h.title} {h.text}"))
    covered = q & seen
    for m in expansions:
        if any(set(index_tokens(a)) <= seen for a in m.adds):
            covered |= q & set(index_tokens(m.form))
    return Evidence(dense, len(covered) / len(q), list(unknown))


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
        if ev.unknown:
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


def refusal(question: str, hits: list[Hit], evidence: Evidence, reason: str = "") -> Answer:
    nearest = []
    for h in hits:
        if h.title not in nearest:
            nearest.append(h.title)
        if len(nearest) == 3:
            break
    text = REFUSAL
    if evidence.unknown:
        reason = f"ไม่มีเอกสารใดกล่าวถึง: {', '.join(evidence.unknown)}"
    if reason:
        text += f" ({reason})"
    if nearest:
        text += "\nเอกสารที่ใกล้เคียงที่สุด: " + "; ".join(nearest)
    return Answer(question, text, True, [], hits, meta=evidence_meta(evidence))


def evidence_meta(ev: Evidence) -> dict:
    return {"best_dense": round(ev.best_dense, 4), "coverage": round(ev.coverage, 3), "unknown_references": ev.unknown}


