"""Servers the service tests start for themselves on loopback: PostgreSQL (a folder of its own
under /tmp) and `chroma run` shards, each on a free port, always stopped."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


def start_postgres() -> tuple[Path, str]:
    """(its folder, the catalog URL); skipped where PostgreSQL is not installed."""
    from assistant.store import pg_local

    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))  # under /tmp: as root, user postgres must reach it
    try:
        return folder, pg_local.up(folder)
    except pg_local.PgUnavailable as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(str(exc))


def stop_postgres(folder: Path) -> None:
    from assistant.store import pg_local

    pg_local.down(folder)
    shutil.rmtree(folder, ignore_errors=True)


def start_chroma_shard(path: Path, port: int | None = None):
    """(process, URL) of a `chroma run` on loopback."""
    from assistant.store.pg_local import free_port
    from assistant.store.services import chroma_binary, start_chroma

    if not chroma_binary().exists():
        pytest.skip("the chromadb wheel's `chroma` command is not installed")
    port = port or free_port()
    return start_chroma(path, port, timeout=120), f"http://127.0.0.1:{port}"


def ingest_into(settings, paths):
    """An Assistant over `settings` after ingesting `paths` with the real model."""
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    a = Assistant(settings)
    report = ingest(paths, a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok, report.failures
    return a
