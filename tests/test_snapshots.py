"""SVG snapshots of the main screen (narrow and wide, dark and light), its pages and modals.

Deterministic: built-in catalog, a fixed theme per test, fixed sizes, empty data/config dirs
(conftest), cursor blink off, no notifications. `pytest --snapshot-update` rewrites baselines;
review every changed SVG in tests/__snapshots__/ before committing it.
"""

from __future__ import annotations

from textual.widgets import Input

from llmcalc_tui.app import make_app

NARROW = (80, 24)
WIDE = (120, 40)


def app_with(theme: str = "llmcalc-dark"):
    return make_app(theme=theme, remember_ui_state=False)


async def seventy_b(pilot) -> None:
    """The issue's scenario: llama-3.1-70b, fp8, 2 x h100-sxm, 4096 in, 512 out, batch 16."""
    await pilot.pause()
    screen = pilot.app.screen
    for field, value in (
        ("model", "llama-3.1-70b"), ("input_tokens", "4096"), ("output_tokens", "512"), ("batch", "16"),
        ("gpus", "2"),
    ):
        screen.query_one(f"#field-{field}", Input).value = value
        await pilot.pause()
    screen.set_field("weights", "fp8")
    screen.query_one("#field-model", Input).focus()
    await pilot.pause()


def test_main_narrow_dark(snap_compare):
    assert snap_compare(app_with(), terminal_size=NARROW)


def test_main_wide_dark(snap_compare):
    assert snap_compare(app_with(), terminal_size=WIDE)


def test_main_narrow_light(snap_compare):
    assert snap_compare(app_with("llmcalc-light"), terminal_size=NARROW)


def test_main_wide_light(snap_compare):
    assert snap_compare(app_with("llmcalc-light"), terminal_size=WIDE, run_before=seventy_b)


def test_results_page_70b(snap_compare):
    async def run_before(pilot) -> None:
        await seventy_b(pilot)
        await pilot.press("f3")

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_grid_page_shows_all_fit_states(snap_compare):
    async def run_before(pilot) -> None:
        await seventy_b(pilot)
        await pilot.press("f4", "f", "f")  # workstation: ok, tight and does not fit

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_vs_api_page(snap_compare):
    async def run_before(pilot) -> None:
        await seventy_b(pilot)
        await pilot.press("f6")

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_invalid_field(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.pause()
        field = pilot.app.screen.query_one("#field-batch", Input)
        field.focus()
        await pilot.pause()
        field.value = "lots"
        await pilot.pause()

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_help_screen(snap_compare):
    assert snap_compare(app_with(), terminal_size=NARROW, press=["f1"])


def test_save_modal(snap_compare):
    assert snap_compare(app_with(), terminal_size=NARROW, press=["ctrl+s"])


def test_wide_160x50_high_contrast(snap_compare):
    assert snap_compare(app_with("llmcalc-high-contrast"), terminal_size=(160, 50), run_before=seventy_b)


def test_results_page_setup_that_does_not_fit(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#field-model", Input).value = "llama-3.1-405b"
        await pilot.pause()
        await pilot.press("f3")

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_terminal_too_small(snap_compare):
    assert snap_compare(app_with(), terminal_size=(58, 18))


async def settle(pilot, ready) -> None:
    """Wait until the pushed screen's worker has delivered (the worker may start after the key press returns)."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if ready(pilot.app.screen):
            return
    raise AssertionError("the screen's worker never delivered")


def test_plots_screen_roofline_narrow(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+g")
        await settle(pilot, lambda screen: getattr(screen, "charts", None) is not None)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)


def test_plots_screen_memory_wide(snap_compare):
    async def run_before(pilot) -> None:
        await seventy_b(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot, lambda screen: getattr(screen, "charts", None) is not None)
        await pilot.press("4")
        await pilot.pause()

    assert snap_compare(app_with(), terminal_size=WIDE, run_before=run_before)


def test_plan_screen_narrow(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+l")
        await settle(pilot, lambda screen: getattr(screen, "result", None) is not None)

    assert snap_compare(app_with(), terminal_size=NARROW, run_before=run_before)
