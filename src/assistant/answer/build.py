"""The built-in answerers, registered in this one place, and the one the settings name built."""

from __future__ import annotations

from typing import Any

from assistant.answer.answerers import ANSWERERS, Answerer, register_answerer
from assistant.answer.engine import AnswerEngine
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.generative import build_generative_answerer


def _generative(settings, chat_model: Any = None) -> Answerer:
    answerer = build_generative_answerer(settings, chat_model=chat_model)
    if answerer is None:
        raise ValueError("the generative answerer needs a chat model: set ASSISTANT_LLM_URL / ASSISTANT_LLM_MODEL (docs/llm.md)")
    return answerer


register_answerer("engine")(lambda settings, chat_model=None: AnswerEngine.from_settings(settings))
register_answerer("extractive")(lambda settings, chat_model=None: ExtractiveAnswerer.from_settings(settings))
register_answerer("generative")(_generative)


def build_answerer(settings, chat_model: Any = None) -> Answerer:
    """The answerer the settings name; `auto`: generative when a chat model is configured, else
    the answer engine (answer/engine.py)."""
    name = settings.answerer
    if name == "auto":
        name = "generative" if chat_model is not None else "engine"
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer {name!r}; choose from auto, {', '.join(ANSWERERS)}")
    return ANSWERERS[name](settings, chat_model)
