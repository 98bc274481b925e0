"""The pure modules must not import Textual or Rich (they run in the CLI and in tests without a UI)."""

from __future__ import annotations

import json
import subprocess
import sys

PURE_MODULES = [
    "llmcalc_tui.core",
    "llmcalc_tui.core.estimate",
    "llmcalc_tui.core.compat",
    "llmcalc_tui.core.scenario",
    "llmcalc_tui.core.units",
    "llmcalc_tui.core.bands",
    "llmcalc_tui.catalog",
    "llmcalc_tui.catalog.loader",
    "llmcalc_tui.catalog.schema",
    "llmcalc_tui.state",
    "llmcalc_tui.config",
    "llmcalc_tui.paths",
]


def test_pure_modules_import_no_textual_or_rich():
    code = (
        "import importlib, json, sys\n"
        f"for name in {PURE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "from llmcalc_tui.catalog.loader import load_builtin\n"
        "from llmcalc_tui.state import initial_state, apply_edit\n"
        "catalog = load_builtin()\n"
        "apply_edit(initial_state(catalog), 'batch', '4', catalog)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    leaked = json.loads(result.stdout.strip().splitlines()[-1])
    assert leaked == [], f"pure modules imported {leaked}"
