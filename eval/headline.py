"""The README's headline figures: a Markdown table made from the newest committed reports.

`python -m eval.headline` rewrites the block between the two markers in README.md;
`python -m eval.headline --check` exits 1 when the block differs from what the reports give.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from eval.report import REPORTS_DIR

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- figures:start -->"
END = "<!-- figures:end -->"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def newest(reports_dir: Path, pattern: str) -> Path | None:
    """The report matching `pattern` with the latest date in its name (a fresh clone gives every
    file the same modification time, so the name decides; the whole name breaks ties)."""
    dated = [p for p in reports_dir.glob(pattern) if _DATE.search(p.name)]
    return max(dated, key=lambda p: (_DATE.search(p.name).group(), p.name), default=None)


def _link(json_name: str) -> str:
    """A link to the readable twin (.md) of a JSON report, relative to the README."""
    stem = Path(json_name).stem
    return f"[{stem}](eval/reports/{stem}.md)"


def figures(domain: dict, domain_name: str, bench: dict | None = None, bench_name: str | None = None) -> list[str]:
    """The table's lines from an evaluation report (and a bench report). A set the report lacks
    (no blind set, a benchmark not run) is left out, so a partial run still renders."""
    rows: list[tuple[str, str, str]] = []
    src = _link(domain_name)
    blind = domain.get("domain", {}).get("splits", {}).get("blind")
    if blind:
        r, a = blind["retrieval"]["hybrid"], blind["answers"]
        rows += [
            (f"Blind dev set ({r['n']} questions): the evidence in the top 5 passages (R@5)", f"{r['R@5']:.3f}", src),
            ("Blind dev set: rank of the first relevant passage (MRR@10)", f"{r['MRR@10']:.3f}", src),
            ("Blind dev set: answers holding every answer key", f"{a['answer_key_hit_all']:.3f}", src),
            (f"Blind dev set: out-of-scope questions refused (of {a['n_out_of_scope']})", f"{a['refusal_accuracy']:.3f}", src),
            (f"Blind dev set: answerable questions refused (of {a['n_in_scope']})", f"{a['false_refusal']:.3f}", src),
        ]
    labels = {
        "xquad-th": "XQuAD-th",
        "iapp": "iApp Wiki QA test",
        "iapp-distractors": "iApp test among {documents:,} paragraphs",
    }
    for name, label in labels.items():
        b = domain.get("benchmarks", {}).get(name)
        if not b or "answers" not in b:
            continue
        label = label.format(documents=b["documents"])
        rows.append((f"{label} ({b['queries']:,} questions): R@1 / answer contains the gold answer",
                     f"{b['methods']['hybrid']['R@1']:.3f} / {b['answers']['contains']:.3f}", src))
    oos = domain.get("out_of_scope", {})
    if "iapp-test" in oos and "xquad-th" in oos:
        rows.append(("Wikipedia questions asked of the policy index, refused: iApp test / XQuAD-th",
                     f"{oos['iapp-test']['model']:.3f} / {oos['xquad-th']['model']:.3f}", src))
    corpus = next((s for s in (bench or {}).get("scales", []) if s.get("name") == "corpus"), None)
    if corpus and bench_name:
        lat = corpus["latency"]["latency"]
        rows.append((f"Search p95 / ask p95 ({corpus['chunks']:,} chunks, {bench['machine']['cores']} cores)",
                     f"{lat['hybrid']['p95']:.0f} ms / {lat['ask']['p95']:.0f} ms", _link(bench_name)))
    return ["| figure | value | report |", "|---|---|---|"] + [f"| {f} | {v} | {s} |" for f, v, s in rows]


def from_reports(reports_dir: Path = REPORTS_DIR) -> list[str]:
    """The table from the newest evaluation and bench reports in `reports_dir`."""
    domain = newest(reports_dir, "*-domain.json")
    if domain is None:
        raise FileNotFoundError(f"no *-domain.json report in {reports_dir}")
    bench = newest(reports_dir, "bench-*.json")
    return figures(
        json.loads(domain.read_text(encoding="utf-8")), domain.name,
        json.loads(bench.read_text(encoding="utf-8")) if bench else None, bench.name if bench else None,
    )


def replace_block(text: str, lines: list[str]) -> str:
    """`text` with the lines between the markers replaced by `lines`."""
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README lacks the markers {START} … {END}")
    return head + start + "\n" + "\n".join(lines) + "\n" + end + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.headline", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the README's block is not up to date")
    ap.add_argument("--readme", type=Path, default=README)
    ap.add_argument("--reports", type=Path, default=REPORTS_DIR)
    args = ap.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    new = replace_block(text, from_reports(args.reports))
    if args.check:
        if new != text:
            print(f"{args.readme}: the headline figures differ from the newest report; run `python -m eval.headline`",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        args.readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
