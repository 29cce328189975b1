"""Review runs and verdicts: the SQLite store, its JSONL/CSV export and import through the command
line, the automatic verdicts of assistant.judge, and the users file's reviewer role."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.review import ReviewError, ReviewStore, read_rows, write_export
from assistant.schema import Answer, Hit
from assistant.judge import judge, question_from
from tests.conftest import ROOT

QS = [
    {"qid": "a1", "question": "แนวทางที่ 7 คืออะไร", "kind": "lexical", "difficulty": "easy",
     "gold_doc_ids": ["seed.txt"], "evidence": ["แนวทางที่ 7"], "answer_keys": ["สภาพภูมิอากาศ"]},
    {"qid": "a2", "question": "พรุ่งนี้ฝนตกไหม", "kind": "out_of_scope", "difficulty": "easy",
     "gold_doc_ids": [], "evidence": [], "answer_keys": []},
]


def _hit(doc_id, text, rank):
    return Hit(f"c{rank}", doc_id, "t", "ย่อหน้า 1", text, 0.5, rank)


def test_judge_uses_the_evaluation_rules():
    q = question_from(QS[0])
    miss = [_hit("other.txt", "แนวทางที่ 7", i) for i in range(1, 6)]
    ans = Answer(q.question, "แนวทางที่ 7 การปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ [1]", False, [],
                 miss + [_hit("seed.txt", "ข้อความ แนวทางที่ 7 ข้อความ", 6)])
    got = judge(q, ans)
    assert got == {"hit_rank": 6, "retrieval_hit": False, "keys_present": True, "refused": False,
                   "should_refuse": False, "refusal_ok": True}
    assert judge(q, ans, k=6)["retrieval_hit"] is True
    out = judge(question_from(QS[1]), Answer(QS[1]["question"], "ไม่พบข้อมูล", True, [], []))
    assert out["should_refuse"] is True and out["refusal_ok"] is True and out["retrieval_hit"] is None
    pending = judge(question_from({**QS[1], "kind": "needs_review"}), Answer("q", "x", False, [], []))
    assert pending["should_refuse"] is None and pending["refusal_ok"] is None


def test_question_rows_are_checked():
    with pytest.raises(ValueError):
        question_from({"qid": "x", "question": " ", "kind": "lexical"})
    with pytest.raises(TypeError):
        question_from({"qid": "x", "question": "ถาม"})  # no kind
    with pytest.raises(ValueError):
        question_from({"qid": "x", "question": "ถาม", "kind": "lexical", "answer_keys": "ไม่ใช่รายการ"})


def test_store_export_and_import_through_the_cli(tmp_path):
    index = tmp_path / "index"
    store = ReviewStore.for_index(index)
    run = store.new_run("ชุดทดสอบ", "upload", "ratana", QS, 3)
    store.record(run, "a1", answer="คำตอบ [1]", citations=[{"n": 1, "doc_id": "seed.txt", "location": "ย่อหน้า 2",
                                                           "quote": "แนวทางที่ 7", "text": "..."}],
                 auto={"retrieval_hit": True, "keys_present": False, "refused": False, "should_refuse": False}, seconds=0.2)
    store.record(run, "a2", answer="ไม่พบข้อมูล", citations=[], auto={"refused": True, "should_refuse": True}, seconds=0.1)
    store.finish(run)
    store.set_verdict(run, "a1", "partly", "ขาดคำสำคัญ, \"ภูมิอากาศ\"", "ratana")
    with pytest.raises(ReviewError):
        store.set_verdict(run, "a1", "excellent")
    with pytest.raises(ReviewError):
        store.set_verdict(run, "zz", "wrong")
    assert store.run(run)["done"] == 2 and store.run(run)["status"] == "done"
    store.close()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    cli = [sys.executable, "-m", "assistant"]
    csv_out = tmp_path / "run.csv"
    r = subprocess.run(cli + ["review", "export", str(csv_out), "--run", str(run), "--index", str(index)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"run_id": run, "out": str(csv_out), "rows": 2, "judged": 1}
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheet programs read Thai with the BOM
    rows = {r["qid"]: r for r in read_rows(csv_out)}
    assert rows["a1"]["verdict"] == "partly" and rows["a1"]["comment"] == "ขาดคำสำคัญ, \"ภูมิอากาศ\""
    assert json.loads(rows["a1"]["gold_doc_ids"]) == ["seed.txt"] and rows["a2"]["should_refuse"] == "True"

    # a reviewer fills in the other verdict offline (as CSV), and one row points nowhere
    rows["a2"]["verdict"] = "correct"
    rows["a2"]["comment"] = "ปฏิเสธถูกต้อง"
    bad = {**rows["a2"], "qid": "nope"}
    edited = tmp_path / "edited.csv"
    import csv

    with edited.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows["a1"]))
        w.writeheader()
        w.writerows([rows["a1"], rows["a2"], bad])
    r = subprocess.run(cli + ["review", "import", str(edited), "--index", str(index)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr  # the stray row is named, the good rows are stored
    got = json.loads(r.stdout)
    assert got["verdicts"] == 2 and len(got["unknown"]) == 1 and "nope" in got["unknown"][0]

    jsonl = tmp_path / "labelled.jsonl"
    r = subprocess.run(cli + ["review", "export", str(jsonl), "--index", str(index)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [(x["qid"], x["verdict"], x["comment"]) for x in out] == [
        ("a1", "partly", "ขาดคำสำคัญ, \"ภูมิอากาศ\""), ("a2", "correct", "ปฏิเสธถูกต้อง")]
    # the export is an evaluation question file: eval's loader reads it back
    from assistant.judge import load_questions

    assert [q.qid for q in load_questions(jsonl)] == ["a1", "a2"]
    write_export(out, tmp_path / "again.jsonl")
    assert read_rows(tmp_path / "again.jsonl") == out


def test_reviewer_role_in_the_users_file(tmp_path):
    from ui.auth import UsersFileError, load_users

    path = tmp_path / "users.json"
    path.write_text(json.dumps({"somchai": "pw1", "ratana": {"password": "pw2", "role": "reviewer"}}), encoding="utf-8")
    users = load_users(users_file=path, env={"ASSISTANT_UI_USER": "op", "ASSISTANT_UI_PASSWORD": "pw3"})
    assert users.check("ratana", "pw2") and users.check("somchai", "pw1") and users.check("op", "pw3")
    assert users.is_reviewer("ratana") and not users.is_reviewer("somchai") and not users.is_reviewer("op")
    assert not users.is_reviewer(None) and not users.is_reviewer("nobody")
    env_reviewer = load_users(env={"ASSISTANT_UI_USER": "op", "ASSISTANT_UI_PASSWORD": "x", "ASSISTANT_UI_ROLE": "reviewer"})
    assert env_reviewer.is_reviewer("op")
    path.write_text(json.dumps({"x": {"password": "p", "role": "admin"}}), encoding="utf-8")
    with pytest.raises(UsersFileError):
        load_users(users_file=path, env={})


def test_table_filters_summary_and_two_runs_compared(tmp_path):
    from ui.review import compare_html, run_summary, table_html

    store = ReviewStore.for_index(tmp_path)
    runs = [store.new_run(f"รอบ {i}", "project:dev", "ratana", QS, 1) for i in (1, 2)]
    answers = {runs[0]: ({"retrieval_hit": False, "keys_present": False, "refused": False, "should_refuse": False},
                         {"refused": False, "should_refuse": True, "refusal_ok": False}),
               runs[1]: ({"retrieval_hit": True, "keys_present": True, "refused": False, "should_refuse": False},
                         {"refused": False, "should_refuse": True, "refusal_ok": False})}
    for run, (a1, a2) in answers.items():
        store.record(run, "a1", answer=f"คำตอบรอบ {run} <b>ตัวหนา</b>", citations=[], auto=a1, seconds=0.3)
        store.record(run, "a2", answer="ตอบทั้งที่ควรปฏิเสธ", citations=[], auto=a2, seconds=0.1)
        store.finish(run)
    store.set_verdict(runs[1], "a2", "should_refuse", "ไม่ควรตอบ")
    a, b = store.items(runs[0]), store.items(runs[1])
    s = run_summary(b)
    assert s["retrieval_hit"] == (1, 1) and s["refused_ok"] == (0, 1) and s["verdicts"]["should_refuse"] == 1
    assert s["unjudged"] == 1
    assert table_html(b, flt="should_refuse").count("<tr data-qid") == 1
    assert table_html(b, flt="unjudged").count('data-qid="a1"') == 1
    assert table_html(a, flt="miss").count("<tr data-qid") == 1 and table_html(b, flt="miss").count("<tr data-qid") == 0
    assert table_html(b, kind="out_of_scope").count("<tr data-qid") == 1
    assert "&lt;b&gt;ตัวหนา&lt;/b&gt;" in table_html(b) and "<b>ตัวหนา" not in table_html(b)
    diff = compare_html(store.run(runs[0]), a, store.run(runs[1]), b)
    assert "เปลี่ยน 2 ข้อ" in diff and 'data-qid="a1"' in diff and "ค้นพบ, คำสำคัญ" in diff and "ผลตัดสิน" in diff
    store.close()


def test_runs_of_ended_processes_are_marked_interrupted(tmp_path):
    import socket

    store = ReviewStore.for_index(tmp_path)
    mine = store.new_run("ของกระบวนการนี้", "x", "r", QS, 1)
    ended = store.new_run("ของกระบวนการที่จบแล้ว", "x", "r", QS, 1)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store.db.execute("UPDATE review_runs SET owner=? WHERE run_id=?", (f"{socket.gethostname()}:{done.stdout.strip()}", ended))
    assert store.interrupted() == 1
    assert store.run(mine)["status"] == "running" and store.run(ended)["status"] == "interrupted"
    store.close()


def test_question_sets_include_feedback_and_uploads(tmp_path):
    from assistant.feedback import DOWN, UP, FeedbackStore
    from ui.review import load_set, question_sets

    fb = FeedbackStore(tmp_path / "feedback.sqlite")
    fb.record(question="แนวทางที่ 2 คืออะไร", answer="แนวทางที่ 2 ... [1]", rating=UP, index_generation=1,
              citations=[{"n": 1, "doc_id": "seed.txt", "quote": "แนวทางที่ 2", "text": "..."}])
    fb.record(question="ตอบผิดข้อนี้", answer="...", rating=DOWN, citations=[], index_generation=1)
    keys = [k for _, k in question_sets(fb)]
    assert {"project:dev", "project:test", "feedback", "upload"} <= set(keys) and "project:support_pairs" not in keys
    name, rows = load_set("feedback", feedback=fb)
    assert name == "feedback" and [(r["kind"], r["gold_doc_ids"]) for r in rows] == [("paraphrase", ["seed.txt"]),
                                                                                      ("needs_review", [])]
    assert len(load_set("project:dev")[1]) == 40
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "x"}\n', encoding="utf-8")
    for key, upload in (("upload", None), ("upload", str(bad)), ("project:../../x", None), ("", None)):
        with pytest.raises(ReviewError):
            load_set(key, upload)
    fb.close()
