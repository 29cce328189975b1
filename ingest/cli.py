"""`assistant ingest PATH... --index DIR`."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path
from typing import Optional

import typer


class LazyEmbedder:
    """The model is loaded only when a document actually needs chunking or embedding: a run over
    unchanged or unreadable files opens the index in a second, not after a model load."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._embedder = None

    def get(self):
        with self._lock:
            if self._embedder is None:
                from assistant.model.embedding import embedder_for

                self._embedder = embedder_for(self.settings)
            return self._embedder

    def embed_passages(self, texts):
        return self.get().embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        return self.get().count_tokens(text)

    def embed_query_vec(self, text: str):
        return self.get().embed_query_vec(text)


def prepare_serving(idx, emb, s) -> None:
    """Compute now what a server would otherwise compute on its first start after this ingest:
    every chunk's guideline tags for the new generation (seconds per few thousand chunks, read
    from every vector). A cached generation costs a file read and no model load."""
    from assistant.knowledge.guidelines import GuidelineTags

    GuidelineTags(idx, emb, s.guideline_threshold).state()


def open_index(s):
    """The index for settings `s`, checked against the model's fingerprint without loading it,
    and refused (IndexDamaged, one line from `assistant`'s main) when damaged: an ingest into
    half an index would bury the damage under new documents."""
    from assistant.cli import warn_index
    from assistant.model.embedding import fingerprint_for
    from assistant.store.index import Index

    idx = Index.from_settings(s, fingerprint_for(s))
    warn_index(idx.require_healthy())
    return idx, LazyEmbedder(s)


def print_report(report, idx, as_json: bool) -> None:
    from rich.markup import escape

    from assistant.options import console, print_json

    if as_json:
        print_json({
            "ok": report.ok,
            "files": report.files, "documents": report.documents, "added": len(report.added),
            "replaced": len(report.replaced), "unchanged": len(report.unchanged),
            "chunks_added": report.chunks_added, "chunks_embedded": report.chunks_embedded,
            "failures": [f.__dict__ for f in report.failures],
            "row_errors": [r.__dict__ for r in report.row_errors],
            "warnings": report.warnings,
            "generation": idx.generation,
            "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
            **({"nodes": report.nodes} if report.nodes else {}),
        })
        return
    console.print(
        f"{report.files} file(s), {report.documents} document(s): {len(report.added)} added, "
        f"{len(report.replaced)} replaced, {len(report.unchanged)} unchanged; "
        f"{report.chunks_added} chunk(s) added, {report.chunks_embedded} embedded"
        + (f" (read and embedded on {', '.join(f'{n}: {c}' for n, c in sorted(report.nodes.items()))})" if report.nodes else "")
    )
    for f in report.failures:
        console.print(f"[red]failed:[/red] {escape(f.path)}: {escape(f.reason)}")
    for r in report.row_errors:
        console.print(f"[yellow]bad row:[/yellow] {escape(r.path)}:{r.line}: {escape(r.reason)}")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")


def register(app: typer.Typer) -> None:
    from rich.markup import escape

    from assistant.options import CatalogOpt, ChromaOpt, IndexOpt, KeywordOpt, ModelOpt, RayAddressOpt, console, fail, settings_from

    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="files or folders (folders recurse)"),
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        chroma_url: Optional[str] = ChromaOpt,
        keyword_backend: Optional[str] = KeywordOpt,
        catalog: Optional[str] = CatalogOpt,
        chunk_tokens: Optional[int] = typer.Option(None, help="chunk budget in model tokens"),
        max_file_mb: Optional[int] = typer.Option(None, help="largest file accepted, MB [env ASSISTANT_MAX_FILE_MB; default 50]"),
        batch_chunks: int = typer.Option(256, help="documents are committed in batches of about this many chunks"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
        events: bool = typer.Option(False, "--events", help="progress as JSON lines on stderr (stage, done, total)"),
        collection: Optional[str] = typer.Option(
            None, help="guidance | related: the role of these documents (default: guidance for corpus/documents and seed/, related otherwise)"),
        ray: bool = typer.Option(False, "--ray", help="read, chunk and embed on a Ray cluster's nodes (pip install '.\\[cluster]'; docs/cluster.md)"),
        ray_address: Optional[str] = RayAddressOpt,
        ray_workers: Optional[int] = typer.Option(None, help="with --ray: actors per stage [default: one per node]"),
    ):
        """Read documents into the index. Unchanged files are skipped; changed files replace
        their chunks; unreadable files are reported and skipped (exit status 1). A killed run
        leaves the index as it was after its last committed batch; running it again finishes.
        With --ray the same index is made, its files read and embedded across a cluster."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from ingest.budgets import Limits
        from ingest.pipeline import ingest as run_ingest

        from assistant.knowledge.collections import check_role

        try:
            if collection is not None:
                check_role(collection)
        except ValueError as exc:
            fail(f"--collection: {exc}", 2)
        s = settings_from(index, model, chroma_url, chunk_tokens=chunk_tokens, max_file_mb=max_file_mb, keyword_backend=keyword_backend, catalog=catalog)
        idx, emb = open_index(s)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=as_json or events,
        ) as bar:
            task = bar.add_task("ingest (files)", total=None)

            def progress(stage, done, total):
                if events:
                    sys.stderr.write(json.dumps({"event": stage, "done": done, "total": total}) + "\n")
                    sys.stderr.flush()
                elif stage == "files":
                    bar.update(task, completed=done, total=total)

            if ray:
                import contextlib

                from assistant.cluster import connect
                from ingest.distributed import ingest_on_ray

                # Ray prints what its nodes report (a worker lost, retried) on stdout: keep stdout
                # for the report, and leave the cluster before printing it.
                with contextlib.redirect_stdout(sys.stderr):
                    cluster = connect(ray_address)
                    try:
                        report = ingest_on_ray(paths, idx, s, batch_chunks=batch_chunks, progress=progress,
                                               limits=Limits.from_settings(s), collection=collection, workers=ray_workers)
                    finally:
                        cluster.shutdown()
            else:
                report = run_ingest(
                    paths, idx, emb.embed_passages, emb.count_tokens,
                    chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences,
                    limits=Limits.from_settings(s), batch_chunks=batch_chunks, progress=progress, collection=collection,
                )
            if idx.generation:
                bar.update(task, description="guideline tags")
                prepare_serving(idx, emb, s)
        print_report(report, idx, as_json)
        raise typer.Exit(0 if report.ok else 1)

    @app.command()
    def rebuild(
        paths: Optional[list[Path]] = typer.Argument(None, help="files or folders to ingest (default: the sources the catalog or its backup recorded)"),
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        chroma_url: Optional[str] = ChromaOpt,
        keyword_backend: Optional[str] = KeywordOpt,
        catalog: Optional[str] = CatalogOpt,
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    ):
        """Rebuild a lost or damaged catalog by re-ingesting its sources into a fresh one. The old
        catalog is set aside (catalog.damaged-*), never deleted; vectors already in Chroma are
        reused by content hash, so only text that changed is embedded again."""
        from assistant.model.embedding import fingerprint_for
        from assistant.store import health
        from assistant.store.index import Index
        from ingest.budgets import Limits
        from ingest.pipeline import ingest as run_ingest

        s = settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog)
        if s.catalog and not paths:
            fail("a catalog database keeps no record of its sources outside itself: name them, "
                 f"`assistant rebuild PATH... --index {s.index_dir} --catalog …`", 2)
        root = s.index_dir
        sources = [str(p) for p in paths or []]
        for name in (health.CATALOG, health.BACKUP):
            if not sources:
                sources = health.inspect_catalog(root / name, quick_check=False).sources
        if not sources:
            fail(f"{root}: no recorded sources in the catalog or its backup; name them: `assistant rebuild PATH... --index {root}`", 2)
        missing = [p for p in sources if not Path(p).exists()]
        if missing:
            fail(f"source(s) no longer there: {', '.join(missing)}; name the sources: `assistant rebuild PATH... --index {root}`", 2)
        aside = None if s.catalog else health.set_aside(root / health.CATALOG)
        for derived in ("keyword", "keyword-tantivy"):  # derived from the catalog; rebuilt
            shutil.rmtree(root / derived, ignore_errors=True)
        if aside:
            console.print(f"the old catalog is kept as {aside}")
        idx = Index.from_settings(s, fingerprint_for(s), repair=True, rebuilding=True)
        emb = LazyEmbedder(s)
        report = run_ingest([Path(p) for p in sources], idx, emb.embed_passages, emb.count_tokens,
                            chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences, limits=Limits.from_settings(s))
        idx.backup_catalog()
        prepare_serving(idx, emb, s)
        print_report(report, idx, as_json)
        check = idx.check()
        for p in check["problems"]:
            console.print(f"[yellow]note:[/yellow] {escape(p)}")
        raise typer.Exit(0 if report.ok else 1)
