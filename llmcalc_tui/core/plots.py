"""The series behind the app's plots, computed from a scenario by the core (no drawing here).

Each function sweeps one input of the scenario through `estimate` (or the load simulation) and returns
plain lists; a point the core cannot give (a setup that does not fit) is left out, never invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from llmcalc_tui.catalog.schema import Catalog, HardwareSpec
from llmcalc_tui.core.scenario import Scenario, ScenarioError

GIB = 2**30


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    x: list[float]
    y: list[float]


@dataclass(frozen=True, slots=True)
class Chart:
    """One plot: its series, axis titles, optional horizontal lines and labelled points."""

    key: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    hlines: list[tuple[str, float]] = field(default_factory=list)
    points: list[tuple[str, float, float]] = field(default_factory=list)
    bars: list[tuple[str, float]] = field(default_factory=list)
    log_x: bool = False
    log_y: bool = False
    note: str = ""
    """Why the chart is empty or what it leaves out."""

    @property
    def empty(self) -> bool:
        return not (any(s.x for s in self.series) or self.bars or self.points)


def _estimate(scenario: Scenario, catalog: Catalog):
    from llmcalc_tui.core.estimate import estimate

    try:
        return estimate(scenario, catalog, explain=False)
    except ScenarioError:
        return None


def _doublings(low: int, high: int) -> list[int]:
    values, v = [], max(1, low)
    while v < high:
        values.append(v)
        v *= 2
    values.append(high)
    return sorted(set(values))


def batch_sweep(scenario: Scenario, catalog: Catalog) -> tuple[Chart, Chart]:
    """Output tok/s (all sequences) and TPOT against batch size, up to the largest batch that fits."""
    at_max = _estimate(scenario.model_copy(update={"batch": "max"}), catalog)
    throughput = Chart("throughput", "Output tok/s vs batch", "batch", "tok/s")
    tpot = Chart("tpot", "TPOT vs batch", "batch", "ms")
    if at_max is None or not at_max.fits or at_max.max_batch < 1:
        note = "the setup does not fit: no speed to plot"
        return (Chart(**{**_fields(throughput), "note": note}), Chart(**{**_fields(tpot), "note": note}))
    xs, out, decode, ms = [], [], [], []
    for b in _doublings(1, at_max.max_batch):
        est = _estimate(scenario.model_copy(update={"batch": b}), catalog)
        if est is None or not est.fits or est.timing.tpot_ms is None:
            continue
        xs.append(float(b))
        out.append(est.timing.output_tok_s_total or 0.0)
        decode.append(est.timing.decode_tok_s_total or 0.0)
        ms.append(est.timing.tpot_ms)
    series = [Series("output tok/s (with prefill)", xs, out), Series("decode tok/s", xs, decode)]
    throughput = Chart(**{**_fields(throughput), "series": series, "log_x": True})
    tpot = Chart(**{**_fields(tpot), "series": [Series("TPOT", xs, ms)], "log_x": True})
    return throughput, tpot


def _fields(chart: Chart) -> dict:
    return {name: getattr(chart, name) for name in Chart.__dataclass_fields__}


def ttft_sweep(scenario: Scenario, catalog: Catalog) -> Chart:
    """TTFT of one request against its prompt length (batch 1), up to the model's context."""
    model = catalog.models.get(scenario.model)
    top = model.context_length - scenario.output_tokens if model else scenario.input_tokens
    xs, ys = [], []
    for n in _doublings(128, max(128, min(top, 1 << 20))):
        est = _estimate(scenario.model_copy(update={"batch": 1, "input_tokens": n}), catalog)
        if est is None or not est.fits or est.timing.ttft_ms is None:
            continue
        xs.append(float(n))
        ys.append(est.timing.ttft_ms)
    return Chart("ttft", "TTFT vs prompt length (batch 1)", "prompt tokens", "ms", [Series("TTFT", xs, ys)],
                 log_x=True, log_y=True, note="" if xs else "the setup does not fit at any prompt length")


def memory_sweep(scenario: Scenario, catalog: Catalog) -> Chart:
    """Memory per GPU against the context (input + output) at the scenario's batch, with capacity and budget."""
    model = catalog.models.get(scenario.model)
    if model is None:
        return Chart("memory", "Memory vs context", "context tokens", "GiB/GPU", note="API models have no memory")
    batch = scenario.batch if isinstance(scenario.batch, int) else 1
    xs, ys = [], []
    capacity = budget = None
    for n in _doublings(256, model.context_length):
        inp = max(1, n - scenario.output_tokens)
        est = _estimate(scenario.model_copy(update={"batch": batch, "input_tokens": inp}), catalog)
        if est is None or est.memory is None:
            continue
        xs.append(float(inp + scenario.output_tokens))
        ys.append(est.memory.per_gpu / GIB)
        capacity, budget = est.memory.capacity_per_gpu / GIB, est.memory.budget_per_gpu / GIB
    lines = [] if capacity is None else [("capacity", capacity), ("engine budget", budget)]
    return Chart("memory", f"Memory per GPU vs context (batch {batch})", "context tokens", "GiB/GPU",
                 [Series("used", xs, ys)], hlines=lines, log_x=True)


def _peak_flops(hw: HardwareSpec, precision: str) -> float:
    for key in (precision, "bf16", "fp16"):
        if key in hw.tflops:
            return hw.tflops[key] * 1e12
    return max(hw.tflops.values()) * 1e12


def roofline(scenario: Scenario, catalog: Catalog) -> Chart:
    """Attainable FLOP/s of one GPU against arithmetic intensity, with prefill and decode marked.

    Intensity = FLOPs / bytes read from memory: a prefill of the scenario's prompt reads the weights once
    for all its tokens; a decode step of the batch reads them once per step plus every sequence's KV cache.
    """
    from llmcalc_tui.core import architecture as arch
    from llmcalc_tui.core.fit import kv_bytes_per_value
    from llmcalc_tui.core.scenario import resolve

    try:
        r = resolve(scenario, catalog)
    except ScenarioError as exc:
        return Chart("roofline", "Roofline", "FLOP/byte", "TFLOP/s", note=exc.message)
    if r.model is None or r.hardware is None or r.weights is None or r.kv is None or r.engine is None:
        return Chart("roofline", "Roofline", "FLOP/byte", "TFLOP/s", note="API models have no roofline here")
    model, hw = r.model, r.hardware
    peak = _peak_flops(hw, r.weights.compute_precision)
    bandwidth = hw.bandwidth_gb_s * 1e9
    ridge = peak / bandwidth
    wb = arch.weight_bytes(model, r.weights)

    def weights_read(tokens: float) -> float:
        touched = arch.expected_experts_touched(model, tokens)  # type: ignore[arg-type]
        return wb.non_expert_read + model.moe_layers * touched * wb.per_expert_layer

    n = scenario.input_tokens
    prefill_flops = n * (arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, n / 2))
    prefill_ai = prefill_flops / weights_read(n)
    batch = scenario.batch if isinstance(scenario.batch, int) else 1
    context = scenario.input_tokens + scenario.output_tokens / 2
    kv = batch * arch.kv_cache_bytes(model, int(context), kv_bytes_per_value(r.kv), r.engine.kv_frees_windowed_layers)
    decode_flops = batch * (arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, context))
    decode_ai = decode_flops / (weights_read(batch) + kv)
    points = [
        (f"prefill {n:,} tok", prefill_ai, min(peak, prefill_ai * bandwidth) / 1e12),
        (f"decode batch {batch}", decode_ai, min(peak, decode_ai * bandwidth) / 1e12),
    ]
    # The roof spans two decades either side of the ridge, widened to take in both operating points.
    low = math.log10(min(ridge / 100, decode_ai / 2, prefill_ai / 2))
    high = math.log10(max(ridge * 100, decode_ai * 2, prefill_ai * 2))
    xs = [10 ** (low + (high - low) * i / 60) for i in range(61)]
    ys = [min(peak, x * bandwidth) / 1e12 for x in xs]
    return Chart("roofline", f"Roofline of one {hw.id} ({r.weights.compute_precision})", "FLOP/byte", "TFLOP/s",
                 [Series("attainable", xs, ys)], points=points, log_x=True, log_y=True,
                 note=f"ridge at {ridge:,.0f} FLOP/byte")


def cost_across_hardware(grid_rows, limit: int = 12) -> Chart:
    """$/1M output tokens of the hardware that fits, cheapest first (from the grid the app already has)."""
    rows = [r for r in grid_rows if r.usd_per_1m_output_tokens is not None and r.fits]
    rows.sort(key=lambda r: r.usd_per_1m_output_tokens)
    bars = [(r.hardware, r.usd_per_1m_output_tokens) for r in rows[:limit]]
    return Chart("cost", "$/1M output tokens by hardware (cheapest that fit)", "hardware", "$/1M", bars=bars,
                 note="" if bars else "no hardware with a price fits this setup")


def latency_vs_rate(scenario: Scenario, catalog: Catalog, requests: int = 300) -> Chart:
    """p50 and p99 TTFT and TPOT from the load simulation at rising Poisson rates up to saturation."""
    from dataclasses import replace

    from llmcalc_tui.core.simulate import Lengths, Workload, serving_setup_for, simulate

    chart = Chart("load", "Latency vs request rate (simulation)", "requests/s", "ms")
    est = _estimate(scenario.model_copy(update={"batch": "max"}), catalog)
    if est is None or not est.fits or catalog.models.get(scenario.model) is None:
        return Chart(**{**_fields(chart), "note": "the setup does not fit: nothing to simulate"})
    try:
        setup = serving_setup_for(scenario.model_copy(update={"batch": "max"}), catalog)
    except ScenarioError as exc:
        return Chart(**{**_fields(chart), "note": exc.message})
    workload = Workload(Lengths.fixed(scenario.input_tokens), Lengths.fixed(scenario.output_tokens), requests=requests)
    saturation = simulate(setup, replace(workload, rate_rps=1e12)).requests_per_s
    if not saturation > 0 or not math.isfinite(saturation):
        return Chart(**{**_fields(chart), "note": "the simulation completes no requests"})
    rates = [saturation * f for f in (0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.95)]
    series = {name: [] for name in ("TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99")}
    for rate in rates:
        result = simulate(setup, replace(workload, rate_rps=rate))
        series["TTFT p50"].append(result.ttft_s.p50 * 1e3)
        series["TTFT p99"].append(result.ttft_s.p99 * 1e3)
        series["TPOT p50"].append(result.tpot_s.p50 * 1e3)
        series["TPOT p99"].append(result.tpot_s.p99 * 1e3)
    return Chart(**{**_fields(chart), "series": [Series(k, rates, v) for k, v in series.items()], "log_y": True,
                    "note": f"saturation {saturation:,.2f} requests/s; {requests} simulated requests per point"})


def all_charts(scenario: Scenario, catalog: Catalog, grid_rows=()) -> dict[str, Chart]:
    """Every plot of the Plots screen, by key, in display order."""
    throughput, tpot = batch_sweep(scenario, catalog)
    charts = [throughput, tpot, ttft_sweep(scenario, catalog), memory_sweep(scenario, catalog),
              roofline(scenario, catalog), cost_across_hardware(grid_rows), latency_vs_rate(scenario, catalog)]
    return {c.key: c for c in charts}
