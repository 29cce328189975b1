"""The embedding model: a sentence-transformers folder behind LangChain's Embeddings interface."""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant import modelbuild


class ModelError(RuntimeError):
    pass


def fingerprint(model_dir: Path) -> str:
    """Which model built an index: the recorded weights digest, else the weight files' sizes."""
    info = model_dir / "BUILD.json"
    if info.is_file():
        data = json.loads(info.read_text())
        return f"{data.get('name', model_dir.name)}:{data['weights_sha256'][:16]}"
    weights = sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin"))
    sizes = ",".join(f"{p.name}={p.stat().st_size}" for p in weights)
    return f"{model_dir.name}:{sizes}"


class Embedder(Embeddings):
    """mE5 needs 'query: ' / 'passage: ' prefixes; the folder's prompts supply them."""

    def __init__(self, model_dir: Path, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        model_dir = Path(model_dir)
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise ModelError(f"{model_dir}: not a sentence-transformers model folder (run `make setup`)")
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.fingerprint = fingerprint(model_dir)
        self.dim = self.model.get_embedding_dimension()
        self._tokenizer = self.model.tokenizer
        self._prompts = self.model.prompts or {}
        self._lock = threading.Lock()  # torch on 2 cores gains nothing from parallel encodes

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        if prompt_name not in self._prompts:
            prompt_name = None
        with self._lock:
            return self.model.encode(
                texts,
                prompt_name=prompt_name,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage") if texts else np.zeros((0, self.dim), np.float32)

    def embed_query_vec(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vec(text).tolist()


def resolve_model_dir(model_path: Path | None, default_dir: Path) -> Path:
    """An explicit --model folder is used as it is; the default is built on first use."""
    if model_path is not None:
        if not Path(model_path).is_dir():
            raise ModelError(f"{model_path}: model folder not found")
        return Path(model_path)
    return modelbuild.ensure_built(default_dir)


@lru_cache(maxsize=4)
def load_embedder(model_dir: Path, batch_size: int = 32) -> Embedder:
    """One model per process: loading takes seconds and ~0.9 GB."""
    return Embedder(model_dir, batch_size)
