"""What a setup costs: rented per GPU-hour or owned (purchase spread over its lifetime plus electricity)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import HardwareSpec
from llmcalc_tui.core.scenario import Resolved
from llmcalc_tui.core.units import fmt_money, fmt_sig

HOURS_PER_YEAR = 8760
HOURS_PER_MONTH = HOURS_PER_YEAR / 12
"""730 h: a calendar month on average."""


@dataclass(frozen=True, slots=True)
class Cost:
    per_request: float | None
    per_1m_output_tokens: float | None
    per_hour: float | None
    per_month: float | None
    """Serving the scenario's request rate for a month (730 h) with `replicas` copies of the setup."""
    basis: str
    basis_kind: str = ""
    """cloud (rented $/GPU-hour), owned (purchase spread over the lifetime + electricity) or api."""
    replicas: int | None = None
    """Copies of the whole setup the request rate needs (0 at no requests)."""


def setup_cost(kind: str, r: Resolved, hw: HardwareSpec, output_total: float, requests_per_hour: float) -> Cost:
    """Cost of the setup on one basis: "cloud" (rented per GPU-hour) or "owned" (bought, plus electricity).

    Owned: the purchase price is spread evenly over the calendar months of its lifetime (the same each month,
    busy or idle); electricity is the busy share at full power plus the rest at idle power. The setup serves
    output only while busy, so $/1M tokens and $/request divide by the busy share while $/month does not.
    per_month serves the scenario's request rate with `replicas` copies of the setup.
    """
    s = r.scenario
    gpus = s.gpus
    if kind == "cloud":
        rate = s.cloud_usd_per_hour if s.cloud_usd_per_hour is not None else hw.cloud_usd_per_hour
        if rate is None:
            return Cost(None, None, None, None, f"no cloud price for {hw.name}", "cloud")
        per_hour = rate * gpus
        busy = 1.0
        basis = f"rented: {gpus} x {fmt_money(rate)}/GPU-hour"
    else:
        if hw.price_usd is None:
            return Cost(None, None, None, None, f"no purchase price for {hw.name}", "owned")
        busy = s.utilisation
        purchase = hw.price_usd / (s.lifetime_years * 12)
        watts = busy * hw.power_w + (1 - busy) * hw.idle_watts
        energy = watts / 1000 * s.pue * s.electricity_usd_per_kwh * HOURS_PER_MONTH
        per_hour = gpus * (purchase + energy) / HOURS_PER_MONTH
        basis = (
            f"owned: {gpus} x (${hw.price_usd:,.0f} over {fmt_sig(s.lifetime_years, strip=True)} y = {fmt_money(purchase)}/month"
            f" + {busy:.0%} busy at {hw.power_w:.0f} W, idle at {hw.idle_watts:.0f} W, x PUE {fmt_sig(s.pue, strip=True)}"
            f" x {fmt_money(s.electricity_usd_per_kwh)}/kWh)"
        )
    if output_total <= 0 or requests_per_hour <= 0:  # does not fit: no figures, only what they would rest on
        return Cost(None, None, None, None, basis, kind)
    per_1m = per_hour / (output_total * 3600 * busy) * 1e6
    per_request = per_hour / (requests_per_hour * busy)
    replicas = math.ceil(s.requests_per_minute * 60 / requests_per_hour) if s.requests_per_minute > 0 else 0
    per_month = replicas * per_hour * HOURS_PER_MONTH
    return Cost(per_request, per_1m, per_hour, per_month, basis, kind, replicas)
