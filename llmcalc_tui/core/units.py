"""Human formatting of counts, durations, rates, bytes and money."""

from __future__ import annotations

import math
import re
from decimal import Decimal

GIB = 2**30


def _bad(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def fmt_count(n: float | None) -> str:
    if _bad(n):
        return "-"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def fmt_duration_ms(ms: float | None) -> str:
    if _bad(ms) or ms < 0:  # a negative duration is a bug upstream; never print it (or overflow it to -inf)
        return "-"
    if ms < 1:
        return f"{ms * 1000:.0f} us"
    if ms < 1000:
        return f"{ms:.3g} ms"
    if ms < 120_000:
        return f"{ms / 1000:.3g} s"
    return f"{ms / 60_000:.3g} min"


def fmt_rate(tok_s: float | None) -> str:
    if _bad(tok_s):
        return "-"
    if tok_s >= 10_000:
        return f"{tok_s / 1000:,.1f}k tok/s"
    return f"{tok_s:,.3g} tok/s" if tok_s < 100 else f"{tok_s:,.0f} tok/s"


def fmt_money(usd: float | None) -> str:
    if _bad(usd):
        return "-"
    if usd == 0:
        return "$0"
    if abs(usd) < 0.01:
        return f"${usd:.2g}"
    if abs(usd) < 100:
        return f"${usd:,.2f}"
    return f"${usd:,.0f}"


def fmt_gib(n_bytes: float | None) -> str:
    if _bad(n_bytes):
        return "-"
    return f"{n_bytes / GIB:,.1f} GiB"


# ----------------------------------------------------------------------------- reading numbers people type

_NUMBER_TEXT = re.compile(
    r"^(?P<sign>[+-]?)(?P<digits>[0-9]+(?:(?P<sep>[_,])[0-9]{3}(?:(?P=sep)[0-9]{3})*)?(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE](?P<exp>[+-]?[0-9]{1,3}))?(?P<suffix>[kKmMbB]?)$",
    re.ASCII,
)
MAX_NUMBER = Decimal(10) ** 30
"""Larger typed numbers are refused before they overflow a float (no field takes anything near this)."""
SUFFIX_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
"""Count suffixes people type: 32k = 32,000 tokens, 1.5M = 1,500,000 (decimal, as token counts are quoted)."""


def _decimal(text: str) -> Decimal:
    cleaned = text.strip()
    match = _NUMBER_TEXT.match(cleaned)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a number (examples: 1000, 1,000, 1_000, 32k, 1.5M)")
    digits = match.group("digits").replace(",", "").replace("_", "")
    value = Decimal(digits)
    if match.group("exp"):
        value = value.scaleb(int(match.group("exp")))
    value *= SUFFIX_SCALE[match.group("suffix").lower()]
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"{text.strip()!r} is too large")
    return -value if match.group("sign") == "-" else value


def parse_number(text: str) -> float:
    """`1,000`, `1_000`, `32k`, `1.5M`, `0.12`, `1e3` -> a finite float; ValueError for anything else.

    The one parser the CLI and the app share. Thousands separators must group by three and not mix.
    """
    return float(_decimal(text))


def parse_count(text: str) -> int:
    """Like parse_number, for whole counts: `32k` -> 32000, `1.5M` -> 1500000; `1.5` is a ValueError."""
    value = _decimal(text)
    if value != value.to_integral_value():
        raise ValueError(f"{text.strip()!r} is not a whole number")
    return int(value)
