"""What every command line of the project shares: consoles, options, settings from flags, the
assistant, one-line failures. A bottom-level module: `assistant.cli` and the stage CLIs (ingest/,
ui/, eval/) import it; it imports none of them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from assistant.config import Settings, load_settings

console = Console(stderr=True, soft_wrap=True)  # one line per message: logs and scripts read them
out = Console(highlight=False, soft_wrap=True)

GuidelineOpt = typer.Option(None, "--guideline", help="only passages tagged with this guideline (1-10); see `assistant guidelines`")
IndexOpt = typer.Option(None, "--index", help="Index folder [env ASSISTANT_INDEX; default var/index]")
ModelOpt = typer.Option(None, "--model", help="sentence-transformers model folder [env ASSISTANT_MODEL]")
ChromaOpt = typer.Option(None, "--chroma-url", "--chroma-urls", help="Chroma server URL, or several comma-separated: "
                         "shards [env ASSISTANT_CHROMA_URL]")
CatalogOpt = typer.Option(None, "--catalog", help="catalog database URL, postgresql://… [env ASSISTANT_CATALOG; "
                          "default catalog.sqlite in the index folder]")
RayAddressOpt = typer.Option(None, "--ray-address", help="with --ray: the cluster [env RAY_ADDRESS; default auto, "
                             "the one `make cluster-up` started on this machine]")
KeywordOpt = typer.Option(None, "--keyword-backend", help="keyword index: bm25s | tantivy [env ASSISTANT_KEYWORD_BACKEND; default bm25s]")


def settings_from(index: Optional[Path] = None, model: Optional[Path] = None, chroma_url: Optional[str] = None, **kw) -> Settings:
    return load_settings(index_dir=index, model_path=model, chroma_url=chroma_url, **kw)


def get_assistant(settings: Settings):
    from assistant.service import Assistant

    return Assistant(settings)


def fail(message: str, code: int = 1) -> None:
    # A message may quote user input or a file name: never read it as rich markup.
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()
