"""All settings in one place: defaults, overridden by ASSISTANT_* environment variables, then CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
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
    # Chunking: budget in model tokens (the model truncates at 512; long chunks embed slowly).
    chunk_tokens: int = 128
    chunk_overlap_sentences: int = 1
    embed_batch: int = 32
    # Retrieval.
    k: int = 10
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    per_doc_cap: int = 3  # at most this many hits from one document in the top-k
    # Refusal (calibrated on the eval dev split): refuse below min_dense; above strong_dense
    # always answer; in between, answer only if the question's words are covered.
    refuse_min_dense: float = 0.80
    refuse_strong_dense: float = 0.86
    refuse_min_coverage: float = 0.5
    answer_passages: int = 3
    max_file_mb: int = 50

    @property
    def model_dir(self) -> Path:
        return self.model_path or (self.home / "models" / "multilingual-e5-small-q4")

    def with_overrides(self, **kw) -> "Settings":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


_ENV = {
    "index_dir": ("ASSISTANT_INDEX", Path),
    "model_path": ("ASSISTANT_MODEL", Path),
    "chroma_url": ("ASSISTANT_CHROMA_URL", str),
    "chunk_tokens": ("ASSISTANT_CHUNK_TOKENS", int),
    "k": ("ASSISTANT_K", int),
    "refuse_min_dense": ("ASSISTANT_REFUSE_MIN_DENSE", float),
    "max_file_mb": ("ASSISTANT_MAX_FILE_MB", int),
}


def load_settings(**overrides) -> Settings:
    values = {}
    names = {f.name for f in fields(Settings)}
    for name, (var, cast) in _ENV.items():
        if name in names and os.environ.get(var):
            values[name] = cast(os.environ[var])
    return Settings(**values).with_overrides(**overrides)
