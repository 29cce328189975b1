"""The rankers table: name → rank(context, plan, n). `dense` and `bm25` rank by themselves;
`hybrid` fuses the rankers named in Settings.fusion by weighted reciprocal-rank fusion, a
passage that stands far out of a ranker's own list keeping its lead (`standouts`), and the
first few reordered by how far each list prefers them (`by_scores`). The CLI,
the API and the benchmarks all read this one table; a new ranker is one function registered here
(or from any module) with `@register_ranker("name")`."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.registry import registrar
from assistant.schema import QueryPlan

Ranking = list[tuple[str, float]]  # (chunk id, score), best first


@dataclass
class RankContext:
    index: Any  # store.index.Index
    embedder: Any  # model.embedding.Embedder
    settings: Any  # config.Settings


@dataclass
class Ranked:
    items: Ranking
    # Each base ranker's own list, so a hit shows its dense and BM25 scores (the refusal rule reads dense).
    parts: dict[str, Ranking] = field(default_factory=dict)

    @property
    def fused(self) -> bool:
        return len(self.parts) > 1


Ranker = Callable[[RankContext, QueryPlan, int], Ranked]
RANKERS: dict[str, Ranker] = {}
register_ranker = registrar(RANKERS)


def check_method(method: str) -> None:
    if method not in RANKERS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(RANKERS)}")


def rrf(rankings: dict[str, list[str]], weights: dict[str, float], k: int = 60) -> Ranking:
    """Weighted reciprocal-rank fusion: sum over lists of weight / (k + rank)."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, 1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


# hybrid first: the default, listed first wherever the table is shown
@register_ranker("hybrid")
def hybrid(ctx: RankContext, plan: QueryPlan, n: int) -> Ranked:
    s = ctx.settings
    parts: dict[str, Ranking] = {}
    for name in s.fusion:
        if getattr(s, f"{name}_weight", 1.0):  # a weight of 0 switches a ranker off
            parts.update(RANKERS[name](ctx, plan, n).parts)
    weights = {name: getattr(s, f"{name}_weight", 1.0) for name in parts}
    fused = rrf({name: [c for c, _ in items] for name, items in parts.items()}, weights, s.rrf_k)
    zs = {name: _z_scores(items) for name, items in parts.items()}  # read by both steps below
    fused = standouts(fused, parts, weights, s.standout_z, s.standout_share, zs)
    rescore = dict(zip(s.fusion, s.rescore_weights))
    return Ranked(by_scores(fused, parts, {name: rescore.get(name, weights[name]) for name in parts}, s.rescore_top, zs), parts)


def standouts(fused: Ranking, parts: dict[str, Ranking], weights: dict[str, float], z: float, share: float,
              zs: dict | None = None) -> Ranking:
    """`fused`, with each passage that stands out of a ranker's own list (its score more than `z`
    standard deviations above the list's mean) raised by `share` of the top fused score per
    deviation beyond `z`, times the ranker's weight (`zs`: each list's _z_scores, when already
    computed). Rank fusion keeps only places: a BM25 list whose best passage holds every rare word
    of the question and a dense list with ten near-equal passages count the same; this gives the
    clear winner back its lead."""
    if not share or not fused:
        return fused
    top = fused[0][1]
    scores = dict(fused)
    for name, items in parts.items():
        zn = zs[name] if zs is not None else _z_scores(items)  # None: too few scores to say what is usual
        for cid, zc in (zn[0].items() if zn else ()):
            above = zc - z
            if above > 0:
                scores[cid] += share * top * weights.get(name, 1.0) * above
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _z_scores(items: Ranking) -> tuple[dict[str, float], float] | None:
    """Each passage's score in a ranker's list in standard deviations from the list's mean, and
    the lowest (for a passage the list does not hold); None when the list cannot say."""
    if len(items) < 3:
        return None
    values = [v for _, v in items]
    mean, sd = statistics.fmean(values), statistics.pstdev(values)
    if not sd:
        return None
    return {c: (v - mean) / sd for c, v in items}, (min(values) - mean) / sd


def by_scores(fused: Ranking, parts: dict[str, Ranking], weights: dict[str, float], top: int,
              zs: dict | None = None) -> Ranking:
    """`fused` with its first `top` passages reordered by the weighted sum of their z-scores in each
    ranker's list; their fused scores stay, handed out in the new order. Rank fusion decides which
    few passages lead; between those, how far each list prefers one (BM25 12.7 against 8.0, dense
    0.86 against 0.88) decides better than the places alone. `zs`: each list's _z_scores, when
    already computed."""
    if top < 2 or len(fused) < 2:
        return fused
    head = [c for c, _ in fused[:top]]
    total = dict.fromkeys(head, 0.0)
    for name, items in parts.items():
        z = zs[name] if zs is not None else _z_scores(items)
        if z is None:
            continue
        by, low = z
        for c in head:
            total[c] += weights.get(name, 1.0) * by.get(c, low)
    order = sorted(head, key=lambda c: -total[c])  # stable: a tie keeps the fused order
    scores = [sc for _, sc in fused[:top]]
    return list(zip(order, scores)) + fused[top:]


@register_ranker("dense")
def dense(ctx: RankContext, plan: QueryPlan, n: int) -> Ranked:
    items = ctx.index.dense(ctx.embedder.embed_query_vec(plan.dense_text), n)
    return Ranked(items, {"dense": items})


@register_ranker("bm25")
def bm25(ctx: RankContext, plan: QueryPlan, n: int) -> Ranked:
    items = ctx.index.bm25(plan.tokens, n, plan.extra_tokens, ctx.settings.expansion_weight)
    return Ranked(items, {"bm25": items})


@register_ranker("window")
def window(ctx: RankContext, plan: QueryPlan, n: int) -> Ranked:
    """BM25 of each chunk's window (the chunk and its neighbours in its document, store/keyword.py)."""
    items = ctx.index.bm25(plan.tokens, n, plan.extra_tokens, ctx.settings.expansion_weight, window=True)
    return Ranked(items, {"window": items})
