"""Keystroke-to-repaint latency of the app: median and p95 at 80x24 and 200x60 (not a timed test).

Run: .venv/bin/python benchmarks/bench_tui.py [--keys N]

Each sample sends one key to a form field, as the terminal driver would, and measures the time
from sending it to the end of the last screen update it caused: the key is handled, the
estimate, grid and API comparison are recomputed, the widgets re-render and the compositor's
update is turned into terminal output (the bytes a real terminal would receive). Frames are
drawn on Textual's refresh timer (120 per second as the app sets it), so up to ~8 ms of each sample
is waiting for the next frame slot. The app runs headless (App.run_test) with nothing else going on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


SETTLE_SECONDS = 0.15
"""Time left after each key for the app to finish; far longer than any repaint."""


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(size: tuple[int, int], keys: int, field: str, page: str | None, start_text: str,
                  sequence: list[str]) -> list[float]:
    from llmcalc_tui.app import make_app  # first: it sets the app's frame cap before Textual loads

    from textual import events
    from textual.widgets import Input

    app = make_app(theme="llmcalc-dark", remember_ui_state=False)
    samples: list[float] = []
    frames: list[float] = []
    original_display = app._display

    def display(screen, renderable) -> None:
        original_display(screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)  # what a terminal driver would write
        frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        if page:
            await pilot.press(page)
            await pilot.pause()
        widget = screen.query_one(f"#field-{field}", Input)
        widget.focus()
        await pilot.pause()
        widget.value = start_text
        widget.cursor_position = len(widget.value)
        await pilot.pause()
        for n in range(keys):
            key = sequence[n % len(sequence)]
            frames.clear()
            start = time.perf_counter()
            # Sent the way the terminal driver sends it; then the app runs undisturbed (the pilot's
            # own waiting forces extra frames) until every frame this key caused has been drawn.
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            await asyncio.sleep(SETTLE_SECONDS)
            if frames:
                samples.append((frames[-1] - start) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=60, help="key presses per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LLMCALC_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["LLMCALC_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ.pop("NO_COLOR", None)
        # Each case alternates keys so that every press changes the scenario (and, except for
        # the invalid-input case, keeps it valid): estimate, grid and comparison all recompute.
        cases = [
            ((80, 24), "input_tokens", None, "2000", ["backspace", "0"], "80x24  Setup page: typing input tokens"),
            ((80, 24), "input_tokens", "f4", "2000", ["backspace", "0"], "80x24  Grid page: typing input tokens"),
            ((80, 24), "batch", "f3", "8", ["up", "down"], "80x24  Results page: batch up/down"),
            ((200, 60), "input_tokens", None, "2000", ["backspace", "0"], "200x60 everything: typing input tokens"),
            ((200, 60), "batch", None, "8", ["up", "down"], "200x60 everything: batch up/down"),
            ((200, 60), "output_tokens", None, "300", ["x", "backspace"], "200x60 everything: invalid key, then fix"),
        ]
        import llmcalc_tui.app  # noqa: F401  (sets TEXTUAL_FPS before Textual is imported)
        from textual import constants

        print(f"keystroke -> repaint, {args.keys} keys per case (ms); Textual frame cap {constants.MAX_FPS}/s")
        print(f"{'case':<46} {'median':>8} {'p95':>8} {'max':>8}")
        worst = 0.0
        for size, field, page, start_text, sequence, label in cases:
            samples = asyncio.run(measure(size, args.keys, field, page, start_text, sequence))
            samples = samples[2:]  # the first presses warm caches
            p95 = percentile(samples, 95)
            worst = max(worst, p95)
            print(f"{label:<46} {statistics.median(samples):8.1f} {p95:8.1f} {max(samples):8.1f}")
        print(f"budget 50 ms: {'OK' if worst < 50 else 'OVER'} (worst p95 {worst:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
