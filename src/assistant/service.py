"""The assistant as one object: model, index, retriever and answerer wired from Settings.
CLI, UI and evaluation all go through it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from assistant.answer import Answerer, ExtractiveAnswerer, RefusalRule, evidence_for
from assistant.config import Settings
from assistant.followup import rewrite, rewrite_with_llm
from assistant.embedding import Embedder, load_embedder, resolve_model_dir
from assistant.index import Index
from assistant.retrieval import Retriever
from assistant.schema import Answer, Hit


class Assistant:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        model_dir = resolve_model_dir(self.settings.model_path, self.settings.model_dir)
        return load_embedder(model_dir, self.settings.embed_batch)

    @cached_property
    def index(self) -> Index:
        return Index(self.settings.index_dir, self.settings.chroma_url, self.embedder.fingerprint)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, self.settings)

    @cached_property
    def chat_model(self) -> Any | None:
        """The configured LangChain chat model, or None (extractive answers only): docs/llm.md."""
        from assistant.llm import build_chat_model

        return build_chat_model(self.settings)

    @cached_property
    def answerer(self) -> Answerer:
        s = self.settings
        rule = RefusalRule(s.refuse_min_dense, s.refuse_strong_dense, s.refuse_min_coverage)
        if self.chat_model is not None:
            from assistant.generate import build_generative_answerer

            return build_generative_answerer(s, rule, chat_model=self.chat_model)
        return ExtractiveAnswerer(rule, s.answer_passages)

    def rewrite(self, question: str, history: list[str] | None) -> tuple[str, str]:
        """(standalone query, how: none | rule | llm) for a question in a conversation."""
        if history and self.chat_model is not None and self.settings.llm_rewrite:
            return rewrite_with_llm(question, history, self.chat_model, timeout=min(15.0, self.settings.llm_timeout))
        query = rewrite(question, history)
        return query, ("rule" if query != question.strip() else "none")

    def search(self, query: str, k: int | None = None, method: str = "hybrid") -> list[Hit]:
        return self.retriever.search(query, k=k, method=method)

    def ask(self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None) -> Answer:
        """`history`: the user's earlier questions in this chat, oldest first."""
        t0 = time.perf_counter()
        query, qp, hits, ev, how = self._prepare(question, k, method, history)
        ans = self.answerer.answer(qp.text, hits, ev)
        return self._finish(ans, question, qp, how, t0)

    def ask_stream(
        self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None
    ) -> Iterator[str | Answer]:
        """For the UI: yields the answer text verified so far (a growing str; generative answers
        only), then the final Answer — the same one `ask` returns."""
        t0 = time.perf_counter()
        query, qp, hits, ev, how = self._prepare(question, k, method, history)
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            yield self._finish(self.answerer.answer(qp.text, hits, ev), question, qp, how, t0)
            return
        for item in stream(qp.text, hits, ev):
            yield self._finish(item, question, qp, how, t0) if isinstance(item, Answer) else item

    def _prepare(self, question, k, method, history):
        query, how = self.rewrite(question, history)
        qp, hits = self.retriever.retrieve(query, k=k, method=method)
        ev = evidence_for(qp.text, hits, expansions=qp.expansions, unknown=self.retriever.unknown_references(qp))
        return query, qp, hits, ev, how

    def _finish(self, ans: Answer, question: str, qp, how: str, t0: float) -> Answer:
        ans.question = question
        ans.searched_as = qp.searched_as
        ans.meta.setdefault("mode", "extractive")
        if how != "none":
            ans.meta["rewritten_by"] = how
        ans.meta["seconds"] = round(time.perf_counter() - t0, 4)
        ans.meta["index_generation"] = self.index.generation
        return ans
