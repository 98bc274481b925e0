"""KeyBar: the active key bindings in one line of text (a light stand-in for Textual's Footer)."""

from __future__ import annotations

from rich.text import Text

from llmcalc_tui.widgets.text_block import TextBlock, text_style


class KeyBar(TextBlock):
    """One line: ctrl+p for the palette (every action), then the keys that work right now, focused widget first.

    Textual's Footer builds a widget per key and rebuilds them on every focus change; drawing the
    same information as text keeps moving between fields and pages instant.
    """

    WRAP = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; }
    KeyBar > .key-bar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .key-bar--description { color: $footer-description-foreground; }
    KeyBar > .key-bar--disabled { text-style: dim; }
    """

    def __init__(self, *, show_palette: bool = True, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.show_palette = show_palette
        """Whether to end with the command palette's key."""
        self._scheduled = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._rebuild())
        self.call_after_refresh(self._rebuild)

    def _bindings_changed(self, _screen: object) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.call_after_refresh(self._rebuild)

    def _rebuild(self) -> None:
        self._scheduled = False
        if not self.is_attached:
            return
        key_style = text_style(self, "key-bar--key")
        description_style = text_style(self, "key-bar--description")
        disabled_style = text_style(self, "key-bar--disabled")
        text = Text()
        seen_actions: set[str] = set()
        bindings = self.screen.active_bindings
        palette = bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_palette and palette is not None:
            text.append(self.app.get_key_display(palette.binding), key_style)
            text.append(" palette", description_style)
        for key, active in bindings.items():
            binding = active.binding
            if key == self.app.COMMAND_PALETTE_BINDING:
                continue
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            if text:
                text.append("  ")
            style_suffix = disabled_style if not active.enabled else None
            text.append(self.app.get_key_display(binding), key_style + style_suffix if style_suffix else key_style)
            text.append(f" {binding.description}", description_style + style_suffix if style_suffix else description_style)
        self.show(text)
