"""Passwords: argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1), 8 to 256 characters,
no composition rules, refused when common (NIST SP 800-63B, section 3.1.1.2).

The list of common passwords (common-passwords.txt beside this file) is our own selection of
the passwords at the top of the published breach-corpus rankings (NCSC's 100k list, the
yearly "most common passwords" reports), with Ukrainian keyboard and word variants, each
lower-cased; a password is also refused when it is the person's e-mail or its name part, or
one character or a keyboard run repeated.
"""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from salesmetrics.domain.errors import InputError

MIN_LENGTH, MAX_LENGTH = 8, 256
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                        salt_len=16, type=Type.ID)  # fmt: skip
RUNS = ("0123456789", "1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхї",
        "фівапролджє", "ячсмитьбю", "abcdefghijklmnopqrstuvwxyz")  # fmt: skip


@functools.cache
def common() -> frozenset[str]:
    text = (Path(__file__).parent / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip()
                     and not line.startswith("#"))  # fmt: skip


def problem(password: str, email: str = "") -> str | None:
    """Why a new password is refused, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters (this one has {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"a password may have at most {MAX_LENGTH} characters"
    low = password.lower()
    name = email.lower().partition("@")[0]
    if low in common():
        return "this password is on the list of the most common passwords: choose another"
    if email and low in (email.lower(), name):
        return "a password may not be your e-mail address or its name part"
    if len(set(low)) == 1 or any(low in run * 4 for run in RUNS):
        return "a password may not be one character or a keyboard run repeated"
    return None


def check(password: str, email: str = "") -> None:
    reason = problem(password, email)
    if reason:
        raise InputError(reason)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash (False for no hash or a malformed one)."""
    if not stored:
        return False
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy() -> str:
    return HASHER.hash("a password nobody has: only to spend the same time")


def spend_time(password: str) -> None:
    """Verify against a dummy hash: a login for an unknown e-mail costs what a known one
    does, so the answer's timing does not tell which e-mails have accounts."""
    verify(_dummy(), password)
