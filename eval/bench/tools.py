"""Small tools every job uses: the log, child processes with their peak RSS, ports and HTTP
probes, load average, folder sizes, and latencies as percentiles in milliseconds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from eval.bench.plan import ROOT
from eval.load import free_port  # noqa: F401  (re-exported: one helper for the bench and `make load`)
from eval.metrics import percentile


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def pct(values: list[float]) -> dict:
    """Seconds in, milliseconds out: n, p50/p95/p99 (eval.metrics.percentile), mean, max."""
    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=float) * 1000.0
    return {"n": len(values), **{f"p{p}": percentile(a.tolist(), p) for p in (50, 95, 99)}, "mean": float(a.mean()), "max": float(a.max())}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_LLM_")}  # extractive answers only
    env.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8",
                # the bench measures embedding: vectors cached by an earlier run would hide it
                "ASSISTANT_PASSAGE_CACHE": "0"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class PeakRSS:
    """Samples the RSS of a process and its children (summed) until stopped."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        import psutil

        try:
            proc = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                rss = proc.memory_info().rss
                for c in proc.children(recursive=True):
                    try:
                        rss += c.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                return
            self.last = rss
            self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._t.join(timeout=2)
        return self.peak


def run_child(args: list[str], env: dict | None = None, timeout: float = 3600) -> tuple[subprocess.CompletedProcess, float, int]:
    """(result, wall seconds, peak RSS bytes) of a child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or child_env(), cwd=ROOT)
    mon = PeakRSS(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = mon.stop()
    return subprocess.CompletedProcess(args, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")), wall, peak


def rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
