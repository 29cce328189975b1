"""The catalog: documents, chunks and index facts. It is the source of truth: a chunk exists when
the catalog says so; Chroma and the keyword index are derived from it, and its change log
(generation, document, chunk, operation) says what each generation changed.

`Catalog` keeps it in one SQLite file (the embedded default); `catalog_pg.PgCatalog` in
PostgreSQL (`--catalog postgresql://…`), through the same methods. The SQL here is written once
for both: `?` placeholders and ON CONFLICT upserts, which each dialect accepts."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.knowledge.collections import role_of
from assistant.schema import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
    sha256 TEXT NOT NULL, n_chunks INTEGER NOT NULL, ingested_at REAL NOT NULL, meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, title TEXT NOT NULL, location TEXT NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, source TEXT NOT NULL, doc_sha256 TEXT NOT NULL,
    tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS changes (
    generation INTEGER NOT NULL, doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL, op TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_generation ON changes(generation);
"""

CHUNK_COLUMNS = ("chunk_id", "doc_id", "ordinal", "text", "title", "location", "char_start", "char_end", "source",
                 "doc_sha256", "tokens")
DOC_COLUMNS = ("doc_id", "title", "source", "kind", "sha256", "n_chunks", "ingested_at", "meta")


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    keep = ", ".join(f"{c}=excluded.{c}" for c in columns[1:])
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))}) "
            f"ON CONFLICT({columns[0]}) DO UPDATE SET {keep}")


PUT_META = _upsert("meta", ("key", "value"))
PUT_DOCUMENT = _upsert("documents", DOC_COLUMNS)
PUT_CHUNK = _upsert("chunks", CHUNK_COLUMNS)
PUT_VECTOR = _upsert("vectors", ("chunk_id", "vector"))
# The generation rises inside the writing transaction, after the documents are written, so the
# row it locks (PostgreSQL) is held only for the change log and the commit.
NEXT_GENERATION = ("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                   "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT) RETURNING value")


@dataclass
class Change:
    """One line of the change log: `op` put (the chunk is new or its text or tokens changed) or
    delete, at the generation that made it."""

    generation: int
    doc_id: str
    chunk_id: str
    op: str


@dataclass
class DocInfo:
    doc_id: str
    title: str
    source: str
    kind: str
    sha256: str
    n_chunks: int
    ingested_at: float
    meta: dict

    @property
    def collection(self) -> str:
        return role_of(self.meta, self.source)


class Catalog:
    """One SQLite connection per thread (WAL: readers never wait for the writer). A shared
    connection would let a reader thread see a writer's half-done transaction."""

    kind = "sqlite"
    # Whether the catalog keeps each chunk's vector too, so a lost vector store is refilled without
    # embedding: a database does (store/catalog_pg.py); the SQLite file leaves them to Chroma.
    stores_vectors = False
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)  # what a damaged or lost catalog raises
    _ORDER = "rowid"  # insertion order
    _CONTAINS = "instr(text, ?) > 0"

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self._setup()
        db = self.db
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)

    def _setup(self) -> None:
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, object]] = []
        self._all_lock = threading.Lock()

    def _connect(self):
        conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    def _in_transaction(self) -> bool:
        return self.db.in_transaction

    def _alive(self, conn) -> bool:
        return True  # a file does not hang up

    def _x(self, sql: str, params=()):
        """Run one statement on this thread's connection; the cursor."""
        return self.db.execute(sql, params)

    def _begin_read(self, cur) -> None:
        cur.execute("BEGIN")

    def _begin_write(self, cur, doc_ids: list[str]) -> None:
        cur.execute("BEGIN IMMEDIATE")  # one writer per file

    @property
    def where(self) -> str:
        """Where the catalog lives, for messages."""
        return str(self.path)

    @property
    def db(self):
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None or not self._alive(conn):
            broken = conn
            if broken is not None:  # let its socket go
                try:
                    broken.close()
                except Exception:  # noqa: BLE001
                    pass
            conn = self._connect()
            self._local.conn = conn
            with self._all_lock:
                # Close the connections of threads that have ended (thread pools come and go).
                alive = []
                for t, c in self._all:
                    if t.is_alive() and c is not broken:
                        alive.append((t, c))
                    elif c is not broken:
                        c.close()
                alive.append((threading.current_thread(), conn))
                self._all = alive
        return conn

    @contextmanager
    def reading(self):
        """Every read inside sees one committed state (a snapshot), even while another thread or
        process commits. Nested use joins the outer snapshot."""
        if self._in_transaction():
            yield self
            return
        cur = self.db.cursor()
        self._begin_read(cur)
        try:
            yield self
        finally:
            if self._in_transaction():
                cur.execute("COMMIT")

    # ---- facts
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._x("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._x(PUT_META, (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # ---- reads
    def documents(self) -> list[DocInfo]:
        rows = self._x(f"SELECT {', '.join(DOC_COLUMNS)} FROM documents ORDER BY doc_id").fetchall()
        return [DocInfo(*r[:7], json.loads(r[7])) for r in rows]

    def document(self, doc_id: str) -> DocInfo | None:
        r = self._x(f"SELECT {', '.join(DOC_COLUMNS)} FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return DocInfo(*r[:7], json.loads(r[7])) if r else None

    def chunk_ids(self, doc_id: str | None = None) -> list[str]:
        if doc_id is None:
            return [r[0] for r in self._x(f"SELECT chunk_id FROM chunks ORDER BY {self._ORDER}")]
        return [r[0] for r in self._x("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))]

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        with self.reading():  # one state across the slices
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
                for r in self._x(q, part):
                    out[r[0]] = Chunk(*r)
        return out

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        with self.reading():
            ids = self.chunk_ids(doc_id)
            got = self.chunks(ids)
        return [got[i] for i in ids]

    # ---- reads for the evidence viewer: a window of one document, without reading all of it
    _CHUNK_COLS = "chunk_id, doc_id, ordinal, text, title, location, char_start, char_end, source, doc_sha256"

    def chunk_count(self, doc_id: str) -> int:
        return int(self._x("SELECT COUNT(*) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()[0])

    def chunk_range(self, doc_id: str, first: int, last: int) -> list[Chunk]:
        """Chunks with first <= ordinal <= last, in order (the (doc_id, ordinal) index serves it)."""
        q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE doc_id=? AND ordinal BETWEEN ? AND ? ORDER BY ordinal"
        return [Chunk(*r) for r in self._x(q, (doc_id, int(first), int(last)))]

    def find_ordinal(self, doc_id: str, text: str, quote: str = "") -> int | None:
        """The ordinal of the chunk whose text is `text` (what a citation carries); else the first
        chunk containing `quote`; else None."""
        row = self._x("SELECT ordinal FROM chunks WHERE doc_id=? AND text=? ORDER BY ordinal LIMIT 1",
                      (doc_id, text)).fetchone()
        if row is None and quote:
            row = self._x(f"SELECT ordinal FROM chunks WHERE doc_id=? AND {self._CONTAINS} ORDER BY ordinal LIMIT 1",
                          (doc_id, quote)).fetchone()
        return int(row[0]) if row else None

    def iter_chunk_texts(self):
        """(chunk id, doc id, title, text, location) for every chunk, in document order: what
        derived knowledge (mined terms, references, enumerations) reads, in one pass."""
        return self._x("SELECT chunk_id, doc_id, title, text, location FROM chunks ORDER BY doc_id, ordinal").fetchall()

    def chunks_at(self, doc_id: str, ordinals: list[int]) -> list[Chunk]:
        """The chunks of a document at these ordinals (those that exist), in order."""
        if not ordinals:
            return []
        q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE doc_id=? AND ordinal IN ({','.join('?' * len(ordinals))}) ORDER BY ordinal"
        return [Chunk(*r) for r in self._x(q, [doc_id, *ordinals])]

    def all_tokens(self) -> tuple[list[str], list[tuple[str, int]], list[list[str]]]:
        """(chunk ids, (doc id, ordinal) of each, keyword tokens of each)."""
        ids, positions, toks = [], [], []
        for cid, doc, ordinal, t in self._x(f"SELECT chunk_id, doc_id, ordinal, tokens FROM chunks ORDER BY {self._ORDER}"):
            ids.append(cid)
            positions.append((doc, ordinal))
            toks.append(t.split(" ") if t else [])
        return ids, positions, toks

    def tokens_at_generation(self) -> tuple[int, list[str], list[tuple[str, int]], list[list[str]]]:
        """(generation, chunk ids, positions, tokens) read from one snapshot, so they belong together."""
        with self.reading():
            gen = self.generation
            ids, positions, toks = self.all_tokens()
        return gen, ids, positions, toks

    def counts(self) -> tuple[int, int]:
        """(chunks, documents), from one snapshot."""
        with self.reading():
            n = self._x("SELECT COUNT(*) FROM chunks").fetchone()[0]
            docs = self._x("SELECT COUNT(*) FROM documents").fetchone()[0]
        return n, docs

    def chunks_with_tokens(self) -> list[tuple[Chunk, list[str]]]:
        """Every chunk with its stored keyword tokens, by document and position."""
        rows = self._x(f"SELECT {', '.join(CHUNK_COLUMNS)} FROM chunks ORDER BY doc_id, ordinal").fetchall()
        return [(Chunk(*r[:10]), r[10].split(" ") if r[10] else []) for r in rows]

    def known_chunks(self, ids: list[str]) -> set[str]:
        """Which of these chunk ids the catalog holds (cheaper than `chunks`)."""
        out: set[str] = set()
        with self.reading():
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                q = f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
                out.update(r[0] for r in self._x(q, part))
        return out

    def changes_since(self, generation: int, upto: int | None = None) -> list[Change]:
        """The change log after `generation` (up to `upto`, whole generations), oldest first: what
        a derived store that reflects `generation` applies to catch up."""
        upto = self.generation if upto is None else upto
        rows = self._x("SELECT generation, doc_id, chunk_id, op FROM changes WHERE generation > ? AND generation <= ? "
                       "ORDER BY generation", (int(generation), int(upto))).fetchall()
        return [Change(int(g), d, c, op) for g, d, c, op in rows]

    def stored_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The vectors the catalog keeps for these chunks (none unless `stores_vectors`)."""
        out: dict[str, np.ndarray] = {}
        if not self.stores_vectors:
            return out
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT chunk_id, vector FROM vectors WHERE chunk_id IN ({','.join('?' * len(part))})"
            out.update((cid, np.frombuffer(bytes(v), dtype=np.float32)) for cid, v in self._x(q, part))
        return out

    def logged(self, since: int, upto: int) -> bool:
        """Whether the change log holds every generation after `since` up to `upto` (a catalog
        written before the log was kept does not)."""
        n = self._x("SELECT COUNT(DISTINCT generation) FROM changes WHERE generation > ? AND generation <= ?",
                    (int(since), int(upto))).fetchone()[0]
        return int(n) == upto - since

    def doc_tokens(self, doc_id: str) -> tuple[list[str], list[int], list[list[str]]]:
        """(chunk ids, ordinals, stored keyword tokens) of one document, in order."""
        rows = self._x("SELECT chunk_id, ordinal, tokens FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)).fetchall()
        return [r[0] for r in rows], [int(r[1]) for r in rows], [r[2].split(" ") if r[2] else [] for r in rows]

    def _chunk_docs(self, ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
            out.update((r[0], r[1]) for r in self._x(q, part))
        return out

    # ---- writes: one transaction per batch, so a killed process leaves the old state whole
    def _in_new_generation(self, doc_ids: list[str], write) -> int:
        """`write()` in one transaction that also bumps the generation and logs what it changed
        (`write` returns (doc id, chunk id, op) lines); on any failure all is left as it was.
        `doc_ids`: the documents it writes (PostgreSQL locks each). Returns the new generation."""
        cur = self.db.cursor()
        self._begin_write(cur, sorted(set(doc_ids)))
        try:
            lines = write()
            gen = int(self._x(NEXT_GENERATION).fetchone()[0])
            if lines:
                self._xmany("INSERT INTO changes (generation, doc_id, chunk_id, op) VALUES (?, ?, ?, ?)",
                            [(gen, d, c, op) for d, c, op in lines])
            cur.execute("COMMIT")
        except BaseException:
            if self._in_transaction():
                cur.execute("ROLLBACK")
            raise
        return gen

    def _xmany(self, sql: str, rows: list) -> None:
        self.db.executemany(sql, rows)

    def replace_documents(self, docs: list[tuple[DocInfo, list[Chunk], list[list[str]]]], remove: list[str] = (),
                          vectors: dict[str, np.ndarray] | None = None, old_ids: set[str] | None = None) -> int:
        """Replace (or remove) documents and bump the generation in one transaction. `vectors`: each
        written chunk's vector, kept when the catalog `stores_vectors`. `old_ids`, if given, receives
        the chunk ids these documents held before, as read under the write's lock."""

        def write() -> list[tuple[str, str, str]]:
            lines = []
            for doc_id in [*remove, *(info.doc_id for info, _, _ in docs)]:
                lines += [(doc_id, r[0], "delete") for r in self._x("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
                self._x("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            if old_ids is not None:
                old_ids.update(c for _, c, _ in lines)
            for doc_id in remove:
                self._x("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            for info, chunks, tokens in docs:
                self._x(PUT_DOCUMENT, (info.doc_id, info.title, info.source, info.kind, info.sha256, len(chunks), time.time(),
                                       json.dumps(info.meta, ensure_ascii=False)))
                self._xmany(PUT_CHUNK, [
                    (c.chunk_id, c.doc_id, c.ordinal, c.text, c.title, c.location, c.char_start, c.char_end, c.source,
                     c.doc_sha256, " ".join(t)) for c, t in zip(chunks, tokens)])
                if self.stores_vectors and vectors:
                    self._xmany(PUT_VECTOR, [(c.chunk_id, np.asarray(vectors[c.chunk_id], dtype=np.float32).tobytes())
                                             for c in chunks if c.chunk_id in vectors])
            put = {(c.doc_id, c.chunk_id) for _, chunks, _ in docs for c in chunks}
            # A chunk deleted and put again in the same write is a put (its tokens or title may differ).
            return [line for line in lines if line[:2] not in put] + [(d, c, "put") for d, c in sorted(put)]

        return self._in_new_generation([*remove, *(info.doc_id for info, _, _ in docs)], write)

    def set_tokens(self, tokens: dict[str, list[str]], meta: dict[str, str]) -> int:
        """Replace the keyword tokens of these chunks and set `meta` facts, bumping the generation,
        in one transaction (the documents are unchanged; the rows it updates are locked by the
        database itself, so no document lock is taken)."""

        def write() -> list[tuple[str, str, str]]:
            docs = self._chunk_docs(list(tokens))
            self._xmany("UPDATE chunks SET tokens=? WHERE chunk_id=?", [(" ".join(t), cid) for cid, t in tokens.items()])
            self._xmany(PUT_META, list(meta.items()))
            return [(docs[cid], cid, "put") for cid in tokens if cid in docs]

        return self._in_new_generation([], write)

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = [c for _, c in self._all], []
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 (closing what may already be broken)
                pass
        self._local = threading.local()
