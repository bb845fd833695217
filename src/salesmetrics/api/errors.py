"""Errors as application/problem+json (RFC 9457)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from salesmetrics.domain.errors import SalesmetricsError


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalesmetricsError)
    body = {
        "type": "about:blank",
        "title": type(exc).__name__,
        "status": exc.http_status,
        "detail": exc.message,
        "instance": str(request.url.path),
    }
    return JSONResponse(body, status_code=exc.http_status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    app.add_exception_handler(SalesmetricsError, _problem)
