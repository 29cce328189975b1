"""Check the evaluation question set against the corpus.

Usage (from anywhere):

    python eval/check_questions.py [--corpus ../shared/corpus] [--seed corpus/documents]
                                   [--questions eval/questions] [--strict]

Defaults are resolved from this file's location: the repository root is the parent of
``eval/``; ``--corpus`` defaults to ``<root>/../shared/corpus``, ``--seed`` to
``<root>/corpus/documents`` and ``--questions`` to ``<root>/eval/questions``.

Document ids:
  * seed files:  their path relative to the seed directory, e.g.
    ``dla-jica-depa-smart-city-egm-2024-04-30.th.txt``
  * corpus text: their path relative to the corpus directory, e.g. ``thai_law/523968.txt``
  * JSONL rows:  ``<path>#<id>``, e.g. ``thaigov/thaigov_news_selected.jsonl#2094ad3e3989``

Evidence is matched after the same normalisation on both sides: Unicode NFC, NBSP,
zero-width and C1 control characters (U+0080-U+009F) dropped, then all whitespace removed,
so hard line wraps, CRLF and NBSP in the Acts do not matter.

``multipart.jsonl`` (qids ``m001``...) holds multi-part questions: kind ``multi`` and a ``parts``
list, one ``{"question", "answer_keys", "gold_doc_ids"}`` per asked part, whose keys must be found in
that part's documents and whose keys and documents together make the row's. A multi-part question
may ask two things of one document, so the two-document rule applies only to rows without parts.

``check(rows, docs)`` returns the list of problems (empty when the set is valid);
``lint(rows)`` returns style findings (lengths, counts) that only fail with ``--strict``.
The script prints a summary and exits 1 when there is any problem. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

KINDS = ("lexical", "paraphrase", "multi", "out_of_scope")
DIFFICULTIES = ("easy", "medium", "hard")
SPLITS = {"dev": "d", "test": "t", "multipart": "m"}
MULTIPART_SPLITS = ("multipart",)  # only kind "multi" rows with "parts"; the others must hold every kind
REQUIRED = ("qid", "question", "kind", "difficulty", "gold_doc_ids", "evidence", "answer_keys")
CORPUS_SUFFIXES = (".txt",)  # MANIFEST.md / index.json describe the corpus, they are not documents
SEED_SUFFIXES = (".txt", ".md")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_SEED = REPO_ROOT / "corpus" / "documents"
DEFAULT_QUESTIONS = REPO_ROOT / "eval" / "questions"

# NBSP and friends, zero-width characters, BOM, and the C1 control block.
_INVISIBLE = re.compile(
    "[\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff\u0080-\u009f]"
)
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, drop NBSP/zero-width/C1 characters, then remove all whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub(" ", text)
    return _WHITESPACE.sub("", text)


# ---------------------------------------------------------------- loading


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _load_jsonl(path: Path, prefix: str, docs: dict[str, str]) -> None:
    for line in _read_text(path).splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(row, dict):
            continue
        rid = row.get("id", row.get("doc_id"))
        text = row.get("text")
        if rid is None or not isinstance(text, str):
            continue
        docs[f"{prefix}#{rid}"] = text


def _load_tree(root: Path, docs: dict[str, str], suffixes: tuple[str, ...]) -> None:
    if not root or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() == ".jsonl":
            _load_jsonl(path, rel, docs)
        elif path.suffix.lower() in suffixes:
            docs[rel] = _read_text(path)


def load_documents(corpus_dir, seed_dir) -> dict[str, str]:
    """Map doc id -> raw text for every document under the corpus and seed directories.

    ``.txt`` files (plus ``.md`` in the seed directory) are keyed by their path relative to
    their root directory; every JSONL row
    with an ``id`` and a ``text`` is keyed ``<relative path>#<id>``. Seed ids win over
    corpus ids if both exist. Missing directories are skipped.
    """
    docs: dict[str, str] = {}
    _load_tree(Path(corpus_dir) if corpus_dir else None, docs, CORPUS_SUFFIXES)
    _load_tree(Path(seed_dir) if seed_dir else None, docs, SEED_SUFFIXES)
    return docs


def load_questions(path) -> tuple[list[dict], list[str]]:
    """Read one JSONL question file; return (rows, parse problems)."""
    rows: list[dict] = []
    problems: list[str] = []
    path = Path(path)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name}:{n}: line is not a JSON object")
            continue
        rows.append(row)
    return rows, problems


# ---------------------------------------------------------------- checking


def _is_str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check(rows, docs) -> list[str]:
    """Return every problem found in ``rows`` (question dicts) against ``docs`` (id -> text)."""
    problems: list[str] = []
    norm_cache: dict[str, str] = {}

    def norm_doc(doc_id: str) -> str:
        if doc_id not in norm_cache:
            norm_cache[doc_id] = normalize(docs[doc_id])
        return norm_cache[doc_id]

    seen: dict[str, int] = {}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            problems.append(f"row {i}: not an object")
            continue
        qid = row.get("qid")
        label = qid if isinstance(qid, str) and qid else f"row {i}"
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            problems.append(f"{label}: missing field(s) {', '.join(missing)}")

        if not isinstance(qid, str) or not qid.strip():
            problems.append(f"{label}: qid must be a non-empty string")
        elif qid in seen:
            problems.append(f"{label}: duplicate qid (also row {seen[qid]})")
        else:
            seen[qid] = i

        question = row.get("question")
        if not isinstance(question, str) or not question.strip():
            problems.append(f"{label}: question must be a non-empty string")

        kind = row.get("kind")
        if kind not in KINDS:
            problems.append(f"{label}: invalid kind {kind!r} (expected one of {', '.join(KINDS)})")
        difficulty = row.get("difficulty")
        if difficulty not in DIFFICULTIES:
            problems.append(
                f"{label}: invalid difficulty {difficulty!r} "
                f"(expected one of {', '.join(DIFFICULTIES)})"
            )

        gold = row.get("gold_doc_ids", [])
        evidence = row.get("evidence", [])
        keys = row.get("answer_keys", [])
        for name, value in (("gold_doc_ids", gold), ("evidence", evidence), ("answer_keys", keys)):
            if not _is_str_list(value):
                problems.append(f"{label}: {name} must be a list of strings")
        if not (_is_str_list(gold) and _is_str_list(evidence) and _is_str_list(keys)):
            continue

        if kind == "out_of_scope":
            for name, value in (("gold_doc_ids", gold), ("evidence", evidence), ("answer_keys", keys)):
                if value:
                    problems.append(f"{label}: out_of_scope question must have empty {name}")
            continue

        # in-scope (or unknown kind): needs gold docs and evidence found in them
        if not gold:
            problems.append(f"{label}: in-scope question has no gold_doc_ids")
        if len(set(gold)) != len(gold):
            problems.append(f"{label}: duplicate id in gold_doc_ids")
        if not evidence:
            problems.append(f"{label}: in-scope question has no evidence")
        if not keys:
            problems.append(f"{label}: in-scope question has no answer_keys")
        for key in keys:
            if not key.strip():
                problems.append(f"{label}: empty answer key")
        parts = row.get("parts")
        if parts is not None:
            problems.extend(_check_parts(label, parts, gold, keys, docs, norm_doc))
        elif kind == "multi" and len(set(gold)) < 2:
            problems.append(f"{label}: multi question needs at least two gold documents")

        known = []
        for doc_id in gold:
            if doc_id in docs:
                known.append(doc_id)
            else:
                problems.append(f"{label}: unknown gold doc id {doc_id!r}")

        supported: set[str] = set()
        for ev in evidence:
            nev = normalize(ev)
            if not nev:
                problems.append(f"{label}: empty evidence string")
                continue
            hits = [d for d in known if nev in norm_doc(d)]
            if hits:
                supported.update(hits)
            elif known:
                short = ev if len(ev) <= 60 else ev[:57] + "..."
                problems.append(f"{label}: evidence not found in any gold doc: {short!r}")
        if kind == "multi":
            for doc_id in known:
                if doc_id not in supported:
                    problems.append(f"{label}: no evidence string found in gold doc {doc_id!r}")
    return problems


def _check_parts(label, parts, gold, keys, docs, norm_doc) -> list[str]:
    """Problems in a multi-part row's ``parts``: each part a question with answer keys found in its
    own gold documents; the parts' keys and documents together are the row's."""
    problems: list[str] = []
    if not isinstance(parts, list) or len(parts) < 2:
        return [f"{label}: parts must be a list of at least two parts"]
    part_keys: list[str] = []
    part_docs: list[str] = []
    for n, part in enumerate(parts, 1):
        where = f"{label} part {n}"
        if not isinstance(part, dict):
            problems.append(f"{where}: not an object")
            continue
        question = part.get("question")
        if not isinstance(question, str) or not question.strip():
            problems.append(f"{where}: question must be a non-empty string")
        pkeys, pgold = part.get("answer_keys"), part.get("gold_doc_ids")
        if not (_is_str_list(pkeys) and pkeys and all(k.strip() for k in pkeys)):
            problems.append(f"{where}: answer_keys must be a non-empty list of non-empty strings")
            pkeys = []
        if not (_is_str_list(pgold) and pgold):
            problems.append(f"{where}: gold_doc_ids must be a non-empty list of strings")
            pgold = []
        part_keys += pkeys
        part_docs += pgold
        for doc_id in pgold:
            if doc_id not in gold:
                problems.append(f"{where}: gold doc {doc_id!r} is not in the row's gold_doc_ids")
        known = [d for d in pgold if d in docs]
        for key in pkeys:
            if known and not any(normalize(key) in norm_doc(d) for d in known):
                problems.append(f"{where}: answer key not found in the part's gold docs: {key!r}")
    if set(part_keys) != set(keys):
        problems.append(f"{label}: answer_keys must be the union of the parts' answer_keys")
    if set(part_docs) != set(gold):
        problems.append(f"{label}: gold_doc_ids must be the union of the parts' gold_doc_ids")
    return problems


def lint(rows) -> list[str]:
    """Style findings from the question-writing guide (only fatal with --strict)."""
    notes: list[str] = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            continue
        label = row.get("qid") or f"row {i}"
        kind = row.get("kind")
        evidence = row.get("evidence") if _is_str_list(row.get("evidence")) else []
        keys = row.get("answer_keys") if _is_str_list(row.get("answer_keys")) else []
        gold = row.get("gold_doc_ids") if _is_str_list(row.get("gold_doc_ids")) else []
        if kind == "out_of_scope":
            continue
        for ev in evidence:
            n = len(ev.strip())
            if not 15 <= n <= 80:
                notes.append(f"{label}: evidence length {n} outside 15-80: {ev[:40]!r}")
        limit = max(2, len(gold)) if kind == "multi" else 2
        if isinstance(row.get("parts"), list):  # one evidence string per asked part is expected
            limit = max(limit, len(row["parts"]))
        if len(evidence) > limit:
            notes.append(f"{label}: {len(evidence)} evidence strings (at most {limit} expected)")
        if not 1 <= len(keys) <= 3:
            notes.append(f"{label}: {len(keys)} answer keys (1-3 expected)")
        for key in keys:
            if not 2 <= len(key.strip()) <= 20:
                notes.append(f"{label}: answer key length {len(key.strip())} outside 2-20: {key!r}")
    return notes


# ---------------------------------------------------------------- summary


def _doc_group(doc_id: str) -> str:
    if doc_id.startswith("thai_law/"):
        return "thai_law"
    if "#" in doc_id:
        return doc_id.split("#", 1)[0]
    return "seed"


def summarize(rows_by_split: dict[str, list[dict]], docs: dict[str, str]) -> str:
    out: list[str] = []
    all_rows = [r for rows in rows_by_split.values() for r in rows if isinstance(r, dict)]
    out.append(f"questions: {len(all_rows)}")
    for split, rows in rows_by_split.items():
        kinds = Counter(r.get("kind") for r in rows if isinstance(r, dict))
        diffs = Counter(r.get("difficulty") for r in rows if isinstance(r, dict))
        out.append(
            f"  {split:5s} {len(rows):4d}  kind: "
            + ", ".join(f"{k}={kinds.get(k, 0)}" for k in KINDS)
            + "  difficulty: "
            + ", ".join(f"{d}={diffs.get(d, 0)}" for d in DIFFICULTIES)
        )
    total_kinds = Counter(r.get("kind") for r in all_rows)
    if all_rows:
        out.append(
            "  share: "
            + ", ".join(f"{k}={100 * total_kinds.get(k, 0) / len(all_rows):.0f}%" for k in KINDS)
        )

    covered: dict[str, set[str]] = defaultdict(set)
    for r in all_rows:
        gold = r.get("gold_doc_ids")
        if _is_str_list(gold):
            for d in gold:
                covered[_doc_group(d)].add(d)
    available = Counter(_doc_group(d) for d in docs)
    out.append(f"documents covered: {sum(len(v) for v in covered.values())}")
    for group in sorted(set(covered) | set(available)):
        out.append(f"  {group}: {len(covered.get(group, ()))} of {available.get(group, 0)} loaded")

    guidelines: set[int] = set()
    for r in all_rows:
        if r.get("kind") == "out_of_scope" or not _is_str_list(r.get("evidence")):
            continue
        for ev in r["evidence"]:
            guidelines.update(int(n) for n in re.findall(r"แนวทางที่\s*(\d+)", ev))
    if guidelines:
        out.append("seed guidelines cited in evidence: " + ", ".join(map(str, sorted(guidelines))))
    return "\n".join(out)


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="shared corpus directory")
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed document directory")
    ap.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS,
        help="directory holding dev.jsonl, test.jsonl and multipart.jsonl",
    )
    ap.add_argument("--strict", action="store_true", help="treat style findings as problems")
    args = ap.parse_args(argv)

    problems: list[str] = []
    for name, path in (("corpus", args.corpus), ("seed", args.seed)):
        if not path.is_dir():
            problems.append(f"{name} directory not found: {path}")
    docs = load_documents(args.corpus, args.seed)
    if not docs:
        problems.append("no documents loaded")

    rows_by_split: dict[str, list[dict]] = {}
    for split, prefix in SPLITS.items():
        path = args.questions / f"{split}.jsonl"
        if not path.is_file():
            problems.append(f"missing question file: {path}")
            continue
        rows, parse_problems = load_questions(path)
        problems.extend(parse_problems)
        rows_by_split[split] = rows
        for row in rows:
            qid = row.get("qid")
            if isinstance(qid, str) and not re.fullmatch(prefix + r"\d{3,}", qid):
                problems.append(f"{qid}: qid in {split}.jsonl should look like {prefix}001")
        if split in MULTIPART_SPLITS:
            for row in rows:
                if row.get("kind") != "multi" or "parts" not in row:
                    problems.append(f"{row.get('qid')}: {split}.jsonl rows must be kind multi with parts")
            continue
        kinds = {r.get("kind") for r in rows}
        for kind in KINDS:
            if rows and kind not in kinds:
                problems.append(f"{split}.jsonl has no {kind} question")

    all_rows = [r for rows in rows_by_split.values() for r in rows]
    problems.extend(check(all_rows, docs))
    notes = lint(all_rows)

    print(summarize(rows_by_split, docs))
    if notes:
        print(f"\nstyle findings ({len(notes)}):")
        for n in notes:
            print("  - " + n)
        if args.strict:
            problems.extend(notes)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        return 1
    print("\nOK: 0 problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
