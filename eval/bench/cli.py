"""`python -m eval.bench [--quick]` and `assistant bench` (the entry point `eval.bench:register`);
also the hidden child commands `worker` (latency) and `encoder` (one backend)."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> Path | None:
    from eval import bench
    from eval.bench.encoder import encoder_child
    from eval.bench.latency import worker
    from eval.bench.plan import Plan
    from eval.bench.report import plain_table, summary_rows, write_report
    from eval.bench.run import run

    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=bench.__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    w = sub.add_parser("worker", help=argparse.SUPPRESS)
    w.add_argument("--index", required=True)
    w.add_argument("--queries", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--k", type=int, default=10)
    w.add_argument("--chroma-url")
    w.add_argument("--hnsw-sweep")
    w.add_argument("--profile", action="store_true")
    e = sub.add_parser("encoder", help=argparse.SUPPRESS)
    e.add_argument("--backend", required=True)
    e.add_argument("--texts", required=True)
    e.add_argument("--queries", required=True)
    e.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="smoke run: seed only, 1k chunks, a dozen queries")
    ap.add_argument("--root", type=Path, help="where the benchmark builds its indexes [var/bench]")
    ap.add_argument("--reports", type=Path, help="reports folder [eval/reports]")
    ap.add_argument("--shared", type=Path, help="the shared folder (corpus/, eval/) [../shared]")
    ap.add_argument("--queries", type=int, help="number of queries [300; quick 12]")
    ap.add_argument("--scales", help="comma-separated chunk counts to grow to [10000,100000; quick 1000]")
    ap.add_argument("--no-serve", action="store_true")
    ap.add_argument("--no-chroma-server", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "worker":
        worker(args)
        return None
    if args.cmd == "encoder":
        encoder_child(args)
        return None
    kw = {k: v for k, v in (("root", args.root), ("reports", args.reports), ("shared", args.shared)) if v is not None}
    plan = Plan.quick_plan(**kw) if args.quick else Plan(**kw)
    if args.queries:
        plan.queries = args.queries
    if args.scales:
        plan.scales = [int(x) for x in args.scales.split(",") if x.strip()]
    if args.no_serve:
        plan.serve = False
    if args.no_chroma_server:
        plan.chroma_server = False
    plan.root, plan.reports = plan.root.resolve(), plan.reports.resolve()
    res = run(plan)
    path = write_report(res, plan.reports)
    print(plain_table(summary_rows(res), ("figure", "value", "target", "met")))
    print(f"\nreport: {path}")
    return path


def register(app) -> None:
    import typer

    globals()["typer"] = typer  # the annotations below are strings (postponed evaluation)

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def bench(ctx: typer.Context, quick: bool = typer.Option(False, "--quick", help="smoke run: seed only, 1k chunks, a dozen queries")):
        """Performance benchmark: ingest rate, search/ask latency at 3 index sizes, memory, serve start-up.
        Writes eval/reports/bench-<date>.md (options: python -m eval.bench --help)."""
        main((["--quick"] if quick else []) + list(ctx.args))
