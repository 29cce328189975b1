"""A small JSON HTTP API over the assistant (FastAPI, served by uvicorn): `assistant api`.

    GET  /healthz                          {"ok", "documents", "generation", "model", "notes"}
    GET  /api/search?q=...&k=10&method=hybrid   {"query", "hits": [...]}
    POST /api/ask {"question", "k"?, "history"?, "method"?}  the answer as `assistant ask --json` prints it

Every input is checked by assistant.validate (the CLI and the UI use the same checks); a bad
request is answered 4xx with {"error": Thai message, "detail": English}, a damaged index 503.

One Assistant per process, shared by the request threads (the model encodes one request at a
time; the index is safe to read while an ingest in the same process writes). No page of this
API loads anything from the network (FastAPI's /docs pages, which would, are off).
"""

from __future__ import annotations

import json

from fastapi import Request  # at module level: the endpoints' string annotations resolve here

from assistant.config import Settings

# Thai messages for failures that are not about one field.
_TH_BAD_JSON = "เนื้อหาคำขอไม่ใช่ JSON ที่ถูกต้อง"
_TH_NOT_OBJECT = "เนื้อหาคำขอต้องเป็น JSON object เช่น {\"question\": \"...\"}"
_TH_TOO_BIG = "คำขอมีขนาดใหญ่เกินกำหนด"
_TH_UNKNOWN = "มีช่องข้อมูลที่ไม่รู้จัก"
_TH_INTERNAL = "ขออภัย ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง"


def create_app(assistant):
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from assistant import validate
    from assistant.store.health import IndexDamaged, catalog_unreadable_for, database_errors

    s = assistant.settings
    max_body = s.max_body_kb * 1024
    app = FastAPI(title="Thai policy assistant API", docs_url=None, redoc_url=None, openapi_url=None)

    def problem(status: int, thai: str, english: str, **extra) -> Response:
        body = {"error": thai, "detail": english, **extra}
        try:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # something of the input slipped into a message: escape it all
            data = json.dumps(body).encode("ascii")
        return Response(data, status_code=status, media_type="application/json")

    @app.exception_handler(validate.InputError)
    def _bad_input(request, exc: validate.InputError):
        return problem(422, exc.thai, str(exc), field=exc.field)

    @app.exception_handler(IndexDamaged)
    def _damaged(request, exc: IndexDamaged):
        return problem(503, exc.thai, str(exc))

    @app.exception_handler(RequestValidationError)
    def _schema(request, exc):
        return problem(422, "ข้อมูลในคำขอไม่ถูกต้อง", "invalid request")

    @app.exception_handler(StarletteHTTPException)
    def _http(request, exc):
        thai = {404: "ไม่พบหน้าที่ขอ", 405: "ไม่รองรับวิธีเรียกนี้"}.get(exc.status_code, "คำขอไม่ถูกต้อง")
        return problem(exc.status_code, thai, str(exc.detail))

    @app.exception_handler(Exception)
    def _error(request, exc):  # one JSON shape for every failure, never a stack trace
        if isinstance(exc, database_errors()):  # the catalog database lost between the health check and a read
            return _damaged(request, catalog_unreadable_for(s, exc))
        return problem(500, _TH_INTERNAL, f"{type(exc).__name__}")

    @app.get("/healthz")
    def healthz():
        try:
            idx = assistant.index
            notes = [p.text for p in idx.require_healthy()]
        except IndexDamaged as exc:
            return problem(503, exc.thai, str(exc), ok=False)
        return {"ok": True, "documents": len(idx.documents()), "generation": idx.generation,
                "model": idx.model_fingerprint, "notes": notes}

    @app.get("/api/search")
    def search(request: Request):
        params = request.query_params
        unknown = set(params) - {"q", "k", "method"}
        if unknown:
            return problem(422, _TH_UNKNOWN, f"unknown parameter(s): {', '.join(sorted(unknown))[:100]!r}")
        q = validate.text(params.get("q"), "q", s.max_question_chars)
        k = validate.k(params.get("k", "10"), s)
        method = validate.method(params.get("method", "hybrid"))
        return {"query": q, "hits": [h.to_dict() for h in assistant.search(q, k=k, method=method)]}

    @app.post("/api/ask")
    async def ask(request: Request):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            return problem(413, _TH_TOO_BIG, f"body over {s.max_body_kb} KB")
        body = b""
        async for part in request.stream():  # never holds more than the limit
            body += part
            if len(body) > max_body:
                return problem(413, _TH_TOO_BIG, f"body over {s.max_body_kb} KB")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return problem(400, _TH_BAD_JSON, "body is not valid JSON")
        if not isinstance(data, dict):
            return problem(422, _TH_NOT_OBJECT, "body must be a JSON object")
        unknown = set(data) - {"question", "k", "history", "method"}
        if unknown:
            return problem(422, _TH_UNKNOWN, f"unknown field(s): {', '.join(sorted(map(str, unknown)))[:100]!r}")
        question = validate.question(data.get("question"), s)
        k = validate.k(data["k"], s) if data.get("k") is not None else None
        history = validate.history(data.get("history"), s)
        method = validate.method(data.get("method", "hybrid"))
        from starlette.concurrency import run_in_threadpool

        ans = await run_in_threadpool(assistant.ask, question, k=k, method=method, history=history)
        return ans.to_dict()

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, ready=None) -> None:
    """Load the model and the index, then serve until interrupted. `ready(url)` is called once
    the first search has run (the model is warm)."""
    import uvicorn

    from assistant.service import Assistant

    a = Assistant(settings)
    from assistant.store.health import IndexDamaged

    try:
        a.search("ทดสอบ", k=1)  # load the model and the keyword index now, not on the first request
    except IndexDamaged as exc:  # serve anyway: every request says 503 and why, until it is fixed
        import sys

        sys.stderr.write(f"warning: {exc}\n")
    app = create_app(a)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{host}:{port}")
    else:
        import sys

        sys.stderr.write(f"API ready on http://{host}:{port}\n")
        sys.stderr.flush()
    server.run()
