"""`assistant serve --ray`: the JSON API (assistant.api, unchanged) as Ray Serve replicas.

Each replica is one Assistant over the shared stores (a catalog database or a shared index
folder, Chroma servers, the keyword index) and holds no state of its own, so any replica answers
any request and Serve restarts one that dies. Serve's proxy on every node listens on the same
port and spreads requests over the replicas. Each answer names its replica in the
`X-Assistant-Replica` header (node address/process id), for operators and the cluster tests.
"""

from __future__ import annotations

import os

APP = "assistant"
REPLICA_HEADER = "x-assistant-replica"


class ApiReplica:
    """One Assistant and its FastAPI app; Serve's requests are forwarded to the app in process."""

    def __init__(self, settings):
        import httpx
        import ray

        from assistant.api import create_app
        from assistant.service import Assistant
        from assistant.store.health import IndexDamaged

        self.assistant = Assistant(settings)
        try:
            self.assistant.search("ทดสอบ", k=1)  # the model and the keyword index loaded before traffic
        except IndexDamaged:
            pass  # answered 503 with the reason until it is fixed, as `assistant api` does
        self.name = f"{ray.util.get_node_ip_address()}/{os.getpid()}"
        transport = httpx.ASGITransport(app=create_app(self.assistant))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://replica", timeout=None)

    async def __call__(self, request):
        from starlette.responses import Response

        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        r = await self.client.request(request.method, request.url.path, params=request.query_params,
                                      headers=headers, content=body)
        out = {k: v for k, v in r.headers.items() if k.lower() in ("content-type",)}
        out[REPLICA_HEADER] = self.name
        return Response(r.content, status_code=r.status_code, headers=out)


def application(settings, replicas: int = 2, cpus: float = 0.5):
    """The Serve application: `replicas` copies, each reserving `cpus` of a node's CPUs."""
    from ray import serve

    deployment = serve.deployment(ApiReplica, name="api", num_replicas=replicas,
                                  ray_actor_options={"num_cpus": cpus},
                                  # a replica answers a few requests at a time, as `assistant api`'s thread pool does
                                  max_ongoing_requests=8, health_check_period_s=5)
    return deployment.bind(settings)


def run(settings, host: str = "0.0.0.0", port: int = 8000, replicas: int = 2, cpus: float = 0.5) -> str:
    """Start Serve's proxies on every node and deploy the API; returns once every replica is up.
    The application outlives this process: `stop()` (or `make cluster-down`) removes it."""
    from ray import serve

    serve.start(http_options={"host": host, "port": port, "location": "EveryNode"})
    serve.run(application(settings, replicas, cpus), name=APP, route_prefix="/")
    return f"http://{host}:{port}"


def stop() -> None:
    from ray import serve

    try:
        serve.delete(APP)
    finally:
        serve.shutdown()
