"""PlotsScreen: the scenario's curves (speed, TTFT, memory, roofline, cost, load) drawn with textual-plotext."""

from __future__ import annotations

import math
from collections import OrderedDict

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Label
from textual_plotext import PlotextPlot

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.plots import Chart, all_charts
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.text_safety import visible
from llmcalc_tui.widgets.key_bar import KeyBar

ORDER = ("throughput", "tpot", "ttft", "memory", "roofline", "cost", "load")
"""Charts in the order the keys 1-7 and left/right walk them."""
MARKERS = ("braille", "x", "+", "*")
"""One marker per series, so the series differ without colour (NO_COLOR)."""
_CACHE: OrderedDict[str, tuple[Catalog, dict[str, Chart]]] = OrderedDict()
"""Charts of the last few scenarios: going back to a plot costs nothing."""
CACHE_SIZE = 8


def charts_for(scenario: Scenario, catalog: Catalog, grid_rows=None, grid_basis: str = "cloud") -> dict[str, Chart]:
    """The charts of a scenario, from the cache when it was drawn before with the same catalog.

    `grid_rows` None: the hardware grid is built here (the main screen's may lag a hidden grid)."""
    key = f"{id(catalog)}:{grid_basis}:{scenario.model_dump_json()}"
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is catalog:  # the entry holds its catalog, so the id is not reused meanwhile
        _CACHE.move_to_end(key)
        return hit[1]
    if grid_rows is None:
        from llmcalc_tui.core.compat import build_grid

        grid_rows = build_grid(scenario, catalog, grid_basis)  # type: ignore[arg-type]
    charts = all_charts(scenario, catalog, grid_rows)
    _CACHE[key] = (catalog, charts)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return charts


def _tick_label(value: float) -> str:
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks of a log axis drawn on log10 values: every decade, and 2 and 5 between when there are few."""
    first, last = math.floor(low), math.ceil(high)
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [(math.log10(m * 10.0**e), m * 10.0**e) for e in range(first, last + 1) for m in steps]
    ticks = [(t, v) for t, v in ticks if low - 1e-9 <= t <= high + 1e-9]
    return [t for t, _ in ticks], [_tick_label(v) for _, v in ticks]


def draw(plt, chart: Chart) -> None:
    """Draw one chart on a plotext figure; labels go through visible() since from_ansi reads escapes.

    Log axes are drawn as log10 of the values with labelled ticks: plotext's own log scale is applied
    again on every build (each repaint), which corrupts the data after the first frame.
    """
    plt.clear_figure()
    plt.title(visible(chart.title))
    if chart.bars:
        # Horizontal bars: the value runs along x; plotext stacks the first bar at the bottom, so the
        # list goes in reversed to keep the first (cheapest) on top.
        plt.xlabel(visible(chart.y_label))
        bars = list(reversed(chart.bars))
        plt.bar([visible(name) for name, _ in bars], [value for _, value in bars], orientation="horizontal",
                width=0.3)
        return
    plt.xlabel(visible(chart.x_label + (" (log)" if chart.log_x else "")))
    plt.ylabel(visible(chart.y_label + (" (log)" if chart.log_y else "")))

    def drawable(x: float, y: float) -> bool:
        # A log axis has no place for zero or below.
        return math.isfinite(x) and math.isfinite(y) and (x > 0 or not chart.log_x) and (y > 0 or not chart.log_y)

    def fx(x: float) -> float:
        return math.log10(x) if chart.log_x else x

    def fy(y: float) -> float:
        return math.log10(y) if chart.log_y else y

    all_x: list[float] = []
    all_y: list[float] = []
    for i, series in enumerate(chart.series):
        pairs = [(fx(x), fy(y)) for x, y in zip(series.x, series.y) if drawable(x, y)]
        if pairs:
            plt.plot([x for x, _ in pairs], [y for _, y in pairs], label=visible(series.label),
                     marker=MARKERS[i % len(MARKERS)])
            all_x += [x for x, _ in pairs]
            all_y += [y for _, y in pairs]
    for i, (name, y) in enumerate(chart.hlines):
        if all_x and drawable(1.0, y):
            plt.plot([min(all_x), max(all_x)], [fy(y), fy(y)], label=visible(name), marker=("-", "=")[i % 2])
            all_y.append(fy(y))
    for name, x, y in chart.points:
        if drawable(x, y):
            plt.scatter([fx(x)], [fy(y)], label=visible(name), marker="@" if name.startswith("prefill") else "#")
            all_x.append(fx(x))
            all_y.append(fy(y))
    if chart.log_x and all_x:
        plt.xticks(*_log_ticks(min(all_x), max(all_x)))
    if chart.log_y and all_y:
        plt.yticks(*_log_ticks(min(all_y), max(all_y)))


class PlotsScreen(Screen[None]):
    """One plot at a time of the current scenario; 1-7 or left/right pick it, escape goes back."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="plots-close", tooltip="Back to the calculator"),
        Binding("right", "step(1)", "Next plot", id="plots-next", tooltip="Show the next plot"),
        Binding("left", "step(-1)", "Previous", id="plots-previous", tooltip="Show the previous plot"),
        *[Binding(str(i + 1), f"show('{key}')", key, show=False, id=f"plots-{key}", tooltip=f"Show {key}")
          for i, key in enumerate(ORDER)],
    ]
    HELP = ("The curves of the current scenario, from the same core as the results: 1 output tok/s and 2 TPOT "
            "against batch, 3 TTFT against prompt length, 4 memory against context with capacity and budget, "
            "5 the roofline with prefill and decode marked, 6 $/1M tokens across hardware, 7 p50/p99 latency "
            "against request rate from the load simulation.")
    DEFAULT_CSS = """
    PlotsScreen #plots-title { text-style: bold; padding: 0 1; background: $panel; width: 1fr; }
    PlotsScreen #plots-tabs { padding: 0 1; color: $text-muted; width: 1fr; }
    PlotsScreen PlotextPlot { height: 1fr; }
    PlotsScreen #plots-note { color: $text-muted; padding: 0 1; height: auto; }
    """

    shown: reactive[str] = reactive("throughput", init=False)
    """Key of the chart on screen."""

    def __init__(self, catalog: Catalog, scenario: Scenario, grid_rows=None, title: str = "",
                 grid_basis: str = "cloud") -> None:
        super().__init__()
        self.catalog = catalog
        """Catalog the charts are computed with."""
        self.scenario = scenario
        """Scenario whose curves are drawn."""
        self.grid_rows = None if grid_rows is None else tuple(grid_rows)
        """The main screen's hardware grid (the $/1M chart reads it; None: built in the worker)."""
        self.grid_basis = grid_basis
        """Cost basis of the $/1M chart."""
        self.heading = title
        """What the title line says about the scenario."""
        self.charts: dict[str, Chart] | None = None
        """The computed charts (None while the worker runs)."""

    def compose(self) -> ComposeResult:
        yield Label(visible(f"Plots: {self.heading}"), id="plots-title", markup=False)
        yield Label("", id="plots-tabs", markup=False)
        yield PlotextPlot(id="plots-plot")
        yield Label("computing…", id="plots-note", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_tabs()
        self._compute()

    @work(thread=True, exclusive=True, group="plots", exit_on_error=False)
    def _compute(self) -> None:
        charts = charts_for(self.scenario, self.catalog, self.grid_rows, self.grid_basis)
        self.app.call_from_thread(self._computed, charts)

    def _computed(self, charts: dict[str, Chart]) -> None:
        self.charts = charts
        self._draw()

    def _show_tabs(self) -> None:
        names = {"throughput": "tok/s", "tpot": "TPOT", "ttft": "TTFT", "memory": "memory", "roofline": "roofline",
                 "cost": "$/1M", "load": "load"}
        self.query_one("#plots-tabs", Label).update(
            "  ".join(f"[{i + 1} {names[k]}]" if k == self.shown else f" {i + 1} {names[k]} "
                      for i, k in enumerate(ORDER)))

    def _draw(self) -> None:
        plot = self.query_one(PlotextPlot)
        note = self.query_one("#plots-note", Label)
        if self.charts is None:
            return
        chart = self.charts[self.shown]
        draw(plot.plt, chart)
        extra = ""
        if chart.hlines:
            extra = "; ".join(f"{name} {value:,.1f} {chart.y_label}" for name, value in chart.hlines)
        note.update(visible("; ".join(part for part in (chart.note, extra) if part) or " "))
        plot.refresh()

    def watch_shown(self) -> None:
        self._show_tabs()
        self._draw()

    def action_step(self, step: int) -> None:
        """Show the next (or previous) plot."""
        self.shown = ORDER[(ORDER.index(self.shown) + step) % len(ORDER)]

    def action_show(self, key: str) -> None:
        """Show one plot by its key."""
        if key in ORDER:
            self.shown = key

    def action_close(self) -> None:
        """Back to the calculator."""
        self.dismiss(None)
