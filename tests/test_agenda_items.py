"""Cabinet summaries split into their agenda items, news pages into their items (issue #33):
every passage is cited by the item it comes from."""

import json
import re
from pathlib import Path

import pytest

from assistant.schema import Document, Section
from assistant.text.thai import normalize
from ingest.agenda import meeting_date, split_agenda, split_items, split_news
from ingest.chunking import chunk_document
from ingest.loaders import load_file

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CABINET = SHARED / "corpus" / "thaigov" / "cabinet_items_selected.jsonl"

BODY = "คณะรัฐมนตรีมีมติเห็นชอบตามที่กระทรวงเสนอ โดยให้หน่วยงานที่เกี่ยวข้องรับความเห็นไปพิจารณาดำเนินการต่อไป " * 3


def squash(s: str) -> str:
    return " ".join(s.split())


def bare(s: str) -> str:
    return "".join(s.split())


SUMMARY = normalize(
    "14. เรื่อง ผลการพิจารณาของคณะกรรมการกลั่นกรองการใช้จ่ายเงินกู้\n"
    f"{BODY}\n"
    "สาระสำคัญของเรื่อง\n"
    "1. เรื่องนี้เป็นการเสนอคณะรัฐมนตรีพิจารณาให้ความเห็นชอบ\n"
    "2. ให้กระทรวงการคลังดำเนินการ\n"
    "ต่างประเทศ\n"
    "15.\u00a0 เรื่อง\u00a0 ร่างแถลงการณ์ร่วมอาเซียนว่าด้วยการเปลี่ยนแปลงสภาพภูมิอากาศ\n"
    f"{BODY}\n"
    "16.\u00a0 เรื่องการจัดทำความตกลงว่าด้วยบริการเดินอากาศ\n"
    f"{BODY} บริษัท CPF ส่งออกอาหารแช่แข็ง\n"
    "แต่งตั้ง"
)


def test_summary_splits_into_its_agenda_items():
    items = split_agenda(SUMMARY)
    assert items is not None and items.kind == "agenda"
    assert [it.location for it in items.items] == ["เรื่องที่ 14", "เรื่องที่ 15", "เรื่องที่ 16"]
    assert [it.title for it in items.items] == [
        "ผลการพิจารณาของคณะกรรมการกลั่นกรองการใช้จ่ายเงินกู้",
        "ร่างแถลงการณ์ร่วมอาเซียนว่าด้วยการเปลี่ยนแปลงสภาพภูมิอากาศ",
        "การจัดทำความตกลงว่าด้วยบริการเดินอากาศ",  # "เรื่องการ…": no space after เรื่อง
    ]
    first, _, last = items.items
    # the points "1. เรื่องนี้…", "2. …" inside item 14 stay in it; part labels leave the items
    assert "1. เรื่องนี้เป็นการเสนอ" in first.body and "2. ให้กระทรวงการคลัง" in first.body
    assert not first.body.rstrip().endswith("ต่างประเทศ") and not last.body.rstrip().endswith("แต่งตั้ง")
    assert "CPF" in last.body and "CPF" not in first.body


def test_sections_carry_the_item_title_into_every_chunk():
    items = split_agenda(SUMMARY)
    secs = items.sections(lambda t: " ".join(t.split()))
    doc = Document("s.txt", "ผลการพิจารณาของคณะกรรมการกลั่นกรองการใช้จ่ายเงินกู้", "s.txt", "txt", secs)
    chunks = chunk_document(doc, budget=40)
    assert len({c.location for c in chunks}) == 3
    for c in chunks:
        item = items.items[int(c.location.split()[-1]) - 14]
        assert c.title == item.title
        assert squash(c.text) in squash(f"{item.heading} {item.body}")
    cpf = [c for c in chunks if "CPF" in c.text]
    assert cpf and all(c.title == "การจัดทำความตกลงว่าด้วยบริการเดินอากาศ" for c in cpf)


def test_thai_digits_and_a_title_on_the_next_line():
    text = normalize(f"๓. เรื่อง\nร่างพระราชกฤษฎีกาจัดตั้งกรมการเปลี่ยนแปลงสภาพภูมิอากาศ\n{BODY}\n๔. เรื่อง การแต่งตั้งกรรมการ\n{BODY}")
    items = split_agenda(text)
    assert [(it.number, it.title) for it in items.items] == [
        ("๓", "ร่างพระราชกฤษฎีกาจัดตั้งกรมการเปลี่ยนแปลงสภาพภูมิอากาศ"), ("๔", "การแต่งตั้งกรรมการ")]
    assert items.items[0].location == "เรื่องที่ ๓"
    assert items.items[0].body.strip().startswith("คณะรัฐมนตรี")  # the title line is not body too


@pytest.mark.parametrize("text", [
    f"5. เรื่อง การจัดตั้งศูนย์อาเซียน\n{BODY}",  # one item: read as before
    f"5. เรื่อง การจัดตั้งศูนย์อาเซียน\n{BODY}\n7. เรื่อง การกู้เงิน\n{BODY}",  # not consecutive
    f"ข้อเสนอ\n1. เรื่องนี้เป็นการเสนอ\n2. เรื่องนี้ไม่ต้องออกกฎหมาย\n{BODY}",  # points, not items
    f"1) เรื่อง ก\n{BODY}\n2) เรื่อง ข\n{BODY}",  # "1)" numbers a list
])
def test_no_agenda_without_consecutive_item_headings(text):
    assert split_agenda(normalize(text)) is None


def test_a_numbered_list_of_matters_inside_an_item_does_not_split_it():
    text = normalize(
        f"5. เรื่อง ผลการประชุมคณะกรรมการนโยบาย\n{BODY}\nที่ประชุมพิจารณา\n"
        f"1. เรื่อง การพัฒนาเมืองอัจฉริยะ\n{BODY}\n2. เรื่อง การจัดการขยะ\n{BODY}\n"
        f"6. เรื่อง การกู้เงินจากธนาคารพัฒนาเอเชีย\n{BODY}")
    items = split_agenda(text)
    assert [it.location for it in items.items] == ["เรื่องที่ 5", "เรื่องที่ 6"]
    assert "1. เรื่อง การพัฒนาเมืองอัจฉริยะ" in items.items[0].body


def test_whole_summary_list_of_titles_is_the_opening_and_names_meeting_and_date():
    text = normalize(
        "สรุปข่าวการประชุมคณะรัฐมนตรี วันที่ 8 กันยายน 2563\n"
        "วันนี้ (8 กันยายน 2563) เวลา 09.00 น. นายกรัฐมนตรี เป็นประธานการประชุมคณะรัฐมนตรี ซึ่งสรุปสาระสำคัญดังนี้\n"
        "กฎหมาย\n1. เรื่อง ร่างพระราชบัญญัติการรักษาความมั่นคงปลอดภัยไซเบอร์\n"
        "เศรษฐกิจ - สังคม\n2. เรื่อง โครงการเมืองอัจฉริยะ\n3. เรื่อง การป้องกันอุบัติเหตุ\n"
        f"1. เรื่อง ร่างพระราชบัญญัติการรักษาความมั่นคงปลอดภัยไซเบอร์\n{BODY}\n"
        f"เศรษฐกิจ - สังคม\n2. เรื่อง โครงการเมืองอัจฉริยะ\n{BODY}\n3. เรื่อง การป้องกันอุบัติเหตุ\n{BODY}")
    items = split_agenda(text)
    assert [it.title for it in items.items] == [
        "ร่างพระราชบัญญัติการรักษาความมั่นคงปลอดภัยไซเบอร์", "โครงการเมืองอัจฉริยะ", "การป้องกันอุบัติเหตุ"]
    assert all(BODY.strip()[:30] in it.body for it in items.items)
    assert "3. เรื่อง การป้องกันอุบัติเหตุ" in items.preamble  # the list of titles
    assert items.meeting == "สรุปข่าวการประชุมคณะรัฐมนตรี วันที่ 8 กันยายน 2563"
    assert items.title("ร่างพระราชบัญญัติการรักษาความมั่นคงปลอดภัยไซเบอร์") == items.meeting
    assert items.title("คู่มือสรุปมติ") == "คู่มือสรุปมติ"  # a title no item has is kept


def test_meeting_date_is_iso_gregorian():
    assert meeting_date("สรุปข่าวการประชุมคณะรัฐมนตรี 17 พฤศจิกายน 2563") == "2020-11-17"
    assert meeting_date("", "วันนี้ (๒ ก.ย. ๒๕๖๘) เวลา 09.00 น.") == "2025-09-02"
    assert meeting_date("ไม่มีวันที่") == ""


def test_news_page_splits_by_dateline():
    text = normalize(
        "รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-ผู้ตรวจกระทรวงดิจิทัลฯ เร่งติดตามโครงการ\n\n\n"
        "วันจันทร์ที่ 14 กันยายน 2563\nผู้ตรวจกระทรวงดิจิทัลฯ เร่งติดตามโครงการ\n"
        f"{BODY}\nที่มา : https://www.thaigov.go.th/news/contents/details/1\n\n"
        "รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-เยี่ยมเยียนแปลงเกษตรกรต้นแบบ\n\n"
        "วันเสาร์ที่ 9 มีนาคม 2567\nเยี่ยมเยียนแปลงเกษตรกรต้นแบบ\n"
        f"วันศุกร์ที่ 8 มีนาคม 2567 เวลา 10.00 น. ผู้ช่วยรัฐมนตรีลงพื้นที่ {BODY}")
    items = split_news(text)
    assert items is not None and split_items(text).kind == "news"
    assert [it.title for it in items.items] == ["ผู้ตรวจกระทรวงดิจิทัลฯ เร่งติดตามโครงการ", "เยี่ยมเยียนแปลงเกษตรกรต้นแบบ"]
    assert items.items[1].location == "ข่าวที่ 2 (วันเสาร์ที่ 9 มีนาคม 2567)"
    # the second page's title line goes with its item, not with the first item's end
    assert "เยี่ยมเยียน" not in items.items[0].body and "ที่มา" in items.items[0].body
    assert items.items[1].heading.startswith("รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-เยี่ยมเยียน")
    # one page: a body line opening with the event's date is no dateline
    assert split_news(text[text.index("รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-เยี่ยม"):]) is None


def test_loaders_split_any_format(tmp_path):
    (tmp_path / "s.txt").write_text(SUMMARY, encoding="utf-8")
    doc = load_file(tmp_path / "s.txt", "s.txt").documents[0]
    assert [s.location for s in doc.sections] == ["เรื่องที่ 14", "เรื่องที่ 15", "เรื่องที่ 16"]
    assert doc.title == "เรื่องที่ 14–16: ผลการพิจารณาของคณะกรรมการกลั่นกรองการใช้จ่ายเงินกู้"
    row = {"id": "r1", "item_title": "ผลการพิจารณาของคณะกรรมการกลั่นกรองการใช้จ่ายเงินกู้",
           "meeting": "สรุปข่าวการประชุมคณะรัฐมนตรี วันที่ 8 กันยายน 2563", "text": SUMMARY}
    (tmp_path / "c.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    doc = load_file(tmp_path / "c.jsonl", "c.jsonl").documents[0]
    assert doc.doc_id == "c.jsonl#r1"  # ids unchanged: re-ingest replaces, removal finds it
    assert doc.title == row["meeting"] and doc.meta["date"] == "2020-09-08"
    assert [s.title for s in doc.sections][1] == "ร่างแถลงการณ์ร่วมอาเซียนว่าด้วยการเปลี่ยนแปลงสภาพภูมิอากาศ"
    import docx

    d = docx.Document()
    for line in SUMMARY.split("\n"):
        if re.match(r"^\d+\.", line):
            d.add_heading(line, level=2)
        else:
            d.add_paragraph(line)
    d.save(tmp_path / "s.docx")
    doc = load_file(tmp_path / "s.docx", "s.docx").documents[0]
    assert [(s.location, s.title) for s in doc.sections][2] == ("เรื่องที่ 16", "การจัดทำความตกลงว่าด้วยบริการเดินอากาศ")
    assert "\nสาระสำคัญของเรื่อง\n" in doc.sections[0].text  # a reader's paragraphs stay lines
    html = "".join(f"<h3>{ln}</h3>" if re.match(r"^\d+\.", ln) else f"<p>{ln}</p>" for ln in SUMMARY.split("\n"))
    (tmp_path / "s.html").write_text(f"<html><head><title>สรุปมติ</title></head><body>{html}</body></html>", encoding="utf-8")
    doc = load_file(tmp_path / "s.html", "s.html").documents[0]
    assert [s.location for s in doc.sections] == ["เรื่องที่ 14", "เรื่องที่ 15", "เรื่องที่ 16"]
    assert doc.title == "สรุปมติ" and doc.sections[1].title.startswith("ร่างแถลงการณ์ร่วมอาเซียน")


def test_plain_documents_are_read_as_before(tmp_path):
    text = "ประกาศ\n\nเทศบาลมีหน้าที่ต้องทำในเขตเทศบาล 1. ให้มีน้ำสะอาด\n\n2. เรื่อง ที่ต้องทำ ให้มีการกำจัดขยะ"
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    doc = load_file(tmp_path / "p.txt", "p.txt").documents[0]
    assert all(s.location.startswith("ย่อหน้า") and s.title == "" for s in doc.sections)
    assert doc.meta == {}
    chunks = chunk_document(Document("p", "ประกาศ", "p", "txt", [Section("ข้อความทั่วไปของประกาศเทศบาล", "หน้า 1")]))
    assert chunks[0].title == "ประกาศ"


def _row_items(text: str) -> list[str]:
    """The row's agenda items, found independently of the loader: every row opens with its first
    item's heading; the rows holding more continue that numbering at the start of a line."""
    first = int(re.match(r"(\d+)\.", text).group(1))
    cuts, n = [0], first + 1
    for m in re.finditer(r"^(\d+)\.\s*เรื่อง", text, re.M):
        if int(m.group(1)) == n:
            cuts.append(m.start())
            n += 1
    return [text[a:b] for a, b in zip(cuts, cuts[1:] + [len(text)])]


@pytest.mark.skipif(not CABINET.exists(), reason="../shared corpus not present")
def test_every_passage_of_the_shared_cabinet_items_cites_its_own_item():
    rows = {r["id"]: r for r in map(json.loads, CABINET.read_text(encoding="utf-8").splitlines())}
    loaded = load_file(CABINET, "cabinet_items_selected.jsonl")
    assert len(loaded.documents) == len(rows) == 72 and not loaded.row_errors
    multi = 0
    for doc in loaded.documents:
        row = rows[doc.doc_id.split("#", 1)[1]]
        # compared without spaces: a sentence cut at word boundaries may lose a space at the cut
        items = [bare(t) for t in _row_items(normalize(row["text"]))]
        multi += len(items) > 1
        for c in chunk_document(doc):
            owners = [k for k, it in enumerate(items) if bare(c.text) in it]
            assert owners, (doc.doc_id, c.text[:80])  # no passage runs across two items
            assert bare(c.title) in items[owners[0]], (doc.doc_id, c.location, c.title, c.text[:80])
            if len(items) > 1:
                number = re.match(r"\d+", items[owners[0]]).group(0)
                assert c.location == f"เรื่องที่ {number}"
        if row.get("meeting"):
            assert doc.meta["date"] == meeting_date(row["meeting"]) != ""
    # a meeting's date as the calendar has it (Buddhist year 2563 = 2020)
    assert meeting_date("สรุปข่าวการประชุมคณะรัฐมนตรี 8 กันยายน 2563") == "2020-09-08"
    assert multi == 7  # the rows holding several items (a numbered point "1. เรื่องนี้…" is not one)
    crowded = next(d for d in loaded.documents if d.doc_id.endswith("#721761090323"))
    assert crowded.title == rows["721761090323"]["meeting"]
    cpf = [c for c in chunk_document(crowded) if "CPF" in c.text]
    assert cpf and {(c.title, c.location) for c in cpf} == {
        ("รายงานผลการเดินทางเยือนสหรัฐอเมริกาของรัฐมนตรีว่าการกระทรวงพาณิชย์", "เรื่องที่ 19")}


def test_pdf_items_run_across_pages(tmp_path):
    from tests.test_thai_pdf import _pdf

    # Headings set apart by space, as a summary prints them: the PDF reader joins wrapped lines
    # into paragraphs, and a heading must start one.
    body = "\nคณะรัฐมนตรีมีมติเห็นชอบตามที่เสนอ\nให้หน่วยงานที่เกี่ยวข้องดำเนินการ\n"
    path = _pdf(tmp_path / "s.pdf", [
        f"14. เรื่อง แผนป้องกันอุบัติเหตุ\n{body}\n15. เรื่อง โครงการเมืองอัจฉริยะ\n{body}",
        f"{body}บริษัทส่งออกอาหารแช่แข็ง\n\n16. เรื่อง การประกันภัยฟรี\n{body}",
    ])
    doc = load_file(path, "s.pdf").documents[0]
    assert [(s.location, s.title) for s in doc.sections] == [
        ("เรื่องที่ 14", "แผนป้องกันอุบัติเหตุ"), ("เรื่องที่ 15", "โครงการเมืองอัจฉริยะ"), ("เรื่องที่ 16", "การประกันภัยฟรี")]
    assert "อาหารแช่แข็ง" in doc.sections[1].text  # page 2's start belongs to item 15
