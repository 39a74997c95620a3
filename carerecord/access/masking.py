"""A restricted person's GP practice is named nowhere in what their record shows: not as the
source of items (the gate masks provenance) and not where a resource itself names it, as a
referral back to the practice, a letter's custodian or a member of a care team does.

Pure: text in, text out. Only what one view shows is masked; the stored resource is not
touched. Text inside attached documents (base64 data, PDFs) cannot be read here, so a letter
that names the practice in its own words still does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

# A shorter "name" (a display of "GP", say) would blank ordinary words all over the record.
MIN_NAME = 5


@dataclass(frozen=True)
class NameMask:
    """Every mention of these names (in any case) and ODS codes (as whole words), replaced."""

    names: frozenset[str]  # lower case
    codes: frozenset[str]  # upper case
    name_instead: str
    code_instead: str

    @classmethod
    def of(
        cls, names: Iterable[str], codes: Iterable[str], name_instead: str, code_instead: str
    ) -> NameMask:
        kept = frozenset(n.strip().lower() for n in names if len(n.strip()) >= MIN_NAME)
        return cls(kept, frozenset(c.upper() for c in codes if c), name_instead, code_instead)

    def body(self, body: str) -> str:
        """A resource's JSON with the names and codes replaced in every text it holds."""
        lowered = body.lower()
        if not any(n in lowered for n in self.names) and not any(
            c.lower() in lowered for c in self.codes
        ):
            return body
        try:
            resource = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        return orjson.dumps(self._walk(resource)).decode()

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        if self.names:
            text = self._names_pattern.sub(self.name_instead, text)
        if self.codes:
            text = self._codes_pattern.sub(self.code_instead, text)
        return text

    @cached_property
    def _names_pattern(self) -> re.Pattern[str]:
        longest_first = sorted(self.names, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, longest_first)), re.IGNORECASE)

    @cached_property
    def _codes_pattern(self) -> re.Pattern[str]:
        alternatives = "|".join(map(re.escape, sorted(self.codes)))
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)


def practice_displays(patient_bodies: Sequence[str]) -> set[str]:
    """The names the person's Patient resources give their GP practice (or GP)."""
    found: set[str] = set()
    for body in patient_bodies:
        try:
            patient = orjson.loads(body)
        except orjson.JSONDecodeError:
            continue
        references = patient.get("generalPractitioner") if isinstance(patient, dict) else None
        for reference in references if isinstance(references, list) else ():
            display = reference.get("display") if isinstance(reference, dict) else None
            if isinstance(display, str):
                found.add(display)
    return found
