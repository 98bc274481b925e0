"""config.toml and ui_state.json: defaults, bad files, round trips and theme precedence."""

from __future__ import annotations

from pathlib import Path

from llmcalc_tui.config import (
    DEFAULT_THEME,
    Settings,
    UiState,
    choose_theme,
    config_path,
    load_settings,
    load_ui_state,
    save_ui_state,
    ui_state_path,
)


def test_missing_config_gives_defaults(tmp_path: Path):
    result = load_settings(tmp_path / "nope.toml")
    assert result.settings == Settings()
    assert result.problems == []


def test_config_is_read(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "llmcalc-light"\n[keymap]\nsave-scenario = "f10"\n[scenario]\nmodel = "qwen2.5-7b"\n',
        encoding="utf-8",
    )
    result = load_settings(path)
    assert result.problems == []
    assert result.settings.theme == "llmcalc-light"
    assert result.settings.keymap == {"save-scenario": "f10"}
    assert result.settings.scenario == {"model": "qwen2.5-7b"}


def test_bad_field_is_reported_and_the_rest_kept(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "llmcalc-light"\nanimation_level = "wild"\ncolour = 3\n', encoding="utf-8")
    result = load_settings(path)
    assert result.settings.theme == "llmcalc-light"
    assert result.settings.animation_level == "none"
    assert len(result.problems) == 2
    assert all(str(path) in p for p in result.problems)
    assert any("animation_level" in p for p in result.problems)


def test_toml_syntax_error(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("theme = \n", encoding="utf-8")
    result = load_settings(path)
    assert result.settings == Settings()
    assert "TOML syntax error" in result.problems[0]


def test_paths_follow_environment(isolated_dirs):
    assert config_path().parent == isolated_dirs["LLMCALC_CONFIG_DIR"]
    assert ui_state_path().parent == isolated_dirs["LLMCALC_DATA_DIR"]


def test_ui_state_round_trip(tmp_path: Path):
    path = tmp_path / "sub" / "ui_state.json"
    assert load_ui_state(path) == UiState()
    save_ui_state(UiState(theme="llmcalc-amber", grid_kind="apple"), path)
    assert load_ui_state(path) == UiState(theme="llmcalc-amber", grid_kind="apple")


def test_broken_ui_state_gives_defaults(tmp_path: Path):
    path = tmp_path / "ui_state.json"
    path.write_text("{not json", encoding="utf-8")
    assert load_ui_state(path) == UiState()


def test_theme_precedence():
    remembered = UiState(theme="llmcalc-amber")
    assert choose_theme(None, Settings(), UiState()) == DEFAULT_THEME
    assert choose_theme(None, Settings(), remembered) == "llmcalc-amber"
    assert choose_theme(None, Settings(theme="llmcalc-light"), remembered) == "llmcalc-light"
    assert choose_theme("llmcalc-high-contrast", Settings(theme="llmcalc-light"), remembered) == "llmcalc-high-contrast"
