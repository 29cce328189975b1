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

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger("assistant.model")

WEIGHTS_FILE = Path(__file__).with_name("relevance.json")


@dataclass(frozen=True)
class Relevance:
    model: str  # the embedding model's fingerprint the weights were fitted for
    weights: np.ndarray
    bias: float

    def scores(self, question: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """The log-odds that each passage (a row) answers the question (both as embedded)."""
        return np.asarray(passages, dtype=np.float32) @ (np.asarray(question, dtype=np.float32) * self.weights) + self.bias


def fitted_for(path: Path, fingerprint: str | None) -> dict | None:
    """Weights fitted on one embedding model's vectors (this module's and model/style.py's), read
    only for that model: another model's dimensions mean other things. None when absent."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    # int8 weights give vectors within rounding of the fitted ones ("<model>+int8")
    if (fingerprint or "").split("+", 1)[0] != data["model"]:
        log.warning("%s was fitted for model %s, not %s: the answerability model and the request refusal are off",
                    path.name, data["model"], fingerprint)
        return None
    return data


@lru_cache(maxsize=4)
def shipped(fingerprint: str | None, path: str = str(WEIGHTS_FILE)) -> Relevance | None:
    """The shipped weights for this embedding model; None for another model (its dimensions mean
    other things) or before they are fitted: the answerability model then leaves the decision to
    the rules."""
    data = fitted_for(Path(path), fingerprint)
    return None if data is None else Relevance(data["model"], np.asarray(data["weights"], dtype=np.float32), float(data["bias"]))
