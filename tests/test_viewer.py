"""The evidence viewer over a real catalog on disk: the window around a cited passage, overlap
between chunks shown once, chapter headings, navigation at the ends, and PDF pages drawn only
when the source file is still the one that was indexed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.store.catalog import Catalog
from eval.bench_viewer import synthetic_act
from ui.viewer import WINDOW, Viewer, view_html


@pytest.fixture()
def act(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    info, chunks, tokens = synthetic_act(60)
    cat.replace_documents([(info, chunks, tokens)])
    yield Viewer(SimpleNamespace(catalog=cat)), chunks
    cat.close()


def test_window_headings_and_navigation(act):
    viewer, chunks = act
    c = chunks[30]
    state = viewer.locate(c.doc_id, c.text, "ข้อความเฉพาะของมาตรา 31")
    assert (state.cited, state.current) == (30, 30)
    v = viewer.view(state)
    assert [p.ordinal for p in v.passages] == list(range(30 - WINDOW, 30 + WINDOW + 1)) and v.total == 60
    html = view_html(v, 7)
    assert html.count('class="tpa-v-passage') == 2 * WINDOW + 1
    assert '<section class="tpa-v-passage tpa-v-target tpa-v-current" id="tpa-v-p-30"' in html
    assert '<mark class="tpa-quote">ข้อความเฉพาะของมาตรา 31</mark>' in html
    assert html.count("<mark") == 1  # only the cited passage carries the highlight
    assert '<h4 class="tpa-v-chapter">หมวด 3</h4>' in html and '<h4 class="tpa-v-chapter">หมวด 4</h4>' in html
    titled = replace(v, passages=[replace(p, text=p.text + " หมวด 4 การกำกับดูแล") if p.ordinal == 29 else p
                                  for p in v.passages])
    assert '<h4 class="tpa-v-chapter">หมวด 4 การกำกับดูแล</h4>' in view_html(titled)
    assert "ก่อนหน้านี้อีก 18 ช่วง" in html and "ต่อจากนี้อีก 17 ช่วง" in html
    # navigation stops at both ends; the cited passage stays cited
    end = viewer.move(state, 100)
    assert (end.current, end.cited) == (59, 30)
    assert viewer.move(end, 1).current == 59 and viewer.move(state, -100).current == 0
    assert 'id="tpa-v-p-30"' not in view_html(viewer.view(viewer.move(state, -30)))  # out of the window


def test_a_quote_is_found_when_the_text_changed(act):
    viewer, chunks = act
    state = viewer.locate(chunks[5].doc_id, "a passage text from an older index", "ข้อความเฉพาะของมาตรา 6 ")
    assert state is not None and state.cited == 5
    assert viewer.locate(chunks[5].doc_id, "gone", "nowhere") is None
    assert "ไม่พบเอกสาร" in view_html(None)


def test_overlapping_chunks_shown_once(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    info, chunks, tokens = synthetic_act(3)
    shared = "ประโยคที่ซ้อนกันระหว่างสองช่วง "
    a = replace(chunks[0], text="ช่วงแรกของเอกสาร " + shared, location="ย่อหน้า 1–2")
    a = replace(a, char_start=0, char_end=len(a.text))
    b = replace(chunks[1], text=shared + "ช่วงที่สองของเอกสาร", location="ย่อหน้า 2–3", char_start=a.char_end - len(shared))
    b = replace(b, char_end=b.char_start + len(b.text))
    cat.replace_documents([(info, [a, b], tokens[:2])])
    viewer = Viewer(SimpleNamespace(catalog=cat))
    html = view_html(viewer.view(viewer.locate(info.doc_id, b.text, "ช่วงที่สองของเอกสาร")))
    assert html.count("ประโยคที่ซ้อนกันระหว่างสองช่วง") == 1  # shown in the cited passage, trimmed from the one before
    html = view_html(viewer.view(viewer.locate(info.doc_id, a.text, "ช่วงแรกของเอกสาร")))
    assert html.count("ประโยคที่ซ้อนกันระหว่างสองช่วง") == 1
    cat.close()


def test_pdf_page_only_for_the_indexed_file(tmp_path):
    import hashlib

    import pymupdf

    from tests.test_thai_pdf import thai_font
    from ui.viewer import find_boxes

    path = tmp_path / "report.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((60, 100), "บรรทัดแรกของรายงาน", fontfile=str(thai_font()), fontname="thai", fontsize=13)
    page.insert_text((60, 300), "ระยะทางทั้งหมด 23 กิโลเมตร", fontfile=str(thai_font()), fontname="thai", fontsize=13)
    doc.save(path)
    with pymupdf.open(path) as d:
        rects = find_boxes(d[0], "ระยะทางทั้งหมด 23 กิโลเมตร")
        assert rects and all(280 < r.y1 < 310 for r in rects)
        # a quote split across what the text layer holds: its pieces are still found
        assert find_boxes(d[0], "บรรทัดแรกของรายงาน ระยะทางทั้งหมด 23 กิโลเมตร")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    _, chunks, _ = synthetic_act(1)
    chunk = replace(chunks[0], location="หน้า 1", source=str(path), doc_sha256=sha, text="ระยะทางทั้งหมด 23 กิโลเมตร")
    viewer = Viewer(SimpleNamespace(catalog=None))
    pv = viewer.page(chunk, "ระยะทางทั้งหมด 23 กิโลเมตร")
    assert pv.png.startswith(b"\x89PNG") and len(pv.boxes) == 1 and not pv.note
    left, top, width, _ = pv.boxes[0]
    assert 0.05 < left < 0.15 and 0.3 < top < 0.36 and width > 0.1
    changed = replace(chunk, doc_sha256="0" * 64)  # the file on disk is not the one indexed
    assert viewer.page(changed, "x").png == b"" and "เปลี่ยนไป" in viewer.page(changed, "x").note
    missing = replace(chunk, source=str(tmp_path / "moved.pdf"))
    assert viewer.page(missing, "x").png == b"" and "ไม่พบไฟล์" in viewer.page(missing, "x").note
    assert viewer.page(replace(chunk, location="ย่อหน้า 1"), "x") is None
    assert Path(path).exists()
