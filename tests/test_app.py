"""Pilot tests: typing into the form, the grid, pickers, scenarios (save, reopen, compare, export), themes."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList, SelectionList

from llmcalc_tui import paths
from llmcalc_tui.app import LlmCalcApp, make_app
from llmcalc_tui.config import Settings
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.messages import FieldEdited
from llmcalc_tui.scenarios import ScenarioStore
from llmcalc_tui.screens.compare import CompareScreen
from llmcalc_tui.screens.confirm import ConfirmScreen
from llmcalc_tui.screens.export import ExportScreen
from llmcalc_tui.screens.help import HelpScreen
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.screens.open_scenario import OpenScenarioScreen
from llmcalc_tui.screens.pick import PickScreen
from llmcalc_tui.screens.save_scenario import SaveScenarioScreen
from llmcalc_tui.widgets.compat_grid import CompatGrid
from llmcalc_tui.widgets.form_pane import FieldRow


def new_app(**kwargs) -> LlmCalcApp:
    kwargs.setdefault("theme", "llmcalc-dark")
    return make_app(**kwargs)


def main(app: LlmCalcApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


async def type_into(pilot, field: str, text: str) -> None:
    """Focus a form field and replace its text (one Input.Changed, as a paste would post).

    Key-by-key typing is exercised by the keyboard-only test; this keeps the others quick.
    """
    widget = pilot.app.screen.query_one(f"#field-{field}", Input)
    widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await pilot.pause()


async def test_typing_recomputes_and_posts_raw_text():
    seen: list = []
    app = new_app()
    async with app.run_test(size=(100, 32), message_hook=seen.append) as pilot:
        screen = main(app)
        before = screen.state.estimate
        await type_into(pilot, "input_tokens", "4096")
        after = screen.state.estimate
        assert screen.state.scenario.input_tokens == 4096
        assert after.timing.ttft_ms > before.timing.ttft_ms
        assert after.memory.kv_cache > before.memory.kv_cache
        edits = [m for m in seen if isinstance(m, FieldEdited) and m.field == "input_tokens"]
        assert edits and edits[-1].raw == "4096"
        assert screen.dirty


async def test_done_when_flow_keyboard_only_at_80x24():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        assert app.focused.id == "field-model"
        await pilot.press(*"llama-3.1-70b")  # the field starts selected: typing replaces it
        await pilot.press("tab")  # weights
        await pilot.press("enter", *"fp8", "enter")
        await pilot.pause()
        await pilot.press("tab", "tab", *"4096", "tab")
        await pilot.pause()
        await pilot.press(*"512", "tab")
        await pilot.pause()
        await pilot.press(*"16", "tab", "tab")  # batch, then deployment
        await pilot.pause()
        await pilot.press("tab", *"2")  # hardware keeps h100-sxm; gpus
        await pilot.pause()
        state = screen.state
        assert state.errors == {}, state.errors
        s = state.scenario
        assert (s.model, s.weights, s.hardware, s.gpus, s.input_tokens, s.output_tokens, s.batch) == (
            "llama-3.1-70b", "fp8", "h100-sxm", 2, 4096, 512, 16)
        est = state.estimate
        assert est.fit_state in ("ok", "tight")
        assert est.timing.ttft_ms and est.timing.tpot_ms and est.cost.per_1m_output_tokens
        fitting = [r.hardware for r in state.grid if r.fits]
        assert "h100-sxm" in fitting and len(fitting) > 5
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.focused, CompatGrid)
        assert screen.page == "grid" and screen.query_one("#page-grid").display
        await pilot.press("ctrl+q")  # unsaved changes: asks once
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.return_code is None
        await pilot.press("ctrl+q")  # asked already: this one quits
        await pilot.pause()
    assert app.return_code == 0


async def test_invalid_input_marks_field_and_keeps_last_good_results():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        good = screen.state.estimate
        await type_into(pilot, "batch", "abc")
        state = screen.state
        assert "batch" in state.errors
        assert state.estimate is good
        row = screen.query_one("#row-batch", FieldRow)
        assert row.has_class("-invalid")
        assert screen.query_one("#field-batch").has_class("-invalid")
        assert row.label.text.plain.startswith("✗")
        hint = screen.query_one("#pane-workload").hint.text.plain
        assert "Batch" in hint and "not a whole number" in hint
        assert "not a whole number" in str(screen.query_one("#field-batch").tooltip)
        await pilot.press("f3")
        await pilot.pause()
        context = screen.query_one("#results-context").text.plain
        assert "showing the last valid setup" in context.lower()
        await pilot.press("f2")
        await pilot.pause()
        await type_into(pilot, "batch", "8")
        assert screen.state.errors == {}
        assert not row.has_class("-invalid")
        assert screen.state.estimate is not good
        assert screen.state.estimate.batch == 8


async def test_unknown_hardware_is_marked_with_suggestion():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        await type_into(pilot, "hardware", "h100")
        assert "h100-sxm" in screen.state.errors["hardware"]  # ambiguous: the candidates are listed
        await pilot.press("end", *"-sxm")
        await pilot.pause()
        assert screen.state.errors == {}


async def test_number_field_steps_with_arrows():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        screen.query_one("#field-gpus", Input).focus()
        await pilot.press("up")
        await pilot.pause()
        assert screen.state.scenario.gpus == 2
        await pilot.press("down")
        await pilot.pause()
        assert screen.state.scenario.gpus == 1


async def test_long_text_scrolls_inside_a_field():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        field = screen.query_one("#field-input_tokens", Input)
        field.focus()
        await pilot.pause()
        field.value = "1000" + "1234567890" * 3
        field.cursor_position = len(field.value)
        await pilot.press("x")
        await pilot.pause()
        width = field.content_region.width
        assert field.virtual_size.width > width
        assert field.scroll_x == field.max_scroll_x > 0
        row = app.screen._compositor.render_strips()[field.region.y].text
        assert "7890x" in row  # the end of the text, where the cursor is, is on screen
        await pilot.press("home")
        await pilot.pause()
        assert field.scroll_x == 0
        assert "✗ Input tok" in app.screen._compositor.render_strips()[field.region.y].text
        await pilot.press("end", "ctrl+u", *"1000")
        await pilot.pause()
        assert field.value == "1000" and field.scroll_x == 0
        assert field.virtual_size.width <= width


async def test_app_turns_the_collector_back_on_after_the_first_frame():
    import gc

    gc.disable()  # as the llmcalc entry point does for start-up
    try:
        app = new_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_keys_arriving_together_go_to_the_field_they_were_typed_for():
    from textual import events

    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.focused.id == "field-model"
        # One read from the terminal: tab, tab, tab, 4, 0, enter, 7 (as an SSH packet or a paste delivers them).
        for key, char in (("tab", "\t"), ("tab", "\t"), ("tab", "\t"), ("4", "4"), ("0", "0"),
                          ("enter", "\r"), ("7", "7")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#field-model", Input).value == "llama-3.1-8b"
        assert screen.query_one("#field-input_tokens", Input).value == "40"
        assert screen.query_one("#field-output_tokens", Input).value == "7"
        assert screen.state.scenario.input_tokens == 40 and screen.state.scenario.output_tokens == 7


async def test_enter_in_the_same_burst_as_a_forgiving_id_moves_on_instead_of_opening_the_list():
    from textual import events

    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = main(app)
        field = screen.query_one("#field-model", Input)
        field.value = ""
        await pilot.pause()
        # "Llama 3.1 70B" and enter in one read: enter sees the invalid mark of a prefix ("Llama 3.1 7").
        for char in "Llama 3.1 70B":
            app.post_message(events.Key("space" if char == " " else char, char))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(4):
            await pilot.pause()
        assert not isinstance(app.screen, PickScreen)
        assert screen.focused is not None and screen.focused.id != "field-model"
        assert screen.state.scenario.model.lower().replace(" ", "-") in ("llama-3.1-70b",)


async def test_pane_title_follows_the_focus():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main(app)

        def active_panes() -> list[str]:
            return [pane.id for pane in screen.query(".form-pane") if pane.title_label.has_class("-active")]

        assert active_panes() == ["pane-model"]
        while screen.focused is not None and screen.focused.id != "field-input_tokens":
            await pilot.press("tab")
        await pilot.pause()
        assert active_panes() == ["pane-workload"]
        await pilot.press("f3")
        await pilot.pause()
        assert active_panes() == []
        await pilot.press("f2")
        await pilot.pause()
        assert active_panes() == ["pane-workload"]


async def test_model_picker_filters_open_and_api_models():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        screen.query_one("#field-model", Input).focus()
        await pilot.press("down")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickScreen)
        picker.query_one("#pick-filter", Input).value = ""
        await pilot.press(*"qwen 7b")
        await pilot.pause()
        ids = [o.id for o in picker.query_one(OptionList).options]
        assert ids and all("qwen" in i for i in ids)
        await pilot.press("enter")
        await pilot.pause()
        assert main(app).state.scenario.model == ids[0]
        # API models are in the same list.
        screen.query_one("#field-model", Input).focus()
        await pilot.press("down")
        await pilot.pause()
        app.screen.query_one("#pick-filter", Input).value = "gpt-4o-mini"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert main(app).state.scenario.model == "gpt-4o-mini"
        assert main(app).state.estimate.memory is None


async def test_grid_sort_filter_and_choose_row():
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main(app)
        await type_into(pilot, "model", "llama-3.1-70b")
        await pilot.press("f4")
        await pilot.pause()
        grid = screen.query_one(CompatGrid)
        assert app.focused is grid
        await pilot.press("f")
        await pilot.pause()
        assert grid.kind == "datacenter"
        assert all(r.kind == "datacenter" for r in grid.visible_rows)
        await pilot.press("4")  # $/1M column
        await pilot.pause()
        assert grid.sort_key == "usd_1m"
        prices = [r.usd_per_1m_output_tokens for r in grid.visible_rows if r.usd_per_1m_output_tokens is not None]
        assert prices == sorted(prices)
        await pilot.press("s", "s", "s", "s", "s", "s", "s")
        await pilot.pause()
        assert grid.sort_key == "mem"
        target = grid.visible_rows[2]
        grid.move_cursor(row=2)
        await pilot.press("enter")
        await pilot.pause()
        state = screen.state
        assert state.scenario.hardware == target.hardware
        assert state.scenario.gpus == (target.gpus_needed or state.scenario.gpus)
        assert screen.query_one("#field-hardware", Input).value == target.hardware
    remembered = json.loads((paths.data_dir() / "ui_state.json").read_text(encoding="utf-8"))
    assert (remembered["grid_sort"], remembered["grid_kind"]) == ("mem", "datacenter")
    again = new_app()
    async with again.run_test(size=(120, 40)):
        grid = main(again).query_one(CompatGrid)
        assert (grid.sort_key, grid.kind) == ("mem", "datacenter")


async def test_save_reopen_and_dirty_flag():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        await type_into(pilot, "model", "llama-3.1-70b")
        await type_into(pilot, "gpus", "2")
        await pilot.press("ctrl+s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SaveScenarioScreen)
        name_input = modal.query_one("#name-input", Input)
        name_input.value = ""
        await pilot.press(*"70B on two")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.state.loaded_name == "70B on two"
        assert not screen.state.dirty
        store = ScenarioStore()
        saved = store.load("70B on two")
        assert saved.scenario.model == "llama-3.1-70b" and saved.scenario.gpus == 2

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.state.scenario == Scenario()
        assert screen.query_one("#field-model", Input).value == "llama-3.1-8b"

        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, OpenScenarioScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.state.scenario.model == "llama-3.1-70b"
        assert screen.state.scenario.gpus == 2
        assert screen.query_one("#field-gpus", Input).value == "2"
        assert screen.state.loaded_name == "70B on two"
        assert not screen.state.dirty


async def test_read_only_data_dir_save_is_refused_and_nothing_is_lost(monkeypatch):
    import os

    store = ScenarioStore()
    store.save("kept", Scenario(gpus=4))
    kept_bytes = (store.directory / "kept.toml").read_bytes()
    real_open = os.open

    def deny_writes(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(str(paths.data_dir())):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_writes)
    app = new_app()
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = main(app)
        await type_into(pilot, "gpus", "2")
        for name in ("new one", "kept"):
            await pilot.press("ctrl+s")
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, SaveScenarioScreen)
            modal.query_one("#name-input", Input).value = name
            await pilot.press("enter")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):  # "kept" exists: confirm the overwrite
                await pilot.press("y")
                await pilot.pause()
            if app.screen is not screen:
                await pilot.press("escape")
                await pilot.pause()
            assert app.screen is screen
            messages = [str(n.message) for n in app._notifications]
            assert any("cannot write" in m.lower() and "permission denied" in m.lower() for m in messages), messages
            assert screen.state.dirty and screen.state.scenario.gpus == 2  # the form keeps the work
            app.clear_notifications()
    monkeypatch.undo()
    assert (store.directory / "kept.toml").read_bytes() == kept_bytes
    assert store.names() == ["kept"]


async def test_save_modal_validates_name():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        modal = app.screen
        modal.query_one("#name-input", Input).value = "   "
        await pilot.pause()
        assert modal.query_one("#name-ok-button").disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert ScenarioStore().list() == []


async def test_reset_asks_when_dirty():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        await type_into(pilot, "batch", "4")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert screen.state.scenario.batch == 4
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert screen.state.scenario.batch == 1


def write_broken(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "broken.toml"
    path.write_text('name = "Broken one"\n[scenario]\nmodel = "x"\ngpus = "many"\n', encoding="utf-8")
    return path


async def test_open_lists_broken_files_and_manages_scenarios():
    store = ScenarioStore()
    store.save("alpha", Scenario(model="qwen2.5-7b"))
    store.save("beta", Scenario(model="llama-3.1-70b", gpus=2))
    broken = write_broken(store.directory)
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, OpenScenarioScreen)
        labels = [e.label for e in modal._shown]
        assert labels == ["alpha", "beta", "Broken one"]
        prompts = [str(o.prompt) for o in modal.query_one(OptionList).options]
        assert str(broken) in prompts[2] and ":4" in prompts[2]
        # The broken one cannot be opened.
        await pilot.press("down")  # into the list
        modal.query_one(OptionList).highlighted = 2
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        # Rename beta.
        modal.query_one(OptionList).highlighted = 1
        await pilot.press("r")
        await pilot.pause()
        rename = app.screen
        assert isinstance(rename, SaveScenarioScreen)
        rename.query_one("#name-input", Input).value = "gamma"
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(store.names()) == ["alpha", "gamma"]
        # Duplicate alpha.
        modal.query_one(OptionList).highlighted = 0
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#name-input", Input).value = "alpha two"
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(store.names()) == ["alpha", "alpha two", "gamma"]
        # Delete alpha two, after confirming.
        index = [e.label for e in modal._shown].index("alpha two")
        modal.query_one(OptionList).highlighted = index
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert sorted(store.names()) == ["alpha", "gamma"]
        # Filter and open.
        await pilot.press("slash")
        await pilot.press(*"gam")
        await pilot.pause()
        assert [e.label for e in modal._shown] == ["gamma"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.state.loaded_name == "gamma"
        assert screen.state.scenario.model == "llama-3.1-70b"


async def test_scenario_option_opens_app_on_it_and_marks_unknown_ids():
    store = ScenarioStore()
    store.save("old", Scenario(model="llama-3.1-70b", hardware="tpu-v9-imaginary", gpus=2, input_tokens=3000))
    app = new_app(scenario_name="old")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = main(app)
        state = screen.state
        assert state.loaded_name == "old"
        assert "hardware" in state.errors
        assert screen.query_one("#field-hardware", Input).value == "tpu-v9-imaginary"
        assert screen.query_one("#row-hardware", FieldRow).has_class("-invalid")
        assert screen.query_one("#field-input_tokens", Input).value == "3000"
        assert state.estimate is not None and state.estimate.model_id == "llama-3.1-70b"
        await type_into(pilot, "hardware", "h100-sxm")
        assert screen.state.errors == {}
        assert screen.state.scenario.input_tokens == 3000


async def test_unknown_scenario_name_still_starts():
    app = new_app(scenario_name="does not exist")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert main(app).state.loaded_name is None


async def test_compare_screen_highlights_best():
    store = ScenarioStore()
    store.save("small", Scenario(model="llama-3.1-8b"))
    store.save("big", Scenario(model="llama-3.1-70b", gpus=4))
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        chosen = compare.compared()
        assert [c.label for c in chosen] == ["current", "big", "small"]
        table = compare.query_one("#compare-table")
        assert len(table.columns) == 4
        ttft_row = [str(c) for c in table.get_row("ttft")]
        assert sum("✓" in c for c in ttft_row) == 1
        # Untick the current scenario: two remain.
        await pilot.press("space")
        await pilot.pause()
        assert [c.label for c in compare.compared()] == ["big", "small"]
        await pilot.press("f9")
        await pilot.pause()
        assert "big" in app.clipboard and "small" in app.clipboard
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_export_to_file_and_clipboard():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        export = app.screen
        assert isinstance(export, ExportScreen)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.startswith("|")
        await pilot.press("f", "f")  # markdown -> csv -> json
        await pilot.pause()
        assert export.fmt == "json"
        await pilot.press("s")
        path = export.last_path
        assert path is not None
        for _ in range(100):
            await pilot.pause(0.01)
            if path.exists() and path.stat().st_size:
                break
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data[0]["inputs"]["model"] == "llama-3.1-8b"
        assert data[0]["result"]["fits"] is True
        assert path.parent == paths.data_dir() / "exports"


async def test_copy_summary_uses_clipboard():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert "llama-3.1-8b" in app.clipboard


async def test_help_and_pages():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        assert screen.has_class("-narrow") and screen.page == "setup"
        assert not screen.query_one("#page-results").display
        await pilot.press("f3")
        await pilot.pause()
        assert screen.query_one("#page-results").display and not screen.query_one("#page-setup").display
        await pilot.press("f6")
        await pilot.pause()
        assert screen.query_one("#page-api").display and not screen.query_one("#page-results").display
        await pilot.press("f2")
        await pilot.pause()
        assert app.focused.id == "field-model"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = str(app.screen.query_one("#help-body").render())
        assert "ctrl+s" in body.lower() or "^s" in body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_wide_layout_and_tiny_resize():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main(app)
        assert screen.has_class("-xwide")
        for page in ("#page-setup", "#page-results", "#page-api", "#page-grid"):
            assert screen.query_one(page).display, page
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert screen.has_class("-wide")
        assert screen.query_one("#page-results").display and not screen.query_one("#page-api").display
        await pilot.press("f6")
        await pilot.pause()
        assert screen.query_one("#page-api").display and not screen.query_one("#page-results").display
        assert screen.query_one("#page-grid").display and screen.query_one("#page-setup").display
        await pilot.resize_terminal(20, 10)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.has_class("-narrow")
        await type_into(pilot, "batch", "2")
        assert screen.state.scenario.batch == 2


async def test_keymap_override_from_config():
    app = new_app(settings=Settings(keymap={"save-scenario": "f10"}))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, SaveScenarioScreen)


async def test_unknown_theme_falls_back():
    app = new_app(theme="no-such-theme")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.theme == "llmcalc-dark"


async def test_theme_is_remembered_and_config_wins():
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        assert app.theme == "llmcalc-dark"
        app.theme = "llmcalc-light"
        await pilot.pause()
    saved = json.loads((paths.data_dir() / "ui_state.json").read_text(encoding="utf-8"))
    assert saved["theme"] == "llmcalc-light"
    again = make_app()
    async with again.run_test(size=(100, 32)) as pilot:
        assert again.theme == "llmcalc-light"
    configured = make_app(settings=Settings(theme="llmcalc-high-contrast"))
    async with configured.run_test(size=(100, 32)) as pilot:
        assert configured.theme == "llmcalc-high-contrast"


async def test_user_theme_from_data_dir():
    directory = paths.user_themes_dir()
    directory.mkdir(parents=True)
    (directory / "my-green.toml").write_text('primary = "#00aa00"\nbackground = "#001100"\n', encoding="utf-8")
    app = new_app(theme="my-green")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.theme == "my-green"


async def test_bad_user_catalog_notifies_and_app_starts():
    directory = paths.user_catalogs_dir()
    directory.mkdir(parents=True)
    (directory / "mine.toml").write_text("[[hardware]]\nid = 'x'\n", encoding="utf-8")
    app = new_app()
    assert app.startup_problems and "catalog" in app.startup_problems[0][1]
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await pilot.pause()
        assert main(app).state.estimate is not None
        assert any("catalog" in str(n.message) for n in app._notifications)


async def test_palette_has_commands():
    app = new_app()
    async with app.run_test(size=(100, 32)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for command in ("Save scenario as…", "Open scenario…", "Compare scenarios", "Export scenario",
                        "Pick hardware…", "Pick model…", "Theme", "Grid: next sort column"):
            assert command in titles


async def test_extreme_inputs_never_put_nan_or_inf_on_screen():
    import re

    app = new_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = main(app)
        extremes = [
            {"model": "llama-3.1-405b", "input_tokens": "100000", "output_tokens": "31072", "batch": "max",
             "gpus": "4096", "pp": "32"},
            {"input_tokens": "1", "output_tokens": "1", "batch": "1000000", "gpus": "1", "pp": "1",
             "model": "llama-3.1-8b"},
            {"electricity_usd_per_kwh": "100", "utilisation": "0.05", "lifetime_years": "0.5",
             "cloud_usd_per_hour": "1000000", "requests_per_minute": "1000000000", "cached_input_fraction": "1"},
            {"model": "gpt-4o", "deployment": "api"},
            {"model": "deepseek-v3", "hardware": "rtx-3060-12gb", "weights": "q2_k", "deployment": "auto"},
        ]
        for edits in extremes:
            screen.edit(edits)
            await pilot.pause()
            shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert not re.search(r"\b(nan|inf|infinity)\b", shown, re.IGNORECASE), (edits, shown)
            assert "Traceback" not in shown
            assert screen.state.errors == {}, edits  # real estimates, not the last good ones


# ----------------------------------------------------------------------------- issue 11: answers a user can act on


def grid_lines(grid: CompatGrid, rows: int = 6) -> list[str]:
    """The grid's first lines as drawn (header first), at its current scroll position."""
    return [grid.render_line(y).text for y in range(rows)]


async def test_grid_keeps_the_id_column_when_scrolling_right_at_80_columns():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        await pilot.press("f4")
        await pilot.pause()
        grid = screen.query_one(CompatGrid)
        header = grid_lines(grid, 1)[0]
        assert header.split()[:4] == ["Hardware", "Fit", "GPUs", "$/1M"]
        assert "Name" not in header  # below 160 columns the name is the last column
        first_id = grid.visible_rows[0].hardware
        assert first_id in grid_lines(grid, 2)[1]
        for _ in range(40):
            await pilot.press("right")
        await pilot.pause()
        assert grid.scroll_offset.x > 0
        header, first = grid_lines(grid, 2)
        assert header.lstrip().startswith("Hardware") and "Engine" in header
        assert first_id in first and grid.visible_rows[0].engine in first
        assert len(first) == grid.size.width


async def test_grid_shows_full_names_beside_the_id_from_160_columns():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main(app)
        await pilot.pause()
        grid = screen.query_one(CompatGrid)
        header, *rows = grid_lines(grid, 4)
        assert header.split()[:2] == ["Hardware", "Name"]
        longest = max(grid.visible_rows, key=lambda r: len(r.name))
        grid.move_cursor(grid.visible_rows.index(longest))
        await pilot.pause()
        assert any(longest.name in grid.render_line(y).text for y in range(1, grid.size.height))


async def test_grid_fits_only_key_and_gpus_beyond_a_node():
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main(app)
        await type_into(pilot, "model", "llama-3.1-405b")
        await pilot.press("f4")
        await pilot.pause()
        grid = screen.query_one(CompatGrid)
        h100 = next(r for r in grid.visible_rows if r.hardware == "h100-sxm")
        assert h100.gpus_needed > 8 and h100.nodes_needed >= 2
        grid.move_cursor(grid.visible_rows.index(h100))
        await pilot.pause()
        drawn = "\n".join(grid.render_line(y).text for y in range(grid.size.height))
        assert f"{h100.gpus_needed} ({h100.nodes_needed}n)" in drawn
        # A batch whose activations outgrow small devices: some rows fit on no number of them.
        await pilot.press("f2")
        await type_into(pilot, "model", "llama-3.1-8b")
        await type_into(pilot, "batch", "4096")
        await pilot.press("f4")
        await pilot.pause()
        everything = len(grid.visible_rows)
        assert any(not r.fits for r in grid.visible_rows)
        await pilot.press("o")
        await pilot.pause()
        assert grid.fits_only and 0 < len(grid.visible_rows) < everything
        assert all(r.fits for r in grid.visible_rows)
        assert "fits only (o)" in screen.query_one("#grid-caption").text.plain
        await pilot.press("o")
        await pilot.pause()
        assert len(grid.visible_rows) == everything


async def test_grid_switches_every_row_between_rented_and_owned():
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main(app)
        await pilot.press("f4")
        await pilot.pause()
        grid = screen.query_one(CompatGrid)
        assert screen.state.grid_basis == "cloud"
        assert {r.cost_basis for r in screen.state.grid} == {"cloud"}
        await pilot.press("b")
        await pilot.pause()
        state = screen.state
        assert state.grid_basis == "owned"
        assert {r.cost_basis for r in state.grid} == {"owned"}
        assert "$ owned (b)" in screen.query_one("#grid-caption").text.plain
        # A row without a purchase price shows "-", never its rental price.
        unpriced = [r for r in state.grid if r.usd_per_1m_by_basis.get("owned") is None]
        for row in unpriced:
            assert row.usd_per_1m_output_tokens is None
        # Sorting by $/1M compares owned prices only, cheapest first, unpriced rows last.
        await pilot.press("4")
        await pilot.pause()
        rows = grid.visible_rows
        prices = [r.usd_per_1m_output_tokens for r in rows]
        priced = [p for p in prices if p is not None]
        assert priced == sorted(priced) and prices[: len(priced)] == priced
        assert all(p == r.usd_per_1m_by_basis["owned"] for p, r in zip(priced, rows))
        await pilot.press("b")
        await pilot.pause()
        assert screen.state.grid_basis == "cloud"


async def test_results_of_a_setup_that_does_not_fit_say_what_it_needs():
    app = new_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = main(app)
        await type_into(pilot, "model", "llama-3.1-405b")
        est = screen.state.estimate
        assert not est.fits and est.gpus_needed > 8
        await pilot.press("f3")
        await pilot.pause()
        speed = screen.query_one("#results-speed").text.plain
        cost = screen.query_one("#results-cost").text.plain
        needs = f"needs {est.gpus_needed} x h100-sxm ({est.nodes_needed} nodes)"
        assert needs in speed
        assert "TTFT" not in speed and "tok/s" not in speed
        assert "$" not in cost.split("\n", 1)[1]  # the heading names the basis; no figures follow
        summary = screen.query_one("#summary").text.plain
        assert needs in summary and "TTFT" not in summary
        bar = screen.query_one("#results-memory").text.plain.splitlines()[1]
        assert "┃" in bar  # the engine's budget line, drawn even over the overflowing fill


async def test_too_large_batch_reads_fits_up_to_batch():
    app = new_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = main(app)
        await type_into(pilot, "batch", "100,000")
        est = screen.state.estimate
        assert screen.state.errors == {} and est.batch == 100_000 and not est.fits
        await pilot.press("f3")
        await pilot.pause()
        speed = screen.query_one("#results-speed").text.plain
        assert f"fits up to batch {est.max_batch:,}" in speed
        assert est.timing.ttft_ms is None and "ms" not in speed


async def test_results_label_both_ttfts_the_cost_basis_and_replicas():
    app = new_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = main(app)
        await type_into(pilot, "batch", "16")
        await type_into(pilot, "requests_per_minute", "5,000")
        est = screen.state.estimate
        assert est.timing.ttft_batch_ms > est.timing.ttft_ms
        await pilot.press("f3")
        await pilot.pause()
        speed = screen.query_one("#results-speed").text.plain
        assert "TTFT busy" in speed and "prefill batch" in speed
        notes = screen.query_one("#results-notes").text.plain
        assert "server already running 16 sequences" in notes and "all 16 prompts prefilled together" in notes
        cost = screen.query_one("#results-cost").text.plain
        assert cost.startswith("Cost  rented: cloud $/GPU-hour")
        assert f"{est.cost.replicas:,} replicas" in cost and est.cost.replicas > 1
        screen.set_field("deployment", "local")
        await pilot.press("f3")
        await pilot.pause()
        assert screen.query_one("#results-cost").text.plain.startswith("Cost  owned:")


async def test_invalid_field_greys_every_result_and_says_it_is_the_last_valid_setup():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main(app)
        await type_into(pilot, "input_tokens", "lots")
        assert screen.state.errors
        context = screen.query_one("#results-context").text.plain
        assert context.startswith("Showing the last valid setup")
        api = screen.query_one("#api-table").text.plain
        assert api.startswith("Showing the last valid setup")
        muted = [s.style for s in screen.query_one("#results-speed").text.spans]
        assert len({str(style) for style in muted}) <= 1  # one greyed style, no highlighted figures
        await type_into(pilot, "input_tokens", "2000")
        assert not screen.query_one("#results-context").text.plain.startswith("Showing")
        assert len({str(s.style) for s in screen.query_one("#results-speed").text.spans}) > 1
        assert screen.query_one("#api-table").text.plain.startswith("vs API")


async def test_vs_api_shows_list_prices_and_labels_the_blended_price():
    app = new_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = main(app)
        await pilot.press("f6")
        await pilot.pause()
        table = screen.query_one("#api-table").text.plain
        api = app.catalog.api_models[screen.state.api_estimate.model_id]
        assert f"list $/1M in" in table and f"${api.input_usd_per_1m:,.2f}" in table
        assert f"list $/1M out" in table and f"${api.output_usd_per_1m:,.2f}" in table
        assert "all-in per 1M output tokens (input included)" in table


async def test_number_fields_take_the_cli_syntax():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        for text, value in (("32k", 32_000), ("1_000", 1_000), ("2,048", 2_048), ("0.1M", 100_000)):
            await type_into(pilot, "input_tokens", text)
            assert screen.state.errors == {}, text
            assert screen.state.scenario.input_tokens == value
        await type_into(pilot, "requests_per_minute", "1.5k")
        assert screen.state.scenario.requests_per_minute == 1_500


async def test_completion_and_ids_are_forgiving():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        field = screen.query_one("#field-hardware", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"A100")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert field._suggestion.startswith("a100-")  # noqa: SLF001 (what the grey completion shows)
        await pilot.press("right")  # accepts it
        await pilot.pause()
        assert field.value.startswith("a100-") and screen.state.errors == {}
        await type_into(pilot, "model", "Llama 3.1 70B")
        assert screen.state.errors == {} and screen.state.estimate.model_id == "llama-3.1-70b"
        screen.query_one("#field-model", Input).focus()
        await pilot.press("down")
        await pilot.pause()
        picker = app.screen
        picker.query_one("#pick-filter", Input).value = "meta-llama/Llama-3.1-8B-Instruct"
        await pilot.pause()
        ids = [o.id for o in picker.query_one(OptionList).options]
        assert ids[0] == "llama-3.1-8b"


async def test_typing_after_picking_from_the_list_appends():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = main(app)
        field = screen.query_one("#field-model", Input)
        field.focus()
        await pilot.press("down")
        await pilot.pause()
        app.screen.query_one("#pick-filter", Input).value = "llama-3.1-8b"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is field and field.value == "llama-3.1-8b"
        await pilot.press("x")
        await pilot.pause()
        assert field.value == "llama-3.1-8bx"


async def test_quit_without_asking_when_config_says_so_or_nothing_changed():
    app = new_app(settings=Settings(confirm_quit=False))
    async with app.run_test(size=(100, 32)) as pilot:
        await type_into(pilot, "batch", "4")
        assert main(app).state.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    clean = new_app()
    async with clean.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(clean.screen, ConfirmScreen)
    assert clean.return_code == 0


async def test_quit_question_can_be_declined_over_a_modal():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await type_into(pilot, "batch", "4")
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.return_code is None and isinstance(app.screen, HelpScreen)


async def test_compare_lists_the_open_scenario_once_with_text_checkboxes():
    store = ScenarioStore()
    store.save("alpha", Scenario(model="llama-3.1-8b"))
    store.save("beta", Scenario(model="llama-3.1-70b", gpus=4))
    app = new_app(scenario_name="alpha")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        labels = [str(o.prompt) for o in compare.query_one(SelectionList).options]
        assert sum("alpha" in label for label in labels) == 1
        selection_list = compare.query_one(SelectionList)
        lines = [selection_list.render_line(y).text for y in range(len(labels))]
        assert all(line.startswith(("[x]", "[ ]")) for line in lines)
        await pilot.press("space")  # untick the open scenario
        await pilot.pause()
        assert selection_list.render_line(0).text.startswith("[ ]")


async def test_too_small_terminal_says_so_and_recovers():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        await pilot.resize_terminal(59, 24)
        await pilot.pause()
        notice = screen.query_one("#too-small")
        assert screen.has_class("-too-small") and notice.display
        assert notice.text.plain == "terminal too small (needs 60x20)"
        assert not screen.query_one("#body").display
        await pilot.resize_terminal(80, 19)
        await pilot.pause()
        assert screen.has_class("-too-small")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not screen.has_class("-too-small") and not notice.display
        assert screen.query_one("#body").display
        await type_into(pilot, "batch", "3")
        assert screen.state.scenario.batch == 3


async def test_hidden_grid_catches_up_when_shown():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        await type_into(pilot, "batch", "4096")
        state = screen.state
        assert state.grid_pending  # the grid page is hidden: typing skipped it
        await pilot.press("f4")
        await pilot.pause()
        assert not screen.state.grid_pending
        grid = screen.query_one(CompatGrid)
        assert any(not r.fits for r in grid.visible_rows)  # rows for batch 4096, not batch 1
        await pilot.press("f2")
        await type_into(pilot, "batch", "1")
        await pilot.press("f4")
        await pilot.pause()
        assert all(r.fits for r in screen.query_one(CompatGrid).visible_rows)
