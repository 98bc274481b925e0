"""TextBlock: rich Text drawn line by line, repainting only the lines that changed."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


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
            self._width = -1
            self.refresh(layout=width <= 0 and not is_hidden(self))
            return
        old = self._strips if self._width == width else None
        self._width = -1
        strips = self._lay_out(width)
        if old is None or len(old) != len(strips):
            self.refresh(layout=True)
            return
        for y, (before, after) in enumerate(zip(old, strips)):
            if before != after:
                self.refresh(Region(0, y, self.size.width, 1))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lay_out(width))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((line.cell_len for line in self._text.split("\n")), default=0)

    def on_resize(self) -> None:
        self._width = -1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        strips = self._lay_out(width)
        base = self.rich_style
        if y >= len(strips):
            return Strip([Segment(" " * width, base)], width)
        return strips[y].apply_style(base).extend_cell_length(width, base).crop(0, width)
