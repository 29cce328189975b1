"""Load test: N concurrent clients asking questions through the JSON API for S seconds.

    python -m eval.load --index var/index --concurrency 20 --seconds 60     (what `make load` runs)
    python -m eval.load --url http://127.0.0.1:8000 --concurrency 20 --seconds 60

Without --url it starts `assistant api` on a free port over --index (ingesting corpus/documents
first when the index is empty), waits until the model is warm, then runs the clients. Prints
requests, errors, throughput and latency percentiles; --json prints them as one JSON object.
Timings depend on the machine: they are reported, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from assistant.store.pg_local import free_port
from eval.metrics import percentile

QUESTIONS = [
    "แนวทางที่ 7 คืออะไร",
    "การมีส่วนร่วมของชุมชนในการพัฒนาเมืองอัจฉริยะทำอย่างไร",
    "JICA และ depa มีบทบาทอย่างไร",
    "ข้อเสนอเชิงนโยบายเพื่อการพัฒนาเมืองน่าอยู่อัจฉริยะมีกี่แนวทาง",
    "Smart City ที่ครอบคลุมและยั่งยืนหมายถึงอะไร",
    "การประชุมผู้เชี่ยวชาญจัดขึ้นเมื่อไหร่",
    "พรุ่งนี้ที่กรุงเทพฝนจะตกไหม",  # out of scope: refused, still a full request
    "แนวทางที่ 10 ส่งเสริมอะไร",
]


def run_load(url: str, concurrency: int = 20, seconds: float = 60, questions: list[str] = QUESTIONS, timeout: float = 120,
             seed: int | None = None) -> dict:
    """`concurrency` clients, each asking in a loop over one keep-alive connection, for `seconds`.
    `seed`: each client asks the questions in an order of its own (else all walk one list, one
    question apart, and a server's caches see each question again within seconds)."""
    u = urlparse(url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        mine = list(questions)
        if seed is not None:
            import random

            random.Random(seed * 1000 + n).shuffle(mine)
        i = n if seed is None else 0
        while time.perf_counter() < deadline:
            q = mine[i % len(mine)]
            i += 1
            body = json.dumps({"question": q}, ensure_ascii=False).encode("utf-8")
            t = time.perf_counter()
            try:
                conn.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                took = time.perf_counter() - t
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {data[:200]!r}")
                ans = json.loads(data)
                if "answer" not in ans or "citations" not in ans:
                    raise RuntimeError(f"not an answer: {data[:200]!r}")
                with lock:
                    latencies.append(took)
            except Exception as exc:  # every failure counts, and the client reconnects
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "seconds": round(wall, 1),
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_s": round(percentile(latencies, 50, float("nan")), 3),
        "p95_s": round(percentile(latencies, 95, float("nan")), 3),
        "max_s": round(max(latencies), 3) if latencies else float("nan"),
        "mean_s": round(statistics.fmean(latencies), 3) if latencies else float("nan"),
    }


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 600) -> dict:
    u = urlparse(url)
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the API process exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            if resp.status == 200:
                return json.loads(data)
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not become healthy in {timeout:.0f} s")


def start_api(index: Path, port: int | None = None, extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "api", "--index", str(index), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    return proc, f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="an API already running (else one is started over --index)")
    ap.add_argument("--index", type=Path, default=Path(os.environ.get("ASSISTANT_INDEX", "var/index")))
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--questions", type=Path, nargs="*", default=[],
                    help="JSONL files of {\"question\"} rows asked in turn (default: eight demo questions, which a "
                         "replica's query cache soon holds)")
    ap.add_argument("--seed", type=int, default=None, help="each client asks in a shuffled order of its own")
    args = ap.parse_args(argv)
    questions = [json.loads(line)["question"] for f in args.questions for line in f.read_text(encoding="utf-8").splitlines()
                 if line.strip()] or QUESTIONS
    proc = None
    url = args.url
    if not url:
        if not (args.index / "catalog.sqlite").exists():
            root = Path(__file__).resolve().parents[1]
            subprocess.run([sys.executable, "-m", "assistant", "ingest", str(root / "corpus" / "documents"), "--index", str(args.index)], check=True)
        proc, url = start_api(args.index)
    try:
        health = wait_healthy(url, proc)
        res = run_load(url, args.concurrency, args.seconds, questions, seed=args.seed)
        res["documents"] = health.get("documents")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        print(
            f"{res['concurrency']} clients × {res['seconds']} s over {res['documents']} documents: "
            f"{res['requests']} requests, {res['errors']} errors, {res['throughput_rps']} req/s; "
            f"latency p50 {res['p50_s']} s, p95 {res['p95_s']} s, max {res['max_s']} s"
        )
        for e in res["error_samples"]:
            print(f"  error: {e}")
    return 0 if res["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
