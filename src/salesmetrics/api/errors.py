"""Every error as application/problem+json (RFC 9457), and the OpenAPI that says so.

Four sources, one shape: our own errors (SalesmetricsError, with their HTTP status), request
validation (422 with an `errors` list naming each parameter and the reason), HTTP errors
(unknown route 404, wrong method 405) and anything unexpected (500, without internals).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from salesmetrics.api.schemas import FieldError, Problem, ValidationProblem
from salesmetrics.domain.errors import DefinitionError, SalesmetricsError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def _code(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def problem_response(
    request: Request, status: int, detail: str, code: str, *,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:  # fmt: skip
    """A problem+json response; `title` is the status phrase, as RFC 9457 asks for about:blank."""
    body = problem_body(status, detail, code, request.url.path, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_body(
    status: int, detail: str, code: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """The problem+json document (for handlers that answer without a Request)."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }


def error_code(exc: SalesmetricsError) -> str:
    """The `code` of one of our errors: its class name in snake_case."""
    return _code(type(exc).__name__)


async def _salesmetrics(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalesmetricsError)
    extra: dict[str, Any] = {"problems": exc.problems} if isinstance(exc, DefinitionError) else {}
    return problem_response(request, exc.http_status, exc.message, error_code(exc), **extra)


def _allowed_query(request: Request) -> list[str]:
    """The query parameters the matched route declares (for an 'unknown parameter' reason)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return []
    names: list[str] = []
    for param in route.dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names += [f.alias or n for n, f in model.model_fields.items()]
        else:
            names.append(param.alias)
    return names


def _field_error(request: Request, error: dict[str, Any]) -> FieldError:
    loc = list(error.get("loc", ()))
    where = str(loc[0]) if loc else "request"
    # `status=x` fails as ('query', 'status', 0): the user wrote `status`, so name that
    path = [p for p in loc[1:] if where == "body" or not isinstance(p, int)]
    name = ".".join(str(p) for p in path) or where
    reason = str(error.get("msg", "is not valid"))
    given = error.get("input")
    if isinstance(given, str) and where != "body" and len(given) <= 80:
        reason += f" (got '{given}')"
    if error.get("type") == "extra_forbidden" and where == "query":
        allowed = ", ".join(_allowed_query(request))
        reason = f"unknown parameter; use {allowed}" if allowed else "unknown parameter"
    return FieldError(location=where, name=name, reason=reason)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(request, e) for e in exc.errors()]
    parts = [f"{e.location} parameter '{e.name}': {e.reason}" for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    detail = "; ".join(parts) + more if parts else "the request is not valid"
    return problem_response(request, 422, detail, "validation_error",
                            errors=[e.model_dump() for e in errors])  # fmt: skip


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status, detail = exc.status_code, str(exc.detail)
    if status == 400 and detail == "There was an error parsing the body":
        detail = "the request body could not be parsed: does it match its Content-Type?"
    elif status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no such endpoint: {request.url.path}"
    elif status == 405:
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow", "")
        detail = f"{request.method} is not allowed on {request.url.path}" + (
            f": use {allowed}" if allowed else ""
        )
    return problem_response(request, status, detail, "http_error", headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "an unexpected error on the server; its log has the details"
    return problem_response(request, 500, detail, "internal_error")


# ---- OpenAPI: the problem schemas, and every 422 described as a validation problem ----

_EXAMPLES: dict[int, tuple[str, str]] = {
    400: ("http_error", "the request body could not be parsed: does it match its Content-Type?"),
    401: (
        "unauthenticated_error",
        "sign in first: send an API token (Authorization: Bearer) or sign in at /login",
    ),
    403: (
        "forbidden_error",
        "a viewer may not change data (imports, reverts, events): ask the workspace's owner",
    ),
    404: ("not_found_error", "no deal with id 123"),
    405: ("http_error", "POST is not allowed on /api/v1/deals: use GET"),
    409: ("workspace_locked_error", "the workspace is being written by another process"),
    422: ("validation_error", "query parameter 'status': Input should be 'open', 'won' or 'lost'"),
    500: ("internal_error", "an unexpected error on the server; its log has the details"),
    503: ("storage_error", "the database refused the query"),
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors an endpoint may answer with, as problem+json."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code, detail = _EXAMPLES.get(status, ("http_error", HTTPStatus(status).phrase))
        model = "ValidationProblem" if status == 422 else "Problem"
        example: dict[str, Any] = {
            "type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "instance": "/api/v1/deals", "code": code,
        }  # fmt: skip
        if status == 422:
            example["errors"] = [{"location": "query", "name": "status",
                                  "reason": "Input should be 'open', 'won' or 'lost'"}]  # fmt: skip
        out[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model}"},
                                       "example": example}},
        }  # fmt: skip
    return out


SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer",
              "description": "An API token: `salesmetrics users token EMAIL` (shown once)."},
    "session": {"type": "apiKey", "in": "cookie", "name": "salesmetrics_session",
                "description": "The browser's session after signing in at /login (reading "
                "only: changing data through the API takes a token)."},
}  # fmt: skip


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)  # fmt: skip
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem, FieldError):
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(found.pop("$defs", {}))
        components[model.__name__] = found
    validation = problem_responses(422)[422]
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    schema["security"] = [{"token": []}, {"session": []}]
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if _is_fastapi_422(responses.get("422")):
                responses["422"] = validation
            if not path.startswith(("/api/", "/healthz")):
                continue
            if path == "/healthz":
                operation["security"] = []  # the one API route that needs no credentials
            # What any operation may answer, whether or not its router says so: a body that
            # does not parse, a record named in the path that is not there, a server fault,
            # no or bad credentials, a role that may not do it.
            implied = [500] if path == "/healthz" else [500, 401, 403]
            implied += [400] if "requestBody" in operation else []
            implied += [404] if "{" in path else []
            for status in implied:
                responses.setdefault(str(status), problem_responses(status)[status])
            for status, response in responses.items():  # an error declared without a body
                if status[0] in "45" and not response.get("content"):
                    documented = problem_responses(int(status))[int(status)]
                    response["content"] = documented["content"]
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def _is_fastapi_422(response: dict[str, Any] | None) -> bool:
    if not response:
        return False
    ref = str(response.get("content", {}).get("application/json", {}).get("schema", {}))
    return "HTTPValidationError" in ref


def install(app: FastAPI) -> None:
    """Every error as problem+json, and an OpenAPI document that describes them."""
    app.add_exception_handler(SalesmetricsError, _salesmetrics)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
