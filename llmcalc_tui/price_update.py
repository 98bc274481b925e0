"""Refresh API prices: read a LiteLLM-format price map, map it onto the API catalog, write a dated overlay.

The overlay goes into the user's catalog directory (never the built-ins), as `api-prices-DATE.toml`;
later files override earlier ones by id, so the newest overlay wins and deleting it restores the
built-in prices. Nothing is written unless the whole map was read and mapped.
"""

from __future__ import annotations

import datetime as dt
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from llmcalc_tui.catalog.price_map import (
    PRICE_FIELDS,
    PriceMapError,
    Selection,
    build_entries,
    discover_new,
    load_known_keys,
    load_latency,
    load_selection,
    parse_price_map,
    render_toml,
)
from llmcalc_tui.catalog.schema import ApiModelSpec, Catalog

DEFAULT_URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
MAX_BYTES = 64 * 2**20
"""The public map is about 1.5 MB; anything this large is not a price map."""
DEFAULT_TIMEOUT_S = 20.0


class PriceUpdateError(Exception):
    """Why no overlay was written, in one line."""


def read_source(source: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bytes:
    """The bytes of a price map from an http(s) URL or a local file."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=timeout_s) as response:  # noqa: S310 (http(s) only)
                data = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise PriceUpdateError(f"{source}: HTTP {exc.code} {exc.reason}") from None
        except (TimeoutError, socket.timeout):
            raise PriceUpdateError(f"{source}: no answer within {timeout_s:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise PriceUpdateError(f"{source}: no answer within {timeout_s:g} s") from None
            raise PriceUpdateError(f"cannot reach {source}: {reason}") from None
        except (OSError, ValueError) as exc:
            raise PriceUpdateError(f"cannot read {source}: {exc}") from None
    else:
        path = Path(source).expanduser()
        try:
            if not path.is_file():
                raise PriceUpdateError(f"{path}: not a regular file")
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise PriceUpdateError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise PriceUpdateError(f"{source}: larger than {MAX_BYTES // 2**20} MiB, not a price map")
    return data


@dataclass
class PriceChange:
    id: str
    field: str
    old: object
    new: object


@dataclass
class UpdateReport:
    path: Path
    as_of: dt.date
    endpoints: int
    new: list[str] = field(default_factory=list)
    changes: list[PriceChange] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Catalog endpoints the map does not price (they keep their current prices)."""

    def lines(self) -> list[str]:
        out = [f"wrote {self.path}: {self.endpoints} endpoints, prices as of {self.as_of}"]
        out.append(f"new endpoints: {', '.join(self.new)}" if self.new else "new endpoints: none")
        if self.changes:
            out.append(f"price changes ({len(self.changes)}):")
            out.extend(f"  {c.id}: {c.field} {_fmt(c.old)} -> {_fmt(c.new)}" for c in self.changes)
        else:
            out.append("price changes: none")
        if self.missing:
            out.append(f"not in this map (prices unchanged): {', '.join(self.missing)}")
        return out


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def diff(current: dict[str, ApiModelSpec], entries: list[dict]) -> tuple[list[str], list[PriceChange]]:
    """New ids and changed prices of the mapped entries against the catalog the user has now."""
    new, changes = [], []
    for entry in entries:
        old = current.get(entry["id"])
        if old is None:
            new.append(entry["id"])
            continue
        for name in (*PRICE_FIELDS, "retired"):
            before, after = getattr(old, name), entry.get(name, False if name == "retired" else None)
            if before != after:
                changes.append(PriceChange(entry["id"], name, before, after))
    return new, changes


def update_prices(
    source: str, catalog_dir: Path, current: Catalog, *, as_of: dt.date | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> UpdateReport:
    """Fetch, map and write the overlay; raise PriceUpdateError (nothing written) on any failure."""
    as_of = as_of or dt.datetime.now(dt.timezone.utc).date()
    raw = read_source(source, timeout_s)
    try:
        price_map = parse_price_map(raw)
        selection = load_selection()
        taken = {e["id"] for e in selection.endpoints} | set(current.api_models) | set(current.models)
        discovered = discover_new(price_map, load_known_keys(), taken, as_of)
        result = build_entries(
            price_map, Selection([*selection.endpoints, *discovered]), load_latency(), as_of=as_of,
            source=f"{source} (fetched {as_of})",
        )
    except PriceMapError as exc:
        raise PriceUpdateError(f"{source}: {exc}") from None
    entries = [e for e in result.entries if e["id"] not in result.pinned]
    if not entries:
        raise PriceUpdateError(f"{source}: the map prices none of the catalog's API endpoints")
    new, changes = diff(current.api_models, entries)
    header = (
        f"API prices from {source}, fetched {as_of} by `llmcalc catalogs update-prices`.\n"
        "Overrides the built-in entries of the same id; delete this file to go back to the built-in prices."
    )
    path = catalog_dir / f"api-prices-{as_of.isoformat()}.toml"
    try:
        from llmcalc_tui.safe_io import atomic_write

        catalog_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, render_toml(entries, header).encode("utf-8"))
    except OSError as exc:
        raise PriceUpdateError(f"cannot write {path}: {exc.strerror or exc}") from None
    missing = [i for i in result.missing if i in current.api_models]
    return UpdateReport(path, as_of, len(entries), new, changes, missing)
