"""BM25 over the stored Thai word tokens in Tantivy: the bm25s index's twin that is written
per document instead of rebuilt per write, and searched from memory-mapped files.

The same two views as store/keyword.py (each chunk, and each chunk's window), built from the
catalog's stored PyThaiNLP tokens through Tantivy's whitespace tokenizer: Tantivy never analyses
the Thai itself. Tantivy only finds the candidates; their scores are bm25s's, computed here
exactly (see `TantivyKeywords.search`): Tantivy's own BM25 keeps each chunk's length in one byte
and counts deleted chunks in its statistics until their segment is merged, either of which
reorders near-ties. So rankings and scores are bm25s's to the last rounded digit, after per-
document updates as after a full build.

On disk: `<root>/STATE.json` names the live Tantivy folder (`<root>/idx-*`) and the catalog
generation it holds. A writer marks the state pending, commits, then marks it done; a reader
trusts a searcher only when the state read before and after opening it is the same done state,
so a searcher is always labelled with the generation it holds. A killed writer leaves the last
Tantivy commit readable and the state pending: the next writer rebuilds, readers build in memory.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.store.keyword import WINDOW, _alive, window_tokens
from assistant.text.thai import TOKENIZER_VERSION

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # bm25s's parameters in store/keyword.py (and Tantivy's fixed ones)
SCALE = 1.0 / (K1 + 1.0)  # Tantivy multiplies each term's weight by k1 + 1; bm25s does not
# Tantivy's candidates beyond the n asked for. No margin is wide enough by itself (a chunk's
# one-byte length can put it any number of places too low), so `search` only stops once a bound
# (`_slack`) shows that no chunk it has not scored can reach the top n, and widens otherwise;
# 200 is cheap (Tantivy returns addresses; chunks are read only as needed) and settles nearly every
# search at once.
MARGIN = 200
# Relative slack for float32 arithmetic (Tantivy's scores and bm25s's), far above its ~1e-7 error.
TOL = 1e-5
# What `den + tf` gives in bm25s's term-frequency factor: its denominator is a float64 scalar
# added to a float32 array, which numpy 2 promotes to float64 and numpy 1 kept in float32.
_DEN = (np.float64(1.0) + np.ones(1, np.float32)).dtype
# Deleted chunks stay in Tantivy's own statistics until their segment is rewritten. Exact scores
# ignore them, but they loosen the candidate bound (more candidates fetched) and take disk: past
# this share of the live chunks a write rebuilds the folder instead. Not tuned on any eval set.
COMPACT_SHARE = 0.1
FORMAT = 2  # 2: token fields stored and lengths kept, for exact scoring
WAIT_S = 5.0  # how long a reader waits for a writer that is catching the index up
HEAP = 64_000_000  # Tantivy's writer buffer (per thread)
STATE = "STATE.json"


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("doc_id", tokenizer_name="raw", index_option="basic")  # delete a document by it
    sb.add_integer_field("order", fast=True)  # catalog order, for ties (integer: unsigned fast fields reject Python ints)
    # stored: a candidate's exact term counts are read back from its tokens
    sb.add_text_field("chunk", stored=True, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("window", stored=True, tokenizer_name="whitespace", index_option="freq")
    # exact token counts, summed for the average length (Tantivy's own are one byte per chunk)
    sb.add_integer_field("chunk_len", fast=True)
    sb.add_integer_field("window_len", fast=True)
    return sb.build()


def _document(cid: str, doc_id: str, order: int, toks: list[str], win: list[str]):
    import tantivy

    return tantivy.Document(chunk_id=cid, doc_id=doc_id, order=order, chunk=" ".join(toks), window=" ".join(win),
                            chunk_len=len(toks), window_len=len(win))


def _idf(df: int, n: int) -> float:
    """bm25s's default ("lucene") IDF."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@dataclass
class DocTokens:
    """One document's chunks as the catalog stores them, in order."""

    doc_id: str
    chunk_ids: list[str]
    ordinals: list[int]
    tokens: list[list[str]]


@dataclass
class TantivyKeywords:
    """One committed state of the index (a Tantivy searcher is a snapshot): the same search as
    KeywordIndex, for one catalog generation."""

    searcher: object
    schema: object
    generation: int
    model_fingerprint: str | None = None
    deleted: int = 0  # chunks deleted since the folder was built: at least as many as Tantivy still counts
    _ids: list[str] | None = field(default=None, repr=False)
    _lengths: dict = field(default_factory=dict, repr=False)

    @property
    def chunk_count(self) -> int:
        return self.searcher.num_docs

    @property
    def chunk_ids(self) -> list[str]:
        """Every chunk id, in catalog order (a full scan: for `doctor`, not for searching)."""
        if self._ids is None:
            import tantivy

            n = self.searcher.num_docs
            hits = self.searcher.search(tantivy.Query.all_query(), max(n, 1), count=False).hits if n else []
            addrs = [a for _, a in hits]
            orders = self.searcher.fast_field_values("order", addrs)
            self._ids = [self.searcher.doc(a).get_first("chunk_id") for _, a in sorted(zip(orders, addrs), key=lambda p: p[0])]
        return self._ids

    def search(self, tokens: list[str], n: int, extra: list[str] = (), extra_weight: float = 0.5,
               window: bool = False) -> list[tuple[str, float]]:
        """BM25 of `tokens`, plus `extra` (expansion terms) at a lower weight; of each chunk's
        window with `window`. bm25s's scores and ranking exactly; ties in catalog order."""
        import tantivy

        name = "window" if window else "chunk"
        n_docs = self.searcher.num_docs
        if n <= 0 or not n_docs:
            return []
        df = {t: self._live_df(name, t) for t in {*tokens, *extra} if t}
        known = [t for t in tokens if df.get(t)]  # as bm25s: a repeated word counts each time
        more = [t for t in extra if df.get(t) and t not in known]
        weight: dict[str, float] = {}
        for t in known:
            weight[t] = weight.get(t, 0.0) + 1.0
        for t in more:
            weight[t] = weight.get(t, 0.0) + extra_weight
        # a chunk holding only words of weight <= 0 scores <= 0, which bm25s leaves out too
        lifting = [t for t, w in weight.items() if w > 0]
        if not lifting:
            return []
        clauses = []
        for t in lifting:
            q = tantivy.Query.term_query(self.schema, name, t)
            clauses.append((tantivy.Occur.Should, q if weight[t] == 1.0 else tantivy.Query.boost_query(q, weight[t])))
        query = tantivy.Query.boolean_query(clauses)
        terms = list(weight)
        idf = np.array([_idf(df[t], n_docs) for t in terms], dtype=np.float32)  # bm25s keeps its IDF in float32
        avg = self._total_length(name) / n_docs  # == bm25s's float64 mean of the lengths
        slack = self._slack(name, lifting, df, n_docs)
        scored: dict[tuple[int, int], tuple[float, int, str]] = {}  # (segment, doc) → (score, catalog order, chunk id)

        def ranked():
            top = sorted((v for v in scored.values() if v[0] > 0), key=lambda v: (-v[0], v[1]))[:n]
            return [(cid, score) for score, _, cid in top]

        def settled(unseen_best: float) -> bool:
            # every chunk not scored yet has Tantivy score <= unseen_best, so exact score <= slack
            # times that; below the n-th exact score (less its rounding) it cannot enter the top n
            if len(scored) < n:
                return False
            nth = sorted((v[0] for v in scored.values()), reverse=True)[n - 1]
            return nth > slack * unseen_best * SCALE + 1e-6

        limit, batch = n + MARGIN, max(n + 6, 16)  # the first batch nearly always settles it
        while True:
            hits = self.searcher.search(query, limit, count=False).hits
            exhausted = len(hits) < limit  # every match is in `hits`
            todo = [(s, a) for s, a in hits if (a.segment_ord, a.doc) not in scored]  # still best first
            for i in range(0, len(todo), batch):
                part = [a for _, a in todo[i:i + batch]]
                for a, v in zip(part, self._exact(part, name, terms, idf, avg, known, more, extra_weight)):
                    scored[(a.segment_ord, a.doc)] = v
                nxt = todo[i + batch][0] if i + batch < len(todo) else (None if exhausted else hits[-1][0])
                if nxt is None or settled(nxt):
                    return ranked()
            if exhausted or settled(hits[-1][0]):
                return ranked()
            limit *= 4

    def _exact(self, addrs: list, name: str, terms: list[str], idf: np.ndarray, avg: float, known: list[str],
               more: list[str], extra_weight: float) -> list[tuple[float, int, str]]:
        """(bm25s's score, catalog order, chunk id) of these chunks, bm25s's float32 arithmetic
        step by step, so even the rounded sixth decimal agrees."""
        docs = [self.searcher.doc(a) for a in addrs]
        lengths = np.array(self.searcher.fast_field_values(f"{name}_len", addrs), dtype=np.float64)
        tf = np.zeros((len(addrs), len(terms)), dtype=np.float32)
        for i, d in enumerate(docs):
            words = (d.get_first(name) or "").split(" ")
            for j, t in enumerate(terms):
                tf[i, j] = words.count(t)
        den = (K1 * ((1 - B) + B * lengths / avg)).astype(_DEN)
        contrib = (idf[None, :] * (tf / (den[:, None] + tf))).astype(np.float32)  # bm25s stores each term's score as float32
        col = {t: j for j, t in enumerate(terms)}
        scores = np.zeros(len(addrs), dtype=np.float32)
        for t in known:  # summed in the query's order, in float32, as bm25s does
            scores += contrib[:, col[t]]
        if more:
            added = np.zeros(len(addrs), dtype=np.float32)
            for t in more:
                added += contrib[:, col[t]]
            scores = scores + extra_weight * added
        scores = np.round(scores, 6)
        orders = self.searcher.fast_field_values("order", addrs)
        return [(float(s), o, d.get_first("chunk_id")) for s, o, d in zip(scores, orders, docs)]

    def _live_df(self, name: str, term: str) -> int:
        """Chunks holding `term` now (Tantivy's doc_freq still counts deleted ones)."""
        import tantivy

        return self.searcher.search(tantivy.Query.term_query(self.schema, name, term), 1, count=True).count

    def _total_length(self, name: str) -> int:
        """Tokens in the live chunks' `name` view (deleted chunks are not aggregated)."""
        if name not in self._lengths:
            import tantivy

            agg = self.searcher.aggregate(tantivy.Query.all_query(), {"n": {"sum": {"field": f"{name}_len"}}})
            self._lengths[name] = int(agg["n"]["value"] or 0)
        return self._lengths[name]

    def _slack(self, name: str, terms: list[str], df: dict[str, int], n_docs: int) -> float:
        """How far above Tantivy's score (over k1 + 1) a chunk's exact score can lie.

        Per term, exact / Tantivy's = (exact idf / Tantivy's idf) · (tf + k1·K') / (tf + k1·K) with
        K = 1 - b + b·length/mean length, which is at most max(1, K'/K). Tantivy rounds a length
        down, never up, so by length alone its score is never the lower one: K'/K <= max(1, exact
        mean / Tantivy's mean). Its mean counts deleted chunks and their tokens, so it is at least
        live tokens / (live + deleted). Its idf uses its own doc_freq (deleted included) and a chunk
        total of at least the live count and that doc_freq. Float32 rounding: TOL."""
        worst = 1.0
        for t in terms:
            theirs = self.searcher.doc_freq(name, t)
            worst = max(worst, _idf(df[t], n_docs) / _idf(theirs, max(n_docs, theirs)))
        return worst * (1 + self.deleted / n_docs) * (1 + TOL)


class TantivyStore:
    """The keyword folder: committed snapshots for readers, full builds and per-document updates
    for the writer (who holds the index's write lock)."""

    def __init__(self, root: Path, model_fingerprint: str | None = None):
        self.root = Path(root)
        self.model_fingerprint = model_fingerprint
        self._opened: dict[str, object] = {}  # folder name → tantivy.Index, re-used across reloads
        self._lock = threading.Lock()

    # ------------------------------------------------------------ state
    def state(self) -> dict | None:
        try:
            st = json.loads((self.root / STATE).read_text())
            return st if isinstance(st, dict) and {"generation", "dir", "pending"} <= st.keys() else None
        except (OSError, ValueError):
            return None

    def generation_on_disk(self) -> int | None:
        """The generation a reader can open now (None: none, or a write is half-way)."""
        st = self.state()
        return None if st is None or st["pending"] else int(st["generation"])

    def _write_state(self, st: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{STATE}.{os.getpid()}-{threading.get_ident()}"
        tmp.write_text(json.dumps(st))
        os.replace(tmp, self.root / STATE)

    def _usable(self, st: dict | None) -> str | None:
        """Why a state cannot be searched as it is (None: it can)."""
        if st is None:
            return "missing or unreadable"
        if st.get("format") != FORMAT:
            return f"written in format {st.get('format', 1)}, this version reads {FORMAT}"
        if st.get("tokenizer") != TOKENIZER_VERSION:
            return f"built from tokenizer {st.get('tokenizer')} tokens, this version makes {TOKENIZER_VERSION}"
        if st.get("window") != WINDOW:
            return f"built with windows of {st.get('window')} chunks, this version uses {WINDOW}"
        return None

    # ------------------------------------------------------------ reading
    def _index(self, name: str, reload: bool = True):
        import tantivy

        with self._lock:
            idx = self._opened.get(name)
            if idx is None:
                idx = tantivy.Index.open(str(self.root / name))
                idx.config_reader(reload_policy="Manual")
                self._opened = {name: idx}  # an older folder is dropped with its last reader
            elif reload:
                idx.reload()
            return idx

    def open(self, generation: int | None = None, busy: Callable[[], bool] = lambda: False,
             wait: float = WAIT_S) -> TantivyKeywords | None:
        """The committed snapshot (at `generation`, when given), or None when there is none, it is
        damaged, of another tokenizer, or not at that generation: the caller builds it. While
        `busy()` (a writer holds the index's lock) a snapshot that lags or is half-written is
        waited for, up to `wait` seconds."""
        deadline = time.monotonic() + wait
        while True:
            st = self.state()
            why = self._usable(st)
            if why is not None:
                if st is not None or self.root.exists():
                    log.warning("tantivy keyword index %s: %s", self.root, why)
                return None
            behind = st["pending"] or (generation is not None and st["generation"] < generation)
            if behind:
                writer = st.get("pid")
                if (busy() or (st["pending"] and writer and _alive(writer) and writer != os.getpid())) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                return None
            if generation is not None and st["generation"] != generation:
                return None  # the folder moved on past a pinned reader: it gets its own copy
            try:
                idx = self._index(st["dir"])
                snap = TantivyKeywords(idx.searcher(), idx.schema, int(st["generation"]), st.get("model"), int(st.get("deleted", 0)))
            except Exception as exc:  # damaged, or replaced by a writer between the two reads
                if self.state() == st:
                    log.warning("tantivy keyword index %s cannot be opened (%s: %s)", self.root, type(exc).__name__, str(exc)[:120])
                    return None
                continue
            if self.state() == st:  # no commit in between: the searcher holds st's generation
                return snap

    # ------------------------------------------------------------ writing
    def build(self, generation: int, chunk_ids: list[str], positions: list[tuple[str, int]],
              token_lists: list[list[str]], persist: bool = True) -> TantivyKeywords:
        """The whole index from the catalog's tokens; with `persist` it becomes the folder's live
        index (atomically, through STATE.json), otherwise it lives in memory only (a reader's)."""
        import tantivy

        schema = _schema()
        name = f"idx-{generation}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if persist:
            self.root.mkdir(parents=True, exist_ok=True)
            self._remove_leftovers()
            (self.root / name).mkdir()
            idx = tantivy.Index(schema, str(self.root / name))
        else:
            if chunk_ids:
                log.warning("tantivy keyword index %s: searching an in-memory copy built from the catalog (generation %d, %d chunks) "
                            "until the next write or `assistant doctor --fix` rewrites it", self.root, generation, len(chunk_ids))
            idx = tantivy.Index(schema)
        writer = idx.writer(HEAP * 2, 2)
        for i, (cid, (doc, _), toks, win) in enumerate(zip(chunk_ids, positions, token_lists, window_tokens(positions, token_lists))):
            writer.add_document(_document(cid, doc, i, toks, win))
        writer.commit()
        writer.wait_merging_threads()
        if persist:
            old = self.state()
            self._write_state(self._state_for(generation, name, len(chunk_ids), deleted=0, pending=False))
            if old and old.get("dir") != name:
                shutil.rmtree(self.root / old["dir"], ignore_errors=True)  # open readers keep their mapped files
            idx = self._index(name, reload=False)
        idx.reload()
        return TantivyKeywords(idx.searcher(), idx.schema, generation, self.model_fingerprint)

    def update(self, generation: int, docs: list[DocTokens], removed: list[str] = (),
               since: int | None = None) -> TantivyKeywords | None:
        """Move the live index from `since` (default generation - 1) to `generation`: the chunks of
        `removed` and of `docs` deleted, those of `docs` added (with their windows), one commit. None
        when the folder is not at `since` or has collected too many deletions: the caller rebuilds."""
        import tantivy

        st = self.state()
        since = generation - 1 if since is None else since
        if self._usable(st) is not None or st["pending"] or st["generation"] != since:
            return None
        try:
            idx = self._index(st["dir"])
            searcher = idx.searcher()
            gone = sorted(set(removed) | {d.doc_id for d in docs})
            n_gone = sum(searcher.search(tantivy.Query.term_query(idx.schema, "doc_id", d), 1, count=True).count for d in gone)
            live = searcher.num_docs - n_gone + sum(len(d.chunk_ids) for d in docs)
            deleted = st.get("deleted", 0) + n_gone
            if deleted > COMPACT_SHARE * max(live, 1):
                log.info("tantivy keyword index %s: %d deleted chunk(s) against %d live, compacting", self.root, deleted, live)
                return None
            order = int(st.get("next_order", searcher.num_docs))
            self._write_state({**st, "pending": True, "generation": generation, "pid": os.getpid()})
            writer = idx.writer(HEAP, 1)
            for d in gone:
                writer.delete_documents_by_term("doc_id", d)
            for d in docs:
                positions = [(d.doc_id, o) for o in d.ordinals]
                for cid, toks, win in zip(d.chunk_ids, d.tokens, window_tokens(positions, d.tokens)):
                    writer.add_document(_document(cid, d.doc_id, order, toks, win))
                    order += 1
            writer.commit()
            writer.wait_merging_threads()  # merges finish (and the writer's lock goes) before the next writer
            self._write_state({**self._state_for(generation, st["dir"], live, deleted, pending=False), "next_order": order})
            idx.reload()
            return TantivyKeywords(idx.searcher(), idx.schema, generation, self.model_fingerprint, deleted)
        except Exception as exc:  # a damaged folder: the state stays pending and the caller rebuilds
            log.warning("tantivy keyword index %s: update failed (%s: %s), rebuilding", self.root, type(exc).__name__, str(exc)[:120])
            return None

    def _state_for(self, generation: int, name: str, chunks: int, deleted: int, pending: bool) -> dict:
        return {"generation": generation, "dir": name, "pending": pending, "pid": os.getpid(), "chunks": chunks,
                "deleted": deleted, "next_order": chunks, "model": self.model_fingerprint,
                "tokenizer": TOKENIZER_VERSION, "window": WINDOW, "format": FORMAT}

    def _remove_leftovers(self) -> None:
        """Folders of builds whose writer died before naming them live, and stray state files."""
        live = (self.state() or {}).get("dir")
        for p in self.root.glob("idx-*"):
            parts = p.name.split("-")
            pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
            if p.name != live and (pid is None or not _alive(pid)):
                shutil.rmtree(p, ignore_errors=True)
        for p in self.root.glob(f".{STATE}.*"):
            pid = p.name.rsplit(".", 1)[-1].split("-")[0]
            if not (pid.isdigit() and _alive(int(pid))):
                p.unlink(missing_ok=True)
