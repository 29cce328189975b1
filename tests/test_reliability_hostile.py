"""Hostile files: each per-file budget (unzipped size and member count of a zip container, HTML
nesting depth, line length before sentence splitting, wall clock) is a named reason, the file is
skipped and the run goes on; folder ingest never follows a link out of the folder; mixed
encodings and NUL bytes get precise reasons; a new format is one reader and one table entry."""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from pathlib import Path

import pytest

from tests.reliability import catalog_state, run_cli, seeded_index

pytestmark = pytest.mark.slow

THAI = "มาตรา ๑๖ ให้เทศบาลตำบลบ้านทดสอบมีอำนาจและหน้าที่ในการจัดระบบบริการสาธารณะด้านน้ำประปา"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return seeded_index(tmp_path_factory, "hostile-index")


def _ingest(a, paths, **limits):
    from ingest.budgets import Limits
    from ingest.pipeline import ingest

    return ingest(list(paths), a.index, a.embedder.embed_passages, a.embedder.count_tokens, limits=Limits(**limits))


def _failures(report) -> dict[str, tuple[str, str, str]]:
    return {Path(f.path).name: (f.code, f.reason, f.thai) for f in report.failures}


# ---------------------------------------------------------------- zip containers


def _docx_bytes(text: str = THAI) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip_bomb(megabytes: int) -> bytes:
    """A real DOCX whose document.xml inflates to `megabytes` MB (zeros deflate ~1000:1)."""
    src = zipfile.ZipFile(io.BytesIO(_docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                with z.open(info.filename, "w") as f:
                    f.write(src.read(info.filename))
                    chunk = b"<!--" + b"0" * (1 << 20) + b"-->"
                    for _ in range(megabytes):
                        f.write(chunk)
            else:
                z.writestr(info, src.read(info.filename))
    return out.getvalue()


def test_zip_bomb_docx_is_refused_from_its_directory_and_the_run_goes_on(seeded, tmp_path):
    a, index_dir = seeded
    before = catalog_state(index_dir)
    folder = tmp_path / "in"
    folder.mkdir()
    bomb = _zip_bomb(60)
    assert len(bomb) < 2_000_000  # small on disk: only the directory tells
    (folder / "bomb.docx").write_bytes(bomb)
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(2500):
            z.writestr(f"word/part{i}.xml", "<x/>")
    (folder / "many.docx").write_bytes(many.getvalue())
    (folder / "good.docx").write_bytes(_docx_bytes(THAI + " ฉบับปกติ"))
    report = _ingest(a, [folder])
    got = _failures(report)
    code, reason, thai = got["bomb.docx"]
    assert code == "zip_too_large" and "docx expands to 6" in reason and "over the 50 MB limit" in reason
    assert "เกินขีดจำกัด" in thai
    code, reason, _ = got["many.docx"]
    assert code == "zip_too_many" and "2500 files, over the 2000 limit" in reason
    assert report.added == ["good.docx"]  # the run went on
    after = catalog_state(index_dir)
    assert {d for d, _, _ in after["documents"]} - {d for d, _, _ in before["documents"]} == {"good.docx"}
    a.index.remove(["good.docx"])


# ---------------------------------------------------------------- HTML depth, long lines


def test_deeply_nested_html_is_refused_with_its_depth(tmp_path):
    from ingest.loaders import LoadError, load_file

    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 50_000 + THAI + "</div>" * 50_000 + "</body></html>", encoding="utf-8")
    with pytest.raises(LoadError) as e:
        load_file(page, page.name)
    assert e.value.code == "html_too_deep" and "over the 256 limit" in e.value.reason
    ok = tmp_path / "ok.html"
    ok.write_text("<html><body>" + "<div>" * 40 + f"<p>{THAI}</p>" + "</div>" * 40 + "</body></html>", encoding="utf-8")
    assert load_file(ok, ok.name).documents[0].sections  # an ordinary deep-ish page still reads


def test_long_line_is_cut_on_a_fixed_window_before_sentence_splitting(tmp_path, monkeypatch):
    """crfcut never sees more than the window; a window without spaces is not given to it."""
    import ingest.chunking as chunking
    from ingest.loaders import load_file

    seen: list[int] = []
    real = chunking.sentences
    monkeypatch.setattr(chunking, "sentences", lambda text: seen.append(len(text)) or real(text))
    spaced = tmp_path / "spaced.txt"
    spaced.write_text(" ".join(f"{THAI} ข้อ {i}" for i in range(2500)), encoding="utf-8")  # one ~250 KB line
    doc = load_file(spaced, spaced.name).documents[0]
    assert max(len(line) for s in doc.sections for line in s.text.split("\n")) > 200_000
    chunks = chunking.chunk_document(doc, max_line=5000)
    assert seen and max(seen) <= 5000
    assert chunks and max(len(c.text) for c in chunks) <= 5000
    seen.clear()
    solid = tmp_path / "solid.txt"
    solid.write_text("ก" * 60_000, encoding="utf-8")
    chunks = chunking.chunk_document(load_file(solid, solid.name).documents[0], max_line=5000)
    assert seen == [] and chunks and max(len(c.text) for c in chunks) <= 5000


def test_wall_clock_budget_stops_one_file_and_the_run_goes_on(seeded, tmp_path):
    """A reader that never finishes is stopped at its checkpoint with a named reason; the next
    file, under the same budget, goes in."""
    from ingest.budgets import checkpoint
    from ingest.loaders import LOADERS, register_loader
    from ingest.chunking import units

    a, _ = seeded
    units(THAI)  # crfcut is loaded before the clock starts for the good file

    def forever(src):
        while True:
            checkpoint("toy reader")

    register_loader(".forever", forever)
    try:
        (tmp_path / "stuck.forever").write_text("x", encoding="utf-8")
        (tmp_path / "small.txt").write_text(THAI + " ไฟล์เล็ก", encoding="utf-8")
        report = _ingest(a, [tmp_path / "stuck.forever", tmp_path / "small.txt"], file_seconds=3)
    finally:
        LOADERS.pop(".forever")
    code, reason, thai = _failures(report)["stuck.forever"]
    assert code == "too_slow" and "over the 3 s budget per file (stopped at: toy reader)" in reason and "วินาที" in thai
    assert report.added == ["small.txt"]
    a.index.remove(["small.txt"])


# ---------------------------------------------------------------- links


def test_folder_ingest_never_follows_links_out_of_the_folder(seeded, tmp_path):
    a, index_dir = seeded
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (outside / "notes.txt").write_text("root:x:0:0 ในโฟลเดอร์ภายนอก", encoding="utf-8")
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    (folder / "report.txt").write_text(THAI + " รายงาน", encoding="utf-8")
    os.symlink(secret, folder / "passwd.txt")
    os.symlink(outside, folder / "etc")
    os.symlink(folder / "report.txt", folder / "report-link.txt")  # inside the folder: fine
    r = run_cli("ingest", folder, "--index", index_dir, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 1, r.stderr
    got = {Path(f["path"]).name: f for f in out["failures"]}
    assert set(got) == {"passwd.txt", "etc"}
    assert got["passwd.txt"]["code"] == "link_outside" and str(secret) in got["passwd.txt"]["reason"]
    assert got["etc"]["code"] == "link_folder"
    texts = " ".join(t for _, _, t in catalog_state(index_dir)["chunks"])
    assert "root:x:0:0" not in texts and "รายงาน" in texts
    assert out["added"] == 2  # report.txt and the link inside the folder

    # A file named explicitly may be a link: read from its target, and the report says so.
    named = tmp_path / "named-link.txt"
    os.symlink(outside / "notes.txt", named)
    r = run_cli("ingest", named, "--index", index_dir, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["added"] == 1, r.stdout
    assert any(str(outside / "notes.txt") in w and "symbolic link" in w for w in out["warnings"])
    a.index.remove(["report.txt", "report-link.txt", "named-link.txt"])


# ---------------------------------------------------------------- precise reasons


def test_mixed_encodings_and_nul_bytes_have_precise_reasons(tmp_path):
    from ingest.loaders import LoadError, load_file

    def reason(name: str, data: bytes) -> LoadError:
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(LoadError) as e:
            load_file(p, name)
        return e.value

    utf8_lines = [f"{THAI} บรรทัด {i}".encode("utf-8") for i in range(3)]
    tis_line = f"{THAI} บรรทัดเก่า".encode("cp874")
    e = reason("mixed.txt", b"\n".join(utf8_lines + [tis_line]))
    assert e.code == "mixed_encoding" and "3 line(s) in UTF-8 and 1 in TIS-620 (first at line 4)" in e.reason
    assert "UTF-8" in e.thai and "บรรทัด" in e.thai
    late = (THAI + "\n").encode("utf-8") * 100  # past the first 4 KB
    e = reason("late-nul.txt", late + b"\x00" + late)
    assert e.code == "nul_byte" and f"offset {len(late.decode('utf-8'))}" in e.reason
    e = reason("early-nul.txt", THAI.encode("utf-8") + b"\x00" + late)
    assert e.code == "nul_byte"
    e = reason("random.txt", random.Random(5).randbytes(20_000))
    assert e.code == "binary" and "binary data" in e.reason


def test_every_reason_has_english_and_thai_and_the_ui_matches_no_english(tmp_path):
    from tests.conftest import ROOT
    from ingest.errors import MESSAGES

    for code, (en, th) in MESSAGES.items():
        assert en and th and any("\u0e00" <= ch <= "\u0e7f" for ch in th), code
    app = (ROOT / "ui" / "app.py").read_text(encoding="utf-8")
    for en, _ in MESSAGES.values():
        fixed = en.split("{")[0].strip()
        assert len(fixed) < 8 or fixed not in app, fixed  # no table of English reasons in the UI


# ---------------------------------------------------------------- the loader table


def test_a_new_format_is_one_reader_and_one_table_entry(seeded, tmp_path):
    """A toy `.tsvq` loader (question<TAB>answer rows) registered at run time: SUPPORTED shows it,
    a folder ingest picks it up, and its text is searchable."""
    from assistant.schema import Section
    from ingest.loaders import LOADERS, SUPPORTED, Loaded, register_loader

    a, _ = seeded

    @register_loader(".tsvq")
    def read_tsvq(src) -> Loaded:
        rows = [line.split("\t") for line in src.text().splitlines() if "\t" in line]
        return src.document(rows[0][0], [Section(f"{q} {ans}", f"แถว {i}") for i, (q, ans) in enumerate(rows, 1)])

    try:
        assert ".tsvq" in SUPPORTED
        folder = tmp_path / "faq"
        folder.mkdir()
        (folder / "faq.tsvq").write_text(
            "หอกระจายข่าวอัจฉริยะของตำบลทดลองตั้งอยู่ที่ใด\tตั้งอยู่หน้าวัดโพธิ์ทองตำบลทดลองหมู่ที่ ๙\n", encoding="utf-8")
        report = _ingest(a, [folder])
        assert report.ok and report.added == ["faq.tsvq"], report.failures
        hits = a.search("หอกระจายข่าวอัจฉริยะ ตำบลทดลอง", k=3, method="bm25")
        assert hits and hits[0].doc_id == "faq.tsvq" and "วัดโพธิ์ทอง" in hits[0].text
    finally:
        LOADERS.pop(".tsvq")
        a.index.remove(["faq.tsvq"])
    assert ".tsvq" not in SUPPORTED


def test_the_upload_tab_shows_loader_reasons_in_thai(seeded, tmp_path):
    """The officer reads the reason in Thai, from the reason code (a corrupt PDF used to show
    MuPDF's English message)."""
    from ui.app import Context, make_handlers
    from ui.auth import Users

    a, _ = seeded
    ctx = Context(a, Users({"a": "b"}))
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(4000))
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(f"{THAI}\n".encode("utf-8") + f"{THAI}\n".encode("cp874"))
    html, *_ = make_handlers(ctx)["upload"]([str(bad), str(mixed)], "a", progress=lambda *args, **kw: None)
    from ingest.errors import message

    assert message("pdf_corrupt")[1] in html and "ไฟล์ใช้รหัสอักขระปนกัน" in html
    assert "corrupt" not in html and "mixed encodings" not in html
