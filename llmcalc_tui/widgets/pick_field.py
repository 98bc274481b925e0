"""PickField: an Input for a catalog id, with inline completion and a filterable list on down."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets.input import Selection

from llmcalc_tui.messages import PickRequested
from llmcalc_tui.widgets.form_input import FormInput


class IdSuggester(Suggester):
    """Grey completion from the core's forgiving id search (names, spaces, capitals, prefixes)."""

    def __init__(self, complete: Callable[[str], str | None]) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.complete = complete
        """Typed text -> the id to offer, or None."""

    async def get_suggestion(self, value: str) -> str | None:
        return self.complete(value)


class PickField(FormInput):
    """A compact Input for an id: suggestions complete as you type (right arrow accepts), down opens the list."""

    BINDINGS = [
        Binding("down", "open_list", "List", show=False, id="open-list", tooltip="Show the filterable list"),
    ]
    HELP = (
        "Type an id or part of a name. The grey completion is accepted with the right arrow; "
        "down opens a list filtered by what you typed."
    )

    def __init__(
        self,
        value: str,
        complete: Callable[[str], str | None],
        *,
        field: str,
        placeholder: str = "",
        id: str | None = None,
        tooltip: str | None = None,
    ) -> None:
        super().__init__(
            value,
            placeholder=placeholder,
            suggester=IdSuggester(complete),
            id=id,
            compact=True,
        )
        self.field = field
        """Form field this picker sets."""
        self._cursor_to_end_on_focus = False
        self.cursor_blink = False
        if tooltip:
            self.tooltip = tooltip

    def focus_at_end(self) -> None:
        """Focus with the cursor after the text and nothing selected, so typing adds to a picked id."""
        self._cursor_to_end_on_focus = True
        self.focus()
        # Textual may already have given the focus back as the list closed (no new Focus event then).
        self.call_after_refresh(self._place_cursor_at_end)

    def on_focus(self) -> None:
        if self._cursor_to_end_on_focus:
            self._cursor_to_end_on_focus = False
            # After Input's own focus handler, which selects the whole text.
            self.call_later(self._place_cursor_at_end)

    def _place_cursor_at_end(self) -> None:
        self.selection = Selection.cursor(len(self.value))

    def action_next_field(self) -> None:
        """Enter: the filterable list while the id is unknown (marked invalid), else the next field."""
        if self.has_class("-invalid"):
            self.post_message(PickRequested(self.field, self.value, from_enter=True))
        else:
            super().action_next_field()

    def action_open_list(self) -> None:
        """Ask the screen for the filterable list, seeded with the current text."""
        self.post_message(PickRequested(self.field, self.value))
