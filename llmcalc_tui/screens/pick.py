"""PickScreen: a filter box over a list of catalog entries; enter picks, escape cancels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from llmcalc_tui.state import PickOption, filter_options

MAX_SHOWN = 200
"""Most entries listed at once; the filter narrows the rest."""


class PickScreen(ModalScreen[str | None]):
    """Choose one id from a list filtered as you type (up/down move, enter picks, escape cancels)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="pick-cancel", tooltip="Close without choosing"),
        Binding("down", "move(1)", "Next", show=False, id="pick-next", tooltip="Highlight the next entry"),
        Binding("up", "move(-1)", "Previous", show=False, id="pick-previous", tooltip="Highlight the previous entry"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="pick-page-down", tooltip="Ten entries down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="pick-page-up", tooltip="Ten entries up"),
    ]
    HELP = "Type to filter (every word must match id, name, family or provider); up/down move; enter picks."
    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical {
        width: 90%; max-width: 100; height: 80%; max-height: 30;
        border: round $primary; background: $surface; padding: 0 1;
    }
    PickScreen #pick-title { text-style: bold; width: 1fr; }
    PickScreen #pick-count { color: $text-muted; width: 1fr; }
    PickScreen Input { margin: 0 0 1 0; }
    PickScreen OptionList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, title: str, options: Sequence[PickOption], text: str = "", *,
                 search: Callable[[Sequence[PickOption], str], list[PickOption]] | None = None) -> None:
        super().__init__()
        self.search = search or filter_options
        """Options matching typed text, best first."""
        self.title_text = title
        """What is being picked."""
        self.all_options = list(options)
        """Every entry, before filtering."""
        self.initial_text = text
        """Filter text to start with."""
        self._shown: list[PickOption] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="pick-title", markup=False)
            yield Input(self.initial_text, placeholder="type to filter", id="pick-filter", compact=True,
                        select_on_focus=False)
            yield OptionList(id="pick-list")
            yield Label("", id="pick-count")

    def on_mount(self) -> None:
        field = self.query_one("#pick-filter", Input)
        field.cursor_blink = False
        current = self.initial_text.strip().lower()
        if any(o.id == current for o in self.all_options):
            # The field holds a valid id: list everything with it highlighted; typing starts afresh.
            self._refilter("", highlight=current)
            field.select_all()
        else:
            field.cursor_position = len(field.value)
            self._refilter(self.initial_text, keep_text=True)
        field.focus()

    def _refilter(self, text: str, keep_text: bool = False, highlight: str | None = None) -> None:
        hits = self.search(self.all_options, text)
        if keep_text and not hits:
            hits = list(self.all_options)
        self._shown = hits[:MAX_SHOWN]
        option_list = self.query_one(OptionList)
        width = max((len(o.id) for o in self._shown), default=10) + 2
        option_list.set_options(Option(self._prompt(o, width), id=o.id) for o in self._shown)
        if self._shown:
            ids = [o.id for o in self._shown]
            option_list.highlighted = ids.index(highlight) if highlight in ids else 0
        more = f" (first {MAX_SHOWN})" if len(hits) > MAX_SHOWN else ""
        self.query_one("#pick-count", Label).update(
            f"{len(hits)} of {len(self.all_options)}{more} · enter picks · escape cancels"
        )

    @staticmethod
    def _prompt(option: PickOption, width: int) -> Text:
        text = Text.assemble((option.id.ljust(width), "bold"), (option.label, ""), ("  " + option.detail, "dim"))
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text

    @on(Input.Changed, "#pick-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter(event.value)

    @on(Input.Submitted, "#pick-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self.dismiss(option.id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        """Move the highlight while the filter box keeps the focus."""
        option_list = self.query_one(OptionList)
        if not option_list.option_count:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(option_list.option_count - 1, current + step))

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
