"""Login rate limiting that slows guessing without locking the real person out for good.

Failures are counted in a sliding window per (address, e-mail), per e-mail and per address.
Past a limit the answer is 429 with Retry-After until the oldest counted failure leaves the
window; nothing is locked permanently, and a good sign-in from an address clears that
address's count for the e-mail.

A browser that signed in before carries a device cookie for the e-mail (an HMAC keyed by the
person's password hash, so it dies with a password change: see sign_in.device_token). For
it only the (address, e-mail) count applies: someone guessing from elsewhere, or many people
failing behind one proxy address, cannot keep the person out on their own device.

Memory stays bounded: counts whose failures all left the window are dropped first; past
MAX_KEYS the oldest counts go.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import SalesmetricsError

WINDOW_ENV = "SALESMETRICS_LOGIN_WINDOW_SECONDS"
MAX_KEYS = 100_000


class TooManyAttempts(SalesmetricsError):
    """Too many failed sign-ins: wait `retry_after` seconds."""

    exit_code = 6
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins: wait {retry_after} s and try again (nothing is locked: "
            "the count clears by itself)"
        )
        self.retry_after = retry_after


class Throttle:
    """Sliding-window failure counts; `limits` per kind of key."""

    def __init__(self, window: float | None = None, pair: int = 5, email: int = 20,
                 address: int = 50) -> None:  # fmt: skip
        self.window = window if window is not None else positive(WINDOW_ENV, 900.0, float, "s")
        self.limits = {"pair": pair, "email": email, "address": address}
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(address: str, email: str, known_device: bool) -> list[tuple[str, str]]:
        pair = ("pair", f"{address}\n{email}")
        return [pair] if known_device else [pair, ("email", email), ("address", address)]

    def check(self, address: str, email: str, known_device: bool = False) -> None:
        """Raise TooManyAttempts when any count that applies is at its limit."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in self._keys(address, email, known_device):
                times = self._failures.get(key)
                if not times:
                    continue
                while times and now - times[0] >= self.window:
                    times.popleft()
                if len(times) >= self.limits[key[0]]:
                    wait = max(wait, self.window - (now - times[0]))
        if wait > 0:
            raise TooManyAttempts(max(1, math.ceil(wait)))

    def failed(self, address: str, email: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._trim(now)
            for key in self._keys(address, email, False):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, address: str, email: str) -> None:
        with self._lock:
            self._failures.pop(("pair", f"{address}\n{email}"), None)

    def _trim(self, now: float) -> None:
        """Drop the counts that have expired; if that is not enough, the oldest half."""
        for key in [k for k, t in self._failures.items() if not t or now - t[-1] >= self.window]:
            del self._failures[key]
        if len(self._failures) >= MAX_KEYS:
            for key in list(self._failures)[: len(self._failures) // 2]:
                del self._failures[key]
