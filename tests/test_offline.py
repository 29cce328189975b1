"""No network: ingest, search and ask run with every outbound connection blocked (only loopback
and Unix sockets allowed), in this process and in CLI subprocesses, and no attempt is made."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_DIR

pytestmark = pytest.mark.slow

# Installed in CLI subprocesses through PYTHONPATH: records and refuses every attempt to reach a
# non-loopback address, from the first import on (model loading, Chroma, telemetry included).
SITECUSTOMIZE = r'''
import ipaddress, os, socket

_LOG = os.environ["NO_NET_LOG"]
open(_LOG + ".loaded", "w").close()

def _local(host):
    if host in (None, "", "localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False

def _refuse(what, host):
    with open(_LOG, "a") as f:
        f.write(f"{what} {host}\n")
    raise OSError(f"network blocked by test: {what} {host}")

_connect, _connect_ex, _gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address[0])
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address[0])
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kw):
    if not _local(host):
        _refuse("resolve", host)
    return _gai(host, *args, **kw)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''


def _local(host) -> bool:
    if host in (None, "", "localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch):
    """Block and record outbound connections and name lookups in this process."""
    attempts: list[str] = []
    real_connect, real_connect_ex, real_gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    real_create = socket.create_connection

    def refuse(what, host):
        attempts.append(f"{what} {host}")
        raise OSError(f"network blocked by test: {what} {host}")

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            refuse("connect", address[0])
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            refuse("connect", address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host, *a, **kw):
        if not _local(host):
            refuse("resolve", host)
        return real_gai(host, *a, **kw)

    def create_connection(address, *a, **kw):
        if not _local(address[0]):
            refuse("connect", address[0])
        return real_create(address, *a, **kw)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


def test_the_block_works(no_network):
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(OSError, match="blocked"):
        socket.getaddrinfo("pypi.org", 443)
    assert len(no_network) == 2
    no_network.clear()


def test_ingest_search_ask_in_process_without_network(no_network, tmp_path):
    from assistant.config import load_settings
    from assistant.model.embedding import load_embedder
    from assistant.service import Assistant
    from ingest.pipeline import ingest

    load_embedder.cache_clear()  # load the model again, under the block
    a = Assistant(load_settings(index_dir=tmp_path / "index"))
    report = ingest([SEED_DIR], a.index, a.embedder.embed_passages, a.embedder.count_tokens)
    assert report.ok and report.added
    assert a.search("แนวทางที่ 7", k=3)
    ans = a.ask("แนวทางที่ 7 คืออะไร")
    assert ans.answer and ans.hits  # answered or refused is the answerer's call; it ran offline
    a.index.close()
    assert no_network == [], no_network


def test_cli_without_network(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "attempts.log"
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "NO_NET_LOG": str(log), "PYTHONIOENCODING": "utf-8"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "assistant", *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)

    # the hook is live in the subprocesses: a deliberate attempt is refused and recorded
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"],
                           capture_output=True, text=True, env=env)
    assert probe.returncode != 0 and "network blocked by test" in probe.stderr
    assert Path(str(log) + ".loaded").exists() and "192.0.2.1" in log.read_text()
    log.unlink()

    idx = tmp_path / "index"
    r = cli("ingest", SEED_DIR, "--index", idx, "--json")
    assert r.returncode == 0, r.stderr
    r = cli("ask", "แนวทางที่ 7 คืออะไร", "--index", idx, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["answer"] and out["hits"], r.stderr
    r = cli("doctor", "--index", idx)
    assert r.returncode == 0, r.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()
