"""Vectors in several Chroma servers (shards): `--chroma-url http://a:8001,http://b:8002`.

A document's chunks go to one shard, chosen by a hash of its id (a document's neighbours stay
together); everything else asks every shard, so a vector is found, deleted or counted wherever
it is, even after the list of shards changed. A query goes to every shard at once and the lists
are merged by cosine: each shard's top n holds every vector of the global top n that it owns."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from assistant.store.vectors import WRITE_BATCH, VectorStore


class ShardDown(RuntimeError):
    """A shard that did not answer: `url` says which."""

    def __init__(self, url: str, exc: BaseException):
        self.url = url
        super().__init__(f"the vector shard {url} cannot be reached ({type(exc).__name__}: {str(exc)[:160]})")


def shard_of(doc_id: str, n: int) -> int:
    """Which of n shards holds a document: stable across processes and machines (not hash())."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % n


def split_urls(url: str | None) -> list[str]:
    return [u.strip() for u in (url or "").split(",") if u.strip()]


class ShardedVectors:
    """The VectorStore methods over several servers, one collection name in each."""

    def __init__(self, urls: list[str], collection: str, model: str | None = None, path=None):
        self.urls = list(urls)
        self.shards = [self._ask(u, lambda u=u: VectorStore(path, u, collection, model=model)) for u in self.urls]
        self.name = collection
        self._pool = ThreadPoolExecutor(max_workers=len(self.shards), thread_name_prefix="shard")

    @staticmethod
    def _ask(url: str, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 (chromadb raises its own and httpx's types)
            raise ShardDown(url, exc) from None

    def _each(self, call) -> list:
        """call(shard) on every shard at once; ShardDown names the first that failed."""
        futures = [self._pool.submit(self._ask, url, lambda s=s: self._twice(s, call)) for url, s in zip(self.urls, self.shards)]
        return [f.result() for f in futures]

    @staticmethod
    def _twice(shard: VectorStore, call):
        # A shard server that restarted no longer knows the collection object this client holds:
        # find it again, once, before calling the shard down (one that lost it stays down).
        try:
            return call(shard)
        except Exception:  # noqa: BLE001
            shard.reopen()
            return call(shard)

    # ---- what VectorStore offers
    @property
    def model(self) -> str | None:
        return self.shards[0].model

    def set_model(self, model: str) -> None:
        self._each(lambda s: s.set_model(model))

    def recreate(self, model: str | None = None) -> None:
        self._each(lambda s: s.recreate(model))

    def count(self) -> int:
        return sum(self.counts())

    def counts(self) -> list[int]:
        """Vectors in each shard, in the order of `urls`."""
        return self._each(lambda s: s.count())

    def close(self) -> None:
        for s in self.shards:
            s.close()
        self._pool.shutdown(wait=False)

    def _place(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], put) -> None:
        """put(shard, ids, vectors, metadatas) for the rows each shard owns."""
        placed: dict[int, list[int]] = {}
        for i, meta in enumerate(metadatas):
            placed.setdefault(shard_of(meta["doc_id"], len(self.shards)), []).append(i)
        vectors = np.asarray(vectors)
        for n, rows in placed.items():
            self._ask(self.urls[n], lambda n=n, rows=rows: self._twice(self.shards[n], lambda s: put(
                s, [ids[i] for i in rows], vectors[rows], [metadatas[i] for i in rows])))

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], batch: int = WRITE_BATCH) -> None:
        self._place(ids, vectors, metadatas, lambda s, *rows: s.add(*rows, batch=batch))

    def bulk_add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], cap: int = 5000) -> None:
        self._place(ids, vectors, metadatas, lambda s, *rows: s.bulk_add(*rows, cap=cap))  # each server's own batch limit

    def pages(self, size: int = 5000, metadatas: bool = False):
        for url, s in zip(self.urls, self.shards):
            self._ask(url, lambda s=s: self._twice(s, lambda s: s.count()))  # a restarted shard is found again first
            try:
                yield from s.pages(size, metadatas)
            except Exception as exc:  # noqa: BLE001
                raise ShardDown(url, exc) from None

    @property
    def search_ef(self) -> int | None:
        return self.shards[0].search_ef

    def set_search_ef(self, ef: int) -> None:
        self._each(lambda s: s.set_search_ef(ef))

    def get_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for got in self._each(lambda s: s.get_vectors(ids)):
            out.update(got)
        return out

    def all_ids(self) -> set[str]:
        return set().union(*self._each(lambda s: s.all_ids()))

    def delete(self, ids: list[str]) -> None:
        self._each(lambda s: s.delete(ids))

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        merged = [hit for hits in self._each(lambda s: s.query(vector, n)) for hit in hits]
        return sorted(merged, key=lambda h: -h[1])[:n]


def open_vectors(path, url: str | None, collection: str, model: str | None = None):
    """The vector store settings name: a folder, one server, or several servers as shards."""
    urls = split_urls(url)
    if len(urls) > 1:
        return ShardedVectors(urls, collection, model=model, path=path)
    return VectorStore(path, urls[0] if urls else None, collection, model=model)
