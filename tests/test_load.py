"""The JSON API under load: 20 concurrent clients asking for ~10 s through `assistant api` get
no errors (latency printed, never asserted; `make load` runs the 60-second version)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

import pytest

from tests.reliability import running_api

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    for url, _ in running_api(tmp_path_factory, "api"):
        yield url


def request(url: str, method: str, path: str, body=None) -> tuple[int, dict]:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
    resp = conn.getresponse()
    out = json.loads(resp.read() or b"{}")
    conn.close()
    return resp.status, out


def test_api_endpoints(api):
    from urllib.parse import quote

    status, health = request(api, "GET", "/healthz")
    assert status == 200 and health["ok"] and health["documents"] == 1
    status, res = request(api, "GET", "/api/search?q=" + quote("แนวทางที่ 7") + "&k=3")
    assert status == 200 and len(res["hits"]) == 3
    status, ans = request(api, "POST", "/api/ask", {"question": "แนวทางที่ 7 คืออะไร"})
    assert status == 200 and ans["answer"] and ans["hits"] and {"refused", "citations", "question"} <= set(ans)
    assert request(api, "POST", "/api/ask", {"question": ""})[0] == 422
    assert request(api, "POST", "/api/ask", {"nothing": 1})[0] == 422
    assert request(api, "GET", "/api/search?q=x&method=magic")[0] == 422  # assistant.validate: 4xx, Thai message


def test_twenty_concurrent_clients_without_errors(api):
    from eval.load import run_load

    res = run_load(api, concurrency=20, seconds=10)
    print(f"\nload: {json.dumps(res, ensure_ascii=False)}")
    assert res["errors"] == 0, res["error_samples"]
    assert res["ok"] >= 20  # every client got at least one answer
