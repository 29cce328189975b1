"""Retrieval, the stage between query understanding and the answer: follows a QueryPlan through a
ranker of the rankers table, boosts the documents the question names, applies the guideline filter
and the per-document cap, and returns a Retrieval (hits + plan + evidence)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from assistant.answer.evidence import evidence_for
from assistant.config import Settings
from assistant.knowledge.glossary import squash
from assistant.model.relevance import shipped as shipped_relevance
from assistant.model.style import shipped as shipped_style
from assistant.query.qtype import analyse, asks_about_law
from assistant.query.specifics import specifics
from assistant.query.understand import QueryUnderstanding, is_act_title
from assistant.retrieve.rankers import RANKERS, RankContext, check_method
from assistant.schema import Hit, ItemHit, QueryPlan, Retrieval, is_commentary, joined_text
from assistant.store.index import Index
from assistant.text.definitions import definitions, defines
from assistant.text.thai import fold_digits


def cap_per_doc(items: list[tuple[str, float]], doc_of: dict[str, str], cap: int, k: int,
                exempt: dict[str, int] | None = None) -> list[tuple[str, float]]:
    """Keep the ranking but let no document fill more than `cap` of the first k places (`exempt`:
    documents with their own cap)."""
    if cap <= 0:
        return items[:k]
    exempt = exempt or {}
    kept, overflow, counts = [], [], {}
    for cid, s in items:
        d = doc_of.get(cid, cid)
        if counts.get(d, 0) < exempt.get(d, cap):
            counts[d] = counts.get(d, 0) + 1
            kept.append((cid, s))
        else:
            overflow.append((cid, s))
        if len(kept) == k:
            break
    return (kept + overflow)[:k]


def keep_an_act(ranked: list[tuple[str, float]], pool: list[tuple[str, float]], chunks: dict, slot: int,
                k: int) -> list[tuple[str, float]]:
    """The first `slot` places hold an Act's passage: when none does, the best-ranked one in `pool`
    takes the last of them (news about a law must not crowd out the law)."""
    if any(is_act_title(chunks[c].title) for c, _ in ranked[:slot]):
        return ranked
    act = next(((c, sc) for c, sc in pool if is_act_title(chunks[c].title)), None)
    if act is None:
        return ranked
    rest = [x for x in ranked if x[0] != act[0]]
    return (rest[: slot - 1] + [act] + rest[slot - 1 :])[:k]


def join_units(items: list[tuple[str, float]], chunks: dict, most: int) -> tuple[list[tuple[str, float]], dict[str, list[str]]]:
    """Chunks of one unit — an Act's section, a news item's paragraph: the same non-empty location
    in one document, next to each other — found together are one hit, ranked where its best chunk
    was. Returns the ranking with each unit once (under its best chunk's id) and, per such id, the
    unit's chunk ids in document order (at most `most`)."""
    if most <= 1:
        return list(items), {}
    units: dict[str, list[str]] = {}
    leaders: dict[tuple[str, str], list[str]] = {}
    out = []
    for cid, sc in items:
        ch = chunks.get(cid)
        if ch is not None and ch.location:
            key = (ch.doc_id, ch.location)
            lead = next((c for c in leaders.get(key, []) if len(units[c]) < most
                         and any(abs(chunks[m].ordinal - ch.ordinal) == 1 for m in units[c])), None)
            if lead is not None:
                units[lead].append(cid)
                continue
            leaders.setdefault(key, []).append(cid)
            units[cid] = [cid]
        out.append((cid, sc))
    return out, {c: sorted(u, key=lambda m: chunks[m].ordinal) for c, u in units.items() if len(u) > 1}


class Retriever:
    """`preferred`: per enumeration label, the documents whose items a question means first (the
    guidelines file names the document that states the ten แนวทาง)."""

    def __init__(self, index: Index, embedder: Any, settings: Settings, understanding: QueryUnderstanding | None = None,
                 preferred: dict[str, list[str]] | None = None, notes: dict[tuple[str, str], dict[int, str]] | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.understanding = understanding or QueryUnderstanding(index, settings)
        self.context = RankContext(index, embedder, settings)
        self.preferred = preferred or {}
        # (label stem, doc id) → item number → what the item is about, beyond its title (the
        # guidelines file's descriptions): which item a question means is judged on it too.
        self.notes = notes or {}
        self._item_vecs: dict[str, Any] = {}

    def retrieve(
        self, plan: QueryPlan, k: int | None = None, method: str = "hybrid", allowed: set[str] | None = None
    ) -> Retrieval:
        """`allowed`: only these chunk ids may be returned (a guideline filter); None → all."""
        check_method(method)
        if plan.parts:
            return self._retrieve_parts(plan, k, method, allowed)
        s = self.settings
        k = k or s.k
        n = max(s.candidates, k)
        if allowed is not None:  # look deeper: the filter drops most candidates
            n = max(n * 4, k * 10)
        ranked = RANKERS[method](self.context, plan, n)
        fused = ranked.items
        chunks = self.index.chunks([c for c, _ in fused[: n * 2]])
        guidance = self.understanding.knowledge().guidance
        if ranked.fused and fused:
            # Fixed shares of the top score: a question that names an Act moves its passages up;
            # the guidance itself outranks related material about it; an Act's rationale notes and
            # footnotes rank as commentary, below its sections (eval: blind dev set).
            top = fused[0][1]
            named = set(plan.boost_docs) if s.doc_boost else set()
            # A number the question names ("ข้อ ๒๗", "พ.ศ. 2562") that a guidance passage lacks
            # means another document is meant.
            numbers = re.findall(r"\d+", fold_digits(plan.text))
            # And a guidance passage much further from the question than the best passage is not
            # what it asks about (an exact match elsewhere keeps its place).
            dense = dict(ranked.parts.get("dense", []))
            near = max(dense.values(), default=0.0) - s.guidance_margin
            bm25 = dict(ranked.parts.get("bm25", []))
            strong = s.guidance_bm25_share * max(bm25.values(), default=0.0)

            def bumped(c: str, sc: float) -> float:
                ch = chunks.get(c)
                if ch is None:
                    return sc
                preferred = (ch.doc_id in guidance and (dense.get(c, 0.0) >= near or bm25.get(c, 0.0) >= strong > 0)
                             and _holds(ch.text, numbers))
                return (sc + s.doc_boost_share * top * (ch.doc_id in named) + s.guidance_share * top * preferred
                        - s.commentary_share * top * is_commentary(ch.location))

            fused = sorted(((c, bumped(c, sc)) for c, sc in fused), key=lambda kv: (-kv[1], kv[0]))
        if allowed is not None:
            fused = [(c, sc) for c, sc in fused if c in allowed]
        doc_of = {cid: ch.doc_id for cid, ch in chunks.items()}
        fused_all = [(c, sc) for c, sc in fused if c in chunks]
        pool, units = join_units(fused_all, chunks, s.unit_chunks)
        fused = cap_per_doc(pool, doc_of, s.per_doc_cap, k, dict.fromkeys(guidance, s.guidance_cap))
        if s.act_slot and asks_about_law(plan.text):
            fused = keep_an_act(fused, pool, chunks, s.act_slot, k)
        part_scores = {name: dict(items) for name, items in ranked.parts.items()}
        hits = []
        for rank, (cid, score) in enumerate(fused, 1):
            ch = chunks[cid]
            hit = _as_hit(ch, round(float(score), 6), rank)
            hit.scores = {name: sc[cid] for name, sc in part_scores.items() if cid in sc}
            if cid in units:
                hit.chunk_text, hit.text = hit.text, joined_text([chunks[m] for m in units[cid]])
            hits.append(hit)
        if "dense" in ranked.parts:
            self._relevance(plan, hits)
        # Only a question that names a year or a province, or asks when or where (a news release's
        # dateline), reads the documents' openings.
        read = hits[: max(s.answer_passages, s.answer_context)]
        dated = specifics(plan.text) or analyse(plan.asked or plan.text).kind in ("when", "where")
        openings = self._openings(read, chunks) if dated else {}
        r = Retrieval(plan, hits, evidence_for(plan.text, hits, s.answer_passages, plan.expansions, plan.unknown, openings),
                      asking=self._asking(plan) if "dense" in ranked.parts else None)
        # a section's other chunks keep the scores they were found with
        members = {m for u in units.values() for m in u}
        found = {c: round(float(sc), 6) for c, sc in fused_all if c in members}
        r.context = self._neighbours(hits[: s.answer_context], chunks, units, found)
        r.openings = openings
        r.items = self._items(plan, hits)
        return r

    def _retrieve_parts(self, plan: QueryPlan, k: int | None, method: str, allowed: set[str] | None) -> Retrieval:
        """The whole question and each part searched on its own; the hits interleaved list by list,
        the whole question's first, so its best passage still leads and every part keeps its best
        passages in the top k (the part lists alone pushed the whole question's best down: blind
        MRR@10 0.793 against 0.830 whole-first, two-document all-docs@5 the same; docs/answers.md)."""
        k = k or self.settings.k
        parts = [self.retrieve(p, k, method, allowed) for p in plan.parts]
        whole = self.retrieve(replace(plan, parts=[]), k, method, allowed)
        hits, seen = [], set()
        for rank in range(k):
            for pr in [whole] + parts:
                if rank < len(pr.hits) and pr.hits[rank].chunk_id not in seen and len(hits) < k:
                    seen.add(pr.hits[rank].chunk_id)
                    hits.append(replace(pr.hits[rank], rank=len(hits) + 1))
        s = self.settings
        r = Retrieval(plan, hits, evidence_for(plan.text, hits, s.answer_passages, plan.expansions, plan.unknown),
                      parts=parts, asking=whole.asking)
        for pr in [whole] + parts:
            r.context.update(pr.context)
            r.openings.update(pr.openings)
        return r

    def _relevance(self, plan: QueryPlan, hits: list[Hit]) -> None:
        """Each hit's learned similarity to the question (model/relevance.py), for the answerability
        model: its question vector is the dense search's, cached."""
        rel = shipped_relevance(self.index.model_fingerprint)
        vecs = self.index.vectors_of([h.chunk_id for h in hits]) if rel is not None and hits else {}
        have = [h for h in hits if h.chunk_id in vecs]
        if not have:
            return
        q = np.asarray(self.embedder.embed_query_vec(plan.dense_text))
        for h, sc in zip(have, rel.scores(q, np.stack([vecs[h.chunk_id] for h in have]))):
            h.scores["relevance"] = round(float(sc), 6)

    def _asking(self, plan: QueryPlan) -> float | None:
        """How far the question's style is above a request's (model/style.py), from the dense
        search's question vector (cached)."""
        style = shipped_style(self.index.model_fingerprint)
        if style is None:
            return None
        return round(style.margin(self.embedder.embed_query_vec(plan.dense_text)), 6)

    def _openings(self, hits: list[Hit], chunks: dict) -> dict[str, Hit]:
        """The first chunk of each hit's document (a news item's dateline, an Act's title), by
        document id."""
        out = {h.doc_id: h for h in hits if chunks[h.chunk_id].ordinal == 0}
        for d in dict.fromkeys(h.doc_id for h in hits if h.doc_id not in out):
            out.update((d, _as_hit(c, 0.0, 0)) for c in self.index.catalog.chunks_at(d, [0]))
        return out

    def _neighbours(self, hits: list[Hit], chunks: dict, units: dict[str, list[str]] | None = None,
                    scores: dict[str, float] | None = None) -> dict[str, list[Hit]]:
        """The chunks before and after each hit in its document (an answer may sit just across a
        chunk boundary: small-to-big), and the rest of the section a joined hit stands for, at the
        scores they were found with (`scores`). (Every hit's whole Act section was measured: one
        blind question fewer.)"""
        out, scores = {}, scores or {}
        for h in hits:
            ordinal = chunks[h.chunk_id].ordinal
            near = self.index.catalog.chunks_at(h.doc_id, [ordinal - 1, ordinal + 1])
            # and the rest of the section or paragraph the hit stands for
            near += [chunks[m] for m in (units or {}).get(h.chunk_id, []) if abs(chunks[m].ordinal - ordinal) > 1]
            out[h.chunk_id] = [_as_hit(c, scores.get(c.chunk_id, h.score), h.rank) for c in sorted(near, key=lambda c: c.ordinal)]
        return out

    def _items(self, plan: QueryPlan, hits: list[Hit]) -> list[ItemHit]:
        """The enumerated items or Act sections the question addresses, from the document that
        numbers them: a named Act, else a preferred document, else the best-ranked one."""
        kn = self.understanding.knowledge()
        top = hits[0].score if hits else 1.0
        if plan.defines:
            defined = self._definition(plan, hits, kn)
            if defined:
                return defined
        if not plan.asked_items and not plan.items:
            return []
        found: list[tuple[str, int, str, str, int, str]] = []  # label, number, text, chunk id, series length, marker
        for label, n in plan.items:
            if label != "มาตรา":
                continue
            for doc in plan.boost_docs:
                cid = kn.sections.get(doc, {}).get(int(n))
                if cid:
                    found.append((label, int(n), "", cid, 0, ""))
                    break
        if plan.asked_items:
            st, nums = plan.asked_items
            docs = kn.enumerations.get(st, {})
            first_hit = {}
            for h in hits:
                first_hit.setdefault(h.doc_id, h.rank)
            pref = self.preferred.get(st, [])

            def order(doc: str):
                return (doc not in plan.boost_docs, doc not in pref, first_hit.get(doc, 10**6), -len(docs[doc]), doc)

            # Only a document the question names, a preferred one, or one among the passages the
            # answer reads: the longest series elsewhere in the corpus, or in a passage ranked ninth,
            # is not what the question is about ("Green Digital Policy มี 3 ยุทธศาสตร์อะไรบ้าง" is
            # not the budget news's "ยุทธศาสตร์ที่ 1 … 6").
            read = {d for d, rank in first_hit.items() if rank <= self.settings.answer_passages}
            known = set(plan.boost_docs) | set(pref) | read
            for doc in sorted((d for d in docs if d in known), key=order):
                items = docs[doc]
                if nums == "all":
                    chosen = items
                elif nums == "which":
                    chosen = self._which(plan, st, doc, items)
                elif nums == "last":
                    chosen = items[-1:]
                else:
                    chosen = [x for x in items if x[0].number in nums]
                if chosen:
                    found += [(it.label, it.number, it.text, cid, len(items), it.marker) for it, cid in chosen]
                    break
        if not found:
            return []
        chunks = self.index.chunks([f[3] for f in found])
        out = []
        for label, number, text, cid, of, marker in found:
            ch = chunks.get(cid)
            if ch is not None:
                out.append(ItemHit(label, number, text or ch.text, _as_hit(ch, top, 0), of, marker))
        return out

    def _definition(self, plan: QueryPlan, hits: list[Hit], kn) -> list[ItemHit]:
        """The definition a definition question asks for ("ผังเมืองรวมหมายความว่าอะไร"): of the
        longest term the question's subject is, from the Act the question names, else the best-ranked
        Act that defines it, else the only one; none when several Acts define it and none is found."""
        # the subject as asked, or in the law's word for it ("คนแก่" → ผู้สูงอายุ: the glossary's forms)
        subjects = [plan.defines] + [plan.defines.replace(squash(m.form), squash(a)) for m in plan.expansions
                                     if not m.broader and squash(m.form) in plan.defines for a in m.adds]
        terms = sorted((t for t in kn.definitions or {} if any(defines(t, x) for x in subjects)), key=len, reverse=True)
        if not terms:
            return []
        entries = kn.definitions[terms[0]]
        rank = {}
        for h in hits:
            rank.setdefault(h.doc_id, h.rank)
        named = [e for e in entries if e[0] in plan.boost_docs]
        found = sorted((e for e in entries if e[0] in rank), key=lambda e: rank[e[0]])
        chosen = (named or found or (entries if len(entries) == 1 else []))[:1]
        if not chosen:
            return []
        doc_id, cid, d = chosen[0]
        ch = self.index.chunks([cid]).get(cid)
        if ch is None:
            return []
        text = d.text
        if d.end >= len(ch.text):  # it may go on in the next chunk of its section: read it across
            nxt = [c for c in self.index.catalog.chunks_at(doc_id, [ch.ordinal + 1]) if c.location == ch.location]
            whole = joined_text([ch] + nxt)
            text = next((x.text for x in definitions(whole) if x.start == d.start), text)
        top = hits[0].score if hits else 1.0
        return [ItemHit("นิยาม", 0, text, _as_hit(ch, top, 0))]

    def _which(self, plan: QueryPlan, st: str, doc: str, items: list) -> list:
        """The item a question describes ("แนวทางข้อไหนว่าด้วยโลกร้อน"): the closest by dense
        similarity of the question to the item's words and its note."""
        notes = self.notes.get((st, doc), {})
        texts = [f"{it.marker} {it.text} {notes.get(it.number, '')}".strip() for it, _ in items]
        vecs = {t: self._item_vecs.get(t) for t in texts}
        todo = [t for t, v in vecs.items() if v is None]
        if todo:
            fresh = dict(zip(todo, np.asarray(self.embedder.embed_passages(todo))))
            vecs.update(fresh)
            if len(self._item_vecs) > 4096:  # a bound, not a policy: items are few
                self._item_vecs = {}
            self._item_vecs.update(fresh)
        q = np.asarray(self.embedder.embed_query_vec(plan.dense_text))
        sims = [float(vecs[t] @ q) for t in texts]
        return [items[max(range(len(items)), key=sims.__getitem__)]]

    def search(self, query: str, k: int | None = None, method: str = "hybrid", allowed: set[str] | None = None) -> list[Hit]:
        return self.retrieve(self.understanding.plan(query), k, method, allowed).hits


class HybridRetriever(BaseRetriever):
    """The retriever as a LangChain component, so chains (and an LLM answerer) compose with it."""

    retriever: Any
    k: int = 10
    method: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(page_content=h.text, metadata={k: v for k, v in h.to_dict().items() if k != "text"}, id=h.chunk_id)
            for h in self.retriever.search(query, k=self.k, method=self.method)
        ]


def _holds(text: str, numbers: list[str]) -> bool:
    """Does the text hold every number (as digits, Thai or Arabic)?"""
    if not numbers:
        return True
    folded = fold_digits(text)
    return all(x in folded for x in numbers)


def _as_hit(ch, score: float, rank: int) -> Hit:
    return Hit(chunk_id=ch.chunk_id, doc_id=ch.doc_id, title=ch.title, location=ch.location, text=ch.text,
               score=score, rank=rank, source=ch.source)
