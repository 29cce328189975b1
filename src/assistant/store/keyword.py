"""BM25 over Thai word tokens (bm25s: sparse-matrix scoring, saved as .npy, loads in ms).

Built from the catalog's stored tokens at ingest time, never per query. bm25s has no
incremental update, so a write rebuilds it; rebuilding from stored tokens takes about a second
per 5k chunks, far below the cost of embedding the same batch.

Two views of the same tokens: each chunk alone, and each chunk's *window* — the chunk with the
WINDOW chunks either side of it in its document — so a passage whose question words are spread
over a paragraph or a section that the chunker cut is still found whole (eval: blind dev set and
the external sets, README)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from pathlib import Path

import numpy as np

from assistant.text.thai import TOKENIZER_VERSION

logging.getLogger("bm25s").setLevel(logging.ERROR)

WINDOW = 2  # chunks either side; chosen on the blind dev set (1: R@5 −2 questions, 3: MRR −0.01)


def window_tokens(positions: list[tuple[str, int]], token_lists: list[list[str]], width: int = WINDOW) -> list[list[str]]:
    """Each chunk's tokens together with those of the `width` chunks either side of it in its
    document; `positions`: (doc id, ordinal) per chunk."""
    at = {p: i for i, p in enumerate(positions)}
    out = []
    for doc, ordinal in positions:
        out.append([t for o in range(ordinal - width, ordinal + width + 1) if (doc, o) in at for t in token_lists[at[(doc, o)]]])
    return out


def _bm25(token_lists: list[list[str]]):
    import bm25s

    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index(token_lists, show_progress=False)
    return model


class KeywordIndex:
    def __init__(self, model, chunk_ids: list[str], generation: int, model_fingerprint: str | None = None, window=None):
        self.model = model
        self.window = window  # the same chunks scored by their windows
        self.chunk_ids = chunk_ids
        self.generation = generation
        self.model_fingerprint = model_fingerprint  # the index's embedding model, for `doctor`
        self._vocab = model.vocab_dict if model is not None else {}

    @classmethod
    def build(cls, token_lists: list[list[str]], chunk_ids: list[str], positions: list[tuple[str, int]], generation: int,
              model_fingerprint: str | None = None) -> "KeywordIndex":
        """`positions`: (doc id, ordinal) per chunk, for the window view."""
        if not chunk_ids:
            return cls(None, [], generation, model_fingerprint)
        return cls(_bm25(token_lists), chunk_ids, generation, model_fingerprint, _bm25(window_tokens(positions, token_lists)))

    def search(self, tokens: list[str], n: int, extra: list[str] = (), extra_weight: float = 0.5,
               window: bool = False) -> list[tuple[str, float]]:
        """BM25 of `tokens`, plus `extra` (expansion terms) at a lower weight; of each chunk's
        window with `window`."""
        model = self.window if window else self.model
        if model is None:
            return []
        known = [t for t in tokens if t in self._vocab]  # (both views know the same words)
        more = [t for t in extra if t in self._vocab and t not in known]
        if not known and not more:
            return []
        scores = model.get_scores(known) if known else 0.0
        if more:
            scores = scores + extra_weight * model.get_scores(more)
        # bm25s adds a query's terms up in an order that changes from run to run (PYTHONHASHSEED):
        # scores equal but for float noise must compare equal, and ties go in index order, or
        # the same question ranks differently in two processes
        scores = np.round(scores, 6)
        m = min(len(scores), n + 64)
        pool = np.argpartition(-scores, m - 1)[:m]
        top = pool[np.lexsort((pool, -scores[pool]))][:n]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, root: Path) -> None:
        """Write generation N into root/gen-N, then point root/CURRENT at it (atomic rename).
        A process killed half-way leaves only a .tmp folder, which a later save removes."""
        root.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(root)
        target = root / f"gen-{self.generation}"
        tag = f"{os.getpid()}-{threading.get_ident()}"
        tmp = root / f".tmp-gen-{self.generation}-{tag}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.model is not None:
            self.model.save(str(tmp), show_progress=False)
            self.window.save(str(tmp / "window"), show_progress=False)
        (tmp / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
        (tmp / "meta.json").write_text(json.dumps({"generation": self.generation, "model": self.model_fingerprint, "chunks": len(self.chunk_ids),
                                                   "window": WINDOW, "tokenizer": TOKENIZER_VERSION}))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        cur_tmp = root / f".CURRENT.{tag}"
        cur_tmp.write_text(str(self.generation))
        os.replace(cur_tmp, root / "CURRENT")
        for old in root.glob("gen-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, root: Path) -> "KeywordIndex | None":
        """The saved index, or None when there is none, it cannot be read (a writer in another
        process may be replacing it) or it lacks today's window view or tokens: the caller
        rebuilds from the catalog."""
        import bm25s

        try:
            generation = int((root / "CURRENT").read_text().strip())
            path = root / f"gen-{generation}"
            chunk_ids = json.loads((path / "chunk_ids.json").read_text())
            try:
                meta = json.loads((path / "meta.json").read_text())
            except (OSError, ValueError):
                meta = {}
            if not chunk_ids:
                return cls(None, [], generation, meta.get("model"))
            if meta.get("window") != WINDOW:  # saved before windows, or with another width
                return None
            if meta.get("tokenizer", "1") != TOKENIZER_VERSION:  # tokens of another index_tokens
                return None
            model = bm25s.BM25.load(str(path), show_progress=False)
            window = bm25s.BM25.load(str(path / "window"), show_progress=False)
        except Exception:  # missing, half-replaced or damaged files
            return None
        return cls(model, chunk_ids, generation, meta.get("model"), window)


def _remove_leftovers(root: Path) -> None:
    """Temporary folders and pointer files of writers that are no longer running."""
    for p in list(root.glob(".tmp-gen-*")) + list(root.glob(".CURRENT.*")):
        m = re.search(r"[-.](\d+)-\d+$", p.name)
        pid = int(m.group(1)) if m else None
        if pid is not None and _alive(pid):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
