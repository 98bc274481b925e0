"""ExportScreen: scenarios and results as Markdown, CSV or JSON, saved to a file or copied."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet, Static

from llmcalc_tui import paths
from llmcalc_tui.export import FORMATS, ExportItem, export_scenarios
from llmcalc_tui.scenarios import slugify

FORMAT_LABELS = {"md": "Markdown", "csv": "CSV", "json": "JSON"}
MIME_TYPES = {"md": "text/markdown", "csv": "text/csv", "json": "application/json"}


def export_directory() -> Path:
    """Where exported files are written."""
    return paths.data_dir() / "exports"


class ExportScreen(ModalScreen[None]):
    """Choose a format, then save the export to a file (s) or copy it to the clipboard (c)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="export-close", tooltip="Close the export"),
        Binding("s", "save", "Save file", id="export-save", tooltip="Write the export to a file in the data folder"),
        Binding("c", "copy", "Copy", id="export-copy", tooltip="Copy the export to the clipboard (OSC 52)"),
        Binding("f", "next_format", "Format", id="export-format", tooltip="Next format: Markdown, CSV, JSON"),
    ]
    HELP = "f or the arrows pick the format; s writes a file to the data folder; c copies (OSC 52 works over SSH)."
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 95%; max-width: 120; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    ExportScreen #export-title { text-style: bold; }
    ExportScreen RadioSet { layout: horizontal; height: auto; border: none; padding: 0; }
    ExportScreen #export-preview-scroll { height: 1fr; border: round $panel; }
    ExportScreen Horizontal { height: auto; align-horizontal: right; }
    ExportScreen Button { margin-left: 1; }
    ExportScreen #export-where { color: $text-muted; }
    """

    def __init__(self, items: list[ExportItem], stem: str, fmt: str = "md") -> None:
        super().__init__()
        self.items = items
        """Scenarios to export, with their estimates."""
        self.stem = slugify(stem)
        """File name stem."""
        self.fmt = fmt if fmt in FORMATS else "md"
        """Chosen format."""
        self.last_path: Path | None = None
        """File of the last save."""

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.items)
            yield Label(f"Export {count} scenario{'s' if count != 1 else ''}", id="export-title")
            with RadioSet(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(FORMAT_LABELS[fmt], value=fmt == self.fmt, id=f"format-{fmt}")
            with VerticalScroll(id="export-preview-scroll"):
                yield Static("", id="export-preview", markup=False)
            yield Label(f"Files go to {export_directory()}", id="export-where", markup=False)
            with Horizontal():
                yield Button("Close (esc)", id="export-close-button")
                yield Button("Copy (c)", id="export-copy-button")
                yield Button("Save file (s)", variant="primary", id="export-save-button")

    def on_mount(self) -> None:
        self._preview()
        self.query_one(RadioSet).focus()

    def text(self) -> str:
        """The export in the chosen format."""
        return export_scenarios(self.items, self.fmt)  # type: ignore[arg-type]

    def _preview(self) -> None:
        self.query_one("#export-preview", Static).update(self.text())

    @on(RadioSet.Changed)
    def _format_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        button_id = event.pressed.id or ""
        self.fmt = button_id.removeprefix("format-")
        self._preview()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export-save-button":
            self.action_save()
        elif event.button.id == "export-copy-button":
            self.action_copy()
        else:
            self.dismiss(None)

    def action_next_format(self) -> None:
        """Choose the next format."""
        fmt = FORMATS[(FORMATS.index(self.fmt) + 1) % len(FORMATS)]  # type: ignore[arg-type]
        self.query_one(f"#format-{fmt}", RadioButton).value = True

    def action_save(self) -> None:
        """Write the export to a new file in the exports folder (delivered by the app)."""
        directory = export_directory()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notify(f"Cannot create {directory}: {exc.strerror or exc}", severity="error")
            return
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"{self.stem}-{stamp}.{self.fmt}"
        n = 2
        while (directory / name).exists():
            name = f"{self.stem}-{stamp}-{n}.{self.fmt}"
            n += 1
        self.last_path = directory / name
        self.app.deliver_text(
            io.StringIO(self.text()), save_directory=directory, save_filename=name,
            mime_type=MIME_TYPES[self.fmt], name="llmcalc-export",
        )

    def action_copy(self) -> None:
        """Copy the export to the clipboard."""
        text = self.text()
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {FORMAT_LABELS[self.fmt]} ({len(text):,} characters) to the clipboard")

    def action_close(self) -> None:
        """Close the export."""
        self.dismiss(None)
