"""Pilot: Import model (key and palette), model sources typed in the Model field, this machine preselected."""

from __future__ import annotations

import sys

from textual.widgets import Input

from llmcalc_tui import paths
from llmcalc_tui.app import make_app
from llmcalc_tui.screens.import_model import ImportModelScreen
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.sources import machine
from llmcalc_tui.state import model_options

from .helpers import SMOLLM2_CONFIG, SMOLLM2_PARAMS, TINY_PARAMS, write_gguf
from .test_machine import MIB, fake_nvml

SIZE = (100, 32)


async def settle(pilot, done, tries: int = 300) -> None:
    """Let workers in threads finish: pause until `done()` holds (or give up after ~15 s)."""
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.05)


def main_screen(app) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


async def test_import_model_from_a_gguf_selects_it_and_lists_it(tmp_path):
    gguf = tmp_path / "tiny.gguf"
    write_gguf(gguf)
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ImportModelScreen)
        app.screen.query_one("#import-source", Input).value = str(gguf)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        screen = main_screen(app)
        await settle(pilot, lambda: screen.state.scenario.model == "gguf-tiny")
        assert screen.state.scenario.model == "gguf-tiny"
        assert screen.state.errors == {}
        assert screen.state.estimate.params_total == TINY_PARAMS
        assert screen.query_one("#field-model", Input).value == "gguf-tiny"
        assert "gguf-tiny" in {o.id for o in model_options(screen.catalog)}
        assert app.catalog is screen.catalog
    assert (paths.user_catalogs_dir() / "imported-gguf-tiny.toml").is_file()
    # the next start lists it too
    again = make_app(theme="llmcalc-dark", remember_ui_state=False)
    assert "gguf-tiny" in {o.id for o in model_options(again.catalog)}


async def test_import_error_stays_in_the_prompt(tmp_path):
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        prompt = app.screen
        prompt.query_one("#import-source", Input).value = str(tmp_path / "missing.gguf")
        await pilot.press("enter")
        message = prompt.query_one("#import-message")
        await settle(pilot, lambda: message.has_class("-error"))
        assert message.has_class("-error") and "no such file or folder" in str(message.render())
        assert app.screen is prompt
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert not paths.user_catalogs_dir().exists() or not list(paths.user_catalogs_dir().iterdir())


async def test_palette_has_import_model():
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Import model…" in titles


async def test_typing_a_path_in_the_model_field_resolves_on_enter(tmp_path):
    gguf = tmp_path / "Tiny.gguf"
    write_gguf(gguf)
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        field = screen.query_one("#field-model", Input)
        field.focus()
        field.value = str(gguf)
        await pilot.pause()
        # typing alone reads nothing: the field is marked and the last good result stays
        assert "model" in screen.state.errors
        assert screen.state.estimate.model_id == "llama-3.1-8b"
        await pilot.press("enter")
        await settle(pilot, lambda: not screen.state.errors)
        assert screen.state.errors == {}
        assert screen.state.scenario.model == f"gguf:{gguf}"  # the source, with its case, is what a save stores
        assert screen.state.estimate.params_total == TINY_PARAMS


async def test_hub_repo_in_the_model_field(hub):
    hub.add("Org/Smol", {"config.json": SMOLLM2_CONFIG})
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        field = screen.query_one("#field-model", Input)
        field.focus()
        field.value = "hf:Org/Smol"
        await pilot.pause()
        assert not hub.log  # nothing asked of the Hub while typing
        await pilot.press("enter")
        await settle(pilot, lambda: not screen.state.errors)
        assert screen.state.scenario.model == "hf:Org/Smol"
        assert screen.state.estimate.params_total == SMOLLM2_PARAMS
        field.value = "hf:Org/Missing"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, lambda: any("404" in n.message for n in app._notifications))
        assert any("no such model on the Hub (404)" in n.message for n in app._notifications)
        assert screen.state.estimate.params_total == SMOLLM2_PARAMS  # last good result kept


async def test_this_machine_is_preselected_with_a_notice(monkeypatch):
    machine.detect.cache_clear()
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([("NVIDIA GeForce RTX 4090", 24_564 * MIB)] * 2))
    monkeypatch.setattr(machine, "_apple", lambda: ())
    app = make_app(theme="llmcalc-dark", remember_ui_state=False, detect_hardware=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(app)
            await settle(pilot, lambda: screen.state.scenario.hardware == "local")
            assert screen.state.scenario.hardware == "local" and screen.state.scenario.gpus == 2
            assert screen.catalog.hardware["local"].bandwidth_gb_s == screen.catalog.hardware["rtx-4090"].bandwidth_gb_s
            assert any("This machine" in n.message and "RTX 4090" in n.message for n in app._notifications)
    finally:
        machine.detect.cache_clear()


async def test_nothing_detected_changes_nothing_and_says_nothing(monkeypatch):
    machine.detect.cache_clear()
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([], fail_init=RuntimeError("NVML Shared Library Not Found")))
    monkeypatch.setattr(machine, "_apple", lambda: ())
    app = make_app(theme="llmcalc-dark", remember_ui_state=False, detect_hardware=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(app)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert machine.detect.cache_info().currsize == 1  # detection ran, and found nothing
            assert screen.state.scenario.hardware == "h100-sxm"
            assert "local" not in screen.catalog.hardware
            assert not list(app._notifications)
    finally:
        machine.detect.cache_clear()


async def test_a_scenario_opened_at_start_keeps_its_hardware(monkeypatch):
    from llmcalc_tui.core.scenario import Scenario
    from llmcalc_tui.scenarios import ScenarioStore

    ScenarioStore().save("mine", Scenario(hardware="a100-80gb-sxm"))
    machine.detect.cache_clear()
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([("NVIDIA GeForce RTX 4090", 24_564 * MIB)]))
    monkeypatch.setattr(machine, "_apple", lambda: ())
    app = make_app(theme="llmcalc-dark", remember_ui_state=False, detect_hardware=True, scenario_name="mine")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert main_screen(app).state.loaded_name == "mine"
            assert main_screen(app).state.scenario.hardware == "a100-80gb-sxm"
    finally:
        machine.detect.cache_clear()


async def test_a_saved_scenario_with_a_source_model_reopens(tmp_path):
    from llmcalc_tui.core.scenario import Scenario
    from llmcalc_tui.scenarios import ScenarioStore

    gguf = tmp_path / "Tiny.gguf"
    write_gguf(gguf)
    ScenarioStore().save("from gguf", Scenario(model=f"gguf:{gguf}", hardware="rtx-4090"))
    ScenarioStore().save("lost file", Scenario(model=f"gguf:{tmp_path / 'gone.gguf'}", hardware="rtx-4090"))
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        screen.open_named("from gguf")
        await settle(pilot, lambda: screen.state.loaded_name == "from gguf")
        assert screen.state.errors == {} and screen.state.estimate.params_total == TINY_PARAMS
        assert screen.state.scenario.hardware == "rtx-4090"
        screen.open_named("lost file")
        await settle(pilot, lambda: screen.state.loaded_name == "lost file")
        assert "model" in screen.state.errors  # marked, the rest of the scenario opened
        assert screen.state.scenario.hardware == "rtx-4090"
        assert any("no such file or folder" in n.message for n in app._notifications)


async def test_typed_text_is_never_markup(tmp_path):
    """A path with markup-like brackets is shown as typed; an unbalanced closing tag must not crash the app."""
    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        field = screen.query_one("#field-model", Input)
        field.focus()
        field.value = str(tmp_path / "[/]odd[bold].gguf")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        await pilot.pause(0.2)  # let the toasts render
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "[/]odd[bold].gguf: no such file or folder" in errors[0].message
        assert all(n.markup is False for n in app._notifications)
        assert app.is_running and isinstance(app.screen, MainScreen)
