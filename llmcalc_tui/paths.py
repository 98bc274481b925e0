"""User config and data directories (platformdirs, so XDG_* is honoured; LLMCALC_* overrides)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "llmcalc"


def data_dir() -> Path:
    """Where scenarios, user themes, user catalogs and UI state live."""
    override = os.environ.get("LLMCALC_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Where config.toml lives."""
    override = os.environ.get("LLMCALC_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def scenarios_dir() -> Path:
    return data_dir() / "scenarios"


def user_themes_dir() -> Path:
    return data_dir() / "themes"


def user_catalogs_dir() -> Path:
    return data_dir() / "catalogs"
