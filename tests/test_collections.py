"""Collections with a role: the guidance itself (corpus/documents, seed/) or related material,
set at ingest by folder or by `--collection`, shown by `assistant docs`, preferred by retrieval."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from assistant.knowledge.collections import GUIDANCE, RELATED, check_role, role_for_path, role_of
from tests.conftest import ROOT, SEED_ID


def test_role_by_folder():
    assert role_for_path("corpus/documents/x.txt") == GUIDANCE
    assert role_for_path("/abs/repo/corpus/documents/sub/x.pdf") == GUIDANCE
    assert role_for_path("../shared/seed/release.txt") == GUIDANCE
    assert role_for_path("../shared/corpus/thai_law/1.txt") == RELATED
    assert role_for_path("documents/x.txt") == RELATED  # only corpus/documents, not any "documents"
    assert role_for_path("seed.txt") == RELATED  # a file named seed is not the seed folder


def test_recorded_role_wins_over_the_folder_and_old_entries_fall_back():
    assert role_of({"collection": RELATED}, "corpus/documents/x.txt") == RELATED
    assert role_of({}, "corpus/documents/x.txt") == GUIDANCE  # indexed before roles were recorded
    assert role_of({"collection": "bogus"}, "news/x.txt") == RELATED
    with pytest.raises(ValueError, match="guidance, related"):
        check_role("primary")


def test_the_index_knows_the_roles(built_index):
    a, _ = built_index
    roles = {d.doc_id: d.collection for d in a.index.documents()}
    assert roles[SEED_ID] == GUIDANCE
    assert set(roles.values()) == {GUIDANCE, RELATED} and list(roles.values()).count(GUIDANCE) == 1
    assert a.understanding.knowledge().guidance == {SEED_ID}


def test_guidance_outranks_related_material(built_index):
    """The same question with and without the guidance preference: the seed moves up."""
    from assistant.retrieve.retriever import Retriever

    a, _ = built_index

    def ranked(q, share):
        # the standout bonus and the rescored top off: on this small slice each alone puts the seed
        # first for the question
        r = Retriever(a.index, a.embedder, replace(a.settings, guidance_share=share, standout_share=0.0, rescore_top=0),
                      a.understanding)
        return [h.doc_id for h in r.search(q, k=10)]

    q = "บทบาทขององค์กรปกครองส่วนท้องถิ่นในการพัฒนาเมือง"
    off, on = ranked(q, 0.0), ranked(q, 0.5)
    assert off[0] != SEED_ID and SEED_ID in off  # the decentralisation Act wins without the preference
    assert on[0] == SEED_ID
    # A question a law answers by its own words keeps the law first.
    law = ranked("การกระจายอำนาจให้องค์กรปกครองส่วนท้องถิ่น", 0.5)
    assert law[0] == "thai_law/523968.txt"
    # The guidance may hold guidance_cap places of the top k, a related document per_doc_cap.
    assert on[:5].count(SEED_ID) <= a.settings.guidance_cap
    assert max(off[:5].count(d) for d in set(off[:5]) - {SEED_ID}) <= a.settings.per_doc_cap


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ingest_sets_and_changes_the_collection(tmp_path, slice_dir):
    index = tmp_path / "index"
    news = slice_dir / "thaigov"
    r = _cli("ingest", str(news), "--index", str(index), "--json", cwd=ROOT)
    assert r.returncode == 0, r.stderr
    docs = json.loads(_cli("docs", "--index", str(index), "--json", cwd=ROOT).stdout)
    assert docs and {d["collection"] for d in docs} == {RELATED}

    r = _cli("ingest", str(news), "--index", str(index), "--collection", "guidance", "--json", cwd=ROOT)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["chunks_embedded"] == 0  # the same text: its vectors are reused
    docs = json.loads(_cli("docs", "--index", str(index), "--json", cwd=ROOT).stdout)
    assert {d["collection"] for d in docs} == {GUIDANCE}

    r = _cli("ingest", str(news), "--index", str(index), "--collection", "primary", cwd=ROOT)
    assert r.returncode == 2 and "guidance, related" in r.stdout + r.stderr
