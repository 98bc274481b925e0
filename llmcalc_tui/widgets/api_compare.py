"""Side by side: the self-hosted setup against an API model for the same workload."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.app import ComposeResult
from textual.reactive import reactive
from llmcalc_tui.widgets.text_block import TextBlock, is_hidden, text_style

from llmcalc_tui.core.estimate import Estimate
from llmcalc_tui.core.units import fmt_duration_ms, fmt_money, fmt_money_per_request, fmt_rate, fmt_sig
from llmcalc_tui.state import AppState, break_even_requests_per_minute, capacity_requests_per_minute
from llmcalc_tui.widgets.results import STALE_NOTE

Metric = tuple[str, Callable[[Estimate], float | None], Callable[[float | None], str], str]
METRICS: tuple[Metric, ...] = (
    ("TTFT", lambda e: e.timing.ttft_ms, fmt_duration_ms, "lower"),
    ("TPOT", lambda e: e.timing.tpot_ms, fmt_duration_ms, "lower"),
    ("end to end", lambda e: e.timing.end_to_end_ms, fmt_duration_ms, "lower"),
    ("tok/s per req", lambda e: e.timing.decode_tok_s_per_sequence, fmt_rate, "higher"),
    ("$/request", lambda e: e.cost.per_request, lambda x: short_per_request(x), "lower"),
    ("all-in $/1M out", lambda e: e.cost.per_1m_output_tokens, fmt_money, "lower"),
    ("$/month", lambda e: e.cost.per_month, fmt_money, "lower"),
)
"""Compared rows: label, value, formatter, which direction is better."""
LABEL_WIDTH = 16
BLENDED_NOTE = "all-in $/1M out: all-in per 1M output tokens (input included)"
"""What the blended price row means; the API's list prices show separately above it."""
VALUE_WIDTH = 16


def short_per_request(usd: float | None) -> str:
    """A per-request cost short enough for a table cell: "$0.02", or "$3.81/1k req" below a cent."""
    return fmt_money_per_request(usd).replace(" per 1k requests", "/1k req").replace(" per request", "")


def best_side(a: float | None, b: float | None, better: str) -> int | None:
    """0 or 1 for the better of two values, None when either is missing or they tie."""
    if a is None or b is None or a == b:
        return None
    return 0 if (a < b) == (better == "lower") else 1


class ApiComparePanel(VerticalScroll, can_focus=True):
    """The chosen self-hosted setup and the chosen API model: latency, $/request and $/month."""

    HELP = (
        "Self-hosted against an API for the same workload. The API model, request rate and cached share "
        "are in the form's 'Compare with API' section (F2). ✓ marks the better value of each row."
    )
    COMPONENT_CLASSES = {"api-compare--best", "api-compare--label", "api-compare--heading", "api-compare--note",
                         "api-compare--stale"}
    DEFAULT_CSS = """
    ApiComparePanel { height: 1fr; padding: 0 1; }
    ApiComparePanel > .api-compare--best { color: $best-value; text-style: bold; }
    ApiComparePanel > .api-compare--label { color: $text-muted; }
    ApiComparePanel > .api-compare--heading { text-style: bold; }
    ApiComparePanel > .api-compare--note { color: $text-muted; }
    ApiComparePanel > .api-compare--stale { color: $text-muted; text-style: dim; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: tuple[object, ...] = ()
        self._pending = False

    def on_show(self) -> None:
        if self._pending and self.state is not None:
            self.watch_state(self.state)

    def compose(self) -> ComposeResult:
        yield TextBlock("", id="api-table", wrap=False)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self._shown = ()
        self.watch_state(self.state)

    def _style(self, name: str) -> Style:
        return text_style(self, f"api-compare--{name}")

    def watch_state(self, state: AppState | None) -> None:
        if state is None:
            return
        if is_hidden(self):
            self._pending = True
            return
        self._pending = False
        shown = (state.estimate, state.api_estimate, state.api_error, state.api_prices, bool(state.errors))
        if len(self._shown) == len(shown) and all(a is b or a == b for a, b in zip(shown, self._shown)):
            return
        self._shown = shown
        table = self.render_table(state)
        if state.errors:
            # Greyed and labelled: these figures belong to the last valid setup, not to the form. The
            # note replaces the heading line, so the block keeps its height and nothing is laid out again.
            _heading, _, body = table.plain.partition("\n")
            table = Text(f"{STALE_NOTE.capitalize()} (greyed)\n{body}", style=self._style("stale"))
        self.query_one("#api-table", TextBlock).show(table)

    def render_table(self, state: AppState) -> Text:
        """The comparison as aligned text."""
        own, api = state.estimate, state.api_estimate
        label_style, best_style = self._style("label"), self._style("best")
        text = Text()
        text.append("vs API", self._style("heading"))
        if own is not None:
            text.append(f"  {own.scenario.input_tokens:,} in / {own.scenario.output_tokens:,} out", label_style)
        text.append("\n")
        if own is None:
            return text + Text("no self-hosted results yet", label_style)
        own_name = "self-hosted" if own.hardware_id else own.model_name
        api_name = api.model_name if api is not None else (state.scenario.api_model or "API")
        text.append("".ljust(LABEL_WIDTH))
        text.append(own_name[: VALUE_WIDTH - 1].ljust(VALUE_WIDTH), self._style("heading"))
        text.append(api_name[: VALUE_WIDTH - 1], self._style("heading"))
        text.append("\n")
        setup = f"{own.gpus}x {own.hardware_id}" if own.hardware_id else "API"
        provider = api.model_id if api is not None else "-"
        text.append("setup".ljust(LABEL_WIDTH), label_style)
        text.append(setup[: VALUE_WIDTH - 1].ljust(VALUE_WIDTH))
        text.append(provider[: VALUE_WIDTH - 1])
        text.append("\n")
        prices = state.api_prices if api is not None else None
        if prices is not None:
            rows = [("list $/1M in", prices.input), ("list $/1M out", prices.output)]
            if prices.cached_input is not None:
                rows.insert(1, ("list cached in", prices.cached_input))
            for label, price in rows:
                text.append(label.ljust(LABEL_WIDTH), label_style)
                text.append("-".ljust(VALUE_WIDTH))
                text.append(fmt_money(price))
                text.append("\n")
        for label, value, fmt, better in METRICS:
            a = value(own)
            b = value(api) if api is not None else None
            best = best_side(a, b, better)
            text.append(label.ljust(LABEL_WIDTH), label_style)
            for side, number in ((0, a), (1, b)):
                cell = fmt(number) + (" ✓" if best == side else "")
                text.append(cell.ljust(VALUE_WIDTH) if side == 0 else cell, best_style if best == side else "")
            text.append("\n")
        thinking = getattr(api, "reasoning_tokens", 0) if api is not None else 0
        if thinking:
            text.append_text(self._reasoning_row(api, thinking))
        rpm = own.scenario.requests_per_minute
        text.append(f"{BLENDED_NOTE}\n", self._style("note"))
        text.append(f"$/month at {fmt_sig(rpm, 6, strip=True)} req/min\n", self._style("note"))
        if state.api_error:
            text.append(f"✗ API side: {state.api_error}\n", self._style("note"))
        elif api is not None:
            text.append_text(self._notes(own, api))
        return text.rstrip() or text

    def _reasoning_row(self, api: Estimate, thinking: int) -> Text:
        """Hidden reasoning tokens as their own segment: count, the wait they add and what they cost."""
        label_style, note = self._style("label"), self._style("note")
        text = Text()
        text.append("reasoning".ljust(LABEL_WIDTH), label_style)
        text.append("-".ljust(VALUE_WIDTH))
        text.append(f"{thinking:,} tok")
        text.append("\n")
        wait = getattr(api, "reasoning_ms", None)
        tier = getattr(api, "price", None)
        cost = thinking * tier.output / 1e6 if tier is not None else None
        parts = [f"+{fmt_duration_ms(wait)} to first token" if wait else "wait unknown"]
        if cost is not None:
            parts.append(f"+{fmt_money(cost)}/request (billed as output)")
        text.append(f"  hidden: {', '.join(parts)}\n", note)
        return text

    def _notes(self, own: Estimate, api: Estimate) -> Text:
        note = self._style("note")
        text = Text()
        as_of = getattr(api, "prices_as_of", "")
        if as_of:
            text.append(f"API prices as of {as_of} (palette: Update API prices)\n", note)
        break_even = break_even_requests_per_minute(own, api) if own.hardware_id else None
        capacity = capacity_requests_per_minute(own) if own.hardware_id else None
        if break_even is not None:
            text.append(f"Self-hosting is cheaper above {break_even:,.1f} req/min\n", note)
            if capacity is not None:
                verdict = " (API stays cheaper)" if break_even > capacity else ""
                text.append(f"One setup serves up to {capacity:,.1f} req/min{verdict}\n", note)
        if api.timing.ttft_ms is None:
            text.append("No published latency for this API endpoint\n", note)
        for warning in api.warnings:
            text.append(f"⚠ {warning}\n", note)
        return text
