"""The answerers table: name → factory(settings, chat_model) → Answerer. The contract every
answerer keeps: `answer(retrieval) -> Answer`, and `stream(retrieval)` yielding text so far (str)
then the final Answer. A new answerer is one module with `@register_answerer("name")`."""

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


def _load_builtin() -> None:
    # The built-in answerers register themselves on import.
    import assistant.answer.engine  # noqa: F401
    import assistant.answer.extractive  # noqa: F401
    import assistant.answer.generative  # noqa: F401


def build_answerer(settings, chat_model: Any = None) -> Answerer:
    """The answerer the settings name; `auto`: generative when a chat model is configured, else
    the answer engine (answer/engine.py)."""
    _load_builtin()
    name = settings.answerer
    if name == "auto":
        name = "generative" if chat_model is not None else "engine"
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer {name!r}; choose from auto, {', '.join(ANSWERERS)}")
    return ANSWERERS[name](settings, chat_model)


def note_guidelines(retrieval: Retrieval, ans: Answer, line: bool) -> Answer:
    """Which guidelines an answer touches: those the question names, else the tags of the cited
    passages (at most 3), into meta["guidelines"]; with `line`, also as a last line of the answer
    ("เกี่ยวข้องกับแนวทางที่ 7 และ 8"). Nothing when the retrieval carries no tags."""
    from assistant.knowledge.guidelines import rank_tags, touches_line

    if ans.refused or retrieval.tags is None:
        return ans
    nums = list(retrieval.plan.guidelines)
    if not nums:
        cited = {c.text for c in ans.citations}
        ids = [h.chunk_id for h in ans.hits if h.text in cited] or [h.chunk_id for h in ans.hits[:3]]
        nums = rank_tags(retrieval.tags, ids)[:3]
    ans.meta["guidelines"] = nums
    if nums and line:
        ans.answer = ans.answer.rstrip("\n") + "\n" + touches_line(nums)
    return ans
