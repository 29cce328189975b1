"""The optional chat model, built from Settings through LangChain's chat-model integrations.

- provider `openai` (default): any OpenAI-compatible endpoint through `langchain_openai.ChatOpenAI`
  — Ollama's `/v1`, vLLM, llama.cpp server, LM Studio, hosted Thai models such as Typhoon;
- provider `ollama`: Ollama's own API through `langchain_ollama.ChatOllama`.

Nothing is imported or contacted unless a URL or a model is configured (docs/llm.md).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from assistant.config import Settings

PROVIDERS = ("openai", "ollama")
OLLAMA_DEFAULT_URL = "http://localhost:11434"


class LLMConfigError(ValueError):
    """The LLM settings cannot work (unknown provider, no model name, missing package)."""


class LLMTimeout(TimeoutError):
    """The model did not finish within the configured time."""


def build_chat_model(settings: Settings) -> Any | None:
    """A LangChain chat model for the settings, or None when no model is configured."""
    if not settings.llm_enabled:
        return None
    provider = (settings.llm_provider or "openai").strip().lower()
    if provider not in PROVIDERS:
        raise LLMConfigError(f"ASSISTANT_LLM_PROVIDER={settings.llm_provider!r}: use one of {', '.join(PROVIDERS)}")
    if not settings.llm_model:
        raise LLMConfigError("a model name is needed: set ASSISTANT_LLM_MODEL (or --llm-model)")
    timeout = float(settings.llm_timeout)
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:  # pragma: no cover - pinned in requirements.lock
            raise LLMConfigError("provider ollama needs the langchain-ollama package") from exc
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_url or OLLAMA_DEFAULT_URL,
            temperature=settings.llm_temperature,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": timeout},
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - pinned in requirements.lock
        raise LLMConfigError("provider openai needs the langchain-openai package") from exc
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_url,  # None → the OpenAI API itself
        # Local servers (Ollama, llama.cpp, vLLM) take any key; the client insists on one.
        api_key=settings.llm_api_key or "not-needed",
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=timeout,
        max_retries=0,  # a retry would only delay the extractive fallback
    )


def describe(settings: Settings) -> str:
    """Where answers come from, for logs and the UI's status line (never the key)."""
    if not settings.llm_enabled:
        return "extractive"
    where = settings.llm_url or (OLLAMA_DEFAULT_URL if settings.llm_provider == "ollama" else "api.openai.com")
    return f"{settings.llm_provider}:{settings.llm_model}@{where}"


_DONE = object()


def stream_with_deadline(make: Callable[[], Iterable[Any]], timeout: float) -> Iterator[Any]:
    """Items of `make()` — run in a worker thread — until it ends, or LLMTimeout once `timeout`
    seconds have passed since the call, whether or not the model is still sending. Errors of
    the model are raised here. A worker left behind stops at its next item."""
    q: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work():
        try:
            for item in make():
                if stop.is_set():
                    return
                q.put(("item", item))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            q.put(("error", exc))
        finally:
            q.put(("done", _DONE))

    threading.Thread(target=work, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LLMTimeout(f"no complete answer within {timeout:g} s")
            try:
                kind, value = q.get(timeout=left)
            except queue.Empty:
                raise LLMTimeout(f"no complete answer within {timeout:g} s") from None
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()


def call_with_deadline(fn: Callable[[], Any], timeout: float) -> Any:
    """fn() in a worker thread; LLMTimeout past `timeout` seconds."""
    for value in stream_with_deadline(lambda: [fn()], timeout):
        return value
    return None


def is_timeout(exc: BaseException) -> bool:
    """Timeouts of any client (httpx, openai, ollama, ours) without importing them all."""
    if isinstance(exc, TimeoutError):
        return True
    names = [type(e).__name__.lower() for e in (exc, exc.__cause__, exc.__context__) if e is not None]
    return any("timeout" in n or "timedout" in n for n in names)
