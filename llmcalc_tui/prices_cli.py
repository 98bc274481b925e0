"""`llmcalc catalogs update-prices [--from URL|FILE]`: a dated API-price overlay in the user's catalogs."""

from __future__ import annotations

import argparse
import datetime as dt

from llmcalc_tui.catalog.schema import Catalog


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of must be a date like 2026-07-24, got {text!r}") from None


def _timeout(text: str) -> float:
    from llmcalc_tui.cli import float_in

    return float_in("--timeout", 0, 600, low_open=True)(text)


def register(sub: argparse._SubParsersAction) -> dict:
    from llmcalc_tui.cli import OneLineParser
    from llmcalc_tui.price_update import DEFAULT_TIMEOUT_S, DEFAULT_URL

    top = sub.choices.get("catalogs") if hasattr(sub, "choices") else None
    if top is None:  # another module may already own `catalogs`; add to it then
        top = sub.add_parser("catalogs", help="catalog maintenance: update-prices")
    inner = next((a for a in top._actions if isinstance(a, argparse._SubParsersAction)), None)
    if inner is None:
        inner = top.add_subparsers(dest="catalogs_command", parser_class=OneLineParser, required=True,
                                   metavar="{update-prices}")
    p = inner.add_parser(
        "update-prices",
        help="refresh API prices from a LiteLLM-format price map into a dated user overlay",
        description=(
            "Reads a price map in LiteLLM's format, maps it onto the API catalog with the same code as "
            "scripts/make_api_catalog.py and writes api-prices-DATE.toml into the user catalog directory "
            "(`llmcalc locate catalogs`). The built-in catalogs are never changed."
        ),
    )
    p.add_argument("--from", dest="source", default=DEFAULT_URL, metavar="URL|FILE",
                   help=f"price map to read (default: {DEFAULT_URL})")
    p.add_argument("--as-of", type=_date, help="date of the prices (default: today, UTC)")
    p.add_argument("--timeout", type=_timeout, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the server")
    p.set_defaults(catalogs_handler=cmd_update_prices)
    return {"catalogs": cmd_catalogs}


def cmd_catalogs(args: argparse.Namespace, catalog: Catalog) -> int:
    """Dispatch `catalogs SUB`: each sub-command parser names its handler (others may add theirs)."""
    from llmcalc_tui.cli import UsageError

    handler = getattr(args, "catalogs_handler", None)
    if handler is None:
        raise UsageError("catalogs needs a sub-command: update-prices")
    return handler(args, catalog)


def cmd_update_prices(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui import paths
    from llmcalc_tui.catalog.loader import load_catalog
    from llmcalc_tui.cli import UsageError
    from llmcalc_tui.price_update import PriceUpdateError, update_prices

    user_dir = paths.user_catalogs_dir()
    current = load_catalog([user_dir]).catalog if user_dir.is_dir() else catalog
    try:
        report = update_prices(args.source, user_dir, current, as_of=args.as_of, timeout_s=args.timeout)
    except PriceUpdateError as exc:
        raise UsageError(str(exc)) from None
    print("\n".join(report.lines()))
    return 0
