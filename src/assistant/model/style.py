"""Whether a message asks what a document says, read from its embedding: a logistic model over the
dense search's question vector, fitted on iApp Wiki QA *train* questions and the project's own
answerable questions against the fitting half of its off-topic and task list
(`python -m eval.fit_style`).

An opinion ("คุณคิดว่า…ดีกว่ากัน"), a forecast ("ปีหน้าจะ…ไหม") or today's figures ("ราคา…วันนี้") find
passages that share their topic, and what they ask for is in no document: the evidence cannot
tell them from a question it answers. A message under the cut (cross-fitted: it refuses 0.2 % of
the iApp and of the own answerable questions) is refused as a request (answer/engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.model.fitted import Fitted

WEIGHTS_FILE = Path(__file__).with_name("style.json")


@dataclass(frozen=True)
class Style(Fitted):
    cut: float  # below this log-odds a message reads as a request

    def log_odds(self, question: np.ndarray) -> float:
        """The log-odds that the message (as the dense search embeds it) asks what a document says."""
        return float(np.asarray(question, dtype=np.float32) @ self.weights + self.bias)

    def margin(self, question: np.ndarray) -> float:
        """How far the message is above the cut: below zero, a request no document answers."""
        return self.log_odds(question) - self.cut


@lru_cache(maxsize=4)
def shipped(fingerprint: str | None, path: str = str(WEIGHTS_FILE)) -> Style | None:
    """The shipped weights and cut for this embedding model; None for another model or before fitting."""
    return Style.for_model(Path(path), fingerprint)
