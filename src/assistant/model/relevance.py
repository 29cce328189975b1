"""A learned similarity of a question and a passage: the embedding's dot product with each of its
dimensions weighted, fitted on iApp Wiki QA *train* questions, answered by their own paragraph and
not by the nearest passage of the policy index or of Wikipedia less that paragraph
(`python -m eval.fit_relevance`).

Cosine weighs every dimension alike, and most of what two Thai texts share is that they are Thai
prose of a kind: a Wikipedia question sits as close to a policy passage as to its own paragraph
(docs/answers.md). Weighted, the dimensions that tell topics apart count. The answerability model
reads the best of it over the passages found; it is not a ranker.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.model.fitted import Fitted

WEIGHTS_FILE = Path(__file__).with_name("relevance.json")


@dataclass(frozen=True)
class Relevance(Fitted):
    def scores(self, question: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """The log-odds that each passage (a row) answers the question (both as embedded)."""
        return np.asarray(passages, dtype=np.float32) @ (np.asarray(question, dtype=np.float32) * self.weights) + self.bias


@lru_cache(maxsize=4)
def shipped(fingerprint: str | None, path: str = str(WEIGHTS_FILE)) -> Relevance | None:
    """The shipped weights for this embedding model; None for another model (its dimensions mean
    other things) or before they are fitted: the answerability model then leaves the decision to
    the rules."""
    return Relevance.for_model(Path(path), fingerprint)
