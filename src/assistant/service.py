"""The assistant as one object: model, index, retriever and answerer wired from Settings.
CLI, UI and evaluation all go through it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from assistant.answer.extractive import Answerer, ExtractiveAnswerer, RefusalRule, evidence_for
from assistant.config import Settings
from assistant.query.followup import rewrite, rewrite_with_llm
from assistant.model.embedding import Embedder, embedder_for, fingerprint_for
from assistant.store.index import Index
from assistant.retrieve.retriever import Retriever
from assistant.schema import Answer, Hit


class Assistant:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        return embedder_for(self.settings)

    @cached_property
    def index(self) -> Index:
        return Index(self.settings.index_dir, self.settings.chroma_url, fingerprint_for(self.settings))

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, self.settings)

    @cached_property
    def guideline_tags(self):
        """Guideline tags of every chunk, per index generation (assistant.knowledge.guidelines)."""
        from assistant.knowledge.guidelines import GuidelineTags

        return GuidelineTags(self.index, self.embedder, self.settings.guideline_threshold)

    def _allowed(self, guideline: int | None) -> set[str] | None:
        if guideline is None:
            return None
        if self.guideline_tags.gset.get(int(guideline)) is None:
            raise ValueError(f"no guideline {guideline}; the guidelines are numbered {self.guideline_tags.gset.numbers}")
        return self.guideline_tags.chunks_for(int(guideline))

    @cached_property
    def chat_model(self) -> Any | None:
        """The configured LangChain chat model, or None (extractive answers only): docs/llm.md."""
        from assistant.answer.llm import build_chat_model

        return build_chat_model(self.settings)

    @cached_property
    def answerer(self) -> Answerer:
        s = self.settings
        rule = RefusalRule(s.refuse_min_dense, s.refuse_strong_dense, s.refuse_min_coverage)
        if self.chat_model is not None:
            from assistant.answer.generative import build_generative_answerer

            return build_generative_answerer(s, rule, chat_model=self.chat_model)
        return ExtractiveAnswerer(rule, s.answer_passages, s.cite_ratio)

    def rewrite(self, question: str, history: list[str] | None) -> tuple[str, str]:
        """(standalone query, how: none | rule | llm) for a question in a conversation."""
        if history and self.chat_model is not None and self.settings.llm_rewrite:
            return rewrite_with_llm(question, history, self.chat_model, timeout=min(15.0, self.settings.llm_timeout))
        query = rewrite(question, history)
        return query, ("rule" if query != question.strip() else "none")

    def check_index(self) -> list:
        """Raise IndexDamaged (assistant.store.health) rather than answer from half an index:
        a catalog that cannot be read, vectors missing, a vector store gone. Returns the
        problems that do not stop answers (a keyword index that is rebuilt when searched)."""
        import sqlite3

        from assistant.store.health import IndexDamaged

        try:
            return self.index.require_healthy()
        except sqlite3.DatabaseError as exc:
            raise IndexDamaged(self.settings.index_dir, f"the catalog cannot be read ({exc})",
                               f"`assistant doctor --index {self.settings.index_dir}`") from None

    def search(self, query: str, k: int | None = None, method: str = "hybrid", guideline: int | None = None) -> list[Hit]:
        """`guideline`: only passages tagged with that guideline (1–10)."""
        self.check_index()
        return self.retriever.search(query, k=k, method=method, allowed=self._allowed(guideline))

    def ask(
        self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None,
        guideline: int | None = None,
    ) -> Answer:
        """`history`: the user's earlier questions in this chat, oldest first; `guideline`: answer
        only from passages tagged with that guideline."""
        t0 = time.perf_counter()
        self.check_index()
        query, qp, hits, ev, how = self._prepare(question, k, method, history, guideline)
        ans = self.answerer.answer(qp.text, hits, ev)
        return self._finish(ans, question, qp, how, t0)

    def ask_stream(
        self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None
    ) -> Iterator[str | Answer]:
        """For the UI: yields the answer text verified so far (a growing str; generative answers
        only), then the final Answer — the same one `ask` returns."""
        t0 = time.perf_counter()
        self.check_index()
        query, qp, hits, ev, how = self._prepare(question, k, method, history)
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            yield self._finish(self.answerer.answer(qp.text, hits, ev), question, qp, how, t0)
            return
        for item in stream(qp.text, hits, ev):
            yield self._finish(item, question, qp, how, t0) if isinstance(item, Answer) else item

    def _prepare(self, question, k, method, history, guideline=None):
        query, how = self.rewrite(question, history)
        qp, hits = self.retriever.retrieve(query, k=k, method=method, allowed=self._allowed(guideline))
        ev = evidence_for(qp.text, hits, expansions=qp.expansions, unknown=self.retriever.unknown_references(qp))
        return query, qp, hits, ev, how

    def _finish(self, ans: Answer, question: str, qp, how: str, t0: float) -> Answer:
        ans.question = question
        ans.searched_as = qp.searched_as
        ans.meta.setdefault("mode", "extractive")
        if how != "none":
            ans.meta["rewritten_by"] = how
        if not ans.refused:
            self._add_guidelines(ans, qp.text)
        ans.meta["seconds"] = round(time.perf_counter() - t0, 4)
        ans.meta["index_generation"] = self.index.generation
        return ans

    def _add_guidelines(self, ans: Answer, question: str) -> None:
        """Which guidelines the answer touches: those the question names, else the tags of the
        cited passages (at most 3). Into meta["guidelines"], and as a last line of an extractive
        answer ("เกี่ยวข้องกับแนวทางที่ 7 และ 8"). Never fails an answer."""
        from assistant.knowledge.guidelines import named, touches_line

        try:
            tags = self.guideline_tags
            nums = sorted(named(question, tags.gset.numbers))
            if not nums:
                cited = {c.text for c in ans.citations}
                ids = [h.chunk_id for h in ans.hits if h.text in cited] or [h.chunk_id for h in ans.hits[:3]]
                nums = tags.for_hits(ids, top=len(ids))[:3]
        except Exception:  # noqa: BLE001 (tags are an extra; the answer stands without them)
            import logging

            logging.getLogger("assistant").exception("guideline tags unavailable")
            return
        ans.meta["guidelines"] = nums
        if nums and ans.meta.get("mode") == "extractive":
            ans.answer = ans.answer.rstrip("\n") + "\n" + touches_line(nums)
