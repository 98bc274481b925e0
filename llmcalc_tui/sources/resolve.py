"""Turn a model text into a catalog entry: a catalog id stays one; a source is read, converted and added.

A resolved source joins the catalog under its own id with its canonical source text as an alias, so a
scenario that stores the source text (`hf:Org/Name`, `gguf:/path`) estimates and reopens like any id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from pathlib import Path

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.catalog.schema import Catalog, ModelSpec
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.config_dir import RawModel
from llmcalc_tui.sources.ref import SourceRef, looks_like_source, parse_source

_VARIANT_SUFFIX = re.compile(r"(-(instruct|it|chat|hf|base))+$")
_cache: dict[tuple[object, ...], ModelSpec] = {}
_cache_lock = threading.Lock()


def _variant_key(repo: str) -> str:
    return _VARIANT_SUFFIX.sub("", repo.strip().lower())


def catalog_id_for_repo(repo: str, catalog: Catalog) -> str | None:
    """The catalog model whose hf_repo is this repository, or its base/instruct variant (no network)."""
    wanted = repo.strip().lower()
    by_variant = None
    for model in catalog.models.values():
        if not model.hf_repo:
            continue
        if model.hf_repo.lower() == wanted:
            return model.id
        if by_variant is None and _variant_key(model.hf_repo) == _variant_key(wanted):
            by_variant = model.id
    return by_variant


def read_raw(ref: SourceRef) -> RawModel:
    """Read what a source holds (network for hf:, disk otherwise)."""
    if ref.kind == "hf":
        from llmcalc_tui.sources.hub import read_hub_source

        return read_hub_source(ref.location, ref.revision)
    if ref.kind == "gguf":
        from llmcalc_tui.sources.gguf_file import read_gguf_source

        return read_gguf_source(ref.location)
    from llmcalc_tui.sources.config_dir import read_config_source

    return read_config_source(ref.location)


def _freshness(ref: SourceRef) -> tuple[object, ...]:
    """What invalidates a cached model: the file's size and time for paths (a folder: its newest file)."""
    if ref.kind == "hf":
        return (ref.text,)
    path = Path(ref.location)
    try:
        files = [path, *path.iterdir()] if path.is_dir() else [path]
        return (ref.text, *((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    except OSError:
        return (ref.text, os.urandom(4))


def load_model(ref: SourceRef, model_id: str | None = None, today: dt.date | None = None) -> ModelSpec:
    """The ModelSpec a source describes (cached per process; files are re-read when they change)."""
    from llmcalc_tui.sources.convert import to_model_spec

    key = (_freshness(ref), model_id)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    raw = read_raw(ref)
    spec = to_model_spec(
        raw.config, model_id=model_id or ref.default_id(), name=raw.name, source=ref.text,
        as_of=today or dt.date.today(), hf_repo=raw.hf_repo, checkpoint_bytes=raw.checkpoint_bytes,
    )
    if raw.native_format and raw.native_format in load_builtin().formats:
        spec = spec.model_copy(update={"native_dtype": raw.native_format})
    if raw.notes:
        spec = spec.model_copy(update={"notes": "; ".join(filter(None, (spec.notes, raw.notes)))})
    with _cache_lock:
        _cache[key] = spec
    return spec


def with_model(catalog: Catalog, spec: ModelSpec, *aliases: str) -> Catalog:
    """A catalog that also holds `spec`, found by its id and the given aliases."""
    return catalog.model_copy(update={
        "models": {**catalog.models, spec.id: spec},
        "aliases": {**catalog.aliases, **{a.lower(): spec.id for a in aliases}},
    })


def is_known(text: str, catalog: Catalog) -> bool:
    key = text.strip().lower()
    return key in catalog.models or key in catalog.api_models or key in catalog.aliases


def resolve_model_text(text: str, catalog: Catalog) -> tuple[Catalog, str]:
    """(catalog holding the model, the text a scenario should store) for whatever the user typed.

    Catalog ids pass through. A plain ORG/NAME that is a catalog model's repository becomes that id without
    the network. Anything else that names a source is read and added under its canonical source text.
    """
    stripped = text.strip()
    if is_known(stripped, catalog) or not looks_like_source(stripped):
        return catalog, stripped
    if not stripped.startswith(("hf:", "gguf:", "config:")) and not Path(stripped).expanduser().exists():
        repo = stripped.partition("@")[0]
        match = catalog_id_for_repo(repo, catalog) if "@" not in stripped else None
        if match:
            # Keep the typed repo name where the core resolves it to the same entry: the estimate then
            # notes that an -Instruct variant shares the base model's architecture.
            from llmcalc_tui.core.scenario import ScenarioError, lookup_id

            try:
                same = lookup_id(stripped, catalog, "model")[0] == match
            except ScenarioError:
                same = False
            return catalog, stripped if same else match
    ref = parse_source(stripped)
    spec = load_model(ref)
    return with_model(catalog, spec, ref.alias, ref.text), ref.text


def catalog_for(scenario: Scenario, catalog: Catalog) -> Catalog:
    """The catalog with the scenario's model source resolved (unchanged for catalog ids)."""
    if is_known(scenario.model, catalog) or not looks_like_source(scenario.model):
        return catalog
    return resolve_model_text(scenario.model, catalog)[0]


__all__ = ["SourceError", "catalog_for", "catalog_id_for_repo", "load_model", "resolve_model_text", "with_model"]
