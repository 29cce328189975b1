"""One index folder: the catalog (truth), Chroma (dense vectors) and the BM25 keyword index
(bm25s in `keyword/`, rebuilt per write; or Tantivy in `keyword-tantivy/`, updated per document).

Write order keeps a killed process harmless: vectors are upserted first (invisible until the
catalog names them), then the catalog commits the batch in one transaction, then the keyword
index is rebuilt for the new generation. A reader trusts only chunk ids the catalog holds and
rebuilds a keyword index that lags the catalog's generation.

Concurrency: writers (ingest, remove, repair) take the index's write lock, a thread lock plus
an flock on `<index>/.write.lock`, so two processes never interleave their bookkeeping; the
lock is held per batch, never while a reader waits. Readers take no lock: each thread has its
own SQLite connection, so a search sees either the state before a commit or the one after,
and `Index.reading()` pins one snapshot across several calls.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.knowledge.collections import role_of
from assistant.schema import Chunk, Document
from assistant.store import health as _health
from assistant.store.catalog import Catalog, DocInfo
from assistant.store.health import IndexDamaged, catalog_problem, catalog_unreadable, inspect_catalog
from assistant.store.keyword import KeywordIndex
from assistant.store.keyword_tantivy import DocTokens, TantivyKeywords, TantivyStore
from assistant.store.shards import ShardDown, ShardedVectors, open_vectors
from assistant.store.vectors import VectorStore, forget_clients
from assistant.text.thai import TOKENIZER_VERSION, index_tokens

FORMAT_VERSION = "1"
# Testing hook: ASSISTANT_CRASH_AT=before-commit|after-commit makes a writer SIGKILL itself there,
# so the crash tests can kill a process at the exact point a timing-based kill rarely hits.
CRASH_ENV = "ASSISTANT_CRASH_AT"
KEYWORD_BACKENDS = ("bm25s", "tantivy")


class IndexError_(RuntimeError):
    pass


class ModelMismatch(IndexError_):
    pass


@dataclass
class Problem:
    """One disagreement between the stores. `blocking`: answers would come from half an index
    (ask/search refuse); otherwise the index answers fully and `fix` tidies up."""

    text: str
    fix: str
    blocking: bool


# Up to this many vectors, dense search scores every vector (~15 MB and ~4 ms a query at 5k;
# 60 MB at 20k) instead of asking HNSW, whose misses differ between processes; above it, HNSW.
EXACT_MAX = 20_000
BACKUP_EVERY_S = 600.0  # during a long ingest, the catalog backup is refreshed at most this often


def passage_text(chunk: Chunk) -> str:
    """What the dense model reads: the document title gives a chunk its context."""
    return f"{chunk.title[:100]}\n{chunk.text}"


def is_current(info: DocInfo | None, doc: Document) -> bool:
    """Does the catalog entry already hold this document as read now? Not when its text changed,
    nor when it moved to another collection or was read by another version of the loaders and
    chunker (the entry is rewritten; vectors of unchanged chunks are reused)."""
    if info is None or info.sha256 != doc.sha256:
        return False
    if "collection" in doc.meta and role_of(info.meta, info.source) != doc.meta["collection"]:
        return False
    return "parser" not in doc.meta or info.meta.get("parser") == doc.meta["parser"]


def keyword_tokens(chunk: Chunk) -> list[str]:
    return index_tokens(f"{chunk.title}\n{chunk.location}\n{chunk.text}")


def _as_stored(tokens: list[str]) -> list[str]:
    # the catalog keeps tokens space-joined, so a token with a space ("ต่าง ๆ") comes back as two
    return " ".join(tokens).split(" ") if tokens else []


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class WriteReport:
    added_docs: list[str] = field(default_factory=list)
    replaced_docs: list[str] = field(default_factory=list)
    unchanged_docs: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_embedded: int = 0


class Index:
    def __init__(self, root: Path, chroma_url: str | None = None, model_fingerprint: str | None = None,
                 repair: bool = False, rebuilding: bool = False, keyword_backend: str = "bm25s",
                 catalog_url: str | None = None):
        """Open (or create) the index in `root`. Raises IndexDamaged when the catalog is damaged
        or lost (missing, empty or unreadable while vectors or a backup remain): a lost catalog
        is never mistaken for a new index (`rebuilding`: it is being re-made on purpose). With
        `repair` (doctor --fix), a vector store that cannot be opened is set aside and started
        afresh instead of raising. `keyword_backend`: bm25s or tantivy (KEYWORD_BACKENDS).
        `catalog_url`: a PostgreSQL catalog (postgresql://…) instead of `root`/catalog.sqlite;
        `root` keeps the stores derived from it."""
        if keyword_backend not in KEYWORD_BACKENDS:
            raise IndexError_(f"unknown keyword backend {keyword_backend!r}; choose from {', '.join(KEYWORD_BACKENDS)}")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.keyword_backend = keyword_backend
        self._kw_dir = self.root / ("keyword-tantivy" if keyword_backend == "tantivy" else "keyword")
        chroma_dir = self.root / "chroma"
        had_chroma = chroma_url is not None or chroma_dir.exists()
        if catalog_url:
            self.catalog = open_catalog_db(self.root, catalog_url)
            n_chunks = self.catalog.counts()[0]
        else:
            state = inspect_catalog(self.root / _health.CATALOG)
            damage = catalog_problem(self.root, state, lambda: 0 if rebuilding else _count_vectors(chroma_dir, chroma_url))
            if damage is not None and not (rebuilding and damage.part == "catalog" and state.state != "damaged"):
                raise damage
            try:
                self.catalog = Catalog(self.root / _health.CATALOG)
            except sqlite3.DatabaseError as exc:  # damaged between the check and the open
                raise IndexDamaged(self.root, f"the catalog cannot be opened ({exc})", f"`assistant doctor --index {self.root}`") from None
            n_chunks = state.chunks
        stored = self.catalog.get_meta("model")
        if model_fingerprint and stored and stored != model_fingerprint:
            raise ModelMismatch(
                f"{self.root}: index was built with model {stored}, not {model_fingerprint}; "
                "use that model (--model) or re-ingest into a new --index folder"
            )
        self.model_fingerprint = stored or model_fingerprint
        collection = "chunks"
        if chroma_url:
            # A shared server holds many indexes: one collection per index folder.
            collection = self.catalog.get_meta("collection")
            if not collection:  # written once: a replica's readers cannot write
                collection = "idx-" + hashlib.sha1(str(self.root.resolve()).encode()).hexdigest()[:12]
                self.catalog.set_meta("collection", collection)
        self._chroma_url = chroma_url
        self._collection = collection
        self._opened_problems: list[Problem] = []
        if not had_chroma and n_chunks:
            self._opened_problems.append(Problem(
                f"the vector store {chroma_dir} is missing ({n_chunks} chunk(s) in the catalog have no vector)",
                f"`assistant doctor --fix --index {self.root}` ({self._refill_how})", True))
        try:
            self.vectors = open_vectors(chroma_dir, chroma_url, collection, model=self.model_fingerprint)
        except Exception as exc:  # a truncated or foreign chroma.sqlite3: chromadb raises its own types
            if not repair or chroma_url:
                raise IndexDamaged(
                    self.root, f"the vector store {chroma_dir} cannot be opened ({type(exc).__name__}: {str(exc)[:120]})",
                    f"`assistant doctor --fix --index {self.root}` (sets it aside and re-embeds)", part="vectors") from None
            aside = chroma_dir.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(chroma_dir, aside)
            forget_clients()
            self.vectors = VectorStore(chroma_dir, None, collection, model=self.model_fingerprint)
        # A database that was never this index's catalog (no model recorded yet) beside vectors is a
        # lost or wrong catalog, not a new index: never let `doctor --fix` drop those vectors as
        # orphans. One that records the model but no chunks is a first ingest killed before its
        # commit, which the same ingest finishes (as health.catalog_problem judges a file).
        n_vectors = self.vectors.count() if catalog_url and not stored and not n_chunks and not rebuilding else 0
        if n_vectors:
            self.close()
            raise IndexDamaged(self.root, f"the catalog database {self.catalog.where} holds no chunks while the vector store "
                               f"holds {n_vectors} vectors (a lost or wrong database)",
                               "point --catalog at the right database or restore it; or `assistant rebuild PATH... "
                               f"--index {self.root}` re-ingests into it, reusing the vectors")
        if model_fingerprint and not stored:  # recorded once the index is known not to be a lost one
            self.catalog.set_meta("model", model_fingerprint)
            self.catalog.set_meta("format", FORMAT_VERSION)
            if not n_chunks:
                self.catalog.set_meta("tokenizer", TOKENIZER_VERSION)
        self._health_key: tuple | None = None
        self._health: list[Problem] = []
        self._last_backup = time.monotonic()
        # Chroma's embedded client keeps its HNSW graph in memory and does not see vectors
        # another process writes: a catalog change made elsewhere re-opens it (see _fresh_vectors).
        self._vectors_seen = self._vector_state()
        self._vec_rw = _RWLock()
        self._exact: tuple | None = None  # (state, (ids, matrix, row of each id) | None): _exact_vectors
        self._keywords: dict[int, KeywordIndex | TantivyKeywords] = {}  # the last two generations, for pinned readers
        self._tantivy = TantivyStore(self._kw_dir, self.model_fingerprint) if keyword_backend == "tantivy" else None
        self._kw_lock = threading.RLock()
        self._write_lock = threading.RLock()
        self._write_depth = threading.local()
        self._lock = self._write_lock  # older name

    @property
    def _refill_how(self) -> str:
        return "puts back the catalog's copy of them" if self.catalog.stores_vectors else "re-embeds them"

    @classmethod
    def from_settings(cls, s, model_fingerprint: str | None, **kw) -> "Index":
        """The index that settings `s` name: its folder, vector server, keyword backend and catalog."""
        return cls(s.index_dir, s.chroma_url, model_fingerprint, keyword_backend=s.keyword_backend, catalog_url=s.catalog, **kw)

    # ---------------------------------------------------------------- reading
    @property
    def generation(self) -> int:
        return self.catalog.generation

    @contextmanager
    def reading(self):
        """Pin one catalog snapshot for every read this thread makes inside the block (the
        dense filter, the keyword generation, the chunk texts), so a search never mixes two
        states even while another thread or process commits."""
        with self.catalog.reading():
            yield self

    def keyword(self) -> KeywordIndex | TantivyKeywords:
        """The keyword index for the catalog's generation (the pinned one inside `reading()`)."""
        gen = self.generation
        kw = self._keywords.get(gen)
        if kw is not None:
            return kw
        with self._kw_lock:
            kw = self._keywords.get(gen)
            if kw is None:
                kw = self._load_keyword(gen)
                if kw is None or kw.generation != gen:
                    kw = self._rebuild_keyword()
                self._remember(kw)
            return kw

    def _load_keyword(self, generation: int | None = None) -> KeywordIndex | TantivyKeywords | None:
        """The keyword index on disk (Tantivy: at `generation`, waiting briefly for a writer in
        another process that is catching it up)."""
        if self._tantivy is None:
            return KeywordIndex.load(self._kw_dir)
        busy = (lambda: False) if self._holds_write_lock() else self._writer_busy
        return self._tantivy.open(generation, busy=busy) if generation is not None else self._tantivy.open(wait=0)

    def _holds_write_lock(self) -> bool:
        return getattr(self._write_depth, "n", 0) > 0

    def _writer_busy(self) -> bool:
        """Whether a writer (another process, or another thread here) holds the write lock now."""
        with open(self.root / ".write.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    def _remember(self, kw: KeywordIndex | TantivyKeywords) -> None:
        with self._kw_lock:
            keep = {g: k for g, k in self._keywords.items() if g >= kw.generation - 1}
            keep[kw.generation] = kw
            self._keywords = keep

    def tokens_stale(self) -> bool:
        """Whether the stored keyword tokens were made by another version of index_tokens
        (TOKENIZER_VERSION): a query's tokens would not meet them the same way."""
        return self.catalog.get_meta("tokenizer", "1") != TOKENIZER_VERSION

    def _rebuild_keyword(self) -> KeywordIndex | TantivyKeywords:
        with self.catalog.reading():
            gen, ids, positions, toks = self.catalog.tokens_at_generation()
            stale = bool(ids) and self.tokens_stale()
            chunks = self.catalog.chunks(ids) if stale else {}
        if stale:  # a reader cannot rewrite the catalog (the next write or `doctor --fix` does): tokens made afresh
            toks = [_as_stored(keyword_tokens(chunks[cid])) for cid in ids]
        if self._tantivy is not None:  # only a writer rewrites the folder; a reader keeps its copy in memory
            return self._tantivy.build(gen, ids, positions, toks, persist=self._holds_write_lock())
        kw = KeywordIndex.build(toks, ids, positions, gen, self.model_fingerprint)
        try:
            on_disk = int((self._kw_dir / "CURRENT").read_text().strip())
        except (OSError, ValueError):
            on_disk = -1
        if on_disk <= gen:  # never replace a newer generation another writer saved
            try:
                kw.save(self._kw_dir)
            except OSError:
                pass  # a read-only index still answers from memory
        return kw

    def documents(self) -> list[DocInfo]:
        return self.catalog.documents()

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        return self.catalog.chunks(ids)

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The n nearest chunks the catalog names. Chroma may hold vectors the catalog does not
        (orphans of a killed ingest, or of a batch not yet committed): fetch more until n known
        ones are found or Chroma has no more."""
        self._fresh_vectors()
        fetch = n + 10
        while True:
            with self._vec_rw.shared():
                got = self._nearest(vector, fetch)
            known = self.catalog.known_chunks([cid for cid, _ in got])
            out = [(cid, s) for cid, s in got if cid in known]
            if len(out) >= n or len(got) < fetch:
                return out[:n]
            fetch *= 4

    def vectors_of(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks: from the exact-search matrix when it is held, else
        from the vector store."""
        with self._vec_rw.shared():
            exact = None if self._chroma_url else self._exact_vectors()
            if exact is None:
                with self._shards_up():
                    return self.vectors.get_vectors(ids)
        _, matrix, rows = exact
        return {cid: matrix[rows[cid]] for cid in ids if cid in rows}

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every stored vector and its chunk id, in the vector store's order."""
        ids, parts = [], []
        for page_ids, vecs, _ in self.vectors.pages():
            ids += page_ids
            parts.append(vecs)
        return ids, np.vstack(parts) if parts else np.zeros((0, 0), np.float32)

    def _nearest(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first: Chroma's HNSW answer, or, for a collection of
        at most EXACT_MAX vectors in this folder, every vector scored. HNSW misses a near neighbour
        now and then, and which one changes from process to process (measured: the 32nd of 60 on
        a 4,723-chunk index), so the same question ranked differently in two runs."""
        exact = None if self._chroma_url else self._exact_vectors()
        if exact is None:
            with self._shards_up():
                return self.vectors.query(vector, n)
        ids, matrix, _ = exact
        if not ids:
            return []
        sims = matrix @ np.asarray(vector, dtype=np.float32)
        top = np.argsort(-sims, kind="stable")[:n]
        return [(ids[i], float(sims[i])) for i in top]

    def _exact_vectors(self) -> tuple[list[str], np.ndarray, dict[str, int]] | None:
        """Every vector and the row of each id, read once per state of the collection (None above
        EXACT_MAX). A commit moves the state on (this object's own through _wrote, another
        process's through _fresh_vectors); vectors not yet committed are not searched, as the
        catalog would drop them anyway."""
        key = (self._vectors_seen, id(self.vectors))
        cached = self._exact
        if cached is not None and cached[0] == key:
            return cached[1]
        found = None
        if self.vectors.count() <= EXACT_MAX:
            ids, matrix = self.all_vectors()
            found = (ids, matrix, {cid: i for i, cid in enumerate(ids)})
        self._exact = (key, found)
        return found

    def _vector_state(self) -> tuple[int, str]:
        """What the vectors should reflect: the catalog generation and the repair epoch."""
        with self.catalog.reading():
            return self.generation, self.catalog.get_meta("vectors_epoch", "0")

    def _fresh_vectors(self) -> None:
        """Re-open Chroma when the catalog moved on without this object writing (another
        process ingested, removed or repaired), so its new vectors are searched too."""
        if self._chroma_url or self._vector_state() == self._vectors_seen:
            return  # a Chroma server is always current
        with self._write_lock:  # never while this process's own writer is half-way
            state = self._vector_state()
            if state == self._vectors_seen:
                return
            with self._vec_rw.exclusive():
                self.vectors.close()
                self.vectors = VectorStore(self.root / "chroma", None, self._collection, model=self.model_fingerprint)
                self._vectors_seen = state

    def _wrote(self, before: tuple[int, str]) -> None:
        """After this object's own write: its Chroma client saw that write, so it is current
        if it was current before."""
        if self._vectors_seen == before:
            self._vectors_seen = self._vector_state()

    def bm25(self, tokens: list[str], n: int, extra: list[str] = (), extra_weight: float = 0.5,
             window: bool = False) -> list[tuple[str, float]]:
        return self.keyword().search(tokens, n, extra, extra_weight, window)

    # ---------------------------------------------------------------- writing
    @contextmanager
    def writing(self):
        """The write lock: one writer per index across threads and processes (re-entrant). The
        other processes' lock is taken first, so waiting for them never holds up this process's
        readers (they take the thread lock only to re-open Chroma)."""
        depth = getattr(self._write_depth, "n", 0)
        if depth:
            self._write_depth.n = depth + 1
            try:
                yield self
            finally:
                self._write_depth.n = depth
            return
        with open(self.root / ".write.lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                with self._write_lock:
                    self._write_depth.n = 1
                    try:
                        yield self
                    finally:
                        self._write_depth.n = 0
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def retokenize(self) -> int:
        """Re-make every chunk's stored keyword tokens when another version of index_tokens made
        them, in one transaction (a new generation); the number of chunks re-made. About 11 s for
        the 4,700 chunks of the full corpus, once."""
        with self.writing():
            if not self.tokens_stale():
                return 0
            before = self._vector_state()
            rows = self.catalog.chunks_with_tokens()
            self.catalog.set_tokens({c.chunk_id: _as_stored(keyword_tokens(c)) for c, _ in rows}, {"tokenizer": TOKENIZER_VERSION})
            self._wrote(before)
            self._remember(self._rebuild_keyword())
            return len(rows)

    def needs_update(self, doc: Document) -> bool:
        return not is_current(self.catalog.document(doc.doc_id), doc)

    def write(self, batch: list[tuple[Document, list[Chunk]]], embed, on_vectors=None) -> WriteReport:
        """Write a batch of documents atomically. `embed(texts) -> np.ndarray` is called only for
        chunks whose vectors Chroma does not already hold (content-hash ids), so vectors left by
        a killed run are reused. `on_vectors()` is called once the vectors are in Chroma."""
        report = WriteReport()
        with self.writing():
            self._fresh_vectors()
            self.retokenize()  # the chunks already indexed, before new ones join them
            before = self._vector_state()
            todo = []
            indexed = {d.doc_id: d for d in self.catalog.documents()}  # one read for the batch
            for doc, chunks in batch:
                if is_current(indexed.get(doc.doc_id), doc):
                    report.unchanged_docs.append(doc.doc_id)
                    continue
                (report.replaced_docs if doc.doc_id in indexed else report.added_docs).append(doc.doc_id)
                todo.append((doc, chunks))
            if not todo:
                return report
            all_chunks = [c for _, cs in todo for c in cs]
            ids = [c.chunk_id for c in all_chunks]
            have = self.vectors.get_vectors(ids)
            kept = self.catalog.stored_vectors([i for i in ids if i not in have])  # a vector store that lost them
            self._add_kept(all_chunks, kept)
            have.update(kept)
            missing = [c for c in all_chunks if c.chunk_id not in have]
            if missing:
                vecs = embed([passage_text(c) for c in missing])
                self._add_vectors(missing, vecs)
                have.update(zip([c.chunk_id for c in missing], vecs))
            report.chunks_embedded = len(missing)
            if on_vectors:
                on_vectors()
            rows = [
                (
                    DocInfo(doc.doc_id, doc.title, doc.source, doc.kind, doc.sha256, len(cs), 0.0, doc.meta),
                    cs,
                    [keyword_tokens(c) for c in cs],
                )
                for doc, cs in todo
            ]
            old_ids: set[str] = set()
            _crash_point("before-commit")
            gen = self.catalog.replace_documents(rows, vectors=have if self.catalog.stores_vectors else None, old_ids=old_ids)
            _crash_point("after-commit")
            report.chunks_added = len(set(ids) - old_ids)
            stale = sorted(old_ids - set(ids))
            if stale:
                self.vectors.delete(stale)
            self._wrote(before)
            self._remember(self._keyword_written(gen, [(info.doc_id, cs, toks) for info, cs, toks in rows]))
            self.backup_catalog(min_interval=BACKUP_EVERY_S)
        return report

    def _add_vectors(self, chunks: list[Chunk], vecs: np.ndarray) -> None:
        self.vectors.add([c.chunk_id for c in chunks], vecs, [{"doc_id": c.doc_id, "ordinal": c.ordinal} for c in chunks])

    def _add_kept(self, chunks: list[Chunk], kept: dict[str, np.ndarray]) -> None:
        """Put the catalog's stored vectors of these chunks (those it has) into the vector store."""
        found = [c for c in chunks if c.chunk_id in kept]
        if found:
            self._add_vectors(found, np.stack([kept[c.chunk_id] for c in found]))

    def remove(self, doc_ids: list[str]) -> int:
        with self.writing():
            self._fresh_vectors()
            before = self._vector_state()
            known = [d for d in doc_ids if self.catalog.document(d)]
            if not known:
                return 0
            ids: set[str] = set()
            gen = self.catalog.replace_documents([], remove=known, old_ids=ids)
            if ids:
                self.vectors.delete(sorted(ids))
            self._wrote(before)
            self._remember(self._keyword_written(gen, [], known))
            self.backup_catalog()
            return len(known)

    def _keyword_written(self, gen: int, docs: list[tuple[str, list[Chunk], list[list[str]]]],
                         removed: list[str] = ()) -> KeywordIndex | TantivyKeywords:
        """The keyword index after a commit that wrote `docs` (doc id, chunks, tokens) and removed
        `removed`: Tantivy updates just those documents, or, when its folder is further behind
        (another folder wrote the shared catalog), the documents the change log names since its
        generation; bm25s (or a folder the log does not reach) is rebuilt from the catalog."""
        if self._tantivy is not None:
            changed = [DocTokens(doc, [c.chunk_id for c in cs], [c.ordinal for c in cs], [_as_stored(t) for t in toks])
                       for doc, cs, toks in docs]
            kw = self._tantivy.update(gen, changed, removed) or self._keyword_from_log(gen)
            if kw is not None:
                return kw
        return self._rebuild_keyword()

    def _keyword_from_log(self, gen: int) -> TantivyKeywords | None:
        """The Tantivy folder brought from its generation to `gen` by the documents the change log
        names in between, in one commit (the writer's lock is held); None when it cannot be."""
        since = self._tantivy.generation_on_disk()
        if since is None or since >= gen or self.tokens_stale():
            return None
        with self.catalog.reading():
            if self.catalog.generation != gen or not self.catalog.logged(since, gen):
                return None  # another folder committed since: the snapshot would not be `gen`
            names = sorted({c.doc_id for c in self.catalog.changes_since(since, gen)})
            changed = [DocTokens(d, *self.catalog.doc_tokens(d)) for d in names]
        return self._tantivy.update(gen, [d for d in changed if d.chunk_ids], [d.doc_id for d in changed if not d.chunk_ids],
                                    since=since)

    # ---------------------------------------------------------------- consistency
    def check(self) -> dict:
        """Compare the three stores; what `assistant doctor` prints. `problems` is empty when
        the catalog, Chroma and the keyword index hold the same chunks for the same model."""
        with self.catalog.reading():
            gen = self.generation
            cat = set(self.catalog.chunk_ids())
            n_docs = len(self.catalog.documents())
        with self._vec_rw.shared():
            with self._shards_up():
                vec = self.vectors.all_ids()
                vec_model = self.vectors.model
                shards = ([{"url": u, "vectors": n} for u, n in zip(self.vectors.urls, self.vectors.counts())]
                          if isinstance(self.vectors, ShardedVectors) else None)
        kw = self._load_keyword()
        missing = sorted(cat - vec)
        orphans = sorted(vec - cat)
        kw_ok = bool(kw and kw.generation == gen and set(kw.chunk_ids) == cat)
        problems = []
        stale = bool(cat) and self.tokens_stale()
        if stale:
            problems.append(f"the keyword tokens were made by tokenizer {self.catalog.get_meta('tokenizer', '1')}, "
                            f"this version makes {TOKENIZER_VERSION} (searches make them afresh meanwhile)")
        if vec_model and self.model_fingerprint and vec_model != self.model_fingerprint:
            problems.append(f"Chroma's vectors were made by model {vec_model}, the catalog says {self.model_fingerprint}")
        if missing:
            problems.append(f"{len(missing)} chunk(s) in the catalog have no vector in Chroma")
        if orphans:
            problems.append(
                f"{len(orphans)} vector(s) in Chroma that the catalog does not name (left by an interrupted "
                "ingest: never shown; the next ingest reuses them, `doctor --fix` drops them)"
            )
        if kw is None:
            problems.append("no keyword index on disk")
        elif kw.generation != gen:
            problems.append(f"keyword index is for generation {kw.generation}, the catalog is at {gen}")
        elif set(kw.chunk_ids) != cat:
            problems.append("keyword index and catalog hold different chunks")
        elif kw.model_fingerprint and self.model_fingerprint and kw.model_fingerprint != self.model_fingerprint:
            problems.append(f"keyword index records model {kw.model_fingerprint}, the catalog says {self.model_fingerprint}")
            kw_ok = False
        catalog = {"kind": self.catalog.kind, "where": self.catalog.where}
        if self.catalog.kind == "postgresql":
            catalog["replicas"] = [{"address": a, "state": st, "replay_lag_s": lag} for a, st, lag in self.catalog.replication()]
            problems += [f"the catalog's replica at {r['address']} is {r['state']}, not streaming"
                         for r in catalog["replicas"] if r["state"] != "streaming"]
        return {
            "catalog": catalog,
            **({"vector_shards": shards} if shards is not None else {}),
            "model": self.model_fingerprint,
            "vector_model": vec_model,
            "keyword_model": kw.model_fingerprint if kw else None,
            "generation": gen,
            "documents": n_docs,
            "chunks": len(cat),
            "vectors": len(vec),
            "missing_vectors": missing,
            "orphan_vectors": orphans,
            "keyword_generation": kw.generation if kw else None,
            "keyword_matches": kw_ok and not stale,
            "tokenizer": self.catalog.get_meta("tokenizer", "1"),
            "problems": problems,
            "healthy": not problems,
        }

    def repair(self, embed, drop_orphans: bool = True) -> dict:
        """Make Chroma and the keyword index agree with the catalog: re-embed what is missing
        (everything, when the vectors came from another model), drop orphans (unless
        `drop_orphans` is False: after a catalog was restored from its backup, vectors it does not
        name may belong to documents added since, which a re-ingest reuses), rebuild BM25."""
        with self.writing():
            self._fresh_vectors()
            before = self._vector_state()
            report = self.check()
            vec_model = report["vector_model"]
            if vec_model and self.model_fingerprint and vec_model != self.model_fingerprint:
                self.vectors.recreate(self.model_fingerprint)
                report = self.check()
            elif self.model_fingerprint and not vec_model:
                self.vectors.set_model(self.model_fingerprint)
            if report["orphan_vectors"] and drop_orphans:
                self.vectors.delete(report["orphan_vectors"])
            if self.retokenize():
                report = self.check()
            missing = report["missing_vectors"]
            for i in range(0, len(missing), 256):
                part = missing[i : i + 256]
                chunks = self.catalog.chunks(part)
                cs = [chunks[c] for c in part if c in chunks]
                kept = self.catalog.stored_vectors(part)  # the catalog's copy: a lost shard is refilled, not re-embedded
                self._add_kept(cs, kept)
                cs = [c for c in cs if c.chunk_id not in kept]
                if cs:
                    self._add_vectors(cs, embed([passage_text(c) for c in cs]))
            if not report["keyword_matches"]:
                self._keywords = {}
                caught_up = self._keyword_from_log(self.generation) if self._tantivy is not None else None
                self._remember(caught_up or self._rebuild_keyword())
            if vec_model != self.vectors.model or report["orphan_vectors"] or missing:
                # tell other processes' readers to re-open Chroma
                self.catalog.set_meta("vectors_epoch", str(int(self.catalog.get_meta("vectors_epoch", "0")) + 1))
            self._wrote(before)
            self.backup_catalog()
        return self.check()

    @contextmanager
    def _shards_up(self):
        """A vector shard that does not answer is a damaged index: never an answer from the others."""
        try:
            yield
        except ShardDown as exc:
            raise IndexDamaged(self.root, str(exc), f"start it again; if it lost its vectors, `assistant doctor --fix "
                               f"--index {self.root}` refills it from the catalog", part="vectors") from None

    # ---------------------------------------------------------------- damage
    def _health_signature(self) -> tuple:
        """Cheap facts that change when the stores change: the catalog's generation and repair
        epoch, its file, and whether the vector folder is still there."""
        if self.catalog.kind != "sqlite":
            cat = (self.catalog.kind, False)  # a database that stops raises on the next read
        else:
            try:
                st = os.stat(self.root / _health.CATALOG)
                cat = (st.st_ino, st.st_size == 0)
            except OSError:
                cat = None
        chroma = self._chroma_url is not None or (self.root / "chroma").is_dir()
        return self._vector_state(), cat, chroma

    def problems(self) -> list[Problem]:
        """What disagrees, checked again whenever the signature changes (a count of each store,
        not a full comparison: `check()` is that). Raises IndexDamaged if the catalog itself
        can no longer be read."""
        try:
            key = self._health_signature()
            if key == self._health_key:
                return self._health
            if key[1] is None or key[1][1]:
                raise sqlite3.DatabaseError("the catalog file is gone or empty")
            found = list(self._opened_problems) if self._health_key is None else []
            if not key[2]:
                found.append(Problem(f"the vector store {self.root / 'chroma'} is missing",
                                     f"`assistant doctor --fix --index {self.root}`", True))
            else:
                self._fresh_vectors()  # another process's commit: count what it wrote, not a stale client
                with self.catalog.reading():
                    gen = self.generation
                    n_chunks = self.catalog.counts()[0]
                with self._vec_rw.shared():
                    with self._shards_up():
                        n_vectors = self.vectors.count()
                # A commit by another process after the client was opened, or between the two
                # counts, proves nothing (the client has not seen its vectors); the next call
                # (the signature changed) looks again.
                current = self._chroma_url is not None or self._vectors_seen[0] == gen
                if n_vectors < n_chunks and current and self.generation == gen and not any(p.blocking for p in found):
                    found.append(Problem(
                        f"{n_chunks - n_vectors} of {n_chunks} chunk(s) have no vector (the vector store lost them)",
                        f"`assistant doctor --fix --index {self.root}` ({self._refill_how})", True))
                if n_chunks and self.tokens_stale():
                    found.append(Problem(
                        "the keyword tokens were made by an older tokenizer (searches make them afresh, once per generation)",
                        f"`assistant doctor --fix --index {self.root}` (or the next ingest) re-makes them", False))
                kw_gen = self._tantivy.generation_on_disk() if self._tantivy else _keyword_generation(self._kw_dir)
                if n_chunks and kw_gen != gen:
                    found.append(Problem(
                        f"the keyword index is for generation {kw_gen}, the catalog is at {gen} (rebuilt from the catalog when searched)",
                        f"`assistant doctor --fix --index {self.root}`", False))
        except self.catalog.errors as exc:
            raise catalog_unreadable(self.root, self.catalog.kind, self.catalog.where, exc) from None
        self._health_key, self._health = key, found
        return found

    def require_healthy(self) -> list[Problem]:
        """Raise IndexDamaged when answers would come from half an index; return the other
        (non-blocking) problems so a caller can mention them."""
        found = self.problems()
        for p in found:
            if p.blocking:
                raise IndexDamaged(self.root, p.text, p.fix, part="vectors")
        return found

    def record_sources(self, paths: list[Path]) -> None:
        """Remember the files and folders ingested (absolute), for `assistant rebuild`. Every
        ingest run starts here, so it also brings the stored keyword tokens up to date, even when
        no document changed."""
        with self.writing():
            self.retokenize()
            known = json.loads(self.catalog.get_meta("sources", "[]"))
            for p in paths:
                p = str(Path(p).absolute())
                if p not in known:
                    known.append(p)
            self.catalog.set_meta("sources", json.dumps(known, ensure_ascii=False))

    def sources(self) -> list[str]:
        return json.loads(self.catalog.get_meta("sources", "[]"))

    def backup_catalog(self, min_interval: float = 0.0) -> bool:
        """Copy the catalog to catalog.backup.sqlite if it passes quick_check (the copy `doctor
        --fix` restores is always of a good commit). False when skipped."""
        if self.catalog.kind != "sqlite":  # a database keeps its own (pg_basebackup, a streaming replica)
            return False
        if min_interval and time.monotonic() - self._last_backup < min_interval:
            return False
        with self.writing():
            db = self.catalog.db
            if db.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                return False
            _health.backup(db, self.root)
        self._last_backup = time.monotonic()
        return True

    def close(self) -> None:
        self.vectors.close()
        self.catalog.close()

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


def open_catalog_db(root: Path, url: str):
    """The PostgreSQL catalog at `url`; CatalogUnavailable when it cannot be reached."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise IndexError_(f"--catalog {url!r}: give a postgresql://… URL, or leave it out for the SQLite catalog "
                          "in the index folder")
    try:
        from assistant.store.catalog_pg import PgCatalog, redact
    except ImportError:
        raise IndexError_("a PostgreSQL catalog needs psycopg: pip install 'psycopg[binary]'") from None
    try:
        return PgCatalog(url)
    except PgCatalog.errors as exc:
        raise catalog_unreadable(root, "postgresql", redact(url), exc) from None


def _count_vectors(chroma_dir: Path, chroma_url: str | None) -> int:
    """Vectors in a local vector store that exists (0 when there is none); a server's
    collection cannot be found without the catalog, so it counts as unknown (0)."""
    if chroma_url or not chroma_dir.is_dir():
        return 0
    try:
        store = VectorStore(chroma_dir)
    except Exception:  # a damaged store: the catalog check cannot lean on it either way
        return 1
    try:
        return store.count()
    finally:
        store.close()


def _keyword_generation(root: Path) -> int | None:
    try:
        return int((root / "CURRENT").read_text().strip())
    except (OSError, ValueError):
        return None


class _RWLock:
    """Many readers or one writer (re-opening the Chroma client while queries run)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def shared(self):
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
