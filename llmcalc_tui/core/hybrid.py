"""Self-hosting against an API for the same traffic: the break-even request rate and a local/API split.

The self-hosted side is one plan option: replicas of `rps_per_replica_max` requests/s each at a fixed
$/month per replica; the API side is a price per request. Both scale with the traffic, the fleet in steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHARE_STEPS = 10
"""The best split is searched in tenths of the traffic."""


def per_replica_month(option, basis: str) -> float | None:
    total = option.usd_per_month_cloud if basis == "cloud" else option.usd_per_month_owned
    return None if total is None or option.replicas <= 0 else total / option.replicas


def break_even_rps(option, usd_per_request: float, seconds_per_month: float, basis: str = "cloud") -> float | None:
    """Request rate above which one replica of the option costs less per month than the API.

    One replica costs the same at any rate it can serve; the API's bill grows with the rate. They cross at
    replica $/month / ($/request x seconds per month), provided one replica serves that rate within the
    targets; otherwise the API stays cheaper at every rate (each added replica repeats the comparison).
    """
    month = per_replica_month(option, basis)
    if month is None or usd_per_request <= 0 or option.rps_per_replica_max <= 0:
        return None
    rate = month / (usd_per_request * seconds_per_month)
    return rate if rate <= option.rps_per_replica_max else None


@dataclass(frozen=True, slots=True)
class Hybrid:
    local_share: float
    hardware: str
    tp: int
    pp: int
    ep: int
    local_replicas: int
    local_gpus: int
    api_model: str
    same_model: bool
    usd_per_month_local: float
    usd_per_month_api: float
    ttft_ms_local: float | None
    ttft_ms_api: float | None
    basis: str

    @property
    def usd_per_month(self) -> float:
        return self.usd_per_month_local + self.usd_per_month_api

    @property
    def ttft_ms_mean(self) -> float | None:
        """Share-weighted TTFT (local at the plan's percentile, API as listed); None when one side is unknown."""
        parts = []
        if self.local_share > 0:
            if self.ttft_ms_local is None:
                return None
            parts.append(self.local_share * self.ttft_ms_local)
        if self.local_share < 1:
            if self.ttft_ms_api is None:
                return None
            parts.append((1 - self.local_share) * self.ttft_ms_api)
        return sum(parts)

    def to_json(self) -> dict:
        def num(x: float | None, digits: int = 2) -> float | None:
            return None if x is None else round(x, digits)

        return {
            "local_share": round(self.local_share, 4), "hardware": self.hardware, "tp": self.tp, "pp": self.pp,
            "ep": self.ep, "local_replicas": self.local_replicas, "local_gpus": self.local_gpus,
            "api_model": self.api_model, "same_model": self.same_model, "basis": self.basis,
            "usd_per_month": num(self.usd_per_month), "usd_per_month_local": num(self.usd_per_month_local),
            "usd_per_month_api": num(self.usd_per_month_api), "ttft_ms_local": num(self.ttft_ms_local, 3),
            "ttft_ms_api": num(self.ttft_ms_api, 3), "ttft_ms_mean": num(self.ttft_ms_mean, 3),
        }


def hybrid(option, api, rps: float, seconds_per_month: float, share: float | None = None,
           basis: str = "cloud") -> Hybrid | None:
    """`share` of the traffic on replicas of the option, the rest on the API; share None: the cheapest tenth."""
    month = per_replica_month(option, basis)
    if month is None or option.rps_per_replica_max <= 0:
        return None

    def at(s: float) -> Hybrid:
        local_rps = s * rps
        replicas = math.ceil(local_rps / option.rps_per_replica_max - 1e-9) if local_rps > 0 else 0
        return Hybrid(
            local_share=s, hardware=option.hardware, tp=option.tp, pp=option.pp, ep=option.ep,
            local_replicas=replicas, local_gpus=replicas * option.gpus_per_replica, api_model=api.model,
            same_model=api.same_model, usd_per_month_local=replicas * month,
            usd_per_month_api=api.usd_per_request * (1 - s) * rps * seconds_per_month,
            ttft_ms_local=option.ttft_ms, ttft_ms_api=api.ttft_ms, basis=basis,
        )

    if share is not None:
        return at(share)
    candidates = [at(i / SHARE_STEPS) for i in range(SHARE_STEPS + 1)]
    return min(candidates, key=lambda h: (round(h.usd_per_month, 2), -h.local_share))
