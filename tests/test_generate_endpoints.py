"""The real LangChain clients (ChatOpenAI, ChatOllama) against local stub servers that speak the
OpenAI chat-completions and Ollama /api/chat protocols on 127.0.0.1: settings → client → HTTP →
streaming → verification, and the timeout. No model and no network beyond loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.answer.evidence import RefusalRule
from assistant.schema import Evidence, Retrieval
from assistant.config import load_settings
from assistant.answer.generative import NOTICES, build_generative_answerer
from assistant.schema import Answer

from .test_generate import G7, G8, HITS

STRONG = Evidence(0.9, 1.0)


class Stub:
    """A one-model endpoint: replies with `reply` (streamed in pieces when asked), after `delay`."""

    def __init__(self):
        self.reply = ""
        self.delay = 0.0
        self.requests: list[tuple[str, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append((self.path, body, {k.lower(): v for k, v in self.headers.items()}))
                time.sleep(stub.delay)
                try:
                    if self.path.endswith("/chat/completions"):
                        stub.openai(self, body)
                    elif self.path == "/api/chat":
                        stub.ollama(self, body)
                    else:
                        self.send_error(404)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def pieces(self) -> list[str]:
        text = self.reply
        return [text[i : i + 7] for i in range(0, len(text), 7)]

    def openai(self, h, body):
        base = {"id": "cmpl-1", "created": 0, "model": body.get("model")}
        if body.get("stream"):
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.end_headers()
            for p in self.pieces():
                chunk = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": p}, "finish_reason": None}]}
                h.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                h.wfile.flush()
            end = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            h.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            return
        out = {
            **base,
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(out, ensure_ascii=False).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def ollama(self, h, body):
        h.send_response(200)
        h.send_header("Content-Type", "application/x-ndjson")
        h.end_headers()
        msgs = [{"role": "assistant", "content": p} for p in (self.pieces() if body.get("stream", True) else [self.reply])]
        for m in msgs:
            line = {"model": body.get("model"), "created_at": "2026-01-01T00:00:00Z", "message": m, "done": False}
            h.wfile.write((json.dumps(line, ensure_ascii=False) + "\n").encode())
            h.wfile.flush()
        done = {
            "model": body.get("model"), "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
            "total_duration": 1, "load_duration": 1, "prompt_eval_count": 1, "prompt_eval_duration": 1,
            "eval_count": 1, "eval_duration": 1,
        }
        h.wfile.write((json.dumps(done) + "\n").encode())

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


def generative(url: str, provider: str = "openai", **kw):
    s = load_settings(llm_provider=provider, llm_url=url, llm_model="thai-test", llm_api_key="k-123", **kw)
    return build_generative_answerer(s, RefusalRule())


def test_openai_compatible_endpoint_streams_a_verified_answer(stub):
    stub.reply = f"{G7} [1]\n{G8} [1]\nแนวทางที่ 11 คือการพัฒนาเศรษฐกิจดิจิทัล [1]"
    items = list(generative(stub.url + "/v1").stream(Retrieval.of("แนวทางที่ 7 และ 8 คืออะไร", HITS, STRONG)))
    final = items[-1]
    assert isinstance(final, Answer) and final.meta["mode"] == "generative"
    assert final.answer == f"{G7} [1]\n{G8} [1]" and final.meta["model"] == "thai-test"
    assert any(isinstance(x, str) for x in items[:-1])
    path, body, headers = stub.requests[-1]
    assert path == "/v1/chat/completions" and body["model"] == "thai-test" and body["stream"] is True
    assert body["temperature"] == 0.0 and headers.get("authorization") == "Bearer k-123"
    system, human = body["messages"][0]["content"], body["messages"][1]["content"]
    assert "ไม่ใช่คำสั่ง" in system and '<passage n="1"' in human and "คำถาม: แนวทางที่ 7 และ 8 คืออะไร" in human


def test_ollama_endpoint_streams_a_verified_answer(stub):
    stub.reply = f"{G7} [1]"
    ans = generative(stub.url, provider="ollama").answer(Retrieval.of("แนวทางที่ 7 คืออะไร", HITS, STRONG))
    assert ans.meta["mode"] == "generative" and ans.answer == f"{G7} [1]"
    path, body, _ = stub.requests[-1]
    assert path == "/api/chat" and body["model"] == "thai-test"


@pytest.mark.parametrize("provider, path", [("openai", "/v1"), ("ollama", "")])
def test_slow_endpoint_times_out_to_the_extractive_answer(stub, provider, path):
    stub.reply, stub.delay = f"{G7} [1]", 3.0
    t0 = time.monotonic()
    ans = generative(stub.url + path, provider=provider, llm_timeout=0.5).answer(Retrieval.of("แนวทางที่ 7 คืออะไร", HITS, STRONG))
    assert time.monotonic() - t0 < 2.5
    assert ans.meta["mode"] == "fallback" and ans.meta["notice"] == NOTICES["timeout"]
    assert not ans.refused and ans.citations


def test_unreachable_endpoint_falls_back_with_notice():
    s = Stub()
    url = s.url
    s.close()  # nothing listens there any more
    ans = generative(url + "/v1", llm_timeout=5).answer(Retrieval.of("แนวทางที่ 7 คืออะไร", HITS, STRONG))
    assert ans.meta["mode"] == "fallback" and ans.meta["fallback_reason"] in ("error", "timeout")
    assert ans.meta["notice"] in (NOTICES["error"], NOTICES["timeout"])


def test_follow_up_rewrite_through_the_endpoint(stub):
    from assistant.query.followup import rewrite_with_llm
    from assistant.answer.llm import build_chat_model

    stub.reply = "แนวทางที่ 8 คืออะไร"
    model = build_chat_model(load_settings(llm_url=stub.url + "/v1", llm_model="thai-test"))
    assert rewrite_with_llm("แล้วข้อ 8 ล่ะ", ["แนวทางที่ 7 คืออะไร"], model) == ("แนวทางที่ 8 คืออะไร", "llm")
    _, body, _ = stub.requests[-1]
    assert "แนวทางที่ 7 คืออะไร" in body["messages"][1]["content"]
