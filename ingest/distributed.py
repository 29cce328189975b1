"""`assistant ingest --ray`: the ingestion stage as a Ray Data job across a cluster's nodes.

Files are read and chunked in one actor pool and their chunks embedded in another (ONNX,
length-sorted slices), one actor of each per node by default; the driver writes each batch as
`ingest()` does (vectors first, then one catalog transaction), so a killed job leaves the last
committed batch answering and the same command finishes it. Chunk ids are content hashes and a
chunk's vector does not depend on which node embedded it: the index is the one a single-machine
ingest of the same files makes. Actors read their files by path and the model from their own
machine's cache: every node needs the same paths and `make setup` (docs/cluster.md).
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from pathlib import Path

from assistant.knowledge.collections import role_for_path
from assistant.store.index import CRASH_ENV, Index, is_current
from ingest.budgets import Limits, file_clock
from ingest.loaders import LoadError
from ingest.pipeline import BatchWriter, Failure, IngestReport, Progress, embed_in_slices, prepare, resolve_limits, start

PART_CHUNKS = 64  # chunks per embedding call: a long Act is embedded on every node, not on one
ACTORS_WAIT = 300  # seconds a pool may wait for its actors to be placed
BLOCK_BYTES = 256 * 1024  # about a part or two per Ray Data block (a part pickles to ~100-200 KB)
# Testing hook: ASSISTANT_CRASH_AT=ray-embed:FILE makes an embedding actor SIGKILL itself in the
# middle of a batch once (FILE marks that it happened), to show a lost task harms nothing.
CRASH_ONCE = "ray-embed:"
# A lost actor (a node gone, a crash) is restarted and its batch retried, a few times, not for
# ever as Ray Data's default would: a file that kills its reader every time must end the job.
# Each pool's actors spread over the nodes (else two could share one node and leave another idle).
ACTOR_OPTIONS = {"max_restarts": 3, "max_task_retries": 3, "scheduling_strategy": "SPREAD"}


def _row(kind: str, file: int = 0, key: str = "", part: int = 0, parts: int = 0, doc=b"", chunks=b"", report=b"") -> dict:
    # Every row has every column (Ray Data wants one schema): a file's report, or a part of a document.
    return {"kind": kind, "file": file, "key": key, "part": part, "parts": parts, "doc": doc, "chunks": chunks,
            "report": report}


class ReadAndChunk:
    """Reads a file and chunks the documents the catalog does not already hold as read now
    (`known`: the catalog's documents when the job started). Out: the file's report, and each
    document in parts of PART_CHUNKS chunks."""

    def __init__(self, settings, limits: Limits, collection: str | None, known: dict):
        from ingest.cli import LazyEmbedder

        self.emb = LazyEmbedder(settings)  # for counting tokens: loaded on the first document to chunk
        self.settings, self.limits, self.collection, self.known = settings, limits, collection, known

    def __call__(self, batch: dict) -> dict:
        rows = []
        for file, path, doc_id in zip(batch["file"], batch["path"], batch["doc_id"]):
            path = Path(str(path))
            report = IngestReport()
            try:
                with file_clock(path, self.limits.file_seconds):
                    docs = prepare(path, str(doc_id), lambda d: not is_current(self.known.get(d.doc_id), d),
                                   self.limits, self.settings.chunk_tokens, self.emb.count_tokens,
                                   self.settings.chunk_overlap_sentences, report, self.collection or role_for_path(path))
            except LoadError as exc:
                report.failures.append(Failure.from_error(exc))
                docs = []
            rows.append(_row("report", report=pickle.dumps(report)))
            for doc, chunks in docs:
                parts = -(-len(chunks) // PART_CHUNKS)
                for i in range(parts):
                    rows.append(_row("part", int(file), doc.doc_id, i, parts, pickle.dumps(doc) if i == 0 else b"",
                                     pickle.dumps(chunks[i * PART_CHUNKS : (i + 1) * PART_CHUNKS])))
        return {k: [r[k] for r in rows] for k in _row("")}


class Embed:
    """A part's chunks embedded in length-sorted slices (`embed_in_slices`, as a single-machine
    ingest embeds a batch), the vectors beside them, with the node that embedded them."""

    def __init__(self, settings):
        import ray

        from assistant.model.embedding import embedder_for

        self.emb = embedder_for(settings)
        self.node = ray.util.get_node_ip_address()

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        from assistant.store.index import passage_text

        out = {**batch, "vectors": [], "seconds": [], "node": []}
        for kind, chunks in zip(batch["kind"], batch["chunks"]):
            texts = [passage_text(c) for c in pickle.loads(chunks)] if kind == "part" else []
            crash = os.environ.get(CRASH_ENV, "")
            if crash.startswith(CRASH_ONCE) and texts:
                marker = Path(crash[len(CRASH_ONCE):])
                if not marker.exists():
                    marker.write_text(str(os.getpid()))
                    os.kill(os.getpid(), signal.SIGKILL)
            t = time.perf_counter()
            vecs = np.asarray(embed_in_slices(self.emb.embed_passages, texts), np.float32) if texts else np.zeros((0, 0), np.float32)
            out["vectors"].append(pickle.dumps(vecs))
            out["seconds"].append(time.perf_counter() - t)
            out["node"].append(self.node)
        return out


def cpu_nodes() -> int:
    """Live nodes that offer CPUs (a head started with --num-cpus 0 hosts no actor)."""
    import ray

    return sum(1 for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0)


def actor_cpus(workers: int) -> float:
    """CPUs each of the 2 × `workers` actors reserves: a share of what is free now (replicas of
    `serve --ray` may hold some), at most half a CPU so an actor fits on any node with one."""
    import ray

    from assistant.cluster import ClusterError

    free = float(ray.available_resources().get("CPU", 0))
    share = min(0.5, free / (2 * workers))
    if share < 0.05:
        raise ClusterError(f"the Ray cluster has {free:g} CPU free: too few for {workers} reader(s) and "
                           f"embedder(s); stop something (`serve --ray` replicas hold CPUs) or add a node")
    return share


def ingest_on_ray(
    paths: list[Path],
    index: Index,
    settings,
    batch_chunks: int = 256,
    progress: Progress | None = None,
    limits: Limits | None = None,
    collection: str | None = None,
    workers: int | None = None,
) -> IngestReport:
    """`ingest()` on a Ray cluster (ray.init() already called): the same report, the same index."""
    import logging
    import warnings

    import ray
    import ray.data

    from assistant.store.index import passage_text

    limits = resolve_limits(limits, None)
    report, files = start(paths, index, collection)
    tell = progress or (lambda stage, done, total: None)
    vectors: dict[str, object] = {}  # the vectors of the batch being gathered, by passage text

    def lookup(texts):  # Index.write asks only for the chunks the vector store lacks
        import numpy as np

        return np.stack([vectors[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    writer = BatchWriter(index, report, lookup, batch_chunks, progress, after_flush=vectors.clear)
    if not files:
        return writer.finish()
    workers = workers or max(1, cpu_nodes())
    share = actor_cpus(workers)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.wait_for_min_actors_s = ACTORS_WAIT  # a pool that cannot be placed ends the job, not hangs it
    # Small blocks: a block goes to one actor, so a file's parts must leave its reader as several.
    ctx.target_max_block_size = BLOCK_BYTES
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # the report says what happened
    from ray.util.debug import log_once

    log_once("ray_data_progress_manager_disabled")  # its one warning is about the bars we turned off
    known = {d.doc_id: d for d in index.catalog.documents()}
    rows = [{"file": i, "path": str(p), "doc_id": d} for i, (p, d) in enumerate(files)]
    pool = ray.data.ActorPoolStrategy(size=workers)  # every node from the start: a small job never scales a pool up
    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for actor restarts yet (ACTOR_OPTIONS); the lock pins 2.60.
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 1000)))
        ds = ds.map_batches(ReadAndChunk, batch_size=1, batch_format="numpy", num_cpus=share, compute=pool,
                            fn_constructor_kwargs={"settings": settings, "limits": limits, "collection": collection,
                                                   "known": known}, **ACTOR_OPTIONS)
        ds = ds.map_batches(Embed, batch_size=1, batch_format="numpy", num_cpus=share, compute=pool,
                            fn_constructor_kwargs={"settings": settings}, **ACTOR_OPTIONS)
    done, embed_seconds = 0, 0.0
    # A document's parts until all of them are embedded, by (file, doc id): two files may give
    # the same doc id (a file's id is its name), and rows arrive in any order.
    waiting: dict[tuple[int, str], dict] = {}
    try:
        for row in ds.iter_rows():
            if row["kind"] == "report":
                _merge(report, pickle.loads(row["report"]))
                done += 1
                tell("files", done, len(files))
                continue
            vecs = pickle.loads(row["vectors"])
            embed_seconds += row["seconds"]
            report.nodes[row["node"]] = report.nodes.get(row["node"], 0) + len(vecs)
            key = (int(row["file"]), row["key"])
            got = waiting.setdefault(key, {"parts": {}, "doc": None})
            got["parts"][row["part"]] = (pickle.loads(row["chunks"]), vecs)
            if row["part"] == 0:
                got["doc"] = pickle.loads(row["doc"])
            if len(got["parts"]) < row["parts"]:
                continue
            del waiting[key]
            chunks = []
            for i in range(row["parts"]):
                part_chunks, part_vecs = got["parts"][i]
                for c, v in zip(part_chunks, part_vecs):
                    vectors[passage_text(c)] = v
                chunks += part_chunks
            writer.add(got["doc"], chunks)
    except Exception as exc:  # a stage failed for good: keep the documents already whole, then say why
        from assistant.cluster import ClusterError

        writer.finish()
        raise ClusterError(f"the Ray ingest job failed ({type(exc).__name__}: {str(exc).strip()[:500]}); the index "
                           f"holds every batch committed before it: run the same command again to finish") from exc
    for (f, doc_id), got in waiting.items():  # never expected: a part lost without an error
        report.failures.append(Failure.of(files[f][0], "not_indexed", doc_id=doc_id, why="parts of it never came back from the cluster"))
    report = writer.finish()
    report.seconds["embed"] += embed_seconds  # in the actors, beside the driver's writing
    return report


def _merge(into: IngestReport, part: IngestReport) -> None:
    into.documents += part.documents
    into.unchanged += part.unchanged
    into.failures += part.failures
    into.row_errors += part.row_errors
    into.warnings += part.warnings
    for k in ("load", "chunk"):
        into.seconds[k] += part.seconds[k]
