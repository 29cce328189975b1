"""The catalog (SQLite): documents, chunks and index facts. It is the source of truth: a chunk
exists when the catalog says so; Chroma and the keyword index are derived from it."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
"""


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

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._all_lock = threading.Lock()
        db = self.db
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
            with self._all_lock:
                # Close the connections of threads that have ended (thread pools come and go).
                alive = []
                for t, c in self._all:
                    if t.is_alive():
                        alive.append((t, c))
                    else:
                        c.close()
                alive.append((threading.current_thread(), conn))
                self._all = alive
        return conn

    @contextmanager
    def reading(self):
        """Every read inside sees one committed state (a snapshot), even while another thread or
        process commits. Nested use joins the outer snapshot."""
        db = self.db
        if db.in_transaction:
            yield self
            return
        db.execute("BEGIN")
        try:
            yield self
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    # ---- facts
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # ---- reads
    def documents(self) -> list[DocInfo]:
        rows = self.db.execute(
            "SELECT doc_id, title, source, kind, sha256, n_chunks, ingested_at, meta FROM documents ORDER BY doc_id"
        ).fetchall()
        return [DocInfo(*r[:7], json.loads(r[7])) for r in rows]

    def document(self, doc_id: str) -> DocInfo | None:
        r = self.db.execute(
            "SELECT doc_id, title, source, kind, sha256, n_chunks, ingested_at, meta FROM documents WHERE doc_id=?",
            (doc_id,),
        ).fetchone()
        return DocInfo(*r[:7], json.loads(r[7])) if r else None

    def chunk_ids(self, doc_id: str | None = None) -> list[str]:
        if doc_id is None:
            return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks ORDER BY rowid")]
        return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))]

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        with self.reading():  # one state across the slices
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
                for r in self.db.execute(q, part):
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
        return int(self.db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()[0])

    def chunk_range(self, doc_id: str, first: int, last: int) -> list[Chunk]:
        """Chunks with first <= ordinal <= last, in order (the (doc_id, ordinal) index serves it)."""
        q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE doc_id=? AND ordinal BETWEEN ? AND ? ORDER BY ordinal"
        return [Chunk(*r) for r in self.db.execute(q, (doc_id, int(first), int(last)))]

    def find_ordinal(self, doc_id: str, text: str, quote: str = "") -> int | None:
        """The ordinal of the chunk whose text is `text` (what a citation carries); else the first
        chunk containing `quote`; else None."""
        row = self.db.execute("SELECT ordinal FROM chunks WHERE doc_id=? AND text=? ORDER BY ordinal LIMIT 1",
                              (doc_id, text)).fetchone()
        if row is None and quote:
            row = self.db.execute("SELECT ordinal FROM chunks WHERE doc_id=? AND instr(text, ?) > 0 ORDER BY ordinal "
                                  "LIMIT 1", (doc_id, quote)).fetchone()
        return int(row[0]) if row else None

    def iter_chunk_texts(self):
        """(chunk id, doc id, title, text, location) for every chunk, in document order: what
        derived knowledge (mined terms, references, enumerations) reads, in one pass."""
        return self.db.execute("SELECT chunk_id, doc_id, title, text, location FROM chunks ORDER BY doc_id, ordinal").fetchall()

    def chunks_at(self, doc_id: str, ordinals: list[int]) -> list[Chunk]:
        """The chunks of a document at these ordinals (those that exist), in order."""
        if not ordinals:
            return []
        q = f"SELECT {self._CHUNK_COLS} FROM chunks WHERE doc_id=? AND ordinal IN ({','.join('?' * len(ordinals))}) ORDER BY ordinal"
        return [Chunk(*r) for r in self.db.execute(q, [doc_id, *ordinals])]

    def all_tokens(self) -> tuple[list[str], list[tuple[str, int]], list[list[str]]]:
        """(chunk ids, (doc id, ordinal) of each, keyword tokens of each)."""
        ids, positions, toks = [], [], []
        for cid, doc, ordinal, t in self.db.execute("SELECT chunk_id, doc_id, ordinal, tokens FROM chunks ORDER BY rowid"):
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
            n = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        return n, docs

    def chunks_with_tokens(self) -> list[tuple[Chunk, list[str]]]:
        """Every chunk with its stored keyword tokens, by document and position."""
        rows = self.db.execute(
            "SELECT chunk_id, doc_id, ordinal, text, title, location, char_start, char_end, source, doc_sha256, tokens"
            " FROM chunks ORDER BY doc_id, ordinal"
        ).fetchall()
        return [(Chunk(*r[:10]), r[10].split(" ") if r[10] else []) for r in rows]

    def known_chunks(self, ids: list[str]) -> set[str]:
        """Which of these chunk ids the catalog holds (cheaper than `chunks`)."""
        out: set[str] = set()
        with self.reading():
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                q = f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
                out.update(r[0] for r in self.db.execute(q, part))
        return out

    # ---- writes: one transaction per batch, so a killed process leaves the old state whole
    def _in_new_generation(self, write) -> int:
        """`write(cursor)` in one transaction that also bumps the generation; on any failure all is
        left as it was. Returns the new generation."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            write(cur)
            gen = self.generation + 1
            cur.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', ?)", (str(gen),))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return gen

    def replace_documents(self, docs: list[tuple[DocInfo, list[Chunk], list[list[str]]]], remove: list[str] = ()) -> int:
        """Replace (or remove) documents and bump the generation in one transaction."""

        def write(cur) -> None:
            for doc_id in remove:
                cur.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                cur.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            for info, chunks, tokens in docs:
                cur.execute("DELETE FROM chunks WHERE doc_id=?", (info.doc_id,))
                cur.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?)",
                    (info.doc_id, info.title, info.source, info.kind, info.sha256, len(chunks), time.time(), json.dumps(info.meta, ensure_ascii=False)),
                )
                cur.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (c.chunk_id, c.doc_id, c.ordinal, c.text, c.title, c.location, c.char_start, c.char_end, c.source, c.doc_sha256, " ".join(t))
                        for c, t in zip(chunks, tokens)
                    ],
                )

        return self._in_new_generation(write)

    def set_tokens(self, tokens: dict[str, list[str]], meta: dict[str, str]) -> int:
        """Replace the keyword tokens of these chunks and set `meta` facts, bumping the generation,
        in one transaction (the documents are unchanged)."""

        def write(cur) -> None:
            cur.executemany("UPDATE chunks SET tokens=? WHERE chunk_id=?", [(" ".join(t), cid) for cid, t in tokens.items()])
            cur.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(meta.items()))

        return self._in_new_generation(write)

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = [c for _, c in self._all], []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()
