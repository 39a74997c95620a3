"""OBX to FHIR Observation values: quantities, ranges, flags and multi-line text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from carerecord.ingest.hl7v2.segments import Segment, component
from carerecord.ingest.hl7v2.values import UCUM, codeable, fhir_datetime, prune

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_INTERPRETATIONS = {"H", "L", "HH", "LL", "A", "AA", "N", "<", ">", "S", "R", "I", "POS", "NEG"}
_INTERPRETATIONS |= {"HU", "LU", "U", "D", "B", "W", "IND", "E", "NR", "RR", "SDD", "NCL"}
_STATUS = {"F": "final", "C": "corrected", "P": "preliminary", "X": "cancelled"}
_STATUS |= {"D": "entered-in-error", "W": "entered-in-error", "R": "preliminary"}
_STATUS |= {"I": "registered", "S": "preliminary", "U": "final", "A": "amended"}
_TEXT_TYPES = {"ST", "TX", "FT"}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
_COMPARATOR = re.compile(rf"\s*(<=|>=|<|>)?\s*({_NUMBER})\s*")
_RANGE = re.compile(rf"\s*({_NUMBER})\s*-\s*({_NUMBER})\s*")
_BOUND = re.compile(rf"\s*(<=|>=|<|>)\s*({_NUMBER})\s*")


@dataclass
class Result:
    """One observation's worth of OBX: several when a text result runs over many lines."""

    obx: Segment
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def continues(self, obx: Segment) -> bool:
        same = (obx.rep(3), obx.get(4)) == (self.obx.rep(3), self.obx.get(4))
        return same and {obx.get(2), self.obx.get(2)} <= _TEXT_TYPES


def number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN/inf are not FHIR decimals
        return None
    return int(value) if value.is_integer() and "." not in text else value


def _unit(obx: Segment) -> dict[str, Any]:
    code, text, system = obx.get(6, 1), obx.get(6, 2), obx.get(6, 3)
    ucum = {"system": UCUM, "code": code} if code and system.upper() == "UCUM" else {}
    return prune({"unit": text or code, **ucum})


def quantity(text: str, obx: Segment) -> dict[str, Any] | None:
    match = _COMPARATOR.fullmatch(text)
    value = number(match.group(2)) if match else None
    if match is None or value is None:
        return None
    return prune({"value": value, "comparator": match.group(1), **_unit(obx)})


def _structured_numeric(obx: Segment) -> dict[str, Any]:
    comparator, first = obx.get(5, 1), obx.get(5, 2)
    separator, second = obx.get(5, 3), obx.get(5, 4)
    if not separator and not second:
        found = quantity(f"{comparator}{first}", obx)
        if found:
            return {"valueQuantity": found}
    text = "".join((comparator, first, separator, second)).strip()
    return {"valueString": text} if text else {}


def value(result: Result, warnings: list[str]) -> dict[str, Any]:
    obx = result.obx
    kind = obx.get(2).upper()
    text = "\n".join(result.lines)
    if kind == "SN":
        return _structured_numeric(obx)
    if not text:
        return {}
    if kind == "NM":
        found = quantity(text, obx)
        if found:
            return {"valueQuantity": found}
        warnings.append(f"OBX {obx.get(1)}: {text!r} is not a number; kept as text.")
        return {"valueString": text}
    if kind in {"CE", "CWE", "CNE", "CF"}:
        concept = codeable(obx.rep(5))
        return {"valueCodeableConcept": concept} if concept else {}
    if kind in {"DT", "TS", "DTM"} and fhir_datetime(text):
        return {"valueDateTime": fhir_datetime(text)}
    if kind not in _TEXT_TYPES:
        warnings.append(f"OBX {obx.get(1)}: value type {kind!r} is not mapped; kept as text.")
    return {"valueString": text}


def reference_range(obx: Segment) -> list[dict[str, Any]]:
    text = obx.get(7)
    if not text:
        return []
    unit = _unit(obx)
    if match := _RANGE.fullmatch(text):
        low, high = number(match.group(1)), number(match.group(2))
        return [prune({"low": {"value": low, **unit}, "high": {"value": high, **unit}})]
    if (match := _BOUND.fullmatch(text)) and number(match.group(2)) is not None:
        side = "high" if match.group(1).startswith("<") else "low"
        return [{side: {"value": number(match.group(2)), **unit}}]
    return [{"text": text}]


def interpretation(obx: Segment) -> list[dict[str, Any]]:
    found = []
    for rep in obx.reps(8):
        code = component(rep, 1).upper()
        if code in _INTERPRETATIONS:
            found.append({"coding": [{"system": INTERPRETATION, "code": code}], "text": code})
        elif code:
            found.append({"text": component(rep, 2) or component(rep, 1)})
    return found


def status(obx: Segment) -> str:
    return _STATUS.get(obx.get(11).upper(), "unknown")
