"""Shared fixtures: the real model and a real on-disk index of the seed + a slice of ../shared/corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_DIR = ROOT / "corpus" / "documents"
SEED_ID = "dla-jica-depa-smart-city-egm-2024-04-30.th.txt"


def pytest_collection_modifyitems(config, items):
    # `make test` hands whole files to two workers in this order: the slow ones (real corpus, real
    # model) first, so the quick unit files fill the end rather than one slow file running alone.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def shared_corpus() -> Path:
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip(f"{path} not found: the shared corpus sits beside the repository")
    return path


@pytest.fixture(scope="session")
def settings_factory():
    from assistant.config import load_settings

    return lambda index_dir, **kw: load_settings(index_dir=Path(index_dir), **kw)


@pytest.fixture(scope="session")
def slice_dir(tmp_path_factory) -> Path:
    """A small slice of the shared corpus: two Acts and five news rows."""
    src = shared_corpus()
    root = tmp_path_factory.mktemp("slice")
    (root / "thai_law").mkdir()
    for sysid in ("523968", "635171"):  # decentralisation plan Act, Older Persons Act
        shutil.copy(src / "thai_law" / f"{sysid}.txt", root / "thai_law")
    rows = (src / "thaigov" / "thaigov_news_selected.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (root / "thaigov").mkdir()
    (root / "thaigov" / "news.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, slice_dir, settings_factory):
    """(Assistant, ingest report) over seed + slice, built once per session with the real model."""
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("index")
    a = Assistant(settings_factory(index_dir))
    report = ingest([SEED_DIR, slice_dir], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok, report.failures
    return a, report


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
