"""Thai dates as the documents write them ("30 เมษายน 2567", "๒ ก.ย. ๒๕๖๘"): the month names, a
pattern for a day-month-year date, and the conversions between a Buddhist-era date and ISO 8601.
One place for what ingest (a meeting's date), the answer features (a date answers เมื่อไร) and the
UI (a card's date) read."""

from __future__ import annotations

import re

from assistant.text.numbers import fold_digits

MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
          "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTH = "|".join(re.escape(m) for m in MONTHS + MONTHS_SHORT)  # a regex alternation of every month's name
DATE = re.compile(rf"([0-9๐-๙]{{1,2}})\s*({MONTH})\s*(?:พ\.\s?ศ\.\s*)?([0-9๐-๙]{{4}})")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
BUDDHIST_ERA = 543


def iso_date(*texts: str) -> str:
    """The first day-month-year date in these texts as ISO 8601 (a Buddhist year converted), else ""."""
    for t in texts:
        m = DATE.search(t or "")
        if not m:
            continue
        day, month, year = int(fold_digits(m.group(1))), m.group(2), int(fold_digits(m.group(3)))
        n = (MONTHS.index(month) if month in MONTHS else MONTHS_SHORT.index(month)) + 1
        if year > 2400:
            year -= BUDDHIST_ERA
        if 1 <= day <= 31:
            return f"{year:04d}-{n:02d}-{day:02d}"
    return ""


def thai_date(iso: str) -> str:
    """"2020-09-08" → "8 กันยายน 2563" (Buddhist year, as the documents write it)."""
    m = _ISO.match(str(iso or ""))
    if not m or not 1 <= int(m.group(2)) <= 12:
        return ""
    return f"{int(m.group(3))} {MONTHS[int(m.group(2)) - 1]} {int(m.group(1)) + BUDDHIST_ERA}"
