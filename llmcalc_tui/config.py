"""Settings from config.toml and the remembered UI state in ui_state.json (PURE: no textual)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmcalc_tui import paths
from llmcalc_tui.safe_io import UnreadableFile, atomic_write, read_regular_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "config.toml"
UI_STATE_FILE = "ui_state.json"
DEFAULT_THEME = "llmcalc-dark"
"""Theme used when neither the command line, config.toml nor ui_state.json name one."""
HARDWARE_KINDS = ("datacenter", "workstation", "consumer", "apple", "edge", "cpu")


class Settings(BaseModel):
    """What config.toml may set; every field has a default so no file is needed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    theme: str | None = None
    """Theme name; when set it wins over the theme remembered from the last run."""
    animation_level: Literal["none", "basic", "full"] = "none"
    """Textual animation level; none keeps redraws cheap over SSH."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> key(s), e.g. save-scenario = "ctrl+s,f10"."""
    catalog_dirs: list[Path] = Field(default_factory=list)
    """Extra catalog directories loaded after the user catalog dir (later ones win by id)."""
    scenario: dict[str, Any] = Field(default_factory=dict)
    """Starting scenario fields (model, hardware, ...) used instead of the built-in defaults."""
    confirm_quit: bool = True
    """Whether ctrl+q asks once before quitting with unsaved changes."""


class UiState(BaseModel):
    """What the app remembers between runs; written by the app, not by people."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    theme: str | None = None
    """Last theme picked in the app."""
    grid_sort: str | None = None
    """Key of the column the hardware grid was sorted by."""
    grid_reverse: bool = False
    """Whether that sort was descending."""
    grid_kind: str | None = None
    """Hardware kind the grid was filtered to (None: all)."""


@dataclass(frozen=True)
class SettingsResult:
    """Settings plus the problems found reading them (the defaults stand in for bad values)."""

    settings: Settings
    problems: list[str] = field(default_factory=list)


def config_path() -> Path:
    """Path of config.toml (it need not exist)."""
    return paths.config_dir() / CONFIG_FILE


def ui_state_path() -> Path:
    """Path of ui_state.json (it need not exist)."""
    return paths.data_dir() / UI_STATE_FILE


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_settings(path: Path | None = None) -> SettingsResult:
    """Read config.toml; a missing file gives defaults, a bad one gives defaults plus problems naming file and field."""
    path = path or config_path()
    try:
        text = read_regular_text(path)
    except FileNotFoundError:
        return SettingsResult(Settings())
    except UnreadableFile as exc:
        return SettingsResult(Settings(), [f"{path}: {exc.strerror}"])
    except (OSError, UnicodeDecodeError) as exc:
        return SettingsResult(Settings(), [f"{path}: cannot read: {exc}"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return SettingsResult(Settings(), [f"{path}: TOML syntax error: {exc}"])
    try:
        return SettingsResult(Settings.model_validate(data))
    except ValidationError as exc:
        problems = [f"{path}: {_format_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        bad_keys = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        kept = {k: v for k, v in data.items() if k not in bad_keys}
        try:
            return SettingsResult(Settings.model_validate(kept), problems)
        except ValidationError:
            return SettingsResult(Settings(), problems)


def load_ui_state(path: Path | None = None) -> UiState:
    """Read ui_state.json; anything missing or unreadable gives the defaults."""
    path = path or ui_state_path()
    try:
        return UiState.model_validate(json.loads(read_regular_text(path)))
    except (OSError, ValueError, ValidationError):
        return UiState()


def save_ui_state(state: UiState, path: Path | None = None) -> Path:
    """Write ui_state.json atomically (temp file in the same folder, then replace)."""
    path = path or ui_state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(state.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    atomic_write(path, payload.encode("utf-8"))
    return path


def user_catalog_dirs(settings: Settings) -> list[Path]:
    """User catalog folders, for the app and the CLI alike: the data dir's catalogs/ then those of config.toml."""
    return [paths.user_catalogs_dir(), *settings.catalog_dirs]


def choose_theme(cli_theme: str | None, settings: Settings, ui_state: UiState) -> str:
    """The theme to start with: command line, then config.toml, then the last one used, then the default."""
    for candidate in (cli_theme, settings.theme, ui_state.theme):
        if candidate:
            return candidate
    return DEFAULT_THEME
