"""`models import`: save a resolved source as a user-catalog entry, so its id works later without the source.

Each import is one TOML file, imported-<id>.toml, in the user catalog folder the app and the CLI both read
(`llmcalc locate catalogs`). It is written atomically; importing the same id again replaces it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from llmcalc_tui import paths
from llmcalc_tui.catalog.loader import tomllib
from llmcalc_tui.catalog.model_toml import model_to_toml
from llmcalc_tui.catalog.schema import Catalog, ModelSpec
from llmcalc_tui.safe_io import atomic_write
from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.ref import parse_source

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
FILE_PREFIX = "imported-"


@dataclass(frozen=True)
class Imported:
    model: ModelSpec
    path: Path
    replaced: bool


def import_path(model_id: str, directory: Path | None = None) -> Path:
    return (directory or paths.user_catalogs_dir()) / f"{FILE_PREFIX}{model_id}.toml"


def entry_toml(spec: ModelSpec, source_text: str, today: dt.date) -> bytes:
    """The TOML file of one imported model; the source text is also an alias, so it resolves offline."""
    aliases = tuple(a for a in spec.aliases if a.lower() != source_text.lower()) + (source_text,)
    head = (
        f"# Imported by `llmcalc models import {source_text}` on {today.isoformat()}.\n"
        "# Re-run the import to refresh it; delete this file to forget the model.\n\n"
    )
    return (head + model_to_toml(spec.model_copy(update={"aliases": aliases}))).encode("utf-8")


def import_model(
    source_text: str,
    catalog: Catalog,
    model_id: str | None = None,
    directory: Path | None = None,
    today: dt.date | None = None,
) -> Imported:
    """Read the source, convert it, and write it to the user catalog; raises SourceError or OSError."""
    from llmcalc_tui.sources.resolve import load_model

    today = today or dt.date.today()
    if model_id is not None:
        model_id = model_id.strip().lower()
        if not ID_PATTERN.match(model_id):
            raise SourceError(f"--id {model_id!r} is not a catalog id (lowercase letters, digits, . _ -)")
    ref = parse_source(source_text)
    if ref.kind == "hf" and not source_text.strip().startswith("hf:") and not ref.revision:
        from llmcalc_tui.sources.resolve import catalog_id_for_repo

        known = catalog_id_for_repo(ref.location, catalog)
        if known:
            raise SourceError(f"{ref.location} is already in the catalog as {known} (hf:{ref.location} imports "
                              "the Hub's config anyway)")
    chosen = model_id or ref.default_id()
    builtin = catalog.models.get(chosen)
    path = import_path(chosen, directory)
    if builtin is not None and not path.exists() and not builtin.source.startswith(("hf:", "gguf:", "config:")):
        raise SourceError(f"id {chosen!r} is already a catalog model; pick another with --id")
    spec = load_model(ref, model_id=chosen, today=today)
    payload = entry_toml(spec, ref.text, today)
    # Check the entry the way the catalog loader will read it, so a file that would not load is never written.
    try:
        ModelSpec.model_validate(tomllib.loads(payload.decode("utf-8"))["model"][0])
    except (ValueError, KeyError) as exc:
        raise SourceError(f"cannot save {chosen!r}: the catalog would reject it ({exc})") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    replaced = path.exists()
    atomic_write(path, payload)
    return Imported(spec, path, replaced)
