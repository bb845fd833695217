"""Arrow columns built from numpy arrays without a Python loop over rows."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from salesmetrics.demo.names import FEMALE, MALE, SURNAMES, translit
from salesmetrics.demo.timeline import F64, Timeline

TS = pa.timestamp("us", tz="UTC")
Mask = NDArray[np.bool_] | None
_MASK64 = (1 << 64) - 1


def mix(seed: int, salt: int, idx: NDArray[np.integer]) -> NDArray[np.uint64]:
    """A well-mixed 64-bit hash of (seed, salt, row) (splitmix64), for draws that need no state."""
    base = (seed * 0x9E3779B97F4A7C15 + (salt + 1) * 0xD1B54A32D192ED03) & _MASK64
    x = np.asarray(idx).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(base)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: NDArray[np.uint64] = x ^ (x >> np.uint64(31))
    return out


def ids(values: NDArray[np.integer], null: Mask = None) -> pa.Array:
    """An int64 column; rows where `null` is true are NULL."""
    return pa.array(np.asarray(values, np.int64), pa.int64(), mask=null)


def floats(values: F64) -> pa.Array:
    """A float64 column."""
    return pa.array(np.asarray(values, np.float64), pa.float64())


def external(prefix: str, values: NDArray[np.integer], width: int) -> pa.Array:
    """Stable external ids such as ORD-00000123."""
    digits = pc.utf8_lpad(pc.cast(ids(values), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def pick(values: Sequence[str], index: NDArray[np.integer], null: Mask = None) -> pa.Array:
    """values[index] as a string column (index < 0 or `null` gives NULL)."""
    idx = np.asarray(index, np.int64)
    mask = idx < 0 if null is None else (null | (idx < 0))
    return pa.array(list(values), pa.string()).take(pa.array(np.maximum(idx, 0), mask=mask))


def const(value: str, n: int) -> pa.Array:
    """The same text n times."""
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, np.int64)))


def timestamps(tl: Timeline, t: F64, null: Mask = None) -> pa.Array:
    """Local-day floats as UTC timestamps; NaN or `null` rows are NULL."""
    missing = np.isnan(t) if null is None else (null | np.isnan(t))
    safe = np.where(missing, 0.0, t)
    return pa.array(tl.utc_us(safe), TS, mask=missing)


def dates(tl: Timeline, day: NDArray[np.integer], null: Mask = None) -> pa.Array:
    """Local day indices as date32."""
    days = (np.asarray(day, np.int64) + tl.epoch_day).astype(np.int32)
    return pa.array(days, pa.date32(), mask=null)


def bools(values: NDArray[np.bool_]) -> pa.Array:
    """A bool column."""
    return pa.array(np.asarray(values, np.bool_), pa.bool_())


def text_number(values: NDArray[np.integer]) -> pa.Array:
    """Integers as decimal text."""
    return pc.cast(ids(values), pa.string())


def person_names(
    female: NDArray[np.bool_], first: NDArray[np.int64], last: NDArray[np.int64]
) -> pa.Array:
    """'Олена Коваль': first names by gender, a shared list of surnames."""
    given = pc.if_else(
        bools(female), pick(FEMALE, first % len(FEMALE)), pick(MALE, first % len(MALE))
    )
    return pc.binary_join_element_wise(given, pick(SURNAMES, last % len(SURNAMES)), " ")


def email_users(
    female: NDArray[np.bool_], first: NDArray[np.int64], last: NDArray[np.int64]
) -> pa.Array:
    """ASCII 'olena.koval' for the same indices person_names uses."""
    f_ascii = [translit(x) for x in FEMALE]
    m_ascii = [translit(x) for x in MALE]
    given = pc.if_else(
        bools(female), pick(f_ascii, first % len(f_ascii)), pick(m_ascii, first % len(m_ascii))
    )
    family = pick([translit(x) for x in SURNAMES], last % len(SURNAMES))
    return pc.binary_join_element_wise(given, family, ".")


def person_emails(
    user: pa.Array, number: NDArray[np.int64], domains: Sequence[str], domain: NDArray[np.int64]
) -> pa.Array:
    """E-mails olena.koval123@ukr.net, unique through the number."""
    return pc.binary_join_element_wise(user, text_number(number), "@", pick(domains, domain), "")


def phones(number: NDArray[np.int64]) -> pa.Array:
    """Ukrainian mobile numbers +380XXYYYYYYY from a non-negative integer."""
    codes = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]
    code = pick(codes, number % len(codes))
    rest = pc.utf8_lpad(text_number((number // len(codes)) % 10_000_000), width=7, padding="0")
    return pc.binary_join_element_wise("+380", code, rest, "")


def json_objects(fields: Sequence[tuple[str, pa.Array]]) -> pa.Array:
    """JSON object text per row from columns of already JSON-encoded values."""
    parts: list[pa.Array | str] = []
    for i, (key, value) in enumerate(fields):
        parts.append(("{" if i == 0 else ", ") + json.dumps(key) + ": ")
        parts.append(value)
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def json_values(values: Sequence[object], index: NDArray[np.integer]) -> pa.Array:
    """JSON encodings of values[index] (strings quoted, booleans true/false)."""
    return pick([json.dumps(v, ensure_ascii=False) for v in values], index)
