"""Theme files: the built-ins load, bad files are reported, user themes override by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from textual.color import Color

from llmcalc_tui.resources import themes_dir
from llmcalc_tui.themes import APP_VARIABLES, ThemeFile, load_theme_file, load_themes

REQUIRED = {"llmcalc-dark", "llmcalc-light", "llmcalc-high-contrast"}


def test_builtin_themes_load():
    result = load_themes([themes_dir()])
    names = {t.name for t in result.themes}
    assert result.failed == []
    assert REQUIRED <= names
    assert len(names) >= 4


@pytest.mark.parametrize("path", sorted(themes_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_builtin_theme_sets_every_app_variable(path: Path):
    theme = load_theme_file(path)
    assert theme.name == path.stem
    assert set(APP_VARIABLES) <= set(theme.variables)


def test_light_theme_is_light():
    theme = load_theme_file(themes_dir() / "llmcalc-light.toml")
    assert theme.dark is False


def test_bad_colour_names_file_and_field(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text('primary = "not-a-colour"\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_theme_file(path)
    assert str(path) in str(info.value) and "primary" in str(info.value)


def test_unknown_key_rejected(tmp_path: Path):
    path = tmp_path / "extra.toml"
    path.write_text('primary = "#ffffff"\nsparkle = true\n', encoding="utf-8")
    with pytest.raises(ValueError, match="sparkle"):
        load_theme_file(path)


def test_user_theme_overrides_and_failures_are_collected(tmp_path: Path):
    user = tmp_path / "themes"
    user.mkdir()
    (user / "llmcalc-dark.toml").write_text('name = "llmcalc-dark"\nprimary = "#ff0000"\n', encoding="utf-8")
    (user / "mine.toml").write_text('primary = "#00ff00"\ndark = false\n', encoding="utf-8")
    (user / "bad.toml").write_text("primary = [\n", encoding="utf-8")
    result = load_themes([themes_dir(), user])
    by_name = {t.name: t for t in result.themes}
    assert by_name["llmcalc-dark"].primary == "#ff0000"
    assert by_name["mine"].dark is False
    assert by_name["mine"].variables["fit-ok"] == APP_VARIABLES["fit-ok"]
    assert len(result.failed) == 1 and "bad.toml" in result.failed[0]


def test_theme_file_converts():
    theme = ThemeFile(name="x", primary="#123456", variables={"fit-ok": "#00ff00"}).to_textual_theme()
    assert theme.variables["fit-ok"] == "#00ff00"
    assert theme.variables["fit-no"] == APP_VARIABLES["fit-no"]


# ----------------------------------------------------------------------------- legibility

TEXT_VARIABLES = (
    "foreground", "text", "text-muted", "text-disabled", "text-primary", "text-error", "text-warning",
    "text-success", "primary", "accent", "fit-ok", "fit-tight", "fit-no", "metric-accent", "best-value",
    "mem-weights", "mem-kv", "mem-activations", "mem-overhead", "mem-free", "footer-key-foreground",
    "footer-description-foreground",
)
"""Every colour the app draws text (or bar glyphs) in; text-disabled is the placeholders' colour."""
TEXT_BACKGROUNDS = ("background", "surface", "panel", "footer-background")
"""Every background that text sits on outside the cursor rows."""
CURSOR_PAIRS = (
    ("block-cursor-foreground", "block-cursor-background"),
    ("block-cursor-blurred-foreground", "block-cursor-blurred-background"),
)
"""(text, fill) of the grid's cursor row, focused and not."""


def theme_colours(name: str) -> dict[str, str]:
    """Every variable the app's CSS sees for a built-in theme (Textual's derived ones included)."""
    theme = load_theme_file(themes_dir() / f"{name}.toml")
    colours = dict(theme.to_color_system().generate())
    colours.update(theme.variables)
    return colours


def resolve(value: str, under: Color) -> Color:
    """A variable's colour as painted over `under` ("auto 87%" and translucent colours blended)."""
    value = value.strip()
    if value.startswith("auto"):
        alpha = float(value.split()[1].rstrip("%")) / 100 if " " in value else 1.0
        return under + under.get_contrast_text(alpha)
    colour = Color.parse(value)
    return under + colour if colour.a < 1 else colour


def relative_luminance(colour: Color) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour.rgb
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio(Color(118, 118, 118), Color(255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio(Color(255, 0, 0), Color(255, 0, 0)) == pytest.approx(1.0)


def text_pairs(colours: dict[str, str]) -> list[tuple[str, Color, Color]]:
    """(description, text colour, background colour) of everything the app draws text in."""
    base = Color.parse(colours["background"])
    pairs = []
    for background_name in TEXT_BACKGROUNDS:
        under = resolve(colours[background_name], base)
        for text_name in TEXT_VARIABLES:
            pairs.append((f"{text_name} on {background_name}", resolve(colours[text_name], under), under))
    surface = Color.parse(colours["surface"])
    for text_name, fill_name in CURSOR_PAIRS:
        under = resolve(colours[fill_name], surface)
        pairs.append((f"{text_name} on {fill_name}", resolve(colours[text_name], under), under))
    return pairs


def test_high_contrast_theme_text_placeholders_and_cursor_row_reach_4_5_to_1():
    low = [
        f"{what}: {contrast_ratio(text, under):.2f}"
        for what, text, under in text_pairs(theme_colours("llmcalc-high-contrast"))
        if contrast_ratio(text, under) < 4.5
    ]
    assert low == []


def test_high_contrast_pairs_cover_placeholders_and_the_grid_cursor():
    names = {what for what, _, _ in text_pairs(theme_colours("llmcalc-high-contrast"))}
    assert "text-disabled on surface" in names  # Input placeholders
    assert "block-cursor-foreground on block-cursor-background" in names  # the grid's cursor row


def test_grid_cursor_row_uses_the_block_cursor_colours():
    from llmcalc_tui.widgets.compat_grid import CompatGrid

    css = CompatGrid.DEFAULT_CSS
    assert "$block-cursor-background" in css and "$block-cursor-foreground" in css
    assert "$block-cursor-blurred-background" in css and "$block-cursor-blurred-foreground" in css


def standard_index(colour: Color) -> int:
    """The 16-colour palette entry Rich (and so Textual) sends for a colour under TERM=screen."""
    from rich.color import Color as RichColor, ColorSystem
    from rich.color_triplet import ColorTriplet

    number = RichColor.from_triplet(ColorTriplet(*colour.rgb)).downgrade(ColorSystem.STANDARD).number
    assert number is not None
    return number


def test_term_screen_means_sixteen_colours():
    from rich.console import Console

    console = Console(force_terminal=True, color_system="auto", _environ={"TERM": "screen"})
    assert console.color_system == "standard"


def test_light_theme_text_stays_readable_in_sixteen_colours():
    from rich._palettes import STANDARD_PALETTE

    def painted(index: int) -> Color:
        triplet = STANDARD_PALETTE[index]
        return Color(triplet.red, triplet.green, triplet.blue)

    # Entries many terminals draw too light to read on a light background, whatever Rich assumes.
    too_light = {3, 6, 7, 10, 11, 14, 15}
    collapsed = []
    for what, text, under in text_pairs(theme_colours("llmcalc-light")):
        fg, bg = standard_index(text), standard_index(under)
        ratio = contrast_ratio(painted(fg), painted(bg))
        # The free-space dots of the memory bar are meant to be faint; words must stay legible.
        needed = 2.0 if what.startswith("mem-free") else 4.5
        light_background = bg in (7, 15)
        if fg == bg or ratio < needed or (light_background and fg in too_light and needed > 2.0):
            collapsed.append(f"{what}: palette {fg} on {bg} ({ratio:.2f})")
    assert collapsed == []
