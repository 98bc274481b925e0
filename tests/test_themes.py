"""Theme files: the built-ins load, bad files are reported, user themes override by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcalc_tui.resources import themes_dir
from llmcalc_tui.themes import APP_VARIABLES, ThemeFile, load_theme_file, load_themes

REQUIRED = {"llmcalc-dark", "llmcalc-light", "llmcalc-high-contrast"}


def test_builtin_themes_load():
    result = load_themes([themes_dir()])
    names = {t.name for t in result.themes}
    assert result.failed == []
    assert REQUIRED <= names
    assert len(names) >= 4


@pytest.mark.parametrize("path", sorted(themes_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_builtin_theme_sets_every_app_variable(path: Path):
    theme = load_theme_file(path)
    assert theme.name == path.stem
    assert set(APP_VARIABLES) <= set(theme.variables)


def test_light_theme_is_light():
    theme = load_theme_file(themes_dir() / "llmcalc-light.toml")
    assert theme.dark is False


def test_bad_colour_names_file_and_field(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text('primary = "not-a-colour"\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_theme_file(path)
    assert str(path) in str(info.value) and "primary" in str(info.value)


def test_unknown_key_rejected(tmp_path: Path):
    path = tmp_path / "extra.toml"
    path.write_text('primary = "#ffffff"\nsparkle = true\n', encoding="utf-8")
    with pytest.raises(ValueError, match="sparkle"):
        load_theme_file(path)


def test_user_theme_overrides_and_failures_are_collected(tmp_path: Path):
    user = tmp_path / "themes"
    user.mkdir()
    (user / "llmcalc-dark.toml").write_text('name = "llmcalc-dark"\nprimary = "#ff0000"\n', encoding="utf-8")
    (user / "mine.toml").write_text('primary = "#00ff00"\ndark = false\n', encoding="utf-8")
    (user / "bad.toml").write_text("primary = [\n", encoding="utf-8")
    result = load_themes([themes_dir(), user])
    by_name = {t.name: t for t in result.themes}
    assert by_name["llmcalc-dark"].primary == "#ff0000"
    assert by_name["mine"].dark is False
    assert by_name["mine"].variables["fit-ok"] == APP_VARIABLES["fit-ok"]
    assert len(result.failed) == 1 and "bad.toml" in result.failed[0]


def test_theme_file_converts():
    theme = ThemeFile(name="x", primary="#123456", variables={"fit-ok": "#00ff00"}).to_textual_theme()
    assert theme.variables["fit-ok"] == "#00ff00"
    assert theme.variables["fit-no"] == APP_VARIABLES["fit-no"]
