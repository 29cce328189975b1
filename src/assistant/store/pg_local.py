"""A PostgreSQL of one's own in a folder, on loopback: what `make services-up` starts for a
developer and what the tests start for themselves. Not for production (trust authentication on
127.0.0.1); a real deployment points `--catalog` at its own server.

    python -m assistant.store.pg_local up var/pg [--port 5433]   # prints the catalog URL
    python -m assistant.store.pg_local replica var/pg var/pg-replica   # a streaming replica; its URL
    python -m assistant.store.pg_local down var/pg
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

USER = "assistant"  # the cluster's superuser and the database's name
PORT_FILE = "assistant-port"


class PgUnavailable(RuntimeError):
    """PostgreSQL's server programs are not on this machine (Debian: apt install postgresql)."""


def binary(name: str) -> str:
    """initdb, pg_ctl … from PATH or from Debian's versioned folder (not on PATH there)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise PgUnavailable(f"{name} not found: install PostgreSQL (Debian: apt install postgresql)")
    return found


def _as_owner(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: as root, run it as the folder's owner, `postgres`.
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url(port: int, database: str = USER) -> str:
    return f"postgresql://{USER}@127.0.0.1:{port}/{database}"


def _wait_ready(port: int, timeout: float) -> None:
    import psycopg

    end = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url(port, "postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def _own(folder: Path) -> None:
    """Make `folder` one PostgreSQL's programs can write (as root they run as user postgres)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(folder)]).returncode != 0:
            raise PgUnavailable(f"{folder}: as root, PostgreSQL runs as user postgres, which cannot enter this folder "
                                "(a parent is private); choose one it can reach, e.g. under /tmp")


def up(folder: Path, port: int | None = None, timeout: float = 60.0) -> str:
    """Create the cluster in `folder` if new, start it on 127.0.0.1 and make the database;
    returns its URL. Starting a running cluster only returns its URL; a stopped one starts again
    on the port it had."""
    folder = Path(folder).absolute()
    data = folder / "data"
    if _running(data) and (folder / PORT_FILE).exists():
        port = int((folder / PORT_FILE).read_text())
        _wait_ready(port, timeout)
        return url(port)
    saved = folder / PORT_FILE
    port = port or (int(saved.read_text()) if saved.exists() else free_port())  # a restart keeps its URL
    _own(folder)
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_owner([binary("initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
                                  "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True, text=True)
    (folder / PORT_FILE).write_text(str(port))
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c fsync=on"
    subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options,
                              "-w", "-t", str(int(timeout)), "start"]), check=True, capture_output=True, text=True)
    _wait_ready(port, timeout)
    create_database(port, USER)
    return url(port)


def up_replica(primary: str, folder: Path, port: int | None = None, timeout: float = 60.0) -> str:
    """A streaming replica of the cluster at URL `primary` in `folder`, on loopback; its URL (same
    database name). It follows every commit of the primary and refuses writes."""
    folder = Path(folder).absolute()
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        _own(folder)
        source = urlparse(primary)
        subprocess.run(_as_owner([binary("pg_basebackup"), "-D", str(data), "-R", "-X", "stream", "-c", "fast",
                                  "-h", source.hostname, "-p", str(source.port), "-U", USER, "--no-sync"]),
                       check=True, capture_output=True, text=True, timeout=timeout)
    url_ = up(folder, port, timeout)
    return url_.rsplit("/", 1)[0] + "/" + primary.rsplit("/", 1)[1]


def create_database(port: int, name: str) -> str:
    """Make database `name` on the cluster at `port` if it is not there; returns its URL."""
    import psycopg

    with psycopg.connect(url(port, "postgres"), autocommit=True) as db:
        if db.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
            return url(port, name)  # a replica: it has what its primary has
        if db.execute("SELECT 1 FROM pg_database WHERE datname=%s", (name,)).fetchone() is None:
            db.execute(f'CREATE DATABASE "{name}"')
    return url(port, name)


def _running(data: Path) -> bool:
    """Whether a server runs on `data` (a postmaster.pid left by a crash or a reboot is not one)."""
    if not (data / "postmaster.pid").exists():
        return False
    return subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "status"]),
                          capture_output=True).returncode == 0


def down(folder: Path, mode: str = "fast") -> bool:
    """Stop the cluster in `folder`; False if it was not running. `mode` immediate is a crash."""
    data = Path(folder).absolute() / "data"
    if not _running(data):
        return False
    subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"]),
                   check=True, capture_output=True, text=True)
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("up", "down", "replica") or (argv[0] == "replica" and len(argv) < 3):
        print("\n".join(line.strip() for line in __doc__.strip().splitlines()[-3:]), file=sys.stderr)
        return 2
    folder = Path(argv[1])
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else None
    try:
        if argv[0] == "up":
            print(up(folder, port))
        elif argv[0] == "replica":
            print(up_replica(up(folder), Path(argv[2]), port))
        else:
            print("stopped" if down(folder) else "not running")
    except PgUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(exc.cmd[:3])}… failed: {(exc.stderr or '').strip()[-400:]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
