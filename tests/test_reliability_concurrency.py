"""Searching while an ingest runs: every result set comes from one committed state of the index
(a document's hits are all of one version, a version that was current while the search ran),
never half of one and half of another."""

from __future__ import annotations

import random
import re
import threading
import time

import pytest

from tests.reliability import ingest_seed

pytestmark = pytest.mark.slow

VERSION = re.compile(r"รุ่นที่ (\d+)")
TOPICS = [
    "การจัดการขยะมูลฝอยและการคัดแยกขยะที่ต้นทางในชุมชน",
    "ระบบไฟส่องสว่างอัจฉริยะบนถนนสายหลักของเทศบาล",
    "ศูนย์ข้อมูลเมืองและการเปิดเผยข้อมูลต่อประชาชน",
    "การดูแลผู้สูงอายุด้วยระบบแจ้งเหตุฉุกเฉินผ่านโทรศัพท์",
]
QUERIES = ["การคัดแยกขยะที่ต้นทาง", "ไฟส่องสว่างอัจฉริยะ", "ศูนย์ข้อมูลเมือง เปิดเผยข้อมูล", "ระบบแจ้งเหตุฉุกเฉิน ผู้สูงอายุ"]


def version_text(v: int) -> str:
    return "\n\n".join(f"แผนงานเทศบาลตำบลบ้านทดสอบ รุ่นที่ {v} เรื่อง{t} ปรับปรุงครั้งที่ {v}" for t in TOPICS)


def test_searches_during_ingest_see_whole_states(tmp_path):
    from assistant.config import load_settings
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    a = Assistant(load_settings(index_dir=tmp_path / "index"))
    ingest_seed(a)
    docs = tmp_path / "docs"
    docs.mkdir()
    plan = docs / "แผนงาน.txt"
    extra = docs / "ภาคผนวก.txt"

    def write(v: int) -> None:
        plan.write_text(version_text(v), encoding="utf-8")
        rep = ingest([plan], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
        assert rep.ok and (rep.added or rep.replaced), rep.failures

    versions: dict[int, dict] = {}
    write(1)
    versions[1] = {"start": 0.0, "end": time.perf_counter(), "ids": set(a.index.catalog.chunk_ids("แผนงาน.txt"))}
    last = 6
    results: list[tuple[float, float, list]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer():
        try:
            for v in range(2, last + 1):
                start = time.perf_counter()
                write(v)
                versions[v] = {"start": start, "end": time.perf_counter(), "ids": set(a.index.catalog.chunk_ids("แผนงาน.txt"))}
                if v == 3:  # a second document comes and goes meanwhile
                    extra.write_text("ภาคผนวกแผนงาน ระบบไฟส่องสว่างอัจฉริยะ ตารางงบประมาณ", encoding="utf-8")
                    ingest([extra], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
                if v == 5:
                    a.index.remove(["ภาคผนวก.txt"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def reader(seed: int):
        rng = random.Random(seed)
        try:
            while not done.is_set():
                q = rng.choice(QUERIES)
                method = rng.choice(["hybrid", "hybrid", "bm25", "dense"])
                t0 = time.perf_counter()
                hits = a.search(q, k=10, method=method)
                t1 = time.perf_counter()
                results.append((t0, t1, [(h.doc_id, h.chunk_id, h.text) for h in hits]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not errors, errors
    assert len(versions) == last

    seen_versions = set()
    checked = 0
    for t0, t1, hits in results:
        mine = [(cid, text) for doc, cid, text in hits if doc == "แผนงาน.txt"]
        if not mine:
            continue
        vs = {int(VERSION.search(text).group(1)) for _, text in mine}
        assert len(vs) == 1, f"one result mixes versions {vs}"
        v = vs.pop()
        seen_versions.add(v)
        assert {cid for cid, _ in mine} <= versions[v]["ids"]  # chunks of that version, nothing else
        # that version was the current one at some moment while the search ran
        assert versions[v]["start"] <= t1, (v, t0, t1)
        if v < last:
            assert versions[v + 1]["end"] >= t0, (v, t0, t1)
        checked += 1
    print(f"\n{len(results)} searches during {last - 1} re-ingests; {checked} with the changing document; versions seen {sorted(seen_versions)}")
    assert checked > 10 and len(seen_versions) >= 2
    assert a.index.check()["healthy"]


def test_a_running_reader_sees_what_another_process_ingests_and_removes(tmp_path):
    """A long-lived process (the served app) keeps answering while `assistant ingest` and
    `assistant remove` change the index from another process: the new document is found by
    dense search too (Chroma is re-opened when the catalog moves on), the removed one is gone."""
    from assistant.config import load_settings
    from assistant.service import Assistant
    from tests.reliability import run_cli

    a = Assistant(load_settings(index_dir=tmp_path / "index"))
    ingest_seed(a)
    q = "ไฟส่องสว่างพลังงานแสงอาทิตย์ของเทศบาลตำบลบ้านหนองบัว"
    assert all(h.doc_id != "solar.txt" for h in a.search(q, k=3))  # warm: Chroma's graph is in memory
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "solar.txt").write_text("โครงการไฟส่องสว่างพลังงานแสงอาทิตย์ของเทศบาลตำบลบ้านหนองบัว ปี ๒๕๖๘", encoding="utf-8")
    r = run_cli("ingest", docs, "--index", tmp_path / "index", "--json")
    assert r.returncode == 0, r.stderr
    for method in ("dense", "bm25", "hybrid"):
        assert a.search(q, k=1, method=method)[0].doc_id == "solar.txt", method
    r = run_cli("remove", "solar.txt", "--index", tmp_path / "index")
    assert r.returncode == 0, r.stderr
    for method in ("dense", "bm25", "hybrid"):
        assert all(h.doc_id != "solar.txt" for h in a.search(q, k=5, method=method)), method
    assert a.index.check()["healthy"]
