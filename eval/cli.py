"""`assistant eval`: the domain question set and the external benchmarks, one report."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from assistant.options import IndexOpt, KeywordOpt, CatalogOpt, ModelOpt, console, fail, get_assistant, settings_from

    @app.command("eval")
    def eval_cmd(
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        keyword_backend: Optional[str] = KeywordOpt,
        catalog: Optional[str] = CatalogOpt,
        split: list[str] = typer.Option(["dev", "test", "multipart"], help="question splits from eval/questions"),
        questions: Optional[Path] = typer.Option(None, help="another question file (JSONL), scored as 'test'"),
        benchmark: list[str] = typer.Option([], help="xquad-th | iapp | iapp-distractors | tscc (repeatable)"),
        shared_eval: Path = typer.Option(Path("../shared/eval"), help="folder of the external benchmarks"),
        bench_index: Optional[Path] = typer.Option(None, help="where benchmark indexes are kept (default: a temporary folder)"),
        limit: Optional[int] = typer.Option(None, help="score only the first N queries of each benchmark"),
        name: str = typer.Option("eval", help="report name: eval/reports/<date>-<name>.md"),
        reports: Optional[Path] = typer.Option(None, help="reports folder"),
        domain: bool = typer.Option(True, help="score the domain question set"),
        blind: bool = typer.Option(True, help="also score the blind dev set (<shared-eval>/domain_dev) when present"),
        ablation: bool = typer.Option(True, help="also score hybrid with each query-understanding technique off"),
        out_of_scope: bool = typer.Option(True, help="also ask the index the external sets' and the own off-topic questions, which it must refuse"),
    ):
        """Score retrieval (BM25, dense, hybrid side by side), answers and refusals; write a report."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from eval import harness, report

        s = settings_from(index, model, keyword_backend=keyword_backend, catalog=catalog)
        result = {"name": name, "date": dt.date.today().isoformat()}
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)
        with progress:
            if domain:
                if not (s.index_dir / "catalog.sqlite").exists():
                    fail(f"{s.index_dir}: no index (run `make eval`, or `assistant ingest corpus/documents ../shared/corpus --index ...`)")
                dev = harness.load_split("dev") if "dev" in split else []
                test = harness.load_questions(questions, "test") if questions else (harness.load_split("test") if "test" in split else [])
                blind_file = shared_eval / "domain_dev" / "questions.jsonl"
                blind_qs = harness.load_questions(blind_file, "blind", blind=True) if blind and blind_file.is_file() else []
                multipart = harness.load_split("multipart") if "multipart" in split else []
                a = get_assistant(s)
                task = progress.add_task("domain questions", total=len(dev) + len(test) + len(blind_qs) + len(multipart))
                result["domain"] = harness.run_domain(a, dev, test, tick=lambda: progress.advance(task), blind=blind_qs,
                                                      multipart=multipart)
                info = a.index.info()
                result["meta"] = {"index": str(s.index_dir), "documents": info["documents"], "chunks": info["chunks"], "model": info["model"]}
                result["latencies_ms"] = result["domain"].pop("latencies_ms")
                if out_of_scope:
                    task = progress.add_task("questions it must refuse", total=None)
                    result["out_of_scope"] = harness.run_out_of_scope(a, shared_eval, tick=lambda: progress.advance(task))
                if ablation:
                    task = progress.add_task("ablation", total=4 * len(harness.ABLATIONS))
                    result["ablation"] = {
                        name_: harness.run_ablation(a, qs, tick=lambda: progress.advance(task))
                        for name_, qs in (("dev", dev), ("test", test), ("multipart", multipart), ("blind", blind_qs)) if qs
                    }
            for name_ in benchmark:
                if name_ not in harness.BENCHMARKS and name_ != "tscc":
                    fail(f"unknown benchmark {name_!r}; choose from {', '.join([*harness.BENCHMARKS, 'tscc'])}")
                root = bench_index or Path(tempfile.mkdtemp(prefix="assistant-bench-"))
                bs = settings_from(root / name_, model, keyword_backend=keyword_backend)  # a benchmark's own index, its own catalog
                from assistant.service import Assistant

                ba = Assistant(bs)
                task = progress.add_task(f"benchmark {name_}", total=None)
                if name_ == "tscc":  # situations → Criminal Code articles: retrieval only
                    from eval import tscc

                    result["tscc"] = tscc.run(ba, shared_eval, limit, tick=lambda: progress.advance(task))
                    continue
                result.setdefault("benchmarks", {})[name_] = harness.run_benchmark(
                    ba, name_, shared_eval, limit, tick=lambda: progress.advance(task)
                )
        result.setdefault("meta", {"index": "-", "documents": 0, "chunks": 0, "model": "-"})
        result["meta"]["settings"] = {
            k: getattr(s, k) for k in ("chunk_tokens", "candidates", "rrf_k", "dense_weight", "bm25_weight", "per_doc_cap", "answerer", "answer_passages")
        }
        path = report.write(result, reports or report.REPORTS_DIR)
        console.print(f"report: {path}")
        print(path.read_text(encoding="utf-8"))
