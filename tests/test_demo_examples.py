"""Every example button (ui/examples.yaml) and training-scenario question (ui/scenarios.yaml) on the
index `make demo` builds (the seed plus corpus/demo.txt): answered with its keys, or, for a
deliberate out-of-scope question, refused with the scope line. The index is built once with the
real model; the passage cache makes a rebuild cheap."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SEED_DIR, shared_corpus

DEMO_LIST = ROOT / "corpus" / "demo.txt"


def demo_paths() -> list:
    """What `make demo` ingests: corpus/documents and the shared files corpus/demo.txt names
    (the Makefile strips `#` comments the same way)."""
    names = [line.split("#", 1)[0].strip() for line in DEMO_LIST.read_text(encoding="utf-8").splitlines()]
    corpus = shared_corpus()
    return [SEED_DIR] + [corpus / n for n in names if n]


def _examples():
    from ui.app import load_examples

    for g in load_examples():
        for q in g.questions:
            yield pytest.param(q, g.keys.get(q), id=q[:40])


def _scenario_questions():
    from ui.app import load_scenarios

    for sc in load_scenarios():
        for q in sc["questions"]:
            yield pytest.param(q, sc["keys"].get(q), id=f"{sc['guideline']}-{q[:36]}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, settings_factory):
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    a = Assistant(settings_factory(tmp_path_factory.mktemp("demo-index")))
    paths = demo_paths()
    missing = [p for p in paths if not p.exists()]
    assert not missing, f"corpus/demo.txt names files that are not there: {missing}"
    report = ingest(paths, a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok, report.failures
    return a


def check(a, question: str, keys: list[str] | None, history: list[str] | None = None) -> None:
    ans = a.ask(question, history=history)
    if keys is None:  # a deliberate out-of-scope question
        assert ans.refused, ans.answer
        assert ans.meta.get("scope", "").startswith("ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น"), ans.meta
        assert ans.meta["scope"] in ans.answer
        return
    assert not ans.refused, ans.answer
    assert keys, f"{question}: no keys in the YAML"
    # the keys are quoted in the answer, or name the place it cites (มาตรา ๑๖)
    said = ans.answer + "\n" + "\n".join(f"{c.title} {c.location}" for c in ans.citations)
    missing = [k for k in keys if k not in said]
    assert not missing, (missing, ans.answer, [(c.doc_id, c.location) for c in ans.citations])


def test_the_demo_list_is_small_and_its_files_exist():
    paths = demo_paths()
    assert all(p.is_file() for p in paths[1:]) and 1 < len(paths) <= 12
    # no JSONL: ingest reads one whole (~1,200 passages), past the demo's embedding budget
    assert not [p for p in paths if p.suffix == ".jsonl"]


@pytest.mark.parametrize("question,keys", list(_examples()))
def test_example(demo, question, keys):
    # a follow-up example is clicked after the question it follows
    history = ["แนวทางที่ 7 คืออะไร"] if question.startswith("แล้ว") else None
    check(demo, question, keys, history)


@pytest.mark.parametrize("question,keys", list(_scenario_questions()))
def test_scenario_question(demo, question, keys):
    check(demo, question, keys)


def test_scenario_sources_are_in_the_demo(demo):
    """The trainer tab quotes only documents `make demo` indexes (by file: a single file's doc id
    is its name there, `thai_law/<file>` in `make demo-full`)."""
    from ui.app import load_scenarios

    names = {d.doc_id.rsplit("/", 1)[-1] for d in demo.index.documents()}
    for sc in load_scenarios():
        for p in sc["points"]:
            for src in p["sources"]:
                assert src["doc_id"].rsplit("/", 1)[-1] in names, (sc["guideline"], src["doc_id"])
