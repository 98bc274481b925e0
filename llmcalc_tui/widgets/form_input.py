"""FormInput: the one-line Input of the form, without a screen layout on every keystroke."""

from __future__ import annotations

from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FormInput(Input):
    """An Input whose text growing or shrinking repaints only itself, and where enter moves on.

    Input stores the text's width as its virtual size on every change, and Widget declares
    virtual_size with layout=True, so each keystroke re-arranged the whole screen (6-11 ms at
    200x60, a quarter of a keystroke's repaint). The field's own box never depends on its text
    (it is 1 row and a fixed share of the row wide), and Input scrolls its text from its own
    virtual_size, which needs no layout pass.
    """

    BINDINGS = [
        # A priority binding acts as the key arrives, so keys that come in the same read (an SSH
        # packet, a paste) land in the next field rather than this one.
        Binding("enter", "next_field", "Next field", show=False, priority=True, id="field-enter",
                tooltip="Go to the next field"),
    ]

    virtual_size = Reactive(Size(0, 0), layout=False)

    def action_next_field(self) -> None:
        """Enter: on to the next field."""
        self.screen.focus_next()
