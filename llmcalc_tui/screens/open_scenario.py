"""OpenScenarioScreen: saved scenarios with a filter; open, delete, rename and duplicate them."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from llmcalc_tui.text_safety import visible
from llmcalc_tui.scenarios import ScenarioEntry, ScenarioStore, ScenarioStoreError
from llmcalc_tui.screens.confirm import ConfirmScreen
from llmcalc_tui.screens.save_scenario import NameChoice, SaveScenarioScreen
from llmcalc_tui.widgets.key_bar import KeyBar


def entry_summary(entry: ScenarioEntry) -> str:
    """'model on 2 x hardware · saved 2025-01-31 14:02' for a good entry."""
    if entry.saved is None:
        return ""
    s = entry.saved.scenario
    when = entry.saved.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{s.model} on {s.gpus} x {s.hardware} · {s.input_tokens:,}/{s.output_tokens:,} tok · saved {when}"


class OpenScenarioScreen(ModalScreen[str | None]):
    """Pick a saved scenario to open; broken files are listed with path, line and problem but cannot be opened."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="open-cancel", tooltip="Close without opening"),
        Binding("d,delete", "delete", "Delete", id="open-delete", tooltip="Delete the highlighted scenario"),
        Binding("r", "rename", "Rename", id="open-rename", tooltip="Rename the highlighted scenario"),
        Binding("c", "duplicate", "Duplicate", id="open-duplicate", tooltip="Copy the highlighted scenario"),
        Binding("slash", "focus_filter", "Filter", id="open-filter", tooltip="Type to filter the list"),
    ]
    HELP = (
        "Type to filter, down to reach the list, enter opens. In the list: d delete (asks first), "
        "r rename, c duplicate, / back to the filter. ⚠ rows are files that cannot be read."
    )
    DEFAULT_CSS = """
    OpenScenarioScreen { align: center middle; }
    OpenScenarioScreen > Vertical {
        width: 95%; max-width: 120; height: 90%; max-height: 32;
        border: round $primary; background: $surface; padding: 0 1;
    }
    OpenScenarioScreen #open-title { text-style: bold; }
    OpenScenarioScreen #open-filter { margin-bottom: 1; }
    OpenScenarioScreen OptionList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    OpenScenarioScreen #open-detail { height: auto; max-height: 3; color: $text-muted; }
    OpenScenarioScreen #open-detail.-broken { color: $text-error; }
    OpenScenarioScreen KeyBar { dock: none; }
    """

    def __init__(self, store: ScenarioStore) -> None:
        super().__init__()
        self.store = store
        """Where the scenarios are."""
        self.entries: list[ScenarioEntry] = []
        """Every file of the folder, broken ones included."""
        self._shown: list[ScenarioEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open scenario", id="open-title")
            yield Input(placeholder="type to filter · down for the list", id="open-filter", compact=True)
            yield OptionList(id="open-list")
            yield Label("", id="open-detail", markup=False)
            yield KeyBar(show_palette=False)

    def on_mount(self) -> None:
        field = self.query_one("#open-filter", Input)
        field.cursor_blink = False
        self.reload()
        field.focus()

    def reload(self, keep: str | None = None) -> None:
        """Read the folder again and show the entries that match the filter."""
        try:
            self.entries = self.store.list()
        except ScenarioStoreError as exc:
            self.entries = []
            self.notify(exc.message, severity="error")
        self._refilter(keep)

    def _refilter(self, keep: str | None = None) -> None:
        needle = self.query_one("#open-filter", Input).value.strip().casefold()
        words = needle.split()
        shown = []
        for entry in self.entries:
            hay = f"{entry.label} {entry.slug} {entry_summary(entry)} {entry.problem or ''}".casefold()
            if all(w in hay for w in words):
                shown.append(entry)
        self._shown = shown
        options = []
        for entry in shown:
            if entry.broken:
                prompt = Text.assemble(("⚠ ", "bold red"), (visible(entry.label), "bold"),
                                       (visible(f"  {entry.location}: {entry.problem}"), "red"))
            else:
                prompt = Text.assemble((visible(entry.label), "bold"), (visible("  " + entry_summary(entry)), "dim"))
            prompt.no_wrap = True
            prompt.overflow = "ellipsis"
            options.append(Option(prompt, id=entry.slug))
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        if shown:
            slugs = [e.slug for e in shown]
            option_list.highlighted = slugs.index(keep) if keep in slugs else 0
        elif not self.entries:
            self.query_one("#open-detail", Label).update(f"No saved scenarios yet in {self.store.directory} (ctrl+s saves one).")
        self._show_detail()

    def _highlighted(self) -> ScenarioEntry | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self._shown):
            return None
        return self._shown[index]

    def _show_detail(self) -> None:
        entry = self._highlighted()
        detail = self.query_one("#open-detail", Label)
        if entry is None:
            return
        detail.set_class(entry.broken, "-broken")
        if entry.broken:
            detail.update(visible(f"Cannot open {entry.location}: {entry.problem}. Fix the file or delete it (d)."))
        else:
            notes = entry.saved.notes if entry.saved else ""
            detail.update(visible(f"{entry.path}" + (f" · {notes}" if notes else "")))

    @on(Input.Changed, "#open-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter()

    @on(Input.Submitted, "#open-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._open(self._highlighted())

    def on_key(self, event) -> None:
        if event.key == "down" and self.focused is self.query_one("#open-filter", Input):
            event.stop()
            self.query_one(OptionList).focus()

    @on(OptionList.OptionHighlighted)
    def _option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_detail()

    @on(OptionList.OptionSelected)
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(self._highlighted())

    def _open(self, entry: ScenarioEntry | None) -> None:
        if entry is None:
            return
        if entry.broken:
            self.notify(f"Cannot open {entry.location}: {entry.problem}", severity="error")
            return
        self.dismiss(entry.slug)

    def action_focus_filter(self) -> None:
        """Back to the filter box."""
        self.query_one("#open-filter", Input).focus()

    def action_cancel(self) -> None:
        """Close without opening."""
        self.dismiss(None)

    def action_delete(self) -> None:
        """Delete the highlighted scenario after asking."""
        entry = self._highlighted()
        if entry is None:
            return

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.store.delete(entry.slug)
            except ScenarioStoreError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(f"Deleted {entry.label!r} (kept as {self.store.backup_path(entry).name})")
            self.reload()

        self.app.push_screen(ConfirmScreen(f"Delete scenario {entry.label!r}?\n{entry.path}", "Delete"), done)

    def _good_names(self) -> list[str]:
        return [e.name for e in self.entries if not e.broken and e.name is not None]

    def action_rename(self) -> None:
        """Rename the highlighted scenario."""
        entry = self._highlighted()
        if entry is None:
            return
        if entry.broken:
            self.notify(f"Cannot rename {entry.location}: {entry.problem}", severity="error")
            return
        others = [n for n in self._good_names() if n != entry.name]

        def done(choice: NameChoice | None) -> None:
            if choice is None:
                return
            try:
                path = self.store.rename(entry.slug, choice.name)
            except ScenarioStoreError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(f"Renamed to {choice.name!r}")
            self.reload(keep=path.name.removesuffix(".toml"))

        self.app.push_screen(
            SaveScenarioScreen(f"Rename {entry.label!r}", entry.label, existing=others, overwrite_ok=False,
                               action_label="Rename"),
            done,
        )

    def action_duplicate(self) -> None:
        """Copy the highlighted scenario under a new name."""
        entry = self._highlighted()
        if entry is None:
            return
        if entry.broken:
            self.notify(f"Cannot duplicate {entry.location}: {entry.problem}", severity="error")
            return

        def done(choice: NameChoice | None) -> None:
            if choice is None:
                return
            try:
                path = self.store.duplicate(entry.slug, choice.name)
            except ScenarioStoreError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(f"Copied to {choice.name!r}")
            self.reload(keep=path.name.removesuffix(".toml"))

        self.app.push_screen(
            SaveScenarioScreen(f"Duplicate {entry.label!r}", f"{entry.label} (copy)", existing=self._good_names(),
                               overwrite_ok=False, action_label="Duplicate"),
            done,
        )
