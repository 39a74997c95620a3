"""The formatting characters that change the direction text is shown in (the "Trojan Source"
ones): embeddings, overrides, isolates and the direction marks. Pages and the terminal drop
them from text that came from outside."""

from __future__ import annotations

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
