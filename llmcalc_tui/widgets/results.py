"""Results: memory bar, latency and throughput, cost, warnings and assumptions; plus the summary line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive

from llmcalc_tui.core.estimate import GIB, Estimate
from llmcalc_tui.core.units import (
    fmt_duration_band,
    fmt_duration_ms,
    fmt_money,
    fmt_money_per_request,
    fmt_rate,
    fmt_rate_band,
    fmt_sig,
)
from llmcalc_tui.state import BASIS_WORDS, FIELD_SPECS, AppState, EstimateFacts, estimate_facts, needs_words
from llmcalc_tui.widgets.memory_bar import FIT_TEXT, MemoryBar
from llmcalc_tui.widgets.text_block import TextBlock, is_hidden, text_style

LABEL_WIDTH = 14
STALE_NOTE = "showing the last valid setup"
"""Said wherever results stay on screen while a field is invalid."""
BASIS_DETAIL = {
    "cloud": "rented: cloud $/GPU-hour",
    "owned": "owned: purchase spread over its life + electricity",
    "api": "API list prices",
}
"""basis_kind -> the cost heading's words."""
STACK_BELOW = 96
"""Results narrower than this stack speed above cost instead of side by side."""


def with_band(est: Estimate, key: str, value: float | None, kind: str) -> str:
    """A figure and its uncertainty band in the value's own unit: "4.41 s (3.35 to 5.80 s)"."""
    band = est.bands.get(key)
    low, high = (band.low, band.high) if band is not None else (None, None)
    if kind == "duration":
        return fmt_duration_band(value, low, high)
    return fmt_rate_band(value, low, high)


def metric_lines(rows: list[tuple[str, str]], label_style: Style, value_style: Style) -> Text:
    """Aligned 'label  value' lines."""
    text = Text()
    for n, (label, value) in enumerate(rows):
        if n:
            text.append("\n")
        text.append(label.ljust(LABEL_WIDTH), label_style)
        text.append(value, value_style)
    return text


def grey(text: Text, style: Style) -> Text:
    """The same text in one muted style: results that no longer match the form."""
    return Text(text.plain, style=style, end="", no_wrap=text.no_wrap)


def not_fit_lines(est: Estimate, facts: EstimateFacts) -> list[str]:
    """Why there are no figures: the devices the setup needs, or the largest batch that fits."""
    lines: list[str] = []
    if est.max_batch >= 1 and est.batch > est.max_batch:
        lines.append(f"fits up to batch {est.max_batch:,}")
    else:
        hardware = est.hardware_id or "this hardware"
        lines.append(needs_words(facts.gpus_needed, facts.nodes_needed, hardware))
    return lines


def fits_as_given(est: Estimate) -> bool:
    """Whether the setup runs as given (an API always does)."""
    return est.memory is None or est.fits


def setup_words(est: Estimate) -> str:
    """'llama-3.1-70b fp8 on 2 x h100-sxm (vllm)' or the API model."""
    if est.hardware_id is None:
        return f"{est.model_name} (API)"
    return f"{est.model_id} {est.weights_format} on {est.gpus} x {est.hardware_id} ({est.engine_id})"


class ResultsPanel(VerticalScroll, can_focus=True):
    """Everything the estimate says about the current scenario; scroll with the arrow keys."""

    HELP = (
        "Results of the scenario: memory per GPU against capacity, latency (TTFT, TPOT, end to end), "
        "throughput and cost, then the warnings and assumptions behind them. When a field is invalid "
        "the last good results stay and a banner names the field."
    )
    COMPONENT_CLASSES = {"results--label", "results--value", "results--warning", "results--assumption",
                         "results--heading", "results--stale", "results--stale-body", "results--no-fit"}
    DEFAULT_CSS = """
    ResultsPanel { height: 1fr; padding: 0 1; }
    ResultsPanel > .results--label { color: $text-muted; }
    ResultsPanel > .results--value { color: $metric-accent; text-style: bold; }
    ResultsPanel > .results--warning { color: $text-warning; }
    ResultsPanel > .results--assumption { color: $text-muted; }
    ResultsPanel > .results--heading { text-style: bold; }
    ResultsPanel > .results--stale { color: $text-error; text-style: bold; }
    ResultsPanel > .results--stale-body { color: $text-muted; text-style: dim; }
    ResultsPanel > .results--no-fit { color: $fit-no; text-style: bold; }
    ResultsPanel #results-context { height: 1; }
    ResultsPanel #results-metrics { height: auto; margin-top: 1; }
    ResultsPanel #results-speed, ResultsPanel #results-cost { width: 1fr; height: auto; }
    ResultsPanel #results-speed { padding-right: 1; }
    ResultsPanel #results-notes { margin-top: 1; height: auto; }
    ResultsPanel.-stacked #results-metrics { layout: vertical; }
    ResultsPanel.-stacked #results-cost { margin-top: 1; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown_estimate: Estimate | None = None
        self._shown_errors: object = None
        self._shown_stale = False
        self._pending = False

    def on_show(self) -> None:
        if self._pending and self.state is not None:
            self.watch_state(self.state)

    def compose(self) -> ComposeResult:
        yield TextBlock("", id="results-context", wrap=False)
        yield MemoryBar(id="results-memory")
        with Horizontal(id="results-metrics"):
            yield TextBlock("", id="results-speed", wrap=False)
            yield TextBlock("", id="results-cost", wrap=False)
        yield TextBlock("", id="results-notes")

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < STACK_BELOW, "-stacked")

    def _theme_changed(self, _theme: object) -> None:
        self._shown_estimate = None
        if self.state is not None:
            self.watch_state(self.state)

    def _style(self, name: str) -> Style:
        return text_style(self, f"results--{name}")

    def watch_state(self, state: AppState | None) -> None:
        if state is None:
            return
        if is_hidden(self):
            self._pending = True
            return
        self._pending = False
        est = state.estimate
        stale = state.stale
        if state.errors != self._shown_errors or est is not self._shown_estimate:
            self._shown_errors = state.errors
            self.query_one("#results-context", TextBlock).show(self._context_line(state))
        if est is self._shown_estimate and stale == self._shown_stale:
            return
        self._shown_estimate = est
        self._shown_stale = stale
        bar = self.query_one(MemoryBar)
        bar.stale = stale
        bar.estimate = est
        if est is None:
            return
        blocks = {"#results-speed": self._speed(est), "#results-cost": self._cost(est),
                  "#results-notes": self._notes(est)}
        muted = self._style("stale-body")
        for selector, text in blocks.items():
            self.query_one(selector, TextBlock).show(grey(text, muted) if stale else text)

    def _context_line(self, state: AppState) -> Text:
        """One line: what the results are for, or why they are the last good ones."""
        if state.errors:
            first, message = next(iter(state.errors.items()))
            label = FIELD_SPECS[first].label if first in FIELD_SPECS else first
            more = f" (+{len(state.errors) - 1} more)" if len(state.errors) > 1 else ""
            return Text(f"{STALE_NOTE.capitalize()} (greyed) · ✗ {label}: {message}{more}", self._style("stale"))
        est = state.estimate
        if est is None:
            return Text("")
        s = est.scenario
        return Text(f"{setup_words(est)} · {s.input_tokens:,} in / {s.output_tokens:,} out", self._style("label"))

    def _speed(self, est: Estimate) -> Text:
        t = est.timing
        facts = estimate_facts(est)
        if not fits_as_given(est):
            heading = Text(f"Speed  batch {est.batch:,}\n", self._style("heading"))
            body = Text("✗ " + "\n✗ ".join(not_fit_lines(est, facts)), self._style("no-fit"))
            return heading + body + Text("\nno speed: the setup cannot run as given", self._style("assumption"))
        heading = Text(f"Speed  batch {est.batch:,}\n", self._style("heading"))
        for line in est.lever_lines:  # issue 14: what each lever changed, before -> after
            heading.append(f"» {line}\n", self._style("value"))
        ttft_rows: list[tuple[str, str]]
        batch_prefill = facts.ttft_batch_ms
        if est.batch > 1 and batch_prefill is not None:
            ttft_rows = [
                ("TTFT busy", with_band(est, "ttft_ms", t.ttft_ms, "duration")),
                ("prefill batch", with_band(est, "ttft_batch_ms", batch_prefill, "duration")),
            ]
        else:
            ttft_rows = [("TTFT", with_band(est, "ttft_ms", t.ttft_ms, "duration"))]
        rows = [
            *ttft_rows,
            ("TPOT", with_band(est, "tpot_ms", t.tpot_ms, "duration")),
            ("end to end", fmt_duration_ms(t.end_to_end_ms)),
            ("prefill", with_band(est, "prefill_tok_s", t.prefill_tok_s, "rate")),
            ("decode/seq", with_band(est, "decode_tok_s", t.decode_tok_s_per_sequence, "rate")),
            ("total out", with_band(est, "output_tok_s_total", t.output_tok_s_total, "rate")),
        ]
        return heading + metric_lines(rows, self._style("label"), self._style("value"))

    def _cost(self, est: Estimate) -> Text:
        c = est.cost
        facts = estimate_facts(est)
        rpm = est.scenario.requests_per_minute
        heading = Text(f"Cost  {BASIS_DETAIL.get(facts.basis_kind, est.deployment)}\n", self._style("heading"))
        if not fits_as_given(est):
            return heading + Text("no cost: the setup cannot run as given", self._style("assumption"))
        replicas = ""
        if facts.replicas is not None and est.memory is not None:
            replicas = f" · {facts.replicas:,} replica{'s' if facts.replicas != 1 else ''}"
        rows = [
            ("per request", fmt_money_per_request(c.per_request)),
            # An API's price per output token also carries the input it was sent with.
            ("all-in 1M out" if facts.basis_kind == "api" else "per 1M out", fmt_money(c.per_1m_output_tokens)),
            ("per hour", fmt_money(c.per_hour)),
            ("per month", fmt_money(c.per_month) + replicas),
        ]
        body = metric_lines(rows, self._style("label"), self._style("value"))
        basis_line = f"\n{c.basis} · month at {fmt_sig(rpm, 6, strip=True)} req/min"
        return heading + body + Text(basis_line, self._style("assumption"))

    def _notes(self, est: Estimate) -> Text:
        text = Text()
        facts = estimate_facts(est)
        if fits_as_given(est) and est.batch > 1 and facts.ttft_batch_ms is not None:
            text.append(f"TTFT busy: one request's first token on a server already running {est.batch:,} sequences"
                        f" · prefill batch: all {est.batch:,} prompts prefilled together\n", self._style("assumption"))
        for warning in est.warnings:
            text.append(f"⚠ {warning}\n", self._style("warning"))
        if est.assumptions:
            text.append("Assumptions\n", self._style("heading"))
            for assumption in est.assumptions:
                text.append(f"• {assumption}\n", self._style("assumption"))
        text.rstrip()
        return text


class SummaryBar(TextBlock):
    """Two lines with the headline results, visible on every tab of the narrow layout."""

    WRAP = False
    COMPONENT_CLASSES = {"summary--ok", "summary--tight", "summary--no", "summary--value", "summary--label",
                         "summary--error", "summary--stale"}
    DEFAULT_CSS = """
    SummaryBar { height: 2; padding: 0 1; background: $panel; }
    SummaryBar > .summary--ok { color: $fit-ok; text-style: bold; }
    SummaryBar > .summary--tight { color: $fit-tight; text-style: bold; }
    SummaryBar > .summary--no { color: $fit-no; text-style: bold; }
    SummaryBar > .summary--value { color: $metric-accent; text-style: bold; }
    SummaryBar > .summary--label { color: $text-muted; }
    SummaryBar > .summary--error { color: $text-error; text-style: bold; }
    SummaryBar > .summary--stale { color: $text-muted; text-style: dim; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.watch_state(self.state))

    def _style(self, name: str) -> Style:
        return text_style(self, f"summary--{name}")

    def watch_state(self, state: AppState | None) -> None:
        if state is None:
            return
        self.show(self.summary(state))

    def summary(self, state: AppState) -> Text:
        """The two summary lines for a state; greyed, and saying so, while a field is invalid."""
        est = state.estimate
        label, value = self._style("label"), self._style("value")
        line1 = Text()
        if est is None:
            line1.append("no results", label)
        else:
            if est.memory is not None:
                fit = est.fit_state if est.fit_state in ("ok", "tight", "no") else "ok"
                line1.append(FIT_TEXT[est.fit_state], self._style(fit))
                line1.append(f" {est.memory.per_gpu / GIB:,.1f}/{est.memory.capacity_per_gpu / GIB:,.0f} GiB", value)
            else:
                line1.append("API", value)
            if fits_as_given(est):
                for name, text in (
                    ("TTFT", fmt_duration_ms(est.timing.ttft_ms)),
                    ("TPOT", fmt_duration_ms(est.timing.tpot_ms)),
                    ("", fmt_rate(est.timing.output_tok_s_total)),
                ):
                    line1.append(" │ ", label)
                    if name:
                        line1.append(f"{name} ", label)
                    line1.append(text, value)
            else:
                line1.append(" │ ", label)
                line1.append(" · ".join(not_fit_lines(est, estimate_facts(est))), self._style("no"))
        if state.errors:
            line1 = Text(f"{STALE_NOTE.capitalize()}: ", self._style("stale")) + grey(line1, self._style("stale"))
        line2 = Text()
        if state.loaded_name:
            line2.append(state.loaded_name + (" *" if state.dirty else ""), self._style("value"))
            line2.append(" │ ", label)
        if state.errors:
            first, message = next(iter(state.errors.items()))
            field_label = FIELD_SPECS[first].label if first in FIELD_SPECS else first
            line2.append(f"✗ {field_label}: {message}", self._style("error"))
        elif est is not None and fits_as_given(est):
            facts = estimate_facts(est)
            line2.append(fmt_money(est.cost.per_1m_output_tokens), value)
            line2.append("/1M out │ ", label)
            line2.append(fmt_money(est.cost.per_hour), value)
            line2.append(f"/h {BASIS_WORDS.get(facts.basis_kind, facts.basis_kind)} │ ", label)
            line2.append(setup_words(est), label)
        elif est is not None:
            line2.append("no speed or cost: the setup cannot run as given │ ", label)
            line2.append(setup_words(est), label)
        return Text("\n").join([line1, line2])
