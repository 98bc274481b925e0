"""CompareScreen: 2 to 4 scenarios side by side, the best value of each row highlighted."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Label, SelectionList
from textual.strip import Strip
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection, SelectionType

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.bands import attach_bands
from llmcalc_tui.core.estimate import Estimate, estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError
from llmcalc_tui.export import ExportItem, compare_rows
from llmcalc_tui.scenarios import ScenarioStore, ScenarioStoreError
from llmcalc_tui.screens.export import ExportScreen
from llmcalc_tui.widgets.key_bar import KeyBar
from llmcalc_tui.text_safety import visible
from llmcalc_tui.widgets.text_block import text_style

MAX_COMPARED = 4
CURRENT = "\x00current"
"""Selection value of the scenario being edited."""


@dataclass(frozen=True)
class Candidate:
    """A scenario that can be compared: label, inputs, estimate or the reason there is none."""

    key: str
    label: str
    scenario: Scenario
    estimate: Estimate | None
    error: str | None
    saved_name: str | None = None
    """Name of the saved scenario this one is, unedited (it is then listed once, not twice)."""

    @property
    def item(self) -> ExportItem:
        return (self.label, self.scenario, self.estimate, self.error)


def estimate_or_error(scenario: Scenario, catalog: Catalog) -> tuple[Estimate | None, str | None]:
    """The estimate of a scenario, or why there is none."""
    try:
        return attach_bands(estimate(scenario, catalog), catalog), None
    except ScenarioError as exc:
        return None, f"{exc.field}: {exc.message}"


class MarkedSelectionList(SelectionList[SelectionType]):
    """A SelectionList whose boxes read [x] and [ ], so ticked and unticked differ without colour."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        index = int(self.scroll_offset.y) + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line  # no option on this line, so no box either
        if len(segments) < 3:
            return line
        # SelectionList draws its box as the first three cells: left edge, mark, right edge.
        mark = "[x]" if selection.value in self.selected else "[ ]"
        style = segments[1].style
        return Strip([Segment(mark, style), *segments[3:]])


class CompareScreen(Screen[None]):
    """Pick 2-4 scenarios (space) and read them side by side; the best of each row is marked ✓."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="compare-close", tooltip="Back to the calculator"),
        Binding("f8", "export", "Export", id="compare-export", tooltip="Export the compared scenarios"),
        Binding("f9", "copy", "Copy", id="compare-copy", tooltip="Copy the comparison as Markdown"),
        Binding("tab", "focus_next", "Switch", show=False, id="compare-switch",
                tooltip="Move between the list and the table"),
    ]
    HELP = "Space ticks a scenario (2 to 4); the table compares them and marks the best value of each row with ✓."
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    DEFAULT_CSS = """
    CompareScreen #compare-title { text-style: bold; padding: 0 1; background: $panel; width: 1fr; }
    CompareScreen #compare-body { height: 1fr; }
    CompareScreen.-wide #compare-body { layout: horizontal; }
    CompareScreen.-wide SelectionList { width: 36; height: 1fr; }
    CompareScreen.-narrow #compare-body { layout: vertical; }
    CompareScreen.-narrow SelectionList { height: 7; }
    CompareScreen SelectionList { border: round $panel; padding: 0; }
    CompareScreen SelectionList:focus { border: round $primary; }
    CompareScreen #compare-right { height: 1fr; }
    CompareScreen #compare-table { height: 1fr; border: round $panel; }
    CompareScreen #compare-table:focus { border: round $primary; }
    CompareScreen #compare-status { color: $text-muted; padding: 0 1; height: auto; }
    CompareScreen > .compare--best { color: $best-value; text-style: bold; }
    CompareScreen > .compare--label { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"compare--best", "compare--label"}

    selected: reactive[tuple[str, ...]] = reactive((), init=False)
    """Keys of the ticked scenarios, in list order."""

    def __init__(self, store: ScenarioStore, catalog: Catalog, current: Candidate) -> None:
        super().__init__()
        self.store = store
        """Where the saved scenarios are."""
        self.catalog = catalog
        """Catalog the saved scenarios are estimated with."""
        self.candidates: dict[str, Candidate] = {CURRENT: current}
        """Every scenario that can be ticked."""
        self.broken: list[str] = []
        """'path:line: problem' of files that cannot be read."""

    def compose(self) -> ComposeResult:
        yield Label("Compare scenarios", id="compare-title")
        with Vertical(id="compare-body"):
            yield MarkedSelectionList[str](id="compare-list")
            with Vertical(id="compare-right"):
                yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
                yield Label("", id="compare-status", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        try:
            entries = self.store.list()
        except ScenarioStoreError as exc:
            entries = []
            self.notify(exc.message, severity="error")
        open_name = self.candidates[CURRENT].saved_name
        for entry in entries:
            if entry.broken or entry.saved is None:
                self.broken.append(visible(f"{entry.location}: {entry.problem}"))
                continue
            if open_name is not None and entry.saved.name == open_name:
                continue  # the open scenario, unedited: already listed first
            est, error = estimate_or_error(entry.saved.scenario, self.catalog)
            self.candidates[entry.slug] = Candidate(entry.slug, entry.saved.name, entry.saved.scenario, est, error)
        selection_list = self.query_one(SelectionList)
        first_saved = [key for key in self.candidates if key != CURRENT][:MAX_COMPARED - 1]
        for key, candidate in self.candidates.items():
            selection_list.add_option(Selection(Content(candidate.label), key, key == CURRENT or key in first_saved))
        selection_list.focus()
        selection_list.highlighted = 0
        self.selected = tuple(selection_list.selected)
        self._render_table()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_table())

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selection_list = self.query_one(SelectionList)
        chosen = list(selection_list.selected)
        if len(chosen) > MAX_COMPARED:
            extra = [key for key in chosen if key not in self.selected]
            for key in extra:
                selection_list.deselect(key)
            self.notify(f"Compare at most {MAX_COMPARED} scenarios; untick one first.", severity="warning")
            return
        self.selected = tuple(key for key in self.candidates if key in chosen)

    def watch_selected(self) -> None:
        self._render_table()

    def compared(self) -> list[Candidate]:
        """The ticked scenarios, in list order."""
        return [self.candidates[key] for key in self.selected if key in self.candidates]

    def _render_table(self) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        chosen = self.compared()
        status = self.query_one("#compare-status", Label)
        if len(chosen) < 2:
            status.update("Tick 2 to 4 scenarios with space (the current one is first). " + self._broken_note())
            return
        table.add_column("", key="label", width=22)
        for n, candidate in enumerate(chosen):
            table.add_column(Text(candidate.label[:24]), key=f"c{n}", width=max(14, min(24, len(candidate.label))))
        best_style = text_style(self, "compare--best")
        label_style = text_style(self, "compare--label")
        for row in compare_rows([c.estimate for c in chosen]):
            cells: list[Text] = [Text(row.label, style=label_style)]
            for index, value in enumerate(row.values):
                if index == row.best_index:
                    cells.append(Text(f"{value} ✓", style=best_style))
                else:
                    cells.append(Text(value))
            table.add_row(*cells, key=row.key or row.label)
        errors = [f"{c.label}: {c.error}" for c in chosen if c.error]
        note = "✓ best of the row · F8 export · F9 copy Markdown"
        if errors:
            note = "✗ " + "; ".join(errors) + " · " + note
        status.update(note + (" · " + self._broken_note() if self.broken else ""))

    def _broken_note(self) -> str:
        if not self.broken:
            return ""
        return f"{len(self.broken)} unreadable file(s): " + "; ".join(self.broken[:2])

    def action_close(self) -> None:
        """Back to the calculator."""
        self.dismiss(None)

    def action_export(self) -> None:
        """Export the compared scenarios."""
        chosen = self.compared()
        if not chosen:
            self.notify("Tick at least one scenario to export.", severity="warning")
            return
        self.app.push_screen(ExportScreen([c.item for c in chosen], "comparison"))

    def action_copy(self) -> None:
        """Copy the comparison as a Markdown table."""
        from llmcalc_tui.export import export_scenarios

        chosen = self.compared()
        if not chosen:
            return
        text = export_scenarios([c.item for c in chosen], "md")
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the comparison of {len(chosen)} scenarios ({len(text):,} characters)")
