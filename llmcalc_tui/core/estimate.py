"""estimate(scenario, catalog) -> Estimate: memory, latency, throughput and cost from a roofline."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from llmcalc_tui.catalog.schema import Catalog, EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.scenario import MAX_BATCH, Resolved, Scenario, resolve

GIB = 2**30
HOURS_PER_YEAR = 8760
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

    @property
    def total(self) -> float:
        return self.weights + self.kv_cache + self.activations + self.overhead


@dataclass(frozen=True, slots=True)
class Timing:
    ttft_ms: float | None
    tpot_ms: float | None
    end_to_end_ms: float | None
    prefill_tok_s: float | None
    decode_tok_s_per_sequence: float | None
    output_tok_s_total: float | None


@dataclass(frozen=True, slots=True)
class Cost:
    per_request: float | None
    per_1m_output_tokens: float | None
    per_hour: float | None
    per_month: float | None
    """At the scenario's request rate (30 days)."""
    basis: str


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
            "latency_ms": {
                "ttft": num(self.timing.ttft_ms),
                "tpot": num(self.timing.tpot_ms),
                "end_to_end": num(self.timing.end_to_end_ms),
            },
            "throughput_tok_s": {
                "prefill": num(self.timing.prefill_tok_s, 2),
                "decode_per_sequence": num(self.timing.decode_tok_s_per_sequence, 2),
                "output_total": num(self.timing.output_tok_s_total, 2),
            },
            "cost_usd": {
                "per_request": num(self.cost.per_request, 8),
                "per_1m_output_tokens": num(self.cost.per_1m_output_tokens, 4),
                "per_hour": num(self.cost.per_hour, 4),
                "per_month": num(self.cost.per_month, 2),
                "basis": self.cost.basis,
            },
            "bands": {k: {"low": num(b.low), "high": num(b.high)} for k, b in self.bands.items()},
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }
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
    vendor = hardware.vendor.lower()
    return (hardware.id, f"{hardware.kind}:{vendor}", hardware.kind, vendor)


def backend_value(table: dict[str, float], hardware: HardwareSpec, default: float) -> float:
    for key in backend_keys(hardware):
        if key in table:
            return table[key]
    return default


def backend_factor(engine: EngineSpec, hardware: HardwareSpec) -> float:
    """Bandwidth-efficiency multiplier of an engine on this hardware."""
    return backend_value(engine.backend_efficiency, hardware, 1.0)


def kv_bytes_per_value(kv: FormatSpec) -> float:
    return kv.bits_per_weight / 8


def activation_bytes(model: ModelSpec, engine: EngineSpec, batch: int, input_tokens: int) -> float:
    """Peak activation workspace per GPU: fp32 logits plus hidden states for one forward step."""
    tokens = engine.activation_tokens
    if not engine.preallocates_kv:
        tokens = min(tokens, batch * input_tokens)
    return tokens * (4.0 * model.vocab_size + 8.0 * model.hidden_size)


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
    """Longest context whose KV cache for `batch` sequences fits in `pool` bytes per GPU."""
    if pool <= 0 or batch <= 0:
        return 0
    per_seq_budget = pool * shards / batch
    bpv = kv_bytes_per_value(kv)
    one = arch.kv_cache_bytes(model, 1, bpv, windowed, tp)
    window = model.sliding_window if windowed and model.sliding_window_layers else None
    if window:
        at_window = arch.kv_cache_bytes(model, window, bpv, windowed, tp)
        if at_window <= per_seq_budget:
            full_layers = model.num_layers - model.sliding_window_layers
            if full_layers == 0:
                return model.context_length
            slope = one * full_layers / model.num_layers
            tokens = window + (per_seq_budget - at_window) / slope
            return int(min(tokens, model.context_length))
    return int(min(per_seq_budget / one, model.context_length))


# ----------------------------------------------------------------------------- estimate


def estimate(scenario: Scenario, catalog: Catalog, *, explain: bool = True) -> Estimate:
    """Estimate memory, speed and cost of a scenario; raises ScenarioError on impossible input.

    explain=False leaves out the assumption and warning texts (the hardware grid estimates every
    catalog entry on each keystroke and shows none of them).
    """
    resolved = resolve(scenario, catalog)
    if resolved.model is None or resolved.deployment == "api":
        return _estimate_api(resolved)
    return _estimate_self_hosted(resolved, explain)


def _estimate_self_hosted(r: Resolved, explain: bool = True) -> Estimate:
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    assumptions: list[str] = []
    warnings: list[str] = []
    shards = r.tp * r.pp
    params = arch.param_breakdown(model)
    wb = arch.weight_bytes(model, wfmt)
    bpv = kv_bytes_per_value(kvfmt)
    windowed = engine.kv_frees_windowed_layers
    context = s.input_tokens + s.output_tokens
    kv_seq = arch.kv_cache_bytes(model, context, bpv, windowed, r.tp)

    capacity = hw.usable_bytes
    budget = capacity * engine.kv_memory_fraction
    weights_gpu = wb.total / shards
    overhead_gpu = engine.overhead_gib * GIB

    def pool_for(batch: int) -> tuple[float, float]:
        act = activation_bytes(model, engine, batch, s.input_tokens)
        return budget - weights_gpu - act - overhead_gpu, act

    pool_one, _ = pool_for(1)
    kv_seq_gpu = kv_seq / shards
    max_batch = int(max(0, min(MAX_BATCH, pool_one // kv_seq_gpu))) if kv_seq_gpu > 0 else MAX_BATCH
    if not engine.preallocates_kv and max_batch > 1:
        # Bigger batches of a sizing-on-demand engine also need bigger activation buffers.
        pool_max, _ = pool_for(max_batch)
        max_batch = int(max(0, min(max_batch, pool_max // kv_seq_gpu)))
    if s.batch == "max":
        batch = max(1, min(max_batch, engine.max_concurrent_sequences))
        assumptions.append(
            f"batch 'max' = {batch}: largest that fits, capped at {engine.name}'s "
            f"{engine.max_concurrent_sequences} concurrent sequences"
        )
    else:
        batch = s.batch
    pool, act_gpu = pool_for(batch)
    kv_gpu = kv_seq_gpu * batch
    per_gpu = weights_gpu + kv_gpu + act_gpu + overhead_gpu
    fits = pool >= kv_gpu and pool > 0
    used_share = per_gpu / budget if budget > 0 else math.inf
    fit_state = "no" if not fits else ("tight" if used_share > 0.9 else "ok")
    max_context = max_context_for(model, pool, batch, kvfmt, windowed, r.tp, shards)

    memory = Memory(
        weights=wb.total,
        kv_cache=kv_gpu * shards,
        activations=act_gpu * shards,
        overhead=overhead_gpu * shards,
        per_gpu=per_gpu,
        capacity_per_gpu=capacity,
        kv_pool_per_gpu=pool,
        budget_per_gpu=budget,
    )

    perf = perf_profile(engine, hw, wfmt, model)
    ttft = prefill_seconds(model, wb, engine, perf, r.tp, batch, s.input_tokens)
    avg_context = s.input_tokens + s.output_tokens / 2.0
    tpot = step_seconds(model, wb, kvfmt, engine, perf, r.tp, batch, avg_context)
    e2e = ttft + (s.output_tokens - 1) * tpot
    output_total = r.replicas * batch * s.output_tokens / e2e
    timing = Timing(
        ttft_ms=ttft * 1e3,
        tpot_ms=tpot * 1e3,
        end_to_end_ms=e2e * 1e3,
        prefill_tok_s=batch * s.input_tokens / ttft,
        decode_tok_s_per_sequence=1.0 / tpot,
        output_tok_s_total=output_total,
    )
    cost = _self_hosted_cost(r, hw, output_total, e2e, batch)
    if explain:
        _explain(r, assumptions, warnings, wb=wb, bpv=bpv, budget=budget, capacity=capacity, perf=perf,
                 batch=batch, fits=fits, pool=pool, weights_gpu=weights_gpu, kv_gpu=kv_gpu,
                 max_batch=max_batch, max_context=max_context)
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
    )


def _explain(
    r: Resolved, assumptions: list[str], warnings: list[str], *, wb: arch.WeightBytes, bpv: float, budget: float,
    capacity: float, perf: Perf, batch: int, fits: bool, pool: float, weights_gpu: float, kv_gpu: float,
    max_batch: int, max_context: int,
) -> None:
    """The assumption and warning texts of a self-hosted estimate."""
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    windowed = engine.kv_frees_windowed_layers
    context = s.input_tokens + s.output_tokens
    shards = r.tp * r.pp
    assumptions.extend(
        [
            f"{engine.name} on {hw.name}: {engine.decode_bandwidth_efficiency * backend_factor(engine, hw):.0%} "
            f"of {hw.bandwidth_gb_s:,.0f} GB/s in decode, "
            f"{engine.prefill_compute_efficiency * backend_factor(engine, hw):.0%} of the "
            f"{perf.precision} peak in prefill",
            f"weights {wfmt.name}: {wb.total / GIB:.2f} GiB"
            + (" (MoE: all experts resident, only routed experts read per token)" if model.is_moe else ""),
            f"KV cache {kvfmt.name}: {arch.kv_bytes_per_token(model, bpv) / 1024:.1f} KiB/token at full context"
            + (f"; {model.sliding_window_layers} layers capped at the {model.sliding_window}-token window"
               if windowed and model.sliding_window_layers else ""),
            f"memory budget per GPU {budget / GIB:.1f} GiB = {engine.kv_memory_fraction:.0%} of "
            f"{capacity / GIB:.1f} GiB usable"
            + (f" ({hw.usable_memory_fraction:.0%} of unified memory)" if hw.usable_memory_fraction < 1 else ""),
            f"TTFT prefills all {batch} prompt(s) of the batch together",
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
        assumptions.append(f"pipeline parallel {r.pp}: stages run one after another for a single sequence")
    if r.replicas > 1:
        assumptions.append(f"{r.replicas} data-parallel replicas of tp x pp = {shards} GPUs")
    if not model.is_mla and r.tp > model.num_key_value_heads:
        warnings.append(
            f"tp={r.tp} exceeds the {model.num_key_value_heads} KV heads: KV heads are replicated"
        )
    if not fits:
        if pool <= 0:
            warnings.append(
                f"does not fit: weights {weights_gpu / GIB:.1f} GiB per GPU leave no room in the "
                f"{budget / GIB:.1f} GiB budget"
            )
        else:
            warnings.append(
                f"does not fit: KV cache needs {kv_gpu / GIB:.1f} GiB per GPU, pool holds {pool / GIB:.1f} GiB"
                f" (max batch {max_batch}, max context {max_context:,})"
            )
    if isinstance(s.batch, int) and s.batch > engine.max_concurrent_sequences:
        warnings.append(
            f"batch {s.batch} exceeds {engine.name}'s default of {engine.max_concurrent_sequences} concurrent sequences"
        )
    if model.sliding_window and context > model.sliding_window and model.sliding_window_layers == model.num_layers:
        warnings.append(f"{model.name} attends to only the last {model.sliding_window} tokens")


def _self_hosted_cost(r: Resolved, hw: HardwareSpec, output_total: float, e2e: float, batch: int) -> Cost:
    s = r.scenario
    if r.deployment == "cloud":
        rate = s.cloud_usd_per_hour if s.cloud_usd_per_hour is not None else hw.cloud_usd_per_hour
        if rate is None:
            return Cost(None, None, None, None, f"no cloud price for {hw.name}")
        per_hour = rate * s.gpus
        basis = f"{s.gpus} x ${rate:.2f}/GPU-hour"
    else:
        if hw.price_usd is None:
            return Cost(None, None, None, None, f"no purchase price for {hw.name}")
        amortised = hw.price_usd / (s.lifetime_years * HOURS_PER_YEAR * s.utilisation)
        energy = hw.power_w / 1000 * s.pue * s.electricity_usd_per_kwh
        per_hour = (amortised + energy) * s.gpus
        basis = (
            f"{s.gpus} x (${hw.price_usd:,.0f} over {s.lifetime_years:g} y at {s.utilisation:.0%} use"
            f" + {hw.power_w:.0f} W x PUE {s.pue:g} x ${s.electricity_usd_per_kwh:g}/kWh)"
        )
    per_1m = per_hour / (output_total * 3600) * 1e6 if output_total > 0 else None
    requests_per_hour = r.replicas * batch * 3600 / e2e if e2e > 0 else 0
    per_request = per_hour / requests_per_hour if requests_per_hour > 0 else None
    # A month of serving the request rate needs this many replicas of the setup, each busy all month.
    needed = s.requests_per_minute * 60 / requests_per_hour if requests_per_hour else 0
    per_month = per_hour * max(1.0, math.ceil(needed)) * 24 * 30 if s.requests_per_minute > 0 else 0.0
    return Cost(per_request, per_1m, per_hour, per_month, basis)


def api_request_cost(api, input_tokens: int, output_tokens: int, cached_fraction: float) -> float:
    from llmcalc_tui.core.api import api_request_cost as standard_tier_cost

    return standard_tier_cost(api, input_tokens, output_tokens, cached_fraction)


def _estimate_api(r: Resolved) -> Estimate:
    """The hosted-API estimate lives in core/api.py (price tiers, reasoning tokens, published latency)."""
    from llmcalc_tui.core.api import estimate_api

    return estimate_api(r)
