"""Text that came from users or files, made safe for a terminal: nothing in it acts, widths are measured.

PURE: no textual or rich, so the CLI tables and the core reports can use it.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Control, format (bidi overrides, zero-width), surrogate, private and unassigned characters, line breaks."""
_REJECTED_IN_NAMES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
"""What a name may not hold: characters that move the cursor, reorder text or are invisible."""


_ZWJ = "\u200d"
_VARIATION_SELECTOR_16 = "\ufe0f"


def _joins_emoji(text: str, index: int) -> bool:
    """Whether the zero-width joiner at `index` glues two emoji into one (👨‍👩‍👧), where it is visible."""
    if index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    return (before == _VARIATION_SELECTOR_16 or unicodedata.category(before) in ("So", "Sk")) and (
        unicodedata.category(after) == "So"
    )


def _hidden(text: str, index: int, categories: set[str]) -> bool:
    ch = text[index]
    if unicodedata.category(ch) not in categories:
        return False
    return not (ch == _ZWJ and _joins_emoji(text, index))


def forbidden_name_char(text: str) -> str | None:
    """The first character a display name may not contain (controls, bidi and zero-width), or None.

    A zero-width joiner inside an emoji sequence is allowed: it draws as one visible emoji.
    """
    for index, ch in enumerate(text):
        if _hidden(text, index, _REJECTED_IN_NAMES):
            return ch
    return None


def describe_char(ch: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`: a character named so a person can find it."""
    name = unicodedata.name(ch, "") or ("a control character" if unicodedata.category(ch) == "Cc" else "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control, format and line-break character shown as a `\\x1b`-style escape.

    An escape sequence, a bidi override or a zero-width character in a name can then neither act on
    the terminal nor hide; everything printable (accents, CJK, emoji) is kept as it is. With
    `keep_newlines`, line feeds and tabs stay (free text such as notes).
    """
    if text.isprintable() and text.isascii():
        return text
    out = []
    for index, ch in enumerate(text):
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif _hidden(text, index, _INVISIBLE_CATEGORIES):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def cell_width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK and most emoji take two, combining marks none."""
    if text.isascii() and text.isprintable():
        return len(text)
    from wcwidth import wcswidth, wcwidth  # 15 ms to import: only tables with non-ASCII text pay it

    width = wcswidth(text)
    if width >= 0:
        return width
    return sum(max(wcwidth(ch), 0) for ch in text)  # non-printables count as nothing (made visible before)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` columns."""
    return text + " " * max(0, width - cell_width(text))
