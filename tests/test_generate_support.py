"""The support threshold against the labelled (sentence, passage, supported?) pairs in
eval/questions/support_pairs.jsonl (docs/llm.md reports the figures)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.answer.verify import DEFAULT_MIN_SUPPORT
from eval.calibrate_support import choose_threshold, load_pairs, pr

PAIRS = Path(__file__).resolve().parents[1] / "eval" / "questions" / "support_pairs.jsonl"


def test_pairs_are_well_formed():
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 100
    # dev: the threshold is chosen on it; test: checked after; holdout, holdout2: written after
    # the checker was frozen (holdout2 after its last change), on passages not used before
    assert {p["split"] for p in pairs} == {"dev", "test", "holdout", "holdout2"}
    assert all(isinstance(p["supported"], bool) and p["sentence"] and p["passage"] for p in pairs)
    # both labels on both splits, with the failure kinds that matter
    for split in ("dev", "test", "holdout", "holdout2"):
        labels = {p["supported"] for p in pairs if p["split"] == split}
        assert labels == {True, False}
    kinds = {p["kind"].split(":")[0] for p in pairs if not p["supported"]}
    assert {"wrong_number", "negation", "swap", "invented", "injection", "wrong_passage"} <= kinds


def test_threshold_chosen_on_dev_holds_on_test():
    pairs = load_pairs(PAIRS)
    dev = [p for p in pairs if p["split"] == "dev"]
    chosen = choose_threshold(dev)["chosen"]["threshold"]
    assert chosen == DEFAULT_MIN_SUPPORT == Settings().llm_min_support
    for split in ("test", "holdout", "holdout2"):
        r = pr([p for p in pairs if p["split"] == split], chosen)
        assert r["precision"] >= 0.9 and r["recall"] >= 0.85, (split, r)
