"""TextBlock: rich Text drawn line by line, repainting only the lines that changed."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


def text_style(widget: Widget, component: str) -> Style:
    """A component class's text style (colour blended over the widget's background, bold, ...) without a background.

    Textual's partial component styles keep colours such as $text-muted translucent, which a
    terminal cannot show; the full style has them blended, and dropping its background lets the
    text sit on whatever is behind it (a cursor row, a focused panel).
    """
    full = widget.get_component_rich_style(component)
    return Style(
        color=full.color, bold=full.bold, dim=full.dim, italic=full.italic, underline=full.underline,
        reverse=full.reverse, strike=full.strike,
    )


def is_hidden(widget: Widget) -> bool:
    """Whether the widget or one of its ancestors has display: none (so it is not drawn)."""
    node: Widget | None = widget
    screen = widget.screen
    while node is not None and node is not screen:
        if not node.display:
            return True
        node = node.parent  # type: ignore[assignment]
    return False


class TextBlock(Widget):
    """Text that updates in place: unchanged lines are not redrawn and the height is recomputed
    only when the number of lines changes.

    The results change on every keystroke; drawing them through Rich's line renderer and
    refreshing just the changed lines keeps a repaint to a few milliseconds, and skipping the
    layout pass when the height holds keeps the rest of the screen untouched.
    """

    DEFAULT_CSS = """
    TextBlock { height: auto; width: 1fr; }
    """
    WRAP = True
    """Default for `wrap`."""

    def __init__(self, text: str | Text = "", *, wrap: bool | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.wrap = self.WRAP if wrap is None else wrap
        """Whether long lines wrap; otherwise they end in an ellipsis."""
        self._text: Text = Text(text) if isinstance(text, str) else text
        self._strips: list[Strip] = []
        self._width = -1
        self._base = None
        self._auto_height: bool | None = None
        self._fitted = -1

    @property
    def text(self) -> Text:
        """The text shown."""
        return self._text

    def _lay_out(self, width: int) -> list[Strip]:
        """Lines of the text at a width (cached until the text or width changes)."""
        if width == self._width:
            return self._strips
        width = max(1, width)
        console = self.app.console
        options = console.options.update(width=width, no_wrap=not self.wrap, overflow="fold" if self.wrap else "ellipsis",
                                         height=None)
        text = self._text
        if not self.wrap:
            text = text.copy()
            text.no_wrap = True
            text.overflow = "ellipsis"
        lines = console.render_lines(text, options, pad=False, new_lines=False)
        if lines and self._text.plain.endswith("\n"):
            lines = lines[:-1] if not lines[-1] else lines
        self._strips = [Strip(line) for line in lines] or [Strip([])]
        self._width = width
        return self._strips

    def show(self, text: Text | str) -> None:
        """Show new text: no-op when unchanged; otherwise repaint the changed lines (layout only if the height changed)."""
        new = Text(text) if isinstance(text, str) else text
        if new == self._text and new.style == self._text.style:
            return
        self._text = new
        width = self.content_size.width
        if width <= 0 or is_hidden(self):
            self._width = -1  # laid out again when shown (on_show / on_resize)
            return
        old = self._strips if self._width == width else None
        self._width = -1
        strips = self._lay_out(width)
        if old is None or len(old) != len(strips):
            self._fit_height(len(strips))
            self.refresh()
            return
        for y, (before, after) in enumerate(zip(old, strips)):
            if before != after:
                self.refresh(Region(0, y, self.size.width, 1))

    def _fit_height(self, lines: int) -> None:
        """Make an auto-height block exactly `lines` tall.

        The height is set as a style rather than left to get_content_height: Textual caches box
        models by layout generation, and a request made while one is pending can reuse a stale size.
        """
        if self._auto_height is None:
            height = self.styles.height
            self._auto_height = height is None or height.is_auto
        if self._auto_height and lines != self._fitted:
            self._fitted = lines
            self.styles.height = lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lay_out(width))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((line.cell_len for line in self._text.split("\n")), default=0)

    def on_resize(self) -> None:
        self._width = -1
        width = self.content_size.width
        if width > 0:
            self._fit_height(len(self._lay_out(width)))
        self.refresh()

    def on_show(self) -> None:
        self.on_resize()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once per render, not once per line
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        strips = self._lay_out(width)
        base = self._base or self.rich_style
        if y >= len(strips):
            return Strip([Segment(" " * width, base)], width)
        return strips[y].apply_style(base).extend_cell_length(width, base).crop(0, width)
