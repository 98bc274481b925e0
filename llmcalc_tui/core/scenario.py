"""The inputs of one estimate, validated, and their resolution against a catalog."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmcalc_tui.catalog.schema import (
    ApiModelSpec,
    Catalog,
    EngineSpec,
    FormatSpec,
    HardwareSpec,
    ModelSpec,
)

Deployment = Literal["local", "cloud", "api"]
MAX_TOKENS = 100_000_000
MAX_BATCH = 1_000_000
MAX_GPUS = 4096
MIN_UTILISATION = 0.01
"""Lowest busy share: below 1% the hardware's price spread over so few hours is not a real plan."""
MIN_LIFETIME_YEARS = 0.1
"""Shortest depreciation (about five weeks); shorter ones turn the purchase price into absurd hourly amounts."""
MAX_LIFETIME_YEARS = 50


class Scenario(BaseModel):
    """Everything a user chooses; immutable, replaced whole on every edit."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    model: str = "llama-3.1-8b"
    """Open-model or API-model id (or alias)."""
    weights: str | None = None
    """Weight format id; None means the model's native dtype."""
    kv_cache: str = "fp16"
    hardware: str = "h100-sxm"
    gpus: int = Field(default=1, ge=1, le=MAX_GPUS)
    tp: int | None = Field(default=None, ge=1, le=MAX_GPUS)
    """Tensor-parallel degree; None means gpus / pp."""
    pp: int = Field(default=1, ge=1, le=MAX_GPUS)
    engine: str = "vllm"
    input_tokens: int = Field(default=1000, ge=1, le=MAX_TOKENS)
    output_tokens: int = Field(default=200, ge=1, le=MAX_TOKENS)
    batch: int | Literal["max"] = 1
    """Concurrent sequences, or "max" for the largest batch that fits."""
    deployment: Deployment | None = None
    """None picks api for API models, cloud where the hardware rents, else local."""
    api_model: str | None = None
    """API model to compare the self-hosted setup against."""
    electricity_usd_per_kwh: float = Field(default=0.12, ge=0, le=100)
    pue: float = Field(default=1.0, ge=1, le=5)
    utilisation: float = Field(default=0.5, ge=MIN_UTILISATION, le=1)
    lifetime_years: float = Field(default=4.0, ge=MIN_LIFETIME_YEARS, le=MAX_LIFETIME_YEARS)
    cloud_usd_per_hour: float | None = Field(default=None, ge=0, le=1e6)
    """Per-GPU rental price; None uses the catalog's."""
    cached_input_fraction: float = Field(default=0.0, ge=0, le=1)
    requests_per_minute: float = Field(default=10.0, ge=0, le=1e9)
    """Request rate used for monthly cost comparisons."""

    @model_validator(mode="after")
    def _check_batch(self) -> Scenario:
        if isinstance(self.batch, int) and not 1 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch must be between 1 and {MAX_BATCH} or 'max'")
        return self

    @property
    def tensor_parallel(self) -> int:
        return self.tp if self.tp is not None else max(1, self.gpus // self.pp)


class ScenarioError(ValueError):
    """A scenario that cannot be estimated; names the field so the UI can mark it."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


def did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), options, n=3, cutoff=0.5)
    if not close:
        close = [o for o in options if word.lower() in o][:3]
    return f" (did you mean {', '.join(close)}?)" if close else ""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A scenario with every id looked up in the catalog."""

    scenario: Scenario
    model: ModelSpec | None
    api: ApiModelSpec | None
    weights: FormatSpec | None
    kv: FormatSpec | None
    hardware: HardwareSpec | None
    engine: EngineSpec | None
    deployment: Deployment
    tp: int
    pp: int
    replicas: int


def resolve_model_id(model_id: str, catalog: Catalog) -> str:
    key = model_id.strip().lower()
    if key in catalog.models or key in catalog.api_models:
        return key
    if key in catalog.aliases:
        return catalog.aliases[key]
    options = [*catalog.models, *catalog.api_models, *catalog.aliases]
    raise ScenarioError("model", f"unknown model {model_id!r}{did_you_mean(key, options)}")


def _lookup(kind: str, field: str, key: str, table: dict) -> object:
    if key in table:
        return table[key]
    raise ScenarioError(field, f"unknown {kind} {key!r}{did_you_mean(key, list(table))}")


def resolve(scenario: Scenario, catalog: Catalog) -> Resolved:
    """Look up every id and check the combination makes sense; raise ScenarioError if not."""
    model_id = resolve_model_id(scenario.model, catalog)
    model = catalog.models.get(model_id)
    api = catalog.api_models.get(model_id)
    if scenario.api_model is not None:
        api = _lookup("API model", "api_model", scenario.api_model.lower(), catalog.api_models)  # type: ignore[assignment]
    if model is None and api is not None and api.open_model in catalog.models:
        model = catalog.models[api.open_model]  # type: ignore[index]

    if model is None:
        # An API-only model: nothing to size or place on hardware.
        return Resolved(scenario, None, api, None, None, None, None, "api", 1, 1, 1)

    weights_id = (scenario.weights or model.native_dtype).lower()
    weights = _lookup("weight format", "weights", weights_id, catalog.formats)
    if not weights.weights:  # type: ignore[attr-defined]
        raise ScenarioError("weights", f"{weights_id} is not a weight format")
    kv = _lookup("KV-cache format", "kv_cache", scenario.kv_cache.lower(), catalog.formats)
    if not kv.kv_cache:  # type: ignore[attr-defined]
        usable = [f.id for f in catalog.formats.values() if f.kv_cache]
        raise ScenarioError("kv_cache", f"{kv.id} cannot hold a KV cache; use one of {', '.join(usable)}")  # type: ignore[attr-defined]
    hardware = _lookup("hardware", "hardware", scenario.hardware.lower(), catalog.hardware)
    engine = _lookup("engine", "engine", scenario.engine.lower(), catalog.engines)
    assert isinstance(hardware, HardwareSpec) and isinstance(engine, EngineSpec)

    pp = scenario.pp
    tp = scenario.tensor_parallel
    if tp * pp > scenario.gpus:
        raise ScenarioError("tp", f"tp x pp = {tp * pp} needs more than the {scenario.gpus} GPU(s) given")
    if scenario.gpus % (tp * pp):
        raise ScenarioError("gpus", f"{scenario.gpus} GPUs do not split into replicas of tp x pp = {tp * pp}")
    if model.num_attention_heads % tp:
        raise ScenarioError(
            "tp", f"tp={tp} does not divide the {model.num_attention_heads} attention heads of {model.id}"
        )
    if pp > model.num_layers:
        raise ScenarioError("pp", f"pp={pp} exceeds the {model.num_layers} layers of {model.id}")
    context = scenario.input_tokens + scenario.output_tokens
    if context > model.context_length:
        raise ScenarioError(
            "input_tokens",
            f"input + output = {context:,} tokens exceeds the {model.context_length:,}-token context of {model.id}",
        )
    if hardware.kind not in engine.kinds:
        raise ScenarioError("engine", f"{engine.name} does not run on {hardware.kind} hardware ({hardware.name})")

    deployment: Deployment
    if scenario.deployment is not None:
        deployment = scenario.deployment
    elif model_id in catalog.api_models:
        deployment = "api"
    elif scenario.cloud_usd_per_hour or hardware.cloud_usd_per_hour:
        deployment = "cloud"
    else:
        deployment = "local"
    if deployment == "api" and api is None:
        raise ScenarioError("api_model", "deployment api needs an API model (--api-model)")
    return Resolved(
        scenario, model, api, weights, kv, hardware, engine, deployment,  # type: ignore[arg-type]
        tp, pp, scenario.gpus // (tp * pp),
    )
