"""The embedding model: a sentence-transformers folder behind LangChain's Embeddings interface.

Backends (`ASSISTANT_BACKEND`, Settings.backend):
- `onnx` (default): the folder's weights exported to ONNX (fp32) once, into `<model>/onnx/`, and
  run with ONNX Runtime; vectors equal torch's (cosine 1.0000), so an index built with either
  serves both. Several times faster than torch on a busy 2-core PC (no thread spinning).
- `torch`: sentence-transformers on PyTorch.
- `onnx-int8`: that graph with dynamically quantised int8 weights (onnxruntime.quantization). Its
  vectors differ slightly (cosine ≈ 0.99 to torch's), so it has its own fingerprint and index.
The export needs torch and the `onnx` package at first use only; serving then needs neither torch
nor sentence-transformers. docs/scaling.md has the measurements behind the default.

Query vectors are kept in a small LRU cache: a repeated question (the UI's examples, a re-asked
follow-up, the same query searched by several methods) is embedded once per process.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.model import build as modelbuild
from assistant.model.passage_cache import PassageCache, cache_path

BACKENDS = ("torch", "onnx", "onnx-int8")
BACKEND_ENV = "ASSISTANT_BACKEND"
QUERY_CACHE = 1024  # query vectors kept per process (1.5 KB each)
ONNX_OPSET = 17
EXPORT_FORMAT = 2  # 2: fp32 weights in a memory-mapped side file


class ModelError(RuntimeError):
    pass


def default_backend() -> str:
    """ASSISTANT_BACKEND, else Settings.backend's default."""
    from assistant.config import Settings

    backend = (os.environ.get(BACKEND_ENV) or Settings.backend).strip().lower()
    if backend not in BACKENDS:
        raise ModelError(f"{BACKEND_ENV}={backend!r}: choose one of {', '.join(BACKENDS)}")
    return backend


def _weights_fingerprint(model_dir: Path) -> str:
    info = model_dir / "BUILD.json"
    if info.is_file():
        data = json.loads(info.read_text())
        return f"{data.get('name', model_dir.name)}:{data['weights_sha256'][:16]}"
    weights = sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin"))
    sizes = ",".join(f"{p.name}={p.stat().st_size}" for p in weights)
    return f"{model_dir.name}:{sizes}"


def fingerprint(model_dir: Path, backend: str | None = None) -> str:
    """Which model built an index: the recorded weights digest, else the weight files' sizes.
    torch and onnx (fp32) give the same vectors and share a fingerprint; int8 weights do not."""
    backend = backend or default_backend()
    fp = _weights_fingerprint(Path(model_dir))
    return f"{fp}+int8" if backend == "onnx-int8" else fp


# ------------------------------------------------------------------ ONNX export
def _onnx_dir(model_dir: Path) -> Path:
    """`<model>/onnx`, or a folder under ASSISTANT_HOME when the model folder is read-only."""
    own = model_dir / "onnx"
    try:
        own.mkdir(exist_ok=True)
        probe = own / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return own
    except OSError:
        from assistant.config import _default_home

        safe = _weights_fingerprint(model_dir).replace(":", "-").replace("/", "-").replace(",", "-")
        alt = _default_home() / "onnx" / safe
        alt.mkdir(parents=True, exist_ok=True)
        return alt


def onnx_path(model_dir: Path, quantized: bool) -> Path:
    return _onnx_dir(Path(model_dir)) / ("model_qint8.onnx" if quantized else "model.onnx")


def _stamp_ok(path: Path, model_dir: Path) -> bool:
    stamp = path.with_suffix(".json")
    try:
        info = json.loads(stamp.read_text())
        return path.is_file() and info["weights"] == _weights_fingerprint(model_dir) and info.get("format") == EXPORT_FORMAT
    except (OSError, ValueError, KeyError):
        return False


def _write_stamp(path: Path, model_dir: Path, **extra) -> None:
    tmp = path.with_suffix(f".json.{os.getpid()}")
    tmp.write_text(json.dumps({"weights": _weights_fingerprint(model_dir), "format": EXPORT_FORMAT, **extra}))
    os.replace(tmp, path.with_suffix(".json"))


def export_onnx(model_dir: Path, quantized: bool = False) -> Path:
    """Export the folder's transformer to ONNX (fp32), and quantise it to int8 if asked. Done once;
    a later call returns the file. Written to a temporary name and renamed, so a concurrent or
    killed export never leaves a half file under the real name."""
    model_dir = Path(model_dir)
    target = onnx_path(model_dir, quantized)
    if _stamp_ok(target, model_dir):
        return target
    import fcntl

    with open(target.parent / ".export.lock", "a+") as lock:  # one export at a time across processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _stamp_ok(target, model_dir):  # another process finished it while we waited
                return target
            return _export(model_dir, target, quantized)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _export(model_dir: Path, target: Path, quantized: bool) -> Path:
    if quantized:
        fp32 = onnx_path(model_dir, False)
        if not _stamp_ok(fp32, model_dir):  # (we hold the export lock already)
            _export(model_dir, fp32, False)
        try:
            from onnxruntime.quantization import QuantType, quantize_dynamic
        except ImportError as exc:  # pragma: no cover - onnxruntime ships it
            raise ModelError(f"int8 export needs onnxruntime.quantization and onnx ({exc})") from exc
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        # MatMul (the encoder) and Gather (the 250k x 384 word embeddings): 470 MB -> 118 MB.
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=False, op_types_to_quantize=["MatMul", "Gather"])
        os.replace(tmp, target)
        _write_stamp(target, model_dir, quantization="dynamic int8 (MatMul, Gather)")
        return target
    try:
        import onnx  # noqa: F401  (the exporter writes through it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(f"ONNX export needs torch, transformers and onnx installed ({exc})") from exc

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class _Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 6, 5, 2], [0, 6, 2, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.long)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "last_hidden_state": {0: "batch", 1: "seq"}}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Encoder(model), (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=ONNX_OPSET,
            dynamo=False, external_data=False,
        )
    # Weights in a side file `model.onnx.data`: ONNX Runtime memory-maps it, so a process holds
    # in RAM only the pages it touches (the rows of the 250k-token embedding table that Thai text
    # uses) and loads in a fraction of a second, instead of copying all 470 MB.
    import onnx

    work = target.parent / f".tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    data_name = target.name + ".data"
    onnx.save_model(onnx.load(str(tmp)), str(work / target.name), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=data_name, size_threshold=1024)
    tmp.unlink()
    os.chmod(work / data_name, 0o644)
    os.replace(work / data_name, target.parent / data_name)
    os.replace(work / target.name, target)
    shutil.rmtree(work, ignore_errors=True)
    _write_stamp(target, model_dir, opset=ONNX_OPSET, external_data=data_name)
    return target


def _onnx_ready(model_dir: Path) -> bool:
    """Whether the ONNX path can serve this folder: a fast tokenizer file, mean pooling, and an
    export that exists or can be made (torch and onnx importable)."""
    if not (model_dir / "tokenizer.json").is_file():
        return False
    pooling = model_dir / "1_Pooling" / "config.json"
    try:
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
            return False
    except ValueError:
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    if _stamp_ok(onnx_path(model_dir, False), model_dir):
        return True
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "onnx", "transformers"))


class _OnnxEncoder:
    """tokenizer.json + an ONNX Runtime session + mean pooling + L2 normalisation: what the
    folder's sentence-transformers modules do, without torch."""

    def __init__(self, model_dir: Path, quantized: bool):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        pooling = model_dir / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
            raise ModelError(f"{model_dir}: the onnx backends support mean pooling only; use ASSISTANT_BACKEND=torch")
        max_len = 512
        cfg = model_dir / "sentence_bert_config.json"
        if cfg.is_file():
            max_len = int(json.loads(cfg.read_text()).get("max_seq_length", 512))
        self._tokenizer_file = str(model_dir / "tokenizer.json")
        self._counter = None  # made on first use: only ingest counts tokens (reading the file takes ~1.6 s)
        self._counter_lock = threading.Lock()
        self.tok = Tokenizer.from_file(self._tokenizer_file)
        self.tok.enable_truncation(max_len)
        pad = self.tok.token_to_id("<pad>")
        self.tok.enable_padding(pad_id=pad if pad is not None else 0, pad_token="<pad>")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # No busy-waiting between calls: an idle server leaves the office PC's 2 cores to others.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        threads = int(os.environ.get("ASSISTANT_ONNX_THREADS", "0"))
        if threads:
            opts.intra_op_num_threads = threads
        path = export_onnx(model_dir, quantized)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[-1]) if isinstance(self.session.get_outputs()[0].shape[-1], int) else 384

    @property
    def counter(self):
        """The same tokenizer without truncation or padding."""
        if self._counter is None:
            from tokenizers import Tokenizer

            with self._counter_lock:
                if self._counter is None:
                    counter = Tokenizer.from_file(self._tokenizer_file)
                    counter.no_truncation()
                    counter.no_padding()
                    self._counter = counter
        return self._counter

    # transformers' tokenizer drops surrounding whitespace before tokenizing (a trailing space
    # would otherwise add a '▁' token); strip the same way so both backends count and chunk alike.
    def count_tokens(self, text: str) -> int:
        return len(self.counter.encode(text.strip(), add_special_tokens=False).ids)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Length-sorted batches (as sentence-transformers does), results in input order."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i : i + batch_size]
            encs = self.tok.encode_batch([texts[j].strip() for j in idx])
            ids = np.asarray([e.ids for e in encs], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encs], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[idx] = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        return out


# ------------------------------------------------------------------ the embedder
class Embedder(Embeddings):
    """mE5 needs 'query: ' / 'passage: ' prefixes; the folder's prompts supply them."""

    def __init__(self, model_dir: Path, batch_size: int = 32, backend: str | None = None, query_cache: int = QUERY_CACHE):
        model_dir = Path(model_dir)
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise ModelError(f"{model_dir}: not a sentence-transformers model folder (run `make setup`)")
        backend = backend or default_backend()
        if backend not in BACKENDS:
            raise ModelError(f"backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        if backend == "onnx" and not _onnx_ready(model_dir):
            backend = "torch"  # same vectors, same fingerprint: a folder the exporter cannot take runs on torch
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.backend = backend
        self.fingerprint = fingerprint(model_dir, backend)
        self._lock = threading.Lock()  # 2 cores gain nothing from parallel encodes
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache
        self.cache_hits = 0
        self.cache_misses = 0
        if backend == "torch":
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
            self.dim = self.model.get_embedding_dimension()
            self._tokenizer = self.model.tokenizer
            self._prompts = self.model.prompts or {}
            self._onnx = None
        else:
            self.model = None
            self._onnx = _OnnxEncoder(model_dir, quantized=backend == "onnx-int8")
            self.dim = self._onnx.dim
            cfg = model_dir / "config_sentence_transformers.json"
            self._prompts = (json.loads(cfg.read_text()).get("prompts") or {}) if cfg.is_file() else {}

    def count_tokens(self, text: str) -> int:
        if self._onnx is not None:
            return self._onnx.count_tokens(text)
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        if prompt_name not in self._prompts:
            prompt_name = None
        with self._lock:
            if self._onnx is not None:
                prefix = self._prompts.get(prompt_name, "") if prompt_name else ""
                return self._onnx.encode([prefix + t for t in texts], self.batch_size)
            return self.model.encode(
                texts,
                prompt_name=prompt_name,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """One call sorts all its texts by length before batching: pass whole batches, not slices."""
        return self._encode(texts, "passage") if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Many questions at once, as embed_query_vec embeds each (fitting and evaluation)."""
        return self._encode(texts, "query") if texts else np.zeros((0, self.dim), np.float32)

    def embed_query_vec(self, text: str) -> np.ndarray:
        if self._cache_size <= 0:
            return self._encode([text], "query")[0]
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                self.cache_hits += 1
                return hit.copy()
        vec = self._encode([text], "query")[0]
        with self._lock:
            self.cache_misses += 1
            self._cache[text] = vec.copy()
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self.cache_hits = self.cache_misses = 0

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


class CachedEmbedder(Embeddings):
    """An embedder whose passages this model embedded before come from the passage cache; the
    rest of the embedder (queries, token counts, fingerprint) is the model's own."""

    def __init__(self, embedder: Embedder, cache: PassageCache):
        self.embedder = embedder
        self.passage_cache = cache

    def __getattr__(self, name: str):
        if name in ("embedder", "passage_cache"):  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.embedder, name)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.embedder.embed_passages(texts)
        got = self.passage_cache.get(texts)
        missing = [i for i, v in enumerate(got) if v is None]
        if missing:
            fresh = self.embedder.embed_passages([texts[i] for i in missing])
            self.passage_cache.put([texts[i] for i in missing], fresh)
            for j, i in enumerate(missing):
                got[i] = fresh[j]
        return np.stack(got).astype(np.float32, copy=False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)


def embedder_for(settings) -> Embedder | CachedEmbedder:
    """The embedder the settings name: model folder (built on first use), batch size, backend,
    with the passage cache under the settings' home unless `passage_cache` is off."""
    emb = load_embedder(resolve_model_dir(settings.model_path, settings.model_dir), settings.embed_batch, settings.backend)
    if not settings.passage_cache:
        return emb
    return CachedEmbedder(emb, _passage_cache(cache_path(settings.home, emb.fingerprint, emb.backend), emb.dim))


@lru_cache(maxsize=8)
def _passage_cache(path: Path, dim: int) -> PassageCache:
    return PassageCache(path, dim)  # one connection per file and process


def fingerprint_for(settings) -> str:
    """The fingerprint of the settings' model and backend, without loading the model."""
    return fingerprint(resolve_model_dir(settings.model_path, settings.model_dir), settings.backend)


def load_embedder(model_dir: Path, batch_size: int = 32, backend: str | None = None) -> Embedder:
    """One model per process and backend: loading takes seconds and ~0.3-0.9 GB."""
    return _load(Path(model_dir), batch_size, backend or default_backend())


@lru_cache(maxsize=4)
def _load(model_dir: Path, batch_size: int, backend: str) -> Embedder:
    return Embedder(model_dir, batch_size, backend)


load_embedder.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
