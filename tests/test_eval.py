"""The evaluation harness: metric arithmetic, and a small real run that writes a report."""

import json

import pytest

from eval import metrics as M
from tests.conftest import SEED_ID


def test_recall_mrr_ndcg():
    rels = [False, True, False, True]
    assert M.recall_at(rels, 1) == 0 and M.recall_at(rels, 2) == 1
    assert M.mrr_at(rels, 10) == 0.5
    assert M.ndcg_at([True], 10) == 1.0
    assert 0 < M.ndcg_at(rels, 10, n_relevant=2) < 1


def test_relevance_needs_gold_doc_and_evidence_ignoring_whitespace():
    text = "แนวทางที่ 7 การให้ความสำคัญกับการปรับตัว\nต่อการเปลี่ยนแปลง"
    assert M.relevant("a", text, ["a"], ["การปรับตัวต่อการเปลี่ยนแปลง"])
    assert not M.relevant("b", text, ["a"], ["การปรับตัว"])
    assert not M.relevant("a", text, ["a"], ["ไม่มีในข้อความ"])


def test_multi_recall_counts_each_gold_document():
    assert M.multi_recall_at([[True, False], [False, False]], 5) == 0.5
    assert M.doc_level(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]


def test_one_percentile_linear_interpolation():
    # the harness, `make load` and `make bench` all read p50/p95 from this one function
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([10, 20], 95) == 19.5
    assert M.percentile(list(range(1, 101)), 95) == 95.05
    assert M.percentile([7], 99) == 7 and M.percentile([], 95) == 0.0
    assert M.percentile([3, 1, 2], 0) == 1 and M.percentile([3, 1, 2], 100) == 3


def test_question_files_pass_the_checker():
    from eval.check_questions import check, load_documents
    from eval.harness import QUESTIONS_DIR
    from tests.conftest import ROOT, shared_corpus

    docs = load_documents(shared_corpus(), ROOT / "corpus" / "documents")
    rows = []
    for split in ("dev", "test"):
        rows += [json.loads(x) for x in (QUESTIONS_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(rows) >= 80
    assert check(rows, docs) == []
    kinds = {r["kind"] for r in rows}
    assert kinds >= {"lexical", "paraphrase", "multi", "out_of_scope"}


@pytest.mark.slow
def test_harness_scores_and_reports(built_index, tmp_path):
    from eval import harness, report

    a, _ = built_index
    Q = harness.Question
    dev = [
        Q("d1", "แนวทางที่ 7 คืออะไร", "lexical", gold_doc_ids=[SEED_ID], evidence=["การปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ"], answer_keys=["สภาพภูมิอากาศ"]),
        Q("d2", "สูตรแกงเขียวหวานไก่", "out_of_scope"),
    ]
    test = [
        Q("t1", "อปท. ควรร่วมมือกับภาคส่วนไหนบ้างตามแนวทางพัฒนาเมืองอัจฉริยะ", "paraphrase", gold_doc_ids=[SEED_ID], evidence=["ส่งเสริมสร้างพันธมิตรกับทุกภาคส่วน"], answer_keys=["พันธมิตร"]),
        Q("t2", "ผลการแข่งขันฟุตบอลพรีเมียร์ลีกเมื่อวาน", "out_of_scope"),
    ]
    result = {"name": "ci", "date": "2026-01-01"}
    result["domain"] = harness.run_domain(a, dev, test)
    result["latencies_ms"] = result["domain"].pop("latencies_ms")
    result["meta"] = {"index": "tmp", "documents": 1, "chunks": 1, "model": a.embedder.fingerprint, "settings": {}}
    test_split = result["domain"]["splits"]["test"]
    assert set(test_split["retrieval"]) == {"hybrid", "dense", "bm25", "window"}
    assert test_split["retrieval"]["hybrid"]["R@10"] == 1.0
    assert test_split["answers"]["citation_validity"] == 1.0
    from dataclasses import asdict

    from assistant.answer.evidence import refusal_rule

    # the shipped rule, chosen on the blind and external sets: nothing is re-fitted on own questions
    assert result["domain"]["refusal_rule"] == asdict(refusal_rule(a.settings))
    assert {"answer_key_hit_all", "median_chars", "by_type"} <= set(test_split["answers"])
    dev_answers = result["domain"]["splits"]["dev"]["answers"]
    assert dev_answers["refusal_accuracy"] == 1.0 and dev_answers["false_refusal"] == 0.0
    assert 0.0 <= test_split["answers"]["refusal_accuracy"] <= 1.0
    md = report.write(result, tmp_path)
    text = md.read_text(encoding="utf-8")
    assert "| hybrid |" in text and "R@5" in text
    assert (tmp_path / "2026-01-01-ci-recall.png").stat().st_size > 1000
    # a second report lists the per-question changes against the first
    result2 = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
    result2["name"] = "ci2"
    result2["domain"]["splits"]["test"]["questions"]["t1"]["hybrid_rank"] = None
    md2 = report.write(result2, tmp_path)
    assert "worse: t1" in md2.read_text(encoding="utf-8")


def test_the_previous_report_is_the_latest_by_its_date_not_its_file_time(tmp_path):
    import os

    from eval.report import previous_report

    for day in ("2026-11-29", "2026-11-30"):
        (tmp_path / f"{day}-domain.json").write_text(json.dumps({"domain": {}, "date": day}), encoding="utf-8")
    os.utime(tmp_path / "2026-11-29-domain.json", (2_000_000_000, 2_000_000_000))  # checked out last
    assert previous_report(tmp_path, tmp_path / "2026-12-01-domain.json")["_path"] == "2026-11-30-domain.json"
