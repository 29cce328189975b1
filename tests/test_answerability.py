"""The answerability model on real indexes: a question is answered beside its paragraph and refused
without it (the decision reads the evidence, not the question), tasks are refused unsearched, and a
refusal says what the collection covers and what to ask instead."""

from __future__ import annotations

import json

import pytest

from assistant.answer.answerability import FEATURES, WEIGHTS_FILE, Answerability, shipped, terms
from tests.conftest import SEED_DIR, SHARED

pytestmark = pytest.mark.slow

IAPP = SHARED / "eval" / "iapp_wiki_qa"
# Questions on one Wikipedia paragraph (iApp test, never used in fitting).
GOLD = "iapp-3249e97fa0"


@pytest.fixture(scope="module")
def paragraph_index(tmp_path_factory, settings_factory):
    """The seed and one iApp test paragraph, indexed with the real model."""
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    if not IAPP.is_dir():
        pytest.skip(f"{IAPP} not found: the shared benchmarks sit beside the repository")
    root = tmp_path_factory.mktemp("paragraph")
    rows = [json.loads(x) for x in (IAPP / "test_corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    (root / "wiki.jsonl").write_text(json.dumps(next(r for r in rows if r["doc_id"] == GOLD), ensure_ascii=False) + "\n", encoding="utf-8")
    a = Assistant(settings_factory(tmp_path_factory.mktemp("paragraph-index")))
    rep = ingest([SEED_DIR, root], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert rep.ok, rep.failures
    return a


def questions_on_the_paragraph() -> list[dict]:
    qs = [json.loads(x) for x in (IAPP / "test_queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return [q for q in qs if q["gold_doc_ids"] == [GOLD]]


def test_the_shipped_weights_fit_the_features(tmp_path):
    model = shipped()
    assert model is not None, f"{WEIGHTS_FILE} missing: python -m eval.fit_answerability"
    n = len(terms([0.0] * len(FEATURES), model.quadratic))
    assert model.features == FEATURES and len(model.coef) == len(model.mean) == n and 0 < model.cut < 1
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["features"] = list(FEATURES[:-1])
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="other features"):
        Answerability.load(other)


def test_a_question_is_answered_beside_its_paragraph_and_refused_without_it(paragraph_index, built_index):
    with_it, without = paragraph_index, built_index[0]
    qs = questions_on_the_paragraph()
    assert len(qs) >= 3
    answered = [q for q in qs if not with_it.ask(q["question"]).refused]
    refused = [q for q in qs if without.ask(q["question"]).refused]
    assert len(answered) == len(qs), [q["question"] for q in qs if q not in answered]
    assert len(refused) == len(qs), [q["question"] for q in qs if q not in refused]
    # with its paragraph, the answer quotes it
    ans = with_it.ask(qs[0]["question"])
    assert ans.citations[0].doc_id.endswith(GOLD) and any(g in ans.answer for g in qs[0]["answers"])


def test_wikipedia_questions_asked_of_the_policy_slice_are_refused_where_the_rules_alone_answer_some(built_index, settings_factory):
    """The first 40 iApp test questions (never fitted on): nothing in the seed and the slice answers
    them. The model refuses nearly all; the rules alone quote something for several."""
    from assistant.service import Assistant

    a = built_index[0]
    rules = Assistant(settings_factory(a.settings.index_dir, answerability=False))
    qs = [json.loads(x)["question"] for x in (IAPP / "test_queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()][:40]
    by_model = [a.ask(q) for q in qs]
    by_rules = sum(rules.ask(q).refused for q in qs)
    refused = sum(ans.refused for ans in by_model)
    assert refused >= 0.95 * len(qs) and by_rules < refused, (refused, by_rules)
    judged = [ans.meta["answerability"] for ans in by_model if "answerability" in ans.meta]
    assert judged and all(p < shipped().cut for p in judged)  # a model refusal says its probability


@pytest.mark.parametrize("message, task", [
    ("ช่วยเขียนจดหมายลาป่วยถึงนายกเทศมนตรีให้หน่อย", "compose"),
    ("2500 คูณ 12 เท่ากับเท่าไร", "calculate"),
    ("ช่วยแปลคำว่า smart city เป็นภาษาญี่ปุ่นให้หน่อย", "translate"),
    ("คุณชื่ออะไร", "chitchat"),
])
def test_a_task_is_refused_as_a_task_unsearched(built_index, message, task):
    ans = built_index[0].ask(message)
    assert ans.refused and ans.meta["refusal"] == "task" and ans.meta["task"] == task
    assert ans.hits == [] and "ตอบได้เฉพาะคำถามที่เอกสารในระบบตอบได้" in ans.answer
    assert ans.meta["scope"] in ans.answer and "suggestions" not in ans.meta


def test_a_refusal_says_what_the_collection_covers_and_what_to_ask_instead(built_index):
    a = built_index[0]
    ans = a.ask("ใครชนะฟุตบอลโลกปี 2022")
    assert ans.refused
    scope = ans.meta["scope"]
    assert scope.startswith("ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น") and "กฎหมาย 2 ฉบับ (พ.ร.บ." in scope and scope in ans.answer
    assert ans.meta["suggestions"] and all(q in ans.answer for q in ans.meta["suggestions"])
    # what it offers instead is answered
    assert any(not a.ask(q).refused for q in ans.meta["suggestions"])


def test_json_gives_the_reason_of_a_refusal(built_index):
    from assistant.api import create_app
    from fastapi.testclient import TestClient

    client = TestClient(create_app(built_index[0]))
    got = client.post("/api/ask", json={"question": "แนวทางที่ 11 คืออะไร"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["refused"] and body["meta"]["refusal"] == "missing" and body["meta"]["missing"]


def test_the_learned_similarity_ranks_a_question_s_own_paragraph_above_the_policy_passages(paragraph_index):
    """Every hit of a dense search carries it; the paragraph that answers scores above every seed
    passage for each of its questions, and another embedding model gets no weights."""
    from assistant.model.relevance import WEIGHTS_FILE as RELEVANCE_FILE
    from assistant.model.relevance import shipped as shipped_relevance

    for q in questions_on_the_paragraph():
        hits = paragraph_index.search(q["question"], k=5)
        assert all("relevance" in h.scores for h in hits)
        own = [h.scores["relevance"] for h in hits if h.doc_id.endswith(GOLD)]
        other = [h.scores["relevance"] for h in hits if not h.doc_id.endswith(GOLD)]
        assert own and other and max(own) > max(other), (q["question"], own, other)
    assert shipped_relevance(paragraph_index.index.model_fingerprint) is not None
    assert shipped_relevance("another-model", str(RELEVANCE_FILE)) is None


def test_without_the_learned_similarity_the_rules_alone_decide(built_index, monkeypatch):
    """An index of another embedding model has no weights: the answerability model stays out
    (no probability), and the rules still answer a guideline question."""
    import assistant.retrieve.retriever as retriever

    monkeypatch.setattr(retriever, "shipped_relevance", lambda fingerprint: None)
    a = built_index[0]
    r = a.retriever.retrieve(a.understand("แนวทางที่ 7 คืออะไร"))
    assert r.hits and not any("relevance" in h.scores for h in r.hits)
    got = a.answerer.assess(r)
    assert got is not None and got.probability is None
    assert not a.ask("แนวทางที่ 7 คืออะไร").refused


def test_a_message_written_as_a_request_is_refused_as_one(built_index):
    """The held half of the project's off-topic list (never fitted on) against iApp test questions
    (never fitted on): opinions, forecasts and today's figures fall under the style model's cut,
    questions of fact do not, and a message under it is refused as a request."""
    from assistant.model.style import WEIGHTS_FILE as STYLE_FILE
    from assistant.model.style import shipped as shipped_style
    from eval.harness import QUESTIONS_DIR

    a = built_index[0]
    style = shipped_style(a.index.model_fingerprint)
    assert style is not None and shipped_style("another-model", str(STYLE_FILE)) is None
    held = [json.loads(x) for x in (QUESTIONS_DIR / "offtopic.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    requests = [q["question"] for q in held if q["split"] == "held" and q["request"] in ("opinion", "predict", "current")]
    facts = [json.loads(x)["question"] for x in (IAPP / "test_queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()][:60]
    margin = lambda q: style.margin(a.embedder.embed_query_vec(a.understand(q).dense_text))  # noqa: E731
    under = [q for q in requests if margin(q) < 0]
    assert len(requests) >= 90 and len(under) >= 0.4 * len(requests), (len(under), len(requests))
    assert sum(margin(q) < 0 for q in facts) <= 1
    r = a.retriever.retrieve(a.understand(under[0]))
    assert r.asking == pytest.approx(margin(under[0]), abs=1e-4) and r.asking < 0
    answers = [a.ask(q) for q in under[:10]]
    assert all(ans.refused for ans in answers)
    told = [ans for ans in answers if ans.meta["refusal"] == "request"]
    assert told and all("ความเห็น การคาดการณ์" in ans.answer and ans.meta["suggestions"] is not None for ans in told)


def test_without_style_weights_no_message_is_refused_as_a_request(built_index, monkeypatch):
    """No style weights for this model: the retriever gives no margin, and a message the model would
    put under its cut is judged by the evidence alone."""
    import assistant.retrieve.retriever as retriever

    a = built_index[0]
    message = "เมืองอัจฉริยะจะช่วยให้ชีวิตคนไทยดีขึ้นไหม ในความเห็นของคุณ"
    assert a.retriever.retrieve(a.understand(message)).asking < 0
    monkeypatch.setattr(retriever, "shipped_style", lambda fingerprint: None)
    assert a.retriever.retrieve(a.understand(message)).asking is None
    assert a.ask(message).meta.get("refusal") != "request"
    assert not a.ask("แนวทางที่ 7 คืออะไร").refused


def test_the_fit_holds_each_constrained_weight_at_or_above_zero():
    """Two features that say the same thing: alone each raises the odds, together the unconstrained
    fit gives one a negative weight (as the passage's coverage beside the sentence's); constrained,
    none goes below zero, and the free column keeps its sign."""
    import numpy as np

    from eval.fit_answerability import fit_logistic

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000).astype(float)
    a = y + rng.normal(0, 0.7, 2000)
    b = a + rng.normal(0, 0.2, 2000) - 0.6 * y  # follows a, but less where the answer is there
    free_col = -y + rng.normal(0, 1.0, 2000)  # lowers the odds: left free
    x = np.column_stack([a, b, free_col])
    _, _, free, _ = fit_logistic(x, y)
    assert free[1] < 0  # the trade the constraint rules out
    _, _, held, _ = fit_logistic(x, y, nonneg=[True, True, False])
    assert held[0] > 0 and held[1] >= 0 and held[2] < 0


def test_a_group_share_moves_weight_within_its_class_only():
    import numpy as np

    from eval.fit_answerability import group_weights

    y = np.array([1, 1, 0, 0, 0, 0], float)
    groups = ["pos", "pos", "near", "near", "far", "far"]
    w = group_weights(y, groups, {"near": 0.5}) / 6
    assert w[y == 1].sum() == pytest.approx(0.5) and w[y == 0].sum() == pytest.approx(0.5)
    assert w[2:4].sum() == pytest.approx(0.5 * 0.5 / 1.5) and w[4:].sum() == pytest.approx(0.5 / 1.5)
