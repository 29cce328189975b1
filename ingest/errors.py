"""Why a file was not ingested: a reason code with an English and a Thai message.

The CLI and the JSON report print the English message; the UI shows the Thai one. Both come
from one table, so the UI never has to recognise English text."""

from __future__ import annotations

from pathlib import Path

# code: (English template, Thai template). Templates take the keyword arguments of LoadError.
MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("empty file", "ไฟล์ว่างเปล่า"),
    "binary": ("binary data, not text{why}", "ไฟล์ไม่ใช่ข้อความ (ข้อมูลไบนารี)"),
    "nul_byte": (
        "NUL byte at offset {offset} (text files never hold one; a binary file, or text saved by a broken program)",
        "พบอักขระ NUL ที่ตำแหน่ง {offset} ในไฟล์ข้อความ (ไฟล์เสียหรือไม่ใช่ไฟล์ข้อความ)",
    ),
    "mixed_encoding": (
        "mixed encodings: {utf8} line(s) in UTF-8 and {tis} in TIS-620 (first at line {first}); save the file in one encoding (UTF-8)",
        "ไฟล์ใช้รหัสอักขระปนกัน: UTF-8 {utf8} บรรทัด และ TIS-620 {tis} บรรทัด (เริ่มที่บรรทัด {first}) กรุณาบันทึกใหม่เป็น UTF-8",
    ),
    "bad_utf8_bom": ("not valid UTF-8 text (despite its UTF-8 byte-order mark)", "ไฟล์ระบุว่าเป็น UTF-8 แต่ถอดรหัสไม่ได้"),
    "bad_utf16": ("not valid UTF-16 text (despite its byte-order mark)", "ไฟล์ระบุว่าเป็น UTF-16 แต่ถอดรหัสไม่ได้"),
    "not_thai": ("not valid UTF-8, and not Thai in TIS-620/cp874", "ไม่ใช่ข้อความ UTF-8 และไม่ใช่ภาษาไทยแบบ TIS-620"),
    "pdf_corrupt": ("corrupt or unreadable PDF{why}", "ไฟล์ PDF เสียหรืออ่านไม่ได้"),
    "pdf_truncated": ("truncated PDF (the file ends before its %%EOF marker; copy it again)", "ไฟล์ PDF ไม่ครบ (ถูกตัดท้าย) กรุณาคัดลอกไฟล์ใหม่"),
    "pdf_encrypted": ("encrypted PDF (password required)", "ไฟล์ PDF ถูกเข้ารหัส ต้องใช้รหัสผ่าน"),
    "pdf_no_text": ("no text; needs OCR ({why})", "ไม่มีข้อความในไฟล์ (เป็นภาพสแกน ต้องทำ OCR ก่อน)"),
    "docx_unreadable": ("not a readable DOCX file ({why})", "ไฟล์ DOCX เสียหรืออ่านไม่ได้"),
    "jsonl_no_rows": ("no valid rows ({why})", "ไม่มีแถว JSON ที่ใช้ได้"),
    "unsupported": ("unsupported file type {suffix}; supported: {supported}", "ไม่รองรับไฟล์ประเภท {suffix}"),
    "too_large": ("file is {size_mb:.0f} MB, over the {limit_mb:.0f} MB limit", "ไฟล์มีขนาด {size_mb:.0f} MB เกินขีดจำกัด {limit_mb:.0f} MB"),
    "zip_too_large": (
        "{kind} expands to {size_mb:.0f} MB, over the {limit_mb:.0f} MB limit",
        "ไฟล์ {kind} เมื่อแตกไฟล์มีขนาด {size_mb:.0f} MB เกินขีดจำกัด {limit_mb:.0f} MB (อาจเป็น zip bomb)",
    ),
    "zip_too_many": (
        "{kind} holds {members} files, over the {limit} limit",
        "ไฟล์ {kind} มีไฟล์ภายใน {members} ไฟล์ เกินขีดจำกัด {limit} ไฟล์",
    ),
    "html_too_deep": (
        "HTML nests {depth} levels deep, over the {limit} limit",
        "HTML ซ้อนกันลึก {depth} ชั้น เกินขีดจำกัด {limit} ชั้น",
    ),
    "too_slow": (
        "reading took over the {limit:.0f} s budget per file (stopped at: {stage})",
        "ใช้เวลาอ่านไฟล์เกิน {limit:.0f} วินาทีที่กำหนดต่อไฟล์ จึงข้ามไฟล์นี้",
    ),
    "link_outside": (
        "symbolic link to {target}, outside the folder: skipped",
        "เป็นลิงก์ไปยังไฟล์นอกโฟลเดอร์ที่กำหนด จึงข้ามไฟล์นี้",
    ),
    "link_folder": (
        "symbolic link to the folder {target}: folders are not followed through links",
        "เป็นลิงก์ไปยังโฟลเดอร์อื่น ระบบไม่ติดตามลิงก์โฟลเดอร์",
    ),
    "not_found": ("no such file or folder", "ไม่พบไฟล์หรือโฟลเดอร์"),
    "unreadable": ("cannot read ({why})", "อ่านไฟล์ไม่ได้"),
    "no_text": ("no text found", "ไม่พบข้อความในไฟล์"),
    "nothing_to_index": ("{doc_id}: no text to index", "ไม่พบข้อความที่นำเข้าได้"),
    "chunk_failed": ("{doc_id}: cannot be chunked ({why})", "แบ่งข้อความไม่สำเร็จ"),
    "not_indexed": ("{doc_id}: not indexed: {why}", "บันทึกลงดัชนีไม่สำเร็จ"),
    # Rows of a JSONL file
    "row_json": ("invalid JSON ({why})", "ไม่ใช่ JSON ที่ถูกต้อง"),
    "row_not_object": ("row is not a JSON object", "แถวนี้ไม่ใช่ JSON object"),
    "row_no_text": ("missing or empty 'text'", "ไม่มีช่อง 'text' หรือว่างเปล่า"),
    "row_no_id": ("missing 'id'", "ไม่มีช่อง 'id'"),
    "row_duplicate": ("duplicate id {rid!r}", "รหัส {rid!r} ซ้ำ"),
}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def message(code: str, **params) -> tuple[str, str]:
    """(English, Thai) for a reason code; unknown codes fall back to the code itself."""
    en, th = MESSAGES.get(code, (code, code))
    values = _Blank(params)
    return en.format_map(values), th.format_map(values)


class LoadError(Exception):
    """A file that cannot be ingested. `code` names the reason (a key of MESSAGES), `reason`
    is the English message, `thai` the Thai one, `path` the file."""

    def __init__(self, path: Path | str, code: str, **params):
        self.path = str(path)
        self.code = code
        self.params = params
        self.reason, self.thai = message(code, **params)
        super().__init__(f"{path}: {self.reason}")
