"""Pilot tests: user and file text the app shows literally (never as markup), odd files it skips without hanging."""

from __future__ import annotations

import os

import pytest
from textual.visual import visualize

from llmcalc_tui import paths
from llmcalc_tui.app import LlmCalcApp, make_app
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.scenarios import ScenarioStore
from llmcalc_tui.screens.compare import CompareScreen
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.screens.open_scenario import OpenScenarioScreen

MARKUP = "[/]"
"""Closes a tag that was never opened: Textual's markup parser raises MarkupError on it."""


def screen_text(app: LlmCalcApp) -> str:
    """Every character on the screen, notifications included."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notifications(app: LlmCalcApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(pilot, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()


async def test_scenario_named_markup_opens_and_shows_literally():
    ScenarioStore().save(MARKUP, Scenario(model="llama-3.1-8b", gpus=2))
    ScenarioStore().save("other [b]bold[/b]", Scenario(model="llama-3.1-8b"))
    app = make_app(theme="llmcalc-dark", scenario_name=MARKUP)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.state.scenario.gpus == 2
        assert f"Opened '{MARKUP}'" in notifications(app)
        assert f"'{MARKUP}'" in screen_text(app)  # the toast, drawn
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScenarioScreen)
        shown = screen_text(app)
        assert MARKUP in shown and "other [b]bold[/b]" in shown
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert MARKUP in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"open scenario")
        await settle(pilot, 6)
        assert f"open scenario: {MARKUP}" in screen_text(app)
    assert app.return_code in (None, 0)


async def test_theme_named_markup_starts_and_says_so_literally():
    app = make_app(theme=MARKUP)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "llmcalc-dark"
        assert any(f"unknown theme '{MARKUP}'" in n for n in notifications(app))
        assert f"unknown theme '{MARKUP}'" in screen_text(app)
    assert app.return_code in (None, 0)


async def test_user_catalog_key_and_name_with_markup_are_literal():
    directory = paths.user_catalogs_dir()
    directory.mkdir(parents=True)
    (directory / "keys.toml").write_text('"/x" = 1\n', encoding="utf-8")
    (directory / "names.toml").write_text(
        '[[hardware]]\nid = "odd-gpu"\nname = "Odd [/] GPU"\nsource = "test"\nas_of = 2025-01-01\n'
        'kind = "consumer"\nvendor = "x"\nmemory_gb = 16\nbandwidth_gb_s = 500\ntflops = { fp16 = 50 }\n'
        'power_w = 200\n',
        encoding="utf-8",
    )
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        await settle(pilot)
        assert "odd-gpu" in app.catalog.hardware
        problem = next(n for n in notifications(app) if "keys.toml" in n)
        assert "[/x]" in problem and "unknown table" in problem
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"odd-gpu")
        await settle(pilot, 6)
        assert "Odd [/] GPU" in screen_text(app)
    assert app.return_code in (None, 0)


async def test_user_theme_with_markup_colour_is_reported_literally():
    directory = paths.user_themes_dir()
    directory.mkdir(parents=True)
    (directory / "bad.toml").write_text(f'primary = "{MARKUP}"\n', encoding="utf-8")
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        await settle(pilot)
        message = next(n for n in notifications(app) if "bad.toml" in n)
        assert f"'{MARKUP}' is not a colour" in message
        assert "bad.toml" in screen_text(app)
    assert app.return_code in (None, 0)


async def test_typed_markup_in_a_field_is_marked_not_parsed():
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.edit({"model": MARKUP})
        await settle(pilot)
        assert "model" in screen.state.errors
        field = screen.query_one("#field-model")
        assert MARKUP in visualize(field, field.tooltip).plain  # what hovering would draw
        assert MARKUP in screen_text(app)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
async def test_fifo_and_device_among_scenarios_themes_and_catalogs_do_not_hang_the_app(no_hang):
    # /dev/null stands for devices here: /dev/zero would eat memory, not just time, where it is read.
    # (tests/test_hostile_files.py reads /dev/zero through the CLI under a memory limit.)
    ScenarioStore().save("good", Scenario())
    os.mkfifo(paths.scenarios_dir() / "pipe.toml")
    (paths.scenarios_dir() / "null.toml").symlink_to(os.devnull)
    paths.user_themes_dir().mkdir(parents=True)
    os.mkfifo(paths.user_themes_dir() / "pipe.toml")
    paths.user_catalogs_dir().mkdir(parents=True)
    os.mkfifo(paths.user_catalogs_dir() / "pipe.toml")
    (paths.user_catalogs_dir() / "null.toml").symlink_to(os.devnull)
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await settle(pilot)
        shown = "\n".join(notifications(app))
        assert "themes/pipe.toml: is a FIFO" in shown
        assert "catalogs/pipe.toml: is a FIFO" in shown
        assert "catalogs/null.toml: is a character device" in shown
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScenarioScreen)
        text = screen_text(app)
        assert "good" in text and "pipe" in text and "null" in text
        await pilot.press("escape", "f7")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
    assert (paths.scenarios_dir() / "pipe.toml").is_fifo()  # reported, never replaced


@pytest.mark.parametrize(("field", "minimum"), [("utilisation", "0.01"), ("lifetime_years", "0.1")])
async def test_absurdly_small_cost_inputs_are_marked_in_the_form(field: str, minimum: str):
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.edit({"deployment": "local"})
        await settle(pilot)
        good = screen.state.estimate
        screen.edit({field: "1e-300"})
        await settle(pilot)
        assert screen.state.errors.get(field) == f"must be at least {minimum}"
        assert screen.query_one(f"#row-{field}").has_class("-invalid")
        assert screen.state.estimate is good  # the last good result stays
        screen.edit({field: minimum})
        await settle(pilot)
        assert field not in screen.state.errors


async def test_escape_sequences_in_file_names_show_as_escapes():
    directory = paths.scenarios_dir()
    directory.mkdir(parents=True)
    (directory / "evil\x1b[2J.toml").write_text("not = [toml", encoding="utf-8")
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScenarioScreen)
        shown = screen_text(app)
        assert "evil\\x1b[2J" in shown and "\x1b" not in shown
        app.notify("name: evil\x1b[2J")
        await settle(pilot)
        assert "name: evil\\x1b[2J" in notifications(app)


@pytest.mark.parametrize("variables", ['foo = "[/]"', 'block-cursor-text-style = "#fff"', 'fit-ok = "[b]"'])
async def test_user_theme_with_unreadable_css_variable_is_refused_and_the_app_starts(variables: str):
    directory = paths.user_themes_dir()
    directory.mkdir(parents=True)
    (directory / "odd.toml").write_text(f'primary = "#00aa00"\n\n[variables]\n{variables}\n', encoding="utf-8")
    app = make_app(theme="odd")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "llmcalc-dark"
        message = next(n for n in notifications(app) if "odd.toml" in n)
        assert f"{directory / 'odd.toml'}:4: variables" in message
    assert app.return_code in (None, 0)


async def test_scenario_file_with_markup_ids_opens_with_them_marked():
    path = ScenarioStore().save("odd ids", Scenario(engine="vllm"))
    text = path.read_text(encoding="utf-8").replace('engine = "vllm"', 'engine = "[/]"')
    path.write_text(text.replace('kv_cache = "fp16"', 'kv_cache = "[b]"'), encoding="utf-8")
    app = make_app(theme="llmcalc-dark", scenario_name="odd ids")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert {"engine", "kv_cache"} <= set(screen.state.errors)
        shown = screen_text(app)
        assert "[/] (unknown)" in shown and "[b] (unknown)" in shown
        screen.query_one("#field-engine").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "[/] (unknown)" in screen_text(app)
    assert app.return_code in (None, 0)
