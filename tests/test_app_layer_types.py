"""Pilot: the memory bar shows the fixed recurrent state of hybrid models inside the KV cache."""

from __future__ import annotations

from textual.widgets import Input

from llmcalc_tui.app import make_app
from llmcalc_tui.widgets.memory_bar import MemoryBar


async def _show_model(pilot, model_id: str) -> MemoryBar:
    field = pilot.app.screen.query_one("#field-model", Input)
    field.focus()
    field.value = model_id
    field.cursor_position = len(model_id)
    bar = pilot.app.screen.query_one("#results-memory", MemoryBar)
    for _ in range(50):  # the results panel repaints on its own frame after the estimate
        await pilot.pause(0.02)
        if bar.estimate is not None and bar.estimate.model_id == model_id:
            break
    assert bar.estimate is not None and bar.estimate.model_id == model_id
    return bar


async def test_memory_bar_shows_the_fixed_state_of_a_hybrid_model():
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(200, 60)) as pilot:
        bar = await _show_model(pilot, "qwen3.5-27b")
        assert bar.estimate.memory.recurrent_state > 0
        assert "(state " in bar.compose_text().plain
        bar = await _show_model(pilot, "llama-3.1-8b")
        assert "(state " not in bar.compose_text().plain
