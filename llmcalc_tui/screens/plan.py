"""PlanScreen: `llmcalc plan` in the app, recomputed off the keystroke path as its fields change."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import Scenario, ScenarioError
from llmcalc_tui.core.units import parse_number
from llmcalc_tui.text_safety import visible
from llmcalc_tui.widgets.key_bar import KeyBar

DEBOUNCE_S = 0.3
"""Typing pauses this long before the plan is recomputed (a plan simulates every layout)."""
PROBE_REQUESTS = 400
"""Requests per simulation in the app: a coarser answer than the CLI's 1,000, in a fraction of the time."""
FIELDS = (
    ("rps", "requests/s", "2"),
    ("ttft", "TTFT ms", ""),
    ("tpot", "TPOT ms", ""),
    ("percentile", "p", "99"),
)


def parse_plan_fields(raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Values of the plan's fields, and a reason for each field that does not read."""
    values: dict = {}
    errors: dict[str, str] = {}
    try:
        rps = parse_number(raw.get("rps", ""))
        if not rps > 0:
            raise ValueError("must be above 0")
        values["rps"] = rps
    except ValueError as exc:
        errors["rps"] = str(exc) or "not a number"
    for key in ("ttft", "tpot"):
        text = raw.get(key, "").strip()
        if not text:
            values[key] = None
            continue
        try:
            value = parse_number(text)
            if not value > 0:
                raise ValueError("must be above 0")
            values[key] = value
        except ValueError as exc:
            errors[key] = str(exc) or "not a number"
    text = raw.get("percentile", "").strip().lstrip("pP") or "99"
    if text in ("50", "90", "99"):
        values["percentile"] = int(text)
    else:
        errors["percentile"] = "50, 90 or 99"
    return values, errors


class PlanScreen(Screen[None]):
    """Hardware, layout, replicas and cost to serve a request rate for the current model and workload."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="plan-close", tooltip="Back to the calculator"),
        Binding("f9", "copy_launch", "Copy launch", id="plan-copy-launch",
                tooltip="Copy the launch command of the option under the cursor"),
    ]
    HELP = ("Type a request rate and optional TTFT / TPOT targets (ms) at a percentile (50, 90, 99); the model "
            "and the workload are the calculator's. Every layout that fits is simulated under load; the smallest "
            "that meets the targets comes first. Tab moves between the fields and the table.")
    DEFAULT_CSS = """
    PlanScreen #plan-title { text-style: bold; padding: 0 1; background: $panel; width: 1fr; }
    PlanScreen #plan-fields { height: 1; padding: 0 1; }
    PlanScreen #plan-fields Label { width: auto; padding: 0 1 0 0; color: $text-muted; }
    PlanScreen #plan-fields Input { width: 9; border: none; height: 1; padding: 0; margin: 0 2 0 0; }
    PlanScreen #plan-fields Input.-invalid { color: $error; }
    PlanScreen #plan-table { height: 1fr; }
    PlanScreen #plan-status { color: $text-muted; padding: 0 1; width: 1fr; height: auto; max-height: 7; }
    """

    def __init__(self, catalog: Catalog, scenario: Scenario, hardware: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.catalog = catalog
        """Catalog the plan reads."""
        self.scenario = scenario
        """Model and workload the plan serves."""
        self.hardware = hardware
        """Candidate hardware (empty: plan's default set)."""
        self.revision = 0
        """Bumped on every edit; a result of an older revision is dropped."""
        self.result = None
        """The last plan computed (kept on screen while a field is invalid)."""
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        s = self.scenario
        yield Label(visible(f"Plan: {s.model}, {s.input_tokens:,} in / {s.output_tokens:,} out tokens"),
                    id="plan-title", markup=False)
        with Horizontal(id="plan-fields"):
            for key, label, value in FIELDS:
                yield Label(label, markup=False)
                field = Input(value, id=f"plan-{key}", compact=True, select_on_focus=False)
                field.cursor_blink = False  # no idle repaints over SSH (and steady snapshots)
                yield field
        yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
        yield Label("computing…", id="plan-status", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("hardware", "tp/pp/ep", "repl", "GPUs", "ok", "util", "TTFT", "TPOT", "$/mo rent",
                          "$/mo own")
        self.query_one("#plan-rps", Input).focus()
        self._recompute()

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self._recompute)

    def raw_fields(self) -> dict[str, str]:
        return {key: self.query_one(f"#plan-{key}", Input).value for key, _label, _value in FIELDS}

    def _recompute(self) -> None:
        values, errors = parse_plan_fields(self.raw_fields())
        for key, _label, _value in FIELDS:
            self.query_one(f"#plan-{key}", Input).set_class(key in errors, "-invalid")
        self.revision += 1
        if errors:
            status = "; ".join(f"✗ {key}: {why}" for key, why in errors.items())
            if self.result is not None:
                status += " (showing the last valid plan)"
            self.query_one("#plan-status", Label).update(visible(status))
            return
        self.query_one("#plan-status", Label).update("computing…")
        self._plan(self.revision, values)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan(self, revision: int, values: dict) -> None:
        from llmcalc_tui.core.plan import PlanRequest, plan

        s = self.scenario
        try:
            result = plan(PlanRequest(
                model=s.model, rps=values["rps"], input_tokens=s.input_tokens, output_tokens=s.output_tokens,
                ttft_slo_ms=values["ttft"], tpot_slo_ms=values["tpot"], percentile=values["percentile"],
                hardware=self.hardware, weights=s.weights, kv_cache=s.kv_cache,
                requests_per_probe=PROBE_REQUESTS, bisection_steps=6, disaggregated=True,
            ), self.catalog)
        except ScenarioError as exc:
            self.app.call_from_thread(self._failed, revision, f"{exc.field}: {exc.message}")
            return
        self.app.call_from_thread(self._planned, revision, result)

    def _failed(self, revision: int, message: str) -> None:
        if revision == self.revision:
            self.query_one("#plan-status", Label).update(visible(f"✗ {message}"))

    def _planned(self, revision: int, result) -> None:
        if revision != self.revision:
            return  # an edit came after this plan started
        self.result = result
        table = self.query_one(DataTable)
        table.clear()

        def ms(x: float | None) -> str:
            return "-" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:,.1f}")

        def usd(x: float | None) -> str:
            return "-" if x is None else f"${x:,.0f}"

        for o in result.options:
            ok = ("yes*" if o.impractical else "yes") if o.meets_slo else "no"
            table.add_row(visible(o.hardware), f"{o.tp}/{o.pp}/{o.ep}", str(o.replicas), str(o.total_gpus), ok,
                          f"{o.utilisation:.0%}", ms(o.ttft_ms), ms(o.tpot_ms), usd(o.usd_per_month_cloud),
                          usd(o.usd_per_month_owned))
        p = result.request.percentile
        lines = [f"TTFT and TPOT in ms at p{p}" + ("; yes* = only with almost idle replicas"
                                                   if any(o.impractical for o in result.options) else "")]
        if not result.options:
            lines.append("no candidate layout fits this model")
        same = [a for a in result.api_alternatives if a.same_model]
        if same:
            a = same[0]
            even = "never" if a.break_even_rps is None else f"{a.break_even_rps:,.3g} req/s"
            lines.append(visible(f"API {a.model}: {usd(a.usd_per_month)}/month; self-hosting is cheaper above {even}"))
        if result.options and result.disaggregated:
            first = result.options[0]
            d = next((d for d in result.disaggregated if d.hardware == first.hardware), None)
            if d is not None:
                lines.append(visible(
                    f"disaggregated on {d.hardware}: {d.prefill.replicas} x {d.prefill.gpus_per_replica} prefill + "
                    f"{d.decode.replicas} x {d.decode.gpus_per_replica} decode = {d.total_gpus} GPUs "
                    f"(aggregated {d.aggregated_total_gpus}), KV transfer {ms(d.kv_transfer_ms)} ms, "
                    f"{'meets' if d.meets_slo else 'misses'} the targets"))
        if result.hybrid is not None:
            h = result.hybrid
            lines.append(visible(f"hybrid: {h.local_share:.0%} local on {h.local_replicas} x {h.hardware}, rest on "
                                 f"{h.api_model}: {usd(h.usd_per_month)}/month"))
        self.query_one("#plan-status", Label).update("\n".join(lines))

    def action_copy_launch(self) -> None:
        """Copy the launch command of the option under the table's cursor (the first one until it moves)."""
        options = self.result.options if self.result is not None else ()
        row = self.query_one(DataTable).cursor_row
        option = options[row] if 0 <= row < len(options) else (options[0] if options else None)
        if option is None or not option.launch:
            self.notify("No launch command yet.", severity="warning")
            return
        command = option.launch["command"]
        self.app.copy_to_clipboard(command)
        self.notify(visible(f"Copied: {command[:60]}…" if len(command) > 60 else f"Copied: {command}"), timeout=3)

    def action_close(self) -> None:
        """Back to the calculator."""
        self.dismiss(None)
