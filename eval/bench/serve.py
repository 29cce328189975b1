"""`assistant serve`: cold start to HTTP 200, RSS when ready and after questions asked through
the UI's API."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

from assistant.store.services import http_status
from eval.bench.plan import ROOT, Plan
from eval.bench.tools import PeakRSS, child_env, free_port, log, pct, stop


def _gradio_ask(port: int, question: str, timeout: float = 120.0) -> float:
    """One question through the UI's API (gr.api 'ask'): POST starts it, GET streams the result."""
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = json.dumps({"data": [question, []]}, ensure_ascii=False).encode("utf-8")
    conn.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    event = data["event_id"]
    conn.request("GET", f"/gradio_api/call/ask/{event}")
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    conn.close()
    if "event: complete" not in text:
        raise RuntimeError(f"no answer: {text[:300]}")
    return time.perf_counter() - t


def bench_serve(plan: Plan, index_dir: Path, queries: list[str], asks: int = 20) -> dict:
    """`assistant serve`: seconds from the command to HTTP 200, RSS when ready and after questions."""
    port = free_port()
    args = [sys.executable, "-m", "assistant", "serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)]
    log(f"serve cold start over {index_dir.name} on port {port}")
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(), cwd=ROOT)
    mon = PeakRSS(proc.pid)
    out: dict = {"index": index_dir.name}
    try:
        ready = None
        while time.perf_counter() - t < 600:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}: {proc.stderr.read().decode('utf-8', 'replace')[-2000:]}")
            try:
                if http_status(port) == 200:
                    ready = time.perf_counter() - t
                    break
            except OSError:
                pass
            time.sleep(0.1)
        out["ready_s"] = ready
        time.sleep(0.5)
        out["rss_ready"] = mon.last
        lat = []
        try:
            for q in queries[:asks]:
                lat.append(_gradio_ask(port, q))
        except Exception as exc:  # the UI's API changed: keep the other figures
            out["ask_error"] = f"{type(exc).__name__}: {exc}"[:300]
        out["ask_http"] = pct(lat)
        time.sleep(0.2)
        out["rss_after"] = mon.last
    finally:
        stop(proc)
        out["rss_peak"] = mon.stop()
    return out
