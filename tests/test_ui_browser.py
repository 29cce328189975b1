"""The web UI end to end: `assistant serve` as a subprocess over an index built by `assistant
ingest` (seed + a hostile HTML document), driven in Debian's headless Chromium via Playwright.

Figures (cold start, time to first answer line and to the full answer, RSS) are printed with the
prefix `UI-METRIC`; run with `-s` to see them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
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
# The README's screenshots are retaken with `make screenshots`; a plain test run leaves docs/ alone.
SHOTS = Path(os.environ.get("ASSISTANT_SCREENSHOTS") or Path(tempfile.gettempdir()) / "tpa-screenshots")
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
REVIEWER, REVIEWER_PASSWORD = "ratana", "ผู้ตรวจ-รหัส-77"
# For the evidence viewer: an Act long enough to have chapters and neighbours, and a PDF whose
# cited sentence sits at a known height of its second page.
ACT_DOC = "act-floating-parks.txt"
ACT_SECTIONS = [
    ("หมวด 1 บททั่วไป", [
        "พระราชบัญญัตินี้เรียกว่า \"พระราชบัญญัติการจัดการสวนสาธารณะลอยน้ำ พ.ศ. 2599\"",
        "พระราชบัญญัตินี้ให้ใช้บังคับเมื่อพ้นกำหนดหนึ่งร้อยแปดสิบวันนับแต่วันประกาศในราชกิจจานุเบกษา",
        "ในพระราชบัญญัตินี้ สวนสาธารณะลอยน้ำ หมายความว่า พื้นที่สีเขียวที่สร้างบนแพหรือทุ่นลอยในแหล่งน้ำสาธารณะ",
        "ให้รัฐมนตรีว่าการกระทรวงมหาดไทยรักษาการตามพระราชบัญญัตินี้ และมีอำนาจออกกฎกระทรวงเพื่อปฏิบัติการ",
    ]),
    ("หมวด 2 คณะกรรมการสวนสาธารณะลอยน้ำ", [
        "ให้มีคณะกรรมการสวนสาธารณะลอยน้ำแห่งชาติ ประกอบด้วยอธิบดีกรมทรัพยากรน้ำเป็นประธานกรรมการ "
        "และผู้แทนองค์กรปกครองส่วนท้องถิ่นจำนวนห้าคนเป็นกรรมการ",
        "คณะกรรมการมีอำนาจหน้าที่กำหนดมาตรฐานความปลอดภัยของทุ่นลอยและอนุมัติแผนการดูแลสวนลอยน้ำรายปี",
        "กรรมการผู้ทรงคุณวุฒิมีวาระการดำรงตำแหน่งคราวละสามปี และอาจได้รับแต่งตั้งอีกได้แต่ไม่เกินสองวาระ",
    ]),
    ("หมวด 3 การดูแลรักษา", [
        "องค์กรปกครองส่วนท้องถิ่นต้องตรวจสอบสภาพทุ่นลอยของสวนสาธารณะลอยน้ำอย่างน้อยเดือนละหนึ่งครั้ง",
        "ผู้ใดทิ้งมูลฝอยลงในสวนสาธารณะลอยน้ำ ต้องระวางโทษปรับไม่เกินห้าพันบาท",
    ]),
]
ACT_QUESTION = "คณะกรรมการสวนสาธารณะลอยน้ำแห่งชาติมีใครเป็นประธานกรรมการ"
PDF_DOC = "solar-tram-report.pdf"
PDF_PAGES = [  # (baseline in points down the A4 page, 842 pt high; text): a wider step starts a paragraph
    [(80, "รายงานโครงการรถรางพลังแสงอาทิตย์ เทศบาลนครตัวอย่าง"), (108, "ส่วนที่หนึ่ง ความเป็นมาของโครงการและผู้เกี่ยวข้อง")],
    [(80, "ส่วนที่สอง รายละเอียดของเส้นทาง"), (108, "สถานีต้นทางอยู่ที่ตลาดเทศบาลและมีที่จอดรถสำหรับผู้โดยสาร"),
     (136, "ทุกสถานีมีทางลาดสำหรับผู้สูงอายุและรถเข็น"),
     (192, "เส้นทางรถรางพลังแสงอาทิตย์มีความยาวทั้งหมด 23 กิโลเมตร"),
     (248, "ขบวนรถรางชาร์จไฟจากแผงโซลาร์บนหลังคาสถานีทุกแห่ง"), (276, "และมีสถานีจอดรถรางทั้งหมด 17 สถานี")],
]
PDF_QUESTION = "เส้นทางรถรางพลังแสงอาทิตย์มีความยาวทั้งหมดกี่กิโลเมตร"
METRICS: dict[str, object] = {}
# The checkout's own packages first (src/ holds `assistant`), whatever the venv has installed.
PYPATH = os.pathsep.join([str(ROOT / "src"), str(ROOT)])


def _act_text() -> str:
    lines, n = ["พระราชบัญญัติการจัดการสวนสาธารณะลอยน้ำ", "พ.ศ. 2599", ""], 0
    for chapter, sections in ACT_SECTIONS:
        lines += [chapter, ""]
        for body in sections:
            n += 1
            lines += [f"มาตรา {n} {body}", ""]
    return "\n".join(lines)


def _make_pdf(path: Path) -> Path:
    import pymupdf

    from tests.test_thai_pdf import thai_font

    doc = pymupdf.open()
    for page_lines in PDF_PAGES:
        page = doc.new_page()  # A4
        for y, line in page_lines:
            page.insert_text((60, y), line, fontfile=str(thai_font()), fontname="thai", fontsize=14)
    doc.save(path)
    return path


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
    # The seed where `make demo` keeps it (a corpus/documents folder): the guidance, as the title says
    guidance = root / "corpus" / "documents"
    guidance.mkdir(parents=True)
    shutil.copy(SEED_DIR / SEED_ID, guidance / SEED_ID)
    (docs / XSS_DOC).write_text(XSS_HTML, encoding="utf-8")
    (docs / ACT_DOC).write_text(_act_text(), encoding="utf-8")
    _make_pdf(docs / PDF_DOC)
    users = root / "users.json"  # the reviewer comes from a users file; the uploader from the environment
    users.write_text(json.dumps({REVIEWER: {"password": REVIEWER_PASSWORD, "role": "reviewer"}}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": PYPATH, "ASSISTANT_UI_USER": USER, "ASSISTANT_UI_PASSWORD": PASSWORD,
           "COLUMNS": "200"}
    env.pop("ASSISTANT_INDEX", None)
    r = subprocess.run(_cli("ingest", str(guidance), str(docs), "--index", str(index), "--json"), capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 4
    port = _free_port()
    log = (root / "serve.log").open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("serve", "--index", str(index), "--port", str(port), "--users", str(users)), stdout=log,
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
    # the header says what the index holds: the guidance (the seed) and an Act
    assert "เอกสารนโยบายเมืองอัจฉริยะและกฎหมาย" in pg.locator("#tpa-header").inner_text()
    got = page.ask("แนวทางที่ 7 คืออะไร")
    assert "tpa-ref" in got["html"] and "ปรับตัวต่อการเปลี่ยนแปลงของสภาพภูมิอากาศ" in got["html"]
    cards = pg.locator("#tpa-cards-box .tpa-card")
    assert cards.count() >= 1
    first = cards.first
    assert "สถ. ร่วมกับ JICA" in first.locator(".tpa-title").inner_text()
    assert first.locator(".tpa-loc").inner_text().startswith("ย่อหน้า")  # the place, in words
    assert first.locator(".tpa-kind").inner_text() == "แนวทาง"  # the guidelines' own source
    assert first.locator(".tpa-score, .tpa-gen").count() == 0  # no raw score or index version on a card
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
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "chat.png"))

    # clicking a marker reveals its card: the last card sits below the fold of the cards panel
    target = cards.last
    n = int(target.get_attribute("data-n"))
    if cards.count() > 1:  # with one cited passage its card is already in view; the click must still mark it
        expect(target).not_to_be_in_viewport()
    pg.locator(f'#tpa-chat a.tpa-ref[href="#tpa-c-1-{n}"]').click()
    pg.wait_for_function(f"document.getElementById('tpa-c-1-{n}').classList.contains('tpa-active')")
    expect(target).to_be_in_viewport(ratio=0.5)  # intersection clipped by the panel's own scrolling
    assert pg.evaluate("document.activeElement && document.activeElement.id") == f"tpa-c-1-{n}"
    pg.wait_for_selector("#tpa-viewer .tpa-viewer.tpa-v-ready")  # the marker opened the viewer too
    pg.keyboard.press("Escape")
    pg.wait_for_selector("#tpa-viewer", state="hidden")

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
                       env={**os.environ, "PYTHONPATH": PYPATH}, timeout=120)
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
    # the answer quotes the hostile passage as text (which of its sentences is the engine's choice)
    assert "<script>alert('xss-script')</script>" in chat_text or "<img src=x onerror" in chat_text
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
    assert SEED_ID in table.inner_text() and "พระราชบัญญัติ" in table.inner_text()  # the kind, in Thai
    assert "เอกสารประกอบ" in table.inner_text()  # the collection (a tmp folder: related material)
    summary = pg.locator("#tpa-doc-summary").inner_text()
    assert "ช่วงข้อความ" in summary and "chunks" not in summary and "ดัชนีรุ่น" not in summary
    assert "chunks" not in table.inner_text() and "doc id" not in table.inner_text()
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
    ids = [c.get_attribute("data-doc") for c in pg.locator("#tpa-cards-box details[open] .tpa-card").all()]
    assert ids and ids[0] == UPLOAD_SAFE


def _call_event(url: str, elem_id: str, data: list, session: str) -> dict:
    """Start the click event of the button `elem_id` the way a hand-made request would, with
    `data` where the inputs go (session state included); returns the final queue message."""
    cfg = json.loads(urllib.request.urlopen(url + "config", timeout=30).read())
    button = next(c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id") == elem_id)
    fn = next(i for i, d in enumerate(cfg["dependencies"]) if any(t[0] == button for t in d["targets"]))
    payload = {"data": data, "fn_index": fn, "trigger_id": button, "session_hash": session, "event_data": None}
    req = urllib.request.Request(url + "gradio_api/queue/join", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
    with urllib.request.urlopen(url + f"gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        events = []
        for line in stream:
            if line.startswith(b"data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("msg") == "process_completed":
                    break
    return events[-1]


def test_upload_endpoint_refuses_sessions_without_login(server):
    """Gradio's upload route takes no file from a session that has not logged in (403, Thai);
    and the login is checked on the server: calling the upload event directly, with a user name
    in the payload where the session state goes, is refused and nothing is stored."""
    url, index, _ = server
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
    done = _call_event(url, "tpa-ingest", [[{"path": path, "orig_name": "evil.txt", "meta": {"_type": "gradio.FileData"}}],
                                           USER], "attacker0001")
    assert done["msg"] == "process_completed" and not done["success"], done
    assert "เข้าสู่ระบบ" in json.dumps(done, ensure_ascii=False)
    stored = [p.name for p in (index / "uploads").iterdir()] if (index / "uploads").exists() else []
    assert "evil.txt" not in stored


def _card_of(pg, doc_id: str):
    """The first card of the newest turn citing `doc_id`."""
    cards = pg.locator("#tpa-cards-box details[open] .tpa-card")
    for i in range(cards.count()):
        if cards.nth(i).get_attribute("data-doc") == doc_id:
            return cards.nth(i)
    raise AssertionError(f"no card cites {doc_id}: {cards.all_inner_texts()}")


def _open_viewer(pg, card) -> None:
    seq = pg.evaluate("(document.querySelector('#tpa-viewer .tpa-viewer') || {dataset: {}}).dataset.seq || ''")
    card.locator("button.tpa-open").click()
    pg.wait_for_function("s => { const v = document.querySelector('#tpa-viewer .tpa-viewer.tpa-v-ready');"
                         " return v && v.dataset.seq !== s; }", arg=seq)


def _viewer_step(pg, button: str) -> None:
    seq = pg.locator("#tpa-viewer .tpa-viewer").get_attribute("data-seq")
    pg.click(button)
    pg.wait_for_function("s => { const v = document.querySelector('#tpa-viewer .tpa-viewer');"
                         " return v && v.dataset.seq !== s && v.classList.contains('tpa-v-ready'); }", arg=seq)


def test_viewer_opens_act_at_the_cited_section(page):
    pg = page.page
    page.ask(ACT_QUESTION)
    card = _card_of(pg, ACT_DOC)
    card_mark = " ".join(card.locator("mark.tpa-quote").all_inner_texts())
    assert "อธิบดีกรมทรัพยากรน้ำ" in card.locator(".tpa-passage").inner_text()
    _open_viewer(pg, card)
    v = pg.locator("#tpa-viewer .tpa-viewer")
    assert "พระราชบัญญัติการจัดการสวนสาธารณะลอยน้ำ" in v.locator(".tpa-v-title").inner_text()
    target = v.locator(".tpa-v-passage.tpa-v-target")
    assert target.count() == 1 and "tpa-v-current" in target.get_attribute("class")
    assert target.locator(".tpa-v-loc").inner_text() == "มาตรา 5"
    assert "อธิบดีกรมทรัพยากรน้ำเป็นประธานกรรมการ" in target.inner_text()
    # the same sentences highlighted as in the card, inside the outlined passage only
    assert " ".join(target.locator("mark.tpa-quote").all_inner_texts()) == card_mark != ""
    assert v.locator("mark.tpa-quote").count() == target.locator("mark.tpa-quote").count()
    assert pg.evaluate("getComputedStyle(document.querySelector('.tpa-v-target')).borderTopStyle") == "solid"
    # headings and neighbours: the chapter above, the sections before and after
    chapters = v.locator(".tpa-v-chapter").all_inner_texts()
    assert chapters == [chapter for chapter, _ in ACT_SECTIONS]  # "หมวด 2 คณะกรรมการสวนสาธารณะลอยน้ำ"
    assert "ให้รัฐมนตรีว่าการกระทรวงมหาดไทยรักษาการ" in v.locator(".tpa-v-passage").nth(
        int(target.get_attribute("data-ordinal")) - 1).inner_text()
    expect(target).to_be_in_viewport()
    _viewer_step(pg, "#tpa-viewer-next")
    cur = v.locator(".tpa-v-current")
    assert cur.locator(".tpa-v-loc").inner_text() == "มาตรา 6" and "มาตรฐานความปลอดภัยของทุ่นลอย" in cur.inner_text()
    assert v.locator(".tpa-v-target mark.tpa-quote").count() >= 1  # the cited passage keeps its highlight
    _viewer_step(pg, "#tpa-viewer-prev")
    _viewer_step(pg, "#tpa-viewer-prev")
    assert v.locator(".tpa-v-current .tpa-v-loc").inner_text() == "มาตรา 4"
    _viewer_step(pg, "#tpa-viewer-back")
    assert "tpa-v-target" in v.locator(".tpa-v-current").get_attribute("class")
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SHOTS / "viewer-act.png"))
    # the [n] marker of the same citation opens it too
    pg.click("#tpa-viewer-close")
    pg.wait_for_selector("#tpa-viewer", state="hidden")
    pg.locator(f'#tpa-chat a.tpa-ref[href="#{card.get_attribute("id")}"]').last.click()
    pg.wait_for_selector("#tpa-viewer .tpa-viewer.tpa-v-ready")
    assert pg.locator("#tpa-viewer .tpa-v-target .tpa-v-loc").inner_text() == "มาตรา 5"


def test_viewer_draws_the_quote_on_the_pdf_page(page):
    pg = page.page
    page.ask(PDF_QUESTION)
    card = _card_of(pg, PDF_DOC)
    assert card.locator(".tpa-loc").inner_text() == "หน้า 2"
    _open_viewer(pg, card)
    v = pg.locator("#tpa-viewer .tpa-viewer")
    fig = v.locator("figure.tpa-v-pagebox")
    assert fig.get_attribute("data-page") == "2"
    img = fig.locator("img.tpa-v-page")
    expect(img).to_be_visible()
    assert pg.evaluate("document.querySelector('#tpa-viewer img.tpa-v-page').naturalWidth") > 300
    assert "23 กิโลเมตร" in " ".join(v.locator(".tpa-v-target mark.tpa-quote").all_inner_texts())
    # boxes over the quoted lines of page 2 and over no other line (a box's top lies within 24
    # points above its line's baseline; lines are at least 28 points apart)
    tops = [float(b.get_attribute("style").split("top:")[1].split("%")[0]) for b in fig.locator(".tpa-v-box").all()]
    marked = "".join("".join(v.locator(".tpa-v-target mark.tpa-quote").all_inner_texts()).split())

    def boxed(y):
        return any(100 * (y - 24) / 842 < t < 100 * y / 842 for t in tops)

    def quoted(line):  # some ten characters of the line are highlighted in the text
        sq = "".join(line.split())
        return any(sq[j : j + 10] in marked for j in range(len(sq) - 9))

    for y, line in PDF_PAGES[1]:
        assert boxed(y) == quoted(line), (y, line, tops, marked)
    assert boxed(next(y for y, t in PDF_PAGES[1] if "23 กิโลเมตร" in t))
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SHOTS / "viewer.png"))


def test_viewer_shows_the_hostile_document_as_text(page):
    pg = page.page
    page.ask("โครงการตรวจสอบความปลอดภัยหน้าจอ")
    _open_viewer(pg, _card_of(pg, XSS_DOC))
    v = pg.locator("#tpa-viewer .tpa-viewer")
    assert "คู่มือทดสอบความปลอดภัย <img src=x onerror=alert(3)>" in v.locator(".tpa-v-title").inner_text()
    assert "<script>alert('xss-script')</script>" in v.inner_text()
    assert "onerror=\"document.body.dataset.pwned='1'\"" in v.inner_text()
    pg.wait_for_timeout(500)
    assert pg.evaluate("document.body.dataset.pwned") is None
    assert v.locator("img, script, a").count() == 0


def _login(pg, user: str, password: str) -> None:
    pg.get_by_role("tab", name="อัปโหลดเอกสาร").click()
    pg.locator("#tpa-user").locator("input, textarea").first.fill(user)
    pg.locator("#tpa-password").locator("input").first.fill(password)
    pg.click("#tpa-login")
    pg.wait_for_selector("#tpa-files", state="visible")


def _choose(pg, elem_id: str, option: str) -> None:
    """Pick an option of a Gradio dropdown by (part of) its label."""
    pg.locator(f"#{elem_id} input").first.click()
    pg.get_by_role("option").filter(has_text=option).first.click()


def test_review_tab_only_for_reviewers(page):
    pg = page.page
    assert pg.get_by_role("tab", name="ตรวจคำตอบ").count() == 0  # anonymous
    _login(pg, USER, PASSWORD)  # an uploader is not a reviewer
    pg.wait_for_timeout(1000)
    assert pg.get_by_role("tab", name="ตรวจคำตอบ").count() == 0
    assert pg.locator("#tpa-rv-table").count() == 0 or not pg.locator("#tpa-rv-table").is_visible()


def test_review_events_refuse_sessions_that_are_not_a_reviewer(server):
    """The role is checked on the server: a session that has not logged in as a reviewer, whatever
    user name its payload carries where the session state goes, can neither start nor export a run."""
    url, index, _ = server
    before = _runs(index)
    for user, session in ((REVIEWER, "attacker0002"), (USER, "attacker0003")):
        # (no set named: the dropdown's own check of its choices must not be what refuses it)
        done = _call_event(url, "tpa-rv-start", [user, None, None, "all", "all"], session)
        assert done["msg"] == "process_completed" and not done["success"], done
        assert "ผู้ตรวจคำตอบ" in json.dumps(done, ensure_ascii=False)
    done = _call_event(url, "tpa-rv-export-csv", [REVIEWER, None], "attacker0004")
    assert not done["success"] and "ผู้ตรวจคำตอบ" in json.dumps(done, ensure_ascii=False)
    assert _runs(index) == before


def _runs(index: Path) -> int:
    if not (index / "feedback.sqlite").exists():
        return 0
    db = sqlite3.connect(index / "feedback.sqlite")
    n = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='review_runs'").fetchone()[0] and \
        db.execute("SELECT COUNT(*) FROM review_runs").fetchone()[0]
    db.close()
    return n


def _rv_row(pg, qid: str):
    return pg.locator(f'#tpa-rv-table tr[data-qid="{qid}"]')


def test_reviewer_runs_a_set_records_a_verdict_and_exports_it(browser, server, tmp_path):
    url, index, _ = server
    qs = [
        {"qid": "r1", "question": "แนวทางที่ 7 คืออะไร", "kind": "lexical", "difficulty": "easy",
         "gold_doc_ids": [SEED_ID], "evidence": ["แนวทางที่ 7"], "answer_keys": ["สภาพภูมิอากาศ"]},
        {"qid": "r2", "question": ACT_QUESTION, "kind": "paraphrase", "difficulty": "medium",
         "gold_doc_ids": [ACT_DOC], "evidence": ["อธิบดีกรมทรัพยากรน้ำเป็นประธานกรรมการ"], "answer_keys": ["อธิบดีกรมทรัพยากรน้ำ"]},
        {"qid": "r3", "question": "ทีมฟุตบอลใดชนะฟุตบอลโลกปี 2022", "kind": "out_of_scope", "difficulty": "easy",
         "gold_doc_ids": [], "evidence": [], "answer_keys": []},
    ]
    qfile = tmp_path / "ชุดทดสอบผู้ตรวจ.jsonl"
    qfile.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in qs), encoding="utf-8")
    p = Page(browser, url)
    pg = p.page
    _login(pg, REVIEWER, REVIEWER_PASSWORD)
    pg.get_by_role("tab", name="ตรวจคำตอบ").click()
    _choose(pg, "tpa-rv-set", "ไฟล์ที่อัปโหลด")
    pg.locator("#tpa-rv-file input[type=file]").set_input_files(str(qfile))
    pg.wait_for_timeout(500)
    pg.click("#tpa-rv-start")
    pg.wait_for_selector('#tpa-rv-progress .tpa-rv-progress[data-status="running"], '
                         '#tpa-rv-progress .tpa-rv-progress[data-status="done"]')
    # the chat stays usable while the run goes on
    pg.get_by_role("tab", name="ถาม-ตอบ").click()
    got = p.ask("แนวทางที่ 2 ส่งเสริมเรื่องอะไร")
    assert "tpa-ref" in got["html"]
    pg.get_by_role("tab", name="ตรวจคำตอบ").click()
    pg.wait_for_selector('#tpa-rv-progress .tpa-rv-progress[data-status="done"]', timeout=180_000)
    pg.wait_for_function("document.querySelectorAll('#tpa-rv-table tr[data-qid]').length === 3")
    cells = lambda qid: _rv_row(pg, qid).locator("td").all_inner_texts()  # noqa: E731
    assert cells("r2")[4].startswith("ใช่") and cells("r2")[5] == "ใช่"  # found in the top 5, key present
    assert cells("r3")[6] == "ใช่ / ใช่"  # refused, should refuse
    assert "3/3" in pg.locator("#tpa-rv-summary").inner_text()

    _rv_row(pg, "r2").locator("td").nth(1).click()  # a row chooses its question for the verdict form
    pg.wait_for_function("document.querySelector('#tpa-rv-q input').value.startsWith('r2 ·')")
    pg.locator("#tpa-rv-verdict label", has_text="ถูกบางส่วน").click()
    pg.locator("#tpa-rv-comment textarea").fill("ถูกแต่ควรระบุว่าเป็นมาตรา 5 ด้วย")
    pg.click("#tpa-rv-save")
    pg.wait_for_function("document.querySelector('#tpa-rv-saved').innerText.includes('บันทึกแล้ว')")
    assert _rv_row(pg, "r2").get_attribute("data-verdict") == "partly"
    p.close()

    # a new page (a reload): log in again, the latest run and its verdict are there
    p = Page(browser, url)
    pg = p.page
    _login(pg, REVIEWER, REVIEWER_PASSWORD)
    pg.get_by_role("tab", name="ตรวจคำตอบ").click()
    pg.wait_for_function("document.querySelectorAll('#tpa-rv-table tr[data-qid]').length === 3")
    row = _rv_row(pg, "r2")
    assert row.get_attribute("data-verdict") == "partly"
    assert "ถูกบางส่วน" in row.inner_text() and "ควรระบุว่าเป็นมาตรา 5" in row.inner_text()
    # a verdict imported on the command line meanwhile (labelled offline) shows after รีเฟรช
    run_id = int(pg.locator("#tpa-rv-summary .tpa-rv-sum").get_attribute("data-run"))
    edited = tmp_path / "edited.jsonl"
    edited.write_text(json.dumps({"run_id": run_id, "qid": "r1", "verdict": "correct", "comment": "ตรวจจากไฟล์"},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    r = subprocess.run(_cli("review", "import", str(edited), "--index", str(index)), capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": PYPATH}, timeout=120)
    assert r.returncode == 0 and json.loads(r.stdout)["verdicts"] == 1, r.stdout + r.stderr
    assert _rv_row(pg, "r1").get_attribute("data-verdict") == ""
    pg.click("#tpa-rv-refresh")
    pg.wait_for_function("document.querySelector('#tpa-rv-table tr[data-qid=\"r1\"]').dataset.verdict === 'correct'")
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SHOTS / "review.png"), full_page=True)
    _choose(pg, "tpa-rv-filter", "ถูกบางส่วน")
    pg.wait_for_function("document.querySelectorAll('#tpa-rv-table tr[data-qid]').length === 1")
    assert _rv_row(pg, "r2").count() == 1
    # the latest committed evaluation report, with its plots
    pg.locator("#tpa-rv-report-box").get_by_text("รายงานการประเมินล่าสุด").click()
    # the accordion renders its content after the click: wait for the element, then for its text
    pg.wait_for_function("(document.querySelector('#tpa-rv-report')?.innerText || '').includes('eval/reports/')")
    assert "Recall@5" in pg.locator("#tpa-rv-report").inner_text()
    expect(pg.locator("#tpa-rv-plots img").first).to_be_visible()
    pg.click("#tpa-rv-export-csv")
    link = pg.locator("#tpa-rv-exported a[href]").first
    link.wait_for()
    assert link.inner_text().strip().endswith(".csv") or "review-run" in link.get_attribute("href")
    body = pg.request.get(link.get_attribute("href")).body().decode("utf-8-sig")
    import csv
    import io

    rows = {r["qid"]: r for r in csv.DictReader(io.StringIO(body))}
    assert set(rows) == {"r1", "r2", "r3"}
    assert rows["r2"]["verdict"] == "partly" and rows["r2"]["comment"] == "ถูกแต่ควรระบุว่าเป็นมาตรา 5 ด้วย"
    assert rows["r1"]["verdict"] == "correct" and rows["r3"]["verdict"] == ""
    assert rows["r2"]["retrieval_hit"] == "True" and rows["r3"]["should_refuse"] == "True"
    assert not p.dialogs and not p.outside, (p.dialogs, p.outside)
    p.close()

    # the command line reads the same store
    out = tmp_path / "labelled.jsonl"
    r = subprocess.run(_cli("review", "export", str(out), "--judged-only", "--index", str(index)), capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": PYPATH}, timeout=120)
    assert r.returncode == 0, r.stderr
    labelled = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["qid"], x["verdict"], x["gold_doc_ids"]) for x in labelled] == [("r1", "correct", [SEED_ID]),
                                                                            ("r2", "partly", [ACT_DOC])]


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
    assert SEED_ID in [c.get_attribute("data-doc") for c in cards.all()]
    assert "คะแนน" not in cards.first.locator(".tpa-meta").inner_text()  # the score is behind รายละเอียด
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
        assert scn.locator(".tpa-src-ref").first.get_attribute("data-doc") == SEED_ID
        assert SEED_ID not in scn.inner_text()  # sources by their title, not the file name
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


# ---------------------------------------------------------------- citation cards and phone layout

KINDS = {"แนวทาง", "พระราชบัญญัติ", "ข่าว", "มติ ครม.", "เอกสาร"}
# A card's text outside รายละเอียด, and what it must not show there: file names, raw scores,
# index versions, English identifiers.
CARD_FACE = """c => { const x = c.cloneNode(true); x.querySelectorAll('details').forEach(d => d.remove());
                     return x.innerText || x.textContent; }"""


def _no_overflow(pg, width: int) -> None:
    """Nothing wider than the screen: on a phone the browser would widen the layout viewport (and
    zoom out) to fit it, so both the page and the viewport must stay at the device width."""
    got = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert got[0] <= width and got[1] == width, got


def _hit_target(pg, selector_or_handle) -> bool:
    """Whether a tap at the element's centre lands on it (no overlay takes it)."""
    el = pg.locator(selector_or_handle) if isinstance(selector_or_handle, str) else selector_or_handle
    return el.evaluate("""e => { const r = e.getBoundingClientRect();
        const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return !!at && (at === e || e.contains(at)); }""")


def _press(pg, el, touch: bool) -> None:
    el.scroll_into_view_if_needed()
    assert _hit_target(pg, el), "another element covers the tap target"
    (el.tap if touch else el.click)(timeout=15_000)


@pytest.mark.parametrize("width,height,touch,question,kind,place", [
    (1366, 900, False, "แนวทางที่ 7 คืออะไร", "แนวทาง", "ย่อหน้า"),
    (390, 844, True, ACT_QUESTION, "พระราชบัญญัติ", "มาตรา 5"),
], ids=["desktop-1366", "phone-390-touch"])
def test_cards_and_viewer_for_people_on_desktop_and_phone(browser, server, width, height, touch, question, kind, place):
    url, _, _ = server
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="th-TH", device_scale_factor=1,
                              has_touch=touch, is_mobile=touch)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    pg.wait_for_selector("#tpa-question textarea")
    # the status line is there from the first paint, so the tabs below it do not move
    assert pg.locator("#tpa-status").inner_text().strip()
    tabs_top = pg.locator("#tpa-tabs").bounding_box()["y"]
    pg.wait_for_timeout(1500)
    assert pg.locator("#tpa-tabs").bounding_box()["y"] == tabs_top
    assert "ดัชนีรุ่น" not in pg.locator("#tpa-status").inner_text()
    _no_overflow(pg, width)
    if not touch:  # the example questions start above the fold
        expect(pg.locator(".tpa-examples button.tpa-example").first).to_be_in_viewport()

    pg.fill("#tpa-question textarea", question)
    _press(pg, pg.locator("#tpa-send"), touch)
    pg.wait_for_selector("#tpa-cards-box details.tpa-turn .tpa-card", timeout=120_000)
    pg.wait_for_function("document.querySelector('#tpa-chat .tpa-answer:not(.tpa-pending) a.tpa-ref')")
    pg.wait_for_timeout(300)
    _no_overflow(pg, width)
    if touch:  # one column: the cards sit below the chat, as wide as it
        chat, cards_box = pg.locator("#tpa-chat").bounding_box(), pg.locator("#tpa-cards-box").bounding_box()
        assert cards_box["y"] >= chat["y"] + chat["height"] - 1 and cards_box["width"] >= width * 0.85

    # every [n] of the answer finds a card (several citations of one section share one card)
    hrefs = pg.locator("#tpa-chat a.tpa-ref").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(pg.evaluate("id => !!(document.getElementById(id) || {closest: () => null})"
                                     ".closest('.tpa-card')", h[1:]) for h in hrefs), hrefs

    # the card: title, kind, place up front; file name, score and index version only behind รายละเอียด
    card = pg.locator("#tpa-cards-box details[open] .tpa-card").first
    doc_id = card.get_attribute("data-doc")
    assert card.locator(".tpa-title").inner_text().strip()
    assert card.locator(".tpa-kind").inner_text() == kind and kind in KINDS
    assert place in card.locator(".tpa-loc").inner_text()
    face = card.evaluate(CARD_FACE)
    assert doc_id not in face and "คะแนน" not in face and "ดัชนีรุ่น" not in face, face
    assert not re.search(r"\d\.\d{3,}|\.(txt|pdf|html|jsonl)\b|doc.?id|chunk", face), face
    more = card.locator("details.tpa-more")
    assert more.get_attribute("open") is None and "รายละเอียด" in more.locator("summary").inner_text()
    more.locator("summary").click()
    assert doc_id in more.inner_text() and re.search(r"\d\.\d{4}", more.inner_text())

    # a tap on [n]: its card is marked and the viewer opens on the cited passage
    ref = pg.locator("#tpa-chat .tpa-answer:not(.tpa-pending) a.tpa-ref").last
    target = ref.get_attribute("href")[1:]
    _press(pg, ref, touch)
    pg.wait_for_function("id => document.getElementById(id).closest('.tpa-card').classList.contains('tpa-active')",
                         arg=target)
    pg.wait_for_selector("#tpa-viewer .tpa-viewer.tpa-v-ready")
    pg.wait_for_timeout(400)
    viewer = pg.locator("#tpa-viewer").bounding_box()
    if touch:  # full screen on a phone
        assert viewer["x"] <= 0.5 and viewer["width"] >= width - 1 and viewer["height"] >= height - 1, viewer
    for sel in ("#tpa-viewer-heading", "#tpa-viewer-close"):
        box = pg.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width \
            and box["y"] + box["height"] <= height, (sel, box)
    expect(pg.locator("#tpa-viewer .tpa-v-target")).to_be_in_viewport()
    v_text = pg.locator("#tpa-viewer .tpa-v-head").inner_text()
    assert doc_id not in v_text and "ที่ตั้ง" not in v_text
    if touch:
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / "phone-viewer.png"))
    _press(pg, pg.locator("#tpa-viewer-close"), touch)
    pg.wait_for_selector("#tpa-viewer", state="hidden")
    _press(pg, pg.locator("#tpa-cards-box details[open] .tpa-card button.tpa-open").first, touch)  # and the card's button
    pg.wait_for_selector("#tpa-viewer .tpa-viewer.tpa-v-ready")
    _press(pg, pg.locator("#tpa-viewer-close"), touch)
    pg.wait_for_selector("#tpa-viewer", state="hidden")
    if touch:
        card.scroll_into_view_if_needed()
        pg.wait_for_timeout(300)
        pg.screenshot(path=str(SHOTS / "phone.png"))
    _no_overflow(pg, width)
    ctx.close()


@pytest.mark.parametrize("width", [360, 414])
def test_phone_widths_do_not_overflow(browser, server, width):
    url, _, _ = server
    ctx = browser.new_context(viewport={"width": width, "height": 800}, locale="th-TH", has_touch=True, is_mobile=True)
    pg = ctx.new_page()
    pg.goto(url)
    pg.wait_for_selector("#tpa-question textarea")
    pg.wait_for_timeout(1000)
    _no_overflow(pg, width)
    assert _hit_target(pg, "#tpa-send")
    ctx.close()


def test_corpus_tab_keeps_the_page_width_and_whole_header_words(page):
    pg = page.page
    pg.set_viewport_size({"width": 1366, "height": 900})
    pg.wait_for_timeout(300)
    wide = pg.locator(".gradio-container").bounding_box()["width"]
    pg.get_by_role("tab", name="เอกสารในระบบ").click()
    pg.wait_for_function("document.querySelector('#tpa-doc-table').innerText.includes('JICA')")
    assert abs(pg.locator(".gradio-container").bounding_box()["width"] - wide) < 2
    # each header's text on one line, or broken only between words (never ประเภ|ท)
    lines = pg.evaluate("""() => [...document.querySelectorAll('#tpa-doc-table th')].map(th => {
        const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT); const out = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if (!n.textContent.trim()) continue;
          const tops = new Set(); const r = document.createRange();
          for (let i = 0; i < n.textContent.length; i++) { r.setStart(n, i); r.setEnd(n, i + 1);
            const rect = r.getBoundingClientRect(); if (rect.height) tops.add(Math.round(rect.top)); }
          out.push([n.textContent.trim(), tops.size]); }
        return out; }).flat()""")
    kind = [n for text, n in lines if text == "ประเภท"]
    assert kind == [1], lines
