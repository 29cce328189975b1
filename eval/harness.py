"""Run question sets against an index: every retrieval method side by side, answers with a refusal
rule calibrated on dev and reported on test, and the external Thai benchmarks."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from assistant.answer.extractive import ExtractiveAnswerer, RefusalRule, evidence_for, markers
from assistant.retrieve.retriever import METHODS
from eval import metrics as M

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
KINDS = ("lexical", "paraphrase", "multi", "out_of_scope")
KS = (1, 3, 5, 10)


@dataclass
class Question:
    qid: str
    question: str
    kind: str
    difficulty: str = "medium"
    gold_doc_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    answer_keys: list[str] = field(default_factory=list)
    split: str = ""

    @property
    def in_scope(self) -> bool:
        return bool(self.gold_doc_ids)


def question_from(raw: dict, split: str = "") -> Question:
    """A question row (a dict in the evaluation format; other keys are ignored)."""
    if not isinstance(raw, dict):
        raise TypeError("not a JSON object")
    names = Question.__dataclass_fields__
    q = Question(**{k: v for k, v in raw.items() if k in names and k != "split"}, split=split or raw.get("split", ""))
    if not (isinstance(q.qid, str) and q.qid and isinstance(q.question, str) and q.question.strip()):
        raise ValueError("needs a non-empty 'qid' and 'question'")
    if not all(isinstance(x, list) for x in (q.gold_doc_ids, q.evidence, q.answer_keys)):
        raise ValueError("'gold_doc_ids', 'evidence' and 'answer_keys' must be lists")
    return q


def load_questions(path: Path, split: str = "") -> list[Question]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(question_from(json.loads(line), split))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a question row ({exc})") from None
    return rows


def load_split(split: str) -> list[Question]:
    return load_questions(QUESTIONS_DIR / f"{split}.jsonl", split)


@dataclass
class Retrieved:
    qid: str
    method: str
    rels: list[bool]  # passage relevance of the top 10
    per_gold: list[list[bool]]  # relevance per gold document (multi-document questions)
    doc_ids: list[str]
    seconds: float


@dataclass
class Answered:
    qid: str
    refused: bool
    answer: str
    cited_doc_ids: list[str]
    supported_markers: int
    markers: int
    valid: bool
    key_hit: bool
    evidence: dict
    seconds: float


def _per_gold(q: Question, hits) -> list[list[bool]]:
    out = []
    for gold in q.gold_doc_ids:
        ev = [e for e in q.evidence if any(M.squash(e) in M.squash(h.text) for h in hits if h.doc_id == gold)] or q.evidence
        out.append([M.relevant(h.doc_id, h.text, [gold], ev) for h in hits])
    return out


def retrieve_all(assistant, questions: list[Question], methods=METHODS, k: int = 10, tick: Callable[[], None] | None = None):
    """Every method over every question. Returns ({method: [Retrieved]}, {qid: (hybrid hits, Evidence)})."""
    results: dict[str, list[Retrieved]] = {m: [] for m in methods}
    hybrid_hits = {}
    for q in questions:
        for method in methods:
            t = time.perf_counter()
            qp, hits = assistant.retriever.retrieve(q.question, k=k, method=method)
            dt = time.perf_counter() - t
            rels = [M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence) for h in hits]
            results[method].append(Retrieved(q.qid, method, rels, _per_gold(q, hits), [h.doc_id for h in hits], dt))
            if method == "hybrid":
                ev = evidence_for(qp.text, hits, expansions=qp.expansions, unknown=assistant.retriever.unknown_references(qp))
                hybrid_hits[q.qid] = (hits, ev, dt)
        if tick:
            tick()
    return results, hybrid_hits


def answer_all(questions: list[Question], hybrid_hits: dict, rule: RefusalRule, passages: int = 3, cite_ratio: float = 0.0) -> list[Answered]:
    answerer = ExtractiveAnswerer(rule, passages, cite_ratio)
    out = []
    for q in questions:
        hits, ev, search_s = hybrid_hits[q.qid]
        t = time.perf_counter()
        ans = answerer.answer(q.question, hits, ev)
        dt = search_s + time.perf_counter() - t
        ns = markers(ans.answer)
        by_n = {c.n: c for c in ans.citations}
        support = q.evidence + q.answer_keys
        supported = sum(
            1 for n in ns if n in by_n and by_n[n].doc_id in q.gold_doc_ids and M.relevant(by_n[n].doc_id, by_n[n].text, q.gold_doc_ids, support)
        )
        out.append(
            Answered(
                q.qid, ans.refused, ans.answer, [c.doc_id for c in ans.citations], supported, len(ns),
                all(n in by_n for n in ns), bool(q.answer_keys) and M.contains_key(ans.answer, q.answer_keys),
                {"best_dense": ev.best_dense, "coverage": ev.coverage}, dt,
            )
        )
    return out


def judge(q: Question, ans, k: int = 5) -> dict:
    """Automatic verdicts on one answer from `Assistant.ask`, by the rules the scores above use:
    retrieval hit = a relevant passage (gold document + evidence) in the top k hits; answer keys
    present = `contains_key` on the answer text; a question without gold documents should be
    refused, except feedback rows still waiting for review (kind "needs_review"): None = not judged."""
    rels = [M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence) for h in ans.hits]
    rank = next((i for i, x in enumerate(rels, 1) if x), None)
    should_refuse = None if q.kind == "needs_review" else not q.in_scope
    return {
        "hit_rank": rank if q.in_scope else None,
        "retrieval_hit": (rank is not None and rank <= k) if q.in_scope else None,
        "keys_present": M.contains_key(ans.answer, q.answer_keys) if q.answer_keys else None,
        "refused": bool(ans.refused),
        "should_refuse": should_refuse,
        "refusal_ok": None if should_refuse is None else bool(ans.refused) == should_refuse,
    }


def calibrate(questions: list[Question], hybrid_hits: dict) -> tuple[RefusalRule, dict]:
    """Choose refusal thresholds on these (dev) questions: best balanced accuracy between
    refusing out-of-scope questions and answering in-scope ones; ties go to fewer false refusals."""
    data = [(hybrid_hits[q.qid][1], q.in_scope) for q in questions]
    n_in = sum(1 for _, s in data if s) or 1
    n_out = sum(1 for _, s in data if not s) or 1
    best = None
    dense_grid = [0.78 + i * 0.0025 for i in range(41)]  # 0.78 … 0.88
    for lo in dense_grid:
        for hi in [d for d in dense_grid if d >= lo] + [1.01]:
            for cov in (0.0, 0.25, 0.34, 0.5, 0.67, 0.75, 1.0):
                rule = RefusalRule(lo, hi, cov)
                refused_out = sum(1 for ev, s in data if not s and rule.refuse(ev))
                refused_in = sum(1 for ev, s in data if s and rule.refuse(ev))
                score = (refused_out / n_out + (1 - refused_in / n_in)) / 2
                # Ties go to fewer false refusals, then to the most lenient floor: questions
                # unlike the dev set (short, lexical) should not fall to a tight threshold.
                key = (round(score, 6), -refused_in, -lo, -cov)
                if best is None or key > best[0]:
                    best = (key, rule, {"refusal_accuracy": refused_out / n_out, "false_refusal": refused_in / n_in})
    _, rule, fit = best
    return rule, {"min_dense": round(rule.min_dense, 4), "strong_dense": round(rule.strong_dense, 4), "min_coverage": rule.min_coverage, **fit}


def summarize_retrieval(questions: list[Question], results: dict[str, list[Retrieved]]) -> dict:
    kinds = {q.qid: q.kind for q in questions}
    scope = {q.qid for q in questions if q.in_scope}
    out = {}
    for method, rows in results.items():
        rows = [r for r in rows if r.qid in scope]
        n_rel = {q.qid: max(1, len(q.gold_doc_ids)) for q in questions}
        s = {f"R@{k}": M.mean(M.recall_at(r.rels, k) for r in rows) for k in KS}
        s["MRR@10"] = M.mean(M.mrr_at(r.rels, 10) for r in rows)
        s["nDCG@10"] = M.mean(M.ndcg_at(r.rels, 10, n_rel[r.qid]) for r in rows)
        s["curve"] = [M.mean(M.recall_at(r.rels, k) for r in rows) for k in range(1, 11)]
        s["latency_p50_ms"] = 1000 * M.percentile([r.seconds for r in rows], 50)
        s["latency_p95_ms"] = 1000 * M.percentile([r.seconds for r in rows], 95)
        s["n"] = len(rows)
        by_kind = {}
        for kind in KINDS[:3]:
            kr = [r for r in rows if kinds[r.qid] == kind]
            if kr:
                by_kind[kind] = {
                    "n": len(kr),
                    "R@5": M.mean(M.recall_at(r.rels, 5) for r in kr),
                    "MRR@10": M.mean(M.mrr_at(r.rels, 10) for r in kr),
                }
                if kind == "multi":
                    by_kind[kind]["all_docs@5"] = M.mean(1.0 if M.multi_recall_at(r.per_gold, 5) == 1.0 else 0.0 for r in kr)
                    by_kind[kind]["doc_share@5"] = M.mean(M.multi_recall_at(r.per_gold, 5) for r in kr)
        s["by_kind"] = by_kind
        out[method] = s
    return out


def summarize_answers(questions: list[Question], answers: list[Answered]) -> dict:
    qs = {q.qid: q for q in questions}
    ins = [a for a in answers if qs[a.qid].in_scope]
    outs = [a for a in answers if not qs[a.qid].in_scope]
    answered = [a for a in ins if not a.refused]
    total_markers = sum(a.markers for a in answered)
    return {
        "n_in_scope": len(ins),
        "n_out_of_scope": len(outs),
        "answer_key_hit": M.mean(1.0 if a.key_hit else 0.0 for a in answered),
        "citation_precision": (sum(a.supported_markers for a in answered) / total_markers) if total_markers else 0.0,
        "citation_validity": M.mean(1.0 if a.valid else 0.0 for a in answers) if answers else 0.0,
        "refusal_accuracy": M.mean(1.0 if a.refused else 0.0 for a in outs),
        "false_refusal": M.mean(1.0 if a.refused else 0.0 for a in ins),
        "ask_p50_ms": 1000 * M.percentile([a.seconds for a in answers], 50),
        "ask_p95_ms": 1000 * M.percentile([a.seconds for a in answers], 95),
    }


def per_question(questions: list[Question], results: dict[str, list[Retrieved]], answers: list[Answered]) -> dict:
    rows = {}
    by_answer = {a.qid: a for a in answers}
    for q in questions:
        row = {"kind": q.kind, "question": q.question}
        for method, rs in results.items():
            r = next(r for r in rs if r.qid == q.qid)
            if q.in_scope:
                row[f"{method}_rank"] = next((i for i, x in enumerate(r.rels, 1) if x), None)
        if q.qid in by_answer:
            a = by_answer[q.qid]
            row["refused"] = a.refused
            row["correct_refusal"] = a.refused != q.in_scope
        rows[q.qid] = row
    return rows


def run_domain(assistant, dev: list[Question], test: list[Question], methods=METHODS, tick=None) -> dict:
    """Calibrate refusal on dev, report everything on both splits (test is the one to quote)."""
    res_dev, hh_dev = retrieve_all(assistant, dev, methods, tick=tick)
    res_test, hh_test = retrieve_all(assistant, test, methods, tick=tick)
    rule, fit = calibrate(dev, hh_dev) if dev else (assistant.answerer.rule, {})
    passages = assistant.settings.answer_passages
    ratio = assistant.settings.cite_ratio
    if dev:
        # How close to the top passage a further one must score to be quoted: the best mean of
        # citation precision and answer-key hit on dev.
        def quality(r):
            a = summarize_answers(dev, answer_all(dev, hh_dev, rule, passages, r))
            return (a["citation_precision"] + a["answer_key_hit"]) / 2

        ratio = max((0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01), key=lambda r: (round(quality(r), 6), -r))
        fit["cite_ratio"] = ratio
    ans_dev = answer_all(dev, hh_dev, rule, passages, ratio)
    ans_test = answer_all(test, hh_test, rule, passages, ratio)
    return {
        "latencies_ms": [round(a.seconds * 1000, 2) for a in ans_dev + ans_test],
        "refusal_rule": fit or asdict(rule),
        "splits": {
            name: {
                "retrieval": summarize_retrieval(qs, res),
                "answers": summarize_answers(qs, ans),
                "questions": per_question(qs, res, ans),
            }
            for name, qs, res, ans in (("dev", dev, res_dev, ans_dev), ("test", test, res_test, ans_test))
            if qs
        },
    }


# ---------------------------------------------------------------- external benchmarks

BENCHMARKS = {
    "xquad-th": ("xquad_th", ["corpus.jsonl"], "queries.jsonl"),
    "iapp": ("iapp_wiki_qa", ["test_corpus.jsonl"], "test_queries.jsonl"),
    "iapp-distractors": ("iapp_wiki_qa", ["test_corpus.jsonl", "train_corpus_distractors.jsonl"], "test_queries.jsonl"),
}


def run_benchmark(assistant, name: str, shared_eval: Path, limit: int | None = None, methods=METHODS, tick=None) -> dict:
    """Paragraph-level retrieval on an external set (the gold is a whole paragraph, so hits are
    reduced to their documents in rank order). `assistant` must have its own, fresh index."""
    from ingest.pipeline import ingest

    folder, corpus_files, query_file = BENCHMARKS[name]
    base = shared_eval / folder
    t = time.perf_counter()
    s = assistant.settings
    report = ingest([base / f for f in corpus_files], assistant.index, assistant.embedder.embed_passages,
                    assistant.embedder.count_tokens, chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences)
    ingest_s = time.perf_counter() - t
    queries = [json.loads(x) for x in (base / query_file).read_text(encoding="utf-8").splitlines() if x.strip()]
    if limit:
        queries = queries[:limit]
    out = {"queries": len(queries), "documents": report.documents, "chunks": assistant.index.info()["chunks"], "ingest_s": round(ingest_s, 1), "methods": {}}
    per = {m: {f"R@{k}": [] for k in (1, 5, 10)} | {"MRR@10": [], "ms": []} for m in methods}
    for q in queries:
        gold = set(q["gold_doc_ids"])
        for m in methods:
            t = time.perf_counter()
            hits = assistant.search(q["question"], k=30, method=m)
            per[m]["ms"].append(1000 * (time.perf_counter() - t))
            docs = M.doc_level([h.doc_id.split("#", 1)[-1] for h in hits])
            rels = [d in gold for d in docs]
            for k in (1, 5, 10):
                per[m][f"R@{k}"].append(M.recall_at(rels, k))
            per[m]["MRR@10"].append(M.mrr_at(rels, 10))
        if tick:
            tick()
    for m, vals in per.items():
        out["methods"][m] = {k: round(M.mean(v), 4) for k, v in vals.items() if k != "ms"}
        out["methods"][m]["p50_ms"] = round(M.percentile(vals["ms"], 50), 1)
    return out


# ---------------------------------------------------------------- ablation of query understanding

ABLATIONS = {
    "defaults": {},
    "no glossary": {"use_glossary": False},
    "no mined terms": {"use_mined_terms": False},
    "with dense expansion": {"expand_dense": True},
    "no named-Act boost": {"doc_boost": False},
    "per-doc cap 3": {"per_doc_cap": 3},
    "BM25 weight 1.0": {"bm25_weight": 1.0},
    "none (plain hybrid, equal weights)": {"use_glossary": False, "use_mined_terms": False, "expand_dense": False, "doc_boost": False, "per_doc_cap": 0, "bm25_weight": 1.0},
}


def run_ablation(assistant, questions: list[Question], variants: dict[str, dict] = ABLATIONS, tick=None) -> dict:
    """Hybrid retrieval with each technique switched off in turn, scored per question kind."""
    from dataclasses import replace

    from assistant.retrieve.retriever import Retriever

    out = {}
    for name, overrides in variants.items():
        r = Retriever(assistant.index, assistant.embedder, replace(assistant.settings, **overrides))
        rows = []
        for q in questions:
            if not q.in_scope:
                continue
            hits = r.search(q.question, k=10, method="hybrid")
            rows.append((q, [M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence) for h in hits], _per_gold(q, hits)))
        entry = {"all": {"R@5": M.mean(M.recall_at(x, 5) for _, x, _ in rows), "MRR@10": M.mean(M.mrr_at(x, 10) for _, x, _ in rows), "n": len(rows)}}
        for kind in KINDS[:3]:
            kr = [(q, x, pg) for q, x, pg in rows if q.kind == kind]
            if kr:
                entry[kind] = {"R@5": M.mean(M.recall_at(x, 5) for _, x, _ in kr), "MRR@10": M.mean(M.mrr_at(x, 10) for _, x, _ in kr), "n": len(kr)}
                if kind == "multi":
                    entry[kind]["all_docs@5"] = M.mean(1.0 if M.multi_recall_at(pg, 5) == 1.0 else 0.0 for _, _, pg in kr)
        out[name] = entry
        if tick:
            tick()
    return out
