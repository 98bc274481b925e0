"""Command-palette providers: pick a model, hardware or API model, open a saved scenario."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.scenarios import ScenarioStore, ScenarioStoreError
from llmcalc_tui.state import PickOption, api_model_options, hardware_options, model_options


def highlight_literal(matcher: Matcher, text: str) -> Content:
    """`text` with the query's matches highlighted, read as plain text (Matcher.highlight reads markup).

    Scenario names, catalog names and paths come from users and files: `[/]` must show as itself.
    """
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class CalculatorScreen(Protocol):
    """What the providers need from the screen the palette was opened on."""

    catalog: Catalog
    store: ScenarioStore

    def set_field(self, field: str, value: str) -> None: ...

    def open_named(self, name: str) -> bool: ...


def _calculator(screen: object) -> CalculatorScreen | None:
    if all(hasattr(screen, name) for name in ("catalog", "store", "set_field", "open_named")):
        return screen  # type: ignore[return-value]
    return None


class CatalogCommands(Provider):
    """'model: …', 'hardware: …' and 'compare with API: …' entries for every catalog entry."""

    def _entries(self) -> list[tuple[str, PickOption, Callable[[], None]]]:
        screen = _calculator(self.screen)
        if screen is None:
            return []
        catalog = screen.catalog
        entries = []
        for prefix, field, options in (
            ("model", "model", model_options(catalog)),
            ("hardware", "hardware", hardware_options(catalog)),
            ("compare with API", "api_model", api_model_options(catalog)),
        ):
            for option in options:
                entries.append((f"{prefix}: {option.id}", option, partial(screen.set_field, field, option.id)))
        return entries

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, option, callback in self._entries():
            score = matcher.match(f"{title} {option.label}")
            if score > 0:
                yield Hit(score, highlight_literal(matcher, title), callback, text=title,
                          help=Content(f"{option.label} · {option.detail}"))  # type: ignore[arg-type]


class ScenarioCommands(Provider):
    """'open scenario: …' for every saved scenario that can be read."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = _calculator(self.screen)
        if screen is None:
            return []
        try:
            entries = screen.store.list()
        except ScenarioStoreError:
            return []
        return [
            (f"open scenario: {e.label}", str(e.path), partial(screen.open_named, e.slug))
            for e in entries
            if not e.broken
        ]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, path, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, highlight_literal(matcher, title), callback, text=title,
                          help=Content(path))  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for title, path, callback in self._entries():
            yield DiscoveryHit(Content(title), callback, text=title, help=Content(path))  # type: ignore[arg-type]
