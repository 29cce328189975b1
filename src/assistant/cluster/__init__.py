"""Running the assistant on a Ray cluster (`pip install .[cluster]`): the JSON API as Ray Serve
replicas (`serving`), a cluster of one laptop or a few machines (`nodes`); ingestion as a Ray
Data job lives with its stage, in ingest/distributed.py. docs/cluster.md."""

from __future__ import annotations

import os

# What the driver passes to every task and replica: the model must never be fetched from a hub,
# and the project's own settings (ASSISTANT_*) mean the same on every node.
_PASSED = ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "TRANSFORMERS_OFFLINE")


class ClusterError(RuntimeError):
    """Ray missing, or no cluster at the address: one line from `assistant`'s main."""


def connect(address: str | None = None, namespace: str = "assistant"):
    """Join the cluster at `address` (default: RAY_ADDRESS, else `auto`, the one started on this
    machine by `ray start` or `make cluster-up`)."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("Ray is not installed: pip install '.[cluster]' (or `make setup-cluster`)") from exc
    if ray.is_initialized():
        return ray
    env = {k: v for k, v in os.environ.items() if k.startswith("ASSISTANT_") or k in _PASSED}
    env.setdefault("HF_HUB_OFFLINE", "1")
    try:
        ray.init(address=address or os.environ.get("RAY_ADDRESS") or "auto", namespace=namespace,
                 runtime_env={"env_vars": env}, log_to_driver=False, logging_level="WARNING")
    except ConnectionError as exc:
        raise ClusterError(f"no Ray cluster at {address or 'auto'}: start one (`make cluster-up`, docs/cluster.md) ({exc})") from exc
    return ray
