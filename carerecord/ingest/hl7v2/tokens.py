"""A small HL7 v2 tokeniser: normalised message text to Message/Segment, by plain str.split.

It gives exactly what the `hl7` library's parse followed by Segment.from_hl7 gave (the tests
check it against that on every sample and on generated messages), at a fraction of the cost:
segments split on CR, fields on MSH-1, then repetitions, components and subcomponents on the
MSH-2 characters; every leaf unescaped, stripped, and "" (the HL7 null) read as empty. Like the
library, MSH (and BHS/FHS) keep MSH-1 and MSH-2 as single values, and a line holding no
separator at all is a segment with a name and nothing else.
"""

from __future__ import annotations

from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.segments import Message, Rep, Segment, Unescaper

_HEADERS = ("MSH", "BHS", "FHS")  # segments whose second field is the separators themselves
Field = tuple[Rep, ...]


class Tokeniser:
    """Splits with one message's separators: `splitting` is MSH-1 + MSH-2 (field, component,
    repetition, escape, subcomponent; the usual ones for any left out), `escapes` the five
    characters the escape sequences \\F\\ \\S\\ \\R\\ \\E\\ \\T\\ stand for."""

    def __init__(self, splitting: str, escapes: str) -> None:
        usual = splitting[:5] + "|^~\\&"[len(splitting) :]
        if len(set(usual)) < 5:  # only when MSH-2 is cut short: the default clashes
            raise HL7Error(
                "The message could not be tokenised as HL7 v2: MSH-2 is incomplete.",
                code="102",
                location="MSH^2",
            )
        self.field, self.component, self.repetition = usual[0], usual[1], usual[2]
        self.escape, self.sub = usual[3], usual[4]
        self._decode = Unescaper(escapes)

    def message(self, text: str) -> Message:
        return Message([self.segment(line) for line in text.split("\r")])

    def segment(self, line: str) -> Segment:
        if self.field not in line and self._plain(line):
            return Segment(line, ((((line,),),),))
        name = line[:3]
        if name in _HEADERS:
            return self._header(name, line)
        parts = line.split(self.field)
        fields = [(((parts[0],),),), *(self._field(part) for part in parts[1:])]
        return Segment(parts[0], tuple(fields))

    def _header(self, name: str, line: str) -> Segment:
        """MSH-1 is the character after the name, MSH-2 runs to its next occurrence; the rest
        splits as usual (with this message's field separator, as the library does)."""
        own = line[3]
        end = line.find(own, 4)
        encoding, rest = line[4:end], line[end + 1 :]
        if name == "MSH":  # the separators themselves: never decoded
            first: list[Field] = [(((own,),),), (((encoding,),),)]
        else:
            first = [(((self._clean(own),),),), (((self._clean(encoding),),),)]
        fields = [(((name,),),), *first]
        if rest:
            fields.extend(self._field(part) for part in rest.split(self.field))
        return Segment(name, tuple(fields))

    def _plain(self, text: str) -> bool:
        """True when the text holds no repetition, component or subcomponent separator."""
        return self.repetition not in text and self.component not in text and self.sub not in text

    def _field(self, text: str) -> Field:
        if self._plain(text):
            return (((self._clean(text),),),)
        clean, component, sub = self._clean, self.component, self.sub
        return tuple(
            tuple(tuple(clean(leaf) for leaf in part.split(sub)) for part in rep.split(component))
            for rep in text.split(self.repetition)
        )

    def _clean(self, value: str) -> str:
        if self.escape in value:
            value = self._decode(value)
        value = value.strip()
        return "" if value == '""' else value  # HL7 null: "delete this value"; nothing to show


def tokenise(text: str) -> Message:
    """The message, from normalised text whose MSH-1 and MSH-2 have been checked."""
    # MSH-2 ends at the next field separator, wherever that is; a message of nothing but
    # "MSH|^~\\&" has none, and then (as in the library) its last character is not counted.
    return Tokeniser(text[3 : text.find(text[3], 4)], text[3:8]).message(text)
