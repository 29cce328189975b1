"""Per-file budgets: what one file may cost before it is skipped with a named reason.

Checked before the work where the file says what it will cost (a zip's directory, the file
size) and during the work where it does not (nesting depth, line length, wall clock). The
wall clock is cooperative: readers and the chunker call `checkpoint()` in their loops, so a
file is stopped between steps; a single step is bounded by the other budgets."""

from __future__ import annotations

import io
import time
import zipfile
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from ingest.errors import LoadError

_D = Settings  # the defaults live in config.py; Limits() without settings uses them


@dataclass(frozen=True)
class Limits:
    max_bytes: int = _D.max_file_mb * 1_000_000
    max_unzipped_bytes: int = _D.max_unzipped_mb * 1_000_000
    max_zip_members: int = _D.max_zip_members
    max_html_depth: int = _D.max_html_depth
    max_line_chars: int = _D.max_line_chars
    file_seconds: float = _D.file_seconds

    @classmethod
    def from_settings(cls, s) -> "Limits":
        return cls(
            max_bytes=s.max_file_mb * 1_000_000, max_unzipped_bytes=s.max_unzipped_mb * 1_000_000,
            max_zip_members=s.max_zip_members, max_html_depth=s.max_html_depth,
            max_line_chars=s.max_line_chars, file_seconds=s.file_seconds,
        )


class _Clock:
    def __init__(self, path: str, seconds: float):
        self.path = path
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self, stage: str) -> None:
        if time.monotonic() > self.deadline:
            raise LoadError(self.path, "too_slow", limit=self.seconds, stage=stage)


_clock: ContextVar[_Clock | None] = ContextVar("ingest_file_clock", default=None)


@contextmanager
def file_clock(path: Path | str, seconds: float):
    """The wall-clock budget of one file, for everything this thread does inside the block."""
    token = _clock.set(_Clock(str(path), seconds))
    try:
        yield
    finally:
        _clock.reset(token)


def checkpoint(stage: str) -> None:
    """Raise LoadError(too_slow) when the current file is over its wall-clock budget (no-op
    outside `file_clock`, so the chunker and readers work unchanged elsewhere)."""
    clock = _clock.get()
    if clock is not None:
        clock.check(stage)


ZIP_MAGIC = b"PK\x03\x04"


def check_zip(path: Path | str, data: bytes, limits: Limits, kind: str = "zip") -> None:
    """Judge a zip container from its central directory before anything is unpacked: the total
    of its members' declared sizes and their number. Python's zipfile never inflates a member
    past its declared size, so the declared total bounds what a reader can unpack."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # no directory to judge: the format's reader names the damage in its own terms
    if len(infos) > limits.max_zip_members:
        raise LoadError(path, "zip_too_many", kind=kind, members=len(infos), limit=limits.max_zip_members)
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise LoadError(path, "zip_too_large", kind=kind, size_mb=total / 1e6, limit_mb=limits.max_unzipped_bytes / 1e6)


def html_depth(root) -> int:
    """Deepest element nesting under a BeautifulSoup node, without recursion (a page of 50,000
    nested <div> must not overflow the stack or cost the square of its depth)."""
    deepest = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in getattr(node, "contents", ()):
            if getattr(child, "contents", None) is not None:
                stack.append((child, depth + 1))
    return deepest


def windows(line: str, size: int) -> list[str]:
    """A line longer than `size` cut into pieces of at most `size` characters, each ending after
    the last space of its window when there is one (a run without spaces is cut at the window)."""
    if len(line) <= size:
        return [line]
    out, start = [], 0
    while start < len(line):
        end = min(start + size, len(line))
        if end < len(line):
            space = line.rfind(" ", start + size // 2, end)
            if space > start:
                end = space + 1
        out.append(line[start:end])
        start = end
    return out
