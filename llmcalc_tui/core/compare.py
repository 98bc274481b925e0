"""Side by side: several setups (self-hosted or hosted API) on one workload, and where self-hosting wins.

A setup is `MODEL[@[Nx]HARDWARE[:WEIGHTS]]`: `gpt-4` (an API endpoint), `llama-2-7b@rtx-4090`,
`llama-2-13b@a100-40gb-sxm:int8`, `llama-3.1-70b@2xh100-sxm`. An open model without `@` runs on the
workload's default hardware.
"""

from __future__ import annotations

import math

import re
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.estimate import Estimate, estimate
from llmcalc_tui.core.scenario import MAX_GPUS, Scenario, ScenarioError, did_you_mean, resolve_model_id

SETUP = re.compile(r"^(?P<model>[^@\s]+)(?:@(?:(?P<gpus>\d+)x)?(?P<hardware>[^:\s]+)(?::(?P<weights>\S+))?)?$")


@dataclass(frozen=True)
class Setup:
    text: str
    model: str
    hardware: str | None
    gpus: int | None
    weights: str | None


def parse_setup(text: str, catalog: Catalog) -> Setup:
    """`model@[Nx]hardware[:weights]` with every id checked against the catalog (ScenarioError if not)."""
    raw = text.strip()
    match = SETUP.match(raw.lower())
    if not match:
        raise ScenarioError("setup", f"setup {text!r} is not MODEL[@[Nx]HARDWARE[:WEIGHTS]]")
    model = resolve_model_id(match["model"], catalog)
    hardware, weights = match["hardware"], match["weights"]
    gpus = int(match["gpus"]) if match["gpus"] else None
    if model in catalog.api_models and model not in catalog.models and hardware is not None:
        raise ScenarioError("setup", f"{model} is a hosted API: it takes no @hardware")
    if hardware is not None and hardware not in catalog.hardware:
        raise ScenarioError("setup", f"unknown hardware {hardware!r} in {text!r}{did_you_mean(hardware, list(catalog.hardware))}")
    if weights is not None and weights not in catalog.formats:
        raise ScenarioError("setup", f"unknown weight format {weights!r} in {text!r}{did_you_mean(weights, list(catalog.formats))}")
    if gpus is not None and not 1 <= gpus <= MAX_GPUS:
        raise ScenarioError("setup", f"{gpus} GPUs in {text!r}: use 1 to {MAX_GPUS}")
    return Setup(raw, model, hardware, gpus, weights)


def setup_scenario(setup: Setup, workload: Scenario, catalog: Catalog) -> Scenario:
    """The workload's scenario with the setup's model, hardware, GPU count and weights."""
    data = workload.model_dump()
    data["model"] = setup.model
    # A model that is both open and hosted is the API without @hardware, self-hosted with it.
    if setup.model in catalog.api_models and (setup.hardware is None or setup.model not in catalog.models):
        data.update(api_model=setup.model, deployment="api", batch=1)
    else:
        data["api_model"] = None
        if data.get("deployment") == "api":
            data["deployment"] = None
        if setup.hardware:
            data["hardware"] = setup.hardware
        if setup.gpus:
            data.update(gpus=setup.gpus, tp=None)
        if setup.weights:
            data["weights"] = setup.weights
    return Scenario.model_validate(data)


@dataclass(frozen=True)
class Column:
    """One compared setup and its estimate."""

    setup: Setup
    estimate: Estimate

    @property
    def is_api(self) -> bool:
        return self.estimate.hardware_id is None


def capacity_rpm(est: Estimate) -> float | None:
    """Requests per minute one copy of a self-hosted setup serves at its batch size."""
    if est.hardware_id is None or not est.timing.end_to_end_ms:
        return None
    replicas = max(1, est.gpus // max(1, est.tp * est.pp))
    return replicas * est.batch * 60_000 / est.timing.end_to_end_ms


def break_even_rpm(self_hosted: Estimate, api: Estimate) -> float | None:
    """Request rate above which one copy of the self-hosted setup costs less per month than the API.

    None when either side has no price, or when the API stays cheaper even with the setup fully busy.
    """
    per_hour, per_request = self_hosted.cost.per_hour, api.cost.per_request
    if not per_hour or not per_request or not self_hosted.fits:
        return None
    rpm = per_hour / (per_request * 60)
    capacity = capacity_rpm(self_hosted)
    if capacity is not None and rpm > capacity:
        return None
    return rpm


def compare(setups: list[str], workload: Scenario, catalog: Catalog) -> list[Column]:
    """Estimate every setup on the workload; a bad setup raises ScenarioError naming it."""
    from llmcalc_tui.core.bands import attach_bands

    columns = []
    for text in setups:
        setup = parse_setup(text, catalog)
        try:
            est = attach_bands(estimate(setup_scenario(setup, workload, catalog), catalog), catalog)
        except ScenarioError as exc:
            raise ScenarioError(exc.field, f"{setup.text}: {exc.message}") from None
        columns.append(Column(setup, est))
    return columns


def round_or_none(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def round_significant(x: float | None, digits: int = 6) -> float | None:
    """Rates span orders of magnitude (0.03 to 10,000 requests a minute): keep significant digits."""
    if x is None or x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def to_json(columns: list[Column], workload: Scenario) -> dict:
    apis = [c for c in columns if c.is_api]
    rows = []
    for c in columns:
        e = c.estimate
        row = {
            "setup": c.setup.text,
            "kind": "api" if c.is_api else "self-hosted",
            "model": e.model_id,
            "hardware": e.hardware_id,
            "gpus": e.gpus,
            "weights": e.weights_format,
            "fits": e.fits,
            "latency_ms": {
                "ttft": round_or_none(e.timing.ttft_ms, 4),
                "tpot": round_or_none(e.timing.tpot_ms, 4),
                "end_to_end": round_or_none(e.timing.end_to_end_ms, 4),
            },
            "cost_usd": {
                "per_request": round_or_none(e.cost.per_request, 8),
                "per_1m_output_tokens": round_or_none(e.cost.per_1m_output_tokens, 4),
                "per_month": round_or_none(e.cost.per_month, 2),
                "basis": e.cost.basis,
            },
            "reasoning_tokens": getattr(e, "reasoning_tokens", 0),
            "warnings": list(e.warnings),
        }
        if not c.is_api:
            row["capacity_requests_per_minute"] = round_significant(capacity_rpm(e))
            row["cheaper_than_api_above_requests_per_minute"] = {
                a.estimate.model_id: round_significant(break_even_rpm(e, a.estimate)) for a in apis
            }
        rows.append(row)
    return {
        "workload": {
            "input_tokens": workload.input_tokens,
            "output_tokens": workload.output_tokens,
            "requests_per_minute": workload.requests_per_minute,
        },
        "setups": rows,
    }
