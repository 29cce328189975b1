"""The ingestion stage: files → Documents → Chunks → vectors + catalog + keyword index."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant.knowledge.collections import check_role, role_for_path
from assistant.schema import Chunk, Document
from assistant.store.index import Index
from ingest.budgets import Limits, file_clock
from ingest.chunking import chunk_document
from ingest.errors import message
from ingest.loaders import LoadError, RowError, discover, load_file

# Bumped when loaders or the chunker cut documents differently: documents read by an older version
# are re-chunked on the next ingest even though their files did not change (2: Acts split into the
# principal Act, amending Acts, rationale notes and footnotes; chapter titles in locations; 3: an
# amending Act's heading must carry its Gazette footnote; 4: cabinet summaries split into their
# agenda items and news pages by dateline, each passage titled by its item).
PARSER_VERSION = "4"


@dataclass
class Failure:
    """A file (or a document of it) not indexed: `reason` in English, `thai` for the UI, `code`
    the reason's key in ingest.errors.MESSAGES."""

    path: str
    reason: str
    code: str = ""
    thai: str = ""

    @classmethod
    def of(cls, path, code: str, **params) -> "Failure":
        en, th = message(code, **params)
        return cls(str(path), en, code, th)

    @classmethod
    def from_error(cls, err: LoadError) -> "Failure":
        return cls(err.path, err.reason, err.code, err.thai)


@dataclass
class IngestReport:
    files: int = 0
    documents: int = 0
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_embedded: int = 0
    failures: list[Failure] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=lambda: {"load": 0.0, "chunk": 0.0, "embed": 0.0, "write": 0.0})
    nodes: dict = field(default_factory=dict)  # with --ray: chunks embedded per node address

    @property
    def ok(self) -> bool:
        return not self.failures and not self.row_errors


Progress = Callable[[str, int, int], None]  # (stage, done, total): stages "files", "embed", "vectors", "commit"

EMBED_SLICE = 16  # texts per embedding call: progress moves, and searches in the same process get the model between calls


def ingest(
    paths: list[Path],
    index: Index,
    embed: Callable[[list[str]], "object"],
    count_tokens: Callable[[str], int],
    chunk_tokens: int = 128,
    overlap: int = 1,
    max_bytes: int | None = None,
    batch_chunks: int = 256,
    progress: Progress | None = None,
    limits: Limits | None = None,
    collection: str | None = None,
) -> IngestReport:
    """Ingest files and folders. Unreadable files, and files over a budget (`limits`: size,
    unzipped size, HTML depth, line length, seconds), are reported and skipped; each batch of
    documents is written atomically (about `batch_chunks` chunks), so a failure or a kill never
    harms what was indexed, and a re-run picks up where a killed run stopped. Folders are
    walked without following links out of them. `collection`: the role of every document read
    (guidance | related); None → by folder (knowledge/collections.py)."""
    limits = resolve_limits(limits, max_bytes)
    report, files = start(paths, index, collection)
    writer = BatchWriter(index, report, embed, batch_chunks, progress)
    for i, (path, doc_id) in enumerate(files, 1):
        try:
            # One wall-clock budget for reading the file and chunking its documents.
            with file_clock(path, limits.file_seconds):
                prepared = prepare(path, doc_id, index.needs_update, limits, chunk_tokens, count_tokens, overlap, report,
                                   collection or role_for_path(path))
        except LoadError as exc:
            report.failures.append(Failure.from_error(exc))
            prepared = []
        for doc, chunks in prepared:
            writer.add(doc, chunks)
        writer.tell("files", i, len(files))
    return writer.finish()


def resolve_limits(limits: Limits | None, max_bytes: int | None) -> Limits:
    limits = limits or Limits()
    if max_bytes is not None:
        limits = Limits(**{**limits.__dict__, "max_bytes": max_bytes})
    return limits


def start(paths: list[Path], index: Index, collection: str | None) -> tuple[IngestReport, list[tuple[Path, str]]]:
    """The report and the files to read: missing paths and links out of a folder are reported
    failures; the sources are recorded for `assistant rebuild`."""
    report = IngestReport()
    if collection is not None:
        check_role(collection)
    for p in paths:
        if not Path(p).exists():
            report.failures.append(Failure.of(p, "not_found"))
    present = [Path(p) for p in paths if Path(p).exists()]
    if present:
        index.record_sources(present)  # what `assistant rebuild` re-reads if the catalog is lost
    skipped = lambda err: report.failures.append(Failure.from_error(err))  # noqa: E731
    files = list(discover(present, on_skip=skipped, on_note=report.warnings.append))
    report.files = len(files)
    return report, files


def embed_in_slices(embed, texts: list[str], on_slice=None):
    """`embed(texts)` in slices of EMBED_SLICE texts of similar length (as one big call would sort
    them, so slicing costs no padding), the vectors in the texts' order; `on_slice(done)` after each."""
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts = []
    for i in range(0, len(order), EMBED_SLICE):
        parts.append(np.asarray(embed([texts[j] for j in order[i : i + EMBED_SLICE]])))
        if on_slice:
            on_slice(min(i + EMBED_SLICE, len(texts)))
    if not parts:
        return embed([])
    vecs = np.concatenate(parts)
    out = np.empty_like(vecs)
    out[order] = vecs
    return out


class BatchWriter:
    """Documents and their chunks gathered into batches of about `batch_chunks` chunks, each
    written in one `Index.write` (vectors first, then one catalog transaction); a batch that
    fails is reported per document and leaves the index as it was."""

    def __init__(self, index: Index, report: IngestReport, embed, batch_chunks: int = 256, progress: Progress | None = None,
                 after_flush: Callable[[], None] | None = None):
        self.index, self.report, self.embed, self.batch_chunks = index, report, embed, batch_chunks
        self.after_flush = after_flush or (lambda: None)
        self.tell = progress or (lambda stage, done, total: None)
        self.batch: list[tuple[Document, list[Chunk]]] = []
        self.pending = 0

    def add(self, doc: Document, chunks: list[Chunk]) -> None:
        self.batch.append((doc, chunks))
        self.pending += len(chunks)
        if self.pending >= self.batch_chunks:
            self.flush()

    def timed_embed(self, texts):
        t = time.perf_counter()
        try:
            return embed_in_slices(self.embed, texts, lambda done: self.tell("embed", done, len(texts)))
        finally:
            self.report.seconds["embed"] += time.perf_counter() - t

    def flush(self) -> None:
        batch, report = self.batch, self.report
        if not batch:
            return
        self.batch, self.pending = [], 0
        try:
            self._write(batch, report)
        finally:
            self.after_flush()

    def _write(self, batch, report) -> None:
        t = time.perf_counter()
        n_chunks = sum(len(cs) for _, cs in batch)
        try:
            w = self.index.write(batch, self.timed_embed, on_vectors=lambda: self.tell("vectors", n_chunks, n_chunks))
        except Exception as exc:  # the index is as it was before this batch; say which documents
            for doc, _ in batch:
                report.failures.append(Failure.of(doc.source, "not_indexed", doc_id=doc.doc_id, why=f"{type(exc).__name__}: {exc}"))
            return
        finally:
            report.seconds["write"] += time.perf_counter() - t
        self.tell("commit", self.index.generation, len(w.added_docs) + len(w.replaced_docs))
        report.added += w.added_docs
        report.replaced += w.replaced_docs
        report.unchanged += w.unchanged_docs
        report.chunks_added += w.chunks_added
        report.chunks_embedded += w.chunks_embedded

    def finish(self) -> IngestReport:
        self.flush()
        report = self.report
        report.seconds["write"] -= report.seconds["embed"]  # write time excludes the embedding inside it
        if report.added or report.replaced:
            self.index.backup_catalog()  # the copy `doctor --fix` restores if the catalog is lost
        return report


def prepare(path, doc_id, needs_update, limits, chunk_tokens, count_tokens, overlap, report, role) -> list[tuple[Document, list[Chunk]]]:
    """Load one file and chunk its documents that `needs_update(doc)`; failures go into the
    report (a LoadError, such as the file's time budget running out, is left to the caller)."""
    t = time.perf_counter()
    try:
        loaded = load_file(path, doc_id, limits=limits, follow_links=False)
    except LoadError:
        raise
    except Exception as exc:  # a loader bug or a library choking on a damaged file
        report.failures.append(Failure.of(path, "unreadable", why=f"{type(exc).__name__}: {exc}"))
        return []
    finally:
        report.seconds["load"] += time.perf_counter() - t
    report.row_errors += loaded.row_errors
    report.warnings += loaded.warnings
    out = []
    for doc in loaded.documents:
        report.documents += 1
        doc.meta["collection"] = role
        doc.meta["parser"] = PARSER_VERSION
        if not needs_update(doc):
            report.unchanged.append(doc.doc_id)
            continue
        t = time.perf_counter()
        try:
            chunks = chunk_document(doc, chunk_tokens, count_tokens, overlap, max_line=limits.max_line_chars)
        except LoadError:
            raise
        except Exception as exc:
            report.failures.append(Failure.of(path, "chunk_failed", doc_id=doc.doc_id, why=f"{type(exc).__name__}: {exc}"))
            continue
        finally:
            report.seconds["chunk"] += time.perf_counter() - t
        if not chunks:
            report.failures.append(Failure.of(path, "nothing_to_index", doc_id=doc.doc_id))
            continue
        out.append((doc, chunks))
    return out
