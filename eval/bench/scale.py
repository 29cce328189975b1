"""The index sizes: the ingested corpus, then copies grown to each target size with the benchmark
corpora (really embedded) and synthetic-but-real chunks (see `grow`)."""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from eval.bench.plan import SYNTHETIC, Plan
from eval.bench.tools import dir_bytes, log


def copy_index(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".write.lock"))


def harvest_vectors(index_dir: Path) -> dict | None:
    """The real (non-synthetic) vectors a previous run left in `index_dir`, so that re-ingesting
    the same benchmark paragraphs reuses them (chunk ids are content hashes) instead of
    embedding them again: the benchmark's second and later runs skip ~10 minutes."""
    if not (index_dir / "chroma").is_dir():
        return None
    from assistant.store.vectors import VectorStore

    try:
        vs = VectorStore(index_dir / "chroma")
    except Exception:
        return None
    try:
        ids, embs, metas = [], [], []
        for page_ids, vecs, page_metas in vs.pages(5000, metadatas=True):
            for cid, vec, m in zip(page_ids, vecs, page_metas):
                if not str((m or {}).get("doc_id", "")).startswith(SYNTHETIC + "/"):
                    ids.append(cid)
                    embs.append(vec)
                    metas.append(m)
        model = vs.model
    except Exception:
        return None
    finally:
        vs.close()
    return {"ids": ids, "embeddings": embs, "metadatas": metas, "model": model}


def restore_vectors(index_dir: Path, carried: dict, fingerprint: str) -> None:
    from assistant.store.index import Index

    if carried.get("model") != fingerprint or not carried["ids"]:
        return
    idx = Index(index_dir, None, fingerprint)
    have = idx.vectors.all_ids()
    keep = [i for i, cid in enumerate(carried["ids"]) if cid not in have]
    if keep:
        idx.vectors.bulk_add([carried["ids"][j] for j in keep], np.stack([carried["embeddings"][j] for j in keep]),
                             [carried["metadatas"][j] for j in keep])
    idx.close()


def ingest_eval_corpora(plan: Plan, index_dir: Path, embedder) -> dict:
    """Real Thai text, really embedded: the XQuAD and iApp paragraphs (../shared/eval)."""
    from assistant.store.index import Index
    from ingest.pipeline import ingest

    files = [plan.shared / "eval" / rel for rel in ("xquad_th/corpus.jsonl", "iapp_wiki_qa/test_corpus.jsonl",
                                                     "iapp_wiki_qa/train_corpus_distractors.jsonl")]
    files = [f for f in files if f.is_file()]
    if not files:
        return {"files": 0}
    idx = Index(index_dir, None, embedder.fingerprint)
    t = time.perf_counter()
    rep = ingest(files, idx, embedder.embed_passages, embedder.count_tokens)
    wall = time.perf_counter() - t
    n = len(idx.catalog.chunk_ids())
    idx.close()
    return {"files": len(files), "documents": rep.documents, "chunks": rep.chunks_added, "embedded": rep.chunks_embedded,
            "seconds": wall, "chunks_per_s": rep.chunks_embedded / wall if wall and rep.chunks_embedded else 0.0, "total_chunks": n}


_SENT = re.compile(r"(?<=\S)\s+(?=\S)")


def _perturb_text(text: str, rng: random.Random) -> str:
    parts = _SENT.split(text)
    if len(parts) > 1:
        rng.shuffle(parts)
        return " ".join(parts)
    return text[::-1] if len(text) > 1 else text


def grow(index_dir: Path, target: int, fingerprint: str, sigma: float, seed: int) -> dict:
    """Grow an index to `target` chunks with synthetic-but-real data, written straight through the
    catalog, Chroma and the keyword index (no embedding): each added chunk is a real chunk of the
    index with its sentences shuffled, its stored keyword tokens shuffled with ~10% dropped, and
    its real vector plus Gaussian noise (sigma per dimension), renormalised: cosine to the
    original ~0.93, so the copies neither collapse onto their originals nor become random
    points. Copies live in documents `synthetic/rNN/<original id>`."""
    from assistant.store.catalog import DocInfo
    from assistant.store.index import Index
    from assistant.store.keyword import KeywordIndex
    from assistant.schema import Chunk
    from ingest.chunking import chunk_id

    t0 = time.perf_counter()
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    idx = Index(index_dir, None, fingerprint)
    cat = idx.catalog
    rows = [(c, t) for c, t in cat.chunks_with_tokens() if not c.doc_id.startswith(SYNTHETIC + "/")]
    have = len(cat.chunk_ids())
    start = have
    if have >= target or not rows:
        idx.close()
        return {"target": target, "chunks": have, "added": 0, "seconds": 0.0}
    vecs = idx.vectors.get_vectors([c.chunk_id for c, _ in rows])
    docs = {d.doc_id: d for d in cat.documents()}
    by_doc: dict[str, list[tuple[Chunk, list[str]]]] = {}
    for c, t in rows:
        if c.chunk_id in vecs:
            by_doc.setdefault(c.doc_id, []).append((c, t))
    pending_docs: list = []
    pend_ids: list[str] = []
    pend_vecs: list[np.ndarray] = []
    pend_meta: list[dict] = []

    def flush():
        nonlocal pending_docs, pend_ids, pend_vecs, pend_meta
        if not pend_ids:
            return
        idx.vectors.bulk_add(pend_ids, np.stack(pend_vecs).astype(np.float32), pend_meta)
        cat.replace_documents(pending_docs)
        pending_docs, pend_ids, pend_vecs, pend_meta = [], [], [], []

    done = [int(m.group(1)) for d in docs for m in [re.match(SYNTHETIC + r"/r(\d+)/", d)] if m]
    rep = max(done, default=0)  # continue after the replicas an earlier grow wrote
    with idx.writing():
        while have < target:
            rep += 1
            for doc_id, chunk_rows in by_doc.items():
                if have >= target:
                    break
                new_doc = f"{SYNTHETIC}/r{rep:03d}/{doc_id}"
                chunks, toks = [], []
                for c, tokens in chunk_rows[: target - have]:
                    text = _perturb_text(c.text, rng)
                    tokens = [t for t in tokens if rng.random() > 0.1] or tokens
                    rng.shuffle(tokens)
                    cid = chunk_id(new_doc, text)
                    chunks.append(replace(c, chunk_id=cid, doc_id=new_doc, text=text))
                    toks.append(tokens)
                    v = vecs[c.chunk_id] + nrng.normal(0.0, sigma, size=vecs[c.chunk_id].shape).astype(np.float32)
                    pend_vecs.append(v / np.linalg.norm(v))
                    pend_ids.append(cid)
                    pend_meta.append({"doc_id": new_doc, "ordinal": c.ordinal})
                have += len(chunks)
                d = docs.get(doc_id)
                sha = hashlib.sha256("\n".join(c.text for c in chunks).encode("utf-8")).hexdigest()
                info = DocInfo(new_doc, d.title if d else chunks[0].title, d.source if d else "", d.kind if d else "txt", sha, len(chunks), 0.0,
                               {"synthetic_of": doc_id})
                pending_docs.append((info, chunks, toks))
                if len(pend_ids) >= 10_000:
                    flush()
        flush()
        gen, ids, positions, toks = cat.tokens_at_generation()
        KeywordIndex.build(toks, ids, positions, gen, idx.model_fingerprint).save(idx.root / "keyword")
    n = len(cat.chunk_ids())
    idx.close()
    return {"target": target, "chunks": n, "added": n - start, "replicas": rep - max(done, default=0), "seconds": time.perf_counter() - t0}


def index_sizes(index_dir: Path) -> dict:
    return {
        "total": dir_bytes(index_dir),
        "chroma": dir_bytes(index_dir / "chroma"),
        "catalog": sum(p.stat().st_size for p in index_dir.glob("catalog.sqlite*")),
        "keyword": dir_bytes(index_dir / "keyword"),
    }


def count_chunks(index_dir: Path) -> tuple[int, int]:
    """(chunks, documents) in the index."""
    from assistant.store.catalog import Catalog

    cat = Catalog(index_dir / "catalog.sqlite")
    counts = cat.counts()
    cat.close()
    return counts


def build_scales(plan: Plan, res: dict, corpus: Path, embedder) -> list[dict]:
    """The ingested corpus, then a copy grown to each of `plan.scales` (the first with the
    benchmark corpora, really embedded, when `plan.eval_corpora`). Notes the benchmark corpora
    in res["eval_corpora"]."""
    scales: list[dict] = []
    n, d = count_chunks(corpus)
    scales.append({"name": corpus.name, "dir": corpus, "chunks": n, "documents": d, "built": "ingested (real text, real vectors)"})
    prev = corpus
    for target in plan.scales:
        name = f"s{target // 1000}k" if target % 1000 == 0 else f"s{target}"
        dst = plan.root / name
        log(f"build {name}: copy of {prev.name}, grown to {target} chunks")
        carried = harvest_vectors(dst) if plan.eval_corpora and prev == corpus else None
        copy_index(prev, dst)
        if carried:
            restore_vectors(dst, carried, embedder.fingerprint)
        how = []
        if plan.eval_corpora and prev == corpus and (plan.shared / "eval").is_dir():
            ev = ingest_eval_corpora(plan, dst, embedder)
            res.setdefault("eval_corpora", ev)
            reused = ev.get("chunks", 0) - ev.get("embedded", 0)
            how.append(f"+ {ev.get('chunks', 0)} chunks of the XQuAD/iApp paragraphs, really embedded"
                       + (f" ({reused} of the vectors kept from the previous run's index: same texts, same ids)" if reused > 0 else ""))
        g = grow(dst, target, embedder.fingerprint, plan.sigma, plan.seed + target)
        if g["added"]:
            how.append(f"+ {g['added']} synthetic chunks ({g.get('replicas', 0)} perturbed replicas of the real ones, {g['seconds']:.0f} s to write)")
        n, d = count_chunks(dst)
        scales.append({"name": name, "dir": dst, "chunks": n, "documents": d, "built": f"copy of {prev.name} " + "; ".join(how), "grow": g})
        prev = dst
    return scales
