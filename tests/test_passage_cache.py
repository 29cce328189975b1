"""The passage cache: a passage is embedded once per model, the cached vector is the model's own,
and a cache that cannot be read only costs time."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.model.passage_cache import PassageCache, cache_path
from tests.conftest import SEED_DIR

pytestmark = pytest.mark.slow

TEXTS = ["แนวทางที่ 7 การพัฒนาเมืองอัจฉริยะอย่างมีส่วนร่วม", "องค์การบริหารส่วนตำบลมีหน้าที่ต้องทำในเขต อบต.", "Smart City"]


@pytest.fixture
def embedder(tmp_path):
    """The real model behind a cache of this test's own."""
    from assistant.config import load_settings
    from assistant.model.embedding import CachedEmbedder, load_embedder

    s = load_settings(index_dir=tmp_path / "index")
    e = load_embedder(s.model_dir, s.embed_batch, s.backend)
    return CachedEmbedder(e, PassageCache(cache_path(tmp_path, e.fingerprint, e.backend), e.dim))


def count_encodes(e, monkeypatch) -> list[int]:
    """How many passages each call sends to the model itself."""
    calls: list[int] = []
    model = e.embedder
    real = model.embed_passages
    monkeypatch.setattr(model, "embed_passages", lambda texts: (calls.append(len(texts)), real(texts))[1])
    return calls


def test_a_passage_is_embedded_once_and_the_cached_vector_is_the_models(embedder, monkeypatch):
    calls = count_encodes(embedder, monkeypatch)
    first = embedder.embed_passages(TEXTS[:2])
    again = embedder.embed_passages([TEXTS[1], TEXTS[2], TEXTS[0]])
    assert calls == [2, 1]  # only the new passage went to the model
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    fresh = embedder.embedder.embed_passages(TEXTS)
    assert np.allclose(np.stack([again[2], again[0], again[1]]), fresh, atol=1e-5)
    assert len(embedder.passage_cache) == 3


def test_a_damaged_cache_file_costs_time_not_vectors(embedder, monkeypatch):
    """A damaged file is set aside and a new one started: the vectors are the model's either way."""
    path = embedder.passage_cache.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 100)
    calls = count_encodes(embedder, monkeypatch)
    vecs = embedder.embed_passages(TEXTS)
    assert calls == [3] and vecs.shape == (3, embedder.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    assert path.with_name(path.name + ".damaged").read_bytes().startswith(b"not a database")
    assert np.array_equal(embedder.embed_passages(TEXTS[:1])[0], vecs[0]) and calls == [3]


def test_two_processes_share_one_cache_file(tmp_path):
    """Writers in two processes at once: every vector is kept, none is torn."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from assistant.model.passage_cache import PassageCache\n"
        "c = PassageCache(sys.argv[1], 8)\n"
        "for i in range(200):\n"
        "    c.put([f'{sys.argv[2]}-{i}'], np.full((1, 8), i, np.float32))\n"
    )
    path = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), name]) for name in ("a", "b")]
    assert all(p.wait(120) == 0 for p in procs)
    cache = PassageCache(path, 8)
    got = cache.get([f"{n}-{i}" for n in "ab" for i in range(200)])
    assert all(v is not None for v in got) and len(cache) == 400
    assert all(np.array_equal(v, np.full(8, i % 200, np.float32)) for i, v in enumerate(got))


def test_ingest_into_a_second_index_reuses_the_vectors(tmp_path, monkeypatch):
    """Two indexes of the same folder: the second embeds nothing and searches the same."""
    from assistant.config import load_settings
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    runs = []
    model = load_settings().model_dir  # the built model, with the cache in a home of this test's own
    for name in ("one", "two"):
        a = Assistant(load_settings(index_dir=tmp_path / name, home=tmp_path / "home", model_path=model))
        assert a.embedder.passage_cache.path.is_relative_to(tmp_path / "home")
        calls = count_encodes(a.embedder, monkeypatch)
        rep = ingest([SEED_DIR], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
        assert rep.ok and rep.chunks_embedded > 0
        encoded = sum(calls)
        runs.append((encoded, [h.chunk_id for h in a.search("แนวทางที่ 7 คืออะไร", k=5, method="dense")]))
        a.index.close()
    (first_encoded, first_hits), (second_encoded, second_hits) = runs
    assert first_encoded > 0 and second_encoded == 0
    assert first_hits == second_hits


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    from assistant.config import load_settings
    from assistant.model.embedding import embedder_for

    model = load_settings().model_dir
    on = embedder_for(load_settings(index_dir=tmp_path / "i", home=tmp_path / "home", model_path=model))
    assert on.passage_cache.path.is_relative_to(tmp_path / "home")
    monkeypatch.setenv("ASSISTANT_PASSAGE_CACHE", "0")
    off = embedder_for(load_settings(index_dir=tmp_path / "i", home=tmp_path / "home", model_path=model))
    assert not hasattr(off, "passage_cache") and off is on.embedder
