"""Passage vectors kept by model and text, so a passage is embedded once per model whichever
index it goes into: `make demo-full` after `make demo`, `make eval` beside the demo index, a
rebuilt or re-chunked document whose passages did not change, the test suite's indexes.

One SQLite file per model fingerprint and backend under `<home>/vectors/`. The cache only saves
time: it is never the truth of an index (the vector store is), a read or write that fails counts
as a miss (a busy file for that call; a damaged one is set aside and started anew), and it can be
turned off (ASSISTANT_PASSAGE_CACHE=0). The oldest rows go past `max_rows`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("assistant.model")

MAX_ROWS = 500_000  # ~0.8 GB of 384-d float32 vectors
TRIM_EVERY = 64  # writes between checks of the size (a count is a scan)
# The vectors a given model and backend write depend on this code's pooling and prefixes too:
# a change there bumps the version, and an old file is no longer read.
VERSION = 1


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


def cache_path(home: Path, fingerprint: str, backend: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]+", "-", f"{fingerprint}-{backend}-v{VERSION}")
    return Path(home) / "vectors" / f"{safe}.sqlite"


class PassageCache:
    def __init__(self, path: Path, dim: int, max_rows: int = MAX_ROWS):
        self.path = Path(path)
        self.dim = dim
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._writes = 0

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=10, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _open_waiting(self) -> sqlite3.Connection:
        # Switching a new file to WAL answers 'locked' at once, without the busy timeout, while
        # another process opens it too; a short wait keeps the first writes of both.
        for pause in (0.01, 0.05, 0.1, 0.25, 0.5, 1.0):
            try:
                return self._open()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                time.sleep(pause)
        return self._open()

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self._db = self._open_waiting()
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    return None  # another process holds it: a miss this time
                # Not a database (a damaged file): set it aside once and start a new one.
                aside = self.path.with_name(f"{self.path.name}.damaged")
                log.warning("passage vector cache %s damaged (%s): moved to %s", self.path, exc, aside.name)
                try:
                    self.path.replace(aside)
                    self._db = self._open()
                except (sqlite3.Error, OSError) as again:
                    self._give_up(again)
            except OSError as exc:
                self._give_up(exc)
        return self._db

    def _give_up(self, exc: Exception) -> None:
        # Ingest goes on embedding everything: a cache that cannot be read is only slower.
        log.warning("passage vector cache %s unusable (%s): embedding without it", self.path, exc)
        self._broken = True
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None

    def _failed(self, exc: sqlite3.Error) -> None:
        """A busy database is a miss for this call; anything else ends the cache for the process."""
        if not _busy(exc):
            self._give_up(exc)

    def get(self, texts: list[str]) -> list[np.ndarray | None]:
        """The cached vector of each text, None where there is none."""
        out: list[np.ndarray | None] = [None] * len(texts)
        with self._lock:
            db = self._conn()
            if db is None or not texts:
                return out
            keys = [_key(t) for t in texts]
            try:
                found: dict[bytes, bytes] = {}
                for i in range(0, len(keys), 500):
                    part = keys[i : i + 500]
                    rows = db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
                    found.update(rows.fetchall())
            except sqlite3.Error as exc:
                self._failed(exc)
                return out
        for i, k in enumerate(keys):
            blob = found.get(k)
            if blob is not None and len(blob) == 4 * self.dim:
                out[i] = np.frombuffer(blob, dtype=np.float32).copy()
        return out

    def put(self, texts: list[str], vecs: np.ndarray) -> None:
        with self._lock:
            db = self._conn()
            if db is None or not texts:
                return
            rows = [(_key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vecs)]
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
                self._writes += 1
                if self._writes % TRIM_EVERY == 1:
                    over = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] - self.max_rows
                    if over > 0:
                        db.execute("DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors ORDER BY rowid LIMIT ?)", (over,))
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._failed(exc)

    def __len__(self) -> int:
        with self._lock:
            db = self._conn()
            try:
                return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] if db is not None else 0
            except sqlite3.Error:
                return 0


def _busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))
