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
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import http.client
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.retrieve.rankers import RANKERS
from eval.metrics import percentile

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "documents"
QUESTIONS = ROOT / "eval" / "questions"
REPORTS = ROOT / "eval" / "reports"
SYNTHETIC = "synthetic"  # doc id prefix of generated chunks
TARGETS = {  # issue #6, on a 2-core office PC
    "ingest_ratio": 0.8,
    "search_p95_corpus_ms": 150.0,
    "search_p95_100k_ms": 300.0,
    "serve_rss_mb": 1536.0,
    "serve_ready_s": 10.0,
}


@dataclass
class Plan:
    quick: bool = False
    root: Path = ROOT / "var" / "bench"
    reports: Path = REPORTS
    shared: Path = ROOT.parent / "shared"
    queries: int = 300
    encoder_sample: int = 600
    scales: list[int] = field(default_factory=lambda: [10_000, 100_000])
    eval_corpora: bool = True  # the 10k index adds the benchmark corpora, really embedded
    serve: bool = True
    chroma_server: bool = True
    hnsw_sweep: tuple[int, ...] = (60, 100, 200, 400)
    profile: bool = True
    backends: bool = True  # torch / onnx / onnx-int8 side by side, each in its own process
    backend_sample: int = 200
    sigma: float = 0.02  # noise per dimension of synthetic vectors: cosine to the original ~0.93
    seed: int = 6

    @classmethod
    def quick_plan(cls, **kw) -> "Plan":
        return cls(quick=True, queries=12, encoder_sample=32, scales=[1_000], eval_corpora=False, serve=False,
                   chroma_server=False, hnsw_sweep=(60, 100), profile=False, backends=False, **kw)


# ------------------------------------------------------------------ small tools
def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def pct(values: list[float]) -> dict:
    """Seconds in, milliseconds out: n, p50/p95/p99 (eval.metrics.percentile), mean, max."""
    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=float) * 1000.0
    return {"n": len(values), **{f"p{p}": percentile(a.tolist(), p) for p in (50, 95, 99)}, "mean": float(a.mean()), "max": float(a.max())}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_LLM_")}  # extractive answers only
    env.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class PeakRSS:
    """Samples the RSS of a process and its children (summed) until stopped."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        import psutil

        try:
            proc = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                rss = proc.memory_info().rss
                for c in proc.children(recursive=True):
                    try:
                        rss += c.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                return
            self.last = rss
            self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._t.join(timeout=2)
        return self.peak


def run_child(args: list[str], env: dict | None = None, timeout: float = 3600) -> tuple[subprocess.CompletedProcess, float, int]:
    """(result, wall seconds, peak RSS bytes) of a child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or child_env(), cwd=ROOT)
    mon = PeakRSS(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = mon.stop()
    return subprocess.CompletedProcess(args, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")), wall, peak


# ------------------------------------------------------------------ questions
def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_queries(plan: Plan) -> list[str]:
    """Thai questions: the domain set first, then iApp and XQuAD, interleaved, deduplicated."""
    domain = [r["question"] for name in ("dev.jsonl", "test.jsonl") if (QUESTIONS / name).is_file() for r in _jsonl(QUESTIONS / name)]
    ext: list[list[str]] = []
    for rel in ("iapp_wiki_qa/test_queries.jsonl", "xquad_th/queries.jsonl"):
        p = plan.shared / "eval" / rel
        if p.is_file():
            ext.append([r["question"] for r in _jsonl(p)])
    n = plan.queries
    out = domain[: n // 3] if ext else domain[:n]
    rest = domain[len(out) :]
    i = 0
    while len(out) < n and any(i < len(e) for e in ext):
        for e in ext:
            if i < len(e) and len(out) < n:
                out.append(e[i])
        i += 1
    out += rest[: max(0, n - len(out))]
    seen, uniq = set(), []
    for q in out:
        q = " ".join(q.split())
        if q and q not in seen:
            seen.add(q)
            uniq.append(q)
    return uniq


# ------------------------------------------------------------------ ingest
def ingest_sources(plan: Plan) -> list[Path]:
    srcs = [SEED]
    if not plan.quick and (plan.shared / "corpus").is_dir():
        srcs.append(plan.shared / "corpus")
    return srcs


def measure_normalise(sources: list[Path]) -> dict:
    """Load every file again in this process with `normalize` timed, to split the pipeline's
    'load' stage into parsing and normalisation (the pipeline reports them together)."""
    import ingest.loaders as loaders
    from ingest import pdffix  # noqa: F401  (imported so its own normalize calls are patched too)

    spent = [0.0]
    real = loaders.normalize

    def timed(text, *a, **kw):
        t = time.perf_counter()
        try:
            return real(text, *a, **kw)
        finally:
            spent[0] += time.perf_counter() - t

    patched = [m for m in (loaders, sys.modules.get("ingest.pdffix")) if m is not None and getattr(m, "normalize", None) is real]
    for m in patched:
        m.normalize = timed
    t = time.perf_counter()
    try:
        for path, doc_id in loaders.discover(sources):
            try:
                loaders.load_file(path, doc_id, 50_000_000)
            except Exception:
                pass
    finally:
        for m in patched:
            m.normalize = real
    return {"load_s": time.perf_counter() - t, "normalise_s": spent[0]}


def bench_ingest(plan: Plan, index_dir: Path) -> dict:
    sources = ingest_sources(plan)
    shutil.rmtree(index_dir, ignore_errors=True)
    log(f"ingest {', '.join(str(s) for s in sources)} -> {index_dir}")
    args = [sys.executable, "-m", "assistant", "ingest", *map(str, sources), "--index", str(index_dir), "--json"]
    res, wall, peak = run_child(args)
    try:
        rep = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"ingest failed (exit {res.returncode}): {res.stderr[-2000:]}")
    norm = measure_normalise(sources)
    model_load = time_model_load()
    sec = rep["seconds"]
    share = norm["normalise_s"] / norm["load_s"] if norm["load_s"] else 0.0
    # The CLI loads the model lazily, at the first token count: inside the pipeline's 'chunk'.
    model_in_chunk = min(model_load, sec["chunk"])
    stages = {
        "load": sec["load"] * (1 - share),
        "normalise": sec["load"] * share,
        "chunk": sec["chunk"] - model_in_chunk,
        "embed": sec["embed"],
        "write": sec["write"],
    }
    pipeline = sum(stages.values())
    chunks = rep["chunks_embedded"]
    return {
        "sources": [str(s.relative_to(ROOT.parent)) if s.is_relative_to(ROOT.parent) else str(s) for s in sources],
        "files": rep["files"], "documents": rep["documents"], "chunks": rep["chunks_added"], "embedded": chunks,
        "ok": rep["ok"], "failures": len(rep["failures"]),
        "wall_s": wall, "pipeline_s": pipeline, "startup_s": wall - pipeline,
        "docs_per_s": rep["documents"] / pipeline if pipeline else 0.0,
        "chunks_per_s": chunks / pipeline if pipeline else 0.0,
        "chunks_per_s_wall": chunks / wall if wall else 0.0,
        "stages": stages, "peak_rss": peak, "model_load_s": model_load,
    }


def time_model_load() -> float:
    """Seconds a fresh process takes to load the model (what the ingest CLI does lazily)."""
    code = ("import time; t = time.perf_counter()\n"
            "from assistant.config import load_settings\n"
            "from assistant.model.embedding import load_embedder, resolve_model_dir\n"
            "s = load_settings(); e = load_embedder(resolve_model_dir(s.model_path, s.model_dir), s.embed_batch)\n"
            "e.count_tokens('x'); print(time.perf_counter() - t)")
    res, _, _ = run_child([sys.executable, "-c", code])
    try:
        return float(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0.0


def bench_encoder(plan: Plan, index_dir: Path, embedder) -> dict:
    """The model alone on chunk texts of the index just built: one call (the encoder sorts by
    length across the call), and the pipeline's way (length-sorted slices of EMBED_SLICE)."""
    from assistant.store.catalog import Catalog
    from assistant.store.index import passage_text

    cat = Catalog(index_dir / "catalog.sqlite")
    ids = sorted(cat.chunk_ids())  # by id, so a seed draws the same chunks every run
    got = cat.chunks(ids)
    cat.close()
    rows = [got[i] for i in ids]
    rng = random.Random(plan.seed)
    sample = rng.sample(rows, min(plan.encoder_sample, len(rows)))
    texts = [passage_text(c) for c in sample]
    embedder.embed_passages(texts[:4])  # warm
    t = time.perf_counter()
    embedder.embed_passages(texts)
    one = time.perf_counter() - t
    try:
        from ingest.pipeline import EMBED_SLICE as step
    except ImportError:
        step = 32
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # what the pipeline does
    t = time.perf_counter()
    for i in range(0, len(order), step):
        embedder.embed_passages([texts[j] for j in order[i : i + step]])
    sliced = time.perf_counter() - t
    tokens = [embedder.count_tokens(x) for x in texts]
    return texts, {"texts": len(texts), "tokens_mean": float(np.mean(tokens)) if tokens else 0.0,
            "chunks_per_s": len(texts) / one if one else 0.0, "chunks_per_s_sliced": len(texts) / sliced if sliced else 0.0, "slice": step,
            "batch_size": embedder.batch_size, "backend": getattr(embedder, "backend", "torch")}


# ------------------------------------------------------------------ growing an index
def copy_index(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".write.lock"))


def harvest_vectors(index_dir: Path) -> dict | None:
    """The real (non-synthetic) vectors a previous run left in `index_dir`, so that re-ingesting
    the same benchmark paragraphs reuses them (chunk ids are content hashes) instead of
    embedding them again: the benchmark's second and later runs skip ~10 minutes."""
    if not (index_dir / "chroma").is_dir():
        return None
    from assistant.store.vectors import VectorStore

    try:
        vs = VectorStore(index_dir / "chroma")
    except Exception:
        return None
    try:
        ids, embs, metas = [], [], []
        for page_ids, vecs, page_metas in vs.pages(5000, metadatas=True):
            for cid, vec, m in zip(page_ids, vecs, page_metas):
                if not str((m or {}).get("doc_id", "")).startswith(SYNTHETIC + "/"):
                    ids.append(cid)
                    embs.append(vec)
                    metas.append(m)
        model = vs.model
    except Exception:
        return None
    finally:
        vs.close()
    return {"ids": ids, "embeddings": embs, "metadatas": metas, "model": model}


def restore_vectors(index_dir: Path, carried: dict, fingerprint: str) -> None:
    from assistant.store.index import Index

    if carried.get("model") != fingerprint or not carried["ids"]:
        return
    idx = Index(index_dir, None, fingerprint)
    have = idx.vectors.all_ids()
    keep = [i for i, cid in enumerate(carried["ids"]) if cid not in have]
    if keep:
        idx.vectors.bulk_add([carried["ids"][j] for j in keep], np.stack([carried["embeddings"][j] for j in keep]),
                             [carried["metadatas"][j] for j in keep])
    idx.close()


def ingest_eval_corpora(plan: Plan, index_dir: Path, embedder) -> dict:
    """Real Thai text, really embedded: the XQuAD and iApp paragraphs (../shared/eval)."""
    from assistant.store.index import Index
    from ingest.pipeline import ingest

    files = [plan.shared / "eval" / rel for rel in ("xquad_th/corpus.jsonl", "iapp_wiki_qa/test_corpus.jsonl",
                                                     "iapp_wiki_qa/train_corpus_distractors.jsonl")]
    files = [f for f in files if f.is_file()]
    if not files:
        return {"files": 0}
    idx = Index(index_dir, None, embedder.fingerprint)
    t = time.perf_counter()
    rep = ingest(files, idx, embedder.embed_passages, embedder.count_tokens)
    wall = time.perf_counter() - t
    n = len(idx.catalog.chunk_ids())
    idx.close()
    return {"files": len(files), "documents": rep.documents, "chunks": rep.chunks_added, "embedded": rep.chunks_embedded,
            "seconds": wall, "chunks_per_s": rep.chunks_embedded / wall if wall and rep.chunks_embedded else 0.0, "total_chunks": n}


_SENT = re.compile(r"(?<=\S)\s+(?=\S)")


def _perturb_text(text: str, rng: random.Random) -> str:
    parts = _SENT.split(text)
    if len(parts) > 1:
        rng.shuffle(parts)
        return " ".join(parts)
    return text[::-1] if len(text) > 1 else text


def grow(index_dir: Path, target: int, fingerprint: str, sigma: float, seed: int) -> dict:
    """Grow an index to `target` chunks with synthetic-but-real data, written straight through the
    catalog, Chroma and the keyword index (no embedding): each added chunk is a real chunk of the
    index with its sentences shuffled, its stored keyword tokens shuffled with ~10% dropped, and
    its real vector plus Gaussian noise (sigma per dimension), renormalised: cosine to the
    original ~0.93, so the copies neither collapse onto their originals nor become random
    points. Copies live in documents `synthetic/rNN/<original id>`."""
    from assistant.store.catalog import DocInfo
    from assistant.store.index import Index
    from assistant.store.keyword import KeywordIndex
    from assistant.schema import Chunk
    from ingest.chunking import chunk_id

    t0 = time.perf_counter()
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    idx = Index(index_dir, None, fingerprint)
    cat = idx.catalog
    rows = [(c, t) for c, t in cat.chunks_with_tokens() if not c.doc_id.startswith(SYNTHETIC + "/")]
    have = len(cat.chunk_ids())
    start = have
    if have >= target or not rows:
        idx.close()
        return {"target": target, "chunks": have, "added": 0, "seconds": 0.0}
    vecs = idx.vectors.get_vectors([c.chunk_id for c, _ in rows])
    docs = {d.doc_id: d for d in cat.documents()}
    by_doc: dict[str, list[tuple[Chunk, list[str]]]] = {}
    for c, t in rows:
        if c.chunk_id in vecs:
            by_doc.setdefault(c.doc_id, []).append((c, t))
    pending_docs: list = []
    pend_ids: list[str] = []
    pend_vecs: list[np.ndarray] = []
    pend_meta: list[dict] = []

    def flush():
        nonlocal pending_docs, pend_ids, pend_vecs, pend_meta
        if not pend_ids:
            return
        idx.vectors.bulk_add(pend_ids, np.stack(pend_vecs).astype(np.float32), pend_meta)
        cat.replace_documents(pending_docs)
        pending_docs, pend_ids, pend_vecs, pend_meta = [], [], [], []

    done = [int(m.group(1)) for d in docs for m in [re.match(SYNTHETIC + r"/r(\d+)/", d)] if m]
    rep = max(done, default=0)  # continue after the replicas an earlier grow wrote
    with idx.writing():
        while have < target:
            rep += 1
            for doc_id, chunk_rows in by_doc.items():
                if have >= target:
                    break
                new_doc = f"{SYNTHETIC}/r{rep:03d}/{doc_id}"
                chunks, toks = [], []
                for c, tokens in chunk_rows[: target - have]:
                    text = _perturb_text(c.text, rng)
                    tokens = [t for t in tokens if rng.random() > 0.1] or tokens
                    rng.shuffle(tokens)
                    cid = chunk_id(new_doc, text)
                    chunks.append(replace(c, chunk_id=cid, doc_id=new_doc, text=text))
                    toks.append(tokens)
                    v = vecs[c.chunk_id] + nrng.normal(0.0, sigma, size=vecs[c.chunk_id].shape).astype(np.float32)
                    pend_vecs.append(v / np.linalg.norm(v))
                    pend_ids.append(cid)
                    pend_meta.append({"doc_id": new_doc, "ordinal": c.ordinal})
                have += len(chunks)
                d = docs.get(doc_id)
                sha = hashlib.sha256("\n".join(c.text for c in chunks).encode("utf-8")).hexdigest()
                info = DocInfo(new_doc, d.title if d else chunks[0].title, d.source if d else "", d.kind if d else "txt", sha, len(chunks), 0.0,
                               {"synthetic_of": doc_id})
                pending_docs.append((info, chunks, toks))
                if len(pend_ids) >= 10_000:
                    flush()
        flush()
        gen, ids, toks = cat.tokens_at_generation()
        KeywordIndex.build(toks, ids, gen, idx.model_fingerprint).save(idx.root / "keyword")
    n = len(cat.chunk_ids())
    idx.close()
    return {"target": target, "chunks": n, "added": n - start, "replicas": rep - max(done, default=0), "seconds": time.perf_counter() - t0}


def index_sizes(index_dir: Path) -> dict:
    return {
        "total": dir_bytes(index_dir),
        "chroma": dir_bytes(index_dir / "chroma"),
        "catalog": sum(p.stat().st_size for p in index_dir.glob("catalog.sqlite*")),
        "keyword": dir_bytes(index_dir / "keyword"),
    }


def count_chunks(index_dir: Path) -> int:
    from assistant.store.catalog import Catalog

    cat = Catalog(index_dir / "catalog.sqlite")
    counts = cat.counts()
    cat.close()
    return counts


# ------------------------------------------------------------------ latency worker (child process)
def worker(args: argparse.Namespace) -> None:

    from assistant.config import load_settings
    from assistant.service import Assistant

    t0 = time.perf_counter()
    queries = [q for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()]
    a = Assistant(load_settings(index_dir=Path(args.index), chroma_url=args.chroma_url))
    a.embedder  # noqa: B018  (load the model)
    loaded = time.perf_counter() - t0
    for m in RANKERS:
        a.search(queries[0], k=args.k, method=m)
    a.ask(queries[0])
    first = time.perf_counter() - t0
    rss_ready = _rss()

    stages: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*x, **kw):
            t = time.perf_counter()
            try:
                return fn(*x, **kw)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    emb, idx = a.embedder, a.index
    orig = {"embed": emb.embed_query_vec, "dense": idx.dense, "bm25": idx.bm25, "fetch": idx.chunks}
    emb.embed_query_vec = timed("embed", orig["embed"])
    idx.dense = timed("dense", orig["dense"])
    idx.bm25 = timed("bm25", orig["bm25"])
    idx.chunks = timed("fetch", orig["fetch"])
    out: dict = {"chunks": len(idx.catalog.chunk_ids()), "queries": len(queries), "load_s": loaded, "first_answer_s": first}
    lat: dict[str, list[float]] = {}
    split: dict[str, list[dict]] = {}
    for m in RANKERS:
        emb.cache_clear() if hasattr(emb, "cache_clear") else None
        lat[m], split[m] = [], []
        for q in queries:
            stages.clear()
            t = time.perf_counter()
            a.search(q, k=args.k, method=m)
            lat[m].append(time.perf_counter() - t)
            split[m].append(dict(stages))
    emb.cache_clear() if hasattr(emb, "cache_clear") else None
    lat["ask"], split["ask"], refused = [], [], 0
    for q in queries:
        stages.clear()
        t = time.perf_counter()
        ans = a.ask(q)
        lat["ask"].append(time.perf_counter() - t)
        split["ask"].append(dict(stages))
        refused += bool(ans.refused)
    out["latency"] = {m: pct(v) for m, v in lat.items()}
    out["stages_ms"] = {
        m: {s: percentile([d.get(s, 0.0) for d in rows], 50) * 1000 for s in ("embed", "dense", "bm25", "fetch")}
        for m, rows in split.items()
    }
    for m, rows in split.items():
        other = [lat[m][i] - sum(rows[i].values()) for i in range(len(rows))]
        out["stages_ms"][m]["other"] = percentile(other, 50) * 1000
    out["refused"] = refused
    # the raw BM25 scorer alone (no query planning), to see how it grows with the index
    kw = idx.keyword()
    from assistant.text.thai import index_tokens

    toks = [index_tokens(q) for q in queries]
    t = time.perf_counter()
    for tk in toks:
        kw.search(tk, 60)
    out["bm25_raw_ms"] = (time.perf_counter() - t) / max(1, len(toks)) * 1000
    if args.profile:
        emb.cache_clear()
        prof = cProfile.Profile()
        prof.enable()
        for q in queries[: min(100, len(queries))]:
            a.ask(q)
        prof.disable()
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("cumulative").print_stats(25)
        out["profile"] = _trim_profile(buf.getvalue())
    out["rss_ready"] = rss_ready
    out["rss_after"] = _rss()
    if args.hnsw_sweep:  # last: it reopens the Chroma store
        emb.embed_query_vec, idx.dense = orig["embed"], orig["dense"]
        out["hnsw"] = hnsw_sweep(a, queries, [int(x) for x in args.hnsw_sweep.split(",")])
    if hasattr(emb, "cache_hits"):
        out["query_cache"] = {"hits": emb.cache_hits, "misses": emb.cache_misses}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def encoder_child(args: argparse.Namespace) -> None:
    """One backend in a fresh process: load time, passage throughput, query latency, RSS."""

    os.environ["ASSISTANT_BACKEND"] = args.backend
    from assistant.config import load_settings
    from assistant.model.embedding import load_embedder, resolve_model_dir

    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    queries = [q for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()][:40]
    s = load_settings()
    t = time.perf_counter()
    e = load_embedder(resolve_model_dir(s.model_path, s.model_dir), s.embed_batch, args.backend)
    e.count_tokens("x")
    load = time.perf_counter() - t
    e.embed_passages(texts[:4])
    t = time.perf_counter()
    e.embed_passages(texts)
    one = time.perf_counter() - t
    e.cache_clear()
    lat = []
    for q in queries:
        t = time.perf_counter()
        e.embed_query_vec(q)
        lat.append(time.perf_counter() - t)
    out = {"backend": args.backend, "load_s": load, "chunks_per_s": len(texts) / one, "query": pct(lat), "rss": _rss(),
           "torch_loaded": "torch" in sys.modules, "fingerprint": e.fingerprint}
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


def bench_backends(plan: Plan, texts: list[str], queries_file: Path) -> list[dict]:
    from assistant.model.embedding import BACKENDS

    tfile = plan.root / "encoder-texts.json"
    tfile.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    rows = []
    for b in BACKENDS:
        out = plan.root / f"encoder-{b}.json"
        out.unlink(missing_ok=True)
        log(f"backend {b}")
        res, wall, peak = run_child([sys.executable, "-m", "eval.bench", "encoder", "--backend", b, "--texts", str(tfile),
                                     "--queries", str(queries_file), "--out", str(out)])
        if res.returncode != 0 or not out.is_file():
            rows.append({"backend": b, "error": res.stderr[-500:]})
            continue
        rows.append({**json.loads(out.read_text(encoding="utf-8")), "rss_peak": peak})
    return rows


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _trim_profile(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    keep = [re.sub(r"/[^ ]*/site-packages/", "", re.sub(re.escape(str(ROOT)) + "/", "", line)) for line in lines[start:] if line.strip()]
    return "\n".join(keep[:26])


def hnsw_sweep(a, queries: list[str], efs: list[int]) -> dict:
    """Chroma's HNSW against exact (numpy) search over the same vectors: recall and latency per
    ef_search. A changed ef_search reaches only a client opened after the change (a loaded
    segment keeps its ef), so each setting reopens the store: run this last in a process."""
    vs = a.index.vectors
    n_total = vs.count()
    ids: list[str] = []
    parts: list[np.ndarray] = []
    for page_ids, vecs, _ in vs.pages(5000):
        ids += page_ids
        parts.append(vecs)
    mat = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    qs = queries[: min(100, len(queries))]
    qv = np.stack([a.embedder.embed_query_vec(q) for q in qs])
    n = min(60, n_total)  # what Index.dense asks Chroma for: candidates 50 + 10
    t = time.perf_counter()
    sims = qv @ mat.T
    exact = np.argsort(-sims, axis=1)[:, :n]
    exact_ms = (time.perf_counter() - t) / len(qs) * 1000
    exact_ids = [{ids[j] for j in row} for row in exact]
    exact10 = [{ids[j] for j in row[:10]} for row in exact]
    out = {"vectors": n_total, "exact_numpy_ms": exact_ms, "n_results": n, "rows": []}
    before = vs.search_ef
    out["ef_before"] = before
    for ef in efs:
        vs.set_search_ef(ef)
        vs.query(qv[0], n)
        times, r10, rn = [], [], []
        for i, v in enumerate(qv):
            t = time.perf_counter()
            res = vs.query(v, n)
            times.append(time.perf_counter() - t)
            got = [cid for cid, _ in res]
            r10.append(len(set(got[:10]) & exact10[i]) / max(1, min(10, n)))
            rn.append(len(set(got) & exact_ids[i]) / max(1, n))
        out["rows"].append({"ef_search": int(ef), "recall@10": float(np.mean(r10)), f"recall@{n}": float(np.mean(rn)),
                            **{k: v for k, v in pct(times).items() if k in ("p50", "p95")}})
    if before:
        vs.set_search_ef(before)
    out["rows"].sort(key=lambda r: r["ef_search"])
    return out


def bench_latency(plan: Plan, index_dir: Path, queries_file: Path, *, sweep: bool = False, profile: bool = False, chroma_url: str | None = None) -> dict:
    out = plan.root / f"latency-{index_dir.name}{'-server' if chroma_url else ''}.json"
    out.unlink(missing_ok=True)
    args = [sys.executable, "-m", "eval.bench", "worker", "--index", str(index_dir), "--queries", str(queries_file), "--out", str(out)]
    if sweep and plan.hnsw_sweep:
        args += ["--hnsw-sweep", ",".join(map(str, plan.hnsw_sweep))]
    if profile:
        args += ["--profile"]
    if chroma_url:
        args += ["--chroma-url", chroma_url]
    log(f"latency over {index_dir.name}{' via ' + chroma_url if chroma_url else ''}")
    res, wall, peak = run_child(args)
    if res.returncode != 0 or not out.is_file():
        raise RuntimeError(f"latency worker failed (exit {res.returncode}): {res.stderr[-3000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    data["wall_s"] = wall
    data["rss_peak"] = peak  # sampled from outside: ru_maxrss would include the parent's at fork
    return data


# ------------------------------------------------------------------ serve
def _http_get(port: int, path: str = "/", timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _gradio_ask(port: int, question: str, timeout: float = 120.0) -> float:
    """One question through the UI's API (gr.api 'ask'): POST starts it, GET streams the result."""
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = json.dumps({"data": [question, []]}, ensure_ascii=False).encode("utf-8")
    conn.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    event = data["event_id"]
    conn.request("GET", f"/gradio_api/call/ask/{event}")
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    conn.close()
    if "event: complete" not in text:
        raise RuntimeError(f"no answer: {text[:300]}")
    return time.perf_counter() - t


def bench_serve(plan: Plan, index_dir: Path, queries: list[str], asks: int = 20) -> dict:
    """`assistant serve`: seconds from the command to HTTP 200, RSS when ready and after questions."""
    port = free_port()
    args = [sys.executable, "-m", "assistant", "serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)]
    log(f"serve cold start over {index_dir.name} on port {port}")
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(), cwd=ROOT)
    mon = PeakRSS(proc.pid)
    out: dict = {"index": index_dir.name}
    try:
        ready = None
        while time.perf_counter() - t < 600:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}: {proc.stderr.read().decode('utf-8', 'replace')[-2000:]}")
            try:
                if _http_get(port) == 200:
                    ready = time.perf_counter() - t
                    break
            except OSError:
                pass
            time.sleep(0.1)
        out["ready_s"] = ready
        time.sleep(0.5)
        out["rss_ready"] = mon.last
        lat = []
        try:
            for q in queries[:asks]:
                lat.append(_gradio_ask(port, q))
        except Exception as exc:  # the UI's API changed: keep the other figures
            out["ask_error"] = f"{type(exc).__name__}: {exc}"[:300]
        out["ask_http"] = pct(lat)
        time.sleep(0.2)
        out["rss_after"] = mon.last
    finally:
        stop(proc)
        out["rss_peak"] = mon.stop()
    return out


# ------------------------------------------------------------------ chroma server
def chroma_binary() -> Path:
    return Path(sys.executable).parent / "chroma"


def start_chroma(path: Path, port: int, timeout: float = 60.0) -> subprocess.Popen:
    """`chroma run` on loopback; returns once its heartbeat answers."""
    exe = chroma_binary()
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chromadb.cli.cli"]
    proc = subprocess.Popen(cmd + ["run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(ANONYMIZED_TELEMETRY="False"))
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}: {proc.stderr.read().decode('utf-8', 'replace')[-1000:]}")
        try:
            if _http_get(port, "/api/v2/heartbeat") == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not answer its heartbeat")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def to_server(src: Path, dst: Path, url: str, fingerprint: str) -> int:
    """A copy of index `src` whose vectors live in a Chroma server: the catalog and keyword index
    travel as files, the vectors are upserted into the server's collection for `dst`."""
    from assistant.store.index import Index

    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("chroma", ".write.lock"))
    local = Index(src, None, fingerprint)
    remote = Index(dst, url, fingerprint)
    n = 0
    for ids, vecs, metas in local.vectors.pages(2000, metadatas=True):
        remote.vectors.bulk_add(ids, vecs, metas)
        n += len(ids)
    local.close()
    remote.close()
    return n


def bench_chroma_server(plan: Plan, index_dir: Path, queries_file: Path, fingerprint: str) -> dict:
    port = free_port()
    data_dir = plan.root / "chroma-server"
    shutil.rmtree(data_dir, ignore_errors=True)
    log(f"chroma server on port {port}")
    proc = start_chroma(data_dir, port)
    mon = PeakRSS(proc.pid)
    try:
        url = f"http://127.0.0.1:{port}"
        t = time.perf_counter()
        n = to_server(index_dir, plan.root / f"{index_dir.name}-server", url, fingerprint)
        load_s = time.perf_counter() - t
        lat = bench_latency(plan, plan.root / f"{index_dir.name}-server", queries_file, chroma_url=url)
    finally:
        stop(proc)
        peak = mon.stop()
    return {"vectors": n, "upload_s": load_s, "latency": lat, "server_rss_peak": peak}


# ------------------------------------------------------------------ the whole run
def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        import psutil

        mem = psutil.virtual_memory().total
    except Exception:
        pass
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("torch", "sentence-transformers", "onnxruntime", "chromadb", "bm25s", "gradio"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**30, 1), "python": platform.python_version(), "versions": versions}


def run(plan: Plan) -> dict:
    from assistant.config import load_settings
    from assistant.model.embedding import default_backend, load_embedder, resolve_model_dir

    t_start = time.perf_counter()
    plan.root.mkdir(parents=True, exist_ok=True)
    res: dict = {"date": dt.date.today().isoformat(), "started": dt.datetime.now().isoformat(timespec="seconds"),
                 "quick": plan.quick, "machine": machine(), "load_before": loadavg(), "backend": default_backend()}
    queries = load_queries(plan)
    qfile = plan.root / "queries.txt"
    qfile.write_text("\n".join(queries) + "\n", encoding="utf-8")
    res["queries"] = {"n": len(queries)}

    s = load_settings()
    model_dir = resolve_model_dir(s.model_path, s.model_dir)
    corpus = plan.root / ("seed" if plan.quick else "corpus")
    res["ingest"] = bench_ingest(plan, corpus)
    res["ingest"]["load_after"] = loadavg()
    embedder = load_embedder(model_dir, s.embed_batch)
    res["model"] = embedder.fingerprint
    log("raw encoder")
    sample, res["encoder"] = bench_encoder(plan, corpus, embedder)
    res["encoder"]["load_after"] = loadavg()
    res["ingest"]["ratio_to_encoder"] = res["ingest"]["chunks_per_s"] / res["encoder"]["chunks_per_s"] if res["encoder"]["chunks_per_s"] else 0.0

    scales: list[dict] = []
    n, d = count_chunks(corpus)
    scales.append({"name": corpus.name, "dir": corpus, "chunks": n, "documents": d, "built": "ingested (real text, real vectors)"})
    prev = corpus
    for target in plan.scales:
        name = f"s{target // 1000}k" if target % 1000 == 0 else f"s{target}"
        dst = plan.root / name
        log(f"build {name}: copy of {prev.name}, grown to {target} chunks")
        carried = harvest_vectors(dst) if plan.eval_corpora and prev == corpus else None
        copy_index(prev, dst)
        if carried:
            restore_vectors(dst, carried, embedder.fingerprint)
        how = []
        if plan.eval_corpora and prev == corpus and (plan.shared / "eval").is_dir():
            ev = ingest_eval_corpora(plan, dst, embedder)
            res.setdefault("eval_corpora", ev)
            reused = ev.get("chunks", 0) - ev.get("embedded", 0)
            how.append(f"+ {ev.get('chunks', 0)} chunks of the XQuAD/iApp paragraphs, really embedded"
                       + (f" ({reused} of the vectors kept from the previous run's index: same texts, same ids)" if reused > 0 else ""))
        g = grow(dst, target, embedder.fingerprint, plan.sigma, plan.seed + target)
        if g["added"]:
            how.append(f"+ {g['added']} synthetic chunks ({g.get('replicas', 0)} perturbed replicas of the real ones, {g['seconds']:.0f} s to write)")
        n, d = count_chunks(dst)
        scales.append({"name": name, "dir": dst, "chunks": n, "documents": d, "built": f"copy of {prev.name} " + "; ".join(how), "grow": g})
        prev = dst
    # the model is not needed in this process any more; free it before the measuring children start
    del embedder
    load_embedder.cache_clear()

    for i, sc in enumerate(scales):
        last = i == len(scales) - 1
        sc["size"] = index_sizes(sc["dir"])
        sc["latency"] = bench_latency(plan, sc["dir"], qfile, sweep=last, profile=last and plan.profile)
    if plan.backends:
        res["backends"] = bench_backends(plan, sample[: plan.backend_sample], qfile)
    if plan.serve:
        res["serve"] = [bench_serve(plan, scales[0]["dir"], queries)]
        if len(scales) > 1:
            res["serve"].append(bench_serve(plan, scales[-1]["dir"], queries))
    if plan.chroma_server:
        try:
            res["chroma_server"] = bench_chroma_server(plan, scales[0]["dir"], qfile, res["model"])
        except Exception as exc:
            res["chroma_server"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    for sc in scales:
        sc["dir"] = str(Path(sc["dir"]).relative_to(ROOT)) if Path(sc["dir"]).is_relative_to(ROOT) else str(sc["dir"])
    res["scales"] = scales
    res["load_after"] = loadavg()
    res["total_s"] = time.perf_counter() - t_start
    return res


# ------------------------------------------------------------------ report
def _mb(b: float | None) -> str:
    return "—" if not b else f"{b / 2**20:,.0f} MB"


def _f(x, nd=1) -> str:
    return "—" if x is None else f"{x:,.{nd}f}"


def summary_rows(res: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met) for the table printed at the end."""
    rows = []
    ing, enc = res["ingest"], res["encoder"]
    rows.append(("ingest throughput", f"{ing['docs_per_s']:.2f} docs/s, {ing['chunks_per_s']:.1f} chunks/s", "", ""))
    rows.append(("raw encoder", f"{enc['chunks_per_s']:.1f} chunks/s ({res['backend']})", "", ""))
    ratio = ing["ratio_to_encoder"]
    rows.append(("ingest / encoder", f"{ratio:.2f}", f"≥ {TARGETS['ingest_ratio']}", "yes" if ratio >= TARGETS["ingest_ratio"] else "NO"))
    scales = res["scales"]
    first, last = scales[0], scales[-1]
    for sc, key in ((first, "search_p95_corpus_ms"), (last, "search_p95_100k_ms")):
        p95 = sc["latency"]["latency"]["hybrid"]["p95"]
        target = TARGETS[key]
        applies = key == "search_p95_corpus_ms" or sc["chunks"] >= 90_000
        rows.append((f"search p95, hybrid, {sc['chunks']:,} chunks", f"{p95:.0f} ms", f"≤ {target:.0f} ms" if applies else "",
                     ("yes" if p95 <= target else "NO") if applies else ""))
    for sc in scales:
        lat = sc["latency"]["latency"]
        rows.append((f"ask p50 / p95, {sc['chunks']:,} chunks", f"{lat['ask']['p50']:.0f} / {lat['ask']['p95']:.0f} ms", "", ""))
    if res.get("serve"):
        sv = res["serve"][0]
        rss = max(sv.get("rss_peak") or 0, sv.get("rss_after") or 0)
        rows.append((f"serve ready ({sv['index']})", f"{_f(sv.get('ready_s'))} s", f"≤ {TARGETS['serve_ready_s']:.0f} s",
                     "yes" if sv.get("ready_s") and sv["ready_s"] <= TARGETS["serve_ready_s"] else "NO"))
        rows.append((f"serve peak RSS ({sv['index']})", _mb(rss), f"≤ {TARGETS['serve_rss_mb']:.0f} MB",
                     "yes" if rss and rss / 2**20 <= TARGETS["serve_rss_mb"] else "NO"))
        for sv in res["serve"][1:]:
            rss = max(sv.get("rss_peak") or 0, sv.get("rss_after") or 0)
            rows.append((f"serve ready / peak RSS ({sv['index']})", f"{_f(sv.get('ready_s'))} s / {_mb(rss)}", "", ""))
    rows.append(("ingest peak RSS", _mb(ing["peak_rss"]), "", ""))
    rows.append(("index on disk", ", ".join(f"{sc['chunks']:,}: {_mb(sc['size']['total'])}" for sc in scales), "", ""))
    return rows


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def plain_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)])


def render(res: dict) -> str:
    m = res["machine"]
    ing, enc = res["ingest"], res["encoder"]
    md = [f"# Benchmark {res['date']}{' (quick)' if res['quick'] else ''}", ""]
    md.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". Backend `{res['backend']}`, model `{res['model']}`. Load average (1/5/15 min) before "
        f"{res['load_before']}, after {res['load_after']}. Whole run {res['total_s'] / 60:.1f} min. "
        f"{res['queries']['n']} distinct Thai queries. Produced by `make bench{' QUICK=1' if res['quick'] else ''}` (eval/bench.py)."
    )
    md += ["", "## Summary", "", table(summary_rows(res), ("figure", "value", "target", "met")), ""]

    md += ["## Ingest", ""]
    md.append(
        f"`assistant ingest {' '.join(ing['sources'])}` into an empty index, as a child process: {ing['files']} files, "
        f"{ing['documents']} documents, {ing['chunks']:,} chunks ({ing['embedded']:,} embedded), {ing['failures']} failures. "
        f"Wall {ing['wall_s']:.1f} s: {ing['pipeline_s']:.1f} s in the pipeline's stages and {ing['startup_s']:.1f} s around them "
        f"(imports, opening the index, and loading the model, {ing['model_load_s']:.1f} s when timed alone in a fresh process; "
        "the CLI loads it at the first chunk, so it is taken out of `chunk` below)."
    )
    md.append("")
    rows = [
        ("documents/s (pipeline)", f"{ing['docs_per_s']:.2f}"),
        ("chunks/s (pipeline)", f"{ing['chunks_per_s']:.2f}"),
        ("chunks/s (wall, with start-up)", f"{ing['chunks_per_s_wall']:.2f}"),
        (f"raw encoder, one call over {enc['texts']} of these chunks (length-sorted, batch {enc['batch_size']})", f"{enc['chunks_per_s']:.2f} chunks/s"),
        (f"raw encoder, the same texts length-sorted in slices of {enc['slice']} (the pipeline's calls)", f"{enc['chunks_per_s_sliced']:.2f} chunks/s"),
        ("ratio pipeline / raw encoder", f"{ing['ratio_to_encoder']:.2f}"),
        ("load average (1/5/15 min) after the ingest / after the encoder runs", f"{ing.get('load_after')} / {enc.get('load_after')}"),
        ("mean passage length", f"{enc['tokens_mean']:.0f} model tokens"),
        ("peak RSS of `assistant ingest`", _mb(ing["peak_rss"])),
    ]
    md += [table(rows, ("figure", "value")), ""]
    total = sum(ing["stages"].values()) or 1.0
    md += [table([(k, f"{v:.1f}", f"{100 * v / total:.1f} %") for k, v in ing["stages"].items()], ("stage", "seconds", "share")), ""]
    md.append("`normalise` is measured by loading the same files again with the normaliser timed; the pipeline reports it inside `load`.")
    md.append("")

    md += ["## Search and ask latency (warm)", ""]
    for sc in res["scales"]:
        md.append(f"- **{sc['name']}**: {sc['chunks']:,} chunks in {sc['documents']:,} documents — {sc['built']}.")
    md.append("")
    rows = []
    for sc in res["scales"]:
        lat = sc["latency"]["latency"]
        for meth in (*RANKERS, "ask"):
            p = lat[meth]
            rows.append((f"{sc['chunks']:,}", "ask (hybrid + answer)" if meth == "ask" else f"search {meth}", p["n"], f"{p['p50']:.1f}", f"{p['p95']:.1f}", f"{p['p99']:.1f}", f"{p['mean']:.1f}"))
    md += [table(rows, ("chunks", "call", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms")), ""]
    md.append("Medians of the stages inside one call (ms): query embedding, Chroma (dense, incl. the catalog check), BM25, passage fetch from the catalog, and the rest (query planning, fusion, answer):")
    md.append("")
    rows = []
    for sc in res["scales"]:
        st = sc["latency"]["stages_ms"]
        for meth in ("hybrid", "ask"):
            s_ = st[meth]
            rows.append((f"{sc['chunks']:,}", meth, *(f"{s_[k]:.1f}" for k in ("embed", "dense", "bm25", "fetch", "other"))))
    md += [table(rows, ("chunks", "call", "embed", "dense", "bm25", "fetch", "other")), ""]
    rows = []
    for sc in res["scales"]:
        L, z = sc["latency"], sc["size"]
        rows.append((f"{sc['chunks']:,}", _mb(z["total"]), _mb(z["chroma"]), _mb(z["catalog"]), _mb(z["keyword"]),
                     f"{L['bm25_raw_ms']:.2f}", f"{L['load_s']:.1f}", f"{L['first_answer_s']:.1f}", _mb(L["rss_ready"]), _mb(L["rss_after"]), _mb(L["rss_peak"])))
    md += [table(rows, ("chunks", "index on disk", "chroma", "catalog", "keyword", "BM25 scorer ms/query", "model+index load s", "first answer s", "RSS ready", "RSS after queries", "RSS peak")), ""]
    md.append("RSS of the answering process: when warm, after all the queries, and its peak sampled from outside every 50 ms (at the largest size the peak includes the HNSW sweep and the cProfile run, which load every vector into numpy).")
    md.append("")

    hn = res["scales"][-1]["latency"].get("hnsw")
    if hn and hn.get("rows"):
        n = hn["n_results"]
        md += [f"## HNSW ef_search at {hn['vectors']:,} vectors", ""]
        md.append(f"Dense search asks Chroma for {n} neighbours (50 candidates + 10). Recall against exact search (numpy, {hn['exact_numpy_ms']:.1f} ms/query):")
        md.append("")
        md += [table([(r["ef_search"], f"{r['recall@10']:.3f}", f"{r[f'recall@{n}']:.3f}", f"{r['p50']:.1f}", f"{r['p95']:.1f}") for r in hn["rows"]],
                     ("ef_search", "recall@10", f"recall@{n}", "p50 ms", "p95 ms")), ""]
        if hn.get("error"):
            md += [f"(sweep stopped: {hn['error']})", ""]

    if res.get("backends"):
        md += ["## Embedding backends (same chunk texts, each in a fresh process)", ""]
        rows = []
        for b in res["backends"]:
            if b.get("error"):
                rows.append((b["backend"], "failed", "", "", "", ""))
                continue
            rows.append((f"`{b['backend']}`" + (" (in use)" if b["backend"] == res["backend"] else ""), f"{b['load_s']:.1f}",
                         f"{b['chunks_per_s']:.1f}", f"{b['query']['p50']:.1f} / {b['query']['p95']:.1f}", _mb(b["rss_peak"]),
                         "yes" if b["torch_loaded"] else "no"))
        md += [table(rows, ("backend", "load s", "passages/s", "query embed p50 / p95 ms", "peak RSS", "torch imported")), ""]
        md.append(f"Passages: {len(res['backends'])} backends × the first {min(res['encoder']['texts'], 200)} chunks of the encoder sample; queries: the first 40 benchmark queries, one at a time. Retrieval quality per backend: docs/scaling.md.")
        md.append("")
    if res.get("serve"):
        md += ["## `assistant serve`", ""]
        rows = []
        for sv in res["serve"]:
            a = sv.get("ask_http") or {}
            rows.append((sv["index"], _f(sv.get("ready_s")), _mb(sv.get("rss_ready")), _mb(sv.get("rss_after")), _mb(sv.get("rss_peak")),
                         f"{a['p50']:.0f} / {a['p95']:.0f}" if a.get("n") else sv.get("ask_error", "—")))
        md += [table(rows, ("index", "ready s (to HTTP 200)", "RSS ready", "RSS after 20 questions", "RSS peak", "ask via HTTP p50 / p95 ms")), ""]
        md.append("Ready = from starting the command to the first HTTP 200 on its port; serve loads the model and warms the index before it listens.")
        md.append("")

    cs = res.get("chroma_server")
    if cs:
        md += ["## Chroma server mode", ""]
        if cs.get("error"):
            md += [f"Not measured: {cs['error']}", ""]
        else:
            local = res["scales"][0]["latency"]["latency"]
            remote = cs["latency"]["latency"]
            md.append(f"The corpus index with its {cs['vectors']:,} vectors in a `chroma run` server on loopback (upload {cs['upload_s']:.1f} s); catalog and keyword index as files. Server peak RSS {_mb(cs['server_rss_peak'])}.")
            md.append("")
            rows = [(m_, f"{local[m_]['p50']:.1f} / {local[m_]['p95']:.1f}", f"{remote[m_]['p50']:.1f} / {remote[m_]['p95']:.1f}") for m_ in ("dense", "hybrid", "ask")]
            md += [table(rows, ("call", "embedded p50 / p95 ms", "server p50 / p95 ms")), ""]

    prof = res["scales"][-1]["latency"].get("profile")
    if prof:
        md += [f"## Profile: 100 asks at {res['scales'][-1]['chunks']:,} chunks (cProfile, cumulative)", "", "```", prof, "```", ""]
    if res.get("eval_corpora"):
        ev = res["eval_corpora"]
        md += [f"The benchmark corpora added at the second size: {ev['documents']} paragraphs, {ev['chunks']} chunks ({ev.get('embedded', 0)} embedded in this run) in {ev['seconds']:.0f} s.", ""]
    md += ["## How the sizes are built", "",
           "The first index is a real ingest. Each larger one is a copy of the one before, grown: at the second size the XQuAD "
           "and iApp paragraphs from ../shared/eval are ingested for real (text and vectors); the rest, to the target size, "
           "is synthetic-but-real: copies of real chunks with their sentences shuffled, their stored keyword tokens shuffled "
           "with ~10 % dropped, and their real vectors plus Gaussian noise (σ = 0.02 per dimension, renormalised; cosine to "
           "the original ≈ 0.93), written straight into the catalog, Chroma and the keyword index (embedding 100k chunks on "
           "2 cores would take hours). Latency and memory are what such an index costs; retrieval quality at that size is not measured here.", ""]
    return "\n".join(md)


def write_report(res: dict, reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"bench-{res['date']}{'-quick' if res['quick'] else ''}.md"
    path.write_text(render(res), encoding="utf-8")
    (reports / f"bench-{res['date']}{'-quick' if res['quick'] else ''}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> Path | None:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0])
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


if __name__ == "__main__":
    main()
