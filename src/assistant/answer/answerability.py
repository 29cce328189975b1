"""Does the evidence in hand answer *this* question? A logistic model over features of the question
read against its best sentence and passage, fitted on thousands of external questions asked of an
index that holds their paragraph and of one that does not (`python -m eval.fit_answerability`).

The model is linear in the features, or quadratic (`terms`). The features read the evidence, not the question alone: the same question is answered beside its
paragraph and refused without it. Its weights, the features' scaling and the cut are in
answerability.json beside this file.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.answer.evidence import content_tokens
from assistant.answer.features import gives_asked_kind, idf, tokens
from assistant.query.qtype import QuestionType
from assistant.schema import Evidence, Hit
from assistant.text.numbers import as_digits
from assistant.text.thai import fold_digits

WEIGHTS_FILE = Path(__file__).with_name("answerability.json")
FEATURES = ("dense", "dense_gap", "coverage", "idf_passage", "idf_sentence", "rare_passage", "rare_sentence",
            "specifics_found", "answer_score", "type_found", "title_match", "question_words", "relevance")
# Numbers and Latin names: a question that names one is answered only where it is named.
_SPECIFIC = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z][A-Za-z0-9&.-]+")


def terms(row: list[float], quadratic: bool = True) -> list[float]:
    """The model's inputs: the features, and for a quadratic model every product of two of them
    (a close passage counting for less when the question's rare words are not in it)."""
    n = len(row)
    return list(row) + ([row[i] * row[j] for i in range(n) for j in range(i, n)] if quadratic else [])


def _idf_share(words: set[str], held: set[str]) -> float:
    total = sum(idf(w) for w in words)
    return sum(idf(w) for w in words & held) / total if total else 0.0


def features(question: str, qt: QuestionType, hits: list[Hit], ev: Evidence, sentence: str, context: str,
             passage: Hit, answer_score: float) -> list[float]:
    """One row of FEATURES: `sentence` is the best candidate (read with `context`, the sentence
    before it) in `passage`; `answer_score` the answer scorer's probability for it."""
    q = content_tokens(question)
    dense = sorted((h.scores.get("dense", 0.0) for h in hits), reverse=True)
    best = dense[0] if dense else 0.0
    gap = best - (dense[4] if len(dense) > 4 else (dense[-1] if dense else 0.0))
    read = f"{passage.title} {passage.location} {passage.text}"
    p_words = set(tokens(read))
    s_words = set(tokens(f"{context} {sentence}"))
    rare = max(q, key=lambda t: (idf(t), t)) if q else ""
    asked = {m.group(0).lower() for m in _SPECIFIC.finditer(fold_digits(question))}
    said = (fold_digits(read) + "\n" + as_digits(read)).lower()  # "30 วัน" is said by "สามสิบวัน"
    specifics = sum(1 for a in asked if a in said) / len(asked) if asked else 1.0
    typed = qt.kind in ("when", "number", "who", "where", "list", "definition")
    return [
        best, gap, ev.coverage, _idf_share(q, p_words), _idf_share(q, s_words),
        1.0 if rare and rare in p_words else 0.0, 1.0 if rare and rare in s_words else 0.0,
        specifics, answer_score, 1.0 if not typed or gives_asked_kind(qt.kind, sentence, question) else 0.0,
        _idf_share(q, set(tokens(passage.title))), math.log1p(len(q)),
        # the learned similarity (model/relevance.py); NaN where it is not known (another model)
        max((h.scores["relevance"] for h in hits if "relevance" in h.scores), default=math.nan),
    ]


@dataclass
class Answerability:
    features: tuple[str, ...]
    mean: list[float]  # of terms(row)
    scale: list[float]
    coef: list[float]
    intercept: float
    cut: float  # below this probability the question is refused
    quadratic: bool = False

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Answerability":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted on other features ({data['features']}); refit with python -m eval.fit_answerability")
        model = cls(tuple(data["features"]), data["mean"], data["scale"], data["coef"], data["intercept"], data["cut"],
                    data.get("quadratic", False))
        n = len(terms([0.0] * len(FEATURES), model.quadratic))
        if not len(model.coef) == len(model.mean) == len(model.scale) == n:
            raise ValueError(f"{path}: {len(model.coef)} weights for {n} terms; refit with python -m eval.fit_answerability")
        return model

    def probability(self, row: list[float]) -> float:
        """`row`: one row of FEATURES."""
        z = self.intercept + sum(c * (x - m) / s for c, x, m, s in zip(self.coef, terms(row, self.quadratic), self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@lru_cache(maxsize=2)
def shipped(path: str = str(WEIGHTS_FILE)) -> Answerability | None:
    """The shipped model; None before it is fitted (the rules alone decide then)."""
    return Answerability.load(Path(path)) if Path(path).is_file() else None
