"""The README stays a user's page: its figures come from the newest report, it stays short, and no
link in it or in docs/ points nowhere."""

from __future__ import annotations

import os
import re
from pathlib import Path

from eval import headline

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# A Markdown link or image target; code is stripped first, so `[link](javascript:…)` in prose about
# escaping is not taken for a link.
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")


def test_readme_figures_are_the_newest_reports():
    text = README.read_text(encoding="utf-8")
    assert headline.replace_block(text, headline.from_reports()) == text, "run `python -m eval.headline`"
    assert headline.main(["--check"]) == 0


def test_readme_is_at_most_250_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250


def test_relative_links_point_to_files():
    broken = []
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        prose = _CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
        for target in _LINK.findall(prose):
            path = target.split("#", 1)[0]
            if not path or re.match(r"[a-z][a-z0-9+.-]*:", path):  # an anchor on the page, or a URL
                continue
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_newest_report_is_chosen_by_the_date_in_its_name(tmp_path):
    # A fresh clone gives every file the same mtime; an old report touched last must not win.
    for name, stamp in (("2026-12-01-domain.json", 1), ("2026-11-30-domain.json", 2), ("bench-2026-11-24.json", 3),
                        ("bench-2026-12-01.json", 0)):
        (tmp_path / name).write_text("{}", encoding="utf-8")
        os.utime(tmp_path / name, (stamp, stamp))
    assert headline.newest(tmp_path, "*-domain.json").name == "2026-12-01-domain.json"
    assert headline.newest(tmp_path, "bench-*.json").name == "bench-2026-12-01.json"


def test_figures_render_what_the_report_holds_and_skip_what_it_lacks():
    report = {"domain": {"splits": {"blind": {
        "retrieval": {"hybrid": {"n": 94, "R@5": 0.9149, "MRR@10": 0.8351}},
        "answers": {"answer_key_hit_all": 0.67, "refusal_accuracy": 1.0, "false_refusal": 0.0213,
                    "n_out_of_scope": 16, "n_in_scope": 94}}}}}
    lines = headline.figures(report, "2026-12-01-domain.json")
    assert lines[:2] == ["| figure | value | report |", "|---|---|---|"]
    assert len(lines) == 2 + 5  # the blind rows only: no benchmarks, no bench report
    assert "| 0.915 | [2026-12-01-domain](eval/reports/2026-12-01-domain.md) |" in lines[2]
    assert "| Blind dev set: answerable questions refused (of 94) | 0.021 |" in lines[-1]


def test_check_fails_on_a_stale_block(tmp_path, capsys):
    stale = tmp_path / "README.md"
    stale.write_text(f"x\n{headline.START}\n| old |\n{headline.END}\n", encoding="utf-8")
    assert headline.main(["--check", "--readme", str(stale)]) == 1
    assert "python -m eval.headline" in capsys.readouterr().err
    assert headline.main(["--readme", str(stale)]) == 0
    assert headline.main(["--check", "--readme", str(stale)]) == 0
