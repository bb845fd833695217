"""Security headers on every response: a Content-Security-Policy without inline scripts, no
framing, no content sniffing, no full addresses leaked to other sites.

Every script of our pages is a file under /static (chart data travels in
`<script type="application/json">` blocks, which a browser never runs), so `script-src 'self'`
holds; plotly sets inline styles, hence `style-src 'unsafe-inline'`. FastAPI's own /docs and
/redoc pages start Swagger UI and ReDoc with an inline script from a CDN: they get every
header but the policy (see docs/security.md).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_POLICY = (b"content-security-policy", POLICY.encode())
FRAMEWORK_PAGES = ("/docs", "/redoc")  # inline bootstrap scripts of FastAPI's own pages


class SecurityHeaders:
    """ASGI middleware: adds the headers to every HTTP response it passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_ALWAYS)
        if not scope["path"].startswith(FRAMEWORK_PAGES):
            extra.append(_POLICY)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in extra if n not in present]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, with_headers)
