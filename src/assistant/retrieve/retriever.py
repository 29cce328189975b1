"""Hybrid retrieval: dense (mE5 query prompt, Chroma) + BM25 (Thai tokens), fused by weighted RRF."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from assistant.knowledge import glossary
from assistant.config import Settings
from assistant.knowledge.glossary import Glossary, squash
from assistant.store.index import Index
from assistant.schema import Hit
from assistant.query.understand import QueryPlan, cited_acts, references, short_title
from assistant.query.understand import plan as make_plan

METHODS = ("hybrid", "dense", "bm25")


def rrf(rankings: dict[str, list[str]], weights: dict[str, float], k: int = 60) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: sum over lists of weight / (k + rank)."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, 1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def cap_per_doc(items: list[tuple[str, float]], doc_of: dict[str, str], cap: int, k: int) -> list[tuple[str, float]]:
    """Keep the ranking but let no document fill more than `cap` of the first k places."""
    if cap <= 0:
        return items[:k]
    kept, overflow, counts = [], [], {}
    for cid, s in items:
        d = doc_of.get(cid, cid)
        if counts.get(d, 0) < cap:
            counts[d] = counts.get(d, 0) + 1
            kept.append((cid, s))
        else:
            overflow.append((cid, s))
        if len(kept) == k:
            break
    return (kept + overflow)[:k]


class Retriever:
    """Follows a QueryPlan: expanded BM25 and dense lists, fused, named documents boosted,
    then at most `per_doc_cap` hits per document so a second document gets room."""

    def __init__(self, index: Index, embedder: Any, settings: Settings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._derived: tuple[int, Glossary, dict[str, str], str] | None = None
        self._lock = threading.Lock()

    def _knowledge(self) -> tuple[Glossary, dict[str, str]]:
        """Glossary + terms mined from the indexed documents, and Act titles; per index generation."""
        gen = self.index.generation
        with self._lock:
            if self._derived is None or self._derived[0] != gen:
                base = glossary.load_default() if self.settings.use_glossary else Glossary()
                mined = Glossary()
                titles = {}
                if self.settings.use_mined_terms:
                    for doc_id, text in self.index.catalog.iter_texts():
                        for group in glossary.mine(text, doc_id):
                            mined.add(group)
                for d in self.index.documents():
                    if d.title.startswith(("พระราชบัญญัติ", "พระราชกฤษฎีกา", "พระราชกำหนด")):
                        titles[d.doc_id] = short_title(d.title)
                corpus = "\n".join(squash(f"{title}{text}") for title, text in self.index.catalog.iter_titled_texts())
                self._derived = (gen, base.merged(mined), titles, corpus)
            return self._derived[1], self._derived[2]

    def unknown_references(self, qp: QueryPlan) -> list[str]:
        """References in the question ("แนวทางที่ 11", "พ.ร.บ. ควบคุมอาคาร") that no indexed
        text contains: the corpus cannot answer a question about them."""
        _, titles = self._knowledge()
        corpus = self._derived[3]
        missing = [r for r in references(qp.text) if r not in corpus]
        indexed = [squash(t) for t in titles.values()]
        missing += [a for a in cited_acts(qp.text) if not any(a in t or t in a for t in indexed) and a not in missing]
        return missing

    def plan(self, query: str) -> QueryPlan:
        terms, titles = self._knowledge()
        s = self.settings
        return make_plan(query, terms, titles if s.doc_boost else None, s.expand_dense)

    def retrieve(
        self, query: str, k: int | None = None, method: str = "hybrid", allowed: set[str] | None = None
    ) -> tuple[QueryPlan, list[Hit]]:
        """`allowed`: only these chunk ids may be returned (a guideline filter); None → all."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        s = self.settings
        k = k or s.k
        qp = self.plan(query)
        n = max(s.candidates, k)
        if allowed is not None:  # look deeper: the filter drops most candidates
            n = max(n * 4, k * 10)
        dense: list[tuple[str, float]] = []
        sparse: list[tuple[str, float]] = []
        if method in ("hybrid", "dense"):
            dense = self.index.dense(self.embedder.embed_query_vec(qp.dense_text), n)
        if method in ("hybrid", "bm25"):
            sparse = self.index.bm25(qp.tokens, n, qp.extra_tokens, s.expansion_weight)
        if method == "dense":
            fused = dense
        elif method == "bm25":
            fused = sparse
        else:
            fused = rrf(
                {"dense": [c for c, _ in dense], "bm25": [c for c, _ in sparse]},
                {"dense": s.dense_weight, "bm25": s.bm25_weight},
                s.rrf_k,
            )
        chunks = self.index.chunks([c for c, _ in fused[: n * 2]])
        if qp.boost_docs and method == "hybrid" and fused:
            # A question that names an Act: its passages move up by a fixed share of the top score.
            bump = s.doc_boost_share * fused[0][1]
            fused = sorted(
                ((c, sc + bump if c in chunks and chunks[c].doc_id in qp.boost_docs else sc) for c, sc in fused),
                key=lambda kv: (-kv[1], kv[0]),
            )
        if allowed is not None:
            fused = [(c, sc) for c, sc in fused if c in allowed]
        doc_of = {cid: ch.doc_id for cid, ch in chunks.items()}
        fused = cap_per_doc([(c, sc) for c, sc in fused if c in chunks], doc_of, s.per_doc_cap, k)
        dense_of, bm25_of = dict(dense), dict(sparse)
        hits = []
        for rank, (cid, score) in enumerate(fused, 1):
            ch = chunks[cid]
            evidence = {"dense": dense_of.get(cid), "bm25": bm25_of.get(cid)}
            hits.append(
                Hit(
                    chunk_id=cid,
                    doc_id=ch.doc_id,
                    title=ch.title,
                    location=ch.location,
                    text=ch.text,
                    score=round(float(score), 6),
                    rank=rank,
                    source=ch.source,
                    scores={k_: v for k_, v in evidence.items() if v is not None},
                )
            )
        return qp, hits

    def search(self, query: str, k: int | None = None, method: str = "hybrid", allowed: set[str] | None = None) -> list[Hit]:
        return self.retrieve(query, k, method, allowed)[1]


class HybridRetriever(BaseRetriever):
    """The retriever as a LangChain component, so chains (and an LLM answerer) compose with it."""

    retriever: Any
    k: int = 10
    method: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(page_content=h.text, metadata={k: v for k, v in h.to_dict().items() if k != "text"}, id=h.chunk_id)
            for h in self.retriever.search(query, k=self.k, method=self.method)
        ]
