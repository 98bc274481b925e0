"""NumberField: an Input for numbers that steps with the arrow keys."""

from __future__ import annotations

import math

from textual.binding import Binding

from llmcalc_tui.state import parse_number_text, plain_number
from llmcalc_tui.widgets.form_input import FormInput


class NumberField(FormInput):
    """A compact Input for a number: up/down step by `step`, shift+up/down by ten steps."""

    BINDINGS = [
        Binding("up", "step(1)", "+1", show=False, id="step-up", tooltip="Increase by one step"),
        Binding("down", "step(-1)", "-1", show=False, id="step-down", tooltip="Decrease by one step"),
        Binding("shift+up", "step(10)", "+10", show=False, id="step-up-10", tooltip="Increase by ten steps"),
        Binding("shift+down", "step(-10)", "-10", show=False, id="step-down-10", tooltip="Decrease by ten steps"),
    ]
    HELP = "Type a number. Up/down step it; shift+up/down step ten times as far."

    def __init__(
        self,
        value: str = "",
        *,
        step: float = 1.0,
        minimum: float = 0.0,
        integer: bool = True,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
        tooltip: str | None = None,
    ) -> None:
        super().__init__(value, placeholder=placeholder, id=id, classes=classes, compact=True)
        self.step = step
        """Amount one up/down press adds."""
        self.minimum = minimum
        """Lowest value stepping goes to."""
        self.integer = integer
        """Whether values are whole numbers."""
        self.cursor_blink = False
        if tooltip:
            self.tooltip = tooltip

    def action_step(self, times: int) -> None:
        """Add `times` steps to the current value (ignored while the text is not a number)."""
        text = self.value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            current = parse_number_text(text) if text else self.minimum
        except ValueError:
            self.app.bell()
            return
        if not math.isfinite(current):
            return
        step = self.step * (100 if percent else 1)
        value = max(self.minimum * (100 if percent else 1), current + times * step)
        if self.integer:
            new = str(int(round(value)))
        else:
            new = plain_number(round(value, 6))
        self.value = new + ("%" if percent else "")
        self.cursor_position = len(self.value)
