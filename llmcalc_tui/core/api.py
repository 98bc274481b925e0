"""The hosted-API side of an estimate: which price applies, hidden reasoning tokens, and latency.

Prices come from the catalog entry (generated from the price map): standard, cached input, batch,
long-context (prompt above the entry's threshold) and priority tiers. Latency is the published TTFT
plus a network round trip, then one token every 1000 / output_tok_s ms; hidden reasoning tokens are
billed as output and stream before the first visible token. Published spreads become the bands.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcalc_tui.catalog.schema import ApiModelSpec
from llmcalc_tui.core.estimate import HOURS_PER_MONTH, Band, Cost, Estimate, Timing
from llmcalc_tui.core.scenario import Resolved, Scenario, ScenarioError

REASONING_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class PriceTier:
    """The per-1M prices one request pays, and why."""

    kind: str
    """standard, batch, priority, long_context, long_context_priority, long_context_batch."""
    input: float
    output: float
    cached_input: float
    """Price of a cached input token in this tier (the input price where the tier has no discount)."""
    notes: tuple[str, ...] = ()


def price_tier(api: ApiModelSpec, scenario: Scenario) -> PriceTier:
    """The prices that apply to the scenario's request on this endpoint."""
    notes: list[str] = []
    if scenario.batch_api and scenario.priority:
        raise ScenarioError("priority", "batch API and priority tier exclude each other: choose one")
    long_context = api.long_context_threshold is not None and scenario.input_tokens > api.long_context_threshold
    if scenario.priority:
        if api.priority_input_usd_per_1m is None or api.priority_output_usd_per_1m is None:
            raise ScenarioError("priority", f"the price map has no priority tier for {api.name}")
        if long_context and api.long_context_priority_input_usd_per_1m is not None:
            output = api.long_context_priority_output_usd_per_1m
            cached = api.long_context_priority_cached_input_usd_per_1m
            return PriceTier(
                "long_context_priority", api.long_context_priority_input_usd_per_1m,
                api.priority_output_usd_per_1m if output is None else output,
                api.long_context_priority_input_usd_per_1m if cached is None else cached,
                (f"prompt above {api.long_context_threshold:,} tokens: long-context priority prices",),
            )
        cached = api.priority_cached_input_usd_per_1m
        if cached is None:
            cached = api.priority_input_usd_per_1m
        if long_context:
            notes.append(
                f"prompt above {api.long_context_threshold:,} tokens: the map has no priority long-context "
                "price, priority prices used"
            )
        return PriceTier("priority", api.priority_input_usd_per_1m, api.priority_output_usd_per_1m, cached,
                         tuple(notes))
    if scenario.batch_api:
        if api.batch_input_usd_per_1m is None or api.batch_output_usd_per_1m is None:
            raise ScenarioError("batch_api", f"the price map has no batch price for {api.name}")
        if long_context:
            notes.append(
                f"prompt above {api.long_context_threshold:,} tokens: the map has no batch long-context "
                "price, batch prices used"
            )
        notes.append("cached input billed at the batch input price (the map gives no batch cache price)")
        return PriceTier("batch", api.batch_input_usd_per_1m, api.batch_output_usd_per_1m,
                         api.batch_input_usd_per_1m, tuple(notes))
    if long_context:
        assert api.long_context_input_usd_per_1m is not None
        output = api.long_context_output_usd_per_1m
        if output is None:
            output = api.output_usd_per_1m
        cached = api.long_context_cached_input_usd_per_1m
        if cached is None:
            cached = api.cached_input_usd_per_1m if api.cached_input_usd_per_1m is not None else api.long_context_input_usd_per_1m
        return PriceTier("long_context", api.long_context_input_usd_per_1m, output, cached,
                         (f"prompt above {api.long_context_threshold:,} tokens: long-context prices",))
    cached = api.cached_input_usd_per_1m if api.cached_input_usd_per_1m is not None else api.input_usd_per_1m
    return PriceTier("standard", api.input_usd_per_1m, api.output_usd_per_1m, cached)


def reasoning_tokens(api: ApiModelSpec, scenario: Scenario) -> tuple[int, str | None]:
    """Hidden reasoning tokens of one request, with a note when the endpoint cannot think."""
    wanted = scenario.reasoning
    if wanted is None or wanted == 0:
        return 0, None
    if not api.reasoning:
        return 0, f"{api.name} is not a reasoning model in the price map: no reasoning tokens added"
    if isinstance(wanted, int):
        return wanted, None
    count = getattr(api, f"reasoning_tokens_{wanted}")
    if count is None:
        return 0, f"no {wanted}-effort reasoning budget for {api.name} in the catalog: no reasoning tokens added"
    return int(count), None


def request_cost(tier: PriceTier, input_tokens: int, billed_output_tokens: int, cached_fraction: float) -> float:
    """USD of one request: uncached and cached input, plus output (visible and reasoning) tokens."""
    cached = input_tokens * cached_fraction
    return ((input_tokens - cached) * tier.input + cached * tier.cached_input + billed_output_tokens * tier.output) / 1e6


def api_request_cost(api: ApiModelSpec, input_tokens: int, output_tokens: int, cached_fraction: float) -> float:
    """USD of one request at list prices (standard, or long-context by prompt length; the old core.estimate helper)."""
    return request_cost(price_tier(api, Scenario(model=api.id, input_tokens=input_tokens, output_tokens=1)),
                        input_tokens, output_tokens, cached_fraction)


@dataclass(frozen=True)
class ApiEstimate(Estimate):
    """An Estimate of a hosted endpoint, with the price tier, reasoning tokens and latency parts."""

    price: PriceTier | None = None
    reasoning_tokens: int = 0
    network_rtt_ms: float | None = None
    published_ttft_ms: float | None = None
    reasoning_ms: float | None = None
    prices_as_of: str = ""
    latency_source: str = ""

    def to_json(self) -> dict:
        out = super().to_json()
        out["cost_usd"]["basis_kind"] = "api"
        if self.price is not None:
            out["cost_usd"]["price_tier"] = self.price.kind
            out["prices_usd_per_1m"] = {
                "input": self.price.input,
                "output": self.price.output,
                "cached_input": self.price.cached_input,
                "tier": self.price.kind,
                "as_of": self.prices_as_of,
            }
        out["reasoning_tokens"] = self.reasoning_tokens
        out["latency_ms"]["network_rtt"] = self.network_rtt_ms
        out["latency_ms"]["published_ttft"] = self.published_ttft_ms
        out["latency_ms"]["reasoning"] = None if self.reasoning_ms is None else round(self.reasoning_ms, 4)
        out["latency_source"] = self.latency_source
        return out


def _latency(api: ApiModelSpec, s: Scenario, thinking: int, rtt: float) -> tuple[Timing, dict[str, Band], float | None]:
    """TTFT (round trip + published TTFT + reasoning), TPOT and end to end, with bands from the published spread."""
    tpot = 1000.0 / api.output_tok_s if api.output_tok_s else None
    reasoning_ms = thinking * tpot if tpot is not None else None
    ttft = None
    if api.ttft_ms is not None and (thinking == 0 or reasoning_ms is not None):
        ttft = rtt + api.ttft_ms + (reasoning_ms or 0.0)
    e2e = ttft + (s.output_tokens - 1) * tpot if ttft is not None and tpot is not None else None
    bands: dict[str, Band] = {}
    if tpot is not None:
        tpot_low = 1000.0 / (api.output_tok_s_high or api.output_tok_s)  # type: ignore[operator]
        tpot_high = 1000.0 / (api.output_tok_s_low or api.output_tok_s)  # type: ignore[operator]
        if tpot_low != tpot_high:
            bands["tpot_ms"] = Band(tpot_low, tpot_high)
            bands["decode_tok_s"] = Band(1000.0 / tpot_high, 1000.0 / tpot_low)
        if ttft is not None:
            ttft_low = rtt + (api.ttft_ms_low or api.ttft_ms) + thinking * tpot_low  # type: ignore[operator]
            ttft_high = rtt + (api.ttft_ms_high or api.ttft_ms) + thinking * tpot_high  # type: ignore[operator]
            if ttft_low != ttft_high:
                bands["ttft_ms"] = Band(ttft_low, ttft_high)
            e2e_low = ttft_low + (s.output_tokens - 1) * tpot_low
            e2e_high = ttft_high + (s.output_tokens - 1) * tpot_high
            if e2e_low != e2e_high:
                bands["end_to_end_ms"] = Band(e2e_low, e2e_high)
    timing = Timing(
        ttft_ms=ttft,
        tpot_ms=tpot,
        end_to_end_ms=e2e,
        prefill_tok_s=s.input_tokens / (api.ttft_ms / 1000) if api.ttft_ms else None,
        decode_tok_s_per_sequence=api.output_tok_s,
        output_tok_s_total=s.output_tokens / (e2e / 1000) if e2e else None,
    )
    return timing, bands, reasoning_ms


def estimate_api(r: Resolved) -> ApiEstimate:
    """Cost and latency of one request to a hosted endpoint (the API half of core.estimate.estimate)."""
    s = r.scenario
    api = r.api
    assert api is not None
    warnings: list[str] = []
    tier = price_tier(api, s)
    thinking, thinking_note = reasoning_tokens(api, s)
    assumptions = [f"prices of {api.name} ({api.provider}) as of {api.as_of}: {tier.kind} tier", *tier.notes]
    if thinking_note:
        warnings.append(thinking_note)
    if s.input_tokens + s.output_tokens > api.context_length + api.max_output_tokens or s.input_tokens > api.context_length:
        warnings.append(f"input {s.input_tokens:,} exceeds {api.name}'s {api.context_length:,}-token context")
    if s.output_tokens + thinking > api.max_output_tokens:
        what = f"output {s.output_tokens:,}" + (f" + {thinking:,} reasoning" if thinking else "")
        warnings.append(f"{what} exceeds {api.name}'s {api.max_output_tokens:,}-token limit")
    if api.retired:
        warnings.append(f"{api.name} is retired: its prices are the last ones published")
    rtt = s.network_rtt_ms if s.network_rtt_ms is not None else (api.network_rtt_ms or 0.0)
    timing, bands, reasoning_ms = _latency(api, s, thinking, rtt)
    if thinking:
        assumptions.append(
            f"{thinking:,} hidden reasoning tokens"
            + (f" ({s.reasoning}-effort budget)" if isinstance(s.reasoning, str) else "")
            + " billed as output and generated before the first visible token"
        )
        if isinstance(s.reasoning, str) and api.reasoning_source:
            assumptions.append(f"reasoning budgets: {api.reasoning_source}")
    if timing.ttft_ms is not None:
        assumptions.append(
            f"TTFT = {rtt:g} ms network round trip + {api.ttft_ms:g} ms published"
            + (f" + {reasoning_ms:,.0f} ms reasoning" if reasoning_ms else "")
            + f"; {api.output_tok_s:g} tok/s published"
            + (f" (median of {api.latency_source.count(' | ') + 1} sources, {api.latency_as_of} the newest)"
               if " | " in api.latency_source else f" ({api.latency_source.split(' (http')[0]}, {api.latency_as_of})")
        )
    elif api.output_tok_s is not None:
        assumptions.append(f"no published TTFT for this endpoint: TTFT and end to end are unknown "
                           f"({api.output_tok_s:g} tok/s published)")
    else:
        assumptions.append("no published latency for this endpoint: latency and throughput are unknown")
    batch = 1 if s.batch == "max" else s.batch
    billed_output = s.output_tokens + thinking
    per_request = request_cost(tier, s.input_tokens, billed_output, s.cached_share)
    basis = f"${tier.input:g} in / ${tier.output:g} out per 1M tokens"
    if tier.kind != "standard":
        basis += f" ({tier.kind.replace('_', ' ')} tier)"
    if s.cached_share:
        basis += f", {s.cached_share:.0%} of input cached at ${tier.cached_input:g}"
    if thinking:
        basis += f", {thinking:,} reasoning tokens billed as output"
    cost = Cost(
        per_request=per_request,
        per_1m_output_tokens=per_request / s.output_tokens * 1e6,
        per_hour=per_request * s.requests_per_minute * 60,
        per_month=per_request * s.requests_per_minute * 60 * HOURS_PER_MONTH,
        basis=basis,
        basis_kind="api",
    )
    return ApiEstimate(
        scenario=s,
        model_id=api.id,
        model_name=api.name,
        params_total=None,
        params_active=None,
        hardware_id=None,
        engine_id=None,
        weights_format=None,
        kv_format=None,
        deployment="api",
        gpus=0,
        tp=1,
        pp=1,
        memory=None,
        fits=True,
        fit_state="n/a",
        batch=batch,
        max_batch=batch,
        max_context=api.context_length,
        timing=timing,
        cost=cost,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        bands=bands,
        price=tier,
        reasoning_tokens=thinking,
        network_rtt_ms=rtt if timing.ttft_ms is not None else None,
        published_ttft_ms=api.ttft_ms,
        reasoning_ms=reasoning_ms if thinking else None,
        prices_as_of=api.as_of.isoformat(),
        latency_source=api.latency_source,
    )
