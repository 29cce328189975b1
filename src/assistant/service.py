"""The assistant as one object: model, index, retriever and answerer wired from Settings.
CLI, UI and evaluation all go through it."""

from __future__ import annotations

import time
from functools import cached_property

from assistant.answer import ExtractiveAnswerer, RefusalRule, evidence_for
from assistant.config import Settings
from assistant.followup import rewrite
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
    def answerer(self) -> ExtractiveAnswerer:
        s = self.settings
        rule = RefusalRule(s.refuse_min_dense, s.refuse_strong_dense, s.refuse_min_coverage)
        return ExtractiveAnswerer(rule, s.answer_passages)

    def search(self, query: str, k: int | None = None, method: str = "hybrid") -> list[Hit]:
        return self.retriever.search(query, k=k, method=method)

    def ask(self, question: str, k: int | None = None, method: str = "hybrid", history: list[str] | None = None) -> Answer:
        """`history`: the user's earlier questions in this chat, oldest first."""
        t0 = time.perf_counter()
        query = rewrite(question, history)
        qp, hits = self.retriever.retrieve(query, k=k, method=method)
        ev = evidence_for(qp.text, hits, expansions=qp.expansions, unknown=self.retriever.unknown_references(qp))
        ans = self.answerer.answer(qp.text, hits, ev)
        ans.question = question
        ans.searched_as = qp.searched_as
        ans.meta["seconds"] = round(time.perf_counter() - t0, 4)
        ans.meta["index_generation"] = self.index.generation
        return ans
