"""The services layout for a developer, on loopback: a PostgreSQL catalog and two Chroma shards,
each a process of its own with its data under one folder (`make services-up`, docs/scaling.md).

    python -m assistant.store.services up var/services [--pg-port 5433] [--shard-ports 8001,8002]
    python -m assistant.store.services down var/services
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.store import pg_local

SHARD_PORTS = (8001, 8002)


def chroma_binary() -> Path:
    return Path(sys.executable).parent / "chroma"


def http_status(port: int, path: str = "/", timeout: float = 2.0) -> int:
    """The status of GET `path` on 127.0.0.1:`port` (OSError when nothing answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _heartbeat(port: int) -> bool:
    try:
        return http_status(port, "/api/v2/heartbeat") == 200
    except OSError:
        return False


def start_chroma(path: Path, port: int, timeout: float = 60.0, log: Path | None = None, detach: bool = False,
                 host: str = "127.0.0.1", prefix: list[str] = (), ready=None) -> subprocess.Popen:
    """`chroma run` on `host`:`port` with its data in `path`; returns once its heartbeat answers.
    `detach`: the server outlives this process (its own session), output to `log`. `prefix`: a
    command it runs under (`ip netns exec NS`), whose network `ready()` checks instead of loopback."""
    exe = chroma_binary()
    cmd = [*prefix, *([str(exe)] if exe.exists() else [sys.executable, "-m", "chromadb.cli.cli"])]
    out = open(log, "ab") if log else subprocess.DEVNULL
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(cmd + ["run", "--path", str(path), "--host", host, "--port", str(port)],
                            stdout=out, stderr=out if log else subprocess.PIPE, env=env, start_new_session=detach)
    answers = ready or (lambda: _heartbeat(port))
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            said = log.read_text(errors="replace") if log else proc.stderr.read().decode("utf-8", "replace")
            raise RuntimeError(f"chroma run exited with {proc.returncode}: {said[-1000:]}")
        if answers():
            return proc
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=30)
    raise RuntimeError(f"chroma run on {host}:{port} did not answer its heartbeat")


def _running(pid_file: Path) -> int | None:
    """The pid of the shard server the file names, if it still runs (a pid reused since by another
    program is not it)."""
    try:
        pid = int(pid_file.read_text())
        return pid if b"chroma" in Path(f"/proc/{pid}/cmdline").read_bytes() else None
    except (OSError, ValueError):
        return None


def up(folder: Path, pg_port: int | None = None, shard_ports: tuple[int, ...] = SHARD_PORTS) -> tuple[str, str]:
    """Start what is not running; (catalog URL, comma-separated shard URLs)."""
    folder = Path(folder)
    catalog = pg_local.up(folder / "pg", pg_port)
    for n, port in enumerate(shard_ports):
        shard = folder / f"shard-{n}"
        shard.mkdir(parents=True, exist_ok=True)
        if _running(shard / "pid") is None:
            proc = start_chroma(shard / "data", port, log=shard / "server.log", detach=True)
            (shard / "pid").write_text(str(proc.pid))
    return catalog, ",".join(f"http://127.0.0.1:{p}" for p in shard_ports)


def down(folder: Path) -> list[str]:
    """Stop what runs; the names of what was stopped."""
    folder = Path(folder)
    stopped = []
    for pid_file in sorted(folder.glob("shard-*/pid")):
        pid = _running(pid_file)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if _running(pid_file) is None:
                    break
                time.sleep(0.1)
            stopped.append(pid_file.parent.name)
        pid_file.unlink(missing_ok=True)
    if pg_local.down(folder / "pg"):
        stopped.append("pg")
    return stopped


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("up", "down"):
        print("\n".join(line.strip() for line in __doc__.strip().splitlines()[-2:]), file=sys.stderr)
        return 2
    folder = Path(argv[1])
    try:
        if argv[0] == "down":
            print("stopped: " + (", ".join(down(folder)) or "nothing was running"))
            return 0
        pg_port = int(argv[argv.index("--pg-port") + 1]) if "--pg-port" in argv else None
        ports = (tuple(int(p) for p in argv[argv.index("--shard-ports") + 1].split(",")) if "--shard-ports" in argv
                 else SHARD_PORTS)
        catalog, shards = up(folder, pg_port, ports)
    except (pg_local.PgUnavailable, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"export ASSISTANT_CATALOG={catalog}\nexport ASSISTANT_CHROMA_URL={shards}\nexport ASSISTANT_KEYWORD_BACKEND=tantivy")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
