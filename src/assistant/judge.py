"""Question rows and the automatic verdict on one answer: the rules the evaluation reports and
the review tab share (a relevant passage in the top k, the answer keys present, a refusal where one
is due). Text is compared whitespace-free and with Thai digits folded: passages are unwrapped at
ingest and the sets write numbers either way."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text.numbers import unannotated

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Compare text ignoring whitespace, NBSP and C1 debris: passages are unwrapped at ingest."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if not (0x80 <= ord(ch) <= 0x9F) and ch not in "\u200b\ufeff")
    return _WS.sub("", text.replace("\u00a0", " "))


def relevant(doc_id: str, text: str, gold_doc_ids: list[str], evidence: list[str], ngram: bool = False) -> bool:
    """Passage level: from a gold document and containing one of the evidence strings — exactly,
    or with `ngram` (the blind set's rule) at least 60 % of one string's character 4-grams
    (whitespace removed, Thai digits folded), so evidence cut by a chunk boundary still counts."""
    if doc_id not in gold_doc_ids:
        return False
    if not evidence:
        return True
    if ngram:
        body = fold(text)
        for e in evidence:
            grams = {g for g in _grams(fold(e))}
            if grams and sum(1 for g in grams if g in body) / len(grams) >= 0.6:
                return True
        return False
    body = squash(text)
    return any(squash(e) in body for e in evidence)


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def fold(text: str) -> str:
    """squash, and Thai digits as Arabic."""
    return squash(text).translate(_THAI_DIGITS)


def _grams(text: str, n: int = 4) -> list[str]:
    return [text[i : i + n] for i in range(max(len(text) - n + 1, 1))]


def contains_key(answer: str, keys: list[str], every: bool = False) -> bool:
    """Any key (the project's own sets list alternatives) or, with `every`, all of them (the blind
    set's keys are the facts a correct answer must state). A key is the document's words: the
    digits the answer adds to a number in words ("สามสิบวัน (30 วัน)") are read past."""
    body = fold(unannotated(answer))
    found = [fold(k) in body for k in keys]
    return all(found) if every else any(found)


@dataclass
class Question:
    qid: str
    question: str
    kind: str
    difficulty: str = "medium"
    gold_doc_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    answer_keys: list[str] = field(default_factory=list)
    split: str = ""
    topic: str = ""  # the blind set's seed / law / news
    blind: bool = False  # scored by the blind set's rules: 4-gram evidence match, every answer key
    # A question that asks several things (eval/questions/multipart.jsonl): per part its
    # {question, answer_keys, gold_doc_ids}, in the question's order.
    parts: list[dict] = field(default_factory=list)

    @property
    def in_scope(self) -> bool:
        return bool(self.gold_doc_ids)


def question_from(raw: dict, split: str = "") -> Question:
    """A question row (a dict in the evaluation format; other keys are ignored)."""
    if not isinstance(raw, dict):
        raise TypeError("not a JSON object")
    names = Question.__dataclass_fields__
    q = Question(**{k: v for k, v in raw.items() if k in names and k != "split"}, split=split or raw.get("split", ""))
    if not (isinstance(q.qid, str) and q.qid and isinstance(q.question, str) and q.question.strip()):
        raise ValueError("needs a non-empty 'qid' and 'question'")
    if not all(isinstance(x, list) for x in (q.gold_doc_ids, q.evidence, q.answer_keys)):
        raise ValueError("'gold_doc_ids', 'evidence' and 'answer_keys' must be lists")
    # The blind set names the seed `seed/<file>`; an index of corpus/documents names it by file name.
    q.gold_doc_ids = [g.removeprefix("seed/") for g in q.gold_doc_ids]
    return q


def load_questions(path: Path, split: str = "", blind: bool = False) -> list[Question]:
    """`blind`: rows of ../shared/eval/domain_dev (kind = topic, difficulty = kind)."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = question_from(json.loads(line), split)
            if blind:
                row.blind, row.topic = True, row.kind
                if row.kind != "out_of_scope":
                    row.kind = {"multi_hop": "multi"}.get(row.difficulty, row.difficulty)
            rows.append(row)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a question row ({exc})") from None
    return rows


def judge(q: Question, ans, k: int = 5) -> dict:
    """Automatic verdicts on one answer from `Assistant.ask`, by the rules the scores above use:
    retrieval hit = a relevant passage (gold document + evidence) in the top k hits; answer keys
    present = `contains_key` on the answer text; a question without gold documents should be
    refused, except feedback rows still waiting for review (kind "needs_review"): None = not judged."""
    rels = [relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence, q.blind) for h in ans.hits]
    rank = next((i for i, x in enumerate(rels, 1) if x), None)
    should_refuse = None if q.kind == "needs_review" else not q.in_scope
    return {
        "hit_rank": rank if q.in_scope else None,
        "retrieval_hit": (rank is not None and rank <= k) if q.in_scope else None,
        "keys_present": contains_key(ans.answer, q.answer_keys, every=q.blind) if q.answer_keys else None,
        "refused": bool(ans.refused),
        "should_refuse": should_refuse,
        "refusal_ok": None if should_refuse is None else bool(ans.refused) == should_refuse,
    }
