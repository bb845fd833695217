"""Plain numbers scaled to exact integer units (kopiyky, cents), rounding half to even."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.numbers import Plain, scale_plain
from salesmetrics.ingest.vector import Ints, Mask, mask, try_cast

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Units:
    """Each cell in units of 10**-exponent; flags for rounded-away digits and overflow."""

    value: Ints
    ok: Mask
    fraction: Mask  # non-zero digits were rounded away
    too_big: Mask


def clean_units(text: pa.Array, exponent: int) -> pa.Array | None:
    """Minor units of a clean column ('1234.5', '-12.34') in one strict Arrow cast, or None.

    The cast refuses anything but plain numbers, and more fractional digits than `exponent`
    (such cells go the long way, where '1.234' may mean a thousand and rounding happens).
    """
    if exponent > 2:
        return None  # '1.234' would fit, and it might be one thousand two hundred
    cells = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if (pc.sum(pc.count_substring(cells, "e", ignore_case=True)).as_py() or 0) > 0:
        return None  # exponent notation is not a way people write money
    longest = pc.max(pc.utf8_length(cells)).as_py() or 0
    if longest > 20:
        return None  # Arrow's cast wraps around past decimal128's range instead of failing
    exact = try_cast(cells, pa.decimal128(18, exponent))
    if exact is None:
        return None
    # A decimal128 is two little-endian 64-bit words; below 10**18 the low word is the value.
    words = np.frombuffer(exact.buffers()[1], dtype=np.int64)
    low = words[2 * exact.offset : 2 * (exact.offset + len(exact)) : 2]
    return pa.array(low, pa.int64(), mask=~mask(pc.is_valid(exact)))


def to_units(plain: Plain, exponent: int) -> Units:
    """Plain numbers ('-12.345') as integers of 10**-exponent, integer arithmetic only."""
    scaled = plain.scaled or scale_plain(plain.plain)
    magnitude, negative = np.abs(scaled.digits), scaled.digits < 0
    shift = exponent - scaled.scale
    up = 10 ** np.clip(shift, 0, 18)
    too_big = scaled.ok & (shift > 0) & (magnitude > INT64_MAX // up)
    down = 10 ** np.clip(-shift, 0, 18)
    kept, dropped = np.divmod(magnitude, down)
    rounds_up = (2 * dropped > down) | ((2 * dropped == down) & (kept % 2 == 1))
    value = np.where(shift >= 0, np.where(too_big, 0, magnitude * up), kept + rounds_up)
    units = Units(
        np.where(negative, -value, value),
        scaled.ok & ~too_big,
        scaled.ok & (dropped != 0),
        too_big,
    )
    long = mask(pc.is_valid(plain.plain)) & ~scaled.ok
    return _long_units(plain.plain, long, exponent, units) if long.any() else units


def _long_units(plain: pa.Array, long: Mask, exponent: int, units: Units) -> Units:
    """Cells over 18 digits: rare enough for exact Decimal arithmetic one by one."""
    value, ok = units.value.copy(), units.ok.copy()
    fraction, too_big = units.fraction.copy(), units.too_big.copy()
    for at in np.flatnonzero(long):
        text = plain[int(at)].as_py()
        if len(text.lstrip("-").split(".")[0]) > 19:
            too_big[at] = True  # more whole digits than any int64 amount has
            continue
        with localcontext() as ctx:
            ctx.prec = len(text) + exponent + 2  # exact, whatever the fraction's length
            exact = Decimal(text).scaleb(exponent)
            whole = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        if abs(whole) > INT64_MAX:
            too_big[at] = True
        else:
            value[at], ok[at], fraction[at] = whole, True, whole != exact
    return Units(value, ok, fraction, too_big)
