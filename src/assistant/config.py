"""All settings in one place: defaults, overridden by ASSISTANT_* environment variables, then CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def _default_home() -> Path:
    return Path(os.environ.get("ASSISTANT_HOME", Path.home() / ".cache" / "thai-policy-assistant"))


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("var/index")
    # None → the project's own rebuilt multilingual-e5-small under home/models.
    model_path: Path | None = None
    home: Path = _default_home()
    chroma_url: str | None = None
    # The catalog: None → catalog.sqlite in the index folder; postgresql://… → that database
    # (store/catalog_pg.py; docs/scaling.md). The index folder keeps the stores derived from it.
    catalog: str | None = None
    # The keyword index: bm25s (rebuilt from the catalog on every write, held in memory) or tantivy
    # (updated per document, memory-mapped; store/keyword_tantivy.py, docs/retrieval.md). bm25s stays
    # the default until `python -m eval.keyword_equivalence` shows the same figures on every set.
    keyword_backend: str = "bm25s"
    # Chunking: budget in model tokens (the model truncates at 512; long chunks embed slowly).
    chunk_tokens: int = 128
    chunk_overlap_sentences: int = 1
    embed_batch: int = 32
    # Embedding runtime: onnx (default; same vectors as torch, faster, no torch in the process),
    # torch, or onnx-int8 (own fingerprint and index). embedding.py; docs/scaling.md.
    backend: str = "onnx"
    # A passage is embedded once per model and text, whichever index it goes into (model/passage_cache.py).
    passage_cache: bool = True
    # Retrieval.
    k: int = 10
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 0.5  # dense finds paraphrases; BM25 at half weight keeps exact terms (eval dev)
    # Rankers fused by `hybrid` (retrieve/rankers.py), each weighted by `<name>_weight` (default 1).
    fusion: tuple[str, ...] = ("dense", "bm25", "window")
    # BM25 of a chunk's window (it and two chunks either side, store/keyword.py), a third list at
    # a small weight: blind dev set R@1 0.649 → 0.691, MRR@10 0.740 → 0.767, R@5 unchanged;
    # XQuAD-th R@1 0.924 → 0.931, iApp test + distractors 0.936 → 0.946 (eval report).
    window_weight: float = 0.2
    # Rank fusion forgets by how much a list prefers its best: a passage that stands out of a
    # ranker's list — more than standout_z standard deviations above the list's mean score —
    # gains standout_share of the top fused score per deviation beyond that, times the ranker's
    # weight (retrieve/rankers.py). Blind dev set R@1 0.691 → 0.745, MRR@10 0.767 → 0.796, R@5
    # unchanged; XQuAD-th R@1 0.931 → 0.946; iApp test + distractors 0.946 → 0.942. 0 = off.
    standout_z: float = 2.25
    standout_share: float = 0.5
    # The first rescore_top fused passages are reordered by the sum of their z-scores in each
    # ranker's list, weighted per ranker in `fusion` order (retrieve/rankers.by_scores). XQuAD-th
    # R@1 0.946 → 0.955, iApp test 0.970 → 0.973, with distractors 0.942 → 0.943; blind dev set
    # R@1 0.766 → 0.777, MRR@10 0.827 → 0.835, R@5 unchanged (eval report). 0 = off.
    rescore_top: int = 3
    rescore_weights: tuple[float, ...] = (1.0, 0.5, 0.5)
    # At most this many hits per document in the top k (0 = no cap); a guidance document may
    # hold guidance_cap. Chosen on the blind dev set: a cap of 2 lets the second document of a
    # question into the top 5 (R@5 .787 → .819 there).
    per_doc_cap: int = 2
    guidance_cap: int = 4
    # The guidance collection's passages gain this share of the top fused score, so the
    # guidance outranks news about it — unless the question names a number the passage lacks
    # ("ข้อ ๒๗", "พ.ศ. 2562": another document is meant) (blind dev set: seed questions R@5 .68 → .91, law and
    # news unchanged). 0 = off.
    guidance_share: float = 0.5
    guidance_margin: float = 0.03  # ... and only passages whose dense similarity is this close to the best
    guidance_bm25_share: float = 0.5  # ... or whose BM25 score is at least this share of the best
    # An Act's rationale notes and footnote list lose this share of the top fused score: they are
    # about the law, not the law (ingest/loaders.py split_act).
    commentary_share: float = 0.5
    # A question that asks what the law says ("…กฎหมายเขียนไว้ไหม") keeps an Act among its first
    # act_slot hits, the best-ranked Act taking the last of those places when none is there (blind
    # dev set: two-document all-docs@5 0.36 → 0.43, own test 0.33 → 0.44, nothing lost). 0 = off.
    act_slot: int = 5
    # A question that asks several things (query/parts.py) is searched and answered per part, the
    # hits merged so each part keeps its best passages in the top k (eval report: per-part table).
    question_parts: bool = True
    # Knowledge files; None → the shipped copies (corpus/glossary.yaml, corpus/guidelines.yaml).
    glossary_file: Path | None = None
    guidelines_file: Path | None = None
    # Query understanding (each switchable for the ablation in eval/).
    use_glossary: bool = True
    use_mined_terms: bool = False  # abbreviations the documents define; off: cost 1 blind question (eval report)
    expand_dense: bool = False  # adding glossary terms to the dense query hurt on eval dev
    expansion_weight: float = 0.5  # BM25 weight of added terms against the question's own
    # Named Acts still address their sections (มาตรา ๑๖ ของ พ.ร.บ.เทศบาล); moving their
    # passages up lost 3 questions on the blind dev set, so that part is off.
    doc_boost: bool = False
    doc_boost_share: float = 0.5
    # Refusal, chosen on the blind dev set and the external sets (`python -m eval.calibrate_refusal`,
    # eval/reports): answer when the best sentence scores ≥ refuse_answer_score or dense
    # similarity ≥ refuse_strong_dense; otherwise refuse below refuse_min_dense or when fewer
    # than refuse_min_coverage of the question's words are in the top passages; always refuse a
    # best sentence under refuse_min_answer_score (off: every floor that refused one more trap
    # cost more answerable questions, blind and external, than it saved).
    refuse_min_dense: float = 0.0
    refuse_strong_dense: float = 0.86
    refuse_min_coverage: float = 0.5
    refuse_answer_score: float = 0.3
    refuse_min_answer_score: float = 0.0
    # The answerability model (answer/answerability.py, fitted by eval/fit_answerability.py) refuses
    # where the evidence does not answer the question, beside the rules above.
    answerability: bool = True
    # The answerer (answer/answerers.py): auto = generative when a chat model is configured.
    answerer: str = "auto"
    answer_passages: int = 3
    answer_context: int = 2  # top hits whose neighbouring chunks the answer may quote (small-to-big)
    # Consecutive chunks of one section or paragraph found together are one hit of up to this many
    # chunks (retrieve/retriever.join_units); 1 = every chunk its own hit.
    unit_chunks: int = 3
    # Cite a passage after the first only if its score ≥ ratio × top; on dev, quoting only the
    # top passage (and any tie) gave the best mean of citation precision and answer-key hits.
    cite_ratio: float = 1.0
    max_file_mb: int = 50
    # Per-file budgets (ingest/budgets.py): a file over one is skipped with a named reason and
    # the run goes on. A zip container (DOCX) is judged from its directory before anything is
    # unpacked; a line longer than max_line_chars is cut on that fixed window before sentence
    # splitting (the longest paragraph of the shared corpus is about 30,000 characters).
    max_unzipped_mb: int = 50
    max_zip_members: int = 2000
    max_html_depth: int = 256
    max_line_chars: int = 32_000
    file_seconds: float = 120.0  # wall clock to read and chunk one file (the corpus's largest: well under 30 s)
    # Input validation (assistant.validate), shared by the CLI, the API and the UI.
    max_question_chars: int = 2000
    max_history_items: int = 20
    max_k: int = 100
    max_body_kb: int = 256  # an API request body
    # Login to the UI's upload tab: after this many failures in login_window_s, per user name
    # and per address, logins are refused for login_lockout_s.
    login_max_failures: int = 5
    login_window_s: float = 900.0
    login_lockout_s: float = 900.0
    # Guideline tags (assistant.knowledge.guidelines): combined score threshold, chosen on
    # eval/guideline_labels.jsonl (`python -m eval.calibrate_guidelines --score`, docs/guidelines.md).
    guideline_threshold: float = 0.8775
    # Generative answers (optional; docs/llm.md). No URL and no model → extractive answers only.
    llm_provider: str = "openai"  # openai (any OpenAI-compatible endpoint) | ollama
    llm_url: str | None = None  # e.g. http://localhost:11434/v1 (Ollama's OpenAI API), vLLM, llama.cpp
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 60.0  # seconds for a whole answer; past it the extractive answer is shown
    llm_temperature: float = 0.0
    llm_max_tokens: int = 1024
    llm_passages: int = 5  # passages the model reads, numbered [1]..[n]
    llm_min_support: float = 0.80  # verify.py; chosen on eval/questions/support_pairs.jsonl
    llm_min_verified: float = 0.5  # below this share of verified sentences → extractive fallback
    llm_unsupported: str = "drop"  # drop | flag: what to do with a sentence that fails verification
    llm_rewrite: bool = True  # rewrite follow-up questions with the model

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_url or self.llm_model)

    @property
    def model_dir(self) -> Path:
        return self.model_path or (self.home / "models" / "multilingual-e5-small-q4")

    def with_overrides(self, **kw) -> "Settings":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off")


_ENV = {
    "index_dir": ("ASSISTANT_INDEX", Path),
    "model_path": ("ASSISTANT_MODEL", Path),
    "chroma_url": ("ASSISTANT_CHROMA_URL", str),
    "catalog": ("ASSISTANT_CATALOG", str),
    "keyword_backend": ("ASSISTANT_KEYWORD_BACKEND", str),
    "backend": ("ASSISTANT_BACKEND", str),
    "chunk_tokens": ("ASSISTANT_CHUNK_TOKENS", int),
    "glossary_file": ("ASSISTANT_GLOSSARY", Path),
    "guidelines_file": ("ASSISTANT_GUIDELINES", Path),
    "answerer": ("ASSISTANT_ANSWERER", str),
    "k": ("ASSISTANT_K", int),
    "refuse_min_dense": ("ASSISTANT_REFUSE_MIN_DENSE", float),
    "refuse_answer_score": ("ASSISTANT_REFUSE_ANSWER_SCORE", float),
    "refuse_min_answer_score": ("ASSISTANT_REFUSE_MIN_ANSWER_SCORE", float),
    "max_file_mb": ("ASSISTANT_MAX_FILE_MB", int),
    "max_unzipped_mb": ("ASSISTANT_MAX_UNZIPPED_MB", int),
    "max_zip_members": ("ASSISTANT_MAX_ZIP_MEMBERS", int),
    "max_html_depth": ("ASSISTANT_MAX_HTML_DEPTH", int),
    "max_line_chars": ("ASSISTANT_MAX_LINE_CHARS", int),
    "file_seconds": ("ASSISTANT_FILE_SECONDS", float),
    "max_question_chars": ("ASSISTANT_MAX_QUESTION_CHARS", int),
    "max_history_items": ("ASSISTANT_MAX_HISTORY_ITEMS", int),
    "max_body_kb": ("ASSISTANT_MAX_BODY_KB", int),
    "login_max_failures": ("ASSISTANT_LOGIN_MAX_FAILURES", int),
    "login_window_s": ("ASSISTANT_LOGIN_WINDOW_S", float),
    "login_lockout_s": ("ASSISTANT_LOGIN_LOCKOUT_S", float),
    "guideline_threshold": ("ASSISTANT_GUIDELINE_THRESHOLD", float),
    "window_weight": ("ASSISTANT_WINDOW_WEIGHT", float),
    "standout_z": ("ASSISTANT_STANDOUT_Z", float),
    "standout_share": ("ASSISTANT_STANDOUT_SHARE", float),
    "rescore_top": ("ASSISTANT_RESCORE_TOP", int),
    "unit_chunks": ("ASSISTANT_UNIT_CHUNKS", int),
    "llm_provider": ("ASSISTANT_LLM_PROVIDER", str),
    "llm_url": ("ASSISTANT_LLM_URL", str),
    "llm_model": ("ASSISTANT_LLM_MODEL", str),
    "llm_api_key": ("ASSISTANT_LLM_API_KEY", str),
    "llm_timeout": ("ASSISTANT_LLM_TIMEOUT", float),
    "llm_temperature": ("ASSISTANT_LLM_TEMPERATURE", float),
    "llm_max_tokens": ("ASSISTANT_LLM_MAX_TOKENS", int),
    "llm_passages": ("ASSISTANT_LLM_PASSAGES", int),
    "llm_min_support": ("ASSISTANT_LLM_MIN_SUPPORT", float),
    "llm_unsupported": ("ASSISTANT_LLM_UNSUPPORTED", str),
    "llm_rewrite": ("ASSISTANT_LLM_REWRITE", _flag),
    "passage_cache": ("ASSISTANT_PASSAGE_CACHE", _flag),
    "answerability": ("ASSISTANT_ANSWERABILITY", _flag),
}


def load_settings(**overrides) -> Settings:
    values = {}
    names = {f.name for f in fields(Settings)}
    for name, (var, cast) in _ENV.items():
        if name in names and os.environ.get(var):
            values[name] = cast(os.environ[var])
    return Settings(**values).with_overrides(**overrides)
