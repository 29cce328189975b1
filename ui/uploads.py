"""Uploaded files: safe names, type and size limits, a folder they cannot leave."""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.files import sha256_file
from ingest.loaders import SUPPORTED

MAX_NAME = 120  # characters, extension included
# Letters and digits of any script (Thai vowels and tone marks are marks, kept explicitly), and - _ .
_UNSAFE = re.compile(r"[^\w\u0E00-\u0E7F.\-]+")
_DOTS = re.compile(r"\.{2,}")
_SEPS = re.compile(r"[_\-]{2,}")


class UploadError(ValueError):
    """A file refused before ingestion; the message is Thai, shown to the officer."""


def safe_name(original: str) -> str:
    """A file name that is safe to create in the uploads folder: no folders, no `..`, no leading
    dots, only letters (Thai kept), digits, `-`, `_` and one extension; never empty."""
    name = unicodedata.normalize("NFC", str(original or ""))
    name = name.replace("\x00", "")
    name = re.split(r"[/\\]", name)[-1]  # strip directories, POSIX and Windows
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control/format chars
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:10]
    stem = _UNSAFE.sub("_", stem.strip())
    stem = _DOTS.sub(".", stem)
    stem = _SEPS.sub("_", stem).strip("._- ")
    if not stem:
        stem = "upload"
    room = MAX_NAME - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip("._- ") or "upload"
    return f"{stem}.{ext}" if ext else stem


def check_file(name: str, size: int, max_mb: int) -> None:
    suffix = Path(safe_name(name)).suffix.lower()
    if suffix not in SUPPORTED:
        allowed = ", ".join(sorted(s.lstrip(".") for s in SUPPORTED))
        raise UploadError(f"ไม่รองรับไฟล์ประเภท {suffix or '(ไม่มีนามสกุล)'} (รองรับ: {allowed})")
    if size <= 0:
        raise UploadError("ไฟล์ว่างเปล่า")
    if size > max_mb * 1_000_000:
        raise UploadError(f"ไฟล์มีขนาด {size / 1e6:.1f} MB เกินขีดจำกัด {max_mb} MB")




@dataclass
class Stored:
    original: str
    path: Path
    same_as_before: bool  # an identical file of that name was already stored


class UploadFolder:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.root = self.root.resolve()

    def inside(self, path: Path) -> bool:
        try:
            return path.resolve().parent == self.root
        except OSError:
            return False

    def store(self, src: Path, original_name: str, taken: set[str] | frozenset[str] = frozenset()) -> Stored:
        """Copy `src` in under a safe, unused name. `taken`: names that must not be reused (the doc
        ids of documents from elsewhere in the index). A file identical to one already stored under
        the same name reuses it; a different file gets a numbered name (never overwrites)."""
        base = safe_name(original_name)
        stem, ext = (base.rsplit(".", 1) + [""])[:2] if "." in base else (base, "")
        digest = sha256_file(Path(src))
        for i in range(1, 10_000):
            name = base if i == 1 else (f"{stem}-{i}.{ext}" if ext else f"{stem}-{i}")
            target = self.root / name
            if not self.inside(target):  # belt and braces: safe_name already prevents this
                raise UploadError("ชื่อไฟล์ไม่ปลอดภัย")
            if name in taken:
                continue
            if target.exists():
                if target.is_file() and sha256_file(target) == digest:
                    return Stored(original_name, target, True)
                continue
            tmp = self.root / f".{name}.part"
            shutil.copyfile(src, tmp)
            tmp.replace(target)
            return Stored(original_name, target, False)
        raise UploadError("มีไฟล์ชื่อนี้มากเกินไป")
