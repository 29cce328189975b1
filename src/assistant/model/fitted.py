"""Weights fitted on one embedding model's vectors (model/relevance.py, model/style.py): a JSON file
naming the model's fingerprint, read only for that model, since another model's dimensions mean
other things."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

log = logging.getLogger("assistant.model")


@dataclass(frozen=True)
class Fitted:
    model: str  # the embedding model's fingerprint the weights were fitted for
    weights: np.ndarray
    bias: float

    @classmethod
    def for_model(cls, path: Path, fingerprint: str | None):
        """The weights in `path` if they were fitted for this model; None when absent or another
        model's (the answerability model and the request refusal are then off: the rules decide)."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        # int8 weights give vectors within rounding of the fitted ones ("<model>+int8")
        if (fingerprint or "").split("+", 1)[0] != data["model"]:
            log.warning("%s was fitted for model %s, not %s: the answerability model and the request refusal are off",
                        path.name, data["model"], fingerprint)
            return None
        more = {f.name: float(data[f.name]) for f in fields(cls)[3:]}  # a subclass's own numbers (a cut)
        return cls(data["model"], np.asarray(data["weights"], dtype=np.float32), float(data["bias"]), **more)
