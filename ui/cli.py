"""`assistant serve` (the web UI), `assistant feedback export FILE.jsonl` and `assistant review export|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def serve_ray(serving, settings, host, port, replicas, cpus, address, t0) -> None:
    """Deploy the API replicas, say where, and keep them until interrupted (then remove them:
    a Serve application outlives its driver and would hold its CPUs)."""
    import logging
    import signal
    import time

    from assistant.cluster import connect
    from assistant.options import console, fail

    if replicas < 1 or cpus <= 0:
        fail("--replicas must be at least 1 and --replica-cpus above 0", 2)
    connect(address)
    logging.getLogger("ray.serve").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a service manager's stop removes the replicas too
    try:
        url = serving.run(settings, host, port, replicas, cpus)
        console.print(f"พร้อมใช้งาน (Ray Serve, {replicas} replica(s)): {url}/api/ask on every node "
                      f"(ready in {time.perf_counter() - t0:.1f} s)")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        serving.stop()


def register(app: typer.Typer) -> None:
    from assistant.options import (CatalogOpt, ChromaOpt, IndexOpt, KeywordOpt, ModelOpt, RayAddressOpt, console, fail,
                                   get_assistant, print_json, settings_from)

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0 for the whole network)"),
        port: int = typer.Option(7860, help="port"),
        index: Optional[Path] = IndexOpt,
        model: Optional[Path] = ModelOpt,
        chroma_url: Optional[str] = ChromaOpt,
        keyword_backend: Optional[str] = KeywordOpt,
        catalog: Optional[str] = CatalogOpt,
        users: Optional[Path] = typer.Option(
            None, "--users", help="JSON file of upload users {name: password} (default: INDEX/ui-users.json if "
            "present; env ASSISTANT_UI_USER + ASSISTANT_UI_PASSWORD also count)"),
        concurrency: int = typer.Option(4, help="questions answered at the same time"),
        ray: bool = typer.Option(False, "--ray", help="serve the JSON API as Ray Serve replicas on a cluster instead "
                                 "(pip install '.\\[cluster]'; docs/cluster.md)"),
        replicas: int = typer.Option(2, help="with --ray: API replicas"),
        replica_cpus: float = typer.Option(0.5, help="with --ray: CPUs each replica reserves"),
        ray_address: Optional[str] = RayAddressOpt,
    ):
        """Start the Thai web UI: chat with cited answers, examples, feedback, corpus, upload.
        With --ray: the JSON API (as `assistant api`) on every node of a Ray cluster."""
        import logging
        import time

        t0 = time.perf_counter()
        if ray:
            from assistant.cluster import serving

            serve_ray(serving, settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog),
                      host, port, replicas, replica_cpus, ray_address, t0)
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("httpx", "httpcore", "sentence_transformers", "chromadb", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        from ui.auth import UsersFileError, load_users

        s = settings_from(index, model, chroma_url, keyword_backend=keyword_backend, catalog=catalog)
        try:
            user_list = load_users(s.index_dir, users)
        except UsersFileError as exc:
            fail(str(exc), 2)
        if not (Path(s.index_dir) / "catalog.sqlite").exists():
            console.print(f"[yellow]warning:[/yellow] {s.index_dir}: empty index (run `assistant ingest`, or upload in the UI)")
        a = get_assistant(s)
        from assistant.store.health import IndexDamaged

        damage = None
        try:
            # Load the model and the keyword index now, so the first question is not the slow one.
            a.search("ทดสอบ", k=1)
        except IndexDamaged as exc:  # serve anyway: the page shows a Thai banner until it is fixed
            damage = exc
            from rich.markup import escape

            console.print(f"[yellow]warning:[/yellow] {escape(str(exc))}", highlight=False)
        from ui.app import Context, launch

        ctx = Context(a, user_list)
        try:
            demo, url = launch(ctx, host, port, block=False, concurrency=concurrency)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc})")
        docs, gen = ("?", "?") if damage else (len(a.index.documents()), a.index.generation)
        console.print(
            f"พร้อมใช้งาน: {url}  ({docs} documents, index generation {gen}, "
            f"upload {'on: ' + user_list.source if user_list.enabled else 'off (no users)'}, "
            f"ready in {time.perf_counter() - t0:.1f} s)"
        )
        try:
            demo.block_thread()
        finally:
            ctx.feedback.close()

    fb = typer.Typer(help="Officers' 👍/👎 feedback on answers.", no_args_is_help=True)
    app.add_typer(fb, name="feedback")

    @fb.command("export")
    def export(
        out: Path = typer.Argument(..., help="JSONL file to write (evaluation question format)"),
        index: Optional[Path] = IndexOpt,
    ):
        """Write feedback as evaluation questions {qid, question, kind, difficulty, gold_doc_ids,
        evidence, answer_keys} + rating/comment/answer: 👍 → gold from the citations, 👎 → needs_review."""
        from assistant.feedback import FILENAME, FeedbackStore, export_jsonl

        s = settings_from(index)
        path = Path(s.index_dir) / FILENAME
        if not path.exists():
            fail(f"{path}: no feedback yet")
        store = FeedbackStore(path)
        n = export_jsonl(store, out)
        store.close()
        print_json({"feedback": str(path), "out": str(out), "rows": n})

    @fb.command("stats")
    def stats(index: Optional[Path] = IndexOpt):
        """Counts of 👍, 👎 and comments."""
        from assistant.feedback import FILENAME, FeedbackStore

        s = settings_from(index)
        path = Path(s.index_dir) / FILENAME
        if not path.exists():
            fail(f"{path}: no feedback yet")
        rows = FeedbackStore(path).rows()
        print_json({
            "rows": len(rows), "up": sum(r.rating == 1 for r in rows), "down": sum(r.rating == -1 for r in rows),
            "comments": sum(bool(r.comment) for r in rows),
        })

    rv = typer.Typer(help="Reviewers' runs of question sets and their verdicts (the review tab).", no_args_is_help=True)
    app.add_typer(rv, name="review")

    def review_store(index):
        from assistant.feedback import FILENAME
        from assistant.review import ReviewStore

        s = settings_from(index)
        path = Path(s.index_dir) / FILENAME
        if not path.exists():
            fail(f"{path}: no review runs yet")
        return ReviewStore(path)

    @rv.command("export")
    def review_export(
        out: Path = typer.Argument(..., help="file to write: .jsonl (evaluation question format) or .csv"),
        run: Optional[int] = typer.Option(None, "--run", help="run id (default: the latest run)"),
        judged_only: bool = typer.Option(False, "--judged-only", help="only questions with a reviewer's verdict"),
        index: Optional[Path] = IndexOpt,
    ):
        """Write a run's questions with answers, automatic verdicts and the reviewers' verdicts: rows
        {qid, question, kind, difficulty, gold_doc_ids, evidence, answer_keys} + run_id, answer, cited,
        retrieval_hit, keys_present, refused, should_refuse, verdict, comment, reviewer."""
        from assistant.review import ReviewError, write_export

        store = review_store(index)
        runs = store.runs()
        run_id = run if run is not None else (runs[0]["run_id"] if runs else None)
        try:
            if run_id is None:
                raise ReviewError("no review runs yet")
            rows = store.export_rows(run_id)
        except ReviewError as exc:
            fail(str(exc))
        finally:
            store.close()
        if judged_only:
            rows = [r for r in rows if r["verdict"]]
        write_export(rows, out)
        print_json({"run_id": run_id, "out": str(out), "rows": len(rows), "judged": sum(bool(r["verdict"]) for r in rows)})

    @rv.command("import")
    def review_import(
        file: Path = typer.Argument(..., help="an exported .jsonl or .csv with verdicts filled in"),
        reviewer: str = typer.Option("", help="name recorded for rows that carry none"),
        index: Optional[Path] = IndexOpt,
    ):
        """Store the verdicts (correct | partly | wrong | should_refuse) and comments of an exported
        file, matched by run_id and qid; exit 1 when a row matches no question of a run."""
        from assistant.review import ReviewError, read_rows

        store = review_store(index)
        try:
            got = store.import_rows(read_rows(file), reviewer)
        except (ReviewError, OSError) as exc:
            fail(str(exc))
        finally:
            store.close()
        print_json({"file": str(file), **got})
        if got["unknown"]:
            raise typer.Exit(1)

    @rv.command("runs")
    def review_runs(index: Optional[Path] = IndexOpt):
        """The review runs: id, set, status, answered/total, verdicts recorded."""
        store = review_store(index)
        out = []
        for r in store.runs():
            items = store.items(r["run_id"])
            out.append({k: r[k] for k in ("run_id", "name", "status", "done", "total", "reviewer", "index_generation")}
                       | {"verdicts": sum(bool(i["verdict"]) for i in items)})
        store.close()
        print_json(out)
