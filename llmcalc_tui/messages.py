"""App-level messages: edits travel up to the screen that owns the state as raw text."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.compat import GridRow


@dataclass
class FieldEdited(Message):
    """A form field's text changed; `raw` is the text as typed, not a parsed value."""

    field: str
    raw: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FieldEdited) and message.field == self.field


@dataclass
class HardwareChosen(Message):
    """A hardware grid row was chosen: make it the scenario's hardware."""

    row: GridRow


@dataclass
class PickRequested(Message):
    """A picker field asked for its filterable list (model, hardware or API model)."""

    field: str
    text: str
    from_enter: bool = False
    """Enter on a field marked invalid (the mark may predate the last keys of a burst), not down."""


@dataclass
class CatalogLoaded(Message):
    """The catalog (built-in plus user) finished loading, with the problems of skipped files."""

    catalog: Catalog
    problems: list[str]


@dataclass
class CatalogFailed(Message):
    """The catalog could not be loaded at all."""

    error: str
