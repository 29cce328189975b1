import json
from pathlib import Path

import pytest

from ingest.loaders import LoadError, decode, discover, load_file, split_act

THAI = "องค์กรปกครองส่วนท้องถิ่นมีหน้าที่จัดบริการสาธารณะ"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp874", "tis-620"])
def test_decode_encodings(encoding):
    assert decode(THAI.encode(encoding)) == THAI


def test_decode_rejects_binary_and_empty(tmp_path):
    with pytest.raises(LoadError, match="binary"):
        decode(bytes(range(256)) * 20, "x.txt")
    with pytest.raises(LoadError, match="empty"):
        decode(b"  \n", "y.txt")


def load(path: Path):
    return load_file(path, path.name, 10_000_000)


def test_txt_act_splits_at_matra(tmp_path):
    text = "พระราชบัญญัติ\nทดสอบ\nพ.ศ. ๒๕๖๗\n\nหมวด ๑\nบททั่วไป\n\nมาตรา ๑ พระราชบัญญัตินี้เรียกว่า\nทดสอบ\n\nมาตรา ๒ ให้ใช้บังคับ\n\nมาตรา ๓ ให้รัฐมนตรีรักษาการ"
    p = tmp_path / "act.txt"
    p.write_text(text, encoding="utf-8")
    doc = load(p).documents[0]
    assert doc.title == "พระราชบัญญัติ ทดสอบ พ.ศ. ๒๕๖๗"
    locs = [s.location for s in doc.sections]
    assert "หมวด ๑ บททั่วไป มาตรา ๓" in locs  # the chapter's title takes part in matching
    assert any(s.text == "มาตรา ๑ พระราชบัญญัตินี้เรียกว่า ทดสอบ" for s in doc.sections)


def test_html_keeps_only_visible_text(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><title>หน้าทดสอบ</title><style>.x{color:red}</style></head>"
        "<body><script>alert('x')</script><h2>หัวข้อ</h2><p>เนื้อหาที่มองเห็น</p></body></html>",
        encoding="utf-8",
    )
    doc = load(p).documents[0]
    assert doc.title == "หน้าทดสอบ"
    assert "เนื้อหาที่มองเห็น" in doc.text
    assert "alert" not in doc.text and "color" not in doc.text
    assert doc.sections[0].location == "หัวข้อ"


def test_markdown_sections_by_heading(tmp_path):
    p = tmp_path / "guide.md"
    p.write_text("# คู่มือ\n\nบทนำ\n\n## ขั้นตอนที่ ๑\nทำสิ่งนี้\n", encoding="utf-8")
    doc = load(p).documents[0]
    assert doc.title == "คู่มือ"
    assert [s.location for s in doc.sections] == ["คู่มือ", "ขั้นตอนที่ ๑"]


def test_docx_tables_row_by_row(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("รายงานโครงการ", level=1)
    d.add_paragraph("ย่อหน้าแรก")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "ตำบล", "งบประมาณ"
    t.cell(1, 0).text, t.cell(1, 1).text = "บ้านใหม่", "๕๐๐,๐๐๐"
    p = tmp_path / "r.docx"
    d.save(p)
    doc = load(p).documents[0]
    assert "ตำบล | งบประมาณ" in doc.text and "บ้านใหม่ | ๕๐๐,๐๐๐" in doc.text


def test_pdf_pages_are_locations(tmp_path):
    import pymupdf

    pdf = pymupdf.open()
    for i in range(2):
        pdf.new_page().insert_text((72, 72), f"Smart city page {i + 1} content")
    p = tmp_path / "doc.pdf"
    pdf.save(p)
    doc = load(p).documents[0]
    assert [s.location for s in doc.sections] == ["หน้า 1", "หน้า 2"]


def test_corrupt_and_empty_files_name_the_reason(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(LoadError) as e:
        load(bad)
    assert "broken.pdf" in str(e.value) and "PDF" in e.value.reason
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(LoadError, match="empty"):
        load(empty)


def test_jsonl_good_rows_in_bad_rows_reported(tmp_path):
    p = tmp_path / "items.jsonl"
    rows = [
        json.dumps({"id": "a", "title": "ข่าวหนึ่ง", "text": "เนื้อหาข่าวหนึ่ง"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c", "title": "ข่าวสาม", "text": "เนื้อหาข่าวสาม"}, ensure_ascii=False),
    ]
    p.write_text("\n".join(rows), encoding="utf-8")
    loaded = load_file(p, "items.jsonl", 10_000_000)
    assert [d.doc_id for d in loaded.documents] == ["items.jsonl#a", "items.jsonl#c"]
    assert [e.line for e in loaded.row_errors] == [2, 3]


def test_discover_ids_are_relative_to_the_named_folder(tmp_path):
    (tmp_path / "law").mkdir()
    (tmp_path / "law" / "a.txt").write_text("ก", encoding="utf-8")
    (tmp_path / "index.json").write_text("[]")
    (tmp_path / "MANIFEST.md").write_text("# about this folder")
    found = list(discover([tmp_path]))
    assert [d for _, d in found] == ["law/a.txt"]


def _law(sysid: str):
    from tests.conftest import shared_corpus

    path = shared_corpus() / "thai_law" / f"{sysid}.txt"
    return load_file(path, f"thai_law/{sysid}.txt", 10_000_000).documents[0]


def test_amending_acts_are_located_by_their_own_title():
    """พ.ร.บ.เทศบาล: the principal Act is followed by its amending Acts, each with its own มาตรา ๑, ๒, …"""
    doc = _law("618130")
    locs = [s.location for s in doc.sections]
    by_loc = {s.location: s.text for s in doc.sections}
    assert "ส่วนที่ ๓ หน้าที่ของเทศบาล มาตรา ๕๐" in locs
    assert "พ.ร.บ.เทศบาล (ฉบับที่ ๑๔) พ.ศ. ๒๕๖๒ มาตรา ๒๘" in locs
    assert by_loc["พ.ร.บ.เทศบาล (ฉบับที่ ๑๔) พ.ศ. ๒๕๖๒ มาตรา ๒๘"].startswith("มาตรา ๒๘ บรรดาข้อกล่าวหา")
    # An amending Act's transitional section is not the principal Act's บทเฉพาะกาล
    assert by_loc["พ.ร.บ.เทศบาล (ฉบับที่ ๔) พ.ศ. ๒๕๐๕ มาตรา ๗"].startswith("มาตรา ๗ การจัดทำกิจการตามมาตรา ๕๑")
    assert not any(loc.startswith("บทเฉพาะกาล") and "ฉบับที่" in by_loc[loc][:80] for loc in locs)
    # The principal Act's own sections carry no amending Act's name
    assert by_loc["มาตรา ๑"].startswith("มาตรา ๑ พระราชบัญญัตินี้เรียกว่า")
    # Every section number of the principal Act appears once under it
    principal = [loc for loc in locs if not loc.startswith("พ.ร.บ.") and "มาตรา ๗๖" in loc]
    assert principal == ["บทเฉพาะกาล มาตรา ๗๖"]


def test_rationale_notes_and_footnotes_are_their_own_parts():
    doc = _law("635171")  # พ.ร.บ.ผู้สูงอายุ
    rationale = [s for s in doc.sections if s.location.endswith("เหตุผลในการประกาศใช้")]
    assert len(rationale) >= 2 and all(s.text.startswith("หมายเหตุ") for s in rationale)
    assert not any("หมายเหตุ :-" in s.text for s in doc.sections if not s.location.endswith("เหตุผลในการประกาศใช้"))
    notes = [s for s in doc.sections if s.location == "เชิงอรรถ"]
    assert len(notes) == 1 and "ราชกิจจานุเบกษา" in notes[0].text
    # markers such as "[๖๙]" leave the text of sections; line breaks leave locations
    import re

    assert not any(re.search(r"\[[๐-๙0-9]+\]", s.text) for s in doc.sections if s.location != "เชิงอรรถ")
    assert not any("\n" in s.location for s in doc.sections)


def test_split_act_needs_several_sections():
    assert split_act("ข้อความธรรมดา ไม่มีมาตรา") == []
