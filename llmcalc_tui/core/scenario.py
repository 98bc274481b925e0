"""The inputs of one estimate, validated, and their resolution against a catalog."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmcalc_tui.core import fit
from llmcalc_tui.core.fit import split
from llmcalc_tui.catalog.schema import (
    ApiModelSpec,
    Catalog,
    EngineSpec,
    FormatSpec,
    HardwareSpec,
    ModelSpec,
)

Deployment = Literal["local", "cloud", "api"]
DeploymentChoice = Literal["auto", "local", "cloud", "api"]
MAX_TOKENS = 100_000_000
MAX_BATCH = fit.MAX_BATCH
MAX_GPUS = fit.MAX_DEVICES
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
    engine: str | None = None
    """Serving engine id; None (or "auto") picks the engine usual on the hardware."""
    backend: Literal["cuda", "metal", "vulkan", "rocm", "cpu"] | None = None
    """The engine's compute backend; None (or "auto") lets the engine choose from the hardware."""
    input_tokens: int = Field(default=1000, ge=1, le=MAX_TOKENS)
    output_tokens: int = Field(default=200, ge=1, le=MAX_TOKENS)
    batch: int | Literal["max"] = 1
    """Concurrent sequences, or "max" for the largest batch that fits."""
    deployment: DeploymentChoice | None = None
    """None (or "auto") picks api for API models, cloud for datacenter hardware, else local (owned)."""
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
    batch_api: bool = False
    """Price API requests at the provider's batch-API rate (asynchronous, typically half price)."""
    priority: bool = False
    """Price API requests at the provider's priority-tier rate."""
    reasoning: Literal["low", "medium", "high"] | int | None = None
    """Hidden reasoning tokens per API request: an effort level (catalog budgets) or an explicit count."""
    network_rtt_ms: float | None = Field(default=None, ge=0, le=60_000)
    """Client round trip to an API endpoint; None uses the catalog's sourced default."""
    # Levers (issue 14; core/levers.py applies them). None / False: not pulled.
    gpu_layers: int | Literal["auto"] | None = None
    """Layers on the GPU, the rest in system RAM (llama.cpp --n-gpu-layers); "auto": as many as fit."""
    cpu_moe: bool = False
    """Every layer's routed experts in system RAM (llama.cpp --cpu-moe)."""
    n_cpu_moe: int | None = Field(default=None, ge=0, le=100_000)
    """The routed experts of the first N layers in system RAM (llama.cpp --n-cpu-moe)."""
    kv_offload: bool = True
    """False: the KV cache stays in system RAM (llama.cpp --no-kv-offload)."""
    ram_gib: float | None = Field(default=None, gt=0, le=1_000_000)
    """System RAM of the host; None: the hardware's usual host."""
    ram_bandwidth_gb_s: float | None = Field(default=None, gt=0, le=100_000)
    draft_model: str | None = None
    """Catalog model that drafts tokens for speculative decoding."""
    mtp: bool = False
    """Speculative decoding with the model's own multi-token-prediction layers."""
    eagle: bool = False
    """Speculative decoding with EAGLE-style draft heads."""
    draft_tokens: int | None = Field(default=None, ge=1, le=64)
    acceptance: float | None = Field(default=None, ge=0, le=1)
    """Per-token acceptance rate of drafted tokens; None: catalogs/speculative.toml."""
    cached_prefix_tokens: int | None = Field(default=None, ge=0, le=MAX_TOKENS)
    """Prompt tokens already in the KV cache (the share form is cached_input_fraction)."""

    @field_validator("engine", "deployment", "backend", mode="before")
    @classmethod
    def _auto_is_none(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return None
        return value

    @model_validator(mode="after")
    def _check_batch(self) -> Scenario:
        if isinstance(self.batch, int) and not 1 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch must be between 1 and {MAX_BATCH} or 'max'")
        if isinstance(self.reasoning, int) and not 0 <= self.reasoning <= MAX_TOKENS:
            raise ValueError(f"reasoning tokens must be between 0 and {MAX_TOKENS:,}")
        if isinstance(self.gpu_layers, int) and not isinstance(self.gpu_layers, bool) and self.gpu_layers < 0:
            raise ValueError("gpu layers must be 0 or more, or 'auto'")
        return self

    @property
    def offloads(self) -> bool:
        """Whether any offload lever is pulled."""
        return self.gpu_layers is not None or self.cpu_moe or bool(self.n_cpu_moe) or not self.kv_offload

    @property
    def speculates(self) -> bool:
        return self.draft_model is not None or self.mtp or self.eagle

    @property
    def cached_share(self) -> float:
        """Share of the prompt in the prefix cache, whichever way it was given."""
        if self.cached_prefix_tokens is not None:
            return self.cached_prefix_tokens / self.input_tokens
        return self.cached_input_fraction

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
    notes: tuple[str, ...] = ()
    """Why an engine or deployment was picked, how a typed id was read."""


# ----------------------------------------------------------------------------- forgiving ids

IdKind = Literal["model", "hardware", "engine", "format", "api_model"]
VARIANT_SUFFIXES = ("-instruct", "-chat", "-it", "-hf", "-base", "-pt")
"""Checkpoint variants that share their base model's architecture (what memory and speed depend on)."""
VENDOR_PREFIXES = ("nvidia-", "amd-", "apple-", "intel-", "google-", "meta-llama-", "meta-")


def normalise_id(text: str) -> str:
    """What a typed id is compared as: lower case, spaces and underscores as dashes."""
    return "-".join(text.strip().lower().replace("_", "-").split())


def _table(catalog: Catalog, kind: IdKind) -> dict:
    return {
        "model": {**catalog.models, **catalog.api_models},
        "hardware": catalog.hardware,
        "engine": catalog.engines,
        "format": catalog.formats,
        "api_model": catalog.api_models,
    }[kind]


def _names(catalog: Catalog, kind: IdKind) -> dict[str, str]:
    """Normalised spelling -> id: ids, aliases, display names and Hugging Face repos."""
    table = _table(catalog, kind)
    names: dict[str, str] = {}
    for entry_id, entry in table.items():
        names.setdefault(normalise_id(entry.name), entry_id)
        repo = getattr(entry, "hf_repo", "")
        if repo:
            names.setdefault(normalise_id(repo), entry_id)
            names.setdefault(normalise_id(repo.rsplit("/", 1)[-1]), entry_id)
    if kind == "model":
        for alias, target in catalog.aliases.items():
            names.setdefault(normalise_id(alias), target)
    for entry_id in table:
        names[entry_id] = entry_id
    return names


def _variants(key: str) -> list[tuple[str, str]]:
    """(spelling, what was dropped) for a typed id: as typed, without an org or vendor prefix, without
    variant suffixes such as -instruct."""
    out = [(key, "")]
    tail = key.rsplit("/", 1)[-1]
    if tail != key:
        out.append((tail, ""))
    for prefix in VENDOR_PREFIXES:
        if tail.startswith(prefix):
            out.append((tail[len(prefix):], ""))
    stem, dropped = tail, []
    changed = True
    while changed:
        changed = False
        for suffix in VARIANT_SUFFIXES:
            if stem.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                dropped.insert(0, suffix[1:])
                changed = True
                out.append((stem, " ".join(dropped)))
    return out


def lookup_id(text: str, catalog: Catalog, kind: IdKind) -> tuple[str, str | None]:
    """(catalog id, note or None) for a typed id: exact, any spelling of an id, name, alias or Hugging Face
    repo, a variant of one (Llama-3.1-8B-Instruct), or a unique prefix. Raises ScenarioError (field = kind)
    naming the candidates when the text is ambiguous or unknown."""
    field = "weights" if kind == "format" else kind
    raw = text.strip()
    key = raw.lower()
    if kind == "model":
        if key in catalog.models or key in catalog.api_models:
            return key, None
        if key in catalog.aliases:
            return catalog.aliases[key], None
    elif key in _table(catalog, kind):
        return key, None
    names = _names(catalog, kind)
    for spelling, dropped in _variants(normalise_id(raw)):
        if spelling in names:
            found = names[spelling]
            if dropped:
                return found, f"{raw} read as {found}: the {dropped} variant shares the architecture of {found}"
            return found, f"{raw} read as {found}"
    matches = search_ids(raw, catalog, kind)
    prefix = [m for m in matches if m.startswith(normalise_id(raw))]
    if len(prefix) == 1:
        return prefix[0], f"{raw} read as {prefix[0]}"
    if len(prefix) > 1:
        shown = ", ".join(prefix[:12]) + (f" and {len(prefix) - 12} more" if len(prefix) > 12 else "")
        raise ScenarioError(field, f"{kind.replace('_', ' ')} {raw!r} is ambiguous: {shown}")
    label = {"format": "weight format", "api_model": "API model"}.get(kind, kind)
    options = list(names)
    raise ScenarioError(field, f"unknown {label} {raw!r}{did_you_mean(normalise_id(raw), options)}")


def search_ids(text: str, catalog: Catalog, kind: IdKind, limit: int = 50) -> list[str]:
    """Catalog ids matching typed text, best first (exact, then prefix, then anywhere in an id, name,
    alias or repo): what the app's completion and the CLI's ambiguity message list."""
    needle = normalise_id(text)
    table = _table(catalog, kind)
    if not needle:
        return list(table)[:limit]
    names = _names(catalog, kind)
    ranked: dict[str, int] = {}
    for spelling, entry_id in names.items():
        for variant, _ in _variants(needle):
            if spelling == variant:
                rank = 0
            elif entry_id.startswith(variant):
                rank = 1
            elif spelling.startswith(variant):
                rank = 2
            elif variant in spelling:
                rank = 3
            else:
                continue
            ranked[entry_id] = min(rank, ranked.get(entry_id, rank))
    return sorted(ranked, key=lambda i: (ranked[i], i))[:limit]


def canonical_ids(scenario: Scenario, catalog: Catalog) -> Scenario:
    """The scenario with every typed id that resolves replaced by its catalog id (what gets saved);
    ids that do not resolve are left as typed for the caller to report."""
    updates: dict[str, str] = {}
    for field, kind in (("model", "model"), ("hardware", "hardware"), ("engine", "engine"),
                        ("api_model", "api_model")):
        value = getattr(scenario, field)
        if value is None:
            continue
        try:
            found, _ = lookup_id(value, catalog, kind)  # type: ignore[arg-type]
        except ScenarioError:
            continue
        if found != value:
            updates[field] = found
    return scenario.model_copy(update=updates) if updates else scenario


def resolve_model_id(model_id: str, catalog: Catalog) -> str:
    return lookup_id(model_id, catalog, "model")[0]


def _lookup(kind: str, field: str, key: str, table: dict) -> object:
    if key in table:
        return table[key]
    raise ScenarioError(field, f"unknown {kind} {key!r}{did_you_mean(key, list(table))}")


# ----------------------------------------------------------------------------- engine and deployment


def hardware_keys(hardware: HardwareSpec) -> tuple[str, ...]:
    """Keys engine tables are looked up by, most specific first: id, "kind:vendor", kind, vendor."""
    vendor = hardware.vendor.lower()
    return (hardware.id, f"{hardware.kind}:{vendor}", hardware.kind, vendor)


def default_engine(hardware: HardwareSpec, catalog: Catalog) -> EngineSpec:
    """The engine people usually run on this hardware (engines.toml `default_on`, most specific key wins)."""
    runs_here = [e for e in catalog.engines.values() if hardware.kind in e.kinds]
    for key in hardware_keys(hardware):
        for engine in runs_here:
            if key in engine.default_on:
                return engine
    if not runs_here:
        raise ScenarioError("engine", f"no engine in the catalog runs on {hardware.kind} hardware ({hardware.name})")
    return runs_here[0]


def pick_engine(scenario: Scenario, hardware: HardwareSpec, catalog: Catalog) -> tuple[EngineSpec, str]:
    """The engine to estimate with and the assumption line that says which and why."""
    usual = None
    if scenario.engine is not None:
        engine_id, _ = lookup_id(scenario.engine, catalog, "engine")
        chosen = catalog.engines[engine_id]
        if hardware.kind in chosen.kinds:
            return chosen, f"engine {chosen.name}: as chosen"
        usual = default_engine(hardware, catalog)
        return usual, (f"engine {usual.name}: {chosen.name} does not run on {hardware.kind} hardware "
                       f"({hardware.name}), so the usual engine there is used")
    usual = default_engine(hardware, catalog)
    return usual, f"engine {usual.name}: the usual engine on {hardware.kind} hardware ({hardware.name})"


OWNED_KINDS = ("consumer", "workstation", "apple", "edge", "cpu")
"""Hardware people usually own rather than rent; datacenter accelerators are usually rented."""


def pick_deployment(scenario: Scenario, hardware: HardwareSpec, api_model: bool) -> tuple[Deployment, str]:
    if scenario.deployment is not None and scenario.deployment != "auto":
        return scenario.deployment, ""
    if api_model:
        return "api", "deployment auto: a hosted API model is priced per token"
    if scenario.cloud_usd_per_hour is not None:
        return "cloud", "deployment auto: rented, since a GPU-hour price was given"
    if hardware.kind in OWNED_KINDS:
        return "local", f"deployment auto: owned, as {hardware.kind} hardware usually is (purchase + electricity)"
    return "cloud", "deployment auto: rented, as datacenter accelerators usually are ($/GPU-hour)"


def resolve(scenario: Scenario, catalog: Catalog) -> Resolved:
    """Look up every id and check the combination makes sense; raise ScenarioError if not."""
    notes: list[str] = []
    if scenario.cached_prefix_tokens is not None and scenario.cached_prefix_tokens > scenario.input_tokens:
        raise ScenarioError("cached_prefix_tokens", f"a cached prefix of {scenario.cached_prefix_tokens:,} tokens "
                            f"exceeds the {scenario.input_tokens:,}-token prompt")
    model_id, note = lookup_id(scenario.model, catalog, "model")
    notes += [note] if note else []
    model = catalog.models.get(model_id)
    api = catalog.api_models.get(model_id)
    if scenario.api_model is not None:
        api = catalog.api_models[lookup_id(scenario.api_model, catalog, "api_model")[0]]
    if model is None and api is not None and api.open_model in catalog.models:
        model = catalog.models[api.open_model]  # type: ignore[index]

    if model is None:
        # An API-only model: nothing to size or place on hardware.
        return Resolved(scenario, None, api, None, None, None, None, "api", 1, 1, 1, tuple(notes))

    weights_id = (scenario.weights or model.native_dtype).lower()
    weights = _lookup("weight format", "weights", weights_id, catalog.formats)
    if not weights.weights:  # type: ignore[attr-defined]
        raise ScenarioError("weights", f"{weights_id} is not a weight format")
    kv = _lookup("KV-cache format", "kv_cache", scenario.kv_cache.lower(), catalog.formats)
    if not kv.kv_cache:  # type: ignore[attr-defined]
        usable = [f.id for f in catalog.formats.values() if f.kv_cache]
        raise ScenarioError("kv_cache", f"{kv.id} cannot hold a KV cache; use one of {', '.join(usable)}")  # type: ignore[attr-defined]
    hardware_id, note = lookup_id(scenario.hardware, catalog, "hardware")
    notes += [note] if note else []
    hardware = catalog.hardware[hardware_id]
    engine, engine_note = pick_engine(scenario, hardware, catalog)
    notes.append(engine_note)

    pp = scenario.pp
    if scenario.tp is None and pp == 1 and scenario.gpus > 1:
        # llama.cpp and Ollama split layers across GPUs by default; tensor-parallel engines go as wide as
        # the attention heads and one node allow, with pipeline stages for the rest.
        tp, pp = split(model, scenario.gpus, engine, hardware.max_devices)
        if engine.multi_gpu != "pipeline" and pp > 1:
            notes.append(f"{scenario.gpus} GPUs split as tensor parallel {tp} x pipeline {pp} "
                         f"({model.num_attention_heads} attention heads, {hardware.max_devices} devices per node)")
    else:
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
        field = "gpus" if scenario.pp == 1 else "pp"
        raise ScenarioError(field, f"{pp} pipeline stages exceed the {model.num_layers} layers of {model.id}")
    context = scenario.input_tokens + scenario.output_tokens
    if context > model.context_length:
        raise ScenarioError(
            "input_tokens",
            f"input + output = {context:,} tokens exceeds the {model.context_length:,}-token context of {model.id}",
        )

    # An id that names both an open model and a hosted endpoint is self-hosted unless deployment says api.
    deployment, note = pick_deployment(scenario, hardware, model_id in catalog.api_models and model_id not in catalog.models)
    notes += [note] if note else []
    if model_id in catalog.api_models and model_id in catalog.models and deployment != "api":
        notes.append(f"{model_id} is also a hosted API: --deployment api prices it per token")
    if deployment == "api" and api is None:
        raise ScenarioError("api_model", "deployment api needs an API model (--api-model)")
    if scenario.backend:
        vendor = hardware.vendor.lower()
        runs = {"cuda": vendor == "nvidia", "metal": hardware.kind == "apple", "rocm": vendor == "amd",
                "vulkan": hardware.kind != "cpu", "cpu": True}[scenario.backend]
        if not runs:
            raise ScenarioError("backend", f"the {scenario.backend} backend does not run on {hardware.name}")
    return Resolved(
        scenario, model, api, weights, kv, hardware, engine, deployment,  # type: ignore[arg-type]
        tp, pp, scenario.gpus // (tp * pp), tuple(notes),
    )
