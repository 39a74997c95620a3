"""Characters that change the order text is shown in (bidirectional overrides, embeddings,
isolates and direction marks) removed from every value a page prints.

A name or result from a source holding U+202E would otherwise show reversed, and one holding
an isolate could make a line read as something it does not say. They are dropped, not shown as
symbols: the text then reads in the order it was stored, which is what the source sent. The
stored resource keeps them (the FHIR API returns it as received)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from carerecord.bidi import BIDI_CONTROLS

_DROP = {ord(ch): None for ch in BIDI_CONTROLS}


def without_bidi(text: str) -> str:
    return text.translate(_DROP)


def finalize(value: Any) -> Any:
    """Jinja's finalize hook: it sees every `{{ ... }}` before escaping, so no template can
    forget it. Markup (already escaped or sanitised HTML) stays Markup."""
    if isinstance(value, Markup):
        return Markup(without_bidi(str(value)))  # noqa: S704 (only removes characters)
    if isinstance(value, str):
        return without_bidi(value)
    return value
