"""The app's one state store and its pure transitions (PURE: no textual, no rich).

`AppState` is frozen and replaced whole. `apply_edit` takes the raw text of one form field,
parses it, rebuilds the scenario and recomputes the estimate, the hardware grid and the API
comparison. Invalid input records a message for the field and keeps the last good results.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from pydantic import ValidationError

from llmcalc_tui.sources.ref import looks_like_source
from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.bands import attach_bands
from llmcalc_tui.core.compat import GridRow, build_grid
from llmcalc_tui.core.estimate import Estimate, estimate
from llmcalc_tui.core.scenario import IdKind, Scenario, ScenarioError, lookup_id, normalise_id, search_ids
from llmcalc_tui.core import units
from llmcalc_tui.core.units import fmt_count

FieldKind = Literal["int", "opt_int", "batch", "float", "opt_float", "fraction", "id", "opt_id", "deployment",
                    "gpu_layers", "opt_fraction", "reasoning"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One form field: the Scenario field it sets, its label and how its text is parsed."""

    name: str
    label: str
    kind: FieldKind
    help: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("model", "Model", "id", "Open or API model id (↓: list)"),
    FieldSpec("weights", "Weights", "opt_id", "Weight format; native: checkpoint dtype"),
    FieldSpec("kv_cache", "KV cache", "id", "Storage format of the KV cache"),
    FieldSpec("input_tokens", "Input tok", "int", "Prompt tokens per request"),
    FieldSpec("output_tokens", "Output tok", "int", "Generated tokens per request"),
    FieldSpec("batch", "Batch", "batch", "Concurrent sequences, or max"),
    FieldSpec("deployment", "Deploy", "deployment", "Cost basis: auto, local, cloud, api"),
    FieldSpec("hardware", "Hardware", "id", "Accelerator id (↓: list, F4: grid)"),
    FieldSpec("gpus", "GPUs", "int", "Number of devices"),
    FieldSpec("tp", "TP", "opt_int", "Tensor parallel; empty: GPUs / PP"),
    FieldSpec("pp", "PP", "int", "Pipeline-parallel stages"),
    FieldSpec("engine", "Engine", "opt_id", "Serving engine; auto: the usual one on the hardware"),
    FieldSpec("electricity_usd_per_kwh", "$/kWh", "float", "Electricity price (local)"),
    FieldSpec("utilisation", "Utilisation", "fraction", "Busy share, 0-1 or % (local)"),
    FieldSpec("lifetime_years", "Lifetime y", "float", "Years to spread the price (local)"),
    FieldSpec("cloud_usd_per_hour", "$/GPU-hour", "opt_float", "Rent per GPU; empty: catalog (cloud)"),
    FieldSpec("api_model", "API model", "opt_id", "API to compare; empty: default (↓)"),
    FieldSpec("requests_per_minute", "Req/min", "float", "Request rate for $/month"),
    FieldSpec("cached_input_fraction", "Cached in", "fraction",
              "Share of the prompt already cached, 0-1 or %: cached API price, shorter prefill"),
    FieldSpec("reasoning", "Reasoning", "reasoning", "API hidden reasoning: low, medium, high or N tokens"),
    # Levers (issue 14): offload, speculative decoding, prefix cache.
    FieldSpec("gpu_layers", "GPU layers", "gpu_layers", "Layers on the GPU, the rest in RAM; auto: as many as fit"),
    FieldSpec("ram_gib", "RAM GiB", "opt_float", "System RAM for offloaded layers; empty: the usual host"),
    FieldSpec("draft_model", "Draft", "opt_id", "Small model that drafts tokens, speculative decoding (↓: list)"),
    FieldSpec("draft_tokens", "Draft tok", "opt_int", "Tokens drafted per step (k); empty: 4 or the table's"),
    FieldSpec("acceptance", "Acceptance", "opt_fraction", "Share of drafted tokens kept, 0-1; empty: sourced"),
    FieldSpec("cached_prefix_tokens", "Cached tok", "opt_int", "Prompt tokens already in the prefix cache"),
)
"""Every form field, in form order."""
FIELD_SPECS: Mapping[str, FieldSpec] = MappingProxyType({spec.name: spec for spec in FIELDS})
FIELD_NAMES: tuple[str, ...] = tuple(spec.name for spec in FIELDS)
GRID_INDEPENDENT = {"hardware": "h100-sxm", "gpus": 1, "tp": None, "pp": 1, "api_model": None}
"""Scenario fields the hardware grid does not depend on, with neutral values for its cache key."""
DEFAULT_API_MODELS = ("gpt-4o", "gpt-4.1", "gpt-4o-mini")
"""API models compared against when the scenario names none (first one in the catalog wins)."""
DEPLOYMENTS = ("auto", "local", "cloud", "api")
GridBasis = Literal["cloud", "owned"]
GRID_BASES: tuple[GridBasis, ...] = ("cloud", "owned")
"""Cost bases the grid switches between; one basis prices every row so a column never mixes them."""
BASIS_WORDS = {"cloud": "rented", "owned": "owned", "api": "API"}
"""basis_kind -> the word the app shows."""

@dataclass(frozen=True, slots=True)
class ApiListPrices:
    """An API model's list prices in $ per 1M tokens, as the provider publishes them."""

    input: float
    output: float
    cached_input: float | None


class FieldError(ValueError):
    """Text that cannot become a value of its field."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


# ----------------------------------------------------------------------------- parsing


def parse_number_text(text: str) -> float:
    """A number in the syntax the CLI accepts too (`1,000`, `1_000`, `32k`, `1.5M`); ValueError if not."""
    value = units.parse_number(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def parse_count_text(text: str) -> int:
    """A non-negative whole number in the shared syntax (`32k` is 32,000); ValueError if not."""
    value = units.parse_count(text)
    if value < 0:
        raise ValueError(f"{text!r} is not a whole number")
    return value


def _parse_int(name: str, text: str) -> int:
    if not text:
        raise FieldError(name, "required: a whole number")
    try:
        return parse_count_text(text)
    except (ValueError, TypeError, OverflowError):
        raise FieldError(name, f"{text!r} is not a whole number (e.g. 4096, 4,096, 32k, 1.5M)") from None


def _parse_float(name: str, text: str, percent: bool = False) -> float:
    if not text:
        raise FieldError(name, "required: a number")
    scale = 1.0
    if percent and text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    try:
        value = parse_number_text(text) * scale
    except (ValueError, TypeError, OverflowError):
        raise FieldError(name, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise FieldError(name, f"{text!r} is not a finite number")
    return value


def _parse_id(name: str, text: str) -> str:
    if not text:
        raise FieldError(name, "required")
    # Spaces and capitals pass: the core reads names and Hugging Face repos ("Llama 3.1 70B") as ids.
    if not text.isascii() or not text.isprintable():
        raise FieldError(name, f"{text!r} is not a catalog id")
    return " ".join(text.lower().split())


def parse_field(name: str, raw: str) -> Any:
    """The Scenario value of one field's text; raises FieldError with a short reason."""
    spec = FIELD_SPECS.get(name)
    if spec is None:
        raise FieldError(name, f"unknown field {name!r}")
    text = raw.strip()
    kind = spec.kind
    if kind == "int":
        return _parse_int(name, text)
    if kind == "opt_int":
        return None if text.lower() in ("", "auto") else _parse_int(name, text)
    if kind == "batch":
        return "max" if text.lower() == "max" else _parse_int(name, text)
    if kind == "float":
        return _parse_float(name, text)
    if kind == "opt_float":
        return None if text.lower() in ("", "auto") else _parse_float(name, text)
    if kind == "fraction":
        return _parse_float(name, text, percent=True)
    if kind == "id":
        if name == "model" and text.isprintable() and looks_like_source(text):
            return text  # a repo id or a path: case matters (resolved on enter, see screens/import_model.py)
        return _parse_id(name, text)
    if kind == "opt_id":
        return None if text.lower() in ("", "native", "default", "auto") else _parse_id(name, text)
    if kind == "gpu_layers":
        if text.lower() in ("", "none", "all"):
            return None
        return "auto" if text.lower() == "auto" else _parse_int(name, text)
    if kind == "opt_fraction":
        return None if text.lower() in ("", "auto") else _parse_float(name, text, percent=True)
    if kind == "reasoning":
        lowered = text.lower()
        if lowered in ("", "none"):
            return None
        return lowered if lowered in ("low", "medium", "high") else _parse_int(name, text)
    if kind == "deployment":
        lowered = text.lower()
        if lowered in ("", "auto"):
            return None
        if lowered not in DEPLOYMENTS:
            raise FieldError(name, "use auto, local, cloud or api")
        return lowered
    raise FieldError(name, f"unknown kind {kind}")  # pragma: no cover


def format_field(name: str, scenario: Scenario) -> str:
    """The text a field shows for a scenario value (the inverse of parse_field)."""
    value = getattr(scenario, name)
    if value is None:
        return "auto" if name in ("deployment", "engine") else ""
    if isinstance(value, float):
        return plain_number(value)
    return str(value)


def plain_number(value: float) -> str:
    """A number as a person types it: no exponent, no trailing zeros (1e9 -> 1000000000, 0.120 -> 0.12)."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def raw_from_scenario(scenario: Scenario) -> dict[str, str]:
    """Every field's text for a scenario."""
    return {name: format_field(name, scenario) for name in FIELD_NAMES}


def _friendly(err: Mapping[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge'):,}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le'):,}"
    if kind == "greater_than":
        return f"must be above {ctx.get('gt'):,}"
    if kind == "less_than":
        return f"must be below {ctx.get('lt'):,}"
    message = str(err.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _validation_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ()
        name = str(loc[0]) if loc else "batch"
        errors.setdefault(name if name in FIELD_SPECS else "batch", _friendly(err))
    return errors


# ----------------------------------------------------------------------------- state


@dataclass(frozen=True, eq=False)
class AppState:
    """Everything the screen shows; frozen and replaced whole (identity is equality)."""

    scenario: Scenario
    """The last scenario that validated and estimated."""
    raw: Mapping[str, str]
    """Text of every form field, as typed."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Field -> why its text is not used; empty when the results match the form."""
    estimate: Estimate | None = None
    """Results of `scenario`."""
    grid: tuple[GridRow, ...] = ()
    """Hardware grid of `scenario`'s workload, every row priced on `grid_basis`."""
    grid_basis: GridBasis = "cloud"
    """How the grid prices every row: rented (cloud $/GPU-hour) or owned (purchase + electricity)."""
    grid_offload: bool = False
    """Whether grid rows may keep layers in system RAM when one device is too small (issue 14)."""
    grid_scenario: Scenario | None = None
    """The scenario whose workload `grid` shows (None: no grid yet); it lags `scenario` while the grid is
    hidden, since edits then skip the grid (see `ensure_grid`)."""
    api_estimate: Estimate | None = None
    """The same workload on the compared API model."""
    api_error: str | None = None
    """Why the API side could not be estimated."""
    api_prices: ApiListPrices | None = None
    """The compared API model's list prices."""
    baseline: Scenario | None = None
    """The scenario as loaded or last saved; `dirty` compares against it."""
    loaded_name: str | None = None
    """Display name of the saved scenario being edited."""
    dirty: bool = False
    """Whether the form differs from `baseline`."""
    revision: int = 0
    """Counts transitions that changed the state."""

    @property
    def stale(self) -> bool:
        """Whether the results are the last good ones rather than the form's."""
        return bool(self.errors)

    @property
    def grid_pending(self) -> bool:
        """Whether the grid shows an older workload than the results (it was hidden while they changed)."""
        if self.estimate is None:
            return False
        return self.grid_scenario is None or _grid_key(self.grid_scenario) != _grid_key(self.scenario)

    @property
    def api_model_id(self) -> str | None:
        """The API model the comparison uses (the scenario's, else the default)."""
        return self.api_estimate.model_id if self.api_estimate else self.scenario.api_model


def default_api_model(catalog: Catalog) -> str | None:
    """The API model compared against when the scenario names none."""
    for candidate in DEFAULT_API_MODELS:
        if candidate in catalog.api_models:
            return candidate
    live = [a.id for a in catalog.api_models.values() if not a.retired]
    return live[0] if live else None


def api_scenario(scenario: Scenario, catalog: Catalog) -> Scenario | None:
    """The scenario's workload sent to its API model (or the default one)."""
    api_id = scenario.api_model or default_api_model(catalog)
    if api_id is None:
        return None
    return Scenario(
        model=api_id,
        api_model=api_id,
        deployment="api",
        input_tokens=scenario.input_tokens,
        output_tokens=scenario.output_tokens,
        batch=1,
        requests_per_minute=scenario.requests_per_minute,
        cached_input_fraction=scenario.cached_input_fraction,
        cached_prefix_tokens=scenario.cached_prefix_tokens,  # issue 14: the same lever as a token count
        batch_api=scenario.batch_api,
        priority=scenario.priority,
        reasoning=scenario.reasoning,
        network_rtt_ms=scenario.network_rtt_ms,
    )


def api_list_prices(model_id: str | None, catalog: Catalog) -> ApiListPrices | None:
    """The list prices of an API model (None when it is not an API model of the catalog)."""
    spec = catalog.api_models.get(model_id) if model_id else None
    if spec is None:
        return None
    return ApiListPrices(spec.input_usd_per_1m, spec.output_usd_per_1m, spec.cached_input_usd_per_1m)


def _api_side(scenario: Scenario, catalog: Catalog) -> tuple[Estimate | None, str | None]:
    api = api_scenario(scenario, catalog)
    if api is None:
        return None, "the catalog has no API models"
    try:
        return estimate(api, catalog), None
    except ScenarioError as exc:
        return None, exc.message


def _grid_key(scenario: Scenario) -> Scenario:
    return scenario.model_copy(update=GRID_INDEPENDENT)


def grid_rows(scenario: Scenario, catalog: Catalog, basis: GridBasis, offload: bool = False) -> tuple[GridRow, ...]:
    """The hardware grid of a scenario's workload with every row priced on one basis."""
    try:
        return tuple(build_grid(scenario, catalog, basis=basis, offload=offload))
    except ScenarioError:
        return ()


def _grid_for(scenario: Scenario, previous: AppState, catalog: Catalog,
              with_grid: bool) -> tuple[tuple[GridRow, ...], Scenario | None]:
    """(rows, the scenario they are for): the previous rows when the workload is the same, new ones when
    `with_grid`, else the previous rows left behind (pending until the grid is shown)."""
    kept = previous.grid_scenario
    if kept is not None and _grid_key(kept) == _grid_key(scenario):
        return previous.grid, kept
    if not with_grid:
        return previous.grid, kept
    return grid_rows(scenario, catalog, previous.grid_basis, previous.grid_offload), scenario


def ensure_grid(state: AppState, catalog: Catalog) -> AppState:
    """The state with the grid brought up to date with the results; the same object when it already is."""
    if not state.grid_pending:
        return state
    return replace(state, grid=grid_rows(state.scenario, catalog, state.grid_basis, state.grid_offload),
                   grid_scenario=state.scenario, revision=state.revision + 1)


def set_grid_offload(state: AppState, offload: bool, catalog: Catalog) -> AppState:
    """The state with grid rows that may (or may not) keep layers in system RAM; the same object if unchanged."""
    if offload == state.grid_offload:
        return state
    grid = grid_rows(state.scenario, catalog, state.grid_basis, offload)
    return replace(state, grid=grid, grid_offload=offload, grid_scenario=state.scenario, revision=state.revision + 1)


def set_grid_basis(state: AppState, basis: GridBasis, catalog: Catalog) -> AppState:
    """The state with the grid priced on another basis (rented or owned); the same object if unchanged."""
    if basis == state.grid_basis or basis not in GRID_BASES:
        return state
    # Every row carries its price on both bases, so switching needs no new estimates.
    grid = tuple(row.on_basis(basis) for row in state.grid)
    return replace(state, grid=grid, grid_basis=basis, revision=state.revision + 1)


def _recompute(prev: AppState, raw: Mapping[str, str], catalog: Catalog, with_grid: bool = True) -> AppState:
    """A new state from the form texts: parse all, validate, estimate; keep the old results on any error.

    Without `with_grid` the hardware grid (some 70 estimates) is left for `ensure_grid`.
    """
    updates: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, text in raw.items():
        try:
            updates[name] = parse_field(name, text)
        except FieldError as exc:
            errors[name] = exc.message
    if not errors:
        try:
            candidate = Scenario.model_validate({**prev.scenario.model_dump(), **updates})
        except ValidationError as exc:
            errors = _validation_errors(exc)
    if errors:
        return replace(prev, raw=raw, errors=errors, dirty=True, revision=prev.revision + 1)
    try:
        est = attach_bands(estimate(candidate, catalog), catalog)
    except ScenarioError as exc:
        name = exc.field if exc.field in FIELD_SPECS else "model"
        return replace(prev, raw=raw, errors={name: exc.message}, dirty=True, revision=prev.revision + 1)
    grid, grid_scenario = _grid_for(candidate, prev, catalog, with_grid)
    if prev.estimate is not None and _api_key(prev.scenario) == _api_key(candidate) and (prev.api_estimate or prev.api_error):
        api_est, api_error = prev.api_estimate, prev.api_error
    else:
        api_est, api_error = _api_side(candidate, catalog)
    api_prices = api_list_prices(api_est.model_id, catalog) if api_est is not None else None
    return replace(
        prev,
        scenario=candidate,
        raw=raw,
        errors={},
        estimate=est,
        grid=grid,
        grid_scenario=grid_scenario,
        api_estimate=api_est,
        api_error=api_error,
        api_prices=api_prices,
        dirty=candidate != prev.baseline,
        revision=prev.revision + 1,
    )


def _api_key(scenario: Scenario) -> tuple[object, ...]:
    return (scenario.api_model, scenario.input_tokens, scenario.output_tokens, scenario.requests_per_minute,
            scenario.cached_input_fraction, scenario.batch_api, scenario.priority, scenario.reasoning,
            scenario.network_rtt_ms, scenario.cached_prefix_tokens)


def initial_state(catalog: Catalog, scenario: Scenario | None = None, grid_basis: GridBasis = "cloud") -> AppState:
    """The state of a fresh form on a scenario (the defaults when None)."""
    scenario = scenario or Scenario()
    empty = AppState(scenario=scenario, raw={}, baseline=scenario, grid_basis=grid_basis)
    state = _recompute(empty, raw_from_scenario(scenario), catalog)
    return replace(state, dirty=bool(state.errors) or state.scenario != scenario, revision=0)


def apply_edit(state: AppState, name: str, raw: str, catalog: Catalog, *, with_grid: bool = True) -> AppState:
    """The state after one field's text changed; the same object when the text did not change.

    `with_grid=False` leaves the hardware grid behind (for a hidden grid; `ensure_grid` catches up).
    """
    if state.raw.get(name) == raw:
        return state
    return _recompute(state, {**state.raw, name: raw}, catalog, with_grid)


def apply_edits(state: AppState, edits: Mapping[str, str], catalog: Catalog, *, with_grid: bool = True) -> AppState:
    """The state after several fields changed at once (e.g. choosing a grid row)."""
    if all(state.raw.get(k) == v for k, v in edits.items()):
        return state
    return _recompute(state, {**state.raw, **edits}, catalog, with_grid)


def recompute(state: AppState, catalog: Catalog) -> AppState:
    """The state estimated again from the same texts, after the catalog changed (a model source was read)."""
    return _recompute(state, state.raw, catalog)


def load_scenario(
    state: AppState,
    scenario: Scenario,
    catalog: Catalog,
    name: str | None = None,
    unknown: Mapping[str, str] | None = None,
) -> AppState:
    """The state of a loaded scenario; ids in `unknown` stay in the form, marked, and the rest is estimated."""
    unknown = dict(unknown or {})
    defaults = Scenario()
    usable = scenario.model_copy(update={f: getattr(defaults, f) for f in unknown if f in FIELD_SPECS})
    base = AppState(scenario=usable, raw={}, baseline=scenario, loaded_name=name, revision=state.revision,
                    grid_basis=state.grid_basis)
    fresh = _recompute(base, raw_from_scenario(usable), catalog)
    if fresh.estimate is None:
        # Even the usable part does not estimate: keep the previous results beside the loaded form.
        fresh = replace(fresh, estimate=state.estimate, grid=state.grid, grid_scenario=state.grid_scenario,
                        api_estimate=state.api_estimate, api_error=state.api_error, api_prices=state.api_prices)
    if not unknown:
        return replace(fresh, dirty=bool(fresh.errors))
    raw = {**fresh.raw, **{f: format_field(f, scenario) for f in unknown}}
    return replace(fresh, raw=raw, errors={**fresh.errors, **unknown}, dirty=True)


def mark_saved(state: AppState, name: str) -> AppState:
    """The state after saving under `name`: the saved scenario becomes the baseline."""
    return replace(state, baseline=state.scenario, loaded_name=name, dirty=bool(state.errors),
                   revision=state.revision + 1)


def reset(state: AppState, catalog: Catalog, scenario: Scenario | None = None) -> AppState:
    """A fresh form on the default scenario (no loaded name)."""
    fresh = initial_state(catalog, scenario, state.grid_basis)
    return replace(fresh, revision=state.revision + 1)


# ----------------------------------------------------------------------------- choosing hardware


def hardware_edits(state: AppState, row: GridRow, catalog: Catalog) -> dict[str, str]:
    """Form edits that put the scenario on a grid row's hardware with the device count it needs."""
    gpus = row.gpus_needed or catalog.hardware[row.hardware].max_devices
    edits = {"hardware": row.hardware, "gpus": str(gpus)}
    if state.scenario.engine is not None:
        edits["engine"] = row.engine
    # The row's own split, so the results reproduce the row; an empty (auto) TP where it means the same.
    edits.update(tp="" if row.pp == 1 and row.tp == gpus else str(row.tp), pp=str(row.pp))
    if state.scenario.deployment == "api":
        edits["deployment"] = "auto"
    return edits


# ----------------------------------------------------------------------------- grid sorting


@dataclass(frozen=True, slots=True)
class GridColumn:
    """A grid column: key, header, and how its rows sort (None values always last)."""

    key: str
    header: str
    descending_first: bool = False


GRID_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("hardware", "Hardware"),
    GridColumn("fit", "Fit"),
    GridColumn("gpus", "GPUs"),
    GridColumn("usd_1m", "$/1M out"),
    GridColumn("out_tok_s", "out tok/s", descending_first=True),
    GridColumn("tok_s", "tok/s 1", descending_first=True),
    GridColumn("basis", "Basis"),
    GridColumn("engine", "Engine"),
    GridColumn("max_batch", "Batch", descending_first=True),
    GridColumn("max_context", "Context", descending_first=True),
    GridColumn("mem", "GiB"),
    GridColumn("kind", "Kind"),
    GridColumn("name", "Name"),
)
"""Grid columns in display order (the name moves next to the id on wide terminals); keys 1-9 and 0 sort."""
_FIT_ORDER = {"ok": 0, "tight": 1, "no": 2, "n/a": 3}


def row_basis(row: GridRow, grid_basis: str | None = None) -> str | None:
    """The cost basis of a grid row's price ("cloud" or "owned"), None when it has no price."""
    if row.usd_per_1m_output_tokens is None:
        return None
    return row.cost_basis or grid_basis


def row_nodes(row: GridRow) -> int | None:
    """How many nodes the row's GPU count spans."""
    return row.nodes_needed


def _sort_value(row: GridRow, key: str, basis: str | None = None) -> Any:
    if key == "hardware":
        return row.hardware
    if key == "name":
        return row.name.lower()
    if key == "fit":
        return (_FIT_ORDER.get(row.fit_state, 9), row.gpus_needed or 10**6, row.usd_per_1m_output_tokens or math.inf)
    if key == "gpus":
        return row.gpus_needed
    if key == "max_batch":
        return row.max_batch if row.fits else None
    if key == "max_context":
        return row.max_context if row.fits else None
    if key == "tok_s":
        return row.decode_tok_s
    if key == "out_tok_s":
        return row.output_tok_s_total if row.fits else None
    if key == "usd_1m":
        # Only prices on the grid's basis compare with each other; any other price sorts with the missing ones.
        if basis is not None and row_basis(row, basis) != basis:
            return None
        return row.usd_per_1m_output_tokens
    if key == "basis":
        return row_basis(row, basis)
    if key == "engine":
        return row.engine
    if key == "mem":
        return row.capacity_per_gpu_gib
    if key == "kind":
        return row.kind
    raise KeyError(key)


def sort_grid(
    rows: Iterable[GridRow],
    key: str = "fit",
    reverse: bool = False,
    kind: str | None = None,
    *,
    fits_only: bool = False,
    basis: str | None = None,
) -> list[GridRow]:
    """Rows filtered (hardware kind, fitting only) and sorted by a column; rows without a value go last."""
    chosen = [r for r in rows if (kind is None or r.kind == kind) and (r.fits or not fits_only)]
    column = next((c for c in GRID_COLUMNS if c.key == key), GRID_COLUMNS[1])
    descending = column.descending_first != reverse
    present = [r for r in chosen if _sort_value(r, column.key, basis) is not None]
    missing = [r for r in chosen if _sort_value(r, column.key, basis) is None]
    present.sort(key=lambda r: r.name.lower())
    present.sort(key=lambda r: _sort_value(r, column.key, basis), reverse=descending)
    missing.sort(key=lambda r: (_FIT_ORDER.get(r.fit_state, 9), r.name.lower()))
    return present + missing


# ----------------------------------------------------------------------------- pickers


@dataclass(frozen=True, slots=True)
class PickOption:
    """One entry of a filterable picker: the id it sets, a label and words it matches."""

    id: str
    label: str
    detail: str
    haystack: str


def model_options(catalog: Catalog) -> list[PickOption]:
    """Every open and API model, open ones first."""
    from llmcalc_tui.core.architecture import param_breakdown

    options = []
    for m in catalog.models.values():
        params = param_breakdown(m)
        size = fmt_count(params.total)
        if params.active != params.total:
            size += f" ({fmt_count(params.active)} active)"
        detail = f"{size} open, {m.context_length // 1024}k ctx"
        if m.id in catalog.api_models:
            detail += ", also a hosted API"
        options.append(PickOption(m.id, m.name, detail, " ".join([m.id, m.name, m.family, *m.aliases, "open"]).lower()))
    # An id that is both an open model and a hosted endpoint is listed once, as the open model: the
    # deployment field (or the vs-API view) prices the endpoint.
    options.extend(o for o in api_model_options(catalog) if o.id not in catalog.models)
    return options


def api_model_options(catalog: Catalog) -> list[PickOption]:
    """API models only, live ones first."""
    options = []
    for a in catalog.api_models.values():
        detail = f"{a.provider} API ${plain_number(a.input_usd_per_1m)}/${plain_number(a.output_usd_per_1m)} per 1M" + (" retired" if a.retired else "")
        options.append(PickOption(a.id, a.name, detail, " ".join([a.id, a.name, a.provider, "api"]).lower()))
    return sorted(options, key=lambda o: catalog.api_models[o.id].retired)


def hardware_options(catalog: Catalog) -> list[PickOption]:
    """Every hardware entry."""
    options = []
    for h in catalog.hardware.values():
        detail = f"{h.kind}, {plain_number(h.memory_gb)} GB, {h.bandwidth_gb_s:,.0f} GB/s"
        options.append(PickOption(h.id, h.name, detail, " ".join([h.id, h.name, h.vendor, h.kind]).lower()))
    return options


PICK_KINDS: Mapping[str, IdKind] = MappingProxyType({"model": "model", "hardware": "hardware",
                                                     "api_model": "api_model", "draft_model": "model"})
"""Picker field -> the kind of catalog id the core's forgiving search looks for."""


def filter_options(
    options: Sequence[PickOption],
    text: str,
    limit: int | None = None,
    *,
    catalog: Catalog | None = None,
    kind: IdKind | None = None,
) -> list[PickOption]:
    """Options whose words contain every word of `text`, exact and prefix id matches first; when none
    does, the core's forgiving id search (Hugging Face repos, names, variants) picks them."""
    words = text.lower().split()
    if not words:
        return list(options[:limit] if limit else options)
    needle = text.strip().lower()
    hits = [o for o in options if all(w in o.haystack for w in words)]
    hits.sort(key=lambda o: (o.id != needle, not o.id.startswith(needle), needle not in o.id))
    if not hits and catalog is not None and kind is not None:
        by_id = {o.id: o for o in options}
        hits = [by_id[i] for i in search_ids(text, catalog, kind) if i in by_id]
    return hits[:limit] if limit else hits


def resolves_id(field: str, text: str, catalog: Catalog) -> bool:
    """Whether a picker field's text names one catalog entry (the core's forgiving lookup)."""
    kind = PICK_KINDS.get(field)
    if kind is None or not text.strip():
        return False
    try:
        lookup_id(text, catalog, kind)
    except ScenarioError:
        return False
    return True


def complete_id(field: str, text: str, catalog: Catalog) -> str | None:
    """The id a picker field's grey completion offers for typed text (None: nothing to add).

    The core's forgiving search finds it ("A100" -> a100-40gb-pcie, "llama 3.1 7" -> llama-3.1-70b);
    it is offered only when it continues what was typed, since the field shows the rest after the text.
    """
    kind = PICK_KINDS.get(field)
    typed = normalise_id(text)
    if kind is None or not typed or len(typed) != len(text):
        return None
    for found in search_ids(text, catalog, kind, limit=5):
        if found.startswith(typed) and len(found) > len(typed):
            return found
    return None


# ----------------------------------------------------------------------------- reading an estimate


@dataclass(frozen=True, slots=True)
class EstimateFacts:
    """What the app shows beyond the raw figures: cost basis, replicas, devices needed, both TTFTs."""

    basis_kind: str
    """cloud, owned or api."""
    replicas: int | None
    """Copies of the setup the request rate needs (None: not known)."""
    gpus_needed: int | None
    """Fewest devices of this hardware that hold the setup (None: not known)."""
    nodes_needed: int | None
    """Nodes those devices span (None: not known)."""
    ttft_ms: float | None
    """What one request waits for its first token on a server running `batch` sequences."""
    ttft_batch_ms: float | None
    """Prefill of all `batch` prompts together."""


_DEPLOYMENT_BASIS = {"cloud": "cloud", "local": "owned", "api": "api"}


def estimate_facts(est: Estimate) -> EstimateFacts:
    """The facts of an estimate beyond its raw figures."""
    cost, timing = est.cost, est.timing
    return EstimateFacts(
        basis_kind=cost.basis_kind or _DEPLOYMENT_BASIS.get(est.deployment, est.deployment),
        replicas=cost.replicas,
        gpus_needed=est.gpus_needed,
        nodes_needed=est.nodes_needed,
        ttft_ms=timing.ttft_ms,
        ttft_batch_ms=timing.ttft_batch_ms,
    )


def needs_words(gpus: int | None, nodes: int | None, hardware_name: str) -> str:
    """'needs 16 x H100 SXM (2 nodes)' for a setup that does not fit as given."""
    if not gpus:
        return f"does not fit on any number of {hardware_name}"
    nodes_text = f" ({nodes} nodes)" if nodes and nodes > 1 else ""
    return f"needs {gpus:,} x {hardware_name}{nodes_text}"


# ----------------------------------------------------------------------------- comparisons


def break_even_requests_per_minute(self_hosted: Estimate | None, api: Estimate | None) -> float | None:
    """Request rate above which one replica of the self-hosted setup costs less per month than the API."""
    if self_hosted is None or api is None:
        return None
    per_hour = self_hosted.cost.per_hour
    per_request = api.cost.per_request
    if not per_hour or not per_request:
        return None
    return per_hour / (per_request * 60)


def capacity_requests_per_minute(self_hosted: Estimate | None) -> float | None:
    """Requests per minute one replica of the setup serves at its batch size."""
    if self_hosted is None or not self_hosted.timing.end_to_end_ms:
        return None
    replicas = max(1, self_hosted.gpus // max(1, self_hosted.tp * self_hosted.pp))
    return replicas * self_hosted.batch * 60_000 / self_hosted.timing.end_to_end_ms
