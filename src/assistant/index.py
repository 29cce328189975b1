"""One index folder: the catalog (truth), Chroma (dense vectors) and the BM25 keyword index.

Write order keeps a killed process harmless: vectors are upserted first (invisible until the
catalog names them), then the catalog commits the batch in one transaction, then the keyword
index is rebuilt for the new generation. A reader trusts only chunk ids the catalog holds and
rebuilds a keyword index that lags the catalog's generation.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.catalog import Catalog, DocInfo
from assistant.keyword import KeywordIndex
from assistant.schema import Chunk, Document
from assistant.thai import index_tokens
from assistant.vectors import VectorStore

FORMAT_VERSION = "1"


class IndexError_(RuntimeError):
    pass


class ModelMismatch(IndexError_):
    pass


def passage_text(chunk: Chunk) -> str:
    """What the dense model reads: the document title gives a chunk its context."""
    return f"{chunk.title[:100]}\n{chunk.text}"


def keyword_tokens(chunk: Chunk) -> list[str]:
    return index_tokens(f"{chunk.title}\n{chunk.location}\n{chunk.text}")


@dataclass
class WriteReport:
    added_docs: list[str] = field(default_factory=list)
    replaced_docs: list[str] = field(default_factory=list)
    unchanged_docs: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_embedded: int = 0


class Index:
    def __init__(self, root: Path, chroma_url: str | None = None, model_fingerprint: str | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.root / "catalog.sqlite")
        stored = self.catalog.get_meta("model")
        if model_fingerprint and stored and stored != model_fingerprint:
            raise ModelMismatch(
                f"{self.root}: index was built with model {stored}, not {model_fingerprint}; "
                "use that model (--model) or re-ingest into a new --index folder"
            )
        if model_fingerprint and not stored:
            self.catalog.set_meta("model", model_fingerprint)
            self.catalog.set_meta("format", FORMAT_VERSION)
        self.model_fingerprint = stored or model_fingerprint
        collection = "chunks"
        if chroma_url:
            # A shared server holds many indexes: one collection per index folder.
            collection = self.catalog.get_meta("collection") or "idx-" + hashlib.sha1(str(self.root.resolve()).encode()).hexdigest()[:12]
            self.catalog.set_meta("collection", collection)
        self.vectors = VectorStore(self.root / "chroma", chroma_url, collection)
        self._keyword: KeywordIndex | None = None
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- reading
    @property
    def generation(self) -> int:
        return self.catalog.generation

    def keyword(self) -> KeywordIndex:
        """The keyword index for the catalog's current generation, loaded once per generation."""
        gen = self.generation
        with self._lock:
            if self._keyword is not None and self._keyword.generation == gen:
                return self._keyword
            kw = KeywordIndex.load(self.root / "keyword")
            if kw is None or kw.generation != gen:
                kw = self._rebuild_keyword(gen)
            self._keyword = kw
            return kw

    def _rebuild_keyword(self, gen: int) -> KeywordIndex:
        ids, toks = self.catalog.all_tokens()
        kw = KeywordIndex.build(toks, ids, gen)
        try:
            kw.save(self.root / "keyword")
        except OSError:
            pass  # a read-only index still answers from memory
        return kw

    def documents(self) -> list[DocInfo]:
        return self.catalog.documents()

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        return self.catalog.chunks(ids)

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        # Over-fetch: Chroma may hold orphans of a killed ingest that the catalog does not name.
        got = self.vectors.query(vector, n + 10)
        known = self.catalog.chunks([cid for cid, _ in got])
        return [(cid, s) for cid, s in got if cid in known][:n]

    def bm25(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        return self.keyword().search(tokens, n)

    # ---------------------------------------------------------------- writing
    def needs_update(self, doc: Document) -> bool:
        info = self.catalog.document(doc.doc_id)
        return info is None or info.sha256 != doc.sha256

    def write(self, batch: list[tuple[Document, list[Chunk]]], embed) -> WriteReport:
        """Write a batch of documents atomically. `embed(texts) -> np.ndarray` is called only for
        chunks whose vectors Chroma does not already hold (content-hash ids)."""
        report = WriteReport()
        with self._lock:
            todo = []
            shas = self.catalog.doc_shas()
            for doc, chunks in batch:
                if shas.get(doc.doc_id) == doc.sha256:
                    report.unchanged_docs.append(doc.doc_id)
                    continue
                (report.replaced_docs if doc.doc_id in shas else report.added_docs).append(doc.doc_id)
                todo.append((doc, chunks))
            if not todo:
                return report
            all_chunks = [c for _, cs in todo for c in cs]
            ids = [c.chunk_id for c in all_chunks]
            have = self.vectors.get_vectors(ids)
            missing = [c for c in all_chunks if c.chunk_id not in have]
            if missing:
                vecs = embed([passage_text(c) for c in missing])
                self.vectors.add(
                    [c.chunk_id for c in missing],
                    vecs,
                    [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c in missing],
                )
            report.chunks_embedded = len(missing)
            old_ids = set()
            for doc, _ in todo:
                old_ids.update(self.catalog.chunk_ids(doc.doc_id))
            rows = [
                (
                    DocInfo(doc.doc_id, doc.title, doc.source, doc.kind, doc.sha256, len(cs), 0.0, doc.meta),
                    cs,
                    [keyword_tokens(c) for c in cs],
                )
                for doc, cs in todo
            ]
            gen = self.catalog.replace_documents(rows)
            report.chunks_added = len(set(ids) - old_ids)
            stale = sorted(old_ids - set(ids))
            if stale:
                self.vectors.delete(stale)
            self._keyword = self._rebuild_keyword(gen)
        return report

    def remove(self, doc_ids: list[str]) -> int:
        with self._lock:
            ids = [cid for d in doc_ids for cid in self.catalog.chunk_ids(d)]
            known = [d for d in doc_ids if self.catalog.document(d)]
            if not known:
                return 0
            gen = self.catalog.replace_documents([], remove=known)
            if ids:
                self.vectors.delete(ids)
            self._keyword = self._rebuild_keyword(gen)
            return len(known)

    # ---------------------------------------------------------------- consistency
    def check(self) -> dict:
        """Compare the three stores; what `assistant doctor` prints."""
        cat = set(self.catalog.chunk_ids())
        vec = self.vectors.all_ids()
        kw = KeywordIndex.load(self.root / "keyword")
        return {
            "model": self.model_fingerprint,
            "generation": self.generation,
            "documents": len(self.catalog.documents()),
            "chunks": len(cat),
            "missing_vectors": sorted(cat - vec),
            "orphan_vectors": sorted(vec - cat),
            "keyword_generation": kw.generation if kw else None,
            "keyword_matches": bool(kw and kw.generation == self.generation and set(kw.chunk_ids) == cat),
        }

    def repair(self, embed) -> dict:
        with self._lock:
            report = self.check()
            if report["orphan_vectors"]:
                self.vectors.delete(report["orphan_vectors"])
            missing = report["missing_vectors"]
            if missing:
                chunks = self.catalog.chunks(missing)
                cs = [chunks[i] for i in missing]
                self.vectors.add(missing, embed([passage_text(c) for c in cs]), [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c in cs])
            if not report["keyword_matches"]:
                self._keyword = self._rebuild_keyword(self.generation)
        return self.check()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def info(self) -> dict:
        return {
            "index": str(self.root),
            "model": self.model_fingerprint,
            "generation": self.generation,
            "documents": len(self.catalog.documents()),
            "chunks": len(self.catalog.chunk_ids()),
            "bytes": self.size_bytes(),
        }
