"""Entry point: `llmcalc` (console script) and `python -m llmcalc_tui`."""

from __future__ import annotations

import sys


def main() -> int:
    from llmcalc_tui.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
