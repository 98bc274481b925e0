"""Map published measurements to scenarios, estimate them, and summarise the error."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.estimate import GIB, Estimate, estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError

try:  # compiled tomli is about 3x faster than the standard library's pure-Python tomllib
    import tomli as tomllib
except ImportError:  # pragma: no cover
    import tomllib  # type: ignore[no-redef]

Metric = Literal[
    "decode_tok_s_single", "prefill_tok_s", "output_tok_s_total", "ttft_ms", "tpot_ms",
    "peak_mem_gib", "file_size_gib", "kv_cache_gib", "e2e_latency_ms",
]

TARGETS: dict[str, float] = {
    "decode_tok_s_single": 0.08,
    "prefill_tok_s": 0.20,
    "output_tok_s_total": 0.15,
    "ttft_ms": 0.20,
    "weights_gib": 0.03,
    "peak_mem_gib": 0.05,
    "kv_cache_gib": 0.10,
}
"""Median absolute percentage error allowed per metric group (issue 13: the per-operation model)."""

GROUP = {"peak_mem_gib": "weights_gib", "file_size_gib": "weights_gib"}
"""Metrics that share one target."""

PROCESS_PEAK = "process_peak"
"""mem_scope of an allocator peak (torch.cuda.max_memory_allocated): weights, KV cache and activations."""


class Measurement(BaseModel):
    """One published measurement and the scenario it maps to."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    source: str
    metric: Metric
    value: float
    scenario: Scenario
    predict: Literal["default", "decode_total", "ttft_batch"] = "default"
    mem_scope: str = ""
    """What a memory measurement covers: weights_only_per_gpu, kv_pool_per_gpu, process_peak (allocator peak)."""
    under_load: bool = False
    """A latency measured under a request rate (MLPerf server): it includes queueing for a place in the batch,
    which the steady-batch TTFT and TPOT do not model, so it is reported apart, outside the targets."""
    notes: str = ""
    mapping_notes: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    measurement: Measurement
    predicted: float | None
    error: float | None
    """Signed relative error (predicted / measured - 1)."""
    engine: str
    hardware_kind: str
    problem: str | None = None

    @property
    def group(self) -> str:
        if self.measurement.mem_scope == PROCESS_PEAK:
            return "peak_mem_gib"
        if self.measurement.under_load:
            return f"{self.measurement.metric}_under_load"
        return GROUP.get(self.measurement.metric, self.measurement.metric)


def load_measurements(path: Path) -> list[Measurement]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Measurement.model_validate(p) for p in data.get("point", [])]


def predicted_value(m: Measurement, est: Estimate) -> float | None:
    t = est.timing
    mem = est.memory
    if m.metric == "decode_tok_s_single":
        return t.decode_tok_s_per_sequence
    if m.metric == "prefill_tok_s":
        return t.prefill_tok_s
    if m.metric == "output_tok_s_total":
        if m.predict == "decode_total" and t.tpot_ms:
            return est.batch * 1000.0 / t.tpot_ms
        return t.output_tok_s_total
    if m.metric == "ttft_ms":
        # Published TTFTs are a request's wait on a running server (MLPerf server) or, at batch 1, a plain
        # prefill; both are ttft. A point that measured a whole batch's prefill asks for ttft_batch.
        return t.ttft_batch_ms if m.predict == "ttft_batch" else t.ttft_ms
    if m.metric == "tpot_ms":
        return t.tpot_ms
    if m.metric == "e2e_latency_ms":
        return t.end_to_end_ms
    if mem is None:
        return None
    if m.metric == "peak_mem_gib" and m.mem_scope == PROCESS_PEAK:
        # An allocator peak leaves out the CUDA context and the engine's fixed overhead.
        return (mem.weights + mem.kv_cache + mem.activations) / GIB
    if m.metric in ("peak_mem_gib", "file_size_gib"):
        return mem.weights / GIB
    if m.metric == "kv_cache_gib":
        return max(mem.kv_pool_per_gpu, 0.0) * est.gpus / GIB
    return None


def run(measurements: list[Measurement], catalog: Catalog) -> list[Result]:
    results = []
    for m in measurements:
        hw = catalog.hardware.get(m.scenario.hardware)
        kind = hw.kind if hw else "?"
        try:
            est = estimate(m.scenario, catalog, time_if_over=True)
        except ScenarioError as exc:
            results.append(Result(m, None, None, m.scenario.engine, kind, str(exc)))
            continue
        value = predicted_value(m, est)
        error = value / m.value - 1.0 if value is not None and m.value else None
        results.append(Result(m, value, error, m.scenario.engine, kind))
    return results


def median_ape(results: list[Result]) -> float | None:
    errors = [abs(r.error) for r in results if r.error is not None]
    return statistics.median(errors) if errors else None


@dataclass(frozen=True)
class Summary:
    by_metric: dict[str, tuple[float | None, int]]
    by_engine: dict[str, tuple[float | None, int]]
    by_hardware_kind: dict[str, tuple[float | None, int]]

    def failures(self) -> list[str]:
        out = []
        for group, target in TARGETS.items():
            value, n = self.by_metric.get(group, (None, 0))
            if n and value is not None and value > target:
                out.append(f"{group}: median error {value:.1%} exceeds {target:.0%}")
        return out


def summarise(results: list[Result]) -> Summary:
    def grouped(key) -> dict[str, tuple[float | None, int]]:
        groups: dict[str, list[Result]] = {}
        for r in results:
            groups.setdefault(key(r), []).append(r)
        return {k: (median_ape(v), sum(1 for r in v if r.error is not None)) for k, v in sorted(groups.items())}

    return Summary(
        by_metric=grouped(lambda r: r.group),
        by_engine=grouped(lambda r: r.engine),
        by_hardware_kind=grouped(lambda r: r.hardware_kind),
    )
