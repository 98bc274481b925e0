"""Theme files: a TOML table of Textual `Theme` fields plus `[variables]`, validated and converted."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import Theme

from llmcalc_tui import paths
from llmcalc_tui.resources import themes_dir
from llmcalc_tui.safe_io import UnreadableFile, read_regular_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP_VARIABLES: dict[str, str] = {
    "fit-ok": "#4EBF71",
    "fit-tight": "#E5A50A",
    "fit-no": "#E0475B",
    "metric-accent": "#5FB3FF",
    "mem-weights": "#5B8DEF",
    "mem-kv": "#B07CE8",
    "mem-activations": "#E5A50A",
    "mem-overhead": "#8A8F98",
    "mem-free": "#3A3F48",
    "best-value": "#4EBF71",
}
"""App-specific theme variables and the values used when a theme does not set them."""

_COLOR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
                 "background", "surface", "panel", "boost")


def _check_color(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"{value!r} is not a colour ({exc})") from None
    return value


class ThemeFile(BaseModel):
    """One theme file; colours are checked with Textual's parser."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Name shown in the theme picker and used in config.toml."""
    primary: str
    secondary: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    dark: bool = True
    """Whether the theme is dark (Textual derives shades from it)."""
    luminosity_spread: float = Field(default=0.15, ge=0, le=1)
    text_alpha: float = Field(default=0.95, ge=0, le=1)
    variables: dict[str, str] = Field(default_factory=dict)
    """Extra CSS variables: the app's ($fit-ok, $mem-weights, ...) and Textual's."""

    @field_validator(*_COLOR_FIELDS)
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        return _check_color(value)

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        # Every value ends up in Textual's CSS: one it cannot read would stop the app when the theme is applied.
        for key, setting in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key):
                raise ValueError(f"{key!r} is not a CSS variable name (letters, digits, - and _)")
            if key.endswith("-text-style"):
                words = setting.split()
                if not words or not set(words) <= VALID_STYLE_FLAGS or ("none" in words and len(words) > 1):
                    raise ValueError(
                        f"{key} = {setting!r} is not a text style (words among {', '.join(sorted(VALID_STYLE_FLAGS))})"
                    )
            else:
                try:
                    Color.parse(setting)
                except ColorParseError:
                    raise ValueError(f"{key} = {setting!r} is not a colour") from None
        return value

    def to_textual_theme(self) -> Theme:
        """The Textual theme; app variables the file leaves out get their defaults."""
        data = self.model_dump(exclude={"variables"})
        return Theme(**data, variables={**APP_VARIABLES, **self.variables})


@dataclass
class ThemeLoadResult:
    """Themes that loaded and `path: reason` lines for the files that did not."""

    themes: list[Theme] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def load_theme_file(path: Path) -> Theme:
    """Read and validate one theme file; raises ValueError naming the file and field."""
    try:
        text = read_regular_text(path)
        data = tomllib.loads(text)
    except UnreadableFile as exc:
        raise ValueError(f"{path}: {exc.strerror}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: TOML syntax error: {exc}") from None
    data.setdefault("name", path.stem)
    try:
        return ThemeFile.model_validate(data).to_textual_theme()
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        message = str(err["msg"]).removeprefix("Value error, ")
        line = _line_of_key(text, [*reversed([str(x) for x in err["loc"]]), *re.findall(r"[\w-]+", message)])
        where = f"{path}:{line}" if line else str(path)
        raise ValueError(f"{where}: {loc}: {message}") from None


def _line_of_key(text: str, keys: list[str]) -> int | None:
    """Line of the first `key = ...` among `keys` (most precise first), to point at the bad setting."""
    lines = text.splitlines()
    for key in keys:
        pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
        for number, line in enumerate(lines, 1):
            if pattern.match(line):
                return number
    return None


def load_themes(directories: list[Path] | None = None) -> ThemeLoadResult:
    """Built-in themes then user themes (a user theme replaces a built-in of the same name)."""
    if directories is None:
        directories = [themes_dir(), paths.user_themes_dir()]
    result = ThemeLoadResult()
    by_name: dict[str, Theme] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ValueError as exc:
                result.failed.append(str(exc))
                continue
            by_name[theme.name] = theme
    result.themes = list(by_name.values())
    return result
