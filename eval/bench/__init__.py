"""`assistant bench` / `make bench`: how fast, how big, at three index sizes. Prints one table and
writes eval/reports/bench-<date>.md.

    assistant bench                 # the full run (~20-30 min on 2 cores), indexes under var/bench
    assistant bench --quick         # a smoke run (seed only, 1k chunks, a dozen queries; CI)
    python -m eval.bench [--quick]  # the same without the entry point

What it measures, each in a fresh child process so memory and warm-up belong to it alone:
- ingest: `assistant ingest` of the seed + ../shared/corpus into an empty index: documents/s,
  chunks/s, the stage split (load, normalise, chunk, embed, write), peak RSS; and the raw
  encoder's throughput on the same chunk texts in the same run (one length-sorted call), so
  the ratio says what the pipeline loses around the model.
- search and ask latency, warm, p50/p95/p99 over Thai questions (the domain set + iApp + XQuAD)
  for bm25, dense and hybrid, with the per-stage split of hybrid (query embedding, Chroma, BM25,
  passage fetch), at the shared corpus, ~10k chunks (+ the benchmark corpora, really embedded)
  and 100k chunks (synthetic: see `grow`), plus index size on disk and the process's RSS;
- HNSW: dense recall against exact search and latency for several ef_search at the largest size;
- `assistant serve`: cold start to HTTP 200 and RSS, at the corpus and at the largest size;
- the same searches through a Chroma server (`chroma run`) instead of the embedded store.

Timings are figures, never assertions: they depend on the machine and on what else runs on it
(the report records the load average before and after).

One module a job:
    plan.py           what a run covers (Plan), paths, targets, the Thai questions
    ingest.py         ingest rate and its stage split
    encoder.py        the raw encoder and the embedding backends
    scale.py          the index sizes: copy, add the benchmark corpora, grow with synthetic chunks
    latency.py        search/ask latency (the `worker` child), HNSW sweep, profile
    serve.py          `assistant serve` cold start and RSS
    chroma_server.py  the same searches through `chroma run`
    run.py            the whole run, job after job
    report.py         the summary table and eval/reports/bench-<date>.md
    cli.py            `python -m eval.bench`, `assistant bench`
    tools.py          child processes and their RSS, ports, percentiles in ms, the log
"""

# Loaded on first use: every `assistant` command registers `bench` (pyproject entry point), and
# importing the runners would cost each command ~0.4 s of start-up.
_WHERE = {"chroma_binary": "chroma_server", "start_chroma": "chroma_server", "main": "cli", "register": "cli",
          "Plan": "plan", "load_queries": "plan", "run": "run", "grow": "scale", "free_port": "tools", "stop": "tools"}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'eval.bench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"eval.bench.{_WHERE[name]}"), name)
