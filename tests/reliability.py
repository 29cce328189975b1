"""Helpers shared by the reliability tests (not a test module)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SEED_DIR

QUERIES = [
    "แนวทางที่ 7 คืออะไร",
    "การมีส่วนร่วมของชุมชนในการพัฒนาเมืองอัจฉริยะ",
    "Smart City depa JICA",
]


def cli_env(**extra) -> dict:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("ASSISTANT_MAX_FILE_MB", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(*args, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *map(str, args)],
        capture_output=True, text=True, env=env or cli_env(), cwd=ROOT, timeout=timeout,
    )


def catalog_state(index_dir: Path) -> dict:
    """What the catalog holds, read with a fresh connection (the truth, whoever wrote it)."""
    db = sqlite3.connect(str(Path(index_dir) / "catalog.sqlite"))
    try:
        docs = db.execute("SELECT doc_id, sha256, n_chunks FROM documents ORDER BY doc_id").fetchall()
        chunks = db.execute("SELECT doc_id, chunk_id, text FROM chunks ORDER BY doc_id, ordinal").fetchall()
        gen = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    finally:
        db.close()
    return {"documents": docs, "chunks": chunks, "generation": int(gen[0]) if gen else 0}


def search_state(assistant, queries=QUERIES) -> list:
    """Ranked (doc id, chunk id, rounded score) per query and method: what "answers the same" means."""
    out = []
    for q in queries:
        for method in ("hybrid", "bm25", "dense"):
            out.append([(h.doc_id, h.chunk_id, round(h.score, 5)) for h in assistant.search(q, k=10, method=method)])
    return out


def doctor(index_dir: Path, *extra) -> tuple[int, dict]:
    r = run_cli("doctor", "--index", index_dir, *extra)
    assert r.stdout.strip(), r.stderr
    return r.returncode, json.loads(r.stdout)


def ingest_seed(assistant) -> None:
    from ingest.pipeline import ingest

    rep = ingest([SEED_DIR], assistant.index, assistant.embedder.embed_passages, assistant.embedder.count_tokens)
    assert rep.ok and rep.added, rep.failures


def seeded_index(tmp_path_factory, name: str):
    """(Assistant, index folder) with the seed document ingested by the real model."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    index_dir = tmp_path_factory.mktemp(name)
    a = Assistant(load_settings(index_dir=index_dir))
    ingest_seed(a)
    return a, index_dir


def running_api(tmp_path_factory, name: str):
    """A generator for a module fixture: `assistant api` over a fresh seed index, yielding
    (url, index folder) once it is healthy, terminated afterwards."""
    from eval.load import start_api, wait_healthy

    a, index_dir = seeded_index(tmp_path_factory, name)
    a.index.close()
    proc, url = start_api(index_dir)
    try:
        wait_healthy(url, proc, timeout=600)
        yield url, index_dir
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def closed_seed_index(tmp_path_factory, name: str) -> tuple[Path, list]:
    """A seed index, closed, to copy per test; and how it answers (search_state)."""
    a, index_dir = seeded_index(tmp_path_factory, name)
    answers = search_state(a)
    a.index.close()
    return index_dir, answers


def copy_index(built: tuple[Path, list], tmp_path: Path) -> tuple[Path, list]:
    import shutil

    src, answers = built
    dst = tmp_path / "index"
    shutil.copytree(src, dst)
    return dst, answers
