"""Disaggregated serving: a prefill pool and a decode pool sized apart, with the KV cache sent between them.

The prefill pool is the load simulation of prompts that stop at their first token (TTFT target, less
the KV transfer); the decode pool is the simulation of requests whose prompt is already cached (the
KV arrives by transfer, so admitting one costs nothing but pool space) at the TPOT target. Both pools use
one plan layout and the core's step cost; the transfer is the prompt's KV cache, each prefill GPU
sending its shard over its own link at the same time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from llmcalc_tui.core.collectives import Link, kv_transfer_seconds

ONE_TOKEN_FLOOR_S = 1e-6
"""A step that only admits transferred prompts still takes a scheduler tick."""


class DecodeOnlyCost:
    """A step cost in which prompt chunks are free: their KV cache was computed elsewhere and arrived."""

    def __init__(self, base):
        self._base = base

    def decode_seconds(self, decode_seqs: int, decode_context: float) -> float:
        return self._base.decode_seconds(decode_seqs, decode_context)

    def step_seconds(self, decode_seqs: int, decode_context: float, chunks) -> float:
        if decode_seqs:
            return self._base.decode_seconds(decode_seqs, decode_context)
        return ONE_TOKEN_FLOOR_S


@dataclass(frozen=True, slots=True)
class Pool:
    replicas: int
    gpus_per_replica: int
    rps_per_replica_max: float
    utilisation: float

    @property
    def gpus(self) -> int:
        return self.replicas * self.gpus_per_replica

    def to_json(self) -> dict:
        return {"replicas": self.replicas, "gpus_per_replica": self.gpus_per_replica, "total_gpus": self.gpus,
                "rps_per_replica_max": round(self.rps_per_replica_max, 4), "utilisation": round(self.utilisation, 4)}


@dataclass(frozen=True, slots=True)
class Disaggregated:
    hardware: str
    tp: int
    pp: int
    ep: int
    prefill: Pool
    decode: Pool
    kv_bytes_per_request: float
    kv_transfer_ms: float
    link: str
    ttft_ms: float | None
    """Prefill pool TTFT at the plan's percentile plus the KV transfer."""
    tpot_ms: float | None
    ttft_p50_ms: float | None
    tpot_p50_ms: float | None
    meets_slo: bool
    usd_per_month_cloud: float | None
    usd_per_month_owned: float | None
    aggregated_total_gpus: int
    aggregated_usd_per_month_cloud: float | None

    @property
    def total_gpus(self) -> int:
        return self.prefill.gpus + self.decode.gpus

    def to_json(self) -> dict:
        def num(x: float | None, digits: int = 3) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, digits)

        return {
            "hardware": self.hardware, "tp": self.tp, "pp": self.pp, "ep": self.ep,
            "prefill": self.prefill.to_json(), "decode": self.decode.to_json(), "total_gpus": self.total_gpus,
            "kv_bytes_per_request": round(self.kv_bytes_per_request), "kv_transfer_ms": num(self.kv_transfer_ms),
            "link": self.link, "ttft_ms": num(self.ttft_ms), "tpot_ms": num(self.tpot_ms),
            "ttft_p50_ms": num(self.ttft_p50_ms), "tpot_p50_ms": num(self.tpot_p50_ms), "meets_slo": self.meets_slo,
            "usd_per_month_cloud": num(self.usd_per_month_cloud, 2),
            "usd_per_month_owned": num(self.usd_per_month_owned, 2),
            "aggregated_total_gpus": self.aggregated_total_gpus,
            "aggregated_usd_per_month_cloud": num(self.aggregated_usd_per_month_cloud, 2),
        }


def _pool(setup, workload, targets, rps: float, bisection_steps: int):
    """Replicas of one pool for `rps` within `targets`, and the simulation at each replica's share."""
    from llmcalc_tui.core.simulate import goodput, simulate

    found = goodput(setup, workload, targets, steps=bisection_steps)
    saturation = found.saturation.requests_per_s
    per_replica = found.rate_rps
    replicas = max(1, math.ceil(rps / per_replica)) if per_replica > 0 else 1
    while True:
        result = simulate(setup, replace(workload, rate_rps=rps / replicas))
        meets = per_replica > 0 and targets.met_by(result)
        if meets or per_replica <= 0 or replicas > math.ceil(rps / per_replica) + 2:
            break
        replicas += 1
    utilisation = min(1.0, rps / replicas / saturation) if saturation > 0 else 0.0
    return replicas, per_replica, utilisation, result, meets


def size_pools(*, hardware: str, layout, base_setup, link: Link, kv_bytes: float, workload, targets, rps: float,
               bisection_steps: int, usd_per_gpu_hour_cloud, usd_per_gpu_hour_owned, hours_per_month: float,
               aggregated) -> Disaggregated:
    """Both pools for the traffic; `usd_per_gpu_hour_owned(busy)` prices an owned GPU at a busy share."""
    from llmcalc_tui.core.simulate import Lengths, Targets

    transfer_s = kv_transfer_seconds(kv_bytes / layout.gpus, link)
    prefill_targets = Targets(
        ttft_s=None if targets.ttft_s is None else max(0.0, targets.ttft_s - transfer_s), percentile=targets.percentile)
    prefill_work = replace(workload, output=Lengths.fixed(1), pairs=tuple((p, 1) for p, _ in workload.pairs))
    p_rep, p_max, p_util, p_result, p_ok = _pool(base_setup, prefill_work, prefill_targets, rps, bisection_steps)
    decode_setup = replace(base_setup, cost=DecodeOnlyCost(base_setup.cost))
    decode_targets = Targets(tpot_s=targets.tpot_s, percentile=targets.percentile)
    d_rep, d_max, d_util, d_result, d_ok = _pool(decode_setup, workload, decode_targets, rps, bisection_steps)
    p = targets.percentile

    def ms(x: float) -> float | None:
        return x * 1e3 if math.isfinite(x) else None

    prefill = Pool(p_rep, layout.gpus, p_max, p_util)
    decode = Pool(d_rep, layout.gpus, d_max, d_util)
    cloud = None
    if usd_per_gpu_hour_cloud is not None:
        cloud = (prefill.gpus + decode.gpus) * usd_per_gpu_hour_cloud * hours_per_month
    owned = None
    if usd_per_gpu_hour_owned is not None:
        owned = (prefill.gpus * usd_per_gpu_hour_owned(p_util) + decode.gpus * usd_per_gpu_hour_owned(d_util)) \
            * hours_per_month
    ttft = p_result.ttft_s.at(p) + transfer_s
    return Disaggregated(
        hardware=hardware, tp=layout.tp, pp=layout.pp, ep=layout.ep, prefill=prefill, decode=decode,
        kv_bytes_per_request=kv_bytes, kv_transfer_ms=transfer_s * 1e3, link=link.name,
        ttft_ms=ms(ttft), tpot_ms=ms(d_result.tpot_s.at(p)),
        ttft_p50_ms=ms(p_result.ttft_s.p50 + transfer_s), tpot_p50_ms=ms(d_result.tpot_s.p50),
        meets_slo=p_ok and d_ok, usd_per_month_cloud=cloud, usd_per_month_owned=owned,
        aggregated_total_gpus=aggregated.total_gpus, aggregated_usd_per_month_cloud=aggregated.usd_per_month_cloud,
    )
