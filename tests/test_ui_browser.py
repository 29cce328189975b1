"""The web UI end to end: `assistant serve` as a subprocess over an index built by `assistant
ingest` (seed + a hostile HTML document), driven in Debian's headless Chromium via Playwright.

Figures (cold start, time to first answer line and to the full answer, RSS) are printed with the
prefix `UI-METRIC`; run with `-s` to see them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import assistant  # noqa: F401  (offline environment before gradio_client)
from tests.conftest import ROOT, SEED_DIR, SEED_ID

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package").expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--no-first-run"]
USER, PASSWORD = "trainer", "รหัสผ่าน-ทดสอบ-42"
XSS_DOC = "xss-test.html"
XSS_HTML = """<!doctype html><html><head><title>คู่มือทดสอบความปลอดภัย &lt;img src=x onerror=alert(3)&gt;</title>
<script>alert('loader-drops-this')</script></head><body>
<h1>คู่มือทดสอบความปลอดภัยการแสดงผล</h1>
<p>โครงการตรวจสอบความปลอดภัยหน้าจอ ระบบต้องแสดงข้อความ &lt;script&gt;alert('xss-script')&lt;/script&gt; เป็นตัวอักษรธรรมดาเท่านั้น</p>
<p>ภาพทดสอบ &lt;img src=x onerror="document.body.dataset.pwned='1'"&gt; ต้องไม่ถูกโหลดในหน้าจอของเจ้าหน้าที่ และ **ตัวหนา** [ลิงก์](javascript:alert(4)) ต้องไม่ทำงาน</p>
</body></html>
"""
UPLOAD_NAME = "โครงการ ทดสอบ (ใหม่).txt"
UPLOAD_SAFE = "โครงการ_ทดสอบ_ใหม่.txt"
UPLOAD_TEXT = """โครงการสวนลอยฟ้ากุ้งมังกรเทศบาลตำบลหนองปลาหมอ

เทศบาลตำบลหนองปลาหมอจัดทำโครงการสวนลอยฟ้ากุ้งมังกร เพื่อเก็บน้ำฝนบนหลังคาตลาดสดและนำไปรดผักของชุมชน
โครงการสวนลอยฟ้ากุ้งมังกรใช้งบประมาณ 4,321,000 บาท และมีเซนเซอร์วัดความชื้นดิน 27 จุดส่งข้อมูลให้ศูนย์ข้อมูลเมือง
"""
METRICS: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """(url, index_dir, process): the real CLI, a real index, one model load per process."""
    root = tmp_path_factory.mktemp("ui")
    docs, index = root / "docs", root / "index"
    docs.mkdir()
    shutil.copy(SEED_DIR / SEED_ID, docs / SEED_ID)
    (docs / XSS_DOC).write_text(XSS_HTML, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "ASSISTANT_UI_USER": USER, "ASSISTANT_UI_PASSWORD": PASSWORD,
           "COLUMNS": "200"}
    env.pop("ASSISTANT_INDEX", None)
    r = subprocess.run(_cli("ingest", str(docs), "--index", str(index), "--json"), capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 2
    port = _free_port()
    log = (root / "serve.log").open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("serve", "--index", str(index), "--port", str(port)), stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while True:
        if proc.poll() is not None:
            pytest.fail(f"assistant serve exited {proc.returncode}:\n{(root / 'serve.log').read_text()}")
        if "พร้อมใช้งาน" in (root / "serve.log").read_text(encoding="utf-8", errors="replace"):
            break
        if time.time() > deadline:
            proc.kill()
            pytest.fail("assistant serve did not start in 300 s")
        time.sleep(0.2)
    METRICS["cold_start_s"] = round(time.perf_counter() - t0, 1)
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
    yield url, index, proc
    METRICS["rss_mb_end"] = round(_rss_mb(proc.pid), 0)
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    print("\nUI-METRIC " + json.dumps(METRICS, ensure_ascii=False))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium fonts-thai-tlwg)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A Thai-locale page on the app that records dialogs and any request leaving the machine."""

    def __init__(self, browser, url):
        self.url = url
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH", device_scale_factor=1)
        self.page = self.ctx.new_page()
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.fonts: list[tuple[str, int]] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", self._request)
        self.page.on("response", lambda r: self.fonts.append((r.url, r.status)) if r.url.endswith((".ttf", ".otf", ".woff2")) else None)
        self.page.set_default_timeout(60_000)
        self.page.goto(url)
        self.page.wait_for_selector("#tpa-question textarea")

    def _request(self, req):
        if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            self.outside.append(req.url)

    def ask(self, question: str) -> dict:
        """Type and send; returns timings: first answer text shown, and the full answer (its cards)."""
        pg = self.page
        answers = "#tpa-chat .tpa-answer:not(.tpa-pending)"
        n_answers = pg.locator(answers).count()
        n_turns = pg.locator("#tpa-cards-box details.tpa-turn").count()
        pg.fill("#tpa-question textarea", question)
        t0 = time.perf_counter()
        pg.click("#tpa-send")
        pg.wait_for_function(f"n => document.querySelectorAll('{answers}').length > n", arg=n_answers, polling=20)
        first = time.perf_counter() - t0
        pg.wait_for_function("n => document.querySelectorAll('#tpa-cards-box details.tpa-turn').length > n",
                             arg=n_turns, polling=20)
        full = time.perf_counter() - t0
        return {"first_s": first, "full_s": full, "html": pg.locator(answers).last.inner_html()}

    def close(self):
        self.ctx.close()


@pytest.fixture()
def page(browser, server):  # browser first: no chromium → skip before the server starts
    url, _, _ = server
    p = Page(browser, url)
    yield p
    assert not p.dialogs, f"a dialog fired: {p.dialogs}"
    assert not p.outside, f"requests left the machine: {p.outside}"
    p.close()


def _db_rows(index: Path) -> list[dict]:
    db = sqlite3.connect(index / "feedback.sqlite")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]
    db.close()
    return rows


# ---------------------------------------------------------------- tests


def test_cited_answer_cards_and_marker_click(page, server):
    pg = page.page
    got = page.ask("แนวทางที่ 7 คืออะไร")
    assert "tpa-ref" in got["html"] and "ปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ" in got["html"]
    cards = pg.locator("#tpa-cards-box .tpa-card")
    assert cards.count() >= 1
    first = cards.first
    assert "สถ. ร่วมกับ JICA" in first.locator(".tpa-title").inner_text()
    assert first.locator(".tpa-loc").inner_text().startswith("ที่ตั้ง:")
    assert "คะแนน" in first.locator(".tpa-score").inner_text()
    marked = " ".join(first.locator("mark.tpa-quote").all_inner_texts())
    assert "แนวทางที่ 7" in marked
    # Thai renders with the font the app serves itself
    assert pg.evaluate("document.fonts.check('16px \"TPA Thai\"')")
    assert any("Waree" in u or "Loma" in u or "Garuda" in u for u, st in page.fonts if st == 200), page.fonts
    assert "fonts.googleapis" not in pg.content()
    # the screenshot shows the question too: scroll the chat's own scroller to the top, once the
    # chat has finished its own scrolling to the newest message
    pg.wait_for_timeout(500)
    pg.evaluate("""() => { for (const e of document.querySelectorAll('#tpa-chat *')) {
        if (e.scrollHeight > e.clientHeight + 4 && getComputedStyle(e).overflowY.match(/auto|scroll/)) { e.scrollTop = 0; } } }""")
    pg.wait_for_timeout(400)
    Path(ROOT / "docs").mkdir(exist_ok=True)
    pg.screenshot(path=str(ROOT / "docs" / "chat.png"))

    # clicking a marker reveals its card: the last card sits below the fold of the cards panel
    n = cards.count()
    target = pg.locator(f"#tpa-c-1-{n}")
    if n > 1:  # with one cited passage its card is already in view; the click must still mark it
        expect(target).not_to_be_in_viewport()
    pg.locator(f'#tpa-chat a.tpa-ref[href="#tpa-c-1-{n}"]').click()
    pg.wait_for_function(f"document.getElementById('tpa-c-1-{n}').classList.contains('tpa-active')")
    expect(target).to_be_in_viewport(ratio=0.5)  # intersection clipped by the panel's own scrolling
    assert pg.evaluate("document.activeElement && document.activeElement.id") == f"tpa-c-1-{n}"

    # a follow-up is searched with the earlier question; an earlier answer's marker reopens its card
    got2 = page.ask("แล้วแนวทางที่ 8 ล่ะ")
    searched = pg.locator("#tpa-chat .tpa-answer").last.locator(".tpa-searched").inner_text()
    assert searched.startswith("ค้นหาเป็น:") and "แนวทางที่ 8" in searched and searched != "ค้นหาเป็น: แล้วแนวทางที่ 8 ล่ะ"
    assert pg.locator("#tpa-turn-1").get_attribute("open") is None  # older turns fold away
    pg.locator('#tpa-chat a.tpa-ref[href="#tpa-c-1-1"]').click()
    pg.wait_for_function("document.getElementById('tpa-turn-1').open && "
                         "document.getElementById('tpa-c-1-1').classList.contains('tpa-active')")
    assert not pg.locator("#tpa-c-2-1.tpa-active").count()


def test_refusal_lists_nearest_documents(page):
    got = page.ask("ทีมฟุตบอลใดชนะฟุตบอลโลกปี 2022")
    assert "tpa-refused" in page.page.locator("#tpa-chat .tpa-answer").last.get_attribute("class")
    assert "ไม่พบข้อมูล" in got["html"] and "เอกสารที่ใกล้เคียงที่สุด" in got["html"]
    assert "ไม่มีแหล่งอ้างอิง" in page.page.locator("#tpa-turn-1").inner_text()


def test_thumbs_up_and_comment_are_stored(page, server):
    _, index, _ = server
    pg = page.page
    before = len(_db_rows(index)) if (index / "feedback.sqlite").exists() else 0
    page.ask("แนวทางที่ 2 ส่งเสริมเรื่องอะไร")
    pg.locator('#tpa-chat button[aria-label="ถูกใจ"], #tpa-chat button[aria-label="Like"]').last.click()
    pg.wait_for_function("document.querySelector('#tpa-feedback-status').innerText.includes('บันทึกแล้ว')")
    rows = _db_rows(index)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["question"] == "แนวทางที่ 2 ส่งเสริมเรื่องอะไร" and row["rating"] == 1
    cites = json.loads(row["citations"])
    assert cites and cites[0]["doc_id"] == SEED_ID and cites[0]["quote"]
    assert "[1]" in row["answer"] and row["index_generation"] >= 1 and row["created_at"] > 0
    pg.fill("#tpa-comment textarea", "ตอบถูกต้อง ควรแสดงแนวทางที่ 2 เป็นข้อแรก")
    pg.click("#tpa-comment-send")
    pg.wait_for_function("document.querySelector('#tpa-feedback-status').innerText.includes('บันทึกความคิดเห็น')")
    assert _db_rows(index)[-1]["comment"] == "ตอบถูกต้อง ควรแสดงแนวทางที่ 2 เป็นข้อแรก"
    out = index.parent / "feedback.jsonl"
    r = subprocess.run(_cli("feedback", "export", str(out), "--index", str(index)), capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 0, r.stderr
    q = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()][-1]
    assert q["kind"] == "paraphrase" and q["gold_doc_ids"] == [SEED_ID] and q["evidence"] and q["rating"] == "up"


def test_xss_document_renders_inert(page):
    pg = page.page
    got = page.ask("โครงการตรวจสอบความปลอดภัยหน้าจอ")
    card = pg.locator("#tpa-cards-box .tpa-card").first
    assert "คู่มือทดสอบความปลอดภัย <img src=x onerror=alert(3)>" in card.locator(".tpa-title").inner_text()
    text = pg.locator("#tpa-cards-box").inner_text()
    assert "<script>alert('xss-script')</script>" in text
    assert "<img src=x onerror=\"document.body.dataset.pwned='1'\">" in text
    chat_text = pg.locator("#tpa-chat .tpa-answer").last.inner_text()
    assert "<img src=x onerror=alert(3)>" in chat_text and "**ตัวหนา**" in chat_text
    assert "[ลิงก์](javascript:alert(4))" in chat_text
    pg.wait_for_timeout(500)
    assert pg.evaluate("document.body.dataset.pwned") is None
    assert pg.locator("img[src='x']").count() == 0
    assert pg.evaluate("[...document.querySelectorAll('*')].filter(e => e.hasAttribute('onerror')).length") == 0
    assert pg.evaluate("[...document.querySelectorAll('script')].filter(s => s.textContent.includes('xss')).length") == 0
    assert pg.evaluate("[...document.querySelectorAll('a')].filter(a => (a.getAttribute('href')||'').startsWith('javascript')).length") == 0
    assert "tpa-ref" in got["html"]
    # the corpus tab shows the hostile title as text too
    pg.get_by_role("tab", name="เอกสารในระบบ").click()
    pg.wait_for_selector("#tpa-doc-table")
    pg.wait_for_function("document.querySelector('#tpa-doc-table').innerText.includes('onerror')")
    assert pg.locator("#tpa-doc-table img").count() == 0


def test_corpus_tab_lists_and_filters(page):
    pg = page.page
    pg.get_by_role("tab", name="เอกสารในระบบ").click()
    pg.wait_for_function("document.querySelector('#tpa-doc-table').innerText.includes('JICA')")
    table = pg.locator("#tpa-doc-table")
    assert SEED_ID in table.inner_text() and "txt" in table.inner_text()
    assert "ดัชนีรุ่นที่" in pg.locator("#tpa-doc-summary").inner_text()
    pg.fill("#tpa-doc-filter textarea", "คู่มือทดสอบ")
    pg.wait_for_function("!document.querySelector('#tpa-doc-table').innerText.includes('JICA')")
    assert XSS_DOC in table.inner_text()
    assert "แสดง 1 จาก" in pg.locator("#tpa-doc-summary").inner_text()


def test_upload_behind_login_becomes_searchable(page, server, tmp_path):
    _, index, _ = server
    pg = page.page
    pg.get_by_role("tab", name="อัปโหลดเอกสาร").click()
    assert not pg.locator("#tpa-files").is_visible()
    pg.locator("#tpa-user").locator("input, textarea").first.fill(USER)
    pg.locator("#tpa-password").locator("input").first.fill("ผิด")
    pg.click("#tpa-login")
    pg.wait_for_function("document.querySelector('#tpa-login-msg').innerText.includes('ไม่ถูกต้อง')")
    assert not pg.locator("#tpa-files").is_visible()
    pg.locator("#tpa-password").locator("input").first.fill(PASSWORD)
    pg.click("#tpa-login")
    pg.wait_for_selector("#tpa-files", state="visible")

    good = tmp_path / UPLOAD_NAME
    good.write_text(UPLOAD_TEXT, encoding="utf-8")
    empty = tmp_path / "ว่างเปล่า.md"
    empty.write_text("", encoding="utf-8")
    bad = tmp_path / "โปรแกรม.exe"
    bad.write_bytes(b"MZ\x00\x00")
    pg.locator("#tpa-files input[type=file]").set_input_files([str(good), str(empty), str(bad)])
    pg.wait_for_timeout(500)
    pg.click("#tpa-ingest")
    pg.wait_for_selector("#tpa-upload-results table", timeout=180_000)
    rows = pg.locator("#tpa-upload-results tbody tr")
    text = {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).inner_text() for i in range(rows.count())}
    if "โปรแกรม.exe" in text:  # the browser may refuse it first (file_types); the server refuses it otherwise
        assert "ไม่รองรับ" in text["โปรแกรม.exe"]
    assert "นำเข้าแล้ว" in text[UPLOAD_NAME] and UPLOAD_SAFE in text[UPLOAD_NAME]
    assert "ว่างเปล่า" in text["ว่างเปล่า.md"] or "empty" in text["ว่างเปล่า.md"]
    stored = sorted(p.name for p in (index / "uploads").iterdir())
    assert stored == [UPLOAD_SAFE], stored  # failed files are not kept

    pg.get_by_role("tab", name="ถาม-ตอบ").click()
    got = page.ask("โครงการสวนลอยฟ้ากุ้งมังกรใช้งบประมาณเท่าไร")
    assert "4,321,000" in got["html"] or "4&#44;321&#44;000" in got["html"]
    ids = pg.locator("#tpa-cards-box details[open] .tpa-doc").all_inner_texts()
    assert ids and ids[0] == UPLOAD_SAFE


def test_upload_endpoint_refuses_sessions_without_login(server):
    """Gradio's upload route takes no file from a session that has not logged in (403, Thai);
    and the login is checked on the server: calling the upload event directly, with a user name
    in the payload where the session state goes, is refused and nothing is stored."""
    url, index, _ = server
    cfg = json.loads(urllib.request.urlopen(url + "config", timeout=30).read())
    button = next(c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id") == "tpa-ingest")
    fn = next(i for i, d in enumerate(cfg["dependencies"]) if any(t[0] == button for t in d["targets"]))
    boundary = "tpaboundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="evil.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode() + "เอกสารของผู้บุกรุก ไม่ควรถูกนำเข้า".encode() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url + "gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 403 and "เข้าสู่ระบบ" in refused.value.read().decode()
    # A file already in Gradio's cache (put there by hand: the route would not take it).
    from gradio.utils import get_upload_folder

    cache = Path(get_upload_folder()) / "tpa-test"
    cache.mkdir(parents=True, exist_ok=True)
    path = str(cache / "evil.txt")
    Path(path).write_text("เอกสารของผู้บุกรุก ไม่ควรถูกนำเข้า", encoding="utf-8")
    payload = {"data": [[{"path": path, "orig_name": "evil.txt", "meta": {"_type": "gradio.FileData"}}], USER],
               "fn_index": fn, "trigger_id": button, "session_hash": "attacker0001", "event_data": None}
    req = urllib.request.Request(url + "gradio_api/queue/join", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
    with urllib.request.urlopen(url + "gradio_api/queue/data?session_hash=attacker0001", timeout=60) as stream:
        events = []
        for line in stream:
            if line.startswith(b"data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("msg") == "process_completed":
                    break
    done = events[-1]
    assert done["msg"] == "process_completed" and not done["success"], done
    assert "เข้าสู่ระบบ" in json.dumps(done, ensure_ascii=False)
    stored = [p.name for p in (index / "uploads").iterdir()] if (index / "uploads").exists() else []
    assert "evil.txt" not in stored


def test_timings_in_browser(page):
    firsts, fulls = [], []
    for q in ["แนวทางที่ 1 คืออะไร", "ใครร่วมจัดการประชุม EGM", "แนวทางที่ 10 ส่งเสริมอะไร", "การประชุมจัดขึ้นที่ไหน",
              "human centric คืออะไร"]:
        got = page.ask(q)
        firsts.append(got["first_s"])
        fulls.append(got["full_s"])
    METRICS["browser_first_line_median_s"] = round(statistics.median(firsts), 3)
    METRICS["browser_full_answer_median_s"] = round(statistics.median(fulls), 3)
    assert statistics.median(fulls) < 30


def test_ten_concurrent_chats_through_the_api(server):
    from gradio_client import Client

    url, _, proc = server
    client = Client(url, verbose=False)
    questions = ["แนวทางที่ %d คืออะไร" % (i % 10 + 1) for i in range(10)]
    results: dict[int, dict] = {}
    errors: list[BaseException] = []

    def one(i):
        try:
            results[i] = client.predict(questions[i], [], api_name="/ask")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    METRICS["ten_concurrent_s"] = round(time.perf_counter() - t0, 2)
    METRICS["rss_mb_serving"] = round(_rss_mb(proc.pid), 0)
    assert not errors, errors
    assert len(results) == 10
    for i, r in results.items():
        assert not r["refused"] and r["citations"], (questions[i], r["answer"])
        assert r["question"] == questions[i]  # no cross-talk between concurrent requests
        assert SEED_ID in {c["doc_id"] for c in r["citations"]} and "[1]" in r["answer"]


def test_guideline_browser_tab(page):
    pg = page.page
    pg.get_by_role("tab", name="แนวทาง 10 ข้อ").click()
    pick = pg.locator("#tpa-gl-pick")
    assert pick.locator("label").count() == 10
    pick.locator("label", has_text="แนวทางที่ 7 ·").click()
    pg.wait_for_function("document.querySelector('#tpa-gl-view').innerText.includes('แนวทางที่ 7:')")
    view = pg.locator("#tpa-gl-view")
    text = view.inner_text()
    assert "การให้ความสำคัญกับการปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ" in text  # the seed's title
    assert "สรุปโดยโครงการ (ไม่ใช่ข้อความทางการ)" in text  # the description is labelled as the project's
    cards = view.locator(".tpa-gl-card")
    assert cards.count() >= 1
    assert SEED_ID in " ".join(cards.locator(".tpa-doc").all_inner_texts())
    assert "แนวทางที่ 7" in cards.first.locator(".tpa-passage").inner_text()
    # guideline 9 keeps the seed's spelling; passages are text, never markup
    pick.locator("label", has_text="แนวทางที่ 9 ·").click()
    pg.wait_for_function("document.querySelector('#tpa-gl-view').innerText.includes('แนวทางที่ 9:')")
    assert "บูรนาการ" in view.locator(".tpa-gl-title").inner_text()
    assert view.locator("img, script").count() == 0


def test_trainer_tab_walks_every_guideline_and_asks_in_chat(page):
    pg = page.page
    pg.get_by_role("tab", name="ฝึกอบรม (สถานการณ์จำลอง)").click()
    for n in range(1, 11):
        box = pg.locator(f"#tpa-trainer-{n}")
        if n > 1:
            box.get_by_text(f"แนวทางที่ {n} ·").first.click()
        scn = box.locator(f"#tpa-scenario-{n}")
        expect(scn).to_be_visible()
        text = scn.inner_text()
        assert "สถานการณ์:" in text and "ประเด็นสำคัญ" in text
        assert scn.locator(".tpa-point").count() >= 2
        assert SEED_ID in scn.locator(".tpa-src-ref .tpa-doc").first.inner_text()
        assert box.locator("button.tpa-trainer-q").count() >= 2
    # one click on a suggested question: the chat tab opens and answers it with sources
    answers = "#tpa-chat .tpa-answer:not(.tpa-pending)"
    n_answers = pg.locator(answers).count()
    q = pg.locator("#tpa-trainer-8 button.tpa-trainer-q").first
    question = q.inner_text()
    q.click()
    pg.wait_for_selector("#tpa-question textarea", state="visible")
    pg.wait_for_function(f"n => document.querySelectorAll('{answers}').length > n", arg=n_answers, polling=50)
    pg.wait_for_function("document.querySelectorAll('#tpa-cards-box details.tpa-turn').length > 0", polling=50)
    assert question in pg.locator("#tpa-cards-box details.tpa-turn").first.inner_text()
    last = pg.locator(answers).last.inner_text()
    assert "เกี่ยวข้องกับแนวทางที่ 8" in last
