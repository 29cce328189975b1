"""The extension points: a ranker or an answerer is one function plus one table entry, and the
CLI, API and service all see it; the package works when installed from its wheel (not editable)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answer.answerers import ANSWERERS, Answerer, register_answerer
from assistant.retrieve.rankers import RANKERS, Ranked, register_ranker
from assistant.schema import Answer, Citation, QueryPlan, Retrieval
from tests.conftest import ROOT, SEED_DIR, SEED_ID


@pytest.fixture
def toy_ranker():
    """Ranks the seed's passages in document order: easy to predict, unlike any real ranker."""

    @register_ranker("toy-seed-order")
    def seed_order(ctx, plan: QueryPlan, n: int) -> Ranked:
        ids = ctx.index.catalog.chunk_ids(SEED_ID)[:n]
        items = [(cid, 1.0 / (i + 1)) for i, cid in enumerate(ids)]
        return Ranked(items, {"toy-seed-order": items})

    yield "toy-seed-order"
    RANKERS.pop("toy-seed-order")


@pytest.mark.slow
def test_a_registered_ranker_is_searchable_through_service_and_api(built_index, toy_ranker):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    from assistant.retrieve.retriever import join_units

    a, _ = built_index
    hits = a.search("การพัฒนาเมืองอัจฉริยะ", k=4, method=toy_ranker)
    # the ranker's order, a section's consecutive chunks being one hit
    ids = a.index.catalog.chunk_ids(SEED_ID)
    order, _ = join_units([(c, 1.0) for c in ids], a.index.chunks(ids), a.settings.unit_chunks)
    assert [h.chunk_id for h in hits] == [c for c, _ in order][:4]
    assert all(h.doc_id == SEED_ID and "toy-seed-order" in h.scores for h in hits)

    client = TestClient(create_app(a))
    got = client.get("/api/search", params={"q": "เมืองอัจฉริยะ", "k": 2, "method": toy_ranker})
    assert got.status_code == 200, got.text
    assert [h["chunk_id"] for h in got.json()["hits"]] == [h.chunk_id for h in hits[:2]]
    assert client.get("/api/search", params={"q": "x", "method": "no-such-ranker"}).status_code == 422


@pytest.mark.slow
def test_hybrid_fuses_whichever_rankers_the_settings_name(built_index, toy_ranker):
    from assistant.retrieve.retriever import Retriever

    a, _ = built_index
    s = replace(a.settings, fusion=("bm25", toy_ranker))
    r = Retriever(a.index, a.embedder, s).retrieve(a.understanding.plan("หน้าที่ของผู้สูงอายุ"), k=10)
    parts = {name for h in r.hits for name in h.scores}
    assert parts == {"bm25", toy_ranker}  # no dense list was asked for
    # the seed's first passage gets the toy's top vote: it is fused in, not appended
    assert a.index.catalog.chunk_ids(SEED_ID)[0] in [h.chunk_id for h in r.hits]


@pytest.fixture
def toy_answerer():
    class FirstPassage(Answerer):
        def answer(self, retrieval: Retrieval) -> Answer:
            h = retrieval.hits[0]
            c = Citation(1, h.doc_id, h.title, h.location, h.text, h.score, h.text[:40])
            return Answer(retrieval.plan.question, f"{h.text[:40]} [1]", False, [c], retrieval.hits)

    register_answerer("toy-first-passage")(lambda settings, chat_model=None: FirstPassage())
    yield "toy-first-passage"
    ANSWERERS.pop("toy-first-passage")


@pytest.mark.slow
def test_a_registered_answerer_is_chosen_by_settings(built_index, toy_answerer):
    from assistant.service import Assistant

    a, _ = built_index
    b = Assistant(replace(a.settings, answerer=toy_answerer))
    b.__dict__.update(embedder=a.embedder, index=a.index)  # the same loaded model and index
    ans = b.ask("แนวทางที่ 7 คืออะไร")
    top = b.search("แนวทางที่ 7 คืออะไร", k=1)[0]
    assert ans.answer == f"{top.text[:40]} [1]" and ans.citations[0].doc_id == top.doc_id
    assert ans.searched_as.startswith("แนวทางที่ 7") and "seconds" in ans.meta
    # streaming is part of the contract: an answerer without its own stream yields its one answer
    items = list(b.ask_stream("แนวทางที่ 7 คืออะไร"))
    assert len(items) == 1 and items[0].answer == ans.answer


def test_an_unknown_answerer_is_named_in_the_error(tmp_path):
    from assistant.answer.build import build_answerer
    from assistant.config import load_settings

    with pytest.raises(ValueError, match="no-such-answerer"):
        build_answerer(load_settings(index_dir=tmp_path, answerer="no-such-answerer"))


def test_knowledge_files_come_from_settings(tmp_path):
    from assistant.config import load_settings
    from assistant.knowledge import glossary, guidelines

    g = tmp_path / "g.yaml"
    g.write_text("entries:\n  - term: เทศบาลนคร\n    variants: [ทน.]\n", encoding="utf-8")
    s = load_settings(index_dir=tmp_path, glossary_file=g)
    loaded = glossary.load_default(str(s.glossary_file))
    assert [m.adds for m in loaded.find("ทน. มีหน้าที่อะไร")] == [["เทศบาลนคร"]]
    assert len(guidelines.load().numbers) == 10  # the shipped copy by default


@pytest.mark.slow
def test_the_wheel_installs_and_answers_without_the_source_tree(tmp_path):
    """`pip install .` (not editable): the knowledge files travel as package data."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("thai_policy_assistant-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from this test's environment; the project itself only from the wheel
    # (a directory named in a .pth file has its own .pth files — the editable finder — ignored).
    deps = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "deps.pth").write_text(deps + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"  # not the repository: nothing may be read from the source tree
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASSISTANT_GLOSSARY", "ASSISTANT_GUIDELINES")}
    env["HF_HUB_OFFLINE"] = "1"

    def run(*args):
        return subprocess.run([str(py), "-m", "assistant", *args], cwd=work, env=env, capture_output=True, text=True, timeout=600)

    probe = ("import assistant, assistant.knowledge.data as d, assistant.knowledge.guidelines as g; "
             "print(assistant.__file__); print(d.shipped('glossary.yaml')); print(len(g.load().numbers))")
    where = subprocess.run([str(py), "-c", probe], cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where[0].startswith(site) and where[1].startswith(site) and Path(where[1]).is_file(), where
    assert where[2] == "10"
    got = run("ingest", str(SEED_DIR), "--index", str(work / "index"))
    assert got.returncode == 0, got.stderr[-2000:]
    # A question the seed answers (its plan for the guideline); "อปท. คืออะไร" is a definition the
    # seed alone does not give, refused by the answerability model since it reads the learned similarity.
    got = run("ask", "สถ. จะเผยแพร่ policy guideline ให้ อปท. นำไปใช้อย่างไร", "--index", str(work / "index"), "--json")
    assert got.returncode == 0, got.stderr[-2000:]
    import json

    ans = json.loads(got.stdout)
    assert not ans["refused"] and ans["citations"][0]["doc_id"] == SEED_ID
    assert "องค์กรปกครองส่วนท้องถิ่น" in ans["searched_as"]  # the shipped glossary expanded อปท.
