"""estimate(scenario, catalog) -> Estimate: wires the stages of the core in one pass.

resolve (scenario.py) -> memory (fit.py, architecture.py) -> rates (perf.py) -> per-operation timing
(timing.py) -> cost (cost.py) -> explanation (explain.py). This module holds the result types and the
wiring; every formula lives in the stage it belongs to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from llmcalc_tui.catalog.schema import Catalog, EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.cost import HOURS_PER_MONTH, HOURS_PER_YEAR, Cost, setup_cost  # noqa: F401 (re-exported)
from llmcalc_tui.core.explain import explain as _explain
from llmcalc_tui.core.fit import activation_bytes, gpus_needed, kv_bytes_per_value, nodes_for, plan  # noqa: F401 (activation_bytes: re-exported)
from llmcalc_tui.core.perf import PRECISION_FALLBACK, Perf, peak_tflops, perf_profile  # noqa: F401 (re-exported)
from llmcalc_tui.core.scenario import Resolved, Scenario, hardware_keys, resolve
from llmcalc_tui.core.timing import StepModel, step_model

GIB = 2**30


@dataclass(frozen=True, slots=True)
class Memory:
    """Bytes, summed over all GPUs unless the name says per GPU."""

    weights: float
    kv_cache: float
    activations: float
    overhead: float
    per_gpu: float
    capacity_per_gpu: float
    kv_pool_per_gpu: float
    budget_per_gpu: float
    """What the engine lets itself use of each GPU."""
    recurrent_state: float = 0.0
    """Fixed state of linear-attention / state-space layers, all sequences (part of kv_cache)."""

    @property
    def total(self) -> float:
        return self.weights + self.kv_cache + self.activations + self.overhead


@dataclass(frozen=True, slots=True)
class Timing:
    ttft_ms: float | None
    """What one request waits for its first token on a server already running `batch` sequences."""
    tpot_ms: float | None
    end_to_end_ms: float | None
    """From the batch's arrival to its last token: ttft_batch + (output - 1) x tpot."""
    prefill_tok_s: float | None
    decode_tok_s_per_sequence: float | None
    output_tok_s_total: float | None
    ttft_batch_ms: float | None = None
    """Time to prefill all `batch` prompts together (equal to ttft_ms at batch 1)."""
    decode_tok_s_total: float | None = None
    """batch x 1000 / tpot: every running sequence's decode speed summed, prefill left out."""


NO_TIMING = Timing(None, None, None, None, None, None, None, None)
"""A setup that does not fit has no speed."""


@dataclass(frozen=True, slots=True)
class Band:
    low: float
    high: float


@dataclass(frozen=True)
class Estimate:
    """Everything the app and the CLI show for one scenario."""

    scenario: Scenario
    model_id: str
    model_name: str
    params_total: int | None
    params_active: int | None
    hardware_id: str | None
    engine_id: str | None
    weights_format: str | None
    kv_format: str | None
    deployment: str
    gpus: int
    tp: int
    pp: int
    memory: Memory | None
    fits: bool
    fit_state: str
    """ok, tight, no (or n/a for an API)."""
    batch: int
    max_batch: int
    max_context: int
    timing: Timing
    cost: Cost
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    bands: dict[str, Band] = field(default_factory=dict)
    gpus_needed: int | None = None
    """Smallest number of this accelerator that fits the batch (None: none does, or an API)."""
    nodes_needed: int | None = None
    costs: dict[str, Cost] = field(default_factory=dict)
    """The cost on each basis that has a price ("cloud", "owned"); `cost` is the deployment's."""
    # Levers (issue 14, core/levers.py): what each pulled lever did, for JSON and the before -> after lines.
    offload: dict | None = None
    speculative: dict | None = None
    prefix_cache: dict | None = None
    lever_lines: tuple[str, ...] = ()
    backend: str | None = None
    """The engine's compute backend (cuda, metal, rocm, vulkan, cpu); None for an API."""

    def to_json(self) -> dict:
        """The stable JSON contract of `llmcalc estimate --json`."""
        mem = self.memory

        def gib(x: float | None) -> float | None:
            return None if x is None else round(x / GIB, 4)

        def num(x: float | None, digits: int = 4) -> float | None:
            if x is None or not math.isfinite(x):
                return None
            return round(x, digits)

        out = {
            "model": {
                "id": self.model_id,
                "name": self.model_name,
                "params_total": self.params_total,
                "params_active": self.params_active,
            },
            "hardware": self.hardware_id,
            "engine": self.engine_id,
            "backend": self.backend,
            "weights": self.weights_format,
            "kv_cache": self.kv_format,
            "deployment": self.deployment,
            "gpus": self.gpus,
            "tp": self.tp,
            "pp": self.pp,
            "memory_gib": None if mem is None else {
                "weights": gib(mem.weights),
                "kv_cache": gib(mem.kv_cache),
                "recurrent_state": gib(mem.recurrent_state),
                "activations": gib(mem.activations),
                "overhead": gib(mem.overhead),
                "total": gib(mem.total),
                "per_gpu": gib(mem.per_gpu),
                "capacity_per_gpu": gib(mem.capacity_per_gpu),
                "kv_pool_per_gpu": gib(max(mem.kv_pool_per_gpu, 0.0)),
                "budget_per_gpu": gib(mem.budget_per_gpu),
            },
            "fits": self.fits,
            "fit_state": self.fit_state,
            "batch": self.batch,
            "max_batch": self.max_batch,
            "max_context": self.max_context,
            "input_tokens": self.scenario.input_tokens,
            "output_tokens": self.scenario.output_tokens,
            "gpus_needed": self.gpus_needed,
            "nodes_needed": self.nodes_needed,
            "latency_ms": {
                "ttft": num(self.timing.ttft_ms),
                "ttft_batch": num(self.timing.ttft_batch_ms),
                "tpot": num(self.timing.tpot_ms),
                "end_to_end": num(self.timing.end_to_end_ms),
            },
            "throughput_tok_s": {
                "prefill": num(self.timing.prefill_tok_s, 2),
                "decode_per_sequence": num(self.timing.decode_tok_s_per_sequence, 2),
                "decode_total": num(self.timing.decode_tok_s_total, 2),
                "output_total": num(self.timing.output_tok_s_total, 2),
            },
            "cost_usd": {
                "per_request": num(self.cost.per_request, 8),
                "per_1m_output_tokens": num(self.cost.per_1m_output_tokens, 4),
                "per_hour": num(self.cost.per_hour, 4),
                "per_month": num(self.cost.per_month, 2),
                "replicas": self.cost.replicas,
                "basis": self.cost.basis,
                "basis_kind": self.cost.basis_kind,
            },
            "bands": {k: {"low": num(b.low), "high": num(b.high)} for k, b in self.bands.items()},
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }
        for key in ("offload", "speculative", "prefix_cache"):  # issue 14 levers, only when pulled
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


# ----------------------------------------------------------------------------- helpers


def backend_keys(hardware: HardwareSpec) -> tuple[str, ...]:
    """Keys an engine's backend tables are looked up by, most specific first."""
    return hardware_keys(hardware)


def max_context_for(model: ModelSpec, pool: float, batch: int, kv: FormatSpec, windowed: bool, tp: int, shards: int) -> int:
    """Longest context whose cache (per-token cache plus fixed state) for `batch` sequences fits in `pool` bytes per GPU.

    The cache of one sequence is a fixed state plus, per layer type, a slope that stops at its window:
    walk the windows in order and solve the linear piece the budget ends in.
    """
    if pool <= 0 or batch <= 0:
        return 0
    per_seq_budget = pool * shards / batch
    bpv = kv_bytes_per_value(kv)
    limit = model.context_length
    if arch.kv_cache_bytes(model, 0, bpv, windowed, tp) > per_seq_budget:
        return 0
    if arch.kv_cache_bytes(model, limit, bpv, windowed, tp) <= per_seq_budget:
        return limit
    breaks = sorted({lt.window for lt in model.layers if windowed and lt.window and lt.window < limit})
    start = 0
    for end in [*breaks, limit]:
        at_end = arch.kv_cache_bytes(model, end, bpv, windowed, tp)
        if at_end > per_seq_budget:
            at_start = arch.kv_cache_bytes(model, start, bpv, windowed, tp)
            slope = (at_end - at_start) / (end - start)
            return int(min(start + (per_seq_budget - at_start) / slope, limit))
        start = end
    return limit


# ----------------------------------------------------------------------------- estimate


def estimate(scenario: Scenario, catalog: Catalog, *, explain: bool = True, time_if_over: bool = False) -> Estimate:
    """Estimate memory, speed and cost of a scenario; raises ScenarioError on impossible input.

    explain=False leaves out the assumption and warning texts (the hardware grid estimates every
    catalog entry on each keystroke and shows none of them). A setup that does not fit has no speed
    or cost, except with time_if_over=True: validation times a published run the memory model
    thinks too big, to keep measuring the speed model on it.
    """
    resolved = resolve(scenario, catalog)
    if resolved.model is None or resolved.deployment == "api":
        return _estimate_api(resolved)
    # Levers hook (issue 14): offload, speculative decoding and prefix caching re-time the plain estimate.
    from llmcalc_tui.core.levers import apply_levers

    return apply_levers(resolved, catalog, _estimate_self_hosted(resolved, explain, time_if_over), explain)


def _estimate_self_hosted(r: Resolved, explain: bool = True, time_if_over: bool = False) -> Estimate:
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    assumptions: list[str] = []
    warnings: list[str] = []
    shards = r.tp * r.pp
    params = arch.param_breakdown(model)
    wb = arch.weight_bytes(model, wfmt)
    windowed = engine.kv_frees_windowed_layers
    mem = plan(model, engine, hw, wfmt, kvfmt, r.tp, r.pp, s.input_tokens, s.output_tokens)

    max_batch = mem.max_batch()
    if s.batch == "max":
        batch = max(1, min(max_batch, engine.max_concurrent_sequences))
        if explain:
            assumptions.append(
                f"batch 'max' = {batch}: largest that fits, capped at {engine.name}'s "
                f"{engine.max_concurrent_sequences} concurrent sequences"
            )
    else:
        batch = s.batch
    fits = mem.fits(batch)
    pool = mem.pool(batch)
    act_gpu = mem.activations(batch)
    kv_gpu = mem.kv_per_sequence * batch
    per_gpu = mem.weights + kv_gpu + act_gpu + mem.overhead
    budget = mem.budget
    used_share = per_gpu / budget if budget > 0 else math.inf
    fit_state = "no" if not fits else ("tight" if used_share > 0.9 else "ok")
    max_context = max_context_for(model, pool, batch, kvfmt, windowed, r.tp, shards)
    needed = gpus_needed(model, engine, hw, wfmt, kvfmt, batch, s.input_tokens, s.output_tokens)

    memory = Memory(
        weights=wb.total,
        kv_cache=kv_gpu * shards,
        activations=act_gpu * shards,
        overhead=mem.overhead * shards,
        per_gpu=per_gpu,
        capacity_per_gpu=mem.capacity,
        kv_pool_per_gpu=pool,
        budget_per_gpu=budget,
        recurrent_state=arch.recurrent_state_bytes(model) * batch,
    )

    perf = perf_profile(engine, hw, wfmt, model, backend=s.backend)
    steps: StepModel | None = None
    if fits or time_if_over:
        steps = step_model(model, engine, wfmt, kvfmt, perf, r.tp)
        avg_context = s.input_tokens + s.output_tokens / 2.0
        ttft_batch = steps.pipeline_prefill_seconds(r.pp, batch, s.input_tokens)
        ttft = steps.running_server_ttft_seconds(r.pp, batch, s.input_tokens, avg_context)
        tpot = steps.pipeline_step_seconds(r.pp, batch, avg_context)
        e2e = ttft_batch + (s.output_tokens - 1) * tpot
        output_total = r.replicas * batch * s.output_tokens / e2e
        timing = Timing(
            ttft_ms=ttft * 1e3,
            tpot_ms=tpot * 1e3,
            end_to_end_ms=e2e * 1e3,
            prefill_tok_s=batch * s.input_tokens / ttft_batch,
            decode_tok_s_per_sequence=1.0 / tpot,
            output_tok_s_total=output_total,
            ttft_batch_ms=ttft_batch * 1e3,
            decode_tok_s_total=r.replicas * batch / tpot,
        )
        requests_per_hour = r.replicas * batch * 3600 / e2e
    else:
        timing, output_total, requests_per_hour = NO_TIMING, 0.0, 0.0
    costs = {kind: setup_cost(kind, r, hw, output_total, requests_per_hour) for kind in ("cloud", "owned")}
    cost = costs["cloud" if r.deployment == "cloud" else "owned"]
    if explain:
        assumptions.extend(r.notes)
        _explain(r, assumptions, warnings, wb=wb, mem=mem, perf=perf, batch=batch, fits=fits,
                 max_batch=max_batch, max_context=max_context, needed=needed, cost=cost, steps=steps)
    return Estimate(
        scenario=s,
        model_id=model.id,
        model_name=model.name,
        params_total=params.total,
        params_active=params.active,
        hardware_id=hw.id,
        engine_id=engine.id,
        weights_format=wfmt.id,
        kv_format=kvfmt.id,
        deployment=r.deployment,
        gpus=s.gpus,
        tp=r.tp,
        pp=r.pp,
        memory=memory,
        fits=fits,
        fit_state=fit_state,
        batch=batch,
        max_batch=max_batch,
        max_context=max_context,
        timing=timing,
        cost=cost,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        gpus_needed=needed,
        nodes_needed=nodes_for(needed, hw),
        costs=costs,
        backend=perf.backend,
    )


def api_request_cost(api, input_tokens: int, output_tokens: int, cached_fraction: float) -> float:
    from llmcalc_tui.core.api import api_request_cost as standard_tier_cost

    return standard_tier_cost(api, input_tokens, output_tokens, cached_fraction)


def _estimate_api(r: Resolved) -> Estimate:
    """The hosted-API estimate lives in core/api.py (price tiers, reasoning tokens, published latency)."""
    from llmcalc_tui.core.api import estimate_api

    return estimate_api(r)
