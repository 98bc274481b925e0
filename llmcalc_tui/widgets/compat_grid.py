"""The hardware compatibility grid: every hardware entry against the scenario's workload.

`CompatGrid` draws its rows itself (Textual's Line API) from cached strips, so a keystroke that
changes every number repaints only the visible lines, in a few milliseconds, at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from llmcalc_tui.config import HARDWARE_KINDS
from llmcalc_tui.core.compat import GridRow
from llmcalc_tui.core.units import fmt_count, fmt_money
from llmcalc_tui.messages import HardwareChosen
from llmcalc_tui.state import BASIS_WORDS, GRID_COLUMNS, AppState, row_basis, row_nodes, sort_grid
from llmcalc_tui.widgets.text_block import TextBlock, text_style

COLUMN_WIDTHS = {
    "hardware": 19, "name": 22, "fit": 7, "gpus": 7, "usd_1m": 8, "out_tok_s": 9, "tok_s": 7, "basis": 6,
    "engine": 16, "max_batch": 7, "max_context": 7, "mem": 5, "kind": 11,
}
"""Column widths; the id column fits the longest id shown and the name grows on wide terminals."""
RIGHT_ALIGNED = {"gpus", "max_batch", "max_context", "tok_s", "out_tok_s", "usd_1m", "mem"}
FULL_NAMES_MIN_WIDTH = 160
"""From this many columns the full hardware name sits next to the id (below, it is the last column)."""
NAME_MAX_WIDTH = 60
"""Widest the hardware name column grows on wide terminals (catalog names are up to ~58 characters)."""
GAP = 2
"""Spaces between columns."""
FIT_CELL = {"ok": "✓ ok", "tight": "! tight", "no": "✗ no", "n/a": "n/a"}
CURRENT_MARK = "▶ "
COLUMN_KEYS = tuple(c.key for c in GRID_COLUMNS)
COLUMN_INDEX = {key: n for n, key in enumerate(COLUMN_KEYS)}
COLUMN_HEADERS = {c.key: c.header for c in GRID_COLUMNS}
GAP_TEXT = " " * GAP
SORT_KEYS = "1234567890"
"""Keys that sort by the first ten columns."""


def gpus_cell(row: GridRow) -> str:
    """'4', or '16 (2n)' when the devices span nodes; '-' when no count fits."""
    if not row.gpus_needed:
        return "-"
    nodes = row_nodes(row)
    return f"{row.gpus_needed:,} ({nodes}n)" if nodes and nodes > 1 else f"{row.gpus_needed:,}"


def row_cells(row: GridRow, current: bool, basis: str | None = None) -> tuple[str, ...]:
    """The texts of one grid row, in GRID_COLUMNS order."""
    fits = row.fits
    price_basis = row_basis(row, basis)
    price = row.usd_per_1m_output_tokens if price_basis is not None and (basis is None or price_basis == basis) else None
    cells = {
        "hardware": (CURRENT_MARK if current else "  ") + row.hardware,
        "name": row.name,
        "fit": (f"◐ {row.gpu_layers}/{row.num_layers}" if fits and row.placement == "offload"
                else FIT_CELL.get(row.fit_state, row.fit_state)),
        "gpus": gpus_cell(row),
        "usd_1m": fmt_money(price) if price is not None else "-",
        "out_tok_s": rate_cell(row.output_tok_s_total) if fits else "-",
        "tok_s": f"{row.decode_tok_s:,.1f}" if row.decode_tok_s else "-",
        "basis": BASIS_WORDS.get(price_basis, "-") if price is not None else "-",
        "engine": row.engine,
        "max_batch": f"{row.max_batch:,}" if fits else "-",
        "max_context": fmt_count(row.max_context) if fits else "-",
        "mem": f"{row.capacity_per_gpu_gib:,.0f}",
        "kind": row.kind,
    }
    return tuple(cells[key] for key in COLUMN_KEYS)


def rate_cell(tok_s: float | None) -> str:
    """A tok/s figure without a unit, in full up to a million."""
    if not tok_s:
        return "-"
    return f"{tok_s:,.0f}" if tok_s < 1e6 else fmt_count(tok_s)


def fit_cell(text: str, width: int, right: bool) -> str:
    """Text padded or cut (with an ellipsis) to exactly `width` cells."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else text[:width]
    padding = " " * (width - length)
    return padding + text if right else text + padding


class CompatGrid(ScrollView, can_focus=True):
    """Hardware × fit; sort with s / r / 1-9, filter kinds with f, enter makes a row the hardware."""

    BINDINGS = [
        Binding("enter", "choose", "Use", id="grid-use", key_display="enter",
                tooltip="Make this row the scenario's hardware"),
        Binding("s", "cycle_sort", "Sort", id="grid-sort", tooltip="Sort by the next column"),
        Binding("r", "reverse_sort", "Reverse", id="grid-reverse", tooltip="Reverse the sort order"),
        Binding("f", "cycle_kind(1)", "Kind", id="grid-kind",
                tooltip="Show the next hardware kind (all, datacenter, ...)"),
        Binding("F", "cycle_kind(-1)", "Kind back", show=False, id="grid-kind-back",
                tooltip="Show the previous hardware kind"),
        Binding("o", "toggle_fits_only", "Fits only", id="grid-fits-only",
                tooltip="Show only the hardware that fits the workload (again: all)"),
        Binding("l", "toggle_offload", "Offload", id="grid-offload",
                tooltip="Let a model too big for one device keep layers in system RAM (llama.cpp, Ollama)"),
        Binding("b", "toggle_basis", "Rent/own", id="grid-basis",
                tooltip="Price every row rented (cloud $/GPU-hour) or owned (purchase + electricity)"),
        Binding("up", "cursor(-1)", "Up", show=False, id="grid-up", tooltip="Previous row"),
        Binding("down", "cursor(1)", "Down", show=False, id="grid-down", tooltip="Next row"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="grid-page-up", tooltip="One page up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="grid-page-down", tooltip="One page down"),
        Binding("home", "edge(0)", "First", show=False, id="grid-first", tooltip="First row"),
        Binding("end", "edge(1)", "Last", show=False, id="grid-last", tooltip="Last row"),
        Binding("left", "scroll_left", "Left", show=False, id="grid-left", tooltip="Scroll left"),
        Binding("right", "scroll_right", "Right", show=False, id="grid-right", tooltip="Scroll right"),
        *(
            Binding(key, f"sort_by({n})", f"Sort {c.header}", show=False, id=f"grid-sort-{key}",
                    tooltip=f"Sort by {c.header}")
            for n, (key, c) in enumerate(zip(SORT_KEYS, GRID_COLUMNS))
        ),
    ]
    HELP = (
        "Every hardware entry with the fewest devices that fit the workload: fit state, GPUs needed "
        "(16 (2n): 16 devices over 2 nodes), $ per 1M output tokens, total output tok/s, tok/s of one "
        "sequence, cost basis, engine, max batch and context, GiB per device. The id column stays "
        "when scrolling right; full names show from 160 columns (and as the last column).\n"
        "enter: use the row as the scenario's hardware · s: next sort column · r: reverse · "
        "1-9, 0: sort by column · f / F: next / previous hardware kind · o: fits only · "
        "b: price every row rented or owned (- : no price on that basis). ▶ marks the current hardware."
    )
    COMPONENT_CLASSES = {
        "compat-grid--header", "compat-grid--cursor", "compat-grid--ok", "compat-grid--tight",
        "compat-grid--no", "compat-grid--current", "compat-grid--muted",
    }
    DEFAULT_CSS = """
    CompatGrid { height: 1fr; background: $surface; }
    CompatGrid > .compat-grid--header { text-style: bold; color: $text-muted; background: $panel; }
    CompatGrid > .compat-grid--cursor {
        background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground; text-style: bold;
    }
    CompatGrid:focus > .compat-grid--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    CompatGrid:nocolor > .compat-grid--cursor { text-style: reverse; }
    CompatGrid > .compat-grid--ok { color: $fit-ok; text-style: bold; }
    CompatGrid > .compat-grid--tight { color: $fit-tight; text-style: bold; }
    CompatGrid > .compat-grid--no { color: $fit-no; }
    CompatGrid > .compat-grid--current { text-style: bold; }
    CompatGrid > .compat-grid--muted { color: $text-muted; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""
    sort_key: reactive[str] = reactive("fit", init=False, repaint=False)
    """Key of the column the rows are sorted by."""
    sort_reverse: reactive[bool] = reactive(False, init=False, repaint=False)
    """Whether the sort is the opposite of the column's natural order."""
    kind: reactive[str | None] = reactive(None, init=False, repaint=False)
    """Hardware kind shown (None: all)."""
    fits_only: reactive[bool] = reactive(False, init=False, repaint=False)
    """Whether only rows that fit the workload are shown."""
    cursor_row: reactive[int] = reactive(0, init=False, repaint=False)
    """Index of the highlighted row."""

    @dataclass
    class ViewChanged(Message):
        """The rows, their order or the filter changed; `description` says what is shown."""

        description: str

    @dataclass
    class BasisRequested(Message):
        """The user asked for the grid priced on another basis (the screen owns the state)."""

        basis: str

    @dataclass
    class OffloadRequested(Message):
        """The user asked for rows that may keep layers in system RAM, or not (the screen owns the state)."""

        offload: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[GridRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._current = ""
        self._widths: dict[str, int] = dict(COLUMN_WIDTHS)
        self._columns: tuple[str, ...] = COLUMN_KEYS[1:]
        """Scrolling columns in display order (the id column is frozen at the left)."""
        self._strips: dict[tuple[object, ...], tuple[Strip, Strip]] = {}
        self._styles: dict[str, Style] = {}
        self._combined: dict[tuple[Style, Style], Style] = {}
        self._shown: tuple[object, ...] = ()
        self._description = ""
        self._pending = False
        self._base: Style | None = None

    # ------------------------------------------------------------------ data

    @property
    def visible_rows(self) -> list[GridRow]:
        """Rows in display order."""
        return list(self._rows)

    @property
    def highlighted(self) -> GridRow | None:
        """The row under the cursor."""
        return self._rows[self.cursor_row] if 0 <= self.cursor_row < len(self._rows) else None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._rebuild(force=True)

    def on_show(self) -> None:
        if self._pending:
            self._rebuild(force=True)
        self.call_after_refresh(self._scroll_to_cursor)

    def _theme_changed(self, _theme: object) -> None:
        self._styles.clear()
        self._combined.clear()
        self._strips.clear()
        self.refresh()

    def watch_state(self) -> None:
        self._rebuild()

    def watch_sort_key(self) -> None:
        self._rebuild()

    def watch_sort_reverse(self) -> None:
        self._rebuild()

    def watch_kind(self) -> None:
        self._rebuild()

    def watch_fits_only(self) -> None:
        self._rebuild()

    def _hidden(self) -> bool:
        node = self
        while node is not None and node is not self.screen:
            if not node.display:
                return True
            node = node.parent  # type: ignore[assignment]
        return False

    def _rebuild(self, force: bool = False) -> None:
        """Bring the rows in line with the state, sort and filter (deferred while the grid is hidden)."""
        state = self.state
        if state is None:
            return
        if self._hidden() and not force:
            self._pending = True
            return
        self._pending = False
        current = state.scenario.hardware
        basis = state.grid_basis
        shown = (state.grid, current, self.sort_key, self.sort_reverse, self.kind, self.fits_only, basis)
        if not force and len(shown) == len(self._shown) and all(a is b or a == b for a, b in zip(shown, self._shown)):
            return
        previous = self.highlighted
        self._shown = shown
        self._rows = sort_grid(state.grid, self.sort_key, self.sort_reverse, self.kind, fits_only=self.fits_only,
                               basis=basis)
        self._cells = [row_cells(r, r.hardware == current, basis) for r in self._rows]
        id_width = max((len(r.hardware) for r in state.grid), default=COLUMN_WIDTHS["hardware"] - 2) + 2
        if id_width != self._widths["hardware"]:
            self._widths["hardware"] = id_width
            self._strips.clear()
        self._lay_out_columns()
        self._current = current
        ids = [r.hardware for r in self._rows]
        keep = previous.hardware if previous is not None else current
        if keep in ids:
            self.set_reactive(CompatGrid.cursor_row, ids.index(keep))
        else:
            self.set_reactive(CompatGrid.cursor_row, 0 if not ids else min(self.cursor_row, len(ids) - 1))
        self._update_virtual_size()
        self.refresh()
        self.call_after_refresh(self._scroll_to_cursor)
        self._announce()

    @property
    def frozen_width(self) -> int:
        """Cells of the id column that stays put when scrolling right (with its margin and gap)."""
        return 1 + self._widths["hardware"] + GAP

    def _update_virtual_size(self) -> None:
        scrolling = sum(self._widths[k] for k in self._columns) + GAP * (len(self._columns) - 1)
        self.virtual_size = Size(self.frozen_width + scrolling, len(self._rows) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out_columns()
        self.call_after_refresh(self._scroll_to_cursor)

    def _lay_out_columns(self) -> None:
        """Full names next to the id on terminals of 160 columns or more; otherwise the name comes last."""
        full_names = self.app.size.width >= FULL_NAMES_MIN_WIDTH
        others = [k for k in COLUMN_KEYS[1:] if k != "name"]
        columns = ("name", *others) if full_names else (*others, "name")
        name_width = COLUMN_WIDTHS["name"]
        if full_names:
            longest = max((len(r.name) for r in self._rows), default=COLUMN_WIDTHS["name"])
            name_width = max(COLUMN_WIDTHS["name"], min(NAME_MAX_WIDTH, longest))
        if name_width != self._widths["name"] or columns != self._columns:
            self._widths["name"] = name_width
            self._columns = columns
            self._strips.clear()
            self._update_virtual_size()
            self.refresh()

    def _announce(self) -> None:
        description = self.describe()
        if description != self._description:
            self._description = description
            self.post_message(self.ViewChanged(description))

    def describe(self) -> str:
        """One line: how many rows, how many fit, the sort and the filter."""
        fitting = sum(1 for r in self._rows if r.fits)
        column = next((c for c in GRID_COLUMNS if c.key == self.sort_key), GRID_COLUMNS[1])
        arrow = "↓" if column.descending_first != self.sort_reverse else "↑"
        kind = self.kind or "all kinds"
        shown = "fits only" if self.fits_only else "all"
        basis = self.state.grid_basis if self.state is not None else "cloud"
        priced = "rented" if basis == "cloud" else "owned"
        offload = " · offload ◐ (l)" if self.state is not None and self.state.grid_offload else ""
        return (f"{len(self._rows)} shown, {fitting} fit · {kind} (f) · {shown} (o) · $ {priced} (b){offload} · "
                f"by {column.header} {arrow} (s r 1-0)")

    # ------------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            component = f"compat-grid--{name}"
            # The header and the cursor paint a background; the other classes only colour text.
            full = name in ("header", "cursor")
            style = self.get_component_rich_style(component) if full else text_style(self, component)
            self._styles[name] = style
        return style

    def _line(self, keys: tuple[str, ...], cells: tuple[str, ...], styles: dict[str, Style], base: Style,
              lead: str = "") -> Strip:
        """The given columns of one row as a strip; neighbouring plain cells share one segment."""
        segments: list[Segment] = []
        plain: list[str] = [lead]
        for index, key in enumerate(keys):
            if index:
                plain.append(GAP_TEXT)
            cell = fit_cell(cells[COLUMN_INDEX[key]], self._widths[key], key in RIGHT_ALIGNED)
            style = styles.get(key)
            if style is None:
                plain.append(cell)
                continue
            segments.append(Segment("".join(plain), base))
            plain = []
            combined = self._combined.get((base, style))
            if combined is None:
                combined = self._combined[(base, style)] = base + style
            segments.append(Segment(cell, combined))
        if plain:
            segments.append(Segment("".join(plain), base))
        return Strip(segments)

    def _row_strips(self, cells: tuple[str, ...], styles: dict[str, Style], line_style: Style) -> tuple[Strip, Strip]:
        """(frozen id part, scrolling part) of one line."""
        frozen = self._line(("hardware",), cells, styles, line_style, lead=" ")
        frozen = frozen.extend_cell_length(self.frozen_width, line_style)
        return frozen, self._line(self._columns, cells, styles, line_style)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once per render, not once per line
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def _join(self, parts: tuple[Strip, Strip], fill: Style) -> Strip:
        """The frozen part, then the scrolling part cut to what is scrolled into view."""
        frozen, scrolling = parts
        width = self.size.width
        scroll_x = int(self.scroll_offset.x)
        visible = max(0, width - self.frozen_width)
        if width <= self.frozen_width:
            return frozen.crop_extend(0, width, fill)
        return Strip.join([frozen, scrolling.crop_extend(scroll_x, scroll_x + visible, fill)])

    def render_line(self, y: int) -> Strip:
        scroll_y = int(self.scroll_offset.y)
        width = self.size.width
        base = self._base or self.rich_style
        if y == 0:
            header_style = base + self._style("header")
            key: tuple[object, ...] = ("header", self._widths["name"], self._columns, self._widths["hardware"])
            parts = self._strips.get(key)
            if parts is None:
                header = tuple(COLUMN_HEADERS[k] for k in COLUMN_KEYS)
                header = ("  " + header[0], *header[1:])
                parts = self._strips[key] = self._row_strips(header, {}, header_style)  # type: ignore[assignment]
            return self._join(parts, header_style)  # type: ignore[arg-type]
        index = y - 1 + scroll_y
        if not 0 <= index < len(self._rows):
            return Strip.blank(width, base)
        cells = self._cells[index]
        row = self._rows[index]
        cursor = index == self.cursor_row
        focused = self.has_focus
        key = (cells, row.fit_state, cursor, cursor and focused, self._widths["name"], self._columns)
        line_style = base + self._style("cursor") if cursor else base
        parts = self._strips.get(key)
        if parts is None:
            fit_name = row.fit_state if row.fit_state in ("ok", "tight", "no") else "muted"
            styles: dict[str, Style] = {}
            if not cursor:
                # On the cursor row the cursor's own colours win: a fit colour on the cursor fill can vanish.
                styles = {"fit": self._style(fit_name), "kind": self._style("muted"), "name": self._style("muted")}
            if row.hardware == self._current:
                styles["hardware"] = self._style("current")
            parts = self._row_strips(cells, styles, line_style)  # type: ignore[assignment]
            if len(self._strips) > 4000:
                self._strips.clear()
            self._strips[key] = parts  # type: ignore[assignment]
        return self._join(parts, line_style)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ cursor and actions

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)

    def move_cursor(self, row: int) -> None:
        """Highlight a row (clamped to the rows shown)."""
        if self._rows:
            self.cursor_row = max(0, min(len(self._rows) - 1, row))

    def action_cursor(self, step: int) -> None:
        """Move the highlight up or down."""
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        """Move the highlight a page."""
        self.move_cursor(self.cursor_row + direction * max(1, self.scrollable_content_region.height - 2))

    def action_edge(self, end: int) -> None:
        """Highlight the first or last row."""
        self.move_cursor(len(self._rows) - 1 if end else 0)

    def action_choose(self) -> None:
        """Make the highlighted row the scenario's hardware."""
        row = self.highlighted
        if row is not None:
            self.post_message(HardwareChosen(row))

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1 + int(self.scroll_offset.y)
        if event.y >= 1 and 0 <= index < len(self._rows):
            if index == self.cursor_row and event.chain > 1:
                self.action_choose()
            self.move_cursor(index)

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        keys = [c.key for c in GRID_COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)] if self.sort_key in keys else keys[0]
        self.sort_reverse = False

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse

    def action_sort_by(self, index: int) -> None:
        """Sort by column `index`; again on the same column reverses."""
        key = GRID_COLUMNS[index].key
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key = key
            self.sort_reverse = False

    def action_toggle_fits_only(self) -> None:
        """Show only the rows that fit, or all rows again."""
        self.fits_only = not self.fits_only

    def action_toggle_basis(self) -> None:
        """Ask for every row priced on the other basis (rented or owned)."""
        current = self.state.grid_basis if self.state is not None else "cloud"
        self.post_message(self.BasisRequested("owned" if current == "cloud" else "cloud"))

    def action_toggle_offload(self) -> None:
        """Ask for rows that fit with layers in system RAM (or back to GPU-only rows)."""
        current = self.state.grid_offload if self.state is not None else False
        self.post_message(self.OffloadRequested(not current))

    def action_cycle_kind(self, step: int) -> None:
        """Show the next (or previous) hardware kind; after the last comes all."""
        kinds: list[str | None] = [None, *HARDWARE_KINDS]
        position = kinds.index(self.kind) if self.kind in kinds else 0
        self.kind = kinds[(position + step) % len(kinds)]


class GridPane(Vertical):
    """The grid with a line saying what it shows."""

    DEFAULT_CSS = """
    GridPane { height: 1fr; }
    GridPane > #grid-caption { height: 1; color: $text-muted; padding: 0 1; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""

    def compose(self) -> ComposeResult:
        yield TextBlock("", id="grid-caption", wrap=False)
        yield CompatGrid(id="grid").data_bind(GridPane.state)

    @on(CompatGrid.ViewChanged)
    def _view_changed(self, event: CompatGrid.ViewChanged) -> None:
        event.stop()
        self.query_one("#grid-caption", TextBlock).show(event.description)
