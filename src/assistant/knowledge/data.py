"""Where the shipped knowledge files are: `corpus/*.yaml`, installed as the package data
`assistant.corpus`, so a non-editable install finds them too. Settings may point elsewhere."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(name: str) -> Path:
    """A file shipped in `corpus/` (glossary.yaml, guidelines.yaml)."""
    try:
        return Path(str(files("assistant.corpus").joinpath(name)))
    except ModuleNotFoundError:
        # An editable install maps only the top-level packages: read the source tree's corpus/.
        return Path(__file__).resolve().parents[3] / "corpus" / name
