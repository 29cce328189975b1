"""Bad and odd input: every bad file is refused with its path and a clear reason, the run exits
non-zero, and the index that was there answers exactly as before; odd but valid files (legacy
encodings, HTML with scripts, Word tables, JSONL with bad rows, Thai paths, repeated text) go in
right. Each case is tested through the pipeline and through `assistant ingest --json`."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_ID
from tests.reliability import catalog_state, cli_env, doctor, run_cli, search_state, seeded_index

pytestmark = pytest.mark.slow

THAI = "มาตรา ๑๖ ให้เทศบาลตำบลบ้านทดสอบมีอำนาจและหน้าที่ในการจัดระบบบริการสาธารณะด้านน้ำประปา"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An index of the seed document, and how it answers before any bad input arrives."""
    return seeded_index(tmp_path_factory, "inputs-index")


def _intact(a, index_dir, before_catalog, before_search):
    assert catalog_state(index_dir) == before_catalog
    assert search_state(a) == before_search
    check = a.index.check()
    assert check["healthy"], check["problems"]


# ---------------------------------------------------------------- the bad files


def _pdf(pages=3, text="Smart city page {n}: community participation and open data") -> "object":
    import pymupdf

    doc = pymupdf.open()
    for n in range(1, pages + 1):
        doc.new_page().insert_text((72, 72), text.format(n=n))
    return doc


def _png() -> bytes:
    import pymupdf

    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), 0)
    pix.clear_with(120)
    return pix.tobytes("png")


def _scanned_pdf() -> bytes:
    import pymupdf

    doc = pymupdf.open()
    for _ in range(2):
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 100, 140), 0)
        pix.clear_with(230)
        doc.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), pixmap=pix)
    return doc.tobytes()


def _encrypted_pdf() -> bytes:
    import pymupdf

    return _pdf().tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="secret")


def _truncated_pdf() -> bytes:
    data = _pdf(pages=5).tobytes()
    return data[: len(data) // 2]


BAD = {
    # case: (file name, bytes maker, reason substring)
    "empty-file": ("ว่าง.txt", lambda: b"", "empty file"),
    "whitespace-only": ("blank.md", lambda: b"  \n\t \r\n", "empty file"),
    "binary-data-named-txt": ("random.txt", lambda: random.Random(5).randbytes(20_000), "binary data"),
    "png-named-txt": ("picture.txt", _png, "binary data"),
    "truncated-pdf": ("cut.pdf", _truncated_pdf, "truncated PDF"),
    "corrupt-pdf": ("broken.pdf", lambda: b"%PDF-1.7\n" + random.Random(7).randbytes(4000), "corrupt or unreadable PDF"),
    "encrypted-pdf": ("locked.pdf", _encrypted_pdf, "encrypted PDF (password required)"),
    "scanned-pdf-no-text-layer": ("scan.pdf", _scanned_pdf, "no text; needs OCR"),
    "corrupt-docx": ("report.docx", lambda: b"PK\x03\x04" + random.Random(3).randbytes(3000), "not a readable DOCX"),
    "html-without-visible-text": ("page.html", lambda: b"<html><head><script>var x=1</script><style>p{}</style></head><body></body></html>", "no text found"),
    "jsonl-no-valid-row": ("rows.jsonl", lambda: b'{"id": 1, "text"\n[1, 2]\n{"id": "x"}\n', "no valid rows"),
    "unsupported-type": ("tool.exe", lambda: b"MZ\x90\x00" * 100, "unsupported file type"),
}


def make_bad(case: str, folder: Path) -> tuple[Path, str]:
    name, maker, reason = BAD[case]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(maker())
    return path, reason


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_pipeline(case, seeded, tmp_path):
    """Through the pipeline: one failure naming the file and the reason; nothing written."""
    from ingest.pipeline import ingest

    a, index_dir = seeded
    before_catalog, before_search = catalog_state(index_dir), search_state(a)
    path, reason = make_bad(case, tmp_path / "in")
    report = ingest([path], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert not report.ok and not report.added and report.chunks_embedded == 0
    assert [(f.path, reason in f.reason) for f in report.failures] == [(str(path), True)], report.failures
    _intact(a, index_dir, before_catalog, before_search)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_cli(case, seeded, tmp_path):
    """Through `assistant ingest --json`: exit 1, the failure names file and reason, index intact."""
    a, index_dir = seeded
    before = catalog_state(index_dir)
    path, reason = make_bad(case, tmp_path / "in")
    r = run_cli("ingest", path, "--index", index_dir, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["added"] == 0
    assert len(out["failures"]) == 1
    assert out["failures"][0]["path"] == str(path) and reason in out["failures"][0]["reason"]
    assert catalog_state(index_dir) == before


def test_all_bad_files_in_one_run_leave_the_index_answering_as_before(seeded, tmp_path):
    """Every bad case in one folder, through the CLI: each named with its reason, exit 1, and the
    index answers exactly as before (catalog, Chroma and keyword index checked by `doctor`)."""
    a, index_dir = seeded
    before_catalog, before_search = catalog_state(index_dir), search_state(a)
    folder = tmp_path / "ของสำนักงาน"
    expected = {}
    for case in BAD:
        if case == "unsupported-type":
            continue  # inside a folder, unsupported files are skipped, not failures
        path, reason = make_bad(case, folder)
        expected[str(path)] = reason
    r = run_cli("ingest", folder, "--index", index_dir, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    got = {f["path"]: f["reason"] for f in out["failures"]}
    assert set(got) == set(expected)
    for path, reason in expected.items():
        assert reason in got[path], (path, got[path])
    code, health = doctor(index_dir)
    assert code == 0 and health["healthy"] and health["generation"] == before_catalog["generation"]
    _intact(a, index_dir, before_catalog, before_search)


# ---------------------------------------------------------------- a 200 MB file


def test_200mb_file_rejected_from_its_size_with_bounded_memory(seeded, tmp_path):
    """Refused from its size without being read: the CLI's peak RSS stays far below the file size
    and does not grow with it (compared with the same run on an empty file), and in-process
    allocations stay small."""
    from ingest.pipeline import ingest

    a, index_dir = seeded
    before = catalog_state(index_dir)
    big = tmp_path / "ใหญ่มาก.txt"
    with open(big, "wb") as f:
        f.truncate(200_000_000)  # sparse: 200 MB on paper, nothing on disk
    tiny = tmp_path / "tiny.txt"
    tiny.write_bytes(b"")

    # The CLI reports its own peak RSS (VmHWM of its address space) as it exits; getrusage in the
    # parent would count the test process's pages, which the child shares until exec.
    wrapper = (
        "import atexit, sys\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            sys.stderr.write('PEAK_RSS_KB ' + line.split()[1] + '\\n')\n"
        "atexit.register(hwm)\n"
        "sys.argv = ['assistant'] + sys.argv[1:]\n"
        "from assistant.cli import main\n"
        "main()\n"
    )

    def run(path: Path):
        r = subprocess.run(
            [sys.executable, "-c", wrapper, "ingest", str(path), "--index", str(index_dir), "--json"],
            capture_output=True, text=True, cwd=ROOT, env=cli_env(), timeout=300,
        )
        peak = [int(line.split()[1]) * 1024 for line in r.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
        assert peak, r.stderr
        return r.returncode, json.loads(r.stdout), peak[0]

    code, out, rss_big = run(big)
    assert code == 1
    assert [(f["path"], f["reason"], f["code"]) for f in out["failures"]] == [(str(big), "file is 200 MB, over the 50 MB limit", "too_large")]
    _, _, rss_tiny = run(tiny)
    print(f"peak RSS: 200 MB file {rss_big / 1e6:.0f} MB, empty file {rss_tiny / 1e6:.0f} MB")
    assert rss_big < 0.75 * 200_000_000
    assert rss_big - rss_tiny < 25_000_000

    tracemalloc.start()
    try:
        report = ingest([big], a.index, a.embedder.embed_passages, a.embedder.count_tokens, max_bytes=50_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "over the 50 MB limit" in report.failures[0].reason
    assert peak < 5_000_000, peak
    assert catalog_state(index_dir) == before


def test_file_size_limit_is_configurable(seeded, tmp_path):
    a, index_dir = seeded
    f = tmp_path / "ยาว.txt"
    f.write_text((THAI + "\n\n") * 12_000, encoding="utf-8")  # ~3 MB
    mb = f.stat().st_size / 1e6
    assert 2 < mb < 5
    r = run_cli("ingest", f, "--index", index_dir, "--json", "--max-file-mb", "1")
    assert r.returncode == 1 and "over the 1 MB limit" in json.loads(r.stdout)["failures"][0]["reason"]
    r = run_cli("ingest", f, "--index", index_dir, "--json", env=cli_env(ASSISTANT_MAX_FILE_MB=2))
    assert r.returncode == 1 and "over the 2 MB limit" in json.loads(r.stdout)["failures"][0]["reason"]
    from assistant.config import Settings, load_settings

    assert Settings().max_file_mb == 50
    os.environ["ASSISTANT_MAX_FILE_MB"] = "7"
    try:
        assert load_settings().max_file_mb == 7
    finally:
        del os.environ["ASSISTANT_MAX_FILE_MB"]


# ---------------------------------------------------------------- odd but valid files


def _ingest_one(a, path: Path):
    from ingest.pipeline import ingest

    return ingest([path], a.index, a.embedder.embed_passages, a.embedder.count_tokens)


def _seed_untouched(a, before):
    assert [c for c in catalog_state(a.index.root)["chunks"] if c[0] == SEED_ID] == [c for c in before["chunks"] if c[0] == SEED_ID]


@pytest.mark.parametrize(
    "case, encode",
    [
        ("tis-620", lambda t: t.encode("tis-620")),
        ("cp874", lambda t: t.replace("-", "\u2013").encode("cp874")),  # cp874 adds an en dash
        ("utf-16-bom", lambda t: t.encode("utf-16")),
        ("utf-16-le-no-bom", lambda t: t.encode("utf-16-le")),
        ("utf-16-be-no-bom", lambda t: t.encode("utf-16-be")),
        ("utf-8-bom", lambda t: t.encode("utf-8-sig")),
    ],
)
def test_legacy_and_utf16_text_decoded(case, encode, seeded, tmp_path):
    from assistant.text.thai import normalize

    a, index_dir = seeded
    before = catalog_state(index_dir)
    text = f"ประกาศเทศบาลตำบลบ้านทดสอบ เรื่อง น้ำประปา - {case}\n\n{THAI}"
    path = tmp_path / f"{case}.txt"
    path.write_bytes(encode(text))
    report = _ingest_one(a, path)
    try:
        assert report.ok and report.added == [path.name], report.failures
        doc = a.index.catalog.doc_chunks(path.name)
        assert normalize(THAI) in " ".join(c.text for c in doc)
        assert a.search("เทศบาลตำบลบ้านทดสอบ น้ำประปา", k=3, method="bm25")[0].doc_id == path.name
        _seed_untouched(a, before)
    finally:
        a.index.remove([path.name])


def test_html_keeps_only_visible_text(seeded, tmp_path):
    a, index_dir = seeded
    before = catalog_state(index_dir)
    path = tmp_path / "ข่าว.html"
    path.write_text(
        "<html><head><title>ข่าวเทศบาล</title><style>body{font-family:Sarabun} .hidden{display:none}</style>"
        "<script>var tracking = 'ไม่ควรเห็น'; function f(){}</script></head><body>"
        "<nav><script src='x.js'></script></nav><h1>ข่าวเทศบาล</h1><p>เทศบาลเปิดศูนย์ข้อมูลเมืองอัจฉริยะ</p>"
        "<noscript>เปิดจาวาสคริปต์</noscript><template><p>แม่แบบ</p></template><!-- ความเห็นซ่อน -->"
        "<table><tr><td>ตำบล</td><td>ผลงาน</td></tr></table></body></html>",
        encoding="utf-8",
    )
    report = _ingest_one(a, path)
    try:
        assert report.ok, report.failures
        text = " ".join(c.text for c in a.index.catalog.doc_chunks(path.name))
        assert "เทศบาลเปิดศูนย์ข้อมูลเมืองอัจฉริยะ" in text and "ตำบล" in text
        for hidden in ("tracking", "ไม่ควรเห็น", "font-family", "function", "จาวาสคริปต์", "แม่แบบ", "ความเห็นซ่อน"):
            assert hidden not in text
        _seed_untouched(a, before)
    finally:
        a.index.remove([path.name])


def test_docx_tables_kept_row_by_row(seeded, tmp_path):
    import docx

    a, index_dir = seeded
    before = catalog_state(index_dir)
    d = docx.Document()
    d.add_heading("งบประมาณโครงการเมืองอัจฉริยะ", level=1)
    d.add_paragraph("ตารางสรุปงบประมาณรายตำบล")
    t = d.add_table(rows=3, cols=3)
    rows = [("ตำบล", "โครงการ", "งบประมาณ"), ("บ้านใหม่", "ไฟถนนอัจฉริยะ", "๕๐๐,๐๐๐"), ("หนองบัว", "ระบบน้ำประปา", "๑,๒๐๐,๐๐๐")]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    path = tmp_path / "งบ.docx"
    d.save(path)
    report = _ingest_one(a, path)
    try:
        assert report.ok, report.failures
        text = "\n".join(c.text for c in a.index.catalog.doc_chunks(path.name))
        for row in rows:
            assert " | ".join(row) in text
        hit = a.search("ระบบน้ำประปา หนองบัว งบประมาณ", k=1, method="bm25")[0]
        assert hit.doc_id == path.name and "หนองบัว | ระบบน้ำประปา | ๑,๒๐๐,๐๐๐" in hit.text
        _seed_untouched(a, before)
    finally:
        a.index.remove([path.name])


def test_jsonl_good_rows_in_bad_rows_by_line_and_missing_path(seeded, tmp_path):
    a, index_dir = seeded
    rows = [
        json.dumps({"id": "n1", "title": "ข่าวหนึ่ง", "text": "เทศบาลจัดอบรมการใช้ข้อมูลเปิด"}, ensure_ascii=False),
        '{"id": "n2", "text": "ขาดวงเล็บปิด"',
        json.dumps({"id": "n3", "text": ""}),
        "",
        json.dumps(["ไม่ใช่ออบเจกต์"], ensure_ascii=False),
        json.dumps({"text": "ไม่มีรหัส"}, ensure_ascii=False),
        json.dumps({"id": "n1", "text": "รหัสซ้ำ"}, ensure_ascii=False),
        json.dumps({"id": "n8", "title": "ข่าวแปด", "text": "ศูนย์ข้อมูลเมืองเปิดให้บริการ"}, ensure_ascii=False),
    ]
    path = tmp_path / "ข่าว.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    missing = tmp_path / "ไม่มีไฟล์นี้.txt"
    r = run_cli("ingest", path, missing, "--index", tmp_path / "idx", "--json")
    assert r.returncode == 1, r.stderr  # something failed...
    out = json.loads(r.stdout)
    assert out["added"] == 2  # ...and the good rows went in
    assert [(f["path"], f["reason"], f["code"]) for f in out["failures"]] == [(str(missing), "no such file or folder", "not_found")]
    assert [(e["line"], e["path"]) for e in out["row_errors"]] == [(2, str(path)), (3, str(path)), (5, str(path)), (6, str(path)), (7, str(path))]
    reasons = {e["line"]: e["reason"] for e in out["row_errors"]}
    assert "invalid JSON" in reasons[2] and "empty 'text'" in reasons[3] and "not a JSON object" in reasons[5]
    assert "missing 'id'" in reasons[6] and "duplicate id" in reasons[7]
    r = run_cli("docs", "--index", tmp_path / "idx", "--json")
    assert [d["doc_id"] for d in json.loads(r.stdout)] == ["ข่าว.jsonl#n1", "ข่าว.jsonl#n8"]


def test_thai_path_with_spaces(seeded, tmp_path):
    """A Thai folder and file name with spaces: the id keeps them, search, docs and remove work."""
    a, index_dir = seeded
    folder = tmp_path / "เอกสาร สำนักงาน"
    (folder / "งาน ปี ๒๕๖๗").mkdir(parents=True)
    f = folder / "งาน ปี ๒๕๖๗" / "แผน พัฒนา เมือง.txt"
    f.write_text("แผนพัฒนาเมืองอัจฉริยะของเทศบาลตำบลบ้านทดสอบ ปี พ.ศ. ๒๕๖๗ เน้นระบบขนส่งสาธารณะ", encoding="utf-8")
    idx = tmp_path / "ดัชนี ทดสอบ"
    r = run_cli("ingest", folder, "--index", idx, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 1
    doc_id = "งาน ปี ๒๕๖๗/แผน พัฒนา เมือง.txt"
    r = run_cli("docs", "--index", idx, "--json")
    assert [(d["doc_id"], d["source"]) for d in json.loads(r.stdout)] == [(doc_id, str(f))]
    from assistant.config import load_settings
    from assistant.service import Assistant

    other = Assistant(load_settings(index_dir=idx))
    assert other.search("ระบบขนส่งสาธารณะ", k=1)[0].doc_id == doc_id
    other.index.close()
    r = run_cli("remove", doc_id, "--index", idx)
    assert r.returncode == 0, r.stderr
    assert json.loads(run_cli("docs", "--index", idx, "--json").stdout) == []


def test_repeated_paragraph_is_stored_once(seeded, tmp_path):
    a, index_dir = seeded
    para = "เทศบาลตำบลบ้านทดสอบส่งเสริมการคัดแยกขยะที่ต้นทางเพื่อลดปริมาณขยะในชุมชน"
    path = tmp_path / "ซ้ำ.txt"
    path.write_text("\n\n".join([para] * 1000), encoding="utf-8")
    report = _ingest_one(a, path)
    try:
        assert report.ok and report.chunks_added == 1 and report.chunks_embedded == 1
        chunks = a.index.catalog.doc_chunks(path.name)
        assert [c.text for c in chunks] == [para]
        hits = a.search("คัดแยกขยะที่ต้นทาง", k=10)
        assert sum(h.doc_id == path.name for h in hits) == 1
    finally:
        a.index.remove([path.name])


def test_pdf_with_owner_password_only_is_read(seeded, tmp_path):
    """Encrypted for permissions only (no password to open): the text is readable, so it goes in."""
    import pymupdf

    a, index_dir = seeded
    path = tmp_path / "permissions.pdf"
    path.write_bytes(_pdf(pages=2).tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw=""))
    report = _ingest_one(a, path)
    try:
        assert report.ok and report.added == [path.name]
    finally:
        a.index.remove([path.name])
