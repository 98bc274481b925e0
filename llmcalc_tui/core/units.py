"""Human formatting of counts, durations, rates, bytes and money."""

from __future__ import annotations

import math
import re
from decimal import Decimal

GIB = 2**30


def _bad(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


MAX_DECIMALS = 9
"""Smaller magnitudes print as 0 (with a < sign where it matters): no reader wants a 300-digit number."""
HUGE = 1e15
"""Larger magnitudes print as "over ..." rather than as twenty digits."""


def decimals_for(x: float, sig: int = 3) -> int:
    """Decimal places that show `sig` significant digits of x (0 for large numbers, at most MAX_DECIMALS)."""
    if x == 0 or not math.isfinite(x):
        return 0
    magnitude = math.floor(math.log10(abs(x)))
    return max(0, min(MAX_DECIMALS, sig - 1 - magnitude))


def fmt_sig(x: float | None, sig: int = 3, *, strip: bool = False, decimals: int | None = None) -> str:
    """x with `sig` significant digits (or a fixed number of decimals), thousands grouped, never in
    scientific notation: 0.00008, 4.41, 1,234."""
    if _bad(x):
        return "-"
    if abs(x) >= HUGE:
        return f"over {HUGE:,.0f}" if x > 0 else f"under -{HUGE:,.0f}"
    places = decimals_for(x, sig) if decimals is None else decimals
    text = f"{round(x, places):,.{places}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.strip("-0.,") == "":  # rounded to zero
        if x > 0:
            return f"< {10.0 ** -MAX_DECIMALS:.{MAX_DECIMALS}f}" if places >= MAX_DECIMALS else text.removeprefix("-")
        return text.removeprefix("-")
    return text


def fmt_count(n: float | None) -> str:
    if _bad(n):
        return "-"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{fmt_sig(n / size, strip=True)}{unit}"
    return f"{n:.0f}"


DURATION_UNITS = (("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("min", 60e3), ("h", 3600e3))


def duration_unit(ms: float) -> tuple[str, float]:
    """The unit a duration reads best in: us below 1 ms, ms below 1 s, s below 2 min, min below 2 h, else h."""
    if ms < 1:
        return DURATION_UNITS[0]
    if ms < 1000:
        return DURATION_UNITS[1]
    if ms < 120_000:
        return DURATION_UNITS[2]
    if ms < 7_200_000:
        return DURATION_UNITS[3]
    return DURATION_UNITS[4]


def fmt_duration_ms(ms: float | None) -> str:
    if _bad(ms) or ms < 0:  # a negative duration is a bug upstream; never print it (or overflow it to -inf)
        return "-"
    unit, size = duration_unit(ms)
    if unit == "us":
        return f"{ms * 1000:.0f} us"
    return f"{fmt_sig(ms / size)} {unit}"


def fmt_duration_band(ms: float | None, low: float | None, high: float | None) -> str:
    """A duration and its band in the value's unit and decimals: "4.41 s (3.35 to 5.80 s)"."""
    text = fmt_duration_ms(ms)
    if text == "-" or _bad(low) or _bad(high) or low < 0 or high < 0:
        return text
    unit, size = duration_unit(ms)  # type: ignore[arg-type]
    places = 0 if unit == "us" else decimals_for(ms / size)  # type: ignore[operator]
    scale = 1000 if unit == "us" else 1 / size
    return f"{text} ({fmt_sig(low * scale, decimals=places)} to {fmt_sig(high * scale, decimals=places)} {unit})"


def fmt_rate(tok_s: float | None) -> str:
    if _bad(tok_s):
        return "-"
    if tok_s >= 10_000:
        return f"{fmt_sig(tok_s / 1000, decimals=1)}k tok/s"
    return f"{fmt_sig(tok_s)} tok/s" if tok_s < 100 else f"{tok_s:,.0f} tok/s"


def fmt_rate_band(tok_s: float | None, low: float | None, high: float | None) -> str:
    """A rate and its band with the same scale and unit: "137 tok/s (118 to 160 tok/s)"."""
    text = fmt_rate(tok_s)
    if text == "-" or _bad(low) or _bad(high):
        return text
    if tok_s >= 10_000:  # type: ignore[operator]
        return f"{text} ({fmt_sig(low / 1000, decimals=1)}k to {fmt_sig(high / 1000, decimals=1)}k tok/s)"
    places = decimals_for(tok_s) if tok_s < 100 else 0  # type: ignore[arg-type,operator]
    return f"{text} ({fmt_sig(low, decimals=places)} to {fmt_sig(high, decimals=places)} tok/s)"


def fmt_money(usd: float | None) -> str:
    """Dollars a person reads: $0.00008, $0.08, $12.50, $1,234; never 8e-05."""
    if _bad(usd):
        return "-"
    if usd == 0:
        return "$0"
    sign = "-" if usd < 0 else ""
    usd = abs(usd)
    if usd >= HUGE:
        return f"{sign}over ${HUGE:,.0f}"
    if usd < 0.01:
        digits = fmt_sig(usd, 2, strip=True)
        return f"{sign}< ${digits[2:]}" if digits.startswith("< ") else f"{sign}${digits}"
    if usd < 100:
        return f"{sign}${usd:,.2f}"
    return f"{sign}${usd:,.0f}"


def fmt_money_per_request(usd: float | None) -> str:
    """A per-request cost; below a cent it reads per 1,000 requests: "$0.08 per 1k requests"."""
    if _bad(usd):
        return "-"
    if 0 < usd < 0.01:
        return f"{fmt_money(usd * 1000)} per 1k requests"
    return f"{fmt_money(usd)} per request"


def fmt_gib(n_bytes: float | None) -> str:
    if _bad(n_bytes):
        return "-"
    return f"{fmt_sig(n_bytes / GIB, decimals=1)} GiB"


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
