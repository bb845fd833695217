"""The segment filter every page shows: a customer segment picked in the bar under the header
narrows the pages that apply it (their metrics, lists and charts) to that segment's customers.

The choice travels as `?segment=<code>` (a link keeps it) and is remembered in a cookie, so it
stays while the person moves between pages and the live parts of a page (fetched by script)
follow it; `?segment=` with no value clears it. A page applies the filter by asking for the
narrowed principal (`narrowed`); the bar says, on any other page, that it does not apply there.
Insights (/insights) does not apply it: its findings mix readings a segment cannot split
(targets, marketing spend per channel, stage times of the whole pipeline). Nor does Channels
(/channels): marketing spend belongs to no customer, so a channel's cost cannot be narrowed to
a segment.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from salesmetrics.domain.access import Principal
from salesmetrics.services.segments.picker import known, picker
from salesmetrics.services.workspace import Workspace

PARAM = "segment"
COOKIE = "salesmetrics_segment"
COOKIE_DAYS = 30


def chosen(request: Request) -> str | None:
    """The segment code chosen: the query parameter first, then the remembered one."""
    if PARAM in request.query_params:
        return known(request.query_params[PARAM])
    return known(request.cookies.get(COOKIE))


def narrowed(request: Request, who: Principal, how: str = "only") -> Principal:
    """The person, looking at the chosen segment's customers (the page applies the filter:
    `only` those customers, or, `highlight`, the page marks them among the others)."""
    request.state.segment_applies = how
    code = chosen(request)
    if code is None:
        return who
    return replace(who, scope=replace(who.scope, segment=code))


def remember(request: Request, response: Response) -> None:
    """Keep a choice made through the query parameter (or forget it, when cleared)."""
    if PARAM not in request.query_params:
        return
    code = chosen(request)
    if code is None:
        response.delete_cookie(COOKIE, path="/")
    else:
        response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 86400, path="/",
                            httponly=True, samesite="lax")  # fmt: skip


def context(request: Request, locale: str) -> dict[str, Any]:
    """What the bar shows: the segments, the choice, and whether this page applies it."""
    ws: Workspace | None = getattr(request.app.state, "workspace", None)
    if ws is None:
        return {"seg": None}
    code = chosen(request)
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in (PARAM, "cursor")]
    return {
        "seg": {
            "picker": picker(ws, locale),
            "code": code,
            "applies": getattr(request.state, "segment_applies", None),
            "keep": keep,
            "clear_url": str(request.url.remove_query_params(["cursor"])
                             .include_query_params(**{PARAM: ""})),
        }
    }  # fmt: skip
