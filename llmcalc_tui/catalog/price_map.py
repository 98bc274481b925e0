"""Map a price map in LiteLLM's format onto the API catalog.

One code path for the generator (scripts/make_api_catalog.py, which writes the built-in
catalogs/api_models.toml) and for `llmcalc catalogs update-prices` (which writes a dated user overlay):
the endpoint selection (catalogs/sources/api_endpoints.toml) says which map key each catalog id
takes its prices from; the latency file (catalogs/sources/api_latency.toml) adds published
TTFT and output speed, a default network round trip and reasoning-token budgets, so a price
refresh keeps them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomli as tomllib
except ImportError:  # pragma: no cover
    import tomllib  # type: ignore[no-redef]

from pydantic import ValidationError

from llmcalc_tui.catalog.schema import ApiModelSpec

USABLE_MODES = {"chat", "responses", None}
"""Map entries whose `mode` is one of these price text generation."""
LONG_CONTEXT_KEY = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")
PRICE_FIELDS = (
    "input_usd_per_1m", "output_usd_per_1m", "cached_input_usd_per_1m",
    "batch_input_usd_per_1m", "batch_output_usd_per_1m",
    "priority_input_usd_per_1m", "priority_output_usd_per_1m", "priority_cached_input_usd_per_1m",
    "long_context_threshold", "long_context_input_usd_per_1m", "long_context_output_usd_per_1m",
    "long_context_cached_input_usd_per_1m", "long_context_priority_input_usd_per_1m",
    "long_context_priority_output_usd_per_1m", "long_context_priority_cached_input_usd_per_1m",
)
"""Fields whose change `update-prices` reports as a price change."""


class PriceMapError(ValueError):
    """The price map (or a source file) cannot be used; the message is one line."""


def sources_dir() -> Path:
    from llmcalc_tui.resources import catalogs_dir

    return catalogs_dir() / "sources"


def per_million(value: Any) -> float | None:
    """A per-token price as USD per 1M tokens, rounded off binary noise (1.75e-07 -> 0.175)."""
    number = _finite(value)
    if number is None or number < 0:
        return None
    return round(number * 1_000_000, 9)


def _finite(value: Any) -> float | None:
    """A map value as a finite float (the map holds numbers, numeric strings, booleans and junk)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _finite(value)
    if number is None or number <= 0:
        return None
    return int(number)


def parse_price_map(raw: bytes | str) -> dict[str, dict]:
    """Decode a LiteLLM-format map: a JSON object of model key -> object. Raise PriceMapError if it is not one."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PriceMapError(f"not a JSON price map: {exc}") from None
    if not isinstance(data, dict):
        raise PriceMapError("not a price map: the JSON is not an object of model keys")
    entries = {k: v for k, v in data.items() if isinstance(v, dict) and k != "sample_spec"}
    priced = [v for v in entries.values() if "input_cost_per_token" in v]
    if not priced:
        raise PriceMapError("not a price map: no entry has input_cost_per_token")
    return entries


@dataclass(frozen=True)
class Selection:
    """Which catalog ids take their prices from which map keys (catalogs/sources/api_endpoints.toml)."""

    endpoints: list[dict]


@dataclass(frozen=True)
class LatencyData:
    """Published latency per endpoint, the default network round trip and reasoning budgets."""

    sources: dict[str, dict]
    measurements: dict[str, list[dict]]
    network: dict
    reasoning: dict


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PriceMapError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PriceMapError(f"{path}: TOML syntax error: {exc}") from None


def load_selection(path: Path | None = None) -> Selection:
    data = _read_toml(path or sources_dir() / "api_endpoints.toml")
    return Selection(list(data.get("endpoint", [])))


def load_latency(path: Path | None = None) -> LatencyData:
    data = _read_toml(path or sources_dir() / "api_latency.toml")
    sources = {s["id"]: s for s in data.get("source", [])}
    measurements: dict[str, list[dict]] = {}
    for m in data.get("measurement", []):
        if m["source"] not in sources:
            raise PriceMapError(f"latency measurement for {m['endpoint']} names unknown source {m['source']!r}")
        measurements.setdefault(m["endpoint"], []).append(m)
    return LatencyData(sources, measurements, data.get("network", {}), data.get("reasoning", {}))


def long_context_tier(entry: dict) -> dict[str, Any]:
    """The lowest `above_Nk_tokens` tier of a map entry (threshold and prices per 1M, priority ones too)."""
    tiers = sorted(int(m.group(1)) for key in entry if (m := LONG_CONTEXT_KEY.match(key)))
    for thousands in tiers:
        suffix = f"_above_{thousands}k_tokens"
        price = per_million(entry.get("input_cost_per_token" + suffix))
        if price is None:
            continue
        return {
            "long_context_threshold": thousands * 1000,
            "long_context_input_usd_per_1m": price,
            "long_context_output_usd_per_1m": per_million(entry.get("output_cost_per_token" + suffix)),
            "long_context_cached_input_usd_per_1m": per_million(entry.get("cache_read_input_token_cost" + suffix)),
            "long_context_priority_input_usd_per_1m": per_million(entry.get(f"input_cost_per_token{suffix}_priority")),
            "long_context_priority_output_usd_per_1m":
                per_million(entry.get(f"output_cost_per_token{suffix}_priority")),
            "long_context_priority_cached_input_usd_per_1m":
                per_million(entry.get(f"cache_read_input_token_cost{suffix}_priority")),
        }
    return {}


def prices_from_entry(entry: dict) -> dict[str, Any]:
    """Catalog fields a map entry carries (prices per 1M, limits, flags); missing ones are left out."""
    out: dict[str, Any] = {
        "input_usd_per_1m": per_million(entry.get("input_cost_per_token")),
        "output_usd_per_1m": per_million(entry.get("output_cost_per_token")),
        "cached_input_usd_per_1m": per_million(
            entry.get("cache_read_input_token_cost", entry.get("input_cost_per_token_cache_hit"))
        ),
        "batch_input_usd_per_1m": per_million(entry.get("input_cost_per_token_batches")),
        "batch_output_usd_per_1m": per_million(entry.get("output_cost_per_token_batches")),
        "priority_input_usd_per_1m": per_million(entry.get("input_cost_per_token_priority")),
        "priority_output_usd_per_1m": per_million(entry.get("output_cost_per_token_priority")),
        "priority_cached_input_usd_per_1m": per_million(entry.get("cache_read_input_token_cost_priority")),
        "context_length": _count(entry.get("max_input_tokens")) or _count(entry.get("max_tokens")),
        "max_output_tokens": _count(entry.get("max_output_tokens")) or _count(entry.get("max_tokens")),
        "reasoning": bool(entry.get("supports_reasoning", False)),
    }
    out.update(long_context_tier(entry))
    deprecation = entry.get("deprecation_date")
    if isinstance(deprecation, str):
        try:
            out["deprecation_date"] = dt.date.fromisoformat(deprecation)
        except ValueError:
            pass
    return {k: v for k, v in out.items() if v is not None}


def latency_fields(endpoint_id: str, latency: LatencyData) -> dict[str, Any]:
    """ttft_ms / output_tok_s (median of the published values) and their spread, with the sources."""
    found = latency.measurements.get(endpoint_id, [])
    out: dict[str, Any] = {}
    for name in ("ttft_ms", "output_tok_s"):
        values = [float(m[name]) for m in found if m.get(name) is not None]
        if values:
            out[name] = round(statistics.median(values), 3)
            if len(values) > 1:
                out[f"{name}_low"], out[f"{name}_high"] = min(values), max(values)
    if out:
        used = []
        for m in found:
            source = latency.sources[m["source"]]
            text = f"{source['title']} ({source['as_of']})"
            if text not in used:
                used.append(text)
        out["latency_source"] = " | ".join(used)
        out["latency_as_of"] = max(latency.sources[m["source"]]["as_of"] for m in found)
    return out


@dataclass
class BuildResult:
    """Catalog entries (validated dicts, in selection order) and what could not be mapped."""

    entries: list[dict]
    missing: list[str] = field(default_factory=list)
    """Selection ids whose key the map lacks and that have no pinned prices."""
    pinned: list[str] = field(default_factory=list)
    """Ids kept from their pinned (older) source because the map no longer prices them."""


def build_entries(
    price_map: dict[str, dict], selection: Selection, latency: LatencyData, *, as_of: dt.date, source: str,
) -> BuildResult:
    """Catalog entries for every selected endpoint the map (or its pinned data) prices."""
    result = BuildResult([])
    for chosen in selection.endpoints:
        entry = _build_one(chosen, price_map, latency, as_of=as_of, source=source, result=result)
        if entry is not None:
            result.entries.append(entry)
    return result


def _build_one(
    chosen: dict, price_map: dict[str, dict], latency: LatencyData, *, as_of: dt.date, source: str, result: BuildResult,
) -> dict | None:
    key = chosen["key"]
    mapped = price_map.get(key)
    usable = (
        mapped is not None and mapped.get("mode") in USABLE_MODES and mapped.get("input_cost_per_token") is not None
    )
    entry: dict[str, Any] = {"id": chosen["id"], "name": chosen["name"], "provider": chosen["provider"]}
    if usable:
        assert mapped is not None
        fields = prices_from_entry(mapped)
        for limit in ("context_length", "max_output_tokens"):
            if limit not in fields and limit in chosen:
                fields[limit] = chosen[limit]  # the map omits it; the selection says where the value comes from
        entry.update(fields)
        entry["source"] = f"{source} (key {key})"
        entry["as_of"] = as_of
        deprecated = fields.get("deprecation_date")
        retired = bool(chosen.get("retired")) or (deprecated is not None and deprecated <= as_of)
    elif "pinned" in chosen:
        pinned = dict(chosen["pinned"])
        entry.update(pinned)
        result.pinned.append(chosen["id"])
        retired = True
    else:
        result.missing.append(chosen["id"])
        return None
    entry["source_key"] = key
    if chosen.get("open_model"):
        entry["open_model"] = chosen["open_model"]
    if retired:
        entry["retired"] = True
    entry.update(latency_fields(chosen["id"], latency))
    network = latency.network
    if network.get("rtt_ms") is not None:
        entry["network_rtt_ms"] = network["rtt_ms"]
        entry["network_rtt_source"] = network["source"]
    if entry.get("reasoning") and latency.reasoning:
        for level in ("low", "medium", "high"):
            entry[f"reasoning_tokens_{level}"] = latency.reasoning[level]
        entry["reasoning_source"] = latency.reasoning["source"]
    notes = chosen.get("notes", "")
    if notes:
        entry["notes"] = notes
    entry = {k: v for k, v in entry.items() if v is not None}
    try:
        ApiModelSpec.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PriceMapError(
            f"{chosen['id']} (key {key}): {'.'.join(str(x) for x in first['loc'])}: {first['msg']}"
        ) from None
    return entry


FIRST_PARTY = {
    "openai": ("", "openai"), "anthropic": ("", "anthropic"), "gemini": ("gemini/", "google"),
    "xai": ("xai/", "xai"), "deepseek": ("deepseek/", "deepseek"), "mistral": ("mistral/", "mistral"),
    "moonshot": ("moonshot/", "moonshot"), "zai": ("zai/", "zai"), "minimax": ("minimax/", "minimax"),
}
"""litellm_provider -> (key prefix of its first-party entries, catalog provider name)."""
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def load_known_keys(path: Path | None = None) -> set[str]:
    """Keys of the map the built-in catalog was generated from (to tell which models are new)."""
    path = path or sources_dir() / "price_map_keys.txt"
    try:
        return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    except OSError as exc:
        raise PriceMapError(f"cannot read {path}: {exc.strerror or exc}") from None


def discover_new(price_map: dict[str, dict], known_keys: set[str], taken_ids: set[str], as_of: dt.date) -> list[dict]:
    """Selections for first-party text models that the map lists and the built-in map did not.

    The id is the key without its provider prefix, lowercased (gpt-5.7, grok-5); keys that are not
    slugs, already taken ids, deprecated entries and entries without prices or limits are skipped.
    """
    found = []
    for key, entry in price_map.items():
        if key in known_keys or not isinstance(entry, dict):
            continue
        provider = FIRST_PARTY.get(str(entry.get("litellm_provider")))
        if provider is None or entry.get("mode") not in ("chat", "responses"):
            continue
        prefix, name = provider
        if not key.startswith(prefix) or "/" in key[len(prefix):]:
            continue
        slug = key[len(prefix):].lower()
        fields = prices_from_entry(entry)
        deprecated = fields.get("deprecation_date")
        if (not SLUG.match(slug) or slug in taken_ids or "input_usd_per_1m" not in fields
                or "output_usd_per_1m" not in fields or "context_length" not in fields
                or "max_output_tokens" not in fields or (deprecated is not None and deprecated <= as_of)):
            continue
        found.append({"id": slug, "key": key, "name": key[len(prefix):], "provider": name,
                      "notes": "Added by update-prices: new in the price map."})
        taken_ids.add(slug)
    return found


FIELD_ORDER = (
    "id", "name", "provider", "source_key", "open_model",
    "input_usd_per_1m", "output_usd_per_1m", "cached_input_usd_per_1m",
    "batch_input_usd_per_1m", "batch_output_usd_per_1m",
    "priority_input_usd_per_1m", "priority_output_usd_per_1m", "priority_cached_input_usd_per_1m",
    "long_context_threshold", "long_context_input_usd_per_1m", "long_context_output_usd_per_1m",
    "long_context_cached_input_usd_per_1m", "long_context_priority_input_usd_per_1m",
    "long_context_priority_output_usd_per_1m", "long_context_priority_cached_input_usd_per_1m",
    "context_length", "max_output_tokens", "reasoning", "deprecation_date", "retired",
    "ttft_ms", "ttft_ms_low", "ttft_ms_high", "output_tok_s", "output_tok_s_low", "output_tok_s_high",
    "latency_source", "latency_as_of", "network_rtt_ms", "network_rtt_source",
    "reasoning_tokens_low", "reasoning_tokens_medium", "reasoning_tokens_high", "reasoning_source",
    "source", "as_of", "notes",
)


def render_toml(entries: list[dict], header: str) -> str:
    """The entries as `[[api_model]]` tables in a stable field order, under a comment header."""
    import tomli_w

    ordered = [
        {k: e[k] for k in (*FIELD_ORDER, *(k for k in e if k not in FIELD_ORDER)) if k in e} for e in entries
    ]
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + "\n" + tomli_w.dumps({"api_model": ordered})
