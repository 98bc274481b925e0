"""Two views of issue 14: the weight formats of this model on this hardware (ctrl+b), and the models that
run on this hardware (ctrl+f). Enter takes the first row (the recommendation) into the form."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.quants import DEFAULT_MIN_TOK_S, models_that_fit, quants_for
from llmcalc_tui.core.report import table
from llmcalc_tui.core.scenario import Scenario, ScenarioError, lookup_id
from llmcalc_tui.core.units import fmt_sig


def _ids(scenario: Scenario, catalog: Catalog) -> Scenario:
    return scenario.model_copy(update={
        "model": lookup_id(scenario.model, catalog, "model")[0],
        "hardware": lookup_id(scenario.hardware, catalog, "hardware")[0],
        "weights": None, "gpu_layers": None, "gpus": 1, "tp": None, "pp": 1,
    })


def quants_view(scenario: Scenario, catalog: Catalog) -> tuple[str, str, dict[str, str]]:
    """(title, table, the form edits Enter applies) for the formats of the scenario's model on its hardware."""
    base = _ids(scenario, catalog)
    rows = quants_for(base, catalog, DEFAULT_MIN_TOK_S)
    body = table(
        ["format", "fits", "GiB", "tok/s", "prefill", "max ctx", "quality"],
        [[("* " if r.recommended else "  ") + r.format,
          ("gpu" if r.placement == "gpu" else f"offload {r.gpu_layers}/{r.num_layers}") if r.fits else "no",
          fmt_sig(r.weights_gib, decimals=2), fmt_sig(r.decode_tok_s, strip=True) if r.decode_tok_s else "-",
          fmt_sig(r.prefill_tok_s, decimals=0) if r.prefill_tok_s else "-",
          f"{r.max_context:,}" if r.fits else "-", r.quality or "-"] for r in rows])
    edits: dict[str, str] = {}
    if rows and rows[0].recommended:
        edits = {"weights": rows[0].format, "gpus": "1", "tp": "", "pp": "1",
                 "gpu_layers": "auto" if rows[0].placement == "offload" else ""}
    title = f"Weight formats of {base.model} on {base.hardware} (* = best quality at {DEFAULT_MIN_TOK_S:g} tok/s or more)"
    return title, body, edits


def models_view(scenario: Scenario, catalog: Catalog) -> tuple[str, str, dict[str, str]]:
    """(title, table, the form edits Enter applies) for the models that run on the scenario's hardware."""
    base = _ids(scenario, catalog)
    fits = sorted(models_that_fit(base, catalog, DEFAULT_MIN_TOK_S), key=lambda f: (-f.params_total, f.id))
    body = table(["model", "best format", "placement", "GiB", "tok/s"],
                 [[f.id, f.format, f.placement, fmt_sig(f.weights_gib, decimals=2),
                   fmt_sig(f.decode_tok_s, strip=True) + ("" if f.meets_floor else " (slow)")] for f in fits])
    edits: dict[str, str] = {}
    if fits:
        best = fits[0]
        edits = {"model": best.id, "weights": best.format, "gpus": "1", "tp": "", "pp": "1",
                 "gpu_layers": "auto" if best.placement == "offload" else ""}
    title = f"{len(fits)} models run on {base.hardware}, largest first (best format, decode speed)"
    return title, body, edits


class LeverTableScreen(ModalScreen[Mapping[str, str] | None]):
    """A table computed from the scenario; enter puts its first row into the form, escape closes."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="lever-table-close", tooltip="Close the view"),
        Binding("enter", "take", "Use first row", id="lever-table-take", tooltip="Put the first row into the form"),
    ]
    DEFAULT_CSS = """
    LeverTableScreen { align: center middle; }
    LeverTableScreen > Vertical {
        width: 95%; height: 95%; border: round $primary; background: $surface; padding: 0 1;
    }
    LeverTableScreen #lever-table-title { text-style: bold; width: 1fr; }
    LeverTableScreen ScrollableContainer { height: 1fr; overflow-x: auto; overflow-y: auto; }
    /* A table row never wraps: at 80 columns the wide columns scroll sideways instead. */
    LeverTableScreen #lever-table-body { width: auto; text-wrap: nowrap; }
    LeverTableScreen #lever-table-hint { color: $text-muted; }
    """

    def __init__(self, title: str, body: str, edits: Mapping[str, str]) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.edits = dict(edits)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="lever-table-title")
            with ScrollableContainer(id="lever-table-scroll"):
                yield Static(Text(self.body, no_wrap=True), id="lever-table-body")
            hint = "enter: use the first row · escape closes" if self.edits else "nothing to use · escape closes"
            yield Label(hint, id="lever-table-hint")

    def on_mount(self) -> None:
        self.query_one("#lever-table-scroll").focus()

    def action_take(self) -> None:
        self.dismiss(self.edits or None)

    def action_close(self) -> None:
        self.dismiss(None)


def open_view(screen, which: str) -> None:
    """Open the quants ('quants') or models-that-fit ('models') view on the main screen's scenario."""
    state = screen.state
    if state is None:
        return
    try:
        title, body, edits = (quants_view if which == "quants" else models_view)(state.scenario, screen.catalog)
    except ScenarioError as exc:
        screen.notify(Text(exc.message), severity="warning", timeout=5)
        return

    def taken(result: Mapping[str, str] | None) -> None:
        if result:
            screen.edit(result)

    screen.app.push_screen(LeverTableScreen(title, body, edits), taken)
