"""Models and hardware from outside the catalog, in the app: the Import model prompt, model sources typed in the
Model field, and this machine's hardware preselected at start.

Reading a source can take seconds (the Hub) and detection calls drivers, so both run in threads; the results
come back to the event loop with call_from_thread. Nothing here runs on a keystroke.
"""

from __future__ import annotations

from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.sources import SourceError


class SourceHost(Protocol):
    """What these helpers need from the calculator screen."""

    catalog: Catalog

    def set_field(self, field: str, value: str) -> None: ...


def _share_catalog(screen: SourceHost, catalog: Catalog) -> None:
    """The screen and the app estimate with the same catalog."""
    screen.catalog = catalog
    app = getattr(screen, "app", None)
    if app is not None and hasattr(app, "catalog"):
        app.catalog = catalog


def _select_model(screen: SourceHost, catalog: Catalog, value: str) -> None:
    """Put the model in the form and estimate it with the catalog that now holds it."""
    from llmcalc_tui.state import recompute

    _share_catalog(screen, catalog)
    state = screen.state  # type: ignore[attr-defined]
    if state.raw.get("model") == value:
        # The text is already in the form (typed as is): only the catalog changed, so estimate again.
        screen.state = recompute(state, catalog)  # type: ignore[attr-defined]
    else:
        screen.set_field("model", value)


class ImportModelScreen(ModalScreen[str | None]):
    """One input for a Hub repo id, a config.json (or its folder) or a GGUF file; Enter imports it.

    The model is saved to the user catalog (like `llmcalc models import`) and added to the running catalog;
    the screen returns its id. Errors stay in the prompt, one line, and the text is kept for fixing.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import-cancel", tooltip="Close without importing")]
    HELP = ("hf:ORG/NAME[@REV] or ORG/NAME reads the Hub (HF_ENDPOINT, HF_TOKEN); a path reads a config.json, "
            "a folder with one, or a .gguf file. Enter imports, escape cancels.")
    DEFAULT_CSS = """
    ImportModelScreen { align: center middle; }
    ImportModelScreen > Vertical {
        width: 76; max-width: 95%; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    ImportModelScreen #import-title { text-style: bold; margin-bottom: 1; }
    ImportModelScreen Label.field-label { color: $text-muted; }
    ImportModelScreen #import-message { height: auto; min-height: 1; color: $text-muted; }
    ImportModelScreen #import-message.-error { color: $text-error; }
    ImportModelScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ImportModelScreen Button { margin-left: 1; }
    """

    def __init__(self, catalog: Catalog, text: str = "") -> None:
        super().__init__()
        self.catalog = catalog
        """The catalog the model joins (ids already taken are refused)."""
        self.initial_text = text
        self.imported_catalog: Catalog | None = None
        """The catalog with the imported model, once it is in."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import model", id="import-title")
            yield Label("Hub repo id, config.json / folder, or GGUF file", classes="field-label")
            yield Input(self.initial_text, placeholder="hf:Qwen/Qwen3-8B  ·  ~/models/config.json  ·  model.gguf",
                        id="import-source", compact=True)
            yield Static("Saved to the user catalog (llmcalc locate catalogs); it then shows in the model list.",
                         id="import-message", markup=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="import-cancel-button")
                yield Button("Import (enter)", variant="primary", id="import-ok-button")

    def on_mount(self) -> None:
        field = self.query_one("#import-source", Input)
        field.cursor_blink = False
        field.focus()

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#import-message", Static)
        message.update(text)
        message.set_classes("-error" if error else "")

    @on(Input.Submitted, "#import-source")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._start()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "import-ok-button":
            self._start()
        else:
            self.dismiss(None)

    def _start(self) -> None:
        text = self.query_one("#import-source", Input).value.strip()
        if not text:
            self._say("✗ type a repo id or a path", error=True)
            self.app.bell()
            return
        self._say(f"Reading {text} …")
        self.query_one("#import-ok-button", Button).disabled = True
        self.run_worker(lambda: self._import(text), thread=True, exclusive=True, group="import-model",
                        exit_on_error=False)

    def _import(self, text: str) -> tuple[str, Catalog]:
        from llmcalc_tui.sources.importer import import_model
        from llmcalc_tui.sources.resolve import with_model

        done = import_model(text, self.catalog)
        return done.model.id, with_model(self.catalog, done.model, *done.model.aliases)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "import-model":
            return
        if event.state == WorkerState.SUCCESS:
            model_id, catalog = event.worker.result
            self.imported_catalog = catalog
            self.dismiss(model_id)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, SourceError):
                message = error.message
            elif isinstance(error, OSError):
                message = f"cannot write the user catalog: {error.strerror or error}"
            else:
                message = f"{type(error).__name__}: {error}"
            self._say(f"✗ {message}", error=True)
            self.query_one("#import-ok-button", Button).disabled = False

    def action_cancel(self) -> None:
        """Close without importing (a read in progress is left to finish unseen)."""
        self.dismiss(None)


def open_import(screen: SourceHost, text: str = "") -> None:
    """Show the Import model prompt; the imported model is selected in the form."""
    prompt = ImportModelScreen(screen.catalog, text)

    def done(model_id: str | None) -> None:
        if model_id is None or prompt.imported_catalog is None:
            return
        _select_model(screen, prompt.imported_catalog, model_id)
        screen.notify(f"Imported {model_id}; it is in the model list from now on", timeout=6, markup=False)  # type: ignore[attr-defined]

    screen.app.push_screen(prompt, done)  # type: ignore[attr-defined]


def resolve_model_field(screen: SourceHost, text: str) -> None:
    """Enter on a model source typed in the Model field: read it in a thread, then select it."""
    from llmcalc_tui.sources.resolve import resolve_model_text

    app = screen.app  # type: ignore[attr-defined]
    catalog = screen.catalog
    screen.notify(f"Reading {text} …", timeout=3, markup=False)  # type: ignore[attr-defined]

    def finish(new_catalog: Catalog, stored: str) -> None:
        _select_model(screen, new_catalog, stored)

    def fail(message: str) -> None:
        screen.notify(message, severity="error", timeout=10, markup=False)  # type: ignore[attr-defined]

    def work() -> None:
        try:
            new_catalog, stored = resolve_model_text(text, catalog)
        except SourceError as exc:
            app.call_from_thread(fail, exc.message)
            return
        except Exception as exc:  # a bug must not pass silently in a thread
            app.call_from_thread(fail, f"cannot read {text}: {type(exc).__name__}: {exc}")
            return
        app.call_from_thread(finish, new_catalog, stored)

    screen.run_worker(work, thread=True, exclusive=True, group="model-source", exit_on_error=False)  # type: ignore[attr-defined]


def reopen_with_source(screen: SourceHost, name: str, source: str) -> None:
    """Open a saved scenario whose model is a source: read the source in a thread, then open it (marked as
    unknown when the source cannot be read, with the reason in a notice)."""
    from llmcalc_tui.sources.resolve import resolve_model_text

    app = screen.app  # type: ignore[attr-defined]
    catalog = screen.catalog
    screen.notify(f"Reading {source} …", timeout=3, markup=False)  # type: ignore[attr-defined]

    def finish(new_catalog: Catalog | None, problem: str | None) -> None:
        if new_catalog is not None:
            _share_catalog(screen, new_catalog)
        if problem:
            screen.notify(problem, severity="error", timeout=10, markup=False)  # type: ignore[attr-defined]
        screen.open_named(name, read_sources=False)  # type: ignore[attr-defined]

    def work() -> None:
        try:
            new_catalog, _ = resolve_model_text(source, catalog)
        except SourceError as exc:
            app.call_from_thread(finish, None, exc.message)
            return
        except Exception as exc:
            app.call_from_thread(finish, None, f"cannot read {source}: {type(exc).__name__}: {exc}")
            return
        app.call_from_thread(finish, new_catalog, None)

    screen.run_worker(work, thread=True, exclusive=True, group="model-source", exit_on_error=False)  # type: ignore[attr-defined]


def preselect_local_hardware(screen: SourceHost, untouched: callable) -> None:  # type: ignore[valid-type]
    """Detect this machine in a thread; when something is found (and the user has not picked hardware yet),
    add the `local` entry and select it with a notice. Nothing found: nothing happens, nothing is shown."""
    from llmcalc_tui.sources.machine import detect, device_count, with_local_hardware

    app = screen.app  # type: ignore[attr-defined]

    def apply(catalog: Catalog, name: str, count: int) -> None:
        if not untouched():
            return
        _share_catalog(screen, catalog)
        screen.edit({"hardware": "local", **({"gpus": str(count)} if count > 1 else {})})  # type: ignore[attr-defined]
        screen.notify(f"This machine: {name} (hardware: local)", timeout=6, markup=False)  # type: ignore[attr-defined]

    def work() -> None:
        try:
            info = detect()
            catalog, spec = with_local_hardware(screen.catalog, info)
        except Exception:  # detection must never disturb the app
            return
        if spec is not None:
            app.call_from_thread(apply, catalog, spec.name.removeprefix("This machine: "), device_count(info))

    screen.run_worker(work, thread=True, exclusive=True, group="detect-machine", exit_on_error=False)  # type: ignore[attr-defined]
