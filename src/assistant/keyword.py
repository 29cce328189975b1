"""BM25 over Thai word tokens (bm25s: sparse-matrix scoring, saved as .npy, loads in ms).

Built from the catalog's stored tokens at ingest time, never per query. bm25s has no
incremental update, so a write rebuilds it; rebuilding from stored tokens takes well under a
second per 10k chunks, far below the cost of embedding the same batch."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np

logging.getLogger("bm25s").setLevel(logging.ERROR)


class KeywordIndex:
    def __init__(self, model, chunk_ids: list[str], generation: int):
        self.model = model
        self.chunk_ids = chunk_ids
        self.generation = generation
        self._vocab = model.vocab_dict if model is not None else {}

    @classmethod
    def build(cls, token_lists: list[list[str]], chunk_ids: list[str], generation: int) -> "KeywordIndex":
        import bm25s

        if not chunk_ids:
            return cls(None, [], generation)
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(token_lists, show_progress=False)
        return cls(model, chunk_ids, generation)

    def search(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        if self.model is None:
            return []
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return []
        scores = self.model.get_scores(known)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, root: Path) -> None:
        """Write generation N into root/gen-N, then point root/CURRENT at it (atomic rename)."""
        root.mkdir(parents=True, exist_ok=True)
        target = root / f"gen-{self.generation}"
        tmp = root / f".tmp-gen-{self.generation}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.model is not None:
            self.model.save(str(tmp), show_progress=False)
        (tmp / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        cur_tmp = root / f".CURRENT.{os.getpid()}"
        cur_tmp.write_text(str(self.generation))
        os.replace(cur_tmp, root / "CURRENT")
        for old in root.glob("gen-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, root: Path) -> "KeywordIndex | None":
        import bm25s

        try:
            generation = int((root / "CURRENT").read_text().strip())
            path = root / f"gen-{generation}"
            chunk_ids = json.loads((path / "chunk_ids.json").read_text())
        except (OSError, ValueError):
            return None
        if not chunk_ids:
            return cls(None, [], generation)
        model = bm25s.BM25.load(str(path), show_progress=False)
        return cls(model, chunk_ids, generation)
