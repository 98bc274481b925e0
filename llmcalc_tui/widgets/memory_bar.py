"""MemoryBar: per-GPU memory as a stacked bar against the device's capacity."""

from __future__ import annotations

from itertools import groupby

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive

from llmcalc_tui.core.estimate import GIB, Estimate
from llmcalc_tui.widgets.text_block import TextBlock, text_style

SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("weights", "weights", "█"),
    ("kv", "KV cache", "▓"),
    ("activations", "activations", "▒"),
    ("overhead", "overhead", "░"),
)
"""(component, legend label, fill character); distinct fills keep the bar readable without colour."""
FREE_CHAR = "·"
BUDGET_CHAR = "┃"
"""Marks the engine's memory budget on the bar."""
FIT_TEXT = {"ok": "✓ fits", "tight": "! tight", "no": "✗ does not fit", "n/a": "n/a"}
"""Fit state -> words and a mark that survive NO_COLOR."""


class MemoryBar(TextBlock):
    """Stacked bar of weights, KV cache, activations and overhead per GPU, with a legend in GiB."""

    COMPONENT_CLASSES = {
        "memory-bar--weights",
        "memory-bar--kv",
        "memory-bar--activations",
        "memory-bar--overhead",
        "memory-bar--free",
        "memory-bar--budget",
        "memory-bar--ok",
        "memory-bar--tight",
        "memory-bar--no",
        "memory-bar--n-a",
        "memory-bar--label",
        "memory-bar--stale",
    }
    DEFAULT_CSS = """
    MemoryBar { height: auto; width: 1fr; }
    MemoryBar > .memory-bar--weights { color: $mem-weights; }
    MemoryBar > .memory-bar--kv { color: $mem-kv; }
    MemoryBar > .memory-bar--activations { color: $mem-activations; }
    MemoryBar > .memory-bar--overhead { color: $mem-overhead; }
    MemoryBar > .memory-bar--free { color: $mem-free; }
    MemoryBar > .memory-bar--budget { color: $foreground; text-style: bold; }
    MemoryBar > .memory-bar--ok { color: $fit-ok; text-style: bold; }
    MemoryBar > .memory-bar--tight { color: $fit-tight; text-style: bold; }
    MemoryBar > .memory-bar--no { color: $fit-no; text-style: bold reverse; }
    MemoryBar > .memory-bar--n-a { color: $text-muted; }
    MemoryBar > .memory-bar--label { color: $text-muted; }
    MemoryBar > .memory-bar--stale { color: $text-muted; text-style: dim; }
    """

    estimate: reactive[Estimate | None] = reactive(None)
    """Estimate whose memory is drawn."""
    stale: reactive[bool] = reactive(False)
    """Whether the estimate is the last valid one rather than the form's (drawn greyed)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bar_width = 0

    def watch_estimate(self) -> None:
        self.show(self.compose_text())

    def watch_stale(self) -> None:
        self.show(self.compose_text())

    def on_resize(self) -> None:
        if self.content_size.width != self._bar_width:
            self.show(self.compose_text())
        super().on_resize()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.show(self.compose_text()))

    def _style(self, name: str) -> Style:
        return text_style(self, f"memory-bar--{name}")

    def compose_text(self) -> Text:
        """The header, the bar, the legend and the totals at the current width."""
        est = self.estimate
        width = max(10, self.content_size.width or 40)
        self._bar_width = self.content_size.width
        if est is None:
            return Text("no estimate yet", style=self._style("label"))
        mem = est.memory
        if mem is None:
            return Text.assemble(
                ("Memory  ", "bold"),
                ("hosted API: nothing to place on your hardware", self._style("n-a")),
            )
        shards = max(1, est.tp * est.pp)
        parts = {
            "weights": mem.weights / shards,
            "kv": mem.kv_cache / shards,
            "activations": mem.activations / shards,
            "overhead": mem.overhead / shards,
        }
        capacity = mem.capacity_per_gpu
        used = mem.per_gpu
        state_name = est.fit_state if est.fit_state in ("ok", "tight", "no") else "n-a"
        header = Text.assemble(
            ("Memory per GPU ", "bold"),
            (f"{used / GIB:,.1f} of {capacity / GIB:,.1f} GiB ", ""),
            (f"({used / capacity:.0%}) " if capacity > 0 else "", self._style("label")),
            (FIT_TEXT.get(est.fit_state, est.fit_state), self._style(state_name)),
        )
        scale = max(capacity, used, mem.budget_per_gpu, 1.0)
        cells: list[tuple[str, str]] = []
        cumulative = 0.0
        for key, _label, char in SEGMENTS:
            cumulative += parts[key]
            n = min(width, round(cumulative / scale * width)) - len(cells)
            if parts[key] > 0 and n <= 0 and len(cells) < width:
                n = 1
            cells.extend([(char, key)] * max(0, n))
        cells.extend([(FREE_CHAR, "free")] * (width - len(cells)))
        # The engine's budget is drawn over whatever lies under it: over the fill when the setup
        # overruns it, so the line that decides the fit is always visible.
        budget_cell = min(width - 1, int(mem.budget_per_gpu / scale * width))
        cells[budget_cell] = (BUDGET_CHAR, "budget")
        bar = Text()
        for (char, key), run in groupby(cells):
            bar.append(char * len(list(run)), self._style(key))
        items: list[Text] = []
        for key, label, char in SEGMENTS:
            items.append(Text.assemble((f"{char} ", self._style(key)), f"{label} {parts[key] / GIB:,.1f}"))
            if key == "kv" and mem.recurrent_state:
                # Linear-attention / SSM layers: a fixed state per sequence inside the KV cache.
                items[-1].append(f" (state {mem.recurrent_state / shards / GIB:,.1f})")
        free = max(0.0, capacity - used)
        items.append(Text.assemble((f"{FREE_CHAR} ", self._style("free")), f"free {free / GIB:,.1f}"))
        items.append(Text.assemble((f"{BUDGET_CHAR} ", self._style("budget")),
                                   (f"engine budget {mem.budget_per_gpu / GIB:,.1f} GiB", self._style("label"))))
        label = self._style("label")
        totals = [
            Text(f"total {mem.total / GIB:,.1f} GiB on {shards} GPU{'s' if shards > 1 else ''}", label),
            Text(f"max batch {est.max_batch:,}", label),
            Text(f"max context {est.max_context:,}", label),
        ]
        text = Text("\n").join([header, bar, pack(items, width), pack(totals, width, " · ", label)])
        if self.stale:
            return Text(text.plain, style=self._style("stale"))
        return text


def pack(items: list[Text], width: int, separator: str = "  ", style: Style | str = "") -> Text:
    """Items joined on lines no wider than `width`, never splitting an item."""
    lines: list[Text] = [Text()]
    for item in items:
        line = lines[-1]
        if line.cell_len and line.cell_len + len(separator) + item.cell_len > width:
            lines.append(Text())
            line = lines[-1]
        if line.cell_len:
            line.append(separator, style)
        line.append_text(item)
    return Text("\n").join(lines)
