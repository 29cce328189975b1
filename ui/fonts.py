"""A Thai font served by the app itself (never Google Fonts): Debian's fonts-thai-tlwg, copied at
start into a cache folder that is the only folder the app exposes for fonts."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

FAMILY = "TPA Thai"
# (regular, bold) in order of preference; all from fonts-thai-tlwg (TTF) or fonts-thai-tlwg-otf.
CANDIDATES = [("Waree", "Waree-Bold"), ("Loma", "Loma-Bold"), ("Garuda", "Garuda-Bold"), ("Sawasdee", "Sawasdee-Bold")]
SEARCH_DIRS = [
    Path("/usr/share/fonts/truetype/tlwg"),
    Path("/usr/share/fonts/opentype/tlwg"),
    Path("/usr/share/fonts/truetype/thai"),
    Path("/usr/local/share/fonts"),
]
STACK = f'"{FAMILY}", "Waree", "Loma", "Garuda", "Noto Sans Thai", "Sarabun", "Tahoma", sans-serif'


@dataclass
class ThaiFont:
    folder: Path | None  # what the app must allow serving; None when no font file was found
    css: str  # @font-face rules (empty when no font file was found)
    files: list[Path]


def _find(name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        for ext in (".ttf", ".otf"):
            p = d / f"{name}{ext}"
            if p.is_file():
                return p
    return None


def prepare(cache_dir: Path, dirs: list[Path] | None = None) -> ThaiFont:
    dirs = SEARCH_DIRS if dirs is None else dirs
    for regular, bold in CANDIDATES:
        reg = _find(regular, dirs)
        if reg is None:
            continue
        files = [(reg, 400)]
        b = _find(bold, dirs)
        if b is not None:
            files.append((b, 700))
        cache_dir.mkdir(parents=True, exist_ok=True)
        out, rules = [], []
        for src, weight in files:
            dst = cache_dir / src.name
            if not dst.exists() or dst.stat().st_size != src.stat().st_size:
                shutil.copyfile(src, dst)
            out.append(dst)
            fmt = "opentype" if dst.suffix == ".otf" else "truetype"
            rules.append(
                "@font-face { font-family: '%s'; src: url('gradio_api/file=%s') format('%s'); "
                "font-weight: %d; font-style: normal; font-display: swap; }" % (FAMILY, dst.resolve().as_posix(), fmt, weight)
            )
        return ThaiFont(cache_dir.resolve(), "\n".join(rules), out)
    return ThaiFont(None, "", [])
