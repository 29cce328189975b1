"""`assistant ingest PATH... --index DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from assistant.cli import ChromaOpt, IndexOpt, ModelOpt, console, get_assistant, print_json, settings_from

    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="files or folders (folders recurse)"),
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        chroma_url: Optional[str] = ChromaOpt,
        chunk_tokens: Optional[int] = typer.Option(None, help="chunk budget in model tokens"),
        max_file_mb: Optional[int] = typer.Option(None, help="largest file accepted, MB"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    ):
        """Read documents into the index. Unchanged files are skipped; changed files replace
        their chunks; unreadable files are reported and skipped (exit status 1)."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from ingest.pipeline import ingest as run_ingest

        s = settings_from(index, model, chroma_url, chunk_tokens=chunk_tokens, max_file_mb=max_file_mb)
        a = get_assistant(s)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=as_json,
        ) as bar:
            task = bar.add_task("ingest (files)", total=None)

            def progress(stage, done, total):
                bar.update(task, completed=done, total=total)

            report = run_ingest(
                paths, a.index, a.embedder.embed_passages, a.embedder.count_tokens,
                chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences,
                max_bytes=s.max_file_mb * 1_000_000, progress=progress,
            )
        if as_json:
            print_json({
                "files": report.files, "documents": report.documents, "added": len(report.added),
                "replaced": len(report.replaced), "unchanged": len(report.unchanged),
                "chunks_added": report.chunks_added, "chunks_embedded": report.chunks_embedded,
                "failures": [f.__dict__ for f in report.failures],
                "row_errors": [r.__dict__ for r in report.row_errors],
                "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
            })
        else:
            console.print(
                f"{report.files} file(s), {report.documents} document(s): {len(report.added)} added, "
                f"{len(report.replaced)} replaced, {len(report.unchanged)} unchanged; "
                f"{report.chunks_added} chunk(s) added, {report.chunks_embedded} embedded"
            )
            for f in report.failures:
                console.print(f"[red]failed:[/red] {f.path}: {f.reason}")
            for r in report.row_errors:
                console.print(f"[yellow]bad row:[/yellow] {r.path}:{r.line}: {r.reason}")
        raise typer.Exit(0 if report.ok else 1)
