"""Terminal-safe text: nothing that acts on a terminal survives `visible`, widths count columns."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from llmcalc_tui.text_safety import cell_width, forbidden_name_char, pad, visible


@given(st.text())
def test_visible_leaves_no_control_bidi_or_invisible_character(text: str) -> None:
    shown = visible(text)
    for index, ch in enumerate(shown):
        category = unicodedata.category(ch)
        if ch == "\u200d":  # kept only between two emoji, where it draws as one picture
            assert unicodedata.category(shown[index + 1]) == "So"
            continue
        assert category not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}, (text, shown)
    assert visible(shown) == shown


def test_visible_examples() -> None:
    assert visible("plan\x1b[2J") == "plan\\x1b[2J"
    assert visible("a\u202eb\u200bc") == "a\\u202eb\\u200bc"
    assert visible("notes\nline\ttab", keep_newlines=True) == "notes\nline\ttab"
    assert visible("notes\n") == "notes\\x0a"
    assert visible("中文 Café 👨\u200d👩\u200d👧") == "中文 Café 👨\u200d👩\u200d👧"


def test_names_refuse_controls_bidi_and_zero_width_but_keep_emoji_sequences() -> None:
    for bad in ("a\x1bb", "x\u202ey", "zero\u200bwidth", "lonely\u200d", "soft\u00adhyphen", "a\u2028b"):
        assert forbidden_name_char(bad) is not None, bad
    for good in ("中文の計画", "Prod / v2", "family 👨\u200d👩\u200d👧", "Café"):
        assert forbidden_name_char(good) is None, good


def test_cell_width_counts_columns() -> None:
    assert cell_width("abc") == 3
    assert cell_width("中文") == 4
    assert cell_width("e\u0301") == 1
    assert pad("中", 4) == "中  " and cell_width(pad("中", 4)) == 4
