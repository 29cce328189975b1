"""Thai text out of PDFs: each extraction defect repaired (or flagged with file and page), and real
Thai PDFs made by LibreOffice from .txt and .docx round-trip: vowels and tone marks in order,
spaces between words kept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ingest import pdffix
from ingest.loaders import load_file

FONT_DIRS = [Path("/usr/share/fonts/truetype/tlwg"), Path("/usr/share/fonts/opentype/tlwg")]

THAI_LINES = [
    "พระราชบัญญัติกำหนดแผนและขั้นตอนการกระจายอำนาจให้แก่องค์กรปกครองส่วนท้องถิ่น พ.ศ. ๒๕๔๒",
    "มาตรา ๑๖ ให้เทศบาล เมืองพัทยา และองค์การบริหารส่วนตำบลมีอำนาจและหน้าที่ในการจัดระบบการบริการสาธารณะเพื่อประโยชน์ของประชาชนในท้องถิ่นของตนเอง",
    "น้ำท่วม ผู้สูงอายุ ที่นี่ กิ่งก้าน ปั๊มน้ำ ญาติ ฐานะ ฎีกา ปู่ย่า ตั้งแต่ ทั้งนี้ กำไร ก็ดี เมืองอัจฉริยะ Smart City depa JICA",
]


def thai_font() -> Path:
    for d in FONT_DIRS:
        for name in ("Garuda.ttf", "Garuda.otf", "Loma.ttf", "Loma.otf"):
            if (d / name).is_file():
                return d / name
    pytest.skip("no Thai TLWG font (apt-get install fonts-thai-tlwg)")


def squash(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- unit: one defect at a time


@pytest.mark.parametrize(
    "broken, fixed, repair",
    [
        ("ก\uf70aอน", "ก่อน", "private_use_glyphs"),  # mai ek shifted down (Windows PUA)
        ("ป\uf713า", "ป่า", "private_use_glyphs"),  # mai ek shifted left, for ป
        ("ป\uf701\uf70a", "ปิ่", "private_use_glyphs"),  # sara i shifted left + lowered tone
        ("\uf70fาติ", "ญาติ", "private_use_glyphs"),  # yo ying without its descender
        ("\uf700ุ", "ฐุ", "private_use_glyphs"),  # tho than without its descender
        ("ก\uf88bอน", "ก่อน", "private_use_glyphs"),  # Mac PUA
        ("น\u0e4d\u0e49\u0e32", "น้ำ", "split_sara_am"),  # nikhahit before the tone, then sara aa
        ("ก\u0e4d\u0e32ลัง", "กำลัง", "split_sara_am"),
        ("ที \u0e48สุด", "ที่สุด", "space_before_mark"),  # a space before a tone mark
        ("ส ุข", "สุข", "space_before_mark"),  # a space before a below vowel
        ("ก\u0e48\u0e34ง", "กิ่ง", "tone_before_vowel"),  # tone mark extracted before its vowel
    ],
)
def test_each_defect_is_repaired(broken, fixed, repair):
    got = pdffix.repair(broken)
    assert got.text == fixed
    assert repair in got.repairs
    assert not got.broken


@pytest.mark.parametrize(
    "text, problem",
    [
        ("ข้อความ\ufffdเสีย", "unmapped_glyphs"),
        ("ข้อความ\x00เสีย", "unmapped_glyphs"),
        ("ข้อความ\ue123เสีย", "unknown_private_use_glyphs"),  # a PUA glyph no table knows
        ("abc\u0e48 def", "marks_without_consonant"),  # a tone mark on a Latin letter
        ("\u0e34ข้อความ", "marks_without_consonant"),  # a vowel starting the line
    ],
)
def test_what_cannot_be_repaired_is_flagged(text, problem):
    got = pdffix.repair(text)
    assert problem in got.problems


def test_clean_thai_is_left_alone():
    text = "\n".join(THAI_LINES)
    got = pdffix.repair(text)
    assert got.text == text and not got.repairs and not got.problems


def test_legacy_tis620_font_is_reread():
    thai = "การปกครองส่วนท้องถิ่น มาตรา ๑๖ ให้เทศบาลมีอำนาจและหน้าที่"
    mojibake = thai.encode("cp874").decode("latin-1")  # ¡ÒÃ»¡¤ÃÍ§...
    got = pdffix.repair(mojibake)
    assert got.text == thai and "legacy_tis620_font" in got.repairs
    assert pdffix.legacy_thai("Ceci est un texte français, élémentaire et accentué à souhait.") is None


# ---------------------------------------------------------------- PDFs carrying the defects


def _pdf(path: Path, pages: list[str]) -> Path:
    """A PDF whose text layer holds exactly these strings (PyMuPDF writes a ToUnicode map from
    the text given, so the defects survive into the file as a broken producer would leave them)."""
    import pymupdf

    font = thai_font()
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        y = 72
        for line in text.split("\n"):
            page.insert_text((72, y), line, fontfile=str(font), fontname="thai", fontsize=14)
            y += 24
    doc.save(path)
    return path


def test_pdf_defects_repaired_and_broken_page_named(tmp_path):
    pdf = _pdf(tmp_path / "เอกสาร เสีย.pdf", [
        "ก\uf70aอน น\u0e4d\u0e49\u0e32ท\u0e48\u0e27ม ที \u0e48สุด",  # page 1: all repairable
        "ข้อความปกติ abc\u0e48 ข้อ\ufffdความ",  # page 2: stays broken
    ])
    loaded = load_file(pdf, pdf.name, 10_000_000)
    doc = loaded.documents[0]
    assert doc.sections[0].text == "ก่อน น้ำท่วม ที่สุด"
    assert [s.location for s in doc.sections] == ["หน้า 1", "หน้า 2"]
    assert len(loaded.warnings) == 1
    w = loaded.warnings[0]
    assert "เอกสาร เสีย.pdf" in w and "page 2" in w and "broken" in w
    assert "\ufffd" not in doc.text and "\x00" not in doc.text


def test_partly_scanned_pdf_names_the_image_pages(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Smart city text page")
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 40), 0)
    pix.clear_with(200)
    page.insert_image(pymupdf.Rect(72, 72, 272, 172), pixmap=pix)
    path = tmp_path / "mixed.pdf"
    doc.save(path)
    loaded = load_file(path, path.name, 10_000_000)
    assert [s.location for s in loaded.documents[0].sections] == ["หน้า 1"]
    assert any("page(s) 2" in w and "needs OCR" in w and "mixed.pdf" in w for w in loaded.warnings)


# ---------------------------------------------------------------- LibreOffice round trips


@pytest.fixture(scope="module")
def soffice(tmp_path_factory):
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui")
    thai_font()
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(src: Path) -> Path:
        out = src.parent / "pdf"
        out.mkdir(exist_ok=True)
        r = subprocess.run(
            [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(src)],
            capture_output=True, text=True, timeout=180,
        )
        pdf = out / (src.stem + ".pdf")
        assert pdf.is_file(), f"soffice failed: {r.stdout} {r.stderr}"
        return pdf

    return convert


def test_libreoffice_txt_pdf_round_trips(tmp_path, soffice):
    src = tmp_path / "พระราชบัญญัติ ทดสอบ.txt"
    src.write_text("\n".join(THAI_LINES) + "\n", encoding="utf-8")
    pdf = soffice(src)
    loaded = load_file(pdf, pdf.name, 10_000_000)
    assert not loaded.warnings
    text = loaded.documents[0].text
    # every character in order, vowels and tone marks included, and the spaces between words
    assert squash(text) == squash("\n".join(THAI_LINES))


def test_libreoffice_docx_pdf_round_trips_with_tables(tmp_path, soffice):
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.name = thai_font().stem
    normal.font.size = Pt(14)
    fonts = normal.element.get_or_add_rPr().find(qn("w:rFonts"))
    fonts.set(qn("w:cs"), thai_font().stem)
    d.add_heading("แนวทางการพัฒนาเมืองอัจฉริยะ", level=1)
    for line in THAI_LINES:
        d.add_paragraph(line)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "ตำบล", "งบประมาณ"
    t.cell(1, 0).text, t.cell(1, 1).text = "บ้านใหม่", "๕๐๐,๐๐๐ บาท"
    src = tmp_path / "แนวทาง.docx"
    d.save(src)
    pdf = soffice(src)
    loaded = load_file(pdf, pdf.name, 10_000_000)
    assert not loaded.warnings
    doc = loaded.documents[0]
    assert doc.title == "แนวทางการพัฒนาเมืองอัจฉริยะ"
    text = squash(doc.text)
    for line in THAI_LINES:
        assert squash(line) in text  # wrapped lines rejoined without breaking Thai words
    assert "ตำบล งบประมาณ" in text and "บ้านใหม่ ๕๐๐,๐๐๐ บาท" in text  # cells of a row stay apart
