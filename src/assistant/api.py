"""A small JSON HTTP API over the assistant (FastAPI, served by uvicorn): `assistant api`.

    GET  /healthz                          {"ok", "documents", "generation", "model"}
    GET  /api/search?q=...&k=10&method=hybrid   {"query", "hits": [...]}
    POST /api/ask {"question", "k"?, "history"?}  the answer as `assistant ask --json` prints it

One Assistant per process, shared by the request threads (the model encodes one request at a
time; the index is safe to read while an ingest in the same process writes). No page of this
API loads anything from the network (FastAPI's /docs pages, which would, are off).
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field

from assistant.config import Settings

MAX_QUESTION = 2000


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=MAX_QUESTION)
    k: Optional[int] = Field(None, ge=1, le=50)
    history: Optional[list[str]] = None  # the user's earlier questions, oldest first


def create_app(assistant):
    from fastapi import FastAPI, HTTPException, Query
    from fastapi.responses import JSONResponse

    from assistant.retrieve.rankers import RANKERS

    app = FastAPI(title="Thai policy assistant API", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(Exception)
    def _error(request, exc):  # one JSON shape for every failure, never a stack trace
        return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)

    @app.get("/healthz")
    def healthz():
        idx = assistant.index
        return {"ok": True, "documents": len(idx.documents()), "generation": idx.generation, "model": idx.model_fingerprint}

    @app.get("/api/search")
    def search(
        q: str = Query(..., min_length=1, max_length=MAX_QUESTION),
        k: int = Query(10, ge=1, le=50),
        method: str = Query("hybrid"),
    ):
        if method not in RANKERS:
            raise HTTPException(400, f"method must be one of {', '.join(RANKERS)}")
        return {"query": q, "hits": [h.to_dict() for h in assistant.search(q, k=k, method=method)]}

    @app.post("/api/ask")
    def ask(req: AskRequest):
        if not req.question.strip():
            raise HTTPException(422, "question is empty")
        return assistant.ask(req.question, k=req.k, history=req.history).to_dict()

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, ready=None) -> None:
    """Load the model and the index, then serve until interrupted. `ready(url)` is called once
    the first search has run (the model is warm)."""
    import uvicorn

    from assistant.service import Assistant

    a = Assistant(settings)
    a.search("ทดสอบ", k=1)  # load the model and the keyword index now, not on the first request
    app = create_app(a)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{host}:{port}")
    else:
        import sys

        sys.stderr.write(f"API ready on http://{host}:{port} ({len(a.index.documents())} documents)\n")
        sys.stderr.flush()
    server.run()
