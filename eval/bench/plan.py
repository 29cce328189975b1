"""What a benchmark run covers (`Plan`), where it reads and writes, the targets it is held to,
and the Thai questions it asks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
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
