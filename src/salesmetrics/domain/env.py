"""Numbers from environment variables, checked the same way everywhere."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

from salesmetrics.domain.errors import ConfigError

N = TypeVar("N", int, float)
D = TypeVar("D")


def positive(name: str, default: D, kind: Callable[[str], N], unit: str = "") -> N | D:
    """The positive number $name holds (parsed by `kind`: int or float), else `default`; any
    other value is a ConfigError that names the variable, the value and the unit."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value: N | None = kind(raw)
    except ValueError:
        value = None
    if value is None or not value > 0 or not math.isfinite(value):
        raise ConfigError(
            f"{name}={raw!r} is not a positive number" + (f" of {unit}" if unit else "")
        )
    return value
