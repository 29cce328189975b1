"""The three stores agree (`assistant doctor` finds and repairs disagreements), an index refuses
a model it was not built with, and Thai search keeps its promises: Thai and Arabic digits match,
Buddhist-era years stay as written and are found either way, queries without word boundaries
and with English terms retrieve."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SEED_DIR, SEED_ID
from tests.reliability import catalog_state, closed_seed_index, copy_index, doctor, run_cli, search_state

pytestmark = pytest.mark.slow


def open_assistant(index_dir: Path):
    from assistant.config import load_settings
    from assistant.service import Assistant

    return Assistant(load_settings(index_dir=index_dir))


def same_answers(a: list, b: list, tol: float = 1e-3) -> bool:
    """Same hits in the same order; scores equal up to re-embedding noise."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if [(d, c) for d, c, _ in ra] != [(d, c) for d, c, _ in rb]:
            return False
        if any(abs(x[2] - y[2]) > tol for x, y in zip(ra, rb)):
            return False
    return True


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A closed seed index to copy, and how it answers."""
    return closed_seed_index(tmp_path_factory, "doctor-src")


@pytest.fixture
def copy(built, tmp_path):
    return copy_index(built, tmp_path)


def _vectors(index_dir: Path):
    from assistant.store.vectors import VectorStore

    return VectorStore(index_dir / "chroma")


def _answers_after(index_dir: Path):
    a = open_assistant(index_dir)
    try:
        return search_state(a)
    finally:
        a.index.close()


# ---------------------------------------------------------------- doctor


def test_doctor_reports_a_healthy_index(copy):
    index_dir, _ = copy
    code, rep = doctor(index_dir)
    assert code == 0 and rep["healthy"] and rep["problems"] == []
    assert rep["chunks"] == rep["vectors"] > 0 and rep["keyword_matches"]
    assert rep["vector_model"] == rep["model"] == rep["keyword_model"]


def test_doctor_finds_and_restores_deleted_vectors(copy):
    index_dir, answers = copy
    ids = [c for _, c, _ in catalog_state(index_dir)["chunks"]][:4]
    vs = _vectors(index_dir)
    vs.delete(ids)
    vs.close()
    code, rep = doctor(index_dir)
    assert code == 1 and not rep["healthy"] and rep["missing_vectors"] == 4
    assert any("no vector in Chroma" in p for p in rep["problems"])
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"] and rep["missing_vectors"] == 0, rep
    assert rep["repaired"] and "no vector" in rep["repaired"][0]
    assert same_answers(_answers_after(index_dir), answers)


def test_doctor_rebuilds_a_removed_keyword_index(copy):
    index_dir, answers = copy
    shutil.rmtree(index_dir / "keyword")
    code, rep = doctor(index_dir)
    assert code == 1 and "no keyword index on disk" in rep["problems"]
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["healthy"] and (index_dir / "keyword" / "CURRENT").is_file()
    assert same_answers(_answers_after(index_dir), answers, tol=0)


def test_doctor_reports_orphans_which_never_show_and_fix_drops_them(copy):
    index_dir, answers = copy
    vs = _vectors(index_dir)
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(30, 384)).astype(np.float32)
    vs.add([f"orphan-{i}" for i in range(30)], vecs / np.linalg.norm(vecs, axis=1, keepdims=True), [{"doc_id": "ghost", "ordinal": i} for i in range(30)])
    vs.close()
    code, rep = doctor(index_dir)
    assert code == 1 and rep["orphan_vectors"] == 30
    assert same_answers(_answers_after(index_dir), answers, tol=1e-6)  # orphans are never answers
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["orphan_vectors"] == 0 and rep["vectors"] == rep["chunks"]


def test_doctor_notices_vectors_of_another_model_and_reembeds(copy):
    index_dir, answers = copy
    vs = _vectors(index_dir)
    vs.set_model("some-other-model:0123456789abcdef")
    vs.close()
    code, rep = doctor(index_dir)
    assert code == 1 and any("some-other-model" in p for p in rep["problems"])
    code, rep = doctor(index_dir, "--fix")
    assert code == 0 and rep["vector_model"] == rep["model"] and rep["vectors"] == rep["chunks"]
    assert same_answers(_answers_after(index_dir), answers)


def test_doctor_on_a_missing_index_is_a_clear_error(tmp_path):
    r = run_cli("doctor", "--index", tmp_path / "nothing-here")
    assert r.returncode == 1 and "no index here" in r.stderr


# ---------------------------------------------------------------- another model


@pytest.fixture(scope="module")
def other_model(tmp_path_factory):
    """A genuinely different sentence-transformers model: a one-layer BERT with random weights
    (seeded), the same tokenizer, a 64-d output. Built here in a second, nothing downloaded."""
    import torch
    from transformers import BertConfig, BertModel

    from assistant.config import load_settings

    real = load_settings().model_dir
    if not (real / "tokenizer.json").is_file():
        pytest.skip("the project's model is not built (make setup)")
    out = tmp_path_factory.mktemp("models") / "tiny-bert-64"
    out.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "modules.json",
                 "sentence_bert_config.json", "config_sentence_transformers.json"):
        if (real / name).is_file():
            shutil.copy(real / name, out / name)
    for sub in ("1_Pooling", "2_Normalize"):
        if (real / sub).is_dir():
            shutil.copytree(real / sub, out / sub)
    pooling = out / "1_Pooling" / "config.json"
    if pooling.is_file():
        cfg = json.loads(pooling.read_text())
        cfg["word_embedding_dimension"] = 64
        pooling.write_text(json.dumps(cfg))
    torch.manual_seed(0)
    vocab = json.loads((real / "config.json").read_text())["vocab_size"]
    BertModel(BertConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=128, max_position_embeddings=512, type_vocab_size=2, pad_token_id=1)).save_pretrained(out)
    return out


def test_cli_refuses_an_index_built_with_another_model(copy, other_model, tmp_path):
    from assistant.model.embedding import fingerprint

    index_dir, _ = copy
    before = catalog_state(index_dir)
    theirs = fingerprint(other_model)
    note = tmp_path / "note.txt"
    note.write_text("บันทึกข้อความเรื่องเมืองอัจฉริยะ", encoding="utf-8")
    for args in (
        ("ingest", note, "--json"),  # checked before the model loads
        ("ask", "แนวทางที่ 7 คืออะไร", "--json"),  # checked after it loads
        ("doctor",),
    ):
        r = run_cli(*args, "--index", index_dir, "--model", other_model)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        err = " ".join(r.stderr.split())
        assert "index was built with model multilingual-e5-small" in err and theirs in err, err
        assert "Traceback" not in r.stderr
    assert catalog_state(index_dir) == before


# ---------------------------------------------------------------- Thai search promises


DOCS = {
    "พรบ-ทดสอบ.txt": "มาตรา ๑๖ ให้เทศบาลตำบลมีหน้าที่จัดให้มีน้ำสะอาดหรือการประปา\n\nมาตรา ๑๗ ให้เทศบาลตำบลมีหน้าที่กำจัดมูลฝอยและสิ่งปฏิกูล",
    "ระเบียบ-ทดสอบ.txt": "ข้อ 27 ให้องค์การบริหารส่วนตำบลจัดทำแผนพัฒนาท้องถิ่นทุกปี\n\nข้อ 28 ให้นายกองค์การบริหารส่วนตำบลประกาศแผนพัฒนา",
    "ประกาศ-ทดสอบ.txt": "ประกาศกระทรวงมหาดไทย ลงวันที่ ๑๕ มีนาคม พ.ศ. ๒๕๖๒ เรื่อง มาตรฐานการบริหารจัดการขยะมูลฝอยชุมชน",
    "รายงาน-ทดสอบ.txt": "รายงานผลการดำเนินงานด้านสวัสดิการผู้สูงอายุประจำปีงบประมาณ 2565 ของเทศบาลนครตัวอย่าง",
}


@pytest.fixture(scope="module")
def search_index(tmp_path_factory):
    """The seed corpus plus four short documents to compete with it."""
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("thai-search")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    a = open_assistant(root / "index")
    rep = ingest([SEED_DIR, docs], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert rep.ok, rep.failures
    return a


@pytest.mark.parametrize("method", ["bm25", "hybrid"])
@pytest.mark.parametrize(
    "query, doc_id, must_contain",
    [
        ("มาตรา 16", "พรบ-ทดสอบ.txt", "มาตรา ๑๖"),  # Arabic in the query, Thai digits in the text
        ("มาตรา ๑๗ กำจัดมูลฝอย", "พรบ-ทดสอบ.txt", "มาตรา ๑๗"),
        ("ข้อ ๒๗ แผนพัฒนาท้องถิ่น", "ระเบียบ-ทดสอบ.txt", "ข้อ 27"),  # Thai digits in the query, Arabic in the text
        ("ประกาศ พ.ศ. 2562 ขยะ", "ประกาศ-ทดสอบ.txt", "พ.ศ. ๒๕๖๒"),  # a Buddhist-era year, either way
        ("ประกาศ พ.ศ. ๒๕๖๒ ขยะ", "ประกาศ-ทดสอบ.txt", "พ.ศ. ๒๕๖๒"),
        ("ปีงบประมาณ ๒๕๖๕ ผู้สูงอายุ", "รายงาน-ทดสอบ.txt", "2565"),
        ("ประชุมเมื่อ 30 เมษายน ๒๕๖๗", SEED_ID, "30 เมษายน 2567"),
    ],
)
def test_digits_and_buddhist_years_match_either_way(search_index, method, query, doc_id, must_contain):
    hits = search_index.search(query, k=3, method=method)
    assert hits and hits[0].doc_id == doc_id, [(h.doc_id, h.text[:60]) for h in hits]
    assert must_contain in hits[0].text  # the text keeps the digits and the year as written


@pytest.mark.parametrize("method", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize(
    "query, must_contain",
    [
        ("การพัฒนาเมืองน่าอยู่อัจฉริยะที่ครอบคลุมและยั่งยืน", "ครอบคลุมและยั่งยืน"),  # no word boundaries at all
        ("กรมส่งเสริมการปกครองท้องถิ่นร่วมกับญี่ปุ่น", "กรมส่งเสริมการปกครองท้องถิ่น"),
        ("Smart City", "Smart Cit"),
        ("depa", "depa"),
        ("JICA", "JICA"),
        ("ความร่วมมือกับ JICA และ depa ด้าน Smart City", "JICA"),
    ],
)
def test_unsegmented_and_english_queries_retrieve(search_index, method, query, must_contain):
    hits = search_index.search(query, k=3, method=method)
    assert hits and hits[0].doc_id == SEED_ID, [(h.doc_id, h.text[:60]) for h in hits]
    assert any(must_contain.lower() in h.text.lower() for h in hits)
