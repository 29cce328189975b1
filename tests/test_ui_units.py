"""The UI's parts that need no model or browser: safe upload names, login, feedback store and
export, HTML escaping, quote highlighting, the examples file, the no-users layout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import assistant  # noqa: F401  (offline environment first)
from assistant.feedback import DOWN, NONE, UP, FeedbackStore, as_eval_question, export_jsonl
from tests.conftest import ROOT
from ui import render
from ui.auth import Users, UsersFileError, hash_password, load_users
from ui.uploads import UploadError, UploadFolder, check_file, safe_name

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


# ---------------------------------------------------------------- upload names


@pytest.mark.parametrize(
    "given, expected",
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/abs/path/โครงการ ทดสอบ (ใหม่).txt", "โครงการ_ทดสอบ_ใหม่.txt"),
        ("แผนพัฒนาท้องถิ่น พ.ศ. ๒๕๖๗.PDF", "แผนพัฒนาท้องถิ่น_พ.ศ._๒๕๖๗.pdf"),
        (".hidden.md", "hidden.md"),
        ("...md", "upload.md"),
        ("a..b..c.txt", "a.b.c.txt"),
        ("", "upload"),
        ("..", "upload"),
        ("name\x00.txt", "name.txt"),
        ("ไฟล์\u200bซ่อน.txt", "ไฟล์ซ่อน.txt"),
        ("<script>.html", "script.html"),
    ],
)
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_safe_name_never_escapes_or_hides():
    for bad in ["../x", "./.x", "a/../../b.txt", "~/.ssh/id_rsa", "C:\\x\\..\\y.md", "." * 50, "-.-.txt", "\n\r.txt"]:
        name = safe_name(bad)
        assert name and "/" not in name and "\\" not in name and ".." not in name
        assert not name.startswith((".", "-", "_"))


def test_safe_name_is_bounded():
    name = safe_name("ก" * 500 + ".txt")
    assert len(name) <= 120 and name.endswith(".txt")


def test_check_file_limits():
    check_file("a.txt", 10, 1)
    with pytest.raises(UploadError, match="ไม่รองรับ"):
        check_file("virus.exe", 10, 1)
    with pytest.raises(UploadError, match="ไม่รองรับ"):
        check_file("noext", 10, 1)
    with pytest.raises(UploadError, match="ว่าง"):
        check_file("a.md", 0, 1)
    with pytest.raises(UploadError, match="เกินขีดจำกัด"):
        check_file("a.pdf", 2_000_001, 2)


def test_upload_folder_is_collision_safe(tmp_path):
    folder = UploadFolder(tmp_path / "uploads")
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("หนึ่ง", encoding="utf-8")
    b.write_text("สอง", encoding="utf-8")
    s1 = folder.store(a, "../../ข้อมูล.txt")
    assert s1.path == folder.root / "ข้อมูล.txt" and not s1.same_as_before
    s2 = folder.store(a, "ข้อมูล.txt")  # same bytes, same name: reused
    assert s2.path == s1.path and s2.same_as_before
    s3 = folder.store(b, "ข้อมูล.txt")  # different bytes: never overwrites
    assert s3.path == folder.root / "ข้อมูล-2.txt"
    assert s1.path.read_text(encoding="utf-8") == "หนึ่ง"
    s4 = folder.store(b, "corpus-doc.txt", taken={"corpus-doc.txt"})  # a doc id from elsewhere
    assert s4.path.name == "corpus-doc-2.txt"
    assert all(p.parent == folder.root for p in folder.root.iterdir())
    assert not list(folder.root.glob(".*"))  # no temporary files left behind
    assert not (tmp_path / "etc").exists()


# ---------------------------------------------------------------- login


def test_users_from_env_and_file(tmp_path):
    assert not load_users(tmp_path, env={}).enabled
    u = load_users(tmp_path, env={"ASSISTANT_UI_USER": "somchai", "ASSISTANT_UI_PASSWORD": "รหัส-ลับ"})
    assert u.enabled and u.check("somchai", "รหัส-ลับ")
    assert not u.check("somchai", "รหัส") and not u.check("other", "รหัส-ลับ") and not u.check("", "")
    (tmp_path / "ui-users.json").write_text(json.dumps({"trainer": hash_password("pw1", iterations=1000), "plain": "pw2"}))
    u = load_users(tmp_path, env={})
    assert u.check("trainer", "pw1") and u.check("plain", "pw2")
    assert not u.check("trainer", "pbkdf2_sha256") and not u.check("trainer", "pw2")
    other = tmp_path / "users.json"
    other.write_text(json.dumps({"users": [{"user": "a", "password": "b"}]}))
    assert load_users(tmp_path, other, env={}).check("a", "b")
    other.write_text("[1, 2]")
    with pytest.raises(UsersFileError):
        load_users(tmp_path, other, env={})


def test_password_compare_is_constant_time():
    src = (ROOT / "ui" / "auth.py").read_text(encoding="utf-8")
    assert "hmac.compare_digest" in src and "==" not in re.sub(r"#.*", "", src.split("def _matches")[1].split("@dataclass")[0])
    assert Users({"a": "b"}).check(" a ", "b")


# ---------------------------------------------------------------- feedback


def _cites():
    return [
        {"n": 1, "doc_id": "seed.txt", "title": "T", "location": "ย่อหน้า 4", "text": "ข้อความเต็ม", "score": 0.03, "quote": "ประโยคที่อ้าง"},
        {"n": 2, "doc_id": "law.txt", "title": "L", "location": "มาตรา 16", "text": "x", "score": 0.02, "quote": "มาตรา ๑๖ ..."},
        {"n": 3, "doc_id": "seed.txt", "title": "T", "location": "ย่อหน้า 5", "text": "y", "score": 0.01, "quote": "อีกประโยค"},
    ]


def test_feedback_store_and_export(tmp_path):
    store = FeedbackStore.for_index(tmp_path)
    assert store.path == tmp_path / "feedback.sqlite"
    up = store.record(question="แนวทางที่ 7 คืออะไร", answer="ตอบ [1]", citations=_cites(), rating=UP,
                      index_generation=3, key="s1:1", session="s1", searched_as="แนวทางที่ 7 คืออะไร")
    # the officer changes their mind: same row, new rating; the comment is kept
    store.set_comment(up, "ควรอ้างมาตรา")
    assert store.record(question="แนวทางที่ 7 คืออะไร", answer="ตอบ [1]", citations=_cites(), rating=DOWN,
                        index_generation=3, key="s1:1") == up
    assert store.get(up).rating == DOWN and store.get(up).comment == "ควรอ้างมาตรา"
    store.record(question="แนวทางที่ 7 คืออะไร", answer="ตอบ [1]", citations=_cites(), rating=UP,
                 index_generation=3, key="s1:1")
    down = store.record(question="ราคาทอง", answer="ไม่พบข้อมูล", citations=[], rating=DOWN, index_generation=3,
                        refused=True, key="s1:2")
    refused_ok = store.record(question="ฟุตบอลโลก", answer="ไม่พบข้อมูล", citations=[], rating=UP,
                              index_generation=4, refused=True, key="s2:1")
    store.record(question="ถอนคะแนน", answer="a", citations=[], rating=NONE, index_generation=4, key="s2:2")
    with pytest.raises(ValueError):
        store.record(question="q", answer="a", citations=[], rating=5, index_generation=1)
    rows = {r.id: r for r in store.rows()}
    assert rows[up].citations[1]["doc_id"] == "law.txt" and rows[up].index_generation == 3

    q = as_eval_question(rows[up])
    assert set(q) >= {"qid", "question", "kind", "difficulty", "gold_doc_ids", "evidence", "answer_keys"}
    assert q["kind"] == "paraphrase" and q["difficulty"] == "medium" and q["gold_doc_ids"] == ["seed.txt", "law.txt"]
    assert q["evidence"] == ["ประโยคที่อ้าง", "มาตรา ๑๖ ...", "อีกประโยค"]
    assert q["rating"] == "up" and q["comment"] == "ควรอ้างมาตรา" and q["answer"] == "ตอบ [1]"
    assert as_eval_question(rows[down])["kind"] == "needs_review" and as_eval_question(rows[down])["gold_doc_ids"] == []
    assert as_eval_question(rows[refused_ok])["kind"] == "out_of_scope"

    out = tmp_path / "out" / "fb.jsonl"
    assert export_jsonl(store, out) == 3  # the withdrawn vote with no comment is left out
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["qid"] for x in lines] == [f"fb-{up:05d}", f"fb-{down:05d}", f"fb-{refused_ok:05d}"]
    assert "ประโยคที่อ้าง" in out.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    store.close()


def test_feedback_export_cli(tmp_path):
    store = FeedbackStore.for_index(tmp_path)
    store.record(question="คำถาม", answer="ตอบ [1]", citations=_cites(), rating=UP, index_generation=1)
    store.close()
    out = tmp_path / "fb.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(out), "--index", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == 1
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["question"] == "คำถาม" and row["kind"] == "paraphrase"
    r = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(out), "--index", str(tmp_path / "none")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and "no feedback" in " ".join(r.stderr.split())


# ---------------------------------------------------------------- rendering


def _answer(text, citations, refused=False, hits=()):
    return {"question": "q", "answer": text, "refused": refused, "citations": citations, "hits": list(hits),
            "searched_as": "q"}


def test_answer_html_escapes_document_text_and_links_markers():
    cites = [{"n": 1, "doc_id": "x.html", "title": XSS, "location": "<b>loc</b>", "text": XSS, "score": 0.1, "quote": XSS}]
    a = _answer(f"จากเอกสารที่เกี่ยวข้อง:\n- {XSS} **bold** [link](javascript:alert(1)) $x$ [1]\n  — {XSS} (<b>loc</b>)", cites)
    msg = render.message_html(a, turn=2)
    assert "\n" not in msg  # one line: Markdown leaves a one-line HTML block alone
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", msg))
    assert tags <= {"div", "a"}, tags
    assert "<script" not in msg and "<img" not in msg and "javascript:" not in msg and "**" not in msg
    assert msg.count('class="tpa-ref"') == 1 and 'href="#tpa-c-2-1"' in msg
    card = render.cards_html([{"turn": 2, "answer": a, "generation": 1}])
    assert "<script" not in card and "<img" not in card and "&lt;script&gt;" in card and 'id="tpa-c-2-1"' in card
    # a marker for a citation that does not exist stays text
    assert "tpa-ref" not in render.message_html(_answer("- ข้อความ [7]", cites), 1)


def test_refusal_lists_nearest_documents():
    hits = [{"doc_id": "a", "title": "พ.ร.บ. ก", "location": "มาตรา 1", "score": 0.01},
            {"doc_id": "a", "title": "พ.ร.บ. ก", "location": "มาตรา 2", "score": 0.01},
            {"doc_id": "b", "title": "<i>พ.ร.บ. ข</i>", "location": "", "score": 0.01}]
    a = _answer("ไม่พบข้อมูลที่เกี่ยวข้องกับคำถามนี้ในเอกสารที่มีอยู่\nเอกสารที่ใกล้เคียงที่สุด: x", [], True, hits)
    msg = render.message_html(a, 1)
    assert "ไม่พบข้อมูล" in msg and "เอกสารที่ใกล้เคียงที่สุด" in msg
    assert msg.count("<li>") == 2 and "<i>" not in msg


def test_searched_as_shown_only_when_different():
    a = _answer("- ก [1]", [{"n": 1, "doc_id": "d", "title": "t", "location": "", "text": "ก", "score": 0.1, "quote": "ก"}])
    assert "ค้นหาเป็น" not in render.message_html(a, 1)
    a["searched_as"] = "แนวทางที่ 7 แล้วข้อ 8 ล่ะ"
    assert "ค้นหาเป็น" in render.message_html(a, 1)


def test_highlight_marks_quote_sentences():
    passage = "แนวทางที่ 6 การพัฒนาที่ครอบคลุม แนวทางที่ 7 การปรับตัวต่อสภาพภูมิอากาศ แนวทางที่ 8 การรับมือ <ภัย>"
    out = render.highlight(passage, "แนวทางที่ 7 การปรับตัวต่อสภาพภูมิอากาศ แนวทางที่ 8 การรับมือ <ภัย>")
    assert out.count("<mark") == 1 and "&lt;ภัย&gt;</mark>" in out
    out = render.highlight(passage, "แนวทางที่ 6 การพัฒนาที่ครอบคลุม แนวทางที่ 8 การรับมือ")
    assert out.count("<mark") == 2 and "แนวทางที่ 7" not in "".join(re.findall(r"<mark[^>]*>(.*?)</mark>", out))
    assert "<mark" not in render.highlight(passage, "")


# ---------------------------------------------------------------- examples and layout


def test_examples_cover_the_themes():
    from ui.app import load_examples

    groups = load_examples()
    text = " ".join(q for g in groups for q in g.questions) + " ".join(g.title + g.note for g in groups)
    assert len(groups) >= 3 and sum(len(g.questions) for g in groups) >= 20
    for needle in ["แนวทางที่ 7", "เทศบาล", "อบต.", "อบจ.", "กระจายอำนาจ", "ผังเมือง",
                   "ผู้สูงอายุ", "คนพิการ", "สิ่งแวดล้อม", "ดิจิทัล", "ข้อมูลข่าวสาร", "depa"]:
        assert needle in text, needle
    # every example says what its answer must contain, or is a deliberate refusal (test_demo_examples.py)
    assert sum(len(g.keys) for g in groups) >= sum(len(g.questions) for g in groups) - 3
    assert any(g.needs_law for g in groups) and not groups[0].needs_law


def test_title_and_law_examples_follow_the_index():
    from types import SimpleNamespace as NS

    from ui.app import TITLE, holds_acts, index_title

    seed = NS(collection="guidance", title="สถ. ร่วมกับ JICA และ depa จัดประชุมผู้เชี่ยวชาญ (EGM)")
    act = NS(collection="related", title="พระราชบัญญัติเทศบาล พ.ศ. ๒๔๙๖")
    news = NS(collection="related", title="นายกรัฐมนตรีเปิดงาน Smart City")
    assert index_title([seed])[0] == "ผู้ช่วยค้นแนวทางเมืองอัจฉริยะ (สถ.)" and "ยังไม่มีกฎหมาย" in index_title([seed])[1]
    assert index_title([seed, news])[0] == "ผู้ช่วยค้นแนวทางเมืองอัจฉริยะ (สถ.)" and not holds_acts([seed, news])
    assert index_title([seed, act])[0] == TITLE and holds_acts([seed, act])
    assert index_title([act])[0] == "ผู้ช่วยค้นกฎหมาย อปท."



def test_a_guidance_only_index_hides_the_law_examples(tmp_path):
    from types import SimpleNamespace as NS

    from assistant.config import load_settings
    from ui.app import Context, build

    class SeedOnly(_FakeIndex):
        def documents(self):
            return [NS(collection="guidance", title="สถ. ร่วมกับ JICA และ depa จัดประชุมผู้เชี่ยวชาญ (EGM)")]

    a = _FakeAssistant(load_settings(index_dir=tmp_path))
    a.index = SeedOnly()
    cfg = json.dumps(build(Context(a, Users())).get_config_file(), ensure_ascii=False, default=str)
    assert "ผู้ช่วยค้นแนวทางเมืองอัจฉริยะ (สถ.)" in cfg and "แนวทางที่ 7 คืออะไร" in cfg
    # the law groups' titles and questions only the examples ask (the trainer tab stays whole)
    for hidden in ("กฎหมายว่าด้วยอำนาจหน้าที่ของ อปท.", "เทศบาลเมืองมีหน้าที่ต้องทำกิจการ", "รัฐบาลดิจิทัลหมายความว่าอะไร"):
        assert hidden not in cfg, hidden


class _FakeIndex:
    generation = 1

    def documents(self):
        return []


class _FakeAssistant:
    def __init__(self, settings):
        self.settings = settings
        self.index = _FakeIndex()


def test_upload_tab_disabled_without_users(tmp_path):
    from assistant.config import load_settings
    from ui.app import Context, build

    ctx = Context(_FakeAssistant(load_settings(index_dir=tmp_path)), Users())
    demo = build(ctx)
    cfg = json.dumps(demo.get_config_file(), ensure_ascii=False, default=str)
    assert "การอัปโหลดปิดอยู่" in cfg and "tpa-files" not in cfg and "tpa-password" not in cfg
    with_users = json.dumps(build(Context(_FakeAssistant(load_settings(index_dir=tmp_path)), Users({"a": "b"}))).get_config_file(), default=str,
                            ensure_ascii=False)
    assert "tpa-files" in with_users and "การอัปโหลดปิดอยู่" not in with_users
    # no endpoint but the plain /ask API is public
    api = [d.get("api_name") for d in demo.get_config_file()["dependencies"] if d.get("api_visibility", "public") == "public"]
    assert api == ["ask"], api


class _ExtractiveAssistant(_FakeAssistant):
    def _answer(self, question):
        from assistant.schema import Answer, Citation

        c = Citation(1, "seed.txt", "ชื่อ <b>", "ย่อหน้า 4", "ข้อความ ก ข ค", 0.03, "ข้อความ ก")
        return Answer(question, "จากเอกสารที่เกี่ยวข้อง:\n- ข้อความ ก [1]\n  — ชื่อ <b> (ย่อหน้า 4)", False, [c], [],
                      searched_as=question, meta={"index_generation": 1, "generation": {"text": "x" * 5000}})

    def ask(self, question, history=None):
        return self._answer(question)


class _StreamingAssistant(_ExtractiveAssistant):
    """ask_stream like a generative answerer: verified text so far, then the Answer."""

    def ask_stream(self, question, history=None):
        yield "ข้อความ ก [1]"
        yield self._answer(question)


@pytest.mark.parametrize("streaming", [True, False])
def test_respond_streams_then_shows_cards(tmp_path, streaming):
    from assistant.config import load_settings
    from ui.app import Context, make_handlers

    kind = _StreamingAssistant if streaming else _ExtractiveAssistant
    ctx = Context(kind(load_settings(index_dir=tmp_path)), Users(), stream_delay=0)
    respond = make_handlers(ctx)["respond"]
    chats, steps = [], []
    for step in respond("แนวทางที่ 7 คืออะไร", [], [], None):  # the chat list is updated in place
        chats.append(step[0][-1]["content"])
        steps.append(step)
    assert "tpa-pending" in chats[0]
    if streaming:
        assert any("ข้อความ ก" in c and "tpa-ref" not in c for c in chats[1:-1])  # partial: markers not linked yet
    else:
        assert len(steps) >= 3  # the lead line, then the quote lines
    chat, turns, cards, box = steps[-1]
    assert 'href="#tpa-c-1-1"' in chat[-1]["content"] and "&lt;b&gt;" in chat[-1]["content"]
    assert 'id="tpa-c-1-1"' in cards and box == ""
    assert turns[0]["msg_index"] == 1 and "generation" not in turns[0]["answer"]["meta"]  # big meta trimmed
    # a follow-up passes the earlier question as history
    steps = list(respond("แล้วข้อ 8 ล่ะ", chat, turns, None))
    assert steps[-1][1][-1]["turn"] == 2 and steps[-1][1][-1]["msg_index"] == 3


# ---------------------------------------------------------------- lockout and the upload route


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_login_lockout_per_user_and_per_address():
    from ui.auth import LoginGuard

    clock = _Clock()
    g = LoginGuard(max_failures=3, window_s=60, lockout_s=300, clock=clock)
    for _ in range(2):
        g.failed("somchai", "10.0.0.1")
    assert g.locked_for("somchai", "10.0.0.1") == 0
    g.failed("Somchai ", "10.0.0.1")  # the same name however typed
    assert g.locked_for("somchai", "10.0.0.9") == 300  # the name, from any address
    assert g.locked_for("other", "10.0.0.1") == 300  # the address, for any name
    assert g.locked_for("other", "10.0.0.9") == 0
    assert "นาที" in g.message(300) and "5 นาที" in g.message(300)
    clock.now += 301
    assert g.locked_for("somchai", "10.0.0.1") == 0
    g.failed("x", "a")
    clock.now += 61  # failures older than the window do not count
    g.failed("x", "a")
    g.failed("x", "a")
    assert g.locked_for("x", "b") == 0


def test_login_handler_refuses_a_locked_name_even_with_the_right_password(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from assistant.config import load_settings
    import ui.app as app

    monkeypatch.setattr(app.time, "sleep", lambda s: None)  # the per-failure delay, not under test
    ctx = app.Context(_FakeAssistant(load_settings(index_dir=tmp_path, login_max_failures=3)), Users({"somchai": "รหัส"}))
    login = app.make_handlers(ctx)["login"]
    req = SimpleNamespace(client=SimpleNamespace(host="192.0.2.7"))
    msgs = [login("somchai", "ผิด", None, "", req)[3] for _ in range(3)]
    assert msgs[0] == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" and "ระงับการเข้าสู่ระบบชั่วคราว" in msgs[-1]
    user, _, _, msg, _, token = login("somchai", "รหัส", None, "", req)
    assert user is None and "ระงับ" in msg and not ctx.upload_tokens.valid(token)
    other = SimpleNamespace(client=SimpleNamespace(host="192.0.2.8"))
    assert "ระงับ" in login("somchai", "รหัส", None, "", other)[3]  # the name is locked everywhere
    ok = app.Context(_FakeAssistant(load_settings(index_dir=tmp_path)), Users({"somchai": "รหัส"}))
    user, *_, token = app.make_handlers(ok)["login"]("somchai", "รหัส", None, "", req)
    assert user == "somchai" and ok.upload_tokens.valid(token)


def test_gradio_upload_route_serves_only_logged_in_sessions(tmp_path):
    """The real Gradio server: an anonymous POST to /gradio_api/upload is refused (403, Thai) and
    stores nothing; the cookie a login hands out lets the same POST through."""
    import urllib.error
    import urllib.request

    from assistant.config import load_settings
    from ui.app import Context, launch
    from ui.auth import UPLOAD_COOKIE

    ctx = Context(_FakeAssistant(load_settings(index_dir=tmp_path, home=tmp_path / "home")), Users({"a": "b"}))
    demo, url = launch(ctx, "127.0.0.1", _free_port(), block=False)
    try:
        boundary = "tpaboundary"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="evil.txt"\r\n'
                "Content-Type: text/plain\r\n\r\n").encode() + "ไฟล์ของผู้บุกรุก".encode() + f"\r\n--{boundary}--\r\n".encode()

        def post(cookie: str | None):
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            if cookie:
                headers["Cookie"] = cookie
            req = urllib.request.Request(url.rstrip("/") + "/gradio_api/upload", data=body, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode()

        status, text = post(None)
        assert status == 403 and "เข้าสู่ระบบ" in text
        assert post(f"{UPLOAD_COOKIE}=made-up")[0] == 403
        status, text = post(f"{UPLOAD_COOKIE}={ctx.upload_tokens.issue()}")
        assert status == 200 and json.loads(text)[0].endswith("evil.txt")
    finally:
        demo.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refusal_shows_the_scope_and_questions_to_click_and_a_task_no_hint():
    a = _answer("ไม่พบข้อมูลที่เกี่ยวข้องกับคำถามนี้ในเอกสารที่มีอยู่", [], True, [])
    a["meta"] = {"refusal": "off_topic", "scope": "ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น ได้แก่ <b>x</b>",
                 "suggestions": ["แนวทางที่ 7 คืออะไร", "<script>y</script>"]}
    msg = render.message_html(a, 1)
    assert "ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น" in msg and "<b>x</b>" not in msg and "<script>" not in msg
    assert msg.count('class="tpa-suggest"') == 2 and "แนวทางที่ 7 คืออะไร" in msg and "tpa-hint" not in msg
    a["meta"] = {"refusal": "task", "scope": "ผู้ช่วยนี้ตอบจากเอกสารในระบบเท่านั้น"}
    msg = render.message_html(a, 1)
    assert "tpa-suggest" not in msg and "tpa-hint" not in msg


# ---------------------------------------------------------------- cards for people


def test_cards_of_one_section_merge_and_every_number_finds_its_card():
    text = "มาตรา 5 ให้มีคณะกรรมการ ประกอบด้วยอธิบดีเป็นประธาน และผู้แทนท้องถิ่นห้าคนเป็นกรรมการ ให้คณะกรรมการประชุมปีละครั้ง"
    cites = [
        {"n": 1, "doc_id": "act.txt", "title": "พระราชบัญญัติ ก", "location": "มาตรา 5", "text": text, "score": 0.0417,
         "quote": "ให้มีคณะกรรมการ ประกอบด้วยอธิบดีเป็นประธาน"},
        {"n": 2, "doc_id": "news.jsonl#1", "title": "ข่าว ข", "location": "ย่อหน้า 2", "text": "ข่าวหนึ่งย่อหน้า", "score": 0.03,
         "quote": "ข่าวหนึ่งย่อหน้า"},
        {"n": 3, "doc_id": "act.txt", "title": "พระราชบัญญัติ ก", "location": "มาตรา 5", "text": text, "score": 0.0301,
         "quote": "ให้คณะกรรมการประชุมปีละครั้ง"},
    ]
    a = _answer("- ก [1]\n- ข [2]\n- ค [3]", cites)
    a["docs"] = {"act.txt": {"kind": "พระราชบัญญัติ", "date": ""}, "news.jsonl#1": {"kind": "ข่าว", "date": "12 ตุลาคม 2563"}}
    html = render.cards_html([{"turn": 4, "answer": a, "generation": 3}])
    assert html.count("<article") == 2  # [1] and [3] cite the same มาตรา: one card
    for n in (1, 2, 3):  # every marker's target exists, inside a card
        assert f'id="tpa-c-4-{n}"' in html
    first = html.split("<article")[1]
    assert 'data-ns="1 3"' in first and 'id="tpa-c-4-3"' in first and first.count("<blockquote") == 1
    assert 'data-n="1"' in first and 'data-n="3"' in first  # both quotes marked, each with its number
    assert '<span class="tpa-kind">พระราชบัญญัติ</span>' in first and '<span class="tpa-loc">มาตรา 5</span>' in first
    assert "12 ตุลาคม 2563" in html.split("<article")[2]
    face = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert "0.0417" not in face and "act.txt" not in face and "คะแนน" not in face and "รุ่น" not in face
    more = re.findall(r"<details class=\"tpa-more\">.*?</details>", html, flags=re.S)[0]
    assert "act.txt" in more and "0.0417" in more and "0.0301" in more and "<dd>3</dd>" in more


def test_kind_and_date_of_a_document():
    from ui.sources import dateline, kind_of, thai_date

    assert thai_date("2020-09-08") == "8 กันยายน 2563" and thai_date("") == "" and thai_date("2020-13-01") == ""
    assert dateline("รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-หัวข้อ / วันจันทร์ที่ ๑๒ ตุลาคม ๒๕๖๓ พิมพ์") == "12 ตุลาคม 2563"
    assert kind_of("พระราชบัญญัติ เทศบาล พ.ศ. ๒๔๙๖", "thai_law/618130.txt") == "พระราชบัญญัติ"
    assert kind_of("พระราชกฤษฎีกา ก", "x.txt") == "พระราชกฤษฎีกา"
    assert kind_of("เรื่อง ก", "thaigov/cabinet_items.jsonl#1", {"meeting": "สรุปข่าวการประชุมคณะรัฐมนตรี"}) == "มติ ครม."
    assert kind_of("หัวข้อ", "thaigov/thaigov_news_selected.jsonl#1") == "ข่าว"
    assert kind_of("สถ. ร่วมกับ JICA", "seed.txt", collection="guidance") == "แนวทาง"
    assert kind_of("สถ. ร่วมกับ JICA", "seed.txt", guide_doc="seed.txt") == "แนวทาง"
    assert kind_of("รายงาน", "upload.pdf") == "เอกสาร"
