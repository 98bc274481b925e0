"""Capacity planning: which hardware and layout, how many replicas, at what latency and cost, serve a rate.

For every candidate accelerator and tensor-parallel degree that fits the model, the load simulation
finds the highest request rate one replica serves within the latency targets (goodput); the replicas
needed follow, and a last simulation at the real per-replica rate gives the latencies reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import Scenario, ScenarioError, resolve_model_id

DEFAULT_HARDWARE = ("l40s", "a100-80gb-sxm", "h100-sxm", "h200", "b200", "mi300x")
"""Datacenter accelerators compared when the user names none: current NVIDIA and AMD parts that rent by the hour."""
TP_CHOICES = (1, 2, 4, 8)
HOURS_PER_MONTH = 24 * 30
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(frozen=True, slots=True)
class PlanRequest:
    model: str
    rps: float
    input_tokens: int
    output_tokens: int
    ttft_slo_ms: float | None = None
    tpot_slo_ms: float | None = None
    percentile: int = 99
    hardware: tuple[str, ...] = ()
    engine: str | None = None
    weights: str | None = None
    kv_cache: str | None = None
    prompt_lengths: tuple[int, ...] = ()
    """Prompt lengths to draw from (a file of real traffic); empty: every prompt has input_tokens."""
    output_lengths: tuple[int, ...] = ()
    levers: tuple[tuple[str, object], ...] = ()
    """Scenario fields of the issue 14 levers (speculative decoding, a cached prefix) for every candidate."""
    requests_per_probe: int = 1000
    bisection_steps: int = 7
    seed: int = 0


@dataclass(frozen=True, slots=True)
class PlanOption:
    hardware: str
    engine: str
    gpus_per_replica: int
    tp: int
    pp: int
    ep: int
    replicas: int
    total_gpus: int
    nodes: int
    max_batch_per_replica: int
    rps_per_replica_max: float
    ttft_ms: float | None
    tpot_ms: float | None
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    tpot_p50_ms: float | None
    tpot_p99_ms: float | None
    meets_slo: bool
    utilisation: float
    usd_per_month_cloud: float | None
    usd_per_month_owned: float | None
    launch: dict | None

    def to_json(self) -> dict:
        def num(x: float | None, digits: int = 3) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, digits)

        return {
            "hardware": self.hardware,
            "engine": self.engine,
            "gpus_per_replica": self.gpus_per_replica,
            "tp": self.tp,
            "pp": self.pp,
            "ep": self.ep,
            "replicas": self.replicas,
            "total_gpus": self.total_gpus,
            "nodes": self.nodes,
            "max_batch_per_replica": self.max_batch_per_replica,
            "rps_per_replica_max": num(self.rps_per_replica_max, 4),
            "ttft_ms": num(self.ttft_ms),
            "tpot_ms": num(self.tpot_ms),
            "ttft_p50_ms": num(self.ttft_p50_ms),
            "ttft_p99_ms": num(self.ttft_p99_ms),
            "tpot_p50_ms": num(self.tpot_p50_ms),
            "tpot_p99_ms": num(self.tpot_p99_ms),
            "meets_slo": self.meets_slo,
            "utilisation": num(self.utilisation, 4),
            "usd_per_month_cloud": num(self.usd_per_month_cloud, 2),
            "usd_per_month_owned": num(self.usd_per_month_owned, 2),
            "launch": self.launch,
        }


@dataclass(frozen=True, slots=True)
class ApiAlternative:
    model: str
    provider: str
    usd_per_month: float
    ttft_ms: float | None
    same_model: bool
    """The endpoint serves the planned open model itself."""

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "provider": self.provider,
            "usd_per_month": round(self.usd_per_month, 2),
            "ttft_ms": self.ttft_ms,
            "same_model": self.same_model,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    request: PlanRequest
    model_id: str
    options: tuple[PlanOption, ...]
    api_alternatives: tuple[ApiAlternative, ...]
    assumptions: tuple[str, ...]

    def to_json(self) -> dict:
        r = self.request
        return {
            "model": self.model_id,
            "rps": r.rps,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "ttft_slo_ms": r.ttft_slo_ms,
            "tpot_slo_ms": r.tpot_slo_ms,
            "percentile": r.percentile,
            "options": [o.to_json() for o in self.options],
            "api_alternatives": [a.to_json() for a in self.api_alternatives],
            "assumptions": list(self.assumptions),
        }


def _engine_for(req: PlanRequest, kind: str, catalog: Catalog) -> str:
    if req.engine:
        return req.engine
    for engine in ("vllm", "llama.cpp", "mlx"):
        if engine in catalog.engines and kind in catalog.engines[engine].kinds:
            return engine
    return "vllm"


def plan(req: PlanRequest, catalog: Catalog) -> Plan:
    """Every candidate layout that fits, the smallest that meets the targets first."""
    from llmcalc_tui.core.simulate import Targets

    if not (req.rps > 0 and math.isfinite(req.rps)):
        raise ScenarioError("rps", "the request rate must be a positive number")
    if req.percentile not in (50, 90, 99):
        raise ScenarioError("percentile", "the percentile must be 50, 90 or 99")
    model_id = resolve_model_id(req.model, catalog)
    if model_id not in catalog.models:
        raise ScenarioError("model", f"{req.model} is an API model: plan sizes self-hosted open models")
    hardware = req.hardware or tuple(h for h in DEFAULT_HARDWARE if h in catalog.hardware)
    for hw_id in hardware:
        if hw_id not in catalog.hardware:
            from llmcalc_tui.core.scenario import did_you_mean

            raise ScenarioError("hardware", f"unknown hardware {hw_id!r}{did_you_mean(hw_id, list(catalog.hardware))}")
    targets = Targets(
        ttft_s=None if req.ttft_slo_ms is None else req.ttft_slo_ms / 1e3,
        tpot_s=None if req.tpot_slo_ms is None else req.tpot_slo_ms / 1e3,
        percentile=req.percentile,
    )
    options: list[PlanOption] = []
    for hw_id in hardware:
        for option in _hardware_options(req, model_id, hw_id, targets, catalog):
            options.append(option)
    options.sort(key=lambda o: (
        not o.meets_slo, o.total_gpus,
        o.usd_per_month_cloud if o.usd_per_month_cloud is not None else math.inf, o.gpus_per_replica,
    ))
    assumptions = (
        "Poisson arrivals at the requested rate, spread evenly over identical data-parallel replicas",
        f"each replica simulated with {req.requests_per_probe:,} requests of "
        + (f"{len(req.prompt_lengths):,} recorded prompt lengths (mean {req.input_tokens:,})" if req.prompt_lengths
           else f"{req.input_tokens:,} prompt tokens")
        + " and "
        + (f"recorded output lengths (mean {req.output_tokens:,})" if req.output_lengths
           else f"{req.output_tokens:,} output tokens")
        + f"; targets at p{req.percentile}",
        "continuous batching with chunked prefill; max batch per replica = the engine's cap lowered to what the "
        "KV pool holds at full context",
        "tensor parallel within one node (up to the hardware's devices per node); no pipeline or expert parallel",
        f"$/month over {HOURS_PER_MONTH} hours: rented at the catalog's $/GPU-hour; owned = purchase over its "
        "lifetime plus electricity at full power",
    )
    return Plan(req, model_id, tuple(options), _api_alternatives(req, model_id, catalog), assumptions)


def _hardware_options(req: PlanRequest, model_id: str, hw_id: str, targets, catalog: Catalog) -> list[PlanOption]:
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.simulate import Lengths, Workload, goodput, serving_setup_for, simulate

    hw = catalog.hardware[hw_id]
    engine = _engine_for(req, hw.kind, catalog)
    prompt = Lengths.from_values(req.prompt_lengths) if req.prompt_lengths else Lengths.fixed(req.input_tokens)
    output = Lengths.from_values(req.output_lengths) if req.output_lengths else Lengths.fixed(req.output_tokens)
    # Memory (and the launch command's context) is sized for the longest request the traffic holds.
    longest_prompt = max(req.prompt_lengths, default=req.input_tokens)
    longest_output = max(req.output_lengths, default=req.output_tokens)
    options = []
    for tp in TP_CHOICES:
        if tp > hw.max_devices:
            break
        base = Scenario(
            model=model_id, hardware=hw_id, gpus=tp, tp=tp, engine=engine, input_tokens=longest_prompt,
            output_tokens=longest_output, batch="max", weights=req.weights,
            kv_cache=req.kv_cache or "fp16",
        ).model_copy(update=dict(req.levers))
        try:
            est = estimate(base, catalog, explain=False)
        except ScenarioError as exc:
            if exc.field in ("tp", "gpus"):
                continue  # this split does not divide the model's heads
            raise
        if not est.fits:
            continue
        setup = serving_setup_for(base, catalog)
        pairs = tuple(zip(req.prompt_lengths, req.output_lengths)) if req.prompt_lengths and req.output_lengths else ()
        workload = Workload(prompt, output, requests=req.requests_per_probe, seed=req.seed, pairs=pairs)
        found = goodput(setup, workload, targets, steps=req.bisection_steps)
        saturation_rps = found.saturation.requests_per_s
        per_replica_max = found.rate_rps
        if per_replica_max > 0:
            replicas = max(1, math.ceil(req.rps / per_replica_max))
        else:
            replicas = max(1, math.ceil(req.rps / saturation_rps)) if saturation_rps > 0 else 1
        # The latencies reported are those of a replica at its real share of the traffic; when the
        # bisection's margin is not enough there, one more replica is added.
        while True:
            share = req.rps / replicas
            result = simulate(setup, replace(workload, rate_rps=share))
            meets = per_replica_max > 0 and targets.met_by(result)
            if meets or per_replica_max <= 0 or replicas > math.ceil(req.rps / per_replica_max) + 2:
                break
            replicas += 1
        cloud = estimate(base.model_copy(update={"deployment": "cloud"}), catalog, explain=False).cost.per_hour \
            if hw.cloud_usd_per_hour else None
        owned = estimate(base.model_copy(update={"deployment": "local", "utilisation": 1.0}), catalog,
                         explain=False).cost.per_hour if hw.price_usd else None
        total = replicas * tp

        def ms(x: float) -> float | None:
            return x * 1e3 if math.isfinite(x) else None

        from llmcalc_tui.core.launch import ENGINE_TARGET, launch_for

        launch = None
        if engine in ENGINE_TARGET:
            try:
                launch = launch_for(base.model_copy(update={"batch": setup.max_seqs}), catalog).to_json()
            except ScenarioError:
                launch = None
        options.append(PlanOption(
            hardware=hw_id,
            engine=engine,
            gpus_per_replica=tp,
            tp=tp,
            pp=1,
            ep=1,
            replicas=replicas,
            total_gpus=total,
            nodes=math.ceil(total / hw.max_devices),
            max_batch_per_replica=setup.max_seqs,
            rps_per_replica_max=per_replica_max,
            ttft_ms=ms(result.ttft_s.at(req.percentile)),
            tpot_ms=ms(result.tpot_s.at(req.percentile)),
            ttft_p50_ms=ms(result.ttft_s.p50),
            ttft_p99_ms=ms(result.ttft_s.p99),
            tpot_p50_ms=ms(result.tpot_s.p50),
            tpot_p99_ms=ms(result.tpot_s.p99),
            meets_slo=meets,
            utilisation=min(1.0, (req.rps / replicas) / saturation_rps) if saturation_rps > 0 else 0.0,
            usd_per_month_cloud=None if cloud is None else cloud * replicas * HOURS_PER_MONTH,
            usd_per_month_owned=None if owned is None else owned * replicas * HOURS_PER_MONTH,
            launch=launch,
        ))
    return options


def _api_alternatives(req: PlanRequest, model_id: str, catalog: Catalog) -> tuple[ApiAlternative, ...]:
    from llmcalc_tui.core.estimate import api_request_cost

    rows = []
    for api in catalog.api_models.values():
        if api.retired:
            continue
        if req.input_tokens > api.context_length or req.output_tokens > api.max_output_tokens:
            continue
        per_request = api_request_cost(api, req.input_tokens, req.output_tokens, 0.0)
        rows.append(ApiAlternative(
            model=api.id,
            provider=api.provider,
            usd_per_month=per_request * req.rps * SECONDS_PER_MONTH,
            ttft_ms=api.ttft_ms,
            same_model=api.open_model == model_id,
        ))
    rows.sort(key=lambda a: (not a.same_model, a.usd_per_month))
    return tuple(rows)
