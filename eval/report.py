"""Evaluation reports: Markdown + JSON with the tables, PNG plots, and a per-question diff
against the previous report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parent / "reports"


def _f(x) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def previous_report(reports_dir: Path, exclude: Path) -> dict | None:
    # by the date the name starts with: a fresh clone gives every file the same modification time
    candidates = sorted(
        (p for p in reports_dir.glob("*.json") if p != exclude and not p.name.startswith("bench-")),
        key=lambda p: (p.name[:10], p.stat().st_mtime),
    )
    for p in reversed(candidates):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if "domain" in data:
            data["_path"] = p.name
            return data
    return None


def diff(prev: dict | None, cur: dict, split: str = "test", method: str = "hybrid", k: int = 5) -> dict:
    """Questions whose hybrid passage rank crossed the top-k line, and refusals that flipped."""
    if not prev:
        return {}
    try:
        before = prev["domain"]["splits"][split]["questions"]
        after = cur["domain"]["splits"][split]["questions"]
    except KeyError:
        return {}
    better, worse = [], []
    key = f"{method}_rank"
    for qid, row in after.items():
        old = before.get(qid)
        if old is None:
            continue
        if key in row:
            hit_old = old.get(key) is not None and old[key] <= k
            hit_new = row.get(key) is not None and row[key] <= k
            if hit_new and not hit_old:
                better.append(qid)
            elif hit_old and not hit_new:
                worse.append(qid)
        elif "correct_refusal" in row and "correct_refusal" in old and row["correct_refusal"] != old["correct_refusal"]:
            (better if row["correct_refusal"] else worse).append(qid)
    return {"against": prev.get("_path"), "better": better, "worse": worse}


def plots(result: dict, stem: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    split = result["domain"]["splits"].get("test") or next(iter(result["domain"]["splits"].values()))
    retrieval = split["retrieval"]

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, s in retrieval.items():
        ax.plot(range(1, 11), s["curve"], marker="o", label=method)
    ax.set_xlabel("k")
    ax.set_ylabel("Recall@k (passage)")
    ax.set_ylim(0, 1)
    ax.set_title("Domain test split: recall@k by method")
    ax.grid(alpha=0.3)
    ax.legend()
    path = stem.with_name(stem.name + "-recall.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path.name)

    kinds = sorted({k for s in retrieval.values() for k in s["by_kind"]})
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.8 / max(1, len(retrieval))
    for i, (method, s) in enumerate(retrieval.items()):
        vals = [s["by_kind"].get(k, {}).get("R@5", 0) for k in kinds]
        ax.bar([x + i * width for x in range(len(kinds))], vals, width, label=method)
    ax.set_xticks([x + width * (len(retrieval) - 1) / 2 for x in range(len(kinds))], kinds)
    ax.set_ylabel("Recall@5")
    ax.set_ylim(0, 1)
    ax.set_title("Domain test split: Recall@5 by question kind")
    ax.legend()
    path = stem.with_name(stem.name + "-kinds.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path.name)

    lat = result.get("latencies_ms", [])
    if lat:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(lat, bins=30)
        ax.set_xlabel("ask latency (ms), warm")
        ax.set_ylabel("questions")
        ax.set_title("Answer latency per question")
        path = stem.with_name(stem.name + "-latency.png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path.name)
    return made


def markdown(result: dict) -> str:
    lines = [f"# Evaluation: {result['name']} ({result['date']})", ""]
    meta = result["meta"]
    lines += [
        f"- index: `{meta['index']}` — {meta['documents']} documents, {meta['chunks']} chunks; model `{meta['model']}`",
        f"- settings: {', '.join(f'{k}={v}' for k, v in meta['settings'].items())}",
        "",
    ]
    if "domain" in result:
        lines += [f"Refusal rule (the shipped settings): `{result['domain']['refusal_rule']}`", ""]
    for split, data in result.get("domain", {}).get("splits", {}).items():
        lines += [f"## Domain questions — {split} split", ""]
        lines += ["| method | n | R@1 | R@3 | R@5 | R@10 | MRR@10 | nDCG@10 | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|---|---|---|"]
        for m, s in data["retrieval"].items():
            lines.append(
                f"| {m} | {s['n']} | {_f(s['R@1'])} | {_f(s['R@3'])} | {_f(s['R@5'])} | {_f(s['R@10'])} | {_f(s['MRR@10'])} | "
                f"{_f(s['nDCG@10'])} | {s['latency_p50_ms']:.0f} | {s['latency_p95_ms']:.0f} |"
            )
        lines += ["", "Per kind (Recall@5 / MRR@10; multi: all gold documents in the top 5):", ""]
        kinds = sorted({k for s in data["retrieval"].values() for k in s["by_kind"]})
        lines += ["| method | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
        for m, s in data["retrieval"].items():
            cells = []
            for k in kinds:
                bk = s["by_kind"].get(k)
                if not bk:
                    cells.append("–")
                    continue
                cell = f"{bk['R@5']:.2f} / {bk['MRR@10']:.2f} (n={bk['n']})"
                if "all_docs@5" in bk:
                    cell += f"; all docs {bk['all_docs@5']:.2f}"
                cells.append(cell)
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        a = data["answers"]
        lines += [
            "",
            f"Answers (hybrid retrieval, answerer `{meta['settings'].get('answerer', 'extractive')}`, calibrated refusal). "
            "Key hit: of answered in-scope questions; key hit (all): of every in-scope question with keys, a refusal counting as a miss"
            + (" — every key must be present (the blind set's rule)." if split == "blind" else " — any key."),
            "",
            "| key hit | key hit (all) | citation precision | citation validity | refusal accuracy (out of scope) | false refusal (in scope) | median chars | ask p50 ms | ask p95 ms |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {_f(a['answer_key_hit'])} | {_f(a.get('answer_key_hit_all', 0))} | {_f(a['citation_precision'])} | {_f(a['citation_validity'])} | {_f(a['refusal_accuracy'])} "
            f"(n={a['n_out_of_scope']}) | {_f(a['false_refusal'])} (n={a['n_in_scope']}) | {a.get('median_chars', 0):.0f} | {a['ask_p50_ms']:.0f} | {a['ask_p95_ms']:.0f} |",
            "",
        ]
        if a.get("by_type"):
            lines += ["Key hit (all) per question type: " + ", ".join(f"{k} {v['key_hit']:.2f} (n={v['n']})" for k, v in a["by_type"].items()), ""]
    splits = result.get("domain", {}).get("splits", {})
    if any("parts" in d for d in splits.values()):
        lines += ["## Questions that ask several things (query/parts.py)", "",
                  "Split: the share of in-scope questions answered part by part. Parts refused: of the parts found. "
                  "For questions written with their parts (multipart): the split found as many parts as asked, and "
                  "each asked part answered with every one of its keys in its own numbered line.", "",
                  "| split | n | split | parts found | parts refused | parts asked | same number of parts | parts answered |",
                  "|---|---|---|---|---|---|---|---|"]
        for split, data in splits.items():
            p = data.get("parts")
            if p:
                lines.append(f"| {split} | {p['n']} | {_f(p['split'])} | {p['parts_found']} | {_f(p['parts_refused'])} | "
                             f"{p.get('parts_asked', '–')} | {_f(p['parts_matched']) if 'parts_matched' in p else '–'} | "
                             f"{_f(p['parts_answered']) if 'parts_answered' in p else '–'} |")
        lines.append("")
    for name, b in result.get("benchmarks", {}).items():
        lines += [
            f"## External benchmark: {name}",
            "",
            f"{b['queries']} queries, {b['documents']} paragraphs ({b['chunks']} chunks), ingest {b['ingest_s']} s. Paragraph level.",
            "",
            "| method | R@1 | R@5 | R@10 | MRR@10 | p50 ms |",
            "|---|---|---|---|---|---|",
        ]
        for m, s in b["methods"].items():
            lines.append(f"| {m} | {_f(s['R@1'])} | {_f(s['R@5'])} | {_f(s['R@10'])} | {_f(s['MRR@10'])} | {s['p50_ms']} |")
        lines.append("")
        ans = b.get("answers")
        if ans:
            lines += [
                "Answers (the configured answerer; the answer text contains a gold answer):",
                "",
                "| contains | refused | median chars | ask p50 ms | ask p95 ms | split into parts |",
                "|---|---|---|---|---|---|",
                f"| {_f(ans['contains'])} | {_f(ans['refused'])} | {ans['median_chars']:.0f} | {ans['ask_p50_ms']} | {ans['ask_p95_ms']} | "
                f"{_f(ans['split']) if 'split' in ans else '–'} |",
                "",
                "Per question type: " + ", ".join(f"{k} {v['contains']:.2f} (n={v['n']})" for k, v in ans["by_type"].items()),
                "",
            ]
            rules = b.get("answers_rules_only")
            if rules:
                lines += [f"With the refusal rules alone (no answerability model): contains {_f(rules['contains'])}, refused "
                          f"{_f(rules['refused'])}, median {rules['median_chars']:.0f} characters.", ""]
    tscc = result.get("tscc")
    if tscc:
        lines += ["## Situations → Criminal Code articles (thai_legal_tscc)", "",
                  f"{tscc['questions']} Supreme Court fact patterns, {tscc['articles']} article versions, one document each "
                  "(eval/tscc.py). Settings may be chosen on the first half (q-1 … q-480); the rest only reports.", "",
                  "| method | half | HR@1 | HR@5 | HR@10 | Multi-HR@10 | Recall@10 | MRR@10 |", "|---|---|---|---|---|---|---|---|"]
        for m, halves in tscc["methods"].items():
            for half, sc in halves.items():
                lines.append(f"| {m} | {half} | " + " | ".join(_f(sc[k]) for k in ("HR@1", "HR@5", "HR@10", "Multi-HR@10", "Recall@10", "MRR@10")) + " |")
        lines.append("")
    oos = result.get("out_of_scope")
    if oos:
        lines += ["## Questions no indexed document answers, asked of this index", "",
                  "The share refused, with the answerability model (shipped) and with the refusal rules alone.", "",
                  "| questions | n | refused (model) | refused (rules alone) |", "|---|---|---|---|"]
        for name, row in oos.items():
            lines.append(f"| {name} | {row['n']} | {_f(row['model'])} | {_f(row['rules'])} |")
            if row.get("model_by_kind"):
                lines.append("| … by request kind | | " + ", ".join(f"{k} {v:.2f}" for k, v in row["model_by_kind"].items()) + " | "
                             + ", ".join(f"{k} {v:.2f}" for k, v in row["rules_by_kind"].items()) + " |")
        lines.append("")
    for split, table in result.get("ablation", {}).items():
        lines += [f"## Ablation of retrieval techniques — {split} split (hybrid, R@5 / MRR@10)", ""]
        kinds = ["all", "lexical", "paraphrase", "multi"] + [t for t in ("seed", "law", "news") if any(t in row for row in table.values())]
        lines += ["| variant | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
        for name, row in table.items():
            cells = []
            for k in kinds:
                c = row.get(k)
                cells.append("–" if not c else f"{c['R@5']:.3f} / {c['MRR@10']:.3f}" + (f"; all docs {c['all_docs@5']:.2f}" if "all_docs@5" in c else ""))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    d = result.get("diff")
    if d:
        lines += [f"## Changes against {d['against']}", "", f"- better: {', '.join(d['better']) or 'none'}", f"- worse: {', '.join(d['worse']) or 'none'}", ""]
    for p in result.get("plots", []):
        lines.append(f"![{p}]({p})")
    return "\n".join(lines) + "\n"


def write(result: dict, reports_dir: Path = REPORTS_DIR) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = reports_dir / f"{result['date']}-{result['name']}"
    json_path = stem.with_suffix(".json")
    result["diff"] = diff(previous_report(reports_dir, json_path), result)
    if "domain" in result:
        result["plots"] = plots(result, stem)
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    md = stem.with_suffix(".md")
    md.write_text(markdown(result), encoding="utf-8")
    return md


def write_fit_report(kind: str, lines: list[str], reports_dir: Path = REPORTS_DIR) -> Path:
    """A fitting script's report, `<date>-<kind>.md`, also printed."""
    reports_dir.mkdir(exist_ok=True)
    path = reports_dir / f"{dt.date.today().isoformat()}-{kind}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return path
