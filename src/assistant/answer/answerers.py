"""The answerers table: name → factory(settings, chat_model) → Answerer, and the contract every
answerer keeps: `answer(retrieval) -> Answer`, and `stream(retrieval)` yielding text so far (str)
then the final Answer. The table knows no implementation: the built-in ones are added in
answer/build.py, a plugin's with `@register_answerer("name")`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from assistant.registry import registrar
from assistant.schema import Answer, Retrieval


class Answerer:
    def answer(self, retrieval: Retrieval) -> Answer:
        raise NotImplementedError

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        """Answerers that write progressively override this; the rest yield the final answer."""
        yield self.answer(retrieval)

    def best_score(self, retrieval: Retrieval) -> float | None:
        """How well the best answer candidate scores, for the refusal rule; None for an answerer
        that does not score its candidates."""
        return None


Factory = Callable[[Any, Any], Answerer]  # (settings, chat model or None) → Answerer
ANSWERERS: dict[str, Factory] = {}
register_answerer = registrar(ANSWERERS)
