"""Run question sets against an index: every retrieval method side by side, answers by the
configured answerer with the shipped refusal rule, and the external Thai benchmarks."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from assistant.answer.evidence import refusal_rule
from assistant.answer.extractive import markers
from assistant.query.qtype import analyse
from assistant.judge import Question, load_questions
from assistant.retrieve.rankers import RANKERS
from eval import metrics as M

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
KINDS = ("lexical", "paraphrase", "multi", "out_of_scope")
KS = (1, 3, 5, 10)


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
    chars: int = 0
    qtype: str = ""
    parts: list[dict] = field(default_factory=list)  # the answer's parts: {question, answer, refused, …}


def _per_gold(q: Question, hits) -> list[list[bool]]:
    out = []
    for gold in q.gold_doc_ids:
        ev = [e for e in q.evidence if any(M.squash(e) in M.squash(h.text) for h in hits if h.doc_id == gold)] or q.evidence
        out.append([M.relevant(h.doc_id, h.text, [gold], ev, q.blind) for h in hits])
    return out


def retrieve_all(assistant, questions: list[Question], methods=tuple(RANKERS), k: int = 10, tick: Callable[[], None] | None = None):
    """Every method over every question. Returns ({method: [Retrieved]}, {qid: (hybrid hits, Evidence)})."""
    results: dict[str, list[Retrieved]] = {m: [] for m in methods}
    hybrid_hits = {}
    for q in questions:
        for method in methods:
            t = time.perf_counter()
            r = assistant.retriever.retrieve(assistant.understanding.plan(q.question), k=k, method=method)
            hits = r.hits
            dt = time.perf_counter() - t
            rels = [M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence, q.blind) for h in hits]
            results[method].append(Retrieved(q.qid, method, rels, _per_gold(q, hits), [h.doc_id for h in hits], dt))
            if method == "hybrid":
                hybrid_hits[q.qid] = (r, dt)
        if tick:
            tick()
    return results, hybrid_hits


def answer_all(questions: list[Question], hybrid_hits: dict, answer: Callable) -> list[Answered]:
    """Answers from the retrievals by `answer` (Assistant.answer: the configured answerer, a task
    refused unsearched, as `ask` gives them)."""
    out = []
    for q in questions:
        r, search_s = hybrid_hits[q.qid]
        ev = r.evidence
        t = time.perf_counter()
        ans = answer(r)
        dt = search_s + time.perf_counter() - t
        ns = markers(ans.answer)
        by_n = {c.n: c for c in ans.citations}
        support = q.evidence + q.answer_keys
        supported = sum(
            1 for n in ns if n in by_n and by_n[n].doc_id in q.gold_doc_ids and M.relevant(by_n[n].doc_id, by_n[n].text, q.gold_doc_ids, support, q.blind)
        )
        out.append(
            Answered(
                q.qid, ans.refused, ans.answer, [c.doc_id for c in ans.citations], supported, len(ns),
                all(n in by_n for n in ns), bool(q.answer_keys) and M.contains_key(ans.answer, q.answer_keys, every=q.blind),
                {"best_dense": ev.best_dense, "coverage": ev.coverage}, dt, len(ans.answer), analyse(q.question).kind,
                ans.parts,
            )
        )
    return out


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
    keyed = [a for a in ins if qs[a.qid].answer_keys]
    by_type = {}
    for kind in sorted({a.qtype for a in keyed}):
        ka = [a for a in keyed if a.qtype == kind]
        by_type[kind] = {"n": len(ka), "key_hit": M.mean(1.0 if a.key_hit and not a.refused else 0.0 for a in ka)}
    return {
        "n_in_scope": len(ins),
        "n_out_of_scope": len(outs),
        "answer_key_hit": M.mean(1.0 if a.key_hit else 0.0 for a in answered),
        # the blind set's scoring: an in-scope question hits when answered with every key
        "answer_key_hit_all": M.mean(1.0 if a.key_hit and not a.refused else 0.0 for a in keyed),
        "median_chars": M.percentile([a.chars for a in answered], 50) if answered else 0,
        "by_type": by_type,
        "citation_precision": (sum(a.supported_markers for a in answered) / total_markers) if total_markers else 0.0,
        "citation_validity": M.mean(1.0 if a.valid else 0.0 for a in answers) if answers else 0.0,
        "refusal_accuracy": M.mean(1.0 if a.refused else 0.0 for a in outs),
        "false_refusal": M.mean(1.0 if a.refused else 0.0 for a in ins),
        "ask_p50_ms": 1000 * M.percentile([a.seconds for a in answers], 50),
        "ask_p95_ms": 1000 * M.percentile([a.seconds for a in answers], 95),
    }


def summarize_parts(questions: list[Question], answers: list[Answered]) -> dict:
    """How questions were split into parts and how the parts fared. For questions written with
    their parts (gold `parts`): a part is answered when its own keys are in the answer's part of
    the same place (in the whole answer when the split found another number of parts)."""
    qs = {q.qid: q for q in questions}
    ins = [a for a in answers if qs[a.qid].in_scope]
    split = [a for a in ins if a.parts]
    found = [p for a in split for p in a.parts]
    out = {
        "n": len(ins),
        "split": M.mean(1.0 if a.parts else 0.0 for a in ins) if ins else 0.0,
        "parts_found": len(found),
        "parts_refused": M.mean(1.0 if p["refused"] else 0.0 for p in found) if found else 0.0,
    }
    gold = [a for a in ins if qs[a.qid].parts]
    if gold:
        asked = same = answered = 0
        for a in gold:
            parts = qs[a.qid].parts
            asked += len(parts)
            same += len(a.parts) == len(parts)
            for j, part in enumerate(parts):
                text = a.parts[j]["answer"] if len(a.parts) == len(parts) else ("" if a.refused else a.answer)
                answered += bool(text) and M.contains_key(text, part["answer_keys"], every=True)
        out.update(parts_asked=asked, parts_matched=same / len(gold), parts_answered=answered / asked)
    return out


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


def run_domain(assistant, dev: list[Question], test: list[Question], methods=tuple(RANKERS), tick=None,
               blind: list[Question] | None = None, multipart: list[Question] | None = None) -> dict:
    """Every split scored with the shipped settings (the blind set is the one to quote: nothing was
    chosen on the project's own questions)."""
    splits = [(name, qs) for name, qs in (("dev", dev), ("test", test), ("multipart", multipart or []),
                                          ("blind", blind or [])) if qs]
    found = {name: retrieve_all(assistant, qs, methods, tick=tick) for name, qs in splits}
    # The shipped refusal rule and settings, chosen on the blind dev set and the external sets
    # (eval/calibrate_refusal.py); the answerability model is fitted on iApp train and on the
    # project's own dev and test questions, so their refusals are in-sample.
    answers = {name: answer_all(qs, found[name][1], assistant.answer) for name, qs in splits}
    return {
        "latencies_ms": [round(a.seconds * 1000, 2) for name in ("dev", "test", "blind") for a in answers.get(name, [])],
        "refusal_rule": asdict(refusal_rule(assistant.settings)),
        "splits": {
            name: {
                "retrieval": summarize_retrieval(qs, found[name][0]),
                "answers": summarize_answers(qs, answers[name]),
                "parts": summarize_parts(qs, answers[name]),
                "questions": per_question(qs, found[name][0], answers[name]),
            }
            for name, qs in splits
        },
    }


# ---------------------------------------------------------------- external benchmarks

BENCHMARKS = {
    "xquad-th": ("xquad_th", ["corpus.jsonl"], "queries.jsonl"),
    "iapp": ("iapp_wiki_qa", ["test_corpus.jsonl"], "test_queries.jsonl"),
    "iapp-distractors": ("iapp_wiki_qa", ["test_corpus.jsonl", "train_corpus_distractors.jsonl"], "test_queries.jsonl"),
}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def ingest_benchmark(assistant, name: str, shared_eval: Path):
    """A benchmark's paragraphs into the assistant's own index (unchanged ones are skipped)."""
    from ingest.pipeline import ingest

    folder, corpus_files, _ = BENCHMARKS[name]
    s = assistant.settings
    return ingest([shared_eval / folder / f for f in corpus_files], assistant.index, assistant.embedder.embed_passages,
                  assistant.embedder.count_tokens, chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences)


def run_benchmark(assistant, name: str, shared_eval: Path, limit: int | None = None, methods=tuple(RANKERS), tick=None) -> dict:
    """Paragraph-level retrieval on an external set (the gold is a whole paragraph, so hits are
    reduced to their documents in rank order). `assistant` must have its own, fresh index."""
    folder, _, query_file = BENCHMARKS[name]
    t = time.perf_counter()
    report = ingest_benchmark(assistant, name, shared_eval)
    ingest_s = time.perf_counter() - t
    queries = read_jsonl(shared_eval / folder / query_file)
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
    out["answers"] = answer_benchmark(assistant, queries)
    if assistant.settings.answerability:  # side by side: what the rules alone answer
        out["answers_rules_only"] = answer_benchmark(rules_only(assistant), queries)
    return out


def rules_only(assistant):
    """The same index and settings with the answerability model off: the refusal rules alone."""
    from dataclasses import replace

    from assistant.service import Assistant

    return Assistant(replace(assistant.settings, answerability=False))


def answer_benchmark(assistant, queries: list[dict]) -> dict:
    """Does the answer text contain a gold answer (whitespace removed, Thai digits folded)?
    With the refusal rate, the answer length and the share per question type."""
    rows = []
    for q in queries:
        t = time.perf_counter()
        ans = assistant.ask(q["question"])
        gold = [a for a in q.get("answers", []) if a.strip()]
        rows.append((analyse(q["question"]).kind, ans.refused, not ans.refused and M.contains_key(ans.answer, gold),
                     len(ans.answer), time.perf_counter() - t, bool(ans.parts)))
    by_type = {}
    for kind in sorted({r[0] for r in rows}):
        kr = [r for r in rows if r[0] == kind]
        by_type[kind] = {"n": len(kr), "contains": round(M.mean(1.0 if r[2] else 0.0 for r in kr), 4)}
    answered = [r for r in rows if not r[1]]
    return {
        "contains": round(M.mean(1.0 if r[2] else 0.0 for r in rows), 4),
        "refused": round(M.mean(1.0 if r[1] else 0.0 for r in rows), 4),
        "median_chars": M.percentile([r[3] for r in answered], 50) if answered else 0,
        "ask_p50_ms": round(1000 * M.percentile([r[4] for r in rows], 50), 1),
        "ask_p95_ms": round(1000 * M.percentile([r[4] for r in rows], 95), 1),
        "split": round(M.mean(1.0 if r[5] else 0.0 for r in rows), 4),  # single questions: splitting must not fire
        "by_type": by_type,
    }


# ---------------------------------------------------------------- questions no document answers

OUT_OF_SCOPE = {
    # Wikipedia questions asked of the policy index: nothing there answers them (SQuAD 2.0-style).
    "iapp-test": ("iapp_wiki_qa", "test_queries.jsonl"),
    "xquad-th": ("xquad_th", "queries.jsonl"),
}


def run_out_of_scope(assistant, shared_eval: Path, tick=None) -> dict:
    """The share refused of questions the index cannot answer — the external sets' questions and
    the held-out half of the project's off-topic and task list (eval/questions/offtopic.jsonl,
    by request kind) — with the answerability model and with the rules alone."""
    sets: dict[str, list[tuple[str, str]]] = {}
    for name, (folder, query_file) in OUT_OF_SCOPE.items():
        path = shared_eval / folder / query_file
        if path.is_file():
            sets[name] = [(q["question"], "") for q in read_jsonl(path)]
    own = QUESTIONS_DIR / "offtopic.jsonl"
    if own.is_file():
        sets["own off-topic and tasks (held half)"] = [(r["question"], r.get("request", "")) for r in read_jsonl(own)
                                                       if r.get("split") == "held"]
    rules = rules_only(assistant)
    out = {}
    for name, qs in sets.items():
        row: dict = {"n": len(qs)}
        for variant, a in (("model", assistant), ("rules", rules)):
            refused = []
            for question, kind in qs:
                refused.append((kind, a.ask(question).refused))
                if tick:
                    tick()
            row[variant] = M.mean(1.0 if r else 0.0 for _, r in refused)
            kinds = sorted({k for k, _ in refused if k})
            if kinds:
                row[f"{variant}_by_kind"] = {k: M.mean(1.0 if r else 0.0 for kk, r in refused if kk == k) for k in kinds}
        out[name] = row
    return out


# ---------------------------------------------------------------- ablation of query understanding

ABLATIONS = {
    "defaults": {},
    "no guidance preference": {"guidance_share": 0.0},
    "no per-document cap": {"per_doc_cap": 0},
    "no window BM25": {"window_weight": 0.0},
    "no standout bonus": {"standout_share": 0.0},
    "top three not rescored": {"rescore_top": 0},
    "every chunk its own hit": {"unit_chunks": 1},
    "with named-Act boost": {"doc_boost": True},
    "no glossary": {"use_glossary": False},
    "with mined terms": {"use_mined_terms": True},
    "with dense expansion": {"expand_dense": True},
    "BM25 weight 1.0": {"bm25_weight": 1.0},
    "no question parts (one search)": {"question_parts": False},
    "none (plain hybrid, equal weights)": {"use_glossary": False, "use_mined_terms": False, "expand_dense": False, "doc_boost": False,
                                           "per_doc_cap": 0, "guidance_share": 0.0, "bm25_weight": 1.0,
                                           "window_weight": 0.0, "standout_share": 0.0, "unit_chunks": 1,
                                           "rescore_top": 0, "question_parts": False},
}


def run_ablation(assistant, questions: list[Question], variants: dict[str, dict] = ABLATIONS, tick=None) -> dict:
    """Hybrid retrieval with each technique switched off in turn, scored per question kind (and,
    on the blind set, per topic: seed, law, news)."""
    from dataclasses import replace

    from assistant.retrieve.retriever import Retriever

    out = {}
    for name, overrides in variants.items():
        r = Retriever(assistant.index, assistant.embedder, replace(assistant.settings, **overrides),
                      preferred=assistant.retriever.preferred, notes=assistant.retriever.notes)
        rows = []
        for q in questions:
            if not q.in_scope:
                continue
            hits = r.search(q.question, k=10, method="hybrid")
            rows.append((q, [M.relevant(h.doc_id, h.text, q.gold_doc_ids, q.evidence, q.blind) for h in hits], _per_gold(q, hits)))
        entry = {"all": {"R@5": M.mean(M.recall_at(x, 5) for _, x, _ in rows), "MRR@10": M.mean(M.mrr_at(x, 10) for _, x, _ in rows), "n": len(rows)}}
        for kind in KINDS[:3]:
            kr = [(q, x, pg) for q, x, pg in rows if q.kind == kind]
            if kr:
                entry[kind] = {"R@5": M.mean(M.recall_at(x, 5) for _, x, _ in kr), "MRR@10": M.mean(M.mrr_at(x, 10) for _, x, _ in kr), "n": len(kr)}
                if kind == "multi":
                    entry[kind]["all_docs@5"] = M.mean(1.0 if M.multi_recall_at(pg, 5) == 1.0 else 0.0 for _, _, pg in kr)
        for topic in ("seed", "law", "news"):  # the blind set's topics (news: news and cabinet items)
            tr = [(q, x) for q, x, _ in rows if q.topic == topic]
            if tr:
                entry[topic] = {"R@5": M.mean(M.recall_at(x, 5) for _, x in tr), "MRR@10": M.mean(M.mrr_at(x, 10) for _, x in tr), "n": len(tr)}
        out[name] = entry
        if tick:
            tick()
    return out
