"""Pilot tests of the issue 14 levers in the app: the form fields, before -> after, the grid's offload
toggle, and the quants and models-that-fit views."""

from __future__ import annotations

from textual.widgets import Input

from llmcalc_tui.app import make_app
from llmcalc_tui.screens.levers_views import LeverTableScreen
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.widgets.compat_grid import CompatGrid
from llmcalc_tui.widgets.text_block import TextBlock


def new_app():
    return make_app(theme="llmcalc-dark", remember_ui_state=False)


async def type_into(pilot, field: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#field-{field}", Input)
    widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await pilot.pause()


async def seventy_b_on_a_4090(pilot) -> MainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    await type_into(pilot, "model", "llama-3.1-70b")
    screen.set_field("weights", "q4_k_m")
    await pilot.pause()
    await type_into(pilot, "hardware", "rtx-4090")
    return screen


async def test_gpu_layers_field_offloads_and_results_say_so():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await seventy_b_on_a_4090(pilot)
        assert not screen.state.estimate.fits
        await type_into(pilot, "gpu_layers", "auto")
        est = screen.state.estimate
        assert est.fits and 30 <= est.offload["gpu_layers"] < 80
        speed = screen.query_one("#results-speed", TextBlock).text.plain
        assert f"» offload: {est.offload['gpu_layers']} of 80 layers on the GPU" in speed
        await type_into(pilot, "gpu_layers", "99")  # above the 80 layers: marked, last good result kept
        assert "gpu_layers" in screen.state.errors and screen.state.estimate is est
        await type_into(pilot, "ram_gib", "8")
        assert "gpu_layers" in screen.state.errors  # still the bad layer count
        await type_into(pilot, "gpu_layers", "auto")
        assert not screen.state.estimate.fits  # 8 GiB of RAM cannot hold the rest


async def test_draft_fields_show_tpot_before_and_after():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = pilot.app.screen
        await type_into(pilot, "draft_model", "llama-3.2-1b")
        await type_into(pilot, "draft_tokens", "4")
        await type_into(pilot, "acceptance", "0.7")
        est = screen.state.estimate
        assert est.speculative["draft_tokens"] == 4 and est.speculative["acceptance"] == 0.7
        assert any("k = 4, acceptance 0.7" in line and "->" in line for line in est.lever_lines)
        await type_into(pilot, "acceptance", "1.5")
        assert "acceptance" in screen.state.errors and screen.state.estimate is est
        await type_into(pilot, "acceptance", "0.7")
        await type_into(pilot, "draft_model", "gpt-4o")
        assert "draft_model" in screen.state.errors


async def test_cached_prefix_and_reasoning_fields():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = pilot.app.screen
        plain = screen.state.estimate.timing.ttft_ms
        await type_into(pilot, "cached_prefix_tokens", "800")
        assert screen.state.estimate.prefix_cache["cached_tokens"] == 800
        assert screen.state.estimate.timing.ttft_ms < plain
        await type_into(pilot, "cached_prefix_tokens", "")
        await type_into(pilot, "model", "gpt-4o")
        await type_into(pilot, "reasoning", "high")
        assert screen.state.scenario.reasoning == "high" and not screen.state.errors
        await type_into(pilot, "reasoning", "lots")
        assert "reasoning" in screen.state.errors


async def test_grid_offload_toggle():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await seventy_b_on_a_4090(pilot)
        await pilot.press("f4")
        grid = screen.query_one(CompatGrid)
        grid.focus()
        await pilot.pause()
        row = next(r for r in screen.state.grid if r.hardware == "rtx-3090")
        assert row.placement == "gpu" and row.gpus_needed != 1
        await pilot.press("l")
        await pilot.pause()
        assert screen.state.grid_offload
        row = next(r for r in screen.state.grid if r.hardware == "rtx-3090")
        assert row.fits and row.placement == "offload" and row.gpus_needed == 1
        assert "offload" in grid.describe()
        await pilot.press("l")
        await pilot.pause()
        assert not screen.state.grid_offload


async def test_quants_view_from_the_key_and_enter_takes_the_recommendation():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await seventy_b_on_a_4090(pilot)
        await pilot.press("ctrl+b")
        await pilot.pause()
        view = app.screen
        assert isinstance(view, LeverTableScreen) and "q4_k_m" in view.body and "*" in view.body
        recommended = view.edits["weights"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.state.scenario.weights == recommended and screen.state.estimate.fits


async def test_models_that_fit_view_and_escape():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        await type_into(pilot, "hardware", "rtx-4090")
        await pilot.press("ctrl+f")
        await pilot.pause()
        view = app.screen
        assert isinstance(view, LeverTableScreen) and "llama-3.1-8b" in view.body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.state.scenario.hardware == "rtx-4090"


async def test_a_cached_prefix_longer_than_the_prompt_marks_its_own_field():
    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = pilot.app.screen
        before = screen.state.estimate
        await type_into(pilot, "cached_prefix_tokens", "5000")
        assert "exceeds the 1,000-token prompt" in screen.state.errors["cached_prefix_tokens"]
        assert screen.state.estimate is before


async def test_draft_field_lists_open_models():
    from llmcalc_tui.screens.pick import PickScreen

    app = new_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = pilot.app.screen
        await type_into(pilot, "draft_model", "")
        await pilot.press("down")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickScreen)
        ids = {o.id for o in picker.all_options}
        assert "llama-3.2-1b" in ids and "gpt-4o" not in ids
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
