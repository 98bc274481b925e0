"""Entry point: `llmcalc` (console script) and `python -m llmcalc_tui`."""

from __future__ import annotations

import gc
import sys


def main() -> int:
    # Start-up allocates hundreds of thousands of long-lived objects (modules, catalog, widgets) and
    # nothing cyclic worth collecting; collections during it cost ~10% of the time to first frame.
    # The app re-enables the collector once its first frame is out, CLI commands once the catalog is in.
    gc.disable()
    from llmcalc_tui.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
