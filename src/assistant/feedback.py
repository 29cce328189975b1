"""Officers' feedback on answers (👍/👎 + comment), kept in SQLite beside the index, and its export
as evaluation questions so reviewers can turn real questions into test cases.

One row per rated answer. A row carries what the officer saw: the question, the answer text, the
citations (JSON) and the index generation that produced it, so a later reviewer can tell whether
the index has changed since.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

FILENAME = "feedback.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT UNIQUE,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    question TEXT NOT NULL,
    searched_as TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL DEFAULT '[]',
    rating INTEGER NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    index_generation INTEGER,
    session TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_time ON feedback(created_at);
"""

UP, DOWN, NONE = 1, -1, 0
MAX_COMMENT = 2000


@dataclass
class FeedbackRow:
    id: int
    key: str | None
    created_at: float
    updated_at: float
    question: str
    searched_as: str
    answer: str
    refused: bool
    citations: list[dict]
    rating: int
    comment: str
    index_generation: int | None
    session: str


def open_store(path: Path, schema: str) -> sqlite3.Connection:
    """A small SQLite store beside the index (feedback, review verdicts): one connection shared by
    threads under the caller's lock, autocommit, WAL so a reader never waits for the writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


class FeedbackStore:
    """Thread-safe: the UI's worker threads share one connection under a lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.db = open_store(self.path, SCHEMA)

    @classmethod
    def for_index(cls, index_dir: Path) -> "FeedbackStore":
        return cls(Path(index_dir) / FILENAME)

    def record(
        self,
        *,
        question: str,
        answer: str,
        citations: list[dict],
        rating: int,
        index_generation: int | None,
        comment: str | None = None,
        searched_as: str = "",
        refused: bool = False,
        key: str | None = None,
        session: str = "",
    ) -> int:
        """Insert a rating, or update the row with the same `key` (an officer changing their vote).
        A `comment` of None keeps the comment already stored. Returns the row id."""
        if rating not in (UP, DOWN, NONE):
            raise ValueError(f"rating must be 1, -1 or 0, not {rating!r}")
        now = time.time()
        cites = json.dumps(citations, ensure_ascii=False)
        with self._lock:
            row = self.db.execute("SELECT id FROM feedback WHERE key=?", (key,)).fetchone() if key else None
            if row:
                self.db.execute(
                    "UPDATE feedback SET updated_at=?, question=?, searched_as=?, answer=?, refused=?, citations=?, "
                    "rating=?, index_generation=?, comment=COALESCE(?, comment) WHERE id=?",
                    (now, question, searched_as, answer, int(refused), cites, rating, index_generation,
                     _clip(comment), row[0]),
                )
                return int(row[0])
            cur = self.db.execute(
                "INSERT INTO feedback(key, created_at, updated_at, question, searched_as, answer, refused, citations, "
                "rating, comment, index_generation, session) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, now, now, question, searched_as, answer, int(refused), cites, rating, _clip(comment) or "",
                 index_generation, session),
            )
            return int(cur.lastrowid)

    def set_comment(self, row_id: int, comment: str) -> bool:
        with self._lock:
            cur = self.db.execute(
                "UPDATE feedback SET comment=?, updated_at=? WHERE id=?", (_clip(comment) or "", time.time(), row_id)
            )
            return cur.rowcount == 1

    def get(self, row_id: int) -> FeedbackRow | None:
        rows = self._select("WHERE id=?", (row_id,))
        return rows[0] if rows else None

    def rows(self, since: float | None = None) -> list[FeedbackRow]:
        if since is None:
            return self._select("", ())
        return self._select("WHERE created_at >= ?", (since,))

    def _select(self, where: str, args: tuple) -> list[FeedbackRow]:
        with self._lock:
            cur = self.db.execute(
                "SELECT id, key, created_at, updated_at, question, searched_as, answer, refused, citations, rating, "
                f"comment, index_generation, session FROM feedback {where} ORDER BY id",
                args,
            )
            out = []
            for r in cur.fetchall():
                try:
                    cites = json.loads(r[8])
                except ValueError:
                    cites = []
                out.append(FeedbackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), cites, r[9], r[10], r[11], r[12]))
            return out

    def close(self) -> None:
        with self._lock:
            self.db.close()


def _clip(comment: str | None) -> str | None:
    if comment is None:
        return None
    return comment.strip()[:MAX_COMMENT]


def as_eval_question(row: FeedbackRow) -> dict:
    """A feedback row in the evaluation question format (eval/questions/*.jsonl):
    {"qid","question","kind","difficulty","gold_doc_ids","evidence","answer_keys"} plus what the
    officer saw and said. 👍 on an answer: its cited documents are the gold and its quotes the
    evidence (kind "paraphrase": officers ask in their own words); 👍 on a refusal: "out_of_scope";
    👎 (or a comment without a vote): "needs_review". Difficulty defaults to "medium" and
    answer_keys are left for the reviewer to write."""
    if row.rating == UP and not row.refused:
        kind = "paraphrase"
        gold = list(dict.fromkeys(c.get("doc_id", "") for c in row.citations if c.get("doc_id")))
        evidence = [c.get("quote") or c.get("text", "") for c in row.citations]
    elif row.rating == UP:
        kind, gold, evidence = "out_of_scope", [], []
    else:
        kind, gold, evidence = "needs_review", [], []
    return {
        "qid": f"fb-{row.id:05d}",
        "question": row.question,
        "kind": kind,
        "difficulty": "medium",
        "gold_doc_ids": gold,
        "evidence": evidence,
        "answer_keys": [],
        # What the officer saw and said: for the reviewer, ignored by the evaluator.
        "rating": {UP: "up", DOWN: "down"}.get(row.rating, "none"),
        "comment": row.comment,
        "answer": row.answer,
        "refused": row.refused,
        "searched_as": row.searched_as,
        "cited": [
            {"n": c.get("n"), "doc_id": c.get("doc_id", ""), "title": c.get("title", ""), "location": c.get("location", ""),
             "quote": c.get("quote", "")}
            for c in row.citations
        ],
        "index_generation": row.index_generation,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(row.created_at)),
        "source": "feedback",
    }


def export_jsonl(store: FeedbackStore, out: Path, since: float | None = None) -> int:
    """Write every rated row (and comment-only rows) as JSON lines; returns how many were written."""
    n = 0
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in store.rows(since):
            if row.rating == NONE and not row.comment:
                continue  # a vote that was taken back, with nothing said
            f.write(json.dumps(as_eval_question(row), ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(out)
    return n
