"""Commands beyond the estimate core (scenarios, validate, verify, plan), registered on the main parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from llmcalc_tui.catalog.schema import Catalog

COMMANDS: dict[str, Callable[[argparse.Namespace, Catalog], int]] = {}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the extra sub-commands to the CLI."""
    for module_name in (
        "llmcalc_tui.validate_cli",
        "llmcalc_tui.scenarios_cli",
        "llmcalc_tui.verify_cli",
        "llmcalc_tui.plan_cli",
        "llmcalc_tui.sources.commands",
        "llmcalc_tui.compare_cli",
        "llmcalc_tui.prices_cli",
        "llmcalc_tui.completion_cli",
        "llmcalc_tui.quants_cli",
    ):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        COMMANDS.update(module.register(sub))
