"""Does an index know it is damaged? The catalog's own state (SQLite `quick_check`), its backup
from the last good commit, and one line that says what is wrong and what to run.

Read-only here: nothing in this module changes an index except `backup` (writes the copy) and
`restore` (puts the copy back), both called by their owners (Index, `doctor --fix`)."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

CATALOG = "catalog.sqlite"
BACKUP = "catalog.backup.sqlite"


class IndexDamaged(RuntimeError):
    """An index that must not answer: `problem` says what is wrong, `fix` what to run (quoted).
    str() is the one line the CLI prints; `thai` is what the UI and the API show."""

    def __init__(self, root: Path | str, problem: str, fix: str, part: str = "catalog"):
        self.root = str(root)
        self.problem = problem
        self.fix = fix
        self.part = part  # catalog | vectors | database (a catalog database out of reach): which store
        super().__init__(f"{root}: index damaged: {problem}; run {fix}")

    @property
    def thai(self) -> str:
        return (
            "ดัชนีเอกสารเสียหาย ระบบจึงยังไม่ตอบคำถามเพื่อไม่ให้ได้คำตอบจากข้อมูลที่ไม่ครบ "
            f"กรุณาแจ้งผู้ดูแลระบบให้รันคำสั่ง {self.fix} ({self.problem})"
        )


class CatalogUnavailable(IndexDamaged):
    """A catalog database that cannot be reached (stopped, or the network): nothing is damaged,
    but nothing may be answered either."""

    def __init__(self, root: Path | str, problem: str, fix: str, part: str = "database"):
        super().__init__(root, problem, fix, part)
        self.args = (f"{root}: catalog unavailable: {problem}; {fix}",)

    @property
    def thai(self) -> str:
        return ("ติดต่อฐานข้อมูลแคตตาล็อกเอกสารไม่ได้ ระบบจึงยังไม่ตอบคำถาม "
                f"กรุณาแจ้งผู้ดูแลระบบ ({self.problem}; {self.fix})")


def catalog_unreadable(root: Path | str, kind: str, where: str, exc: BaseException) -> IndexDamaged:
    """What to raise when a read of the catalog (`kind` sqlite or postgresql, at `where`) failed
    with `exc`: a file is damaged, a database is unreachable."""
    if kind == "sqlite":
        return IndexDamaged(root, f"the catalog cannot be read ({exc})", f"`assistant doctor --index {root}`")
    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return CatalogUnavailable(root, f"the catalog database {where} cannot be reached ({reason})",
                              "start it (`make services-up` for the developer's one) or check --catalog / ASSISTANT_CATALOG")


def database_errors() -> tuple[type[BaseException], ...]:
    """What a catalog database out of reach raises (psycopg's connection failures; none before
    psycopg is loaded). A refused statement is a bug, not an outage, and is not among them."""
    import sys

    pg = sys.modules.get("psycopg")
    return (pg.OperationalError,) if pg else ()


def catalog_errors() -> tuple[type[BaseException], ...]:
    """What a damaged catalog file or a catalog database out of reach raises."""
    return (sqlite3.DatabaseError, *database_errors())


def catalog_unreadable_for(settings, exc: BaseException) -> IndexDamaged:
    """catalog_unreadable for the catalog that `settings` name, without opening the index again."""
    if not settings.catalog:
        return catalog_unreadable(settings.index_dir, "sqlite", str(settings.index_dir / CATALOG), exc)
    from assistant.store.catalog_pg import redact

    return catalog_unreadable(settings.index_dir, "postgresql", redact(settings.catalog), exc)


@dataclass
class CatalogState:
    """What a catalog file holds, read without changing it. `state`: ok | missing | empty_file |
    damaged (SQLite refuses it or quick_check fails) | not_catalog (a database without our tables)."""

    path: Path
    state: str
    detail: str = ""
    generation: int = 0
    documents: int = 0
    chunks: int = 0
    sources: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.state == "ok"


def inspect_catalog(path: Path, quick_check: bool = True) -> CatalogState:
    import json

    path = Path(path)
    if not path.exists():
        return CatalogState(path, "missing")
    if path.stat().st_size == 0:
        return CatalogState(path, "empty_file", "the file is 0 bytes")
    try:
        # Read-only: a damaged catalog is never written to (no schema, no WAL) while it is judged.
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    except sqlite3.Error as exc:
        return CatalogState(path, "damaged", str(exc))
    try:
        if quick_check:
            rows = [r[0] for r in db.execute("PRAGMA quick_check(5)").fetchall()]
            if rows != ["ok"]:
                return CatalogState(path, "damaged", "; ".join(rows)[:200], sources=_salvage_sources(db))
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "documents", "chunks"} <= tables:
            return CatalogState(path, "not_catalog", "no catalog tables")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        try:
            sources = json.loads(meta.get("sources", "[]"))
        except ValueError:
            sources = []
        return CatalogState(
            path, "ok", "",
            int(meta.get("generation", "0") or 0),
            db.execute("SELECT count(*) FROM documents").fetchone()[0],
            db.execute("SELECT count(*) FROM chunks").fetchone()[0],
            [str(s) for s in sources if isinstance(s, str)],
        )
    except sqlite3.DatabaseError as exc:
        return CatalogState(path, "damaged", str(exc), sources=_salvage_sources(db))
    finally:
        db.close()


def _salvage_sources(db: sqlite3.Connection) -> list[str]:
    """The recorded sources of a damaged catalog, when the page holding them still reads (the
    meta table is created first, so it usually sits at the start of the file)."""
    import json

    try:
        row = db.execute("SELECT value FROM meta WHERE key='sources'").fetchone()
        return [str(x) for x in json.loads(row[0]) if isinstance(x, str)] if row else []
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return []


def catalog_problem(root: Path, cat: CatalogState, vector_count) -> IndexDamaged | None:
    """The catalog-level damage of an index folder, or None. A catalog that is missing, empty or
    unreadable while vectors or a backup remain is *lost*, never a fresh index: treating it as
    fresh is what made `doctor --fix` delete every vector. `vector_count()` is asked only when
    the catalog holds nothing."""
    root = Path(root)
    backup = inspect_catalog(root / BACKUP, quick_check=False)
    restore = (
        f"`assistant doctor --fix --index {root}` (restores the catalog of generation {backup.generation}, "
        f"{backup.documents} documents, from {BACKUP}) or `assistant rebuild --index {root}`"
        if backup.usable else f"`assistant rebuild --index {root}` (re-ingests the recorded sources)"
    )
    if cat.state in ("damaged", "not_catalog"):
        return IndexDamaged(root, f"the catalog {cat.path.name} is damaged ({cat.detail})", restore)
    # A readable catalog without documents is lost only if its backup had some (`remove` keeps
    # the backup current); with vectors alone it may be a first ingest killed before its first
    # commit, which the same ingest finishes.
    backed = backup.usable and backup.chunks > 0
    lost = (cat.state in ("missing", "empty_file") and (backed or vector_count() > 0)) or (
        cat.state == "ok" and cat.chunks == 0 and backed)
    if lost:
        what = {"missing": "is missing", "empty_file": "is empty (0 bytes)"}.get(cat.state, "holds no documents")
        return IndexDamaged(root, f"the catalog {what} but the index holds vectors or a backup: the catalog is lost", restore)
    return None


def backup(db: sqlite3.Connection, root: Path) -> Path:
    """Copy a catalog with SQLite's online backup API (a consistent snapshot while readers run)
    to <root>/catalog.backup.sqlite, atomically replacing the previous copy."""
    root = Path(root)
    tmp = root / f".{BACKUP}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    dst = sqlite3.connect(str(tmp))
    try:
        db.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
    os.replace(tmp, root / BACKUP)
    return root / BACKUP


def set_aside(path: Path) -> Path | None:
    """Move a damaged catalog (and its WAL files) out of the way, kept for inspection."""
    if not path.exists():
        for ext in ("-wal", "-shm"):
            Path(str(path) + ext).unlink(missing_ok=True)
        return None
    target = path.with_name(f"catalog.damaged-{time.strftime('%Y%m%d-%H%M%S')}.sqlite")
    os.replace(path, target)
    for ext in ("-wal", "-shm"):
        p = Path(str(path) + ext)
        if p.exists():
            os.replace(p, Path(str(target) + ext))
    return target


def restore(root: Path) -> CatalogState:
    """Put the backup back as the catalog (the damaged one is set aside, not deleted)."""
    root = Path(root)
    src = sqlite3.connect(f"file:{root / BACKUP}?mode=ro", uri=True)
    tmp = root / f".{CATALOG}.restore.tmp"
    tmp.unlink(missing_ok=True)
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    set_aside(root / CATALOG)
    os.replace(tmp, root / CATALOG)
    return inspect_catalog(root / CATALOG)
