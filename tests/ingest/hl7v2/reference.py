"""The reference the tokeniser is checked against: the `hl7` library's parse, turned into
Message/Segment the way carerecord did before it had its own tokeniser."""

from __future__ import annotations

from typing import Any

import hl7

from carerecord.ingest.hl7v2.segments import Message, Rep, Segment, Unescaper


def reference_parse(text: str) -> Message:
    """`text` normalised, with MSH-1 and MSH-2 checked (as parse.parse leaves it)."""
    decode = Unescaper(text[3:8])
    return Message([_segment(segment, decode) for segment in hl7.parse(text)])


def _leaves(node: Any) -> list[Any]:
    return [node] if isinstance(node, str) else list(node)


def _clean(value: str, decode: Unescaper) -> str:
    value = decode(value).strip()
    return "" if value == '""' else value


def _repetition(node: Any, decode: Unescaper) -> Rep:
    return tuple(tuple(_clean(str(sub), decode) for sub in _leaves(comp)) for comp in _leaves(node))


def _segment(segment: Any, decode: Unescaper) -> Segment:
    name = str(segment[0])
    fields: list[tuple[Rep, ...]] = [(((name,),),)]
    for index, field in enumerate(list(segment)[1:], start=1):
        if name == "MSH" and index <= 2:  # the separators themselves: never decoded
            fields.append((((str(field),),),))
            continue
        fields.append(tuple(_repetition(rep, decode) for rep in _leaves(field)))
    return Segment(name, tuple(fields))
