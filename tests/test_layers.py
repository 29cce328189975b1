"""The house's layers, read from the source: the library imports no stage above it, the UI nothing
from eval/, and no two library modules import each other, directly or round a longer loop."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside a function (a lazy import is
    still an arrow)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def library_graph() -> dict[str, set[str]]:
    files = {module_name(p, SRC): p for p in (SRC / "assistant").rglob("*.py")}
    return {m: {i for i in imports_of(p) if i in files and i != m} for m, p in files.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop, or None (a depth-first walk; package __init__ files count as modules)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if not state.get(n) and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if not state.get(m) and (found := visit(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_loop():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_circle_in_the_library():
    assert (found := cycle(library_graph())) is None, " → ".join(found)


def test_the_library_imports_no_stage_above_it():
    above = ("ui", "eval", "ingest", "tests")
    for path in (SRC / "assistant").rglob("*.py"):
        bad = sorted(i for i in imports_of(path) if i.split(".")[0] in above)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_ui_imports_nothing_from_eval():
    for path in (ROOT / "ui").rglob("*.py"):
        bad = sorted(i for i in imports_of(path) if i.split(".")[0] == "eval")
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_answerers_table_knows_no_implementation():
    table = imports_of(SRC / "assistant" / "answer" / "answerers.py")
    assert not any(i.startswith("assistant.answer.") for i in table), table
