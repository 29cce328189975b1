"""The report: the summary table printed at the end, and eval/reports/bench-<date>.md (+ .json)."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.retrieve.rankers import RANKERS
from eval.bench.plan import TARGETS


def _mb(b: float | None) -> str:
    return "—" if not b else f"{b / 2**20:,.0f} MB"


def _f(x, nd=1) -> str:
    return "—" if x is None else f"{x:,.{nd}f}"


def summary_rows(res: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met) for the table printed at the end."""
    rows = []
    ing, enc = res["ingest"], res["encoder"]
    rows.append(("ingest throughput", f"{ing['docs_per_s']:.2f} docs/s, {ing['chunks_per_s']:.1f} chunks/s", "", ""))
    rows.append(("raw encoder", f"{enc['chunks_per_s']:.1f} chunks/s ({res['backend']})", "", ""))
    ratio = ing["ratio_to_encoder"]
    rows.append(("ingest / encoder", f"{ratio:.2f}", f"≥ {TARGETS['ingest_ratio']}", "yes" if ratio >= TARGETS["ingest_ratio"] else "NO"))
    scales = res["scales"]
    first, last = scales[0], scales[-1]
    for sc, key in ((first, "search_p95_corpus_ms"), (last, "search_p95_100k_ms")):
        p95 = sc["latency"]["latency"]["hybrid"]["p95"]
        target = TARGETS[key]
        applies = key == "search_p95_corpus_ms" or sc["chunks"] >= 90_000
        rows.append((f"search p95, hybrid, {sc['chunks']:,} chunks", f"{p95:.0f} ms", f"≤ {target:.0f} ms" if applies else "",
                     ("yes" if p95 <= target else "NO") if applies else ""))
    for sc in scales:
        lat = sc["latency"]["latency"]
        rows.append((f"ask p50 / p95, {sc['chunks']:,} chunks", f"{lat['ask']['p50']:.0f} / {lat['ask']['p95']:.0f} ms", "", ""))
    if res.get("serve"):
        sv = res["serve"][0]
        rss = max(sv.get("rss_peak") or 0, sv.get("rss_after") or 0)
        rows.append((f"serve ready ({sv['index']})", f"{_f(sv.get('ready_s'))} s", f"≤ {TARGETS['serve_ready_s']:.0f} s",
                     "yes" if sv.get("ready_s") and sv["ready_s"] <= TARGETS["serve_ready_s"] else "NO"))
        rows.append((f"serve peak RSS ({sv['index']})", _mb(rss), f"≤ {TARGETS['serve_rss_mb']:.0f} MB",
                     "yes" if rss and rss / 2**20 <= TARGETS["serve_rss_mb"] else "NO"))
        for sv in res["serve"][1:]:
            rss = max(sv.get("rss_peak") or 0, sv.get("rss_after") or 0)
            rows.append((f"serve ready / peak RSS ({sv['index']})", f"{_f(sv.get('ready_s'))} s / {_mb(rss)}", "", ""))
    rows.append(("ingest peak RSS", _mb(ing["peak_rss"]), "", ""))
    rows.append(("index on disk", ", ".join(f"{sc['chunks']:,}: {_mb(sc['size']['total'])}" for sc in scales), "", ""))
    return rows


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def plain_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)])


def render(res: dict) -> str:
    m = res["machine"]
    ing, enc = res["ingest"], res["encoder"]
    md = [f"# Benchmark {res['date']}{' (quick)' if res['quick'] else ''}", ""]
    md.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". Backend `{res['backend']}`, model `{res['model']}`. Load average (1/5/15 min) before "
        f"{res['load_before']}, after {res['load_after']}. Whole run {res['total_s'] / 60:.1f} min. "
        f"{res['queries']['n']} distinct Thai queries. Produced by `make bench{' QUICK=1' if res['quick'] else ''}` (eval/bench/)."
    )
    md += ["", "## Summary", "", table(summary_rows(res), ("figure", "value", "target", "met")), ""]

    md += ["## Ingest", ""]
    md.append(
        f"`assistant ingest {' '.join(ing['sources'])}` into an empty index, as a child process: {ing['files']} files, "
        f"{ing['documents']} documents, {ing['chunks']:,} chunks ({ing['embedded']:,} embedded), {ing['failures']} failures. "
        f"Wall {ing['wall_s']:.1f} s: {ing['pipeline_s']:.1f} s in the pipeline's stages and {ing['startup_s']:.1f} s around them "
        f"(imports, opening the index, and loading the model, {ing['model_load_s']:.1f} s when timed alone in a fresh process; "
        "the CLI loads it at the first chunk, so it is taken out of `chunk` below)."
    )
    md.append("")
    rows = [
        ("documents/s (pipeline)", f"{ing['docs_per_s']:.2f}"),
        ("chunks/s (pipeline)", f"{ing['chunks_per_s']:.2f}"),
        ("chunks/s (wall, with start-up)", f"{ing['chunks_per_s_wall']:.2f}"),
        (f"raw encoder, one call over {enc['texts']} of these chunks (length-sorted, batch {enc['batch_size']})", f"{enc['chunks_per_s']:.2f} chunks/s"),
        (f"raw encoder, the same texts length-sorted in slices of {enc['slice']} (the pipeline's calls)", f"{enc['chunks_per_s_sliced']:.2f} chunks/s"),
        ("ratio pipeline / raw encoder", f"{ing['ratio_to_encoder']:.2f}"),
        ("load average (1/5/15 min) after the ingest / after the encoder runs", f"{ing.get('load_after')} / {enc.get('load_after')}"),
        ("mean passage length", f"{enc['tokens_mean']:.0f} model tokens"),
        ("peak RSS of `assistant ingest`", _mb(ing["peak_rss"])),
    ]
    md += [table(rows, ("figure", "value")), ""]
    total = sum(ing["stages"].values()) or 1.0
    md += [table([(k, f"{v:.1f}", f"{100 * v / total:.1f} %") for k, v in ing["stages"].items()], ("stage", "seconds", "share")), ""]
    md.append("`normalise` is measured by loading the same files again with the normaliser timed; the pipeline reports it inside `load`.")
    md.append("")

    md += ["## Search and ask latency (warm)", ""]
    for sc in res["scales"]:
        md.append(f"- **{sc['name']}**: {sc['chunks']:,} chunks in {sc['documents']:,} documents — {sc['built']}.")
    md.append("")
    rows = []
    for sc in res["scales"]:
        lat = sc["latency"]["latency"]
        for meth in (*RANKERS, "ask"):
            p = lat[meth]
            rows.append((f"{sc['chunks']:,}", "ask (hybrid + answer)" if meth == "ask" else f"search {meth}", p["n"], f"{p['p50']:.1f}", f"{p['p95']:.1f}", f"{p['p99']:.1f}", f"{p['mean']:.1f}"))
    md += [table(rows, ("chunks", "call", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms")), ""]
    md.append("Medians of the stages inside one call (ms): query embedding, Chroma (dense, incl. the catalog check), BM25, passage fetch from the catalog, and the rest (query planning, fusion, answer):")
    md.append("")
    rows = []
    for sc in res["scales"]:
        st = sc["latency"]["stages_ms"]
        for meth in ("hybrid", "ask"):
            s_ = st[meth]
            rows.append((f"{sc['chunks']:,}", meth, *(f"{s_[k]:.1f}" for k in ("embed", "dense", "bm25", "fetch", "other"))))
    md += [table(rows, ("chunks", "call", "embed", "dense", "bm25", "fetch", "other")), ""]
    rows = []
    for sc in res["scales"]:
        L, z = sc["latency"], sc["size"]
        rows.append((f"{sc['chunks']:,}", _mb(z["total"]), _mb(z["chroma"]), _mb(z["catalog"]), _mb(z["keyword"]),
                     f"{L['bm25_raw_ms']:.2f}", f"{L['load_s']:.1f}", f"{L['first_answer_s']:.1f}", _mb(L["rss_ready"]), _mb(L["rss_after"]), _mb(L["rss_peak"])))
    md += [table(rows, ("chunks", "index on disk", "chroma", "catalog", "keyword", "BM25 scorer ms/query", "model+index load s", "first answer s", "RSS ready", "RSS after queries", "RSS peak")), ""]
    md.append("RSS of the answering process: when warm, after all the queries, and its peak sampled from outside every 50 ms (at the largest size the peak includes the HNSW sweep and the cProfile run, which load every vector into numpy).")
    md.append("")

    hn = res["scales"][-1]["latency"].get("hnsw")
    if hn and hn.get("rows"):
        n = hn["n_results"]
        md += [f"## HNSW ef_search at {hn['vectors']:,} vectors", ""]
        md.append(f"Dense search asks Chroma for {n} neighbours (50 candidates + 10). Recall against exact search (numpy, {hn['exact_numpy_ms']:.1f} ms/query):")
        md.append("")
        md += [table([(r["ef_search"], f"{r['recall@10']:.3f}", f"{r[f'recall@{n}']:.3f}", f"{r['p50']:.1f}", f"{r['p95']:.1f}") for r in hn["rows"]],
                     ("ef_search", "recall@10", f"recall@{n}", "p50 ms", "p95 ms")), ""]
        if hn.get("error"):
            md += [f"(sweep stopped: {hn['error']})", ""]

    if res.get("backends"):
        md += ["## Embedding backends (same chunk texts, each in a fresh process)", ""]
        rows = []
        for b in res["backends"]:
            if b.get("error"):
                rows.append((b["backend"], "failed", "", "", "", ""))
                continue
            rows.append((f"`{b['backend']}`" + (" (in use)" if b["backend"] == res["backend"] else ""), f"{b['load_s']:.1f}",
                         f"{b['chunks_per_s']:.1f}", f"{b['query']['p50']:.1f} / {b['query']['p95']:.1f}", _mb(b["rss_peak"]),
                         "yes" if b["torch_loaded"] else "no"))
        md += [table(rows, ("backend", "load s", "passages/s", "query embed p50 / p95 ms", "peak RSS", "torch imported")), ""]
        md.append(f"Passages: {len(res['backends'])} backends × the first {min(res['encoder']['texts'], 200)} chunks of the encoder sample; queries: the first 40 benchmark queries, one at a time. Retrieval quality per backend: docs/scaling.md.")
        md.append("")
    if res.get("serve"):
        md += ["## `assistant serve`", ""]
        rows = []
        for sv in res["serve"]:
            a = sv.get("ask_http") or {}
            rows.append((sv["index"], _f(sv.get("ready_s")), _mb(sv.get("rss_ready")), _mb(sv.get("rss_after")), _mb(sv.get("rss_peak")),
                         f"{a['p50']:.0f} / {a['p95']:.0f}" if a.get("n") else sv.get("ask_error", "—")))
        md += [table(rows, ("index", "ready s (to HTTP 200)", "RSS ready", "RSS after 20 questions", "RSS peak", "ask via HTTP p50 / p95 ms")), ""]
        md.append("Ready = from starting the command to the first HTTP 200 on its port; serve loads the model and warms the index before it listens.")
        md.append("")

    cs = res.get("chroma_server")
    if cs:
        md += ["## Chroma server mode", ""]
        if cs.get("error"):
            md += [f"Not measured: {cs['error']}", ""]
        else:
            local = res["scales"][0]["latency"]["latency"]
            remote = cs["latency"]["latency"]
            md.append(f"The corpus index with its {cs['vectors']:,} vectors in a `chroma run` server on loopback (upload {cs['upload_s']:.1f} s); catalog and keyword index as files. Server peak RSS {_mb(cs['server_rss_peak'])}.")
            md.append("")
            rows = [(m_, f"{local[m_]['p50']:.1f} / {local[m_]['p95']:.1f}", f"{remote[m_]['p50']:.1f} / {remote[m_]['p95']:.1f}") for m_ in ("dense", "hybrid", "ask")]
            md += [table(rows, ("call", "embedded p50 / p95 ms", "server p50 / p95 ms")), ""]

    prof = res["scales"][-1]["latency"].get("profile")
    if prof:
        md += [f"## Profile: 100 asks at {res['scales'][-1]['chunks']:,} chunks (cProfile, cumulative)", "", "```", prof, "```", ""]
    if res.get("eval_corpora"):
        ev = res["eval_corpora"]
        md += [f"The benchmark corpora added at the second size: {ev['documents']} paragraphs, {ev['chunks']} chunks ({ev.get('embedded', 0)} embedded in this run) in {ev['seconds']:.0f} s.", ""]
    md += ["## How the sizes are built", "",
           "The first index is a real ingest. Each larger one is a copy of the one before, grown: at the second size the XQuAD "
           "and iApp paragraphs from ../shared/eval are ingested for real (text and vectors); the rest, to the target size, "
           "is synthetic-but-real: copies of real chunks with their sentences shuffled, their stored keyword tokens shuffled "
           "with ~10 % dropped, and their real vectors plus Gaussian noise (σ = 0.02 per dimension, renormalised; cosine to "
           "the original ≈ 0.93), written straight into the catalog, Chroma and the keyword index (embedding 100k chunks on "
           "2 cores would take hours). Latency and memory are what such an index costs; retrieval quality at that size is not measured here.", ""]
    return "\n".join(md)


def write_report(res: dict, reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"bench-{res['date']}{'-quick' if res['quick'] else ''}.md"
    path.write_text(render(res), encoding="utf-8")
    (reports / f"bench-{res['date']}{'-quick' if res['quick'] else ''}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path
