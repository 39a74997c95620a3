"""Text from outside (what a sender sent, a stored reason quoting it) made safe to print on an
operator's terminal: escape sequences could retitle the window, write a clickable link, hide
text or move the cursor, and rich would read `[...]` as markup. Print the result as plain text
(a rich `Text`, or `markup=False, highlight=False`) so nothing in it is interpreted."""

from __future__ import annotations

import unicodedata

from carerecord.bidi import BIDI_CONTROLS

KEPT = frozenset("\t\n\r")


def plain(text: str) -> str:
    """`text` without control characters (C0, DEL and C1: ESC, CSI, OSC...) other than tab
    and line ends, nor characters that reverse the direction of what follows."""
    if text.isprintable():  # the common case: nothing to drop
        return text
    return "".join(ch for ch in text if _kept(ch))


def _kept(ch: str) -> bool:
    if ch in KEPT:
        return True
    if ch in BIDI_CONTROLS:
        return False
    return unicodedata.category(ch) != "Cc"
