"""Safe, 1-based access to a parsed message: a missing field is "" rather than an IndexError."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# Formatting commands (\.sp\, \.in+4\, \H\ ...) carry layout only; the text is kept.
_LINE_BREAK_COMMANDS = {".br", ".sp"}


class Unescaper:
    """Decodes HL7 escape sequences (\\F\\, \\S\\, \\X41\\, \\.br\\ ...) in one leaf value.

    The `hl7` library's own unescape drops \\.br\\ instead of turning it into a line break,
    which would run report lines together, hence this small replacement.
    """

    def __init__(self, separators: str) -> None:
        # separators is MSH-1 + MSH-2: field, component, repetition, escape, subcomponent.
        self._escape = separators[3]
        self._named = dict(zip("FSRET", separators[:5], strict=True))
        quoted = re.escape(self._escape)
        self._pattern = re.compile(f"{quoted}([^{quoted}]*){quoted}")

    def __call__(self, text: str) -> str:
        if self._escape not in text:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        body = match.group(1)
        if body in self._named:
            return self._named[body]
        if body in _LINE_BREAK_COMMANDS:
            return "\n"
        if body[:1] == "X" and re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", body[1:]):
            data = bytes.fromhex(body[1:])
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("latin-1")
        return ""


Rep = tuple[tuple[str, ...], ...]  # one repetition: components, each a tuple of subcomponents


def component(rep: Rep, index: int = 1, sub: int = 1) -> str:
    """Component `index` (1-based), subcomponent `sub`, or "" when absent."""
    if index < 1 or index > len(rep) or sub < 1 or sub > len(rep[index - 1]):
        return ""
    return rep[index - 1][sub - 1]


@dataclass(frozen=True)
class Segment:
    name: str
    fields: tuple[tuple[Rep, ...], ...]  # fields[0] is the name; for MSH fields[n] is MSH-n

    def reps(self, field: int) -> list[Rep]:
        """Every non-empty repetition of a field."""
        if field < 1 or field >= len(self.fields):
            return []
        return [rep for rep in self.fields[field] if any(any(c) for c in rep)]

    def rep(self, field: int) -> Rep:
        """The first non-empty repetition, or an empty one."""
        found = self.reps(field)
        return found[0] if found else ()

    def get(self, field: int, index: int = 1, sub: int = 1) -> str:
        return component(self.rep(field), index, sub)


@dataclass(frozen=True)
class Message:
    segments: Sequence[Segment]

    def all(self, name: str) -> list[Segment]:
        return [segment for segment in self.segments if segment.name == name]

    def first(self, name: str) -> Segment | None:
        return next(iter(self.all(name)), None)

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)


def as_text(rep: Rep) -> str:
    """A repetition as the text it was written as (a stray ^ in free text is kept)."""
    return "^".join("&".join(subs) for subs in rep).rstrip("^&")
