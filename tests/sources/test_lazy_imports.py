"""The sources stay cheap to import: no UI library, and the heavy ones (huggingface_hub, gguf, numpy, pynvml)
load only when a source of that kind is read."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = [
    "llmcalc_tui.sources", "llmcalc_tui.sources.ref", "llmcalc_tui.sources.resolve", "llmcalc_tui.sources.hub",
    "llmcalc_tui.sources.gguf_file", "llmcalc_tui.sources.config_dir", "llmcalc_tui.sources.machine",
    "llmcalc_tui.sources.importer", "llmcalc_tui.sources.commands", "llmcalc_tui.cli",
]


def test_importing_the_sources_loads_no_heavy_or_ui_library():
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "from llmcalc_tui.cli import main\n"
        "main(['estimate', '--model', 'llama-3.1-8b', '--json'])\n"
        "heavy = ('textual', 'rich', 'huggingface_hub', 'gguf', 'numpy', 'pynvml')\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
