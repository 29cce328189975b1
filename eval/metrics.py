"""Retrieval and answer metrics. Pure functions over plain data, so they are easy to test."""

from __future__ import annotations

import math
import statistics

# Passage relevance and answer keys are the review tab's rules too: they live in the library.
from assistant.judge import contains_key, fold, relevant, squash  # noqa: F401


def doc_level(ranked_doc_ids: list[str]) -> list[str]:
    """First occurrence of each document, in rank order (for paragraph-level benchmarks)."""
    seen, out = set(), []
    for d in ranked_doc_ids:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def recall_at(rels: list[bool], k: int) -> float:
    return 1.0 if any(rels[:k]) else 0.0


def mrr_at(rels: list[bool], k: int = 10) -> float:
    for i, r in enumerate(rels[:k], 1):
        if r:
            return 1.0 / i
    return 0.0


def ndcg_at(rels: list[bool], k: int = 10, n_relevant: int = 1) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(rels[:k], 1) if r)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(max(n_relevant, 1), k) + 1))
    return dcg / ideal if ideal else 0.0


def multi_recall_at(per_gold: list[list[bool]], k: int) -> float:
    """For multi-document questions: share of gold documents whose evidence is in the top k."""
    if not per_gold:
        return 0.0
    return sum(1.0 for rels in per_gold if any(rels[:k])) / len(per_gold)


def percentile(values, p: float, empty: float = 0.0) -> float:
    """The p-th percentile (0-100) by linear interpolation between the closest ranks: the value
    at position (n - 1) * p / 100 of the sorted values, interpolated between its two neighbours
    (numpy's default, "type 7"; p50 of [1, 2, 3, 4] is 2.5). The one definition every report
    uses (eval harness, `make load`, `make bench`), so a p95 means the same in all of them.
    `empty` is returned when there are no values."""
    s = sorted(values)
    if not s:
        return empty
    k = p / 100 * (len(s) - 1)
    lo = min(int(k), len(s) - 1)
    hi = min(lo + 1, len(s) - 1)
    a, b, t = s[lo], s[hi], k - lo
    # numpy's lerp: from the nearer end, so the figures match np.percentile to the last bit
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def mean(values) -> float:
    values = list(values)
    return statistics.fmean(values) if values else 0.0
