"""MainScreen: owns the one AppState; the form edits it, results, grid and comparison show it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Select, Tab, Tabs

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.config import HARDWARE_KINDS
from llmcalc_tui.core.scenario import Scenario, ScenarioError, canonical_ids
from llmcalc_tui.export import export_scenarios
from llmcalc_tui.messages import FieldEdited, HardwareChosen, PickRequested
from llmcalc_tui.scenarios import ScenarioStore, ScenarioStoreError, unknown_ids
from llmcalc_tui.sources.ref import looks_like_source
from llmcalc_tui.screens.compare import Candidate, CompareScreen
from llmcalc_tui.screens.confirm import ConfirmScreen
from llmcalc_tui.screens.export import ExportScreen
from llmcalc_tui.screens.help import HelpScreen
from llmcalc_tui.screens.import_model import preselect_local_hardware, reopen_with_source, resolve_model_field
from llmcalc_tui.screens.open_scenario import OpenScenarioScreen
from llmcalc_tui.screens.pick import PickScreen
from llmcalc_tui.screens.save_scenario import NameChoice, SaveScenarioScreen
from llmcalc_tui.state import (
    FIELD_SPECS,
    FIELDS,
    GRID_BASES,
    GRID_COLUMNS,
    PICK_KINDS,
    AppState,
    api_model_options,
    apply_edit,
    apply_edits,
    ensure_grid,
    filter_options,
    hardware_edits,
    hardware_options,
    load_scenario,
    mark_saved,
    model_options,
    reset,
    resolves_id,
    set_grid_basis,
)
from llmcalc_tui.widgets.api_compare import ApiComparePanel
from llmcalc_tui.widgets.compat_grid import CompatGrid, GridPane
from llmcalc_tui.widgets.form_pane import (
    ApiPane, CostPane, DeploymentPane, FormPane, LeversPane, ModelPane, WorkloadPane,
)
from llmcalc_tui.widgets.results import ResultsPanel, SummaryBar, setup_words
from llmcalc_tui.widgets.pick_field import PickField
from llmcalc_tui.widgets.text_block import TextBlock
from llmcalc_tui.widgets.key_bar import KeyBar

PAGES = ("setup", "results", "grid", "api")
"""Pages of the narrow layout, in tab order."""
PAGE_TITLES = {"setup": "Setup F2", "results": "Results F3", "grid": "Grid F4", "api": "vs API F6"}
WIDE_MIN_WIDTH = 120
"""From this many columns the form, results and grid show side by side."""
XWIDE_MIN_WIDTH = 160
"""From this many columns the API comparison shows beside the results (below it, F3/F6 swap them)."""
LOCAL_ONLY = ("electricity_usd_per_kwh", "utilisation", "lifetime_years")
CLOUD_ONLY = ("cloud_usd_per_hour",)
QUIT_QUESTION = "confirm-quit"
"""Name of the screen that asks before quitting with unsaved changes."""
MIN_SIZE = (60, 20)
"""Smallest terminal the layout works in; below it the screen says so instead of drawing a broken layout."""
TOO_SMALL_TEXT = f"terminal too small (needs {MIN_SIZE[0]}x{MIN_SIZE[1]})"
PICK_TITLES = {"model": "Pick a model (open and API)", "hardware": "Pick hardware", "api_model": "Pick an API model",
               "draft_model": "Pick a draft model (open models)"}


class PageTabs(Tabs, can_focus=False):
    """The page strip of the narrow layout; F2-F6 switch pages, so it never takes the focus."""


class MainScreen(Screen[None]):
    """The calculator: form, live results, hardware grid and API comparison."""

    BINDINGS = [
        Binding("ctrl+q", "request_quit", "Quit", id="quit-app",
                tooltip="Quit (asks once when there are unsaved changes)"),
        Binding("f1", "show_help", "Help", id="show-help", tooltip="Keys and how the calculator works"),
        Binding("ctrl+s", "save_scenario", "Save", id="save-scenario", tooltip="Save the scenario under a name"),
        Binding("ctrl+o", "open_scenario", "Open", id="open-scenario",
                tooltip="Open, rename, duplicate or delete saved scenarios"),
        Binding("ctrl+r", "reset_scenario", "Reset", id="reset-scenario", tooltip="Back to the default scenario"),
        Binding("f7", "compare_scenarios", "Compare", id="compare-scenarios",
                tooltip="Compare 2 to 4 scenarios side by side"),
        Binding("f8", "export_scenario", "Export", id="export-scenario",
                tooltip="Export the scenario as Markdown, CSV or JSON"),
        Binding("f9", "copy_summary", "Copy", id="copy-summary",
                tooltip="Copy the scenario and results as Markdown (OSC 52)"),
        Binding("ctrl+t", "app.change_theme", "Theme", id="change-theme", tooltip="Pick a theme"),
        Binding("ctrl+l", "open_plan", "Plan", show=False, id="open-plan",
                tooltip="Hardware, layout and replicas to serve a request rate (llmcalc plan)"),
        Binding("ctrl+g", "open_plots", "Plots", show=False, id="open-plots", tooltip="The scenario's curves"),
        Binding("ctrl+y", "copy_launch", "Copy launch", show=False, id="copy-launch",
                tooltip="Copy the engine's launch command for this scenario (OSC 52)"),
        Binding("ctrl+b", "lever_view('quants')", "Quants", show=False, id="show-quants",
                tooltip="Every weight format of this model on this hardware, the best first"),
        Binding("ctrl+f", "lever_view('models')", "Models that fit", show=False, id="show-models-fit",
                tooltip="The models that run on this hardware, with their best format"),
        Binding("f2", "show_page('setup')", "Setup", id="focus-form", tooltip="Go to the form"),
        Binding("f3", "show_page('results')", "Results", id="focus-results", tooltip="Go to the results"),
        Binding("f4", "show_page('grid')", "Grid", id="focus-grid", tooltip="Go to the hardware grid"),
        Binding("f6", "show_page('api')", "vs API", id="focus-api", tooltip="Go to the API comparison"),
        Binding("f5", "open_scenario", "Scenarios", show=False, id="focus-scenarios",
                tooltip="Open the saved scenarios"),
        # Priority bindings act the moment the key arrives. As ordinary bindings they ran only after
        # Textual had already handed the following keys to the old field, so "tab 4" arriving in one
        # read (an SSH packet, tmux send-keys, a paste) typed the 4 into the field being left.
        # (Enter in a field does the same from FormInput.)
        Binding("tab", "next_field(1)", "Next field", show=False, priority=True, id="next-field",
                tooltip="Move to the next field"),
        Binding("shift+tab", "next_field(-1)", "Previous field", show=False, priority=True, id="previous-field",
                tooltip="Move to the previous field"),
    ]
    HELP = "Type in the form; results, grid and the API comparison update on every keystroke."
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_MIN_WIDTH, "-wide"), (XWIDE_MIN_WIDTH, "-xwide")]

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The one state store of the app."""
    dirty: reactive[bool] = reactive(False, repaint=False)
    """Whether the form differs from the loaded or saved scenario (the title marks it with *)."""
    page: reactive[str] = reactive("setup", init=False, repaint=False)
    """Page shown in the narrow layout."""

    def __init__(
        self,
        catalog: Catalog,
        state: AppState,
        *,
        store: ScenarioStore,
        start_scenario: Scenario | None = None,
        open_on_start: str | None = None,
    ) -> None:
        super().__init__(classes=self._breakpoint_class())
        self.catalog = catalog
        """Catalog every estimate uses."""
        self.store = store
        """Saved scenarios."""
        self.start_scenario = start_scenario
        """What ctrl+r resets to (None: the built-in defaults)."""
        self.set_reactive(MainScreen.state, state)
        self.set_reactive(MainScreen.dirty, state.dirty)
        self.open_on_start = open_on_start
        """Saved scenario to open once the screen is up."""
        self._last_form_focus: Widget | None = None
        self._controls: dict[str, Input | Select] = {}
        self._layout_wide: str | None = None
        self._grid_shown = True
        self._resumed_once = False

    def _breakpoint_class(self) -> str:
        """The width class Textual sets on resize, set up front so the first resize restyles nothing.

        Without it the whole screen is styled twice before the first frame (~40 ms at start).
        """
        try:
            width = self.app.size.width
        except RuntimeError:  # no active app (Textual's NoActiveAppError): a screen built outside one
            return ""
        return next(name for min_width, name in reversed(self.HORIZONTAL_BREAKPOINTS) if width >= min_width)

    # ------------------------------------------------------------------ compose

    def compose(self) -> ComposeResult:
        state = self.state
        assert state is not None
        raw = state.raw
        yield TextBlock("", id="title-bar", wrap=False)
        yield PageTabs(*(Tab(PAGE_TITLES[p], id=f"tab-{p}") for p in PAGES), id="page-tabs")
        with Horizontal(id="body"):
            with VerticalScroll(id="page-setup", classes="page", can_focus=False):
                with Horizontal(id="form-columns"):
                    with Vertical(id="form-left", classes="form-column"):
                        yield ModelPane(self.catalog, raw, id="pane-model").data_bind(MainScreen.state)
                        yield WorkloadPane(self.catalog, raw, id="pane-workload").data_bind(MainScreen.state)
                        yield DeploymentPane(self.catalog, raw, id="pane-deployment").data_bind(MainScreen.state)
                    with Vertical(id="form-right", classes="form-column"):
                        yield CostPane(self.catalog, raw, id="pane-cost").data_bind(MainScreen.state)
                        yield ApiPane(self.catalog, raw, id="pane-api").data_bind(MainScreen.state)
                        yield LeversPane(self.catalog, raw, id="pane-levers").data_bind(MainScreen.state)
            with Vertical(id="right"):
                with Horizontal(id="top"):
                    yield ResultsPanel(id="page-results", classes="page").data_bind(MainScreen.state)
                    yield ApiComparePanel(id="page-api", classes="page").data_bind(MainScreen.state)
                yield GridPane(id="page-grid", classes="page").data_bind(MainScreen.state)
        yield SummaryBar(id="summary").data_bind(MainScreen.state)
        yield KeyBar(id="key-bar")
        yield TextBlock(TOO_SMALL_TEXT, id="too-small")

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. On the first resume every widget was styled a moment
        # ago, when it mounted, and any stylesheet change since (a theme) restyles mounted widgets by
        # itself; styling them all again cost ~30 ms of start-up. Later resumes (back from a modal)
        # keep Textual's restyle.
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        self._controls = {
            widget.id.removeprefix("field-"): widget
            for widget in self.query("Input, Select")
            if widget.id and widget.id.startswith("field-")
        }
        self._show_too_small()
        self._apply_page(self.page)
        self._update_chrome(self.state)
        self._restore_grid_view()
        self.query_one("#field-model").focus()
        if self.open_on_start:
            self.open_named(self.open_on_start)
        self._preselect_local_hardware()

    def _preselect_local_hardware(self) -> None:
        """This machine's GPU as the hardware, found in a thread, unless a scenario or config.toml chose one."""
        app = self.app
        settings = getattr(app, "settings", None)
        if not getattr(app, "detect_hardware", False) or self.open_on_start:
            return
        if settings is not None and "hardware" in settings.scenario:
            return
        assert self.state is not None
        start_hardware = self.state.scenario.hardware

        def untouched() -> bool:
            state = self.state
            return state is not None and state.scenario.hardware == start_hardware and state.loaded_name is None

        preselect_local_hardware(self, untouched)

    # ------------------------------------------------------------------ state

    def watch_state(self, state: AppState | None) -> None:
        self._update_chrome(state)

    def _update_chrome(self, state: AppState | None) -> None:
        if state is None:
            return
        self.dirty = state.dirty
        name = state.loaded_name or "unsaved scenario"
        marker = " *" if state.dirty and state.loaded_name else ""
        est = state.estimate
        setup = setup_words(est) if est is not None else ""
        if state.errors:
            field, message = next(iter(state.errors.items()))
            label = FIELD_SPECS[field].label if field in FIELD_SPECS else field
            setup = f"✗ {label}: {message} · results: the last valid setup (greyed)"
        self.query_one("#title-bar", TextBlock).show(f" llmcalc · {name}{marker} · {setup}")
        self.sub_title = f"{name}{marker}"
        deployment = est.deployment if est is not None else "local"
        inactive = {"local": CLOUD_ONLY, "cloud": LOCAL_ONLY}.get(deployment, LOCAL_ONLY + CLOUD_ONLY)
        self.query_one(CostPane).set_inactive(inactive)

    def edit(self, edits: Mapping[str, str]) -> None:
        """Apply edits that did not come from typing: show them in the form, then recompute."""
        self.write_form(edits)
        assert self.state is not None
        self.state = apply_edits(self.state, edits, self.catalog, with_grid=self._grid_shown)

    def write_form(self, raw: Mapping[str, str]) -> None:
        """Put texts into the fields without the fields posting them back."""
        with self.prevent(Input.Changed, Select.Changed):
            for pane in self.query(FormPane):
                pane.write_values(raw)

    @on(FieldEdited)
    def _field_edited(self, message: FieldEdited) -> None:
        message.stop()
        assert self.state is not None
        control = self._controls.get(message.field)
        if control is not None and str(control.value) != message.raw:
            return  # stale: the field changed again (or was loaded) after this edit was sent
        self.state = apply_edit(self.state, message.field, message.raw, self.catalog, with_grid=self._grid_shown)

    @on(HardwareChosen)
    def _hardware_chosen(self, message: HardwareChosen) -> None:
        message.stop()
        assert self.state is not None
        edits = hardware_edits(self.state, message.row, self.catalog)
        self.edit(edits)
        self.notify(f"Hardware: {edits['gpus']} x {message.row.name} ({message.row.engine})", timeout=3)

    @on(CompatGrid.BasisRequested)
    def _basis_requested(self, message: CompatGrid.BasisRequested) -> None:
        message.stop()
        assert self.state is not None
        if message.basis in GRID_BASES:
            self.state = set_grid_basis(self.state, message.basis, self.catalog)  # type: ignore[arg-type]

    @on(CompatGrid.OffloadRequested)
    def _offload_requested(self, message: CompatGrid.OffloadRequested) -> None:
        message.stop()
        assert self.state is not None
        from llmcalc_tui.state import set_grid_offload  # issue 14: the grid's offload toggle

        self.state = set_grid_offload(self.state, message.offload, self.catalog)

    @on(PickRequested)
    def _pick_requested(self, message: PickRequested) -> None:
        message.stop()
        text = message.text
        if message.from_enter:
            # Enter is a priority key: in a burst ("Llama 3.1 70B" and enter in one read) it runs before the
            # typed characters reach the field, so read the field as it is now.
            text = self.query_one(f"#field-{message.field}", Input).value
        if message.field == "model" and looks_like_source(text):
            resolve_model_field(self, text.strip())  # hf:org/name, a path: read it in a thread
            return
        if message.from_enter and resolves_id(message.field, text, self.catalog):
            self.focus_next()
            return
        self.open_picker(message.field, text)

    def open_picker(self, field: str, text: str = "") -> None:
        """Show the filterable list for a picker field; the choice goes into the form."""
        options = {
            "model": model_options,
            "hardware": hardware_options,
            "api_model": api_model_options,
            "draft_model": lambda c: [o for o in model_options(c) if o.id in c.models],  # issue 14: open only
        }[field](self.catalog)

        def chosen(value: str | None) -> None:
            if value is not None:
                self.set_field(field, value)
            control = self.query_one(f"#field-{field}")
            if isinstance(control, PickField):
                control.focus_at_end()
            else:
                control.focus()

        search = partial(filter_options, catalog=self.catalog, kind=PICK_KINDS[field])
        self.app.push_screen(PickScreen(PICK_TITLES[field], options, text, search=search), chosen)

    def set_field(self, field: str, value: str) -> None:
        """Set one field from outside the form (pickers, palette commands)."""
        self.edit({field: value})

    def _restore_grid_view(self) -> None:
        """Sort and filter the grid as last time, and remember changes (ui_state.json)."""
        grid = self.query_one(CompatGrid)
        ui_state = getattr(self.app, "ui_state", None)
        if ui_state is not None:
            if ui_state.grid_sort in {c.key for c in GRID_COLUMNS}:
                grid.sort_key = ui_state.grid_sort
            grid.sort_reverse = ui_state.grid_reverse
            if ui_state.grid_kind in HARDWARE_KINDS:
                grid.kind = ui_state.grid_kind
        remember = getattr(self.app, "remember", None)
        if remember is None:
            return

        def changed(_value: object) -> None:
            remember(grid_sort=grid.sort_key, grid_reverse=grid.sort_reverse, grid_kind=grid.kind)

        for attribute in ("sort_key", "sort_reverse", "kind"):
            self.watch(grid, attribute, changed, init=False)

    # ------------------------------------------------------------------ pages and focus

    @on(Tabs.TabActivated, "#page-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        page = (event.tab.id or "tab-setup").removeprefix("tab-")
        if page != self.page:
            self.page = page

    def watch_page(self, page: str) -> None:
        self._apply_page(page)

    def _layout_mode(self) -> str:
        width = self.size.width
        if width >= XWIDE_MIN_WIDTH:
            return "xwide"
        return "wide" if width >= WIDE_MIN_WIDTH else "narrow"

    def _apply_page(self, page: str) -> None:
        """Show the page (narrow), results or API beside the form (wide) or everything (xwide).

        Display is set directly rather than through CSS classes, so switching pages restyles nothing.
        """
        mode = self._layout_mode()
        side = mode != "narrow"
        top_page = "api" if page == "api" else "results"
        shown = {
            "#page-setup": side or page == "setup",
            "#right": side or page in ("results", "api", "grid"),
            "#top": side or page in ("results", "api"),
            "#page-results": mode == "xwide" or (mode == "wide" and top_page == "results") or page == "results",
            "#page-api": mode == "xwide" or (mode == "wide" and top_page == "api") or page == "api",
            "#page-grid": side or page == "grid",
        }
        self._grid_shown = shown["#page-grid"]
        if self._grid_shown and self.state is not None:
            # Edits made while the grid was hidden skipped it; it catches up before it shows.
            self.state = ensure_grid(self.state, self.catalog)
        for selector, visible in shown.items():
            widget = self.query_one(selector)
            if widget.display != visible:
                widget.display = visible
        tabs = self.query_one(PageTabs)
        if tabs.active != f"tab-{page}":
            tabs.active = f"tab-{page}"
        self._layout_wide = mode

    def on_resize(self) -> None:
        self._show_too_small()
        if self._layout_wide is None:
            return  # not mounted yet: on_mount lays out the pages
        if self._layout_mode() != self._layout_wide:
            self._apply_page(self.page)

    def _show_too_small(self) -> None:
        """Swap the layout for one line saying the terminal is too small, and back once it is large enough."""
        width, height = self.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if too_small != self.has_class("-too-small"):
            self.set_class(too_small, "-too-small")

    def action_next_field(self, step: int) -> None:
        """Tab / shift+tab: the next or previous focusable widget."""
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, (Input, Select)) and widget.id and widget.id.startswith("field-"):
            self._last_form_focus = widget

    def action_show_page(self, page: str) -> None:
        """Show a page (narrow layout) and focus it."""
        self.page = page
        self.call_after_refresh(self._focus_page, page)

    def _focus_page(self, page: str) -> None:
        if page == "setup":
            target = self._last_form_focus or self.query_one("#field-model")
        elif page == "results":
            target = self.query_one(ResultsPanel)
        elif page == "grid":
            target = self.query_one(CompatGrid)
        else:
            target = self.query_one(ApiComparePanel)
        target.focus()

    # ------------------------------------------------------------------ scenarios

    def action_save_scenario(self) -> None:
        """Ask for a name and save the scenario under it."""
        state = self.state
        assert state is not None
        if state.errors:
            fields = ", ".join(sorted(state.errors))
            self.notify(f"Fix the marked field(s) first: {fields}", severity="error")
            return
        try:
            existing = self.store.names()
        except ScenarioStoreError as exc:
            self.notify(exc.message, severity="error")
            existing = []
        suggestion = state.loaded_name or self._suggested_name(state)

        def done(choice: NameChoice | None) -> None:
            if choice is None:
                return
            self.save_as(choice.name, choice.notes)

        self.app.push_screen(
            SaveScenarioScreen("Save scenario as", suggestion, existing=existing, ask_notes=True), done
        )

    def save_as(self, name: str, notes: str = "") -> bool:
        """Save the current scenario under `name`; True when it was written."""
        assert self.state is not None
        try:
            # Saved with catalog ids ("Llama 3.1 70B" typed is stored as llama-3.1-70b).
            path = self.store.save(name, canonical_ids(self.state.scenario, self.catalog), notes)
        except ScenarioStoreError as exc:
            self.notify(exc.message, severity="error")
            return False
        self.state = mark_saved(self.state, name)
        self.notify(f"Saved {name!r} to {path}")
        return True

    @staticmethod
    def _suggested_name(state: AppState) -> str:
        s = state.scenario
        weights = f" {s.weights}" if s.weights else ""
        return f"{s.model}{weights} on {s.gpus}x {s.hardware}"

    def action_open_scenario(self) -> None:
        """Show the saved scenarios; the one chosen replaces the form."""

        def done(slug: str | None) -> None:
            if slug is not None:
                self.open_named(slug)

        self.app.push_screen(OpenScenarioScreen(self.store), done)

    def open_named(self, name: str, read_sources: bool = True) -> bool:
        """Load a saved scenario into the form; ids the catalog lacks are marked, the rest estimated.

        A model saved as a source (hf:org/name, a path) is read first, in a thread, then the scenario opens.
        """
        try:
            saved = self.store.load(name)
        except ScenarioStoreError as exc:
            self.notify(exc.message, severity="error")
            return False
        unknown = unknown_ids(saved.scenario, self.catalog)
        if read_sources and "model" in unknown and looks_like_source(saved.scenario.model):
            reopen_with_source(self, name, saved.scenario.model)
            return True
        assert self.state is not None
        self.state = load_scenario(self.state, saved.scenario, self.catalog, saved.name, unknown)
        self.write_form(self.state.raw)
        if unknown:
            fields = ", ".join(unknown)
            self.notify(f"Opened {saved.name!r}: {fields} no longer in the catalog (marked)", severity="warning")
        else:
            self.notify(f"Opened {saved.name!r}", timeout=3)
        return True

    def action_reset_scenario(self) -> None:
        """Back to the default scenario (asks first when there are unsaved changes)."""
        assert self.state is not None

        def do_reset(confirmed: bool | None = True) -> None:
            if not confirmed:
                return
            assert self.state is not None
            self.state = reset(self.state, self.catalog, self.start_scenario)
            self.write_form(self.state.raw)
            self.notify("Reset to the default scenario", timeout=3)

        if self.state.dirty:
            self.app.push_screen(ConfirmScreen("Discard the changes and reset to the default scenario?", "Reset"),
                                 do_reset)
        else:
            do_reset()

    def current_candidate(self) -> Candidate:
        """The scenario being edited, as a comparison/export entry."""
        state = self.state
        assert state is not None
        label = f"{state.loaded_name} (open)" if state.loaded_name else "current"
        if state.loaded_name and state.dirty:
            label = f"{state.loaded_name} (edited)"
        error = None
        if state.errors:
            error = "; ".join(f"{k}: {v}" for k, v in state.errors.items()) + " (results are the last good ones)"
        saved_name = state.loaded_name if state.loaded_name and not state.dirty else None
        return Candidate("current", label, state.scenario, state.estimate, None if state.estimate else error,
                         saved_name)

    def action_compare_scenarios(self) -> None:
        """Compare the current scenario with saved ones."""
        self.app.push_screen(CompareScreen(self.store, self.catalog, self.current_candidate()))

    def action_export_scenario(self) -> None:
        """Export the current scenario and its results."""
        candidate = self.current_candidate()
        self.app.push_screen(ExportScreen([candidate.item], self.state.loaded_name if self.state and
                                          self.state.loaded_name else "llmcalc-scenario"))

    def action_copy_summary(self) -> None:
        """Copy the scenario and its results as Markdown to the clipboard."""
        text = export_scenarios([self.current_candidate().item], "md")
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the scenario as Markdown ({len(text):,} characters)", timeout=3)

    def action_open_plan(self) -> None:
        """Plan the serving fleet for the current model and workload."""
        from llmcalc_tui.screens.plan import PlanScreen

        if self.state is None or self.state.scenario.model not in self.catalog.models:
            self.notify("Plan sizes self-hosted open models: pick one first.", severity="warning")
            return
        from llmcalc_tui.core.plan import DEFAULT_HARDWARE

        hardware = tuple(h for h in DEFAULT_HARDWARE if h in self.catalog.hardware)
        own = self.state.scenario.hardware
        if own in self.catalog.hardware and own not in hardware:
            hardware = (own, *hardware)  # the scenario's own hardware is planned too
        self.app.push_screen(PlanScreen(self.catalog, self.state.scenario, hardware))

    def action_open_plots(self) -> None:
        """Plot the current scenario's curves."""
        from llmcalc_tui.screens.plots import PlotsScreen

        state = self.state
        if state is None:
            return
        rows = state.grid if state.grid_scenario == state.scenario else None
        s = state.scenario
        self.app.push_screen(PlotsScreen(self.catalog, s, rows, f"{s.model} on {s.gpus} x {s.hardware}",
                                         grid_basis=state.grid_basis))

    def action_copy_launch(self) -> None:
        """Copy the launch command of the scenario's engine to the clipboard."""
        from llmcalc_tui.core.launch import launch_for

        if self.state is None:
            return
        try:
            launch = launch_for(self.state.scenario, self.catalog)
        except ScenarioError as exc:
            self.notify(f"No launch command: {exc.message}", severity="warning")
            return
        self.app.copy_to_clipboard(launch.command)
        self.notify(f"Copied the {launch.target} launch command ({len(launch.command):,} characters)", timeout=3)

    # ------------------------------------------------------------------ quitting

    def action_request_quit(self) -> None:
        """Quit; with unsaved changes ask once first (config: confirm_quit = false never asks)."""
        state = self.state
        settings = getattr(self.app, "settings", None)
        confirm = getattr(settings, "confirm_quit", True)
        asking = self.app.screen.name == QUIT_QUESTION
        if asking or not confirm or state is None or not state.dirty:
            self.app.exit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.app.exit()

        self.app.push_screen(
            ConfirmScreen("Quit with unsaved changes? (ctrl+q again quits too)", "Quit", name=QUIT_QUESTION),
            answered,
        )

    # ------------------------------------------------------------------ help

    def action_lever_view(self, which: str) -> None:
        """The quants or models-that-fit view (issue 14, screens/levers_views.py)."""
        from llmcalc_tui.screens.levers_views import open_view

        open_view(self, which)

    def action_show_help(self) -> None:
        """Show keys and help for the focused widget."""
        self.app.push_screen(HelpScreen(self.help_text()))

    def help_text(self) -> Text:
        """Help: focused widget, keys, fields and terminal tips."""
        text = Text()
        focused = self.focused
        widget_help = None
        node = focused
        while node is not None and widget_help is None:
            widget_help = getattr(node, "HELP", None)
            node = node.parent if node is not self else None
        if widget_help:
            text.append("Here\n", "bold")
            text.append(f"{widget_help}\n\n")
        text.append("Keys\n", "bold")
        rows: list[tuple[str, str]] = [("^p", "Command palette (every action, models, hardware)")]
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            rows.append((self.app.get_key_display(binding), binding.tooltip or binding.description))
        rows += [
            ("up / down", "Step a number (shift: x10); in Model, Hardware, API model: down opens the list"),
            ("right", "Accept the grey completion of an id"),
            ("enter", "Next field (an unknown id opens the list)"),
        ]
        for key, description in rows:
            text.append(f"  {key:<16}", "bold")
            text.append(f"{description}\n")
        text.append("\nHardware grid (F4)\n", "bold")
        text.append(f"  {CompatGrid.HELP}\n")
        text.append("\nFields\n", "bold")
        for spec in FIELDS:
            text.append(f"  {spec.label:<12}", "bold")
            text.append(f"{spec.help}\n")
        text.append("\nTerminals\n", "bold")
        text.append(
            "  Every key here works over SSH and in tmux. If escape feels slow, set ESCDELAY=25 (and tmux's\n"
            "  escape-time 10). Over SSH COLORTERM is often lost: TEXTUAL_COLOR_SYSTEM=truecolor or 256 helps.\n"
            "  NO_COLOR=1 is honoured: fills and marks (█ ▓ ▒ ░, ✓ ! ✗) keep the results readable.\n"
            "  Pick llmcalc-high-contrast with ctrl+t for the most legible colours.\n"
        )
        return text
