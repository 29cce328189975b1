"""The assistant as one object: model, index and the three stages wired from Settings —
query understanding (QueryPlan) → retrieval (Retrieval) → answer (Answer). CLI, API, UI and
evaluation all go through it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from assistant.answer.answerers import Answerer
from assistant.answer.build import build_answerer
from assistant.answer.evidence import task_refusal
from assistant.answer.scope import scope_line, suggestions
from assistant.config import Settings
from assistant.model.embedding import Embedder, embedder_for, fingerprint_for
from assistant.query.followup import rewrite, rewrite_with_llm
from assistant.query.request import task_of
from assistant.query.understand import QueryUnderstanding
from assistant.retrieve.retriever import Retriever
from assistant.schema import Answer, Hit, QueryPlan, Retrieval
from assistant.store.index import Index

log = logging.getLogger("assistant")


class Assistant:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._scope: tuple[int, str] | None = None  # (index generation, scope line)

    @cached_property
    def embedder(self) -> Embedder:
        return embedder_for(self.settings)

    @cached_property
    def index(self) -> Index:
        return Index.from_settings(self.settings, fingerprint_for(self.settings))

    @cached_property
    def understanding(self) -> QueryUnderstanding:
        return QueryUnderstanding(self.index, self.settings)

    @cached_property
    def retriever(self) -> Retriever:
        # "แนวทางที่ N" means the guidelines of the document the guidelines file names.
        source = (self.guidelines.source.get("doc_id") if self.guidelines else None)
        preferred = {"แนวทาง": [source]} if source else {}
        notes = {("แนวทาง", source): {g.number: f"{g.title} {g.description}" for g in self.guidelines}} if source else {}
        return Retriever(self.index, self.embedder, self.settings, self.understanding, preferred, notes)

    @cached_property
    def guidelines(self):
        """The guideline set (Settings.guidelines_file, default the shipped one); None if unreadable."""
        import yaml

        from assistant.knowledge.guidelines import load

        try:
            return load(self.settings.guidelines_file)
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:  # answers stand without them
            log.warning("guidelines unavailable: %s", exc)
            return None

    @cached_property
    def guideline_tags(self):
        """Guideline tags of every chunk, per index generation (assistant.knowledge.guidelines)."""
        from assistant.knowledge.guidelines import GuidelineTags

        return GuidelineTags(self.index, self.embedder, self.settings.guideline_threshold, self.guidelines)

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
        return build_answerer(self.settings, self.chat_model)

    # ------------------------------------------------------------------ the stages
    def understand(self, question: str, history: list[str] | None = None) -> QueryPlan:
        """Stage 1: the question (made standalone in a chat) as a QueryPlan."""
        query, how = self.rewrite(question, history)
        plan = self.understanding.plan(query, self.guidelines.numbers if self.guidelines else [])
        plan.rewritten_by = how
        return plan

    def retrieve(self, plan: QueryPlan, k: int | None = None, method: str = "hybrid", guideline: int | None = None) -> Retrieval:
        """Stage 2: ranked passages for a plan, with evidence and the hits' guideline tags."""
        r = self.retriever.retrieve(plan, k=k, method=method, allowed=self._allowed(guideline))
        try:
            tags = self.guideline_tags
            _, tagged, scores = tags.state()
            r.tags = {h.chunk_id: tagged.get(h.chunk_id, []) for h in r.hits}
            r.tag_margins = {h.chunk_id: {g: v - tags.threshold for g, v in scores.get(h.chunk_id, {}).items()}
                             for h in r.hits}
        except Exception:  # noqa: BLE001 (tags are an extra; the answer stands without them)
            log.exception("guideline tags unavailable")
        return r

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
        from assistant.store.health import catalog_errors, catalog_unreadable_for

        try:
            return self.index.require_healthy()
        except catalog_errors() as exc:
            raise catalog_unreadable_for(self.settings, exc) from None

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
        final = None
        for item in self.ask_stream(question, k, method, history, guideline):
            final = item
        return final

    def ask_stream(
        self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None,
        guideline: int | None = None,
    ) -> Iterator[str | Answer]:
        """For the UI: yields the answer text so far (a growing str; generative answers only),
        then the final Answer — the same one `ask` returns."""
        t0 = time.perf_counter()
        self.check_index()
        refused = self.refuse_task(question)  # before a follow-up is rewritten: nothing is searched
        if refused:
            yield self._finish(refused, question, QueryPlan.bare(question), t0)
            return
        plan = self.understand(question, history)
        r = self.retrieve(plan, k, method, guideline)
        for item in self.answerer.stream(r):
            yield self._finish(item, question, plan, t0) if isinstance(item, Answer) else item

    def refuse_task(self, question: str) -> Answer | None:
        """A request to write, compute, translate or chat (query/request.py) is refused unsearched: no
        passage answers it. None for a question the documents may answer."""
        task = task_of(question) if self.settings.answerability else None
        return task_refusal(question, task) if task else None

    def answer(self, r: Retrieval) -> Answer:
        """The final answer to a retrieval, as `ask` gives it (what the evaluation scores)."""
        ans = self.refuse_task(r.plan.question) or self.answerer.answer(r)
        if ans.refused:
            self._explain_refusal(ans)
        return ans

    def scope(self) -> str:
        """What the collection covers, in one Thai line (refusals say it)."""
        gen = self.index.generation
        if self._scope is None or self._scope[0] != gen:
            self._scope = (gen, scope_line(self.index.catalog.documents()))
        return self._scope[1]

    def _explain_refusal(self, ans: Answer) -> None:
        """A refusal says what the collection covers and, unless it refused a task, offers
        questions on the nearest topics the documents do cover (once per answer)."""
        if "scope" in ans.meta:
            return
        lines = [self.scope()]
        if ans.meta.get("refusal") != "task":
            ans.meta["suggestions"] = suggestions(ans.hits, self.understanding.knowledge().guidance)
            if ans.meta["suggestions"]:
                lines.append("ลองถามเรื่องที่เอกสารมี:\n" + "\n".join(f"- {q}" for q in ans.meta["suggestions"]))
        ans.meta["scope"] = lines[0]
        ans.answer = ans.answer.rstrip("\n") + "\n" + "\n".join(lines)

    def _finish(self, ans: Answer, question: str, plan: QueryPlan, t0: float) -> Answer:
        if ans.refused:
            self._explain_refusal(ans)
        ans.question = question
        ans.searched_as = plan.searched_as
        ans.meta.setdefault("mode", "extractive")
        if plan.rewritten_by != "none":
            ans.meta["rewritten_by"] = plan.rewritten_by
        ans.meta["seconds"] = round(time.perf_counter() - t0, 4)
        ans.meta["index_generation"] = self.index.generation
        return ans
