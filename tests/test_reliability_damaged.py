"""An index that knows it is damaged: a truncated or emptied catalog and a deleted vector store
are named in one line with what to run; ask/search never answer from half an index (CLI exit 1,
the UI's Thai banner); `doctor --fix` never deletes the vectors of a lost catalog, restores the
catalog from its backup, and `assistant rebuild` re-ingests the recorded sources."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.reliability import closed_seed_index, copy_index, doctor, run_cli, search_state

pytestmark = pytest.mark.slow

QUESTION = "แนวทางที่ 7 คืออะไร"


def _open(index_dir: Path):
    from tests.test_reliability_index import open_assistant

    return open_assistant(index_dir)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return closed_seed_index(tmp_path_factory, "damaged-src")


@pytest.fixture
def copy(built, tmp_path):
    return copy_index(built, tmp_path)


def _vector_count(index_dir: Path) -> int:
    from assistant.store.vectors import VectorStore

    vs = VectorStore(index_dir / "chroma")
    try:
        return vs.count()
    finally:
        vs.close()


def _one_line_error(r, *words) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def _truncate(path: Path, size: int) -> None:
    for ext in ("-wal", "-shm"):
        Path(str(path) + ext).unlink(missing_ok=True)
    os.truncate(path, size)


def test_emptied_catalog_is_lost_not_new_and_doctor_restores_it(copy):
    index_dir, answers = copy
    catalog = index_dir / "catalog.sqlite"
    assert (index_dir / "catalog.backup.sqlite").is_file()  # written by the ingest's last commit
    vectors = _vector_count(index_dir)
    _truncate(catalog, 0)
    r = run_cli("ask", QUESTION, "--index", index_dir)
    _one_line_error(r, "catalog is empty (0 bytes)", "catalog is lost", "assistant doctor --fix", "assistant rebuild")
    assert r.stdout == ""  # no answer, not even a refusal
    code, rep = doctor(index_dir)
    assert code == 1 and rep["catalog_lost"] and rep["backup"]["documents"] == 1
    assert _vector_count(index_dir) == vectors
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"] and "catalog restored" in rep["repaired"][0], rep
    assert _vector_count(index_dir) == vectors and rep["vectors"] == rep["chunks"] == vectors
    assert list(index_dir.glob("catalog.damaged-*.sqlite"))  # the damaged one is kept
    a = _open(index_dir)
    assert search_state(a) == answers
    a.index.close()


def test_lost_catalog_without_backup_keeps_every_vector_and_rebuild_reuses_them(copy):
    index_dir, answers = copy
    (index_dir / "catalog.backup.sqlite").unlink()
    vectors = _vector_count(index_dir)
    _truncate(index_dir / "catalog.sqlite", 0)
    code, rep = doctor(index_dir, "--fix")
    assert code == 1 and rep["catalog_lost"] and "assistant rebuild" in rep["problems"][0]
    assert _vector_count(index_dir) == vectors  # the old --fix deleted them all here
    code, rep = doctor(index_dir, "--fix")
    assert code == 1 and _vector_count(index_dir) == vectors  # and again: still nothing deleted
    # The emptied catalog recorded nothing and there is no backup: the sources must be named.
    r = run_cli("rebuild", "--index", index_dir, "--json")
    assert r.returncode == 2 and "name them" in r.stderr, r.stderr
    from tests.conftest import SEED_DIR

    r = run_cli("rebuild", SEED_DIR, "--index", index_dir, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["added"] == 1 and out["chunks_embedded"] == 0, r.stderr  # vectors reused
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"], rep
    a = _open(index_dir)
    assert search_state(a) == answers
    a.index.close()


def test_rebuild_reads_the_sources_the_backup_recorded(copy):
    index_dir, answers = copy
    _truncate(index_dir / "catalog.sqlite", 0)
    r = run_cli("rebuild", "--index", index_dir, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["added"] == 1 and out["chunks_embedded"] == 0, r.stderr
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"]


def test_half_a_catalog_is_one_line_for_every_command(copy):
    index_dir, _ = copy
    catalog = index_dir / "catalog.sqlite"
    _truncate(catalog, catalog.stat().st_size // 2)
    from tests.conftest import SEED_DIR

    for args in (["ask", QUESTION], ["search", "เมืองอัจฉริยะ"], ["docs"], ["remove", "x.txt"], ["ingest", SEED_DIR]):
        r = run_cli(*args, "--index", index_dir)
        _one_line_error(r, "index damaged", "catalog", "run `assistant")
    code, rep = doctor(index_dir)
    assert code == 1 and "damaged" in rep["problems"][0] and "doctor --fix" in rep["problems"][0]
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"] and rep["documents"] == 1


def test_deleted_vector_store_stops_answers_until_doctor_fixes_it(copy):
    index_dir, answers = copy
    shutil.rmtree(index_dir / "chroma")
    r = run_cli("ask", QUESTION, "--index", index_dir)
    _one_line_error(r, "vector store", "is missing", "assistant doctor --fix")
    assert r.stdout == ""  # the old behaviour answered from BM25 alone, exit 0
    r = run_cli("search", "เมืองอัจฉริยะ", "--method", "bm25", "--index", index_dir)
    _one_line_error(r, "vector store")
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"] and rep["vectors"] == rep["chunks"]
    r = run_cli("ask", QUESTION, "--index", index_dir)
    assert r.returncode == 0 and "แนวทางที่ 7" in r.stdout


def test_truncated_vector_store_is_named_and_set_aside_by_doctor(copy):
    index_dir, answers = copy
    store = index_dir / "chroma" / "chroma.sqlite3"
    _truncate(store, store.stat().st_size // 3)
    r = run_cli("ask", QUESTION, "--index", index_dir)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "vector" in r.stderr and "assistant doctor --fix" in r.stderr
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"], rep
    assert list(index_dir.glob("chroma.damaged-*"))


def test_ui_shows_a_thai_banner_instead_of_answering(copy):
    from ui.app import Context, make_handlers
    from ui.auth import Users

    index_dir, _ = copy
    shutil.rmtree(index_dir / "chroma")
    ctx = Context(_open(index_dir), Users(), stream_delay=0)
    banner = ctx.status_line()
    assert banner.startswith("⚠️") and "ดัชนีเอกสารเสียหาย" in banner and "doctor" in banner
    steps = list(make_handlers(ctx)["respond"](QUESTION, [], [], None))
    chat, turns = steps[-1][0], steps[-1][1]
    assert "ดัชนีเอกสารเสียหาย" in chat[-1]["content"] and turns == []
