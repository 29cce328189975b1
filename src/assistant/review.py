"""Reviewers' runs of question sets and their verdicts, in SQLite beside the officers' feedback
(the same `<index>/feedback.sqlite`, tables of their own), and their export/import as labelled data.

A run is one question set answered by the index at one generation. Each item keeps what the
reviewer judged: the question and what was expected of it (gold documents, evidence, answer keys),
the answer with its citations, and the automatic verdicts (assistant.judge). The manual verdict
(correct / partly / wrong / should_refuse) and its comment sit in their own table, so re-running a
set never overwrites a person's judgement, and an import only touches verdicts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

from assistant.feedback import FILENAME, open_store

VERDICTS = ("correct", "partly", "wrong", "should_refuse")
MAX_COMMENT = 2000

SCHEMA = """
CREATE TABLE IF NOT EXISTS review_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    finished_at REAL,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running',
    index_generation INTEGER,
    owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS review_items (
    run_id INTEGER NOT NULL REFERENCES review_runs(run_id),
    qid TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    question TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    difficulty TEXT NOT NULL DEFAULT '',
    gold_doc_ids TEXT NOT NULL DEFAULT '[]',
    evidence TEXT NOT NULL DEFAULT '[]',
    answer_keys TEXT NOT NULL DEFAULT '[]',
    answered INTEGER NOT NULL DEFAULT 0,
    answer TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]',
    auto TEXT NOT NULL DEFAULT '{}',
    seconds REAL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, qid)
);
CREATE TABLE IF NOT EXISTS review_verdicts (
    run_id INTEGER NOT NULL,
    qid TEXT NOT NULL,
    verdict TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, qid)
);
"""

_JSON_COLS = ("gold_doc_ids", "evidence", "answer_keys", "citations", "auto")
AUTO_KEYS = ("retrieval_hit", "hit_rank", "keys_present", "refused", "should_refuse", "refusal_ok")
CSV_COLUMNS = ("run_id", "qid", "question", "kind", "difficulty", "gold_doc_ids", "evidence", "answer_keys", "answer",
               "cited", *AUTO_KEYS, "verdict", "comment", "reviewer", "seconds")


class ReviewError(ValueError):
    pass


class ReviewStore:
    """Thread-safe: the run's worker thread and the UI's handlers share one connection under a lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.db = open_store(self.path, SCHEMA)
        self.db.row_factory = sqlite3.Row

    @classmethod
    def for_index(cls, index_dir: Path) -> "ReviewStore":
        return cls(Path(index_dir) / FILENAME)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # ------------------------------------------------------------ runs
    def new_run(self, name: str, source: str, reviewer: str, questions: list[dict], index_generation: int | None) -> int:
        """`questions`: rows in the evaluation format (qid, question, kind, difficulty, gold_doc_ids,
        evidence, answer_keys). Returns the run id."""
        qids = [str(q["qid"]) for q in questions]
        if len(set(qids)) != len(qids):
            raise ReviewError("question ids repeat in this set")
        with self._lock:
            self.db.execute("BEGIN")
            cur = self.db.execute(
                "INSERT INTO review_runs(created_at, name, source, reviewer, total, index_generation, owner) "
                "VALUES (?,?,?,?,?,?,?)", (time.time(), name, source, reviewer, len(questions), index_generation, _owner()))
            run_id = int(cur.lastrowid)
            self.db.executemany(
                "INSERT INTO review_items(run_id, qid, ordinal, question, kind, difficulty, gold_doc_ids, evidence, "
                "answer_keys) VALUES (?,?,?,?,?,?,?,?,?)",
                [(run_id, str(q["qid"]), i, q["question"], q.get("kind", ""), q.get("difficulty", ""),
                  _dump(q.get("gold_doc_ids", [])), _dump(q.get("evidence", [])), _dump(q.get("answer_keys", [])))
                 for i, q in enumerate(questions)])
            self.db.execute("COMMIT")
        return run_id

    def record(self, run_id: int, qid: str, *, answer: str, citations: list[dict], auto: dict, seconds: float,
               error: str = "") -> None:
        with self._lock:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE review_items SET answered=1, answer=?, citations=?, auto=?, seconds=?, error=? WHERE run_id=? AND qid=?",
                (answer, _dump(citations), _dump(auto), seconds, error, run_id, qid))
            self.db.execute("UPDATE review_runs SET done=(SELECT COUNT(*) FROM review_items WHERE run_id=? AND answered=1) "
                            "WHERE run_id=?", (run_id, run_id))
            self.db.execute("COMMIT")

    def finish(self, run_id: int, status: str = "done") -> None:
        with self._lock:
            self.db.execute("UPDATE review_runs SET status=?, finished_at=? WHERE run_id=?", (status, time.time(), run_id))

    def interrupted(self) -> int:
        """Runs left 'running' by a process of this machine that has ended are marked so (they stay
        readable). Several app processes may share an index: a live one's run is left alone."""
        host = socket.gethostname()
        n = 0
        with self._lock:
            for run_id, owner in self.db.execute("SELECT run_id, owner FROM review_runs WHERE status='running'").fetchall():
                h, _, pid = owner.rpartition(":")
                if h == host and pid.isdigit() and not _alive(int(pid)):
                    n += self.db.execute("UPDATE review_runs SET status='interrupted' WHERE run_id=?", (run_id,)).rowcount
        return n

    def runs(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self.db.execute("SELECT * FROM review_runs ORDER BY run_id DESC")]

    def run(self, run_id: int) -> dict | None:
        with self._lock:
            r = self.db.execute("SELECT * FROM review_runs WHERE run_id=?", (run_id,)).fetchone()
        return dict(r) if r else None

    def items(self, run_id: int) -> list[dict]:
        """Every question of the run, in set order, with its manual verdict ('' when none yet)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT i.*, COALESCE(v.verdict, '') AS verdict, COALESCE(v.comment, '') AS comment, "
                "COALESCE(v.reviewer, '') AS reviewer FROM review_items i LEFT JOIN review_verdicts v "
                "ON v.run_id=i.run_id AND v.qid=i.qid WHERE i.run_id=? ORDER BY i.ordinal", (run_id,)).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            for k in _JSON_COLS:
                d[k] = _load(d[k], {} if k == "auto" else [])
            d["answered"] = bool(d["answered"])
            out.append(d)
        return out

    # ------------------------------------------------------------ verdicts
    def set_verdict(self, run_id: int, qid: str, verdict: str, comment: str = "", reviewer: str = "") -> None:
        verdict = (verdict or "").strip()
        if verdict and verdict not in VERDICTS:
            raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)} (or empty), not {verdict!r}")
        with self._lock:
            known = self.db.execute("SELECT 1 FROM review_items WHERE run_id=? AND qid=?", (run_id, qid)).fetchone()
            if not known:
                raise ReviewError(f"run {run_id} has no question {qid!r}")
            self.db.execute(
                "INSERT INTO review_verdicts(run_id, qid, verdict, comment, reviewer, updated_at) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(run_id, qid) DO UPDATE SET verdict=excluded.verdict, comment=excluded.comment, "
                "reviewer=excluded.reviewer, updated_at=excluded.updated_at",
                (run_id, qid, verdict, (comment or "").strip()[:MAX_COMMENT], reviewer, time.time()))

    # ------------------------------------------------------------ export / import
    def export_rows(self, run_id: int) -> list[dict]:
        """One row per question in the evaluation format, plus the answer, the automatic verdicts
        and the reviewer's verdict: what `eval/` reads as labelled data."""
        if self.run(run_id) is None:
            raise ReviewError(f"no review run {run_id}")
        return [export_row(run_id, it) for it in self.items(run_id)]

    def import_rows(self, rows: list[dict], reviewer: str = "") -> dict:
        """Verdicts back from an exported file (JSONL or CSV, edited by hand or in a spreadsheet):
        rows need run_id, qid and verdict (comment optional). Returns counts; rows refused are listed."""
        n, unknown = 0, []
        for row in rows:
            try:
                run_id, qid = int(row["run_id"]), str(row["qid"])
            except (KeyError, TypeError, ValueError):
                unknown.append(str(row.get("qid", "?")) if isinstance(row, dict) else "?")
                continue
            verdict = str(row.get("verdict") or "").strip()
            comment = str(row.get("comment") or "")
            if not verdict and not comment:
                continue
            try:
                self.set_verdict(run_id, qid, verdict, comment, str(row.get("reviewer") or reviewer))
            except ReviewError as exc:  # no such question, or not a verdict: say which and why
                unknown.append(f"{run_id}/{qid}: {exc}")
                continue
            n += 1
        return {"verdicts": n, "unknown": unknown}


def export_row(run_id: int, it: dict) -> dict:
    auto = it.get("auto") or {}
    return {
        "qid": it["qid"], "question": it["question"], "kind": it["kind"], "difficulty": it["difficulty"],
        "gold_doc_ids": it["gold_doc_ids"], "evidence": it["evidence"], "answer_keys": it["answer_keys"],
        "run_id": run_id, "answer": it["answer"],
        "cited": [{k: c.get(k) for k in ("n", "doc_id", "location", "quote")} for c in it["citations"]],
        **{k: auto.get(k) for k in AUTO_KEYS},
        "verdict": it.get("verdict", ""), "comment": it.get("comment", ""), "reviewer": it.get("reviewer", ""),
        "seconds": it.get("seconds"), "source": "review",
    }


def to_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def to_csv(rows: list[dict]) -> str:
    """Lists and citations as JSON text in their cells; one row a question."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else v))
                    for k, v in r.items()})
    return buf.getvalue()


def read_rows(path: Path) -> list[dict]:
    """Rows of an exported file: .csv (as written by `to_csv`, a spreadsheet may add a BOM) or JSONL."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if Path(path).suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise ReviewError(f"{path}:{n}: not JSON") from None
    return rows


def write_export(rows: list[dict], out: Path) -> Path:
    """JSONL, or CSV when the name ends in .csv (UTF-8 with a BOM, so spreadsheet programs read Thai)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        out.write_text(to_csv(rows), encoding="utf-8-sig")
    else:
        out.write_text(to_jsonl(rows), encoding="utf-8")
    return out


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _dump(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def _load(text: str, default):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default
