"""Retrieval and answer metrics. Pure functions over plain data, so they are easy to test."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Compare text ignoring whitespace, NBSP and C1 debris: passages are unwrapped at ingest."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if not (0x80 <= ord(ch) <= 0x9F) and ch not in "\u200b\ufeff")
    return _WS.sub("", text.replace("\u00a0", " "))


def relevant(doc_id: str, text: str, gold_doc_ids: list[str], evidence: list[str], ngram: bool = False) -> bool:
    """Passage level: from a gold document and containing one of the evidence strings — exactly,
    or with `ngram` (the blind set's rule) at least 60 % of one string's character 4-grams
    (whitespace removed, Thai digits folded), so evidence cut by a chunk boundary still counts."""
    if doc_id not in gold_doc_ids:
        return False
    if not evidence:
        return True
    if ngram:
        body = fold(text)
        for e in evidence:
            grams = {g for g in _grams(fold(e))}
            if grams and sum(1 for g in grams if g in body) / len(grams) >= 0.6:
                return True
        return False
    body = squash(text)
    return any(squash(e) in body for e in evidence)


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def fold(text: str) -> str:
    """squash, and Thai digits as Arabic."""
    return squash(text).translate(_THAI_DIGITS)


def _grams(text: str, n: int = 4) -> list[str]:
    return [text[i : i + n] for i in range(max(len(text) - n + 1, 1))]


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


def contains_key(answer: str, keys: list[str], every: bool = False) -> bool:
    """Any key (the project's own sets list alternatives) or, with `every`, all of them (the blind
    set's keys are the facts a correct answer must state)."""
    body = fold(answer)
    found = [fold(k) in body for k in keys]
    return all(found) if every else any(found)


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
