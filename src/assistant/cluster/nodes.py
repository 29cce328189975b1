"""A Ray cluster on one machine: `make cluster-up` / `cluster-down`.

    python -m assistant.cluster.nodes up [--cpus N]          a head on this machine (a laptop)
    python -m assistant.cluster.nodes up --netns [--cpus 1]  two one-CPU nodes, each in a network
                                                           namespace of its own joined by a veth
                                                           pair (root; the tests and the bench)
    python -m assistant.cluster.nodes down [--netns]

Ray listens on the machine's own network address even when told 127.0.0.1; a machine that may
talk only to loopback runs its nodes in namespaces it makes itself (10.231.0.0/24, never routed
anywhere). `ray stop` would end every Ray process on the machine: a node in a namespace is
ended by the process ids its namespace lists. docs/cluster.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "tpa"
SUBNET = "10.231.0"
RAY_PORT = 6379
OBJECT_STORE_MB = 300
ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0"}


def ray_binary() -> str:
    exe = Path(sys.executable).with_name("ray")
    return str(exe) if exe.exists() else "ray"


def netns_available() -> tuple[bool, str]:
    """Whether this machine lets us make network namespaces, and why not."""
    if not shutil.which("ip"):
        return False, "the ip command (iproute2) is missing"
    if os.geteuid() != 0:
        return False, "making network namespaces needs root"
    probe = f"{PREFIX}-probe{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode:
        return False, f"ip netns add failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return True, ""


@dataclass
class Node:
    ns: str | None  # None: this machine's own network
    ip: str
    temp_dir: Path
    pids: list[int] = field(default_factory=list)

    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.ns] if self.ns else []


@dataclass
class LocalCluster:
    """Nodes of one machine: a head and, in namespaces, one worker."""

    netns: bool = True
    cpus: float = 1
    object_store_mb: int = OBJECT_STORE_MB
    prefix: str = PREFIX
    pin: bool = False  # node i runs on core i only
    nodes: list[Node] = field(default_factory=list)
    started: int = 0

    @property
    def address(self) -> str:
        return f"{self.nodes[0].ip}:{RAY_PORT}"

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}-n{i}" for i in range(2)]

    def up(self, workers: int = 1, timeout: float = 120) -> "LocalCluster":
        """Start the head and `workers` workers (0 or 1 with namespaces; 0 without)."""
        if self.netns:
            self._make_namespaces()
            ips = [f"{SUBNET}.{i + 1}" for i in range(2)]
            self.nodes = [Node(ns, ip, _short_dir(ns)) for ns, ip in zip(self.names, ips)]
        else:
            self.nodes = [Node(None, "127.0.0.1", _short_dir(f"{self.prefix}-head"))]
        self.started = 0
        for _ in range(1 + workers):
            self.start_node(timeout)
        return self

    def start_node(self, timeout: float = 120) -> None:
        """Start the next node (the head first); returns once the cluster counts it."""
        i = self.started
        node = self.nodes[i]
        node.temp_dir.mkdir(parents=True, exist_ok=True)
        argv = [ray_binary(), "start", f"--node-ip-address={node.ip}", f"--num-cpus={self.cpus:g}",
                f"--object-store-memory={self.object_store_mb * 1024 * 1024}", "--disable-usage-stats",
                f"--temp-dir={node.temp_dir}"]
        argv += ["--head", f"--port={RAY_PORT}", "--include-dashboard=false"] if i == 0 else [f"--address={self.address}"]
        r = self.run(i, argv, capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise RuntimeError(f"ray start on {node.ns or 'this machine'} failed: {r.stderr.strip()[-800:]}")
        self.started += 1
        self.wait_nodes(self.started, timeout)

    def env(self, **extra) -> dict:
        return {**os.environ, **ENV, "RAY_ADDRESS": self.address, **extra}

    def run(self, node: int, argv: list[str], pin: bool = True, **kw) -> subprocess.CompletedProcess:
        """A command on a node (in its namespace; on its core when the cluster is pinned, unless
        `pin` is false: a store or a client beside the nodes), with RAY_ADDRESS pointing at the head."""
        kw.setdefault("env", self.env())
        return subprocess.run(self._on(node, argv, pin), **kw)

    def popen(self, node: int, argv: list[str], pin: bool = True, **kw) -> subprocess.Popen:
        kw.setdefault("env", self.env())
        return subprocess.Popen(self._on(node, argv, pin), **kw)

    def _on(self, node: int, argv: list[str], pin: bool) -> list[str]:
        # One core per node, so a one-CPU node is one CPU of work with all that runs on it (the bench).
        cores = ["taskset", "-c", str(node % (os.cpu_count() or 1))] if self.pin and pin else []
        return self.nodes[node].prefix() + cores + argv

    def start_chroma(self, path: Path, port: int, timeout: float = 120) -> tuple[subprocess.Popen, str]:
        """`chroma run` on the head's address (process, URL), once its heartbeat answers there. A
        store beside the nodes, never pinned to a node's core."""
        from assistant.store.services import start_chroma

        ip = self.nodes[0].ip
        beat = f"import urllib.request; urllib.request.urlopen('http://{ip}:{port}/api/v2/heartbeat', timeout=2)"
        ready = lambda: self.run(0, [sys.executable, "-c", beat], pin=False, capture_output=True, timeout=30).returncode == 0  # noqa: E731
        proc = start_chroma(path, port, timeout, host=ip, prefix=self._on(0, [], pin=False), ready=ready)
        return proc, f"http://{ip}:{port}"

    def alive_nodes(self) -> int:
        code = "import ray; ray.init(logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))"
        r = self.run(0, [sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        return int(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 and r.stdout.strip() else 0

    def wait_nodes(self, n: int, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.alive_nodes() == n:
                return
            time.sleep(1)
        raise RuntimeError(f"the cluster did not reach {n} live node(s) in {timeout:.0f} s")

    def pids(self, node: int) -> list[int]:
        ns = self.nodes[node].ns
        if not ns:
            return []
        r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        return [int(p) for p in r.stdout.split()]

    def kill_node(self, node: int, sig: int = signal.SIGKILL) -> None:
        """End every process of a node's namespace (a machine lost)."""
        for pid in self.pids(node):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def down(self, timeout: float = 30) -> None:
        """End every node's processes (TERM, then KILL) and delete the namespaces. Safe to repeat."""
        if not self.netns:
            subprocess.run([ray_binary(), "stop", "--force"], capture_output=True, timeout=timeout, env=self.env())
            return
        self.nodes = self.nodes or [Node(ns, "", _short_dir(ns)) for ns in self.names]  # a cluster another process started
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for i, node in enumerate(self.nodes):
                if _ns_exists(node.ns):
                    self.kill_node(i, sig)
            end = time.monotonic() + (timeout / 2 if sig == signal.SIGTERM else timeout)
            while time.monotonic() < end and any(self.pids(i) for i, n in enumerate(self.nodes) if _ns_exists(n.ns)):
                time.sleep(0.2)
        for ns in self.names:
            if _ns_exists(ns):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            shutil.rmtree(_short_dir(ns), ignore_errors=True)  # Ray's session folders and logs
        # A veth pair left in this machine's own namespace by a run stopped half-way through setup.
        subprocess.run(["ip", "link", "del", f"{self.prefix}-v0"], capture_output=True)

    def _make_namespaces(self) -> None:
        a, b = self.names
        self.down()  # a namespace left by a crashed run
        veth = [f"{self.prefix}-v0", f"{self.prefix}-v1"]
        steps = [["ip", "netns", "add", a], ["ip", "netns", "add", b],
                 ["ip", "link", "add", veth[0], "type", "veth", "peer", "name", veth[1]],
                 ["ip", "link", "set", veth[0], "netns", a], ["ip", "link", "set", veth[1], "netns", b],
                 ["ip", "-n", a, "addr", "add", f"{SUBNET}.1/24", "dev", veth[0]],
                 ["ip", "-n", b, "addr", "add", f"{SUBNET}.2/24", "dev", veth[1]]]
        for ns, v in zip((a, b), veth):
            steps += [["ip", "-n", ns, "link", "set", "lo", "up"], ["ip", "-n", ns, "link", "set", v, "up"]]
        for argv in steps:
            r = subprocess.run(argv, capture_output=True, text=True)
            if r.returncode:
                self.down()
                raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")


def _short_dir(name: str) -> Path:
    # Ray's sockets live under its temp folder, and a socket path may not pass 107 bytes.
    return Path("/tmp") / f"ray-{name}"


def _ns_exists(ns: str | None) -> bool:
    return bool(ns) and Path("/run/netns", ns).exists()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.cluster.nodes", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["up", "down"])
    p.add_argument("--netns", action="store_true", help="two nodes in network namespaces (root)")
    p.add_argument("--cpus", type=float, default=None, help="CPUs each node offers [1 with --netns, else all]")
    args = p.parse_args(argv)
    cluster = LocalCluster(netns=args.netns, cpus=args.cpus or (1 if args.netns else os.cpu_count() or 1))
    if args.action == "down":
        cluster.down()
        print("cluster stopped")
        return 0
    if args.netns:
        ok, why = netns_available()
        if not ok:
            print(f"error: cannot make network namespaces: {why}", file=sys.stderr)
            return 2
    try:
        cluster.up(workers=1 if args.netns else 0)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        cluster.down()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = " ".join(f"{n.ns or 'head'}={n.ip}" for n in cluster.nodes)
    print(f"# Ray cluster: {len(cluster.nodes)} node(s) ({where}); in your shell:")
    print(f"export RAY_ADDRESS={cluster.address}")
    if args.netns:
        print(f"# then run commands on the head's network: ip netns exec {cluster.nodes[0].ns} .venv/bin/assistant …")
    return 0


if __name__ == "__main__":
    sys.exit(main())
