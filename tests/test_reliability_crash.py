"""Crash safety with real SIGKILLs: an `assistant ingest` killed while it embeds, after it wrote
vectors but before the catalog committed, or between two committed batches, leaves the index
answering from a whole state; `assistant doctor` says what was left behind; running the same
ingest again finishes the job and the index is healthy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_DIR
from tests.reliability import catalog_state, cli_env, doctor, ingest_seed, run_cli, search_state

pytestmark = pytest.mark.slow


def open_assistant(index_dir: Path):
    from assistant.config import load_settings
    from assistant.service import Assistant

    return Assistant(load_settings(index_dir=index_dir))


def answers(index_dir: Path) -> list:
    """How the index answers, read by a fresh client (what a new process would see)."""
    a = open_assistant(index_dir)
    try:
        return search_state(a)
    finally:
        a.index.close()


def new_documents(folder: Path, n: int = 6) -> list[str]:
    """n meeting reports built from the seed's paragraphs (each its own chunks: ids hash the doc id)."""
    paras = [p.strip() for p in (SEED_DIR).glob("*.txt").__next__().read_text(encoding="utf-8").split("\n") if len(p.strip()) > 40]
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        body = paras[i % len(paras):] + paras[: i % len(paras)]
        name = f"รายงานการประชุม-{i + 1:02d}.txt"
        (folder / name).write_text(f"รายงานการประชุมคณะทำงานเมืองอัจฉริยะ ครั้งที่ {i + 1}\n\n" + "\n\n".join(body), encoding="utf-8")
        names.append(name)
    return names


def start_ingest(folder: Path, index_dir: Path, *extra, env=None) -> subprocess.Popen:
    # The kills land while the model embeds: vectors cached by an earlier run would skip that.
    env = {**(env or cli_env()), "ASSISTANT_PASSAGE_CACHE": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(folder), "--index", str(index_dir), "--json", "--events", *map(str, extra)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )


def kill_at(p: subprocess.Popen, want) -> dict:
    """Read progress events until `want(event)` holds, then SIGKILL the process."""
    seen = None
    for line in p.stderr:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if want(ev):
            seen = ev
            os.kill(p.pid, signal.SIGKILL)
            break
    p.wait(timeout=120)
    p.stdout.close()
    p.stderr.close()
    assert seen is not None, "the ingest ended before the kill point"
    assert p.returncode == -signal.SIGKILL
    return seen


@pytest.fixture
def seeded(tmp_path):
    index_dir = tmp_path / "index"
    a = open_assistant(index_dir)
    ingest_seed(a)
    a.index.close()
    return index_dir


def test_sigkill_while_embedding_and_before_commit(seeded, tmp_path):
    index_dir = seeded
    docs = tmp_path / "new"
    names = new_documents(docs)
    before, before_answers = catalog_state(index_dir), answers(index_dir)

    # 1. killed while it embeds (one batch: nothing is committed before the end)
    p = start_ingest(docs, index_dir)
    ev = kill_at(p, lambda e: e["event"] == "embed" and e["done"] < e["total"])
    assert 0 < ev["done"] < ev["total"]
    assert catalog_state(index_dir) == before
    assert answers(index_dir) == before_answers
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"] and rep["generation"] == before["generation"], rep

    # 2. killed after the vectors are in Chroma, before the catalog names them
    p = start_ingest(docs, index_dir, env=cli_env(ASSISTANT_CRASH_AT="before-commit"))
    out, err = p.communicate(timeout=900)
    assert p.returncode == -signal.SIGKILL, err
    assert catalog_state(index_dir) == before
    assert answers(index_dir) == before_answers  # the orphans are never answers
    code, rep = doctor(index_dir)
    assert code == 1 and rep["orphan_vectors"] > 0 and rep["missing_vectors"] == 0
    assert any("interrupted ingest" in p for p in rep["problems"])
    orphans = rep["orphan_vectors"]

    # 3. the same command again finishes the job, reusing the vectors the killed run wrote
    r = run_cli("ingest", docs, "--index", index_dir, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["added"] == len(names) and out["chunks_embedded"] == 0 and out["chunks_added"] == orphans
    after = catalog_state(index_dir)
    assert sorted(d for d, _, _ in after["documents"]) == sorted(names + [d for d, _, _ in before["documents"]])
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"], rep
    a = open_assistant(index_dir)
    try:
        hits = a.search("รายงานการประชุมคณะทำงานเมืองอัจฉริยะ ครั้งที่ 4", k=3, method="bm25")
        assert hits[0].doc_id == names[3]
    finally:
        a.index.close()


def test_sigkill_between_batches_and_after_commit(seeded, tmp_path):
    index_dir = seeded
    docs = tmp_path / "new"
    names = new_documents(docs)
    before = catalog_state(index_dir)

    # 1. small batches: killed right after the first batch committed, while the next one embeds
    p = start_ingest(docs, index_dir, "--batch-chunks", "10")
    kill_at(p, lambda e: e["event"] == "commit")
    mid = catalog_state(index_dir)
    assert mid["generation"] > before["generation"]
    got = {d for d, _, _ in mid["documents"]} - {d for d, _, _ in before["documents"]}
    assert got and got < set(names)  # some documents in, not all
    code, rep = doctor(index_dir)
    assert rep["missing_vectors"] == 0 and rep["keyword_matches"], rep
    assert code == 0 or rep["problems"] == [p for p in rep["problems"] if "interrupted ingest" in p]
    r = run_cli("ingest", docs, "--index", index_dir, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["unchanged"] == len(got)
    final = catalog_state(index_dir)
    for doc in got:  # every document that was in after the kill was in whole
        assert [c for c in mid["chunks"] if c[0] == doc] == [c for c in final["chunks"] if c[0] == doc]
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"], rep

    # 2. a changed document, killed after the catalog commit and before the old vectors are
    #    dropped and the keyword index rebuilt: readers see only the new text
    target = docs / names[0]
    target.write_text("ฉบับแก้ไข: คณะทำงานเมืองอัจฉริยะเลื่อนการประชุมครั้งที่ 1 ไปเป็นเดือนหน้า", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(target), "--index", str(index_dir), "--json"],
        capture_output=True, text=True, cwd=ROOT, env=cli_env(ASSISTANT_CRASH_AT="after-commit"), timeout=900,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr
    code, rep = doctor(index_dir)
    assert code == 1 and rep["orphan_vectors"] > 0 and not rep["keyword_matches"]
    a = open_assistant(index_dir)
    try:
        hits = a.search("คณะทำงานเมืองอัจฉริยะเลื่อนการประชุม", k=10)
        mine = [h for h in hits if h.doc_id == names[0]]
        assert mine and all(h.text.startswith("ฉบับแก้ไข") for h in mine)
    finally:
        a.index.close()
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"], rep
