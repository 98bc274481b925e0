"""Pilot: the Plan screen (live, debounced, off the keystroke path), the Plots screen and copying the launch command."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label
from textual_plotext import PlotextPlot

from llmcalc_tui.app import make_app
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.screens.plan import PlanScreen, parse_plan_fields
from llmcalc_tui.screens.plots import ORDER, PlotsScreen


def new_app():
    return make_app(theme="llmcalc-dark", remember_ui_state=False)


async def wait_for_workers(pilot, ready=lambda screen: True) -> None:
    """Wait for the screen's worker; it may start only after the key press that opened the screen returned."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if ready(pilot.app.screen):
            return
    raise AssertionError("the worker never delivered")


def label_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


async def test_plan_screen_plans_the_scenario_and_follows_its_fields():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+l")
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        await wait_for_workers(pilot, lambda screen: screen.result is not None)
        table = screen.query_one(DataTable)
        assert table.row_count > 0
        first = screen.result.options[0]
        assert screen.result.request.model == app.screen.scenario.model
        assert str(table.get_row_at(0)[0]) == first.hardware
        low_gpus = min(o.total_gpus for o in screen.result.options if o.meets_slo)
        status = label_text(screen, "#plan-status")
        assert "disaggregated on" in status and "hybrid:" in status
        # More traffic, typed in: the plan follows after the debounce, and needs no fewer GPUs.
        rps = screen.query_one("#plan-rps", Input)
        rps.value = "200"
        await pilot.pause(0.4)
        await wait_for_workers(pilot, lambda screen: screen.result.request.rps == 200)
        assert screen.result.request.rps == 200
        assert min(o.total_gpus for o in screen.result.options if o.meets_slo) >= low_gpus
        # A bad field is marked, and the last plan stays.
        rps.value = "fast"
        await pilot.pause(0.4)
        assert rps.has_class("-invalid")
        assert screen.result.request.rps == 200
        assert "last valid plan" in label_text(screen, "#plan-status")
        await pilot.press("f9")
        assert app.clipboard == screen.result.options[0].launch["command"]
        table.focus()
        await pilot.press("down")
        await pilot.press("f9")
        assert app.clipboard == screen.result.options[1].launch["command"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


def test_plan_fields_parse_like_the_cli():
    values, errors = parse_plan_fields({"rps": "1.5k", "ttft": "", "tpot": "50", "percentile": "p90"})
    assert values == {"rps": 1500.0, "ttft": None, "tpot": 50.0, "percentile": 90} and not errors
    _values, errors = parse_plan_fields({"rps": "0", "ttft": "-1", "tpot": "x", "percentile": "75"})
    assert set(errors) == {"rps", "ttft", "tpot", "percentile"}


async def test_plots_screen_draws_every_plot_at_80x24():
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+g")
        screen = app.screen
        assert isinstance(screen, PlotsScreen)
        await wait_for_workers(pilot, lambda screen: screen.charts is not None)
        assert screen.charts is not None and set(screen.charts) == set(ORDER)
        plot = screen.query_one(PlotextPlot)
        assert plot.size.height >= 15 and plot.size.width == 80
        for i, key in enumerate(ORDER):
            await pilot.press(str(i + 1))
            assert screen.shown == key
            chart = screen.charts[key]
            assert not chart.empty, key
            text = str(plot.render())
            assert chart.title[:20] in text  # the figure was drawn with this chart's title
        await pilot.press("right")
        assert screen.shown == ORDER[0]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_copy_launch_command_from_the_main_screen():
    app = new_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+y")
        assert app.clipboard.startswith(("vllm serve ", "llama-server ")), app.clipboard


def test_charts_are_cached_per_scenario_and_catalog():
    from llmcalc_tui.catalog.loader import load_builtin
    from llmcalc_tui.core.scenario import Scenario
    from llmcalc_tui.screens.plots import charts_for

    catalog = load_builtin()
    scenario = Scenario(model="llama-3.1-8b", hardware="l40s")
    first = charts_for(scenario, catalog)
    assert charts_for(scenario, catalog) is first
    assert charts_for(scenario.model_copy(update={"batch": 4}), catalog) is not first
