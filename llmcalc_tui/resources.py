"""Locate the built-in catalogs and themes: env override, packaged copy, then source checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(packaged: str, env_var: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override)
    inside = _PACKAGE / packaged
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / packaged


def catalogs_dir() -> Path:
    """Directory of the built-in catalog TOML files."""
    return _locate("catalogs", "LLMCALC_BUILTIN_CATALOG_DIR")


def themes_dir() -> Path:
    """Directory of the built-in theme TOML files."""
    return _locate("themes", "LLMCALC_BUILTIN_THEME_DIR")


def benchmarks_dir() -> Path:
    """Directory of the measured results used for calibration and `llmcalc validate`."""
    return catalogs_dir() / "benchmarks"
