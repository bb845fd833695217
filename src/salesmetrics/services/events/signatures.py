"""Standard Webhooks signatures: pure functions, no I/O (the API passes headers and body in).

A sender signs `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256 under a secret
`whsec_<base64 key>` and sends `webhook-signature: v1,<base64 digest>` (several, space
separated, while secrets rotate). We accept the message when any v1 signature matches any of
our secrets (compared in constant time) and its timestamp is within five minutes of now.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Mapping, Sequence

from salesmetrics.domain.errors import ConfigError, SignatureError

SECRETS_ENV = "SALESMETRICS_WEBHOOK_SECRETS"
TOLERANCE_SECONDS = 5 * 60
PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_<base64>` secret (a bare base64 key is accepted too)."""
    text = secret.strip().removeprefix(PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"webhook secret '{secret[:10]}…' is not whsec_ followed by base64"
        ) from None
    if len(key) < 16:
        raise ConfigError("a webhook secret needs at least 16 random bytes (24 base64 chars)")
    return key


def secrets_from_env(environ: Mapping[str, str] | None = None) -> tuple[bytes, ...]:
    """The keys in $SALESMETRICS_WEBHOOK_SECRETS (whitespace separated); none = no checking."""
    text = (os.environ if environ is None else environ).get(SECRETS_ENV, "")
    return tuple(secret_key(s) for s in text.split())


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a message (what a sender puts in webhook-signature)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    keys: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> str:
    """Check a signed message; returns its webhook-id, or raises SignatureError saying why."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    missing = [
        n
        for n, v in (
            ("webhook-id", msg_id),
            ("webhook-timestamp", stamp),
            ("webhook-signature", given),
        )
        if not v
    ]
    if missing:
        raise SignatureError(
            f"missing header {', '.join(missing)}: events must be signed (Standard Webhooks)"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError(f"webhook-timestamp '{stamp[:40]}' is not Unix seconds") from None
    skew = (time.time() if now is None else now) - timestamp
    if skew > TOLERANCE_SECONDS:
        raise SignatureError(f"webhook-timestamp is {int(skew)} s old; the limit is 5 minutes")
    if skew < -TOLERANCE_SECONDS:
        raise SignatureError(
            f"webhook-timestamp is {int(-skew)} s in the future; the limit is 5 minutes"
        )
    offered = [s.partition(",")[2] for s in given.split() if s.startswith("v1,")]
    if not offered:
        raise SignatureError("webhook-signature holds no v1 signature")
    for key in keys:
        expected = sign(key, msg_id, timestamp, body).partition(",")[2]
        if any(hmac.compare_digest(expected.encode(), s.encode()) for s in offered):
            return msg_id
    raise SignatureError("webhook-signature does not match the body under any configured secret")
