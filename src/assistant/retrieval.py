"""Hybrid retrieval: dense (mE5 query prompt, Chroma) + BM25 (Thai tokens), fused by weighted RRF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from assistant.config import Settings
from assistant.index import Index
from assistant.schema import Hit
from assistant.thai import index_tokens, normalize

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


@dataclass
class Retriever:
    index: Index
    embedder: Any  # assistant.embedding.Embedder
    settings: Settings

    def search(self, query: str, k: int | None = None, method: str = "hybrid") -> list[Hit]:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        k = k or self.settings.k
        query = normalize(query)
        n = max(self.settings.candidates, k)
        dense: list[tuple[str, float]] = []
        sparse: list[tuple[str, float]] = []
        if method in ("hybrid", "dense"):
            dense = self.index.dense(self.embedder.embed_query_vec(query), n)
        if method in ("hybrid", "bm25"):
            sparse = self.index.bm25(index_tokens(query), n)
        if method == "dense":
            fused = dense
        elif method == "bm25":
            fused = sparse
        else:
            fused = rrf(
                {"dense": [c for c, _ in dense], "bm25": [c for c, _ in sparse]},
                {"dense": self.settings.dense_weight, "bm25": self.settings.bm25_weight},
                self.settings.rrf_k,
            )
        chunks = self.index.chunks([c for c, _ in fused[: n * 2]])
        doc_of = {cid: ch.doc_id for cid, ch in chunks.items()}
        fused = cap_per_doc([(c, s) for c, s in fused if c in chunks], doc_of, self.settings.per_doc_cap, k)
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
        return hits

    def best_dense(self, query: str) -> float:
        """The query's best cosine to any chunk: how much the corpus has to say about it."""
        got = self.index.dense(self.embedder.embed_query_vec(normalize(query)), 1)
        return got[0][1] if got else 0.0


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
