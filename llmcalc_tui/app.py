"""LlmCalcApp: settings, themes, keymap, palette commands and the main screen."""

from __future__ import annotations

import gc
import os

# Textual reads its frame cap when first imported. At 120 frames/s a keystroke's repaint waits at
# most ~8 ms for its frame slot instead of ~17 (nothing is drawn while idle, so the cap costs nothing
# over SSH). TEXTUAL_FPS set by the user still wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError
from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from llmcalc_tui import paths
from llmcalc_tui.catalog.loader import CatalogError, load_builtin, load_catalog
from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.commands import CatalogCommands, ScenarioCommands
from llmcalc_tui.config import (
    DEFAULT_THEME,
    Settings,
    UiState,
    choose_theme,
    load_settings,
    load_ui_state,
    save_ui_state,
    user_catalog_dirs,
)
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.messages import CatalogFailed, CatalogLoaded
from llmcalc_tui.scenarios import ScenarioStore
from llmcalc_tui.screens.main import MainScreen
from llmcalc_tui.state import initial_state
from llmcalc_tui.text_safety import visible
from llmcalc_tui.themes import APP_VARIABLES, load_themes


class LlmCalcApp(App[int]):
    """What it takes to run an LLM: memory, speed and cost, live as you type."""

    CSS_PATH = ["app.tcss", "screens/main.tcss"]
    TITLE = "llmcalc"
    BINDINGS = [
        # Priority, so it also works over modal screens (which see only the app's priority bindings).
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit-anywhere",
                tooltip="Quit (asks once when there are unsaved changes)"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
        Binding("ctrl+n", "import_model", "Import model", show=False, id="import-model",
                tooltip="Import a model from the Hub, a config.json or a GGUF file"),
    ]
    COMMANDS = App.COMMANDS | {CatalogCommands, ScenarioCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        catalog: Catalog,
        catalog_problems: Sequence[str] = (),
        settings: Settings | None = None,
        settings_problems: Sequence[str] = (),
        ui_state: UiState | None = None,
        theme: str | None = None,
        scenario_name: str | None = None,
        store: ScenarioStore | None = None,
        theme_dirs: list[Path] | None = None,
        remember_ui_state: bool = True,
        detect_hardware: bool = False,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        """The merged catalog every estimate uses."""
        self.settings = settings or Settings()
        """config.toml."""
        self.ui_state = ui_state or UiState()
        """What was remembered from the last run."""
        self.store = store or ScenarioStore()
        """Saved scenarios."""
        self.startup_problems: list[tuple[str, str]] = [
            *(("warning", f"catalog: {p}") for p in catalog_problems),
            *(("error", f"config: {p}") for p in settings_problems),
        ]
        """(severity, message) to show once the app is up."""
        self.requested_theme = choose_theme(theme, self.settings, self.ui_state)
        """Theme asked for by the command line, config.toml or the last run."""
        self.scenario_name = scenario_name
        """Saved scenario to open at start."""
        self.theme_dirs = theme_dirs
        """Theme folders (None: built-in plus the user's)."""
        self.remember_ui_state = remember_ui_state
        """Whether theme and grid choices are written to ui_state.json."""
        self.detect_hardware = detect_hardware
        """Whether to look for this machine's GPU at start and preselect it (the real app; tests opt in)."""
        self.start_scenario = self._configured_scenario()
        """The scenario a fresh form and ctrl+r start from."""
        if not os.environ.get("TEXTUAL_ANIMATIONS"):
            self.animation_level = self.settings.animation_level
        self._remembered_theme: str | None = None
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def _configured_scenario(self) -> Scenario | None:
        if not self.settings.scenario:
            return None
        try:
            return Scenario.model_validate(self.settings.scenario)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            self.startup_problems.append(("error", f"config: scenario.{loc}: {err['msg']}"))
            return None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a notification as literal text, never markup.

        Messages carry scenario names, paths, theme names and catalog problems typed by users or read
        from files; a name such as `[/]` must show as itself, not stop the app with a MarkupError, and an
        escape sequence in a file name must show as `\\x1b`, not act on the terminal.
        """
        super().notify(visible(str(message), keep_newlines=True), title=title, severity=severity, timeout=timeout,
                       markup=False)

    # ------------------------------------------------------------------ themes

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **APP_VARIABLES}

    def _register_themes(self) -> None:
        result = load_themes(self.theme_dirs)
        for theme in result.themes:
            self.register_theme(theme)
        if result.failed:
            self.startup_problems.append(("error", "themes: " + "; ".join(result.failed)))

    def _apply_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
            return
        self.startup_problems.append(
            ("warning", f"unknown theme {name!r}; using {DEFAULT_THEME}. Pick one with ctrl+t.")
        )
        self.theme = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == self._remembered_theme:
            return
        self._remembered_theme = theme.name
        self.remember(theme=theme.name)

    def remember(self, **changes: object) -> None:
        """Store UI choices in ui_state.json (quietly: a read-only data dir must not break the app)."""
        self.ui_state = self.ui_state.model_copy(update=changes)
        if not self.remember_ui_state:
            return
        try:
            save_ui_state(self.ui_state)
        except OSError as exc:
            self.log.warning(f"cannot write ui_state.json: {exc}")

    # ------------------------------------------------------------------ start

    def get_default_screen(self) -> Screen:
        state = initial_state(self.catalog, self.start_scenario)
        return MainScreen(self.catalog, state, store=self.store, start_scenario=self.start_scenario,
                          open_on_start=self.scenario_name)

    def on_mount(self) -> None:
        self._register_themes()
        self._apply_theme(self.requested_theme)
        self._remembered_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for severity, message in self.startup_problems:
            self.notify(message, severity=severity, timeout=12)  # type: ignore[arg-type]
        self.call_after_refresh(self._settle_memory)

    def _settle_memory(self) -> None:
        """Move the start-up objects (catalog, widgets) out of the garbage collector's way.

        Collections then scan only what typing creates, which keeps them short and rare. The
        `llmcalc` entry point turns the collector off for start-up; it comes back on here.
        """
        gc.collect()
        gc.freeze()
        gc.enable()

    # ------------------------------------------------------------------ catalog reload

    def action_reload_catalog(self) -> None:
        """Load the built-in and user catalogs again (in a thread)."""
        self._reload_catalog()

    @work(thread=True, exclusive=True, group="catalog", exit_on_error=False)
    def _reload_catalog(self) -> None:
        try:
            result = load_catalog(user_catalog_dirs(self.settings))
        except CatalogError as exc:
            self.post_message(CatalogFailed(str(exc.problems[0]) if exc.problems else str(exc)))
            return
        self.post_message(CatalogLoaded(result.catalog, [str(p) for p in result.problems]))

    def action_update_prices(self) -> None:
        """Fetch the public price map into a dated overlay in the user catalogs (in a thread), then reload."""
        self.notify("Updating API prices…", timeout=4)
        self._update_prices()

    @work(thread=True, exclusive=True, group="prices", exit_on_error=False)
    def _update_prices(self) -> None:
        from llmcalc_tui.price_update import DEFAULT_URL, PriceUpdateError, update_prices

        try:
            report = update_prices(DEFAULT_URL, paths.user_catalogs_dir(), self.catalog)
        except PriceUpdateError as exc:
            self.call_from_thread(self.notify, f"Price update failed: {exc}", severity="error", timeout=12,
                                  markup=False)
            return
        summary = f"{len(report.new)} new endpoint(s), {len(report.changes)} price change(s)"
        self.call_from_thread(self.notify, f"API prices as of {report.as_of}: {summary}", timeout=8)
        self.call_from_thread(self.action_reload_catalog)

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        self.catalog = message.catalog
        for problem in message.problems:
            self.notify(f"catalog: {problem}", severity="warning", timeout=12)
        self.notify(
            f"Catalog reloaded: {len(message.catalog.models)} models, {len(message.catalog.hardware)} hardware."
            " Restart to use new entries in the form lists.",
            timeout=6,
        )

    @on(CatalogFailed)
    def _catalog_failed(self, message: CatalogFailed) -> None:
        self.notify(f"Catalog reload failed: {message.error}", severity="error", timeout=12)

    @on(events.DeliveryComplete)
    def _delivered(self, event: events.DeliveryComplete) -> None:
        if event.name == "llmcalc-export":
            self.notify(f"Exported to {event.path}", timeout=8)

    @on(events.DeliveryFailed)
    def _delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "llmcalc-export":
            self.notify(f"Export failed: {event.exception}", severity="error", timeout=12)

    # ------------------------------------------------------------------ model sources

    def action_import_model(self) -> None:
        """Import a model from the Hub, a config.json or a GGUF file into the user catalog."""
        if isinstance(self.screen, MainScreen):
            from llmcalc_tui.screens.import_model import open_import

            open_import(self.screen)

    # ------------------------------------------------------------------ quitting

    async def action_quit(self) -> None:
        """ctrl+q anywhere: the main screen asks once when there are unsaved changes."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            self.exit()
            return
        main.action_request_quit()

    # ------------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield SystemCommand("Save scenario as…", "Save the scenario under a name (ctrl+s)",
                                screen.action_save_scenario)
            yield SystemCommand("Open scenario…", "Open, rename, duplicate or delete saved scenarios (ctrl+o)",
                                screen.action_open_scenario)
            yield SystemCommand("Reset scenario", "Back to the default scenario (ctrl+r)", screen.action_reset_scenario)
            yield SystemCommand("Compare scenarios", "2 to 4 scenarios side by side (F7)",
                                screen.action_compare_scenarios)
            yield SystemCommand("Export scenario", "Markdown, CSV or JSON to a file or the clipboard (F8)",
                                screen.action_export_scenario)
            yield SystemCommand("Copy results", "Scenario and results as Markdown to the clipboard (F9)",
                                screen.action_copy_summary)
            yield SystemCommand("Plan a fleet", "Hardware, layout, replicas and cost for a request rate (ctrl+l)",
                                screen.action_open_plan)
            yield SystemCommand("Plots", "Speed, TTFT, memory, roofline, cost and load curves (ctrl+g)",
                                screen.action_open_plots)
            yield SystemCommand("Copy launch command", "The engine's command line for this scenario (ctrl+y)",
                                screen.action_copy_launch)
            yield SystemCommand("Help", "Keys and how the calculator works (F1)", screen.action_show_help)
            yield SystemCommand("Best weight format (quants)", "Every format of this model on this hardware (ctrl+b)",
                                lambda: screen.action_lever_view("quants"))
            yield SystemCommand("Models that fit this hardware", "Each model's best format and speed (ctrl+f)",
                                lambda: screen.action_lever_view("models"))
            for page, key, words in (("setup", "F2", "the form"), ("results", "F3", "the results"),
                                     ("grid", "F4", "the hardware grid"), ("api", "F6", "the API comparison")):
                yield SystemCommand(f"Go to {words}", f"Show and focus {words} ({key})",
                                    lambda page=page: screen.action_show_page(page))
            yield SystemCommand("Pick model…", "Filterable list of open and API models",
                                lambda: screen.open_picker("model"))
            yield SystemCommand("Import model…", "From the Hub (ORG/NAME), a config.json or a GGUF file (ctrl+n)",
                                self.action_import_model)
            yield SystemCommand("Pick hardware…", "Filterable list of hardware", lambda: screen.open_picker("hardware"))
            yield SystemCommand("Pick API model to compare…", "Filterable list of API models",
                                lambda: screen.open_picker("api_model"))
            grid = screen.query_one("CompatGrid")
            yield SystemCommand("Grid: next sort column", "Sort the hardware grid by the next column (s in the grid)",
                                grid.action_cycle_sort)
            yield SystemCommand("Grid: reverse sort", "Reverse the hardware grid's order (r in the grid)",
                                grid.action_reverse_sort)
            yield SystemCommand("Grid: next hardware kind", "Filter the grid to the next kind (f in the grid)",
                                lambda: grid.action_cycle_kind(1))
            yield SystemCommand("Reload catalogs", "Read the built-in and user catalogs again",
                                self.action_reload_catalog)
            yield SystemCommand("Update API prices", "Read the public LiteLLM price map into a dated user catalog",
                                self.action_update_prices)


def make_app(
    *,
    theme: str | None = None,
    scenario_name: str | None = None,
    settings: Settings | None = None,
    catalog: Catalog | None = None,
    remember_ui_state: bool = True,
    detect_hardware: bool = False,
) -> LlmCalcApp:
    """Build the app the way the CLI does: config, remembered UI state, catalogs, themes and scenarios."""
    settings_problems: list[str] = []
    if settings is None:
        loaded = load_settings()
        settings, settings_problems = loaded.settings, list(loaded.problems)
    problems: list[str] = []
    if catalog is None:
        dirs = [d for d in user_catalog_dirs(settings) if d.is_dir()]
        if dirs:
            result = load_catalog(dirs)
            catalog, problems = result.catalog, [str(p) for p in result.problems]
        else:
            catalog = load_builtin()
    return LlmCalcApp(
        catalog=catalog,
        catalog_problems=problems,
        settings=settings,
        settings_problems=settings_problems,
        ui_state=load_ui_state(),
        theme=theme,
        scenario_name=scenario_name,
        remember_ui_state=remember_ui_state,
        detect_hardware=detect_hardware,
    )


def run_app(scenario_name: str | None = None, theme: str | None = None) -> int:
    """Run the app in the terminal; returns the exit status."""
    import sys

    try:
        app = make_app(theme=theme, scenario_name=scenario_name, detect_hardware=True)
    except CatalogError as exc:
        first = exc.problems[0] if exc.problems else exc
        print(f"llmcalc: error: built-in catalog is broken: {first}", file=sys.stderr)
        return 2
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
