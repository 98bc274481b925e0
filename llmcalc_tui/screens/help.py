"""HelpScreen: keys and how the app works; F1, escape or q closes it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """Every key of the app, the focused widget's help and tips for SSH and tmux."""

    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", id="help-close", tooltip="Close the help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 95%; max-width: 110; height: 95%; border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; width: 1fr; }
    HelpScreen VerticalScroll { height: 1fr; }
    HelpScreen #help-hint { color: $text-muted; }
    """

    def __init__(self, body: Text) -> None:
        super().__init__()
        self.body = body
        """The help text."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("llmcalc help", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.body, id="help-body")
            yield Label("up/down/pgup/pgdn scroll · escape, F1 or q closes", id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
