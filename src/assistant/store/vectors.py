"""Dense vectors in Chroma: embedded PersistentClient, or a Chroma server by URL.

We always pass our own vectors: Chroma's default embedding function downloads a model."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np

COLLECTION = "chunks"
WRITE_BATCH = 250


def _client(path: Path, url: str | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    opts = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        u = urlparse(url)
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=opts)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=opts)


def forget_clients() -> None:
    """Drop chromadb's per-path client cache: after a store failed to open, chromadb keeps a
    half-started client for that path, and a fresh store there would inherit it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


class VectorStore:
    def __init__(self, path: Path, url: str | None = None, collection: str = COLLECTION, model: str | None = None):
        self.client = _client(path, url)
        self._path, self._url = (Path(path) if path is not None else None), url  # a server needs no folder
        self._max_batch: int | None = None
        self.name = collection
        self._model = model
        self.col = self._open()

    def _open(self):
        # hnsw:space cosine: vectors are normalised, distance = 1 - cosine. The collection also
        # records the embedding model that made its vectors (set once, at creation).
        meta = {"hnsw:space": "cosine", "hnsw:M": 16, "hnsw:construction_ef": 100, "hnsw:search_ef": 200}  # ef 200: recall@60 0.989 at 100k (docs/scaling.md)
        if self._model:
            meta["model"] = self._model
        return self.client.get_or_create_collection(self.name, embedding_function=None, metadata=meta)

    def reopen(self) -> None:
        """Find the collection again after its server restarted. Never made afresh here: a server
        that lost it must be reported, not searched empty (opening the index anew, as `doctor
        --fix` does, makes it, and the repair fills it)."""
        self.col = self.client.get_collection(self.name, embedding_function=None)

    @property
    def model(self) -> str | None:
        """The model recorded with the vectors (None for collections made before it was recorded)."""
        return (self.col.metadata or {}).get("model")

    def set_model(self, model: str) -> None:
        meta = {k: v for k, v in (self.col.metadata or {}).items() if not k.startswith("hnsw:")}
        self.col.modify(metadata={**meta, "model": model})
        self.col = self.client.get_collection(self.name, embedding_function=None)

    def recreate(self, model: str | None = None) -> None:
        """Drop every vector (they came from another model) and start an empty collection."""
        self._model = model or self._model
        self.client.delete_collection(self.name)
        self.col = self._open()

    def count(self) -> int:
        return self.col.count()

    def close(self) -> None:
        """Release the client: the next VectorStore on this folder reads it afresh from disk."""
        close = getattr(self.client, "close", None)
        if close:
            close()

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], batch: int = WRITE_BATCH) -> None:
        for i in range(0, len(ids), batch):
            self.col.upsert(
                ids=ids[i : i + batch],
                embeddings=vectors[i : i + batch],
                metadatas=metadatas[i : i + batch],
            )

    def bulk_add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], cap: int = 5000) -> None:
        """`add` in the largest batches the client takes (at most `cap`): for loading many vectors."""
        if self._max_batch is None:
            try:
                self._max_batch = int(self.client.get_max_batch_size())
            except Exception:
                self._max_batch = cap
        self.add(ids, vectors, metadatas, batch=min(cap, self._max_batch))

    def pages(self, size: int = 5000, metadatas: bool = False):
        """Every vector, as (ids, vectors, metadatas or None) pages of at most `size`."""
        include = ["embeddings", "metadatas"] if metadatas else ["embeddings"]
        offset = 0
        while True:
            got = self.col.get(include=include, limit=size, offset=offset)
            if not got["ids"]:
                return
            yield got["ids"], np.asarray(got["embeddings"], dtype=np.float32), (got["metadatas"] if metadatas else None)
            offset += len(got["ids"])

    @property
    def search_ef(self) -> int | None:
        """HNSW ef_search of the collection (None when Chroma does not say)."""
        return (self.col.configuration_json or {}).get("hnsw", {}).get("ef_search")

    def set_search_ef(self, ef: int) -> None:
        """Change HNSW ef_search. An embedded client keeps a loaded segment's ef, so the store is
        opened afresh (Chroma's shared-client cache dropped) for the change to take effect."""
        self.col.modify(configuration={"hnsw": {"ef_search": int(ef)}})
        if self._url:
            self.col = self.client.get_collection(self.name, embedding_function=None)
            return
        from chromadb.api.client import SharedSystemClient

        self.close()
        SharedSystemClient.clear_system_cache()  # another client on this folder would hand back the old segment
        self.client = _client(self._path, None)
        self.col = self.client.get_collection(self.name, embedding_function=None)

    def get_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), WRITE_BATCH):
            got = self.col.get(ids=ids[i : i + WRITE_BATCH], include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"]):
                out[cid] = np.asarray(vec, dtype=np.float32)
        return out

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            got = self.col.get(include=[], limit=5000, offset=offset)
            if not got["ids"]:
                return ids
            ids.update(got["ids"])
            offset += len(got["ids"])

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), WRITE_BATCH):
            self.col.delete(ids=ids[i : i + WRITE_BATCH])

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        # Chroma returns fewer results when it holds fewer: no count() first (12 ms at 100k chunks).
        res = self.col.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]
