"""Human formatting of counts, durations, rates, bytes and money."""

from __future__ import annotations

import math

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
