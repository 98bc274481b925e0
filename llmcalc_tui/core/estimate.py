"""estimate(scenario, catalog) -> Estimate: memory, latency, throughput and cost from a roofline."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from llmcalc_tui.catalog.schema import Catalog, EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.fit import activation_bytes, gpus_needed, kv_bytes_per_value, nodes_for, plan  # noqa: F401 (activation_bytes: re-exported)
from llmcalc_tui.core.scenario import Resolved, Scenario, hardware_keys, resolve
from llmcalc_tui.core.units import fmt_money, fmt_sig

GIB = 2**30
HOURS_PER_YEAR = 8760
HOURS_PER_MONTH = HOURS_PER_YEAR / 12
"""730 h: a calendar month on average."""
PRECISION_FALLBACK = {
    "fp4": ("fp4", "fp8", "bf16", "fp16", "fp32"),
    "fp8": ("fp8", "bf16", "fp16", "fp32"),
    "int8": ("int8", "fp16", "bf16", "fp32"),
    "int4": ("int4", "int8", "fp16", "bf16", "fp32"),
    "bf16": ("bf16", "fp16", "fp32"),
    "fp16": ("fp16", "bf16", "fp32"),
    "tf32": ("tf32", "fp32", "fp16"),
    "fp32": ("fp32", "tf32", "fp16"),
}


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


def peak_tflops(hardware: HardwareSpec, precision: str) -> tuple[float, str]:
    """Dense peak for a compute precision, falling back to the nearest one the hardware has."""
    for candidate in PRECISION_FALLBACK.get(precision, (precision, "fp16", "bf16", "fp32")):
        if candidate in hardware.tflops:
            return hardware.tflops[candidate], candidate
    best = max(hardware.tflops.items(), key=lambda kv: kv[1])
    return best[1], best[0]


def backend_keys(hardware: HardwareSpec) -> tuple[str, ...]:
    """Keys an engine's backend tables are looked up by, most specific first."""
    return hardware_keys(hardware)


def backend_value(table: dict[str, float], hardware: HardwareSpec, default: float) -> float:
    for key in backend_keys(hardware):
        if key in table:
            return table[key]
    return default


def backend_factor(engine: EngineSpec, hardware: HardwareSpec) -> float:
    """Bandwidth-efficiency multiplier of an engine on this hardware."""
    return backend_value(engine.backend_efficiency, hardware, 1.0)


@dataclass(frozen=True, slots=True)
class Perf:
    """Calibrated rates for one engine on one hardware entry."""

    bandwidth: float
    """Achieved bytes/s per GPU."""
    prefill_flops: float
    """Achieved FLOP/s per GPU in prefill."""
    decode_flops: float
    link: float
    """Achieved all-reduce bytes/s per GPU."""
    link_latency_s: float
    step_overhead_s: float
    """Fixed cost of one forward step: scheduling plus per-layer launches."""
    dequant: float
    precision: str
    kv_bandwidth: float
    moe_compute: float
    sharpness: float

    def combine(self, t_mem: float, t_compute: float) -> float:
        """Smooth roofline: the larger term dominates, the smaller one still costs a little."""
        p = self.sharpness
        if t_mem <= 0 or t_compute <= 0:
            return t_mem + t_compute
        big = max(t_mem, t_compute)
        return big * ((t_mem / big) ** p + (t_compute / big) ** p) ** (1.0 / p)


def perf_profile(engine: EngineSpec, hardware: HardwareSpec, weights: FormatSpec, model: ModelSpec) -> Perf:
    peak, precision = peak_tflops(hardware, weights.compute_precision)
    bw_factor = backend_factor(engine, hardware)
    compute_factor = backend_value(engine.backend_compute_efficiency, hardware, 1.0)
    layer_us = backend_value(engine.backend_layer_overhead_us, hardware, engine.layer_overhead_us)
    link = hardware.interconnect_gb_s or hardware.host_link_gb_s
    dequant = weights.dequant_overhead if precision != weights.compute_precision or weights.kind == "gguf" else 0.0
    bandwidth = hardware.bandwidth_gb_s * 1e9 * min(1.0, engine.decode_bandwidth_efficiency * bw_factor)
    return Perf(
        bandwidth=bandwidth,
        prefill_flops=peak * 1e12 * min(1.0, engine.prefill_compute_efficiency * compute_factor),
        decode_flops=peak * 1e12 * min(1.0, engine.batched_compute_efficiency * compute_factor),
        link=link * 1e9 * engine.allreduce_efficiency,
        link_latency_s=engine.allreduce_latency_us * 1e-6,
        step_overhead_s=engine.step_overhead_ms * 1e-3 + model.num_layers * layer_us * 1e-6,
        dequant=dequant,
        precision=precision,
        kv_bandwidth=bandwidth * engine.kv_bandwidth_efficiency,
        moe_compute=engine.moe_compute_efficiency if model.is_moe else 1.0,
        sharpness=engine.roofline_sharpness,
    )


def allreduce_seconds(model: ModelSpec, tokens: float, tp: int, perf: Perf) -> float:
    """Two all-reduces of the hidden state per layer under tensor parallelism (ring algorithm)."""
    if tp <= 1:
        return 0.0
    size = tokens * model.hidden_size * 2.0
    per_op = perf.link_latency_s + 2.0 * (tp - 1) / tp * size / perf.link
    return 2 * model.num_layers * per_op


def step_seconds(
    model: ModelSpec, wb: arch.WeightBytes, kv: FormatSpec, engine: EngineSpec, perf: Perf,
    tp: int, batch: int, context: float,
) -> float:
    """One decode step for `batch` sequences at an average context of `context` tokens."""
    touched = arch.expected_experts_touched(model, batch)
    weight_read = wb.non_expert_read + model.moe_layers * touched * wb.per_expert_layer
    kv_read = batch * arch.kv_cache_bytes(
        model, int(context), kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, tp
    )
    t_mem = weight_read / tp / perf.bandwidth + kv_read / tp / perf.kv_bandwidth
    flops = batch * (arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, context)) / tp
    t_compute = flops / (perf.decode_flops * perf.moe_compute) * (1.0 + perf.dequant)
    return perf.combine(t_mem, t_compute) + allreduce_seconds(model, batch, tp, perf) + perf.step_overhead_s


def prefill_seconds(
    model: ModelSpec, wb: arch.WeightBytes, engine: EngineSpec, perf: Perf, tp: int, batch: int, tokens: int,
) -> float:
    """Prefill of `batch` prompts of `tokens` tokens each (causal attention: half the square)."""
    total_tokens = batch * tokens
    touched = arch.expected_experts_touched(model, total_tokens)
    weight_read = wb.non_expert_read + model.moe_layers * touched * wb.per_expert_layer
    flops = total_tokens * (
        arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, tokens / 2.0)
    ) / tp
    t_compute = flops / (perf.prefill_flops * perf.moe_compute) * (1.0 + perf.dequant)
    t_mem = weight_read / tp / perf.bandwidth
    return perf.combine(t_mem, t_compute) + allreduce_seconds(model, total_tokens, tp, perf) + perf.step_overhead_s


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


def handoff_seconds(model: ModelSpec, tokens: float, pp: int, perf: Perf) -> float:
    """Pipeline parallel: the hidden states of `tokens` tokens cross pp - 1 stage boundaries."""
    if pp <= 1:
        return 0.0
    return (pp - 1) * (perf.link_latency_s + tokens * model.hidden_size * 2.0 / perf.link)


def pipeline_prefill_seconds(
    model: ModelSpec, wb: arch.WeightBytes, engine: EngineSpec, perf: Perf, tp: int, pp: int, batch: int, tokens: int,
) -> float:
    """Prefill of `batch` prompts over pp stages: the prompts go through in chunks of the engine's batched
    tokens, so stages overlap once there are several chunks ((u + pp - 1) stage times for u chunks)."""
    if pp <= 1:
        return prefill_seconds(model, wb, engine, perf, tp, batch, tokens)
    chunks = max(1.0, batch * tokens / engine.activation_tokens)
    stage = prefill_seconds(model, wb, engine, perf, tp, batch, tokens / chunks) / pp  # type: ignore[arg-type]
    return (chunks + pp - 1) * stage + handoff_seconds(model, batch * tokens / chunks, pp, perf)


def pipeline_step_seconds(
    model: ModelSpec, wb: arch.WeightBytes, kv: FormatSpec, engine: EngineSpec, perf: Perf,
    tp: int, pp: int, batch: int, context: float,
) -> float:
    """Time per output token over pp stages: the batch is cut into up to pp micro-batches that keep every
    stage busy; one sequence alone walks all stages in turn (never faster than one device) plus hand-offs."""
    micro = min(pp, batch)
    per_micro = batch / micro  # uneven micro-batches average out: each stage runs all of them once a round
    return step_seconds(model, wb, kv, engine, perf, tp, per_micro, context) + handoff_seconds(  # type: ignore[arg-type]
        model, per_micro, pp, perf)


def running_server_ttft_seconds(
    model: ModelSpec, wb: arch.WeightBytes, kv: FormatSpec, engine: EngineSpec, perf: Perf,
    tp: int, pp: int, batch: int, input_tokens: int, decode_context: float,
) -> float:
    """Time to first token of one request arriving at a server already decoding batch - 1 sequences.

    Continuous batching: the prompt is prefilled in chunks of the engine's batched tokens, and every chunk
    shares its forward step with one decode token of each running sequence; those decode tokens cost their
    KV reads and matmuls on top of the request's own prefill. At batch 1 this is the plain prefill.
    """
    own = pipeline_prefill_seconds(model, wb, engine, perf, tp, pp, 1, input_tokens)
    running = batch - 1
    if running <= 0:
        return own
    chunk = min(input_tokens, engine.activation_tokens)
    chunks = input_tokens / chunk
    compute = perf.prefill_flops * perf.moe_compute / (1.0 + perf.dequant)
    t_chunk = chunk * (arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, chunk / 2.0)) / tp / compute
    t_decodes = running * (
        arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, decode_context)
    ) / tp / compute

    def weights_read(tokens: float) -> float:
        touched = arch.expected_experts_touched(model, tokens)  # type: ignore[arg-type]
        return (wb.non_expert_read + model.moe_layers * touched * wb.per_expert_layer) / tp / perf.bandwidth

    kv_read = running * arch.kv_cache_bytes(
        model, int(decode_context), kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, tp
    ) / tp / perf.kv_bandwidth
    shared = perf.combine(weights_read(chunk + running) + kv_read, t_chunk + t_decodes) + allreduce_seconds(
        model, chunk + running, tp, perf)
    alone = perf.combine(weights_read(chunk), t_chunk) + allreduce_seconds(model, chunk, tp, perf)
    return own + chunks * max(0.0, shared - alone)


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

    perf = perf_profile(engine, hw, wfmt, model)
    if fits or time_if_over:
        avg_context = s.input_tokens + s.output_tokens / 2.0
        ttft_batch = pipeline_prefill_seconds(model, wb, engine, perf, r.tp, r.pp, batch, s.input_tokens)
        ttft = running_server_ttft_seconds(
            model, wb, kvfmt, engine, perf, r.tp, r.pp, batch, s.input_tokens, avg_context)
        tpot = pipeline_step_seconds(model, wb, kvfmt, engine, perf, r.tp, r.pp, batch, avg_context)
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
                 max_batch=max_batch, max_context=max_context, needed=needed, cost=cost)
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
    )


def _explain(
    r: Resolved, assumptions: list[str], warnings: list[str], *, wb: arch.WeightBytes, mem, perf: Perf,
    batch: int, fits: bool, max_batch: int, max_context: int, needed: int | None, cost: Cost,
) -> None:
    """The assumption and warning texts of a self-hosted estimate."""
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    windowed = engine.kv_frees_windowed_layers
    context = s.input_tokens + s.output_tokens
    shards = r.tp * r.pp
    bpv = kv_bytes_per_value(kvfmt)
    assumptions.extend(
        [
            f"{engine.name} on {hw.name}: {engine.decode_bandwidth_efficiency * backend_factor(engine, hw):.0%} "
            f"of {hw.bandwidth_gb_s:,.0f} GB/s in decode, "
            f"{engine.prefill_compute_efficiency * backend_factor(engine, hw):.0%} of the "
            f"{perf.precision} peak in prefill",
            f"weights {wfmt.name}: {wb.total / GIB:.2f} GiB"
            + (" (MoE: all experts resident, only routed experts read per token)" if model.is_moe else "")
            + (f"; includes the vision tower, {wb.vision / GIB:.2f} GiB at 16 bits (loaded to serve images)"
               if wb.vision else "")
            + (" as stored in the checkpoint" if model.checkpoint_bytes and wfmt.id == model.native_dtype else ""),
            f"KV cache {kvfmt.name}: {arch.kv_bytes_per_token(model, bpv) / 1024:.1f} KiB/token at full context"
            + (f"; {model.sliding_window_layers} layers capped at the {model.sliding_window}-token window"
               if windowed and model.sliding_window_layers else "")
            + (f"; plus {arch.recurrent_state_bytes(model) / 2**20:.1f} MiB fixed state per sequence"
               f" (fp32 recurrent state)" if model.has_recurrent_state else ""),
            f"memory budget per GPU {mem.budget / GIB:.1f} GiB = {engine.kv_memory_fraction:.0%} of "
            f"{mem.capacity / GIB:.1f} GiB usable"
            + (f" ({hw.usable_memory_fraction:.0%} of unified memory)" if hw.usable_memory_fraction < 1 else ""),
            "TTFT: one request's wait on a server already running the batch (its prefill shares steps with "
            f"{batch - 1} running decode(s)); TTFT (batch) prefills all {batch} prompt(s) together",
        ]
    )
    if perf.precision != wfmt.compute_precision:
        assumptions.append(
            f"{hw.name} has no {wfmt.compute_precision} peak: matmuls run at its {perf.precision} rate"
        )
    if r.tp > 1:
        assumptions.append(
            f"tensor parallel {r.tp}: 2 all-reduces per layer over "
            f"{hw.interconnect if hw.interconnect_gb_s else 'the host link'}"
        )
    if r.pp > 1:
        how = "layers split across GPUs (the engine's default)" if engine.multi_gpu == "pipeline" and r.tp == 1 \
            else "pipeline parallel"
        assumptions.append(
            f"{how}, {r.pp} stages: memory is shared, one sequence walks the stages in turn (no faster than one "
            "GPU, plus a hand-off per stage); a batch is cut into micro-batches that keep the stages busy"
        )
    if r.replicas > 1:
        assumptions.append(f"{r.replicas} data-parallel replicas of tp x pp = {shards} GPUs")
    if cost.replicas and cost.replicas > 1:
        assumptions.append(
            f"{fmt_sig(s.requests_per_minute, strip=True)} requests/min need {cost.replicas} copies of this setup; $/month counts "
            "all of them, $/hour and $/1M are for one"
        )
    if not model.is_mla and r.tp > model.num_key_value_heads:
        warnings.append(
            f"tp={r.tp} exceeds the {model.num_key_value_heads} KV heads: KV heads are replicated"
        )
    if not fits:
        reason = mem.breaker(batch)
        where = ""
        if needed is not None:
            nodes = nodes_for(needed, hw) or 1
            where = f"; needs {needed} x {hw.name}" + (f" ({nodes} nodes of {hw.max_devices})" if nodes > 1 else "")
        if max_batch >= 1 and batch > max_batch:
            warnings.append(f"does not fit: fits up to batch {max_batch:,} ({reason})")
        else:
            warnings.append(f"does not fit: {reason}{where}")
    if isinstance(s.batch, int) and s.batch > engine.max_concurrent_sequences:
        warnings.append(
            f"batch {s.batch} exceeds {engine.name}'s default of {engine.max_concurrent_sequences} concurrent sequences"
        )
    if model.sliding_window and context > model.sliding_window and model.sliding_window_layers == model.num_layers:
        warnings.append(f"{model.name} attends to only the last {model.sliding_window} tokens")


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


def api_request_cost(api, input_tokens: int, output_tokens: int, cached_fraction: float) -> float:
    from llmcalc_tui.core.api import api_request_cost as standard_tier_cost

    return standard_tier_cost(api, input_tokens, output_tokens, cached_fraction)


def _estimate_api(r: Resolved) -> Estimate:
    """The hosted-API estimate lives in core/api.py (price tiers, reasoning tokens, published latency)."""
    from llmcalc_tui.core.api import estimate_api

    return estimate_api(r)
