"""SaveScenarioScreen: ask for a scenario name (save as, rename, duplicate) with validation as you type."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from llmcalc_tui.scenarios import ScenarioStoreError, clean_name


@dataclass(frozen=True)
class NameChoice:
    """What the name prompt returns."""

    name: str
    notes: str = ""


class SaveScenarioScreen(ModalScreen[NameChoice | None]):
    """A name prompt: enter confirms when the name is valid, escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="name-cancel", tooltip="Close without saving"),
    ]
    HELP = "Any name works (unicode included); it becomes the file name's slug. Enter saves, escape cancels."
    DEFAULT_CSS = """
    SaveScenarioScreen { align: center middle; }
    SaveScenarioScreen > Vertical {
        width: 70; max-width: 95%; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    SaveScenarioScreen #name-title { text-style: bold; margin-bottom: 1; }
    SaveScenarioScreen Label.field-label { color: $text-muted; }
    SaveScenarioScreen #name-message { height: auto; min-height: 1; color: $text-muted; }
    SaveScenarioScreen #name-message.-error { color: $text-error; }
    SaveScenarioScreen #name-message.-warning { color: $text-warning; }
    SaveScenarioScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    SaveScenarioScreen Button { margin-left: 1; }
    """

    def __init__(
        self,
        title: str,
        name: str = "",
        *,
        existing: Collection[str] = (),
        overwrite_ok: bool = True,
        ask_notes: bool = False,
        notes: str = "",
        action_label: str = "Save",
    ) -> None:
        super().__init__()
        self.title_text = title
        """Heading of the prompt."""
        self.initial_name = name
        """Name shown at first."""
        self.existing = set(existing)
        """Names already used by saved scenarios."""
        self.overwrite_ok = overwrite_ok
        """Whether an existing name may be chosen (save: yes, with a warning; rename/duplicate: no)."""
        self.ask_notes = ask_notes
        """Whether to show the notes field."""
        self.initial_notes = notes
        """Notes shown at first."""
        self.action_label = action_label
        """Text of the confirming button."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="name-title", markup=False)
            yield Label("Name", classes="field-label")
            yield Input(self.initial_name, placeholder="e.g. 70B on 2 x H100", id="name-input", compact=True)
            if self.ask_notes:
                yield Label("Notes (optional)", classes="field-label")
                yield Input(self.initial_notes, id="notes-input", compact=True)
            yield Static("", id="name-message", markup=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="name-cancel-button")
                yield Button(f"{self.action_label} (enter)", variant="primary", id="name-ok-button")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one("#name-input", Input).focus()
        self._check(self.initial_name)

    def _check(self, name: str) -> str | None:
        """Show whether the name can be used; return the cleaned name when it can."""
        message = self.query_one("#name-message", Static)
        button = self.query_one("#name-ok-button", Button)
        try:
            cleaned = clean_name(name)
        except ScenarioStoreError as exc:
            message.update(f"✗ {exc.message}")
            message.set_classes("-error")
            button.disabled = True
            return None
        if cleaned in self.existing:
            if not self.overwrite_ok:
                message.update(f"✗ a scenario named {cleaned!r} already exists")
                message.set_classes("-error")
                button.disabled = True
                return None
            message.update(f"! replaces the saved scenario {cleaned!r} (its old version is kept as .bak)")
            message.set_classes("-warning")
        else:
            message.update("")
            message.set_classes("")
        button.disabled = False
        return cleaned

    @on(Input.Changed, "#name-input")
    def _name_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)

    @on(Input.Changed, "#notes-input")
    def _notes_changed(self, event: Input.Changed) -> None:
        event.stop()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "name-ok-button":
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        cleaned = self._check(self.query_one("#name-input", Input).value)
        if cleaned is None:
            self.app.bell()
            return
        notes = self.query_one("#notes-input", Input).value if self.ask_notes else ""
        self.dismiss(NameChoice(cleaned, notes))

    def action_cancel(self) -> None:
        """Close without a name."""
        self.dismiss(None)
