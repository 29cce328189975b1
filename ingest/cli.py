"""`assistant ingest PATH... --index DIR`."""

from __future__ import annotations

import json
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


def open_index(s):
    """The index for settings `s`, checked against the model's fingerprint without loading it."""
    from assistant.model.embedding import fingerprint_for
    from assistant.store.index import Index

    return Index(s.index_dir, s.chroma_url, fingerprint_for(s)), LazyEmbedder(s)


def register(app: typer.Typer) -> None:
    from assistant.options import ChromaOpt, IndexOpt, ModelOpt, console, print_json, settings_from

    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="files or folders (folders recurse)"),
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        chroma_url: Optional[str] = ChromaOpt,
        chunk_tokens: Optional[int] = typer.Option(None, help="chunk budget in model tokens"),
        max_file_mb: Optional[int] = typer.Option(None, help="largest file accepted, MB [env ASSISTANT_MAX_FILE_MB; default 50]"),
        batch_chunks: int = typer.Option(256, help="documents are committed in batches of about this many chunks"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
        events: bool = typer.Option(False, "--events", help="progress as JSON lines on stderr (stage, done, total)"),
    ):
        """Read documents into the index. Unchanged files are skipped; changed files replace
        their chunks; unreadable files are reported and skipped (exit status 1). A killed run
        leaves the index as it was after its last committed batch; running it again finishes."""
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from ingest.pipeline import ingest as run_ingest

        s = settings_from(index, model, chroma_url, chunk_tokens=chunk_tokens, max_file_mb=max_file_mb)
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

            report = run_ingest(
                paths, idx, emb.embed_passages, emb.count_tokens,
                chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences,
                max_bytes=s.max_file_mb * 1_000_000, batch_chunks=batch_chunks, progress=progress,
            )
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
            })
        else:
            console.print(
                f"{report.files} file(s), {report.documents} document(s): {len(report.added)} added, "
                f"{len(report.replaced)} replaced, {len(report.unchanged)} unchanged; "
                f"{report.chunks_added} chunk(s) added, {report.chunks_embedded} embedded"
            )
            for f in report.failures:
                console.print(f"[red]failed:[/red] {escape(f.path)}: {escape(f.reason)}")
            for r in report.row_errors:
                console.print(f"[yellow]bad row:[/yellow] {escape(r.path)}:{r.line}: {escape(r.reason)}")
            for w in report.warnings:
                console.print(f"[yellow]warning:[/yellow] {escape(w)}")
        raise typer.Exit(0 if report.ok else 1)
