"""Capacity planning: which hardware and layout, how many replicas, at what latency and cost, serve a rate.

For every candidate accelerator and layout that fits the model (tensor parallel inside a node; pipeline
stages or expert-parallel groups over nodes when no node holds it), the load simulation finds the highest
request rate one replica serves within the latency targets (goodput); the replicas needed follow, and a
last simulation at the real per-replica rate gives the latencies reported. The layout's communication
wraps the core's step cost (LayoutStepCost, costs from core/collectives.py); API break-even and hybrid
come from core/hybrid.py, disaggregated pools from core/disaggregated.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from llmcalc_tui.catalog.schema import Catalog, HardwareSpec, ModelSpec
from llmcalc_tui.core.collectives import Link, all_to_all_seconds, link_for, pipeline_handoff_seconds
from llmcalc_tui.core.estimate import HOURS_PER_MONTH
from llmcalc_tui.core.scenario import Scenario, ScenarioError, resolve_model_id

DEFAULT_HARDWARE = ("l40s", "a100-80gb-sxm", "h100-sxm", "h200", "b200", "mi300x")
"""Datacenter accelerators compared when the user names none: current NVIDIA and AMD parts that rent by the hour."""
TP_CHOICES = (1, 2, 4, 8)
MAX_PIPELINE_STAGES = 16
"""Most nodes (pipeline stages, or expert-parallel groups) one replica is allowed to span."""
MIN_PRACTICAL_UTILISATION = 0.05
"""An option of several replicas that meet the targets only while each serves under 5 % of what it could is flagged:
the targets are met by spreading the traffic over absurdly many replicas, not by the layout."""
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
    hybrid_local_share: float | None = None
    """Share of the traffic served locally in the hybrid (None: the cheapest split)."""
    disaggregated: bool = False
    """Also size separate prefill and decode pools per hardware (core/disaggregated.py)."""
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
    link: str | None = None
    """The link the replica's stages or expert groups cross (None: one node)."""
    impractical: bool = False
    """Meets the targets only with each replica under MIN_PRACTICAL_UTILISATION of its throughput."""

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
            "link": self.link,
            "impractical": self.impractical,
        }


@dataclass(frozen=True, slots=True)
class ApiAlternative:
    model: str
    provider: str
    usd_per_month: float
    ttft_ms: float | None
    same_model: bool
    """The endpoint serves the planned open model itself."""
    usd_per_request: float = 0.0
    break_even_rps: float | None = None
    """Rate above which one replica of the best option (rented) costs less than this API."""
    break_even_rps_owned: float | None = None

    def to_json(self) -> dict:
        def num(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "model": self.model,
            "provider": self.provider,
            "usd_per_month": round(self.usd_per_month, 2),
            "ttft_ms": self.ttft_ms,
            "same_model": self.same_model,
            "usd_per_request": round(self.usd_per_request, 8),
            "break_even_rps": num(self.break_even_rps),
            "break_even_rps_owned": num(self.break_even_rps_owned),
        }


@dataclass(frozen=True, slots=True)
class Plan:
    request: PlanRequest
    model_id: str
    options: tuple[PlanOption, ...]
    api_alternatives: tuple[ApiAlternative, ...]
    assumptions: tuple[str, ...]
    hybrid: object | None = None
    """Part of the traffic on the best option, the rest on the cheapest API (core/hybrid.Hybrid)."""
    disaggregated: tuple = ()
    """Per hardware, prefill and decode pools for the same traffic (core/disaggregated.Disaggregated)."""

    @property
    def best(self) -> PlanOption | None:
        """The first option that meets the targets and is practical."""
        return next((o for o in self.options if o.meets_slo and not o.impractical), None)

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
            "hybrid": None if self.hybrid is None else self.hybrid.to_json(),
            "disaggregated": [d.to_json() for d in self.disaggregated],
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
    notes: list[str] = []
    split_pools = []
    for hw_id in hardware:
        found, pools = _hardware_options(req, model_id, hw_id, targets, catalog, notes)
        options += found
        if pools is not None:
            split_pools.append(pools)
    # Impractical options (the targets met only by spreading the traffic thinly) come after every
    # practical one that meets the targets, before those that miss.
    options.sort(key=lambda o: (
        not o.meets_slo, o.impractical, o.total_gpus,
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
        "tensor parallel 1-8 within one node; a model no node holds runs as pipeline stages over the fewest "
        "nodes that hold it (MoE models also as expert-parallel groups), the hand-offs and all-to-alls over the "
        "node-to-node network beyond the scale-up domain",
        f"$/month over {HOURS_PER_MONTH:g} hours: rented at the catalog's $/GPU-hour; owned = purchase spread over "
        "the calendar months of its lifetime plus electricity at the replicas' busy share (idle power otherwise)",
        f"options of several replicas that meet the targets only with each under {MIN_PRACTICAL_UTILISATION:.0%} "
        "busy are marked impractical and listed after the others that meet them",
        *notes,
    )
    if req.disaggregated:
        assumptions = (*assumptions,
                       "disaggregated: prefill and decode pools of the first option's layout on each hardware; the "
                       "prefill pool simulated with prompts that stop at their first token (TTFT target less the KV "
                       "transfer), the decode pool with prompts whose KV cache arrives by transfer (TPOT target); "
                       "the transfer is the prompt's KV cache over the link between two replicas, each GPU sending "
                       "its shard")
    result = Plan(req, model_id, tuple(options), _api_alternatives(req, model_id, catalog), assumptions,
                  disaggregated=tuple(split_pools))
    return _with_api_economics(req, result)


def _with_api_economics(req: PlanRequest, result: Plan) -> Plan:
    """Break-even rates against the best option, and the hybrid split with the cheapest API."""
    from llmcalc_tui.core.hybrid import break_even_rps, hybrid

    best = result.best
    if best is None:
        return result
    apis = tuple(replace(
        a,
        break_even_rps=break_even_rps(best, a.usd_per_request, SECONDS_PER_MONTH, "cloud"),
        break_even_rps_owned=break_even_rps(best, a.usd_per_request, SECONDS_PER_MONTH, "owned"),
    ) for a in result.api_alternatives)
    same = [a for a in apis if a.same_model] or list(apis)
    mix = None
    if same:
        api = min(same, key=lambda a: a.usd_per_request)
        basis = "cloud" if best.usd_per_month_cloud is not None else "owned"
        mix = hybrid(best, api, req.rps, SECONDS_PER_MONTH, req.hybrid_local_share, basis)
    return replace(result, api_alternatives=apis, hybrid=mix)


@dataclass(frozen=True, slots=True)
class Layout:
    """How one replica spreads over GPUs: tensor parallel inside a node, pipeline stages or expert-parallel
    groups across nodes (the memory is sharded over tp x groups GPUs either way)."""

    tp: int
    pp: int = 1
    ep: int = 1
    groups: int = 1
    """Nodes (or scale-up domains) the replica spans: pipeline stages, or expert-parallel groups."""

    @property
    def gpus(self) -> int:
        return self.tp * self.groups


class LayoutStepCost:
    """The core's step cost of a tp-wide shard (`step_cost_for`), spread over `groups` and with the
    communication the layout adds.

    Pipeline: decodes are cut into one micro-batch per stage that keep every stage busy, so a step of n
    sequences takes the core's step of n / pp sequences (a single sequence still walks every stage) plus the
    hand-offs of one micro-batch. Expert parallel across groups: each group decodes its share of the
    sequences through the whole model, and every MoE layer dispatches and combines tokens over the link.
    Prompt chunks walk the whole model in either case.
    """

    def __init__(self, base, model: ModelSpec, layout: Layout, link: Link | None):
        self._base = base
        self._model = model
        self._layout = layout
        self._link = link
        self._comm_memo: dict[int, float] = {}

    def comm_seconds(self, tokens: int) -> float:
        value = self._comm_memo.get(tokens)
        if value is None:
            layout, link = self._layout, self._link
            value = 0.0
            if link is not None:
                value = pipeline_handoff_seconds(self._model, tokens, layout.pp, link) + all_to_all_seconds(
                    self._model, tokens, layout.ep, link)
            self._comm_memo[tokens] = value
        return value

    def _share(self, decode_seqs: int) -> int:
        return -(-decode_seqs // self._layout.groups) if decode_seqs else 0

    def decode_seconds(self, decode_seqs: int, decode_context: float) -> float:
        share = self._share(decode_seqs)
        return self._base.decode_seconds(share, decode_context) + self.comm_seconds(share)

    def step_seconds(self, decode_seqs: int, decode_context: float, chunks) -> float:
        share = self._share(decode_seqs)
        tokens = share + sum(length for _start, length in chunks)
        return self._base.step_seconds(share, decode_context, chunks) + self.comm_seconds(tokens)


def layouts_for(model: ModelSpec, hw: HardwareSpec, fits) -> tuple[list[Layout], list[str]]:
    """Tensor parallel 1-8 inside one node; when no node holds the model, the fewest nodes that do as
    pipeline stages (and, for mixture-of-experts models, as expert-parallel groups). `fits(layout)` says
    whether the layout's memory holds the model; the notes say why a multi-node layout is missing."""
    notes: list[str] = []
    single = [Layout(tp) for tp in TP_CHOICES if tp <= hw.max_devices and fits(Layout(tp))]
    if single:
        return single, notes
    tp = max((t for t in TP_CHOICES if t <= hw.max_devices and model.num_attention_heads % t == 0), default=1)
    for groups in range(2, MAX_PIPELINE_STAGES + 1):
        if groups > model.num_layers:
            break
        layout = Layout(tp, pp=groups, groups=groups)
        if link_for(hw, layout.gpus) is None:
            notes.append(f"{hw.id}: the model needs more than one node of {hw.max_devices} GPUs and the catalog "
                         "gives no node-to-node network for it (scale_out_gb_s)")
            return [], notes
        if fits(layout):
            found = [layout]
            if model.moe_layers > 0 and model.experts_per_token > 0:
                found.append(Layout(tp, pp=1, ep=layout.gpus, groups=groups))
            return found, notes
    notes.append(f"{hw.id}: the model does not fit on {MAX_PIPELINE_STAGES} nodes of {hw.max_devices} GPUs")
    return [], notes


def _hardware_options(req: PlanRequest, model_id: str, hw_id: str, targets, catalog: Catalog,
                      notes: list[str]) -> tuple[list[PlanOption], object | None]:
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.simulate import Lengths, Workload, goodput, serving_setup_for, simulate, step_cost_for

    hw = catalog.hardware[hw_id]
    model = catalog.models[model_id]
    engine = _engine_for(req, hw.kind, catalog)
    prompt = Lengths.from_values(req.prompt_lengths) if req.prompt_lengths else Lengths.fixed(req.input_tokens)
    output = Lengths.from_values(req.output_lengths) if req.output_lengths else Lengths.fixed(req.output_tokens)
    # Memory (and the launch command's context) is sized for the longest request the traffic holds.
    longest_prompt = max(req.prompt_lengths, default=req.input_tokens)
    longest_output = max(req.output_lengths, default=req.output_tokens)

    def scenario_for(layout: Layout, **update) -> Scenario:
        return Scenario(
            model=model_id, hardware=hw_id, gpus=layout.gpus, tp=layout.tp, pp=layout.groups, engine=engine,
            input_tokens=longest_prompt, output_tokens=longest_output, batch="max", weights=req.weights,
            kv_cache=req.kv_cache or "fp16", **update,
        ).model_copy(update=dict(req.levers))

    def fits(layout: Layout) -> bool:
        try:
            return estimate(scenario_for(layout), catalog, explain=False).fits
        except ScenarioError as exc:
            if exc.field in ("tp", "gpus", "pp"):
                return False  # this split does not divide the model's heads or layers
            raise

    layouts, layout_notes = layouts_for(model, hw, fits)
    notes.extend(layout_notes)
    options = []
    built = []
    for layout in layouts:
        base = scenario_for(layout)
        link = link_for(hw, layout.gpus)
        cost = LayoutStepCost(step_cost_for(base, catalog), model, layout, link)
        setup = serving_setup_for(base, catalog, cost)
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
        utilisation = min(1.0, (req.rps / replicas) / saturation_rps) if saturation_rps > 0 else 0.0
        cloud = owned = None
        if hw.cloud_usd_per_hour:
            cloud = estimate(base.model_copy(update={"deployment": "cloud"}), catalog, explain=False).cost.per_hour
        if hw.price_usd:
            from llmcalc_tui.core.scenario import MIN_UTILISATION

            # Owned: the core's formula with the replicas' busy share, so idle hours draw idle power.
            busy = max(MIN_UTILISATION, utilisation)
            owned = estimate(base.model_copy(update={"deployment": "local", "utilisation": busy}), catalog,
                             explain=False).cost.per_hour
        total = replicas * layout.gpus

        def ms(x: float) -> float | None:
            return x * 1e3 if math.isfinite(x) else None

        from llmcalc_tui.core.launch import ENGINE_TARGET, launch_for

        launch = None
        if engine in ENGINE_TARGET:
            try:
                # Expert-parallel groups each run their share of the replica's sequences.
                groups = layout.groups if layout.ep > 1 else 1
                launch = launch_for(base.model_copy(update={"batch": -(-setup.max_seqs // groups)}), catalog,
                                    expert_groups=groups).to_json()
            except ScenarioError:
                launch = None
        impractical = meets and replicas > 1 and utilisation < MIN_PRACTICAL_UTILISATION
        options.append(PlanOption(
            hardware=hw_id,
            engine=engine,
            gpus_per_replica=layout.gpus,
            tp=layout.tp,
            pp=layout.pp,
            ep=layout.ep,
            replicas=replicas,
            total_gpus=total,
            nodes=(math.ceil(replicas / (hw.max_devices // layout.gpus)) if layout.gpus <= hw.max_devices
                   else replicas * math.ceil(layout.gpus / hw.max_devices)),
            max_batch_per_replica=setup.max_seqs,
            rps_per_replica_max=per_replica_max,
            ttft_ms=ms(result.ttft_s.at(req.percentile)),
            tpot_ms=ms(result.tpot_s.at(req.percentile)),
            ttft_p50_ms=ms(result.ttft_s.p50),
            ttft_p99_ms=ms(result.ttft_s.p99),
            tpot_p50_ms=ms(result.tpot_s.p50),
            tpot_p99_ms=ms(result.tpot_s.p99),
            meets_slo=meets,
            utilisation=utilisation,
            usd_per_month_cloud=None if cloud is None else cloud * replicas * HOURS_PER_MONTH,
            usd_per_month_owned=None if owned is None else owned * replicas * HOURS_PER_MONTH,
            launch=launch,
            link=None if layout.groups == 1 or link is None else link.name,
            impractical=impractical,
        ))
        built.append((options[-1], layout, base, setup, workload))
    pools = None
    if req.disaggregated and built:
        pools = _split_pools(req, hw, model, built, targets, catalog, notes)
    return options, pools


def _split_pools(req: PlanRequest, hw: HardwareSpec, model: ModelSpec, built, targets, catalog: Catalog,
                 notes: list[str]):
    """Prefill and decode pools in the layout of this hardware's first option."""
    from llmcalc_tui.core import architecture as arch
    from llmcalc_tui.core.disaggregated import size_pools
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.fit import kv_bytes_per_value
    from llmcalc_tui.core.scenario import MIN_UTILISATION, resolve

    option, layout, base, setup, workload = min(
        built, key=lambda b: (not b[0].meets_slo, b[0].impractical, b[0].total_gpus))
    link = link_for(hw, 2 * layout.gpus)
    if link is None:
        notes.append(f"{hw.id}: no disaggregated layout: a prefill and a decode replica span more than one node "
                     "and the catalog gives no node-to-node network (scale_out_gb_s)")
        return None
    r = resolve(base, catalog)
    assert r.kv is not None and r.engine is not None
    kv_bytes = arch.kv_cache_bytes(model, req.input_tokens, kv_bytes_per_value(r.kv), r.engine.kv_frees_windowed_layers,
                                   layout.tp)
    cloud = None
    if hw.cloud_usd_per_hour:
        rented = estimate(base.model_copy(update={"deployment": "cloud"}), catalog, explain=False)
        cloud = rented.cost.per_hour / layout.gpus
    def owned_per_gpu_hour(busy: float) -> float:
        scenario = base.model_copy(update={"deployment": "local", "utilisation": max(MIN_UTILISATION, busy)})
        return estimate(scenario, catalog, explain=False).cost.per_hour / layout.gpus

    owned = owned_per_gpu_hour if hw.price_usd else None
    return size_pools(
        hardware=hw.id, layout=layout, base_setup=setup, link=link, kv_bytes=kv_bytes, workload=workload,
        targets=targets, rps=req.rps, bisection_steps=req.bisection_steps, usd_per_gpu_hour_cloud=cloud,
        usd_per_gpu_hour_owned=owned, hours_per_month=HOURS_PER_MONTH, aggregated=option,
    )


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
            usd_per_request=per_request,
        ))
    rows.sort(key=lambda a: (not a.same_model, a.usd_per_month))
    return tuple(rows)
