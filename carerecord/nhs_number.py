"""NHS numbers: ten digits, the last a modulus-11 check digit."""

from __future__ import annotations

import re

SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_NON_DIGITS = re.compile(r"[\s\-./]")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can start with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise(text: str) -> str:
    """Drop the spaces, hyphens and dots people type or paste between the digits."""
    return _NON_DIGITS.sub("", text)


def is_valid(text: str) -> bool:
    digits = normalise(text)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    return check_digit(digits[:9]) == int(digits[9])


def problem(text: str) -> str | None:
    """Why this is not a valid NHS number, in words a person can act on; None when it is."""
    digits = normalise(text)
    if not digits:
        return "Enter an NHS number"
    if not digits.isascii() or not digits.isdigit():
        return "NHS number must contain only numbers"
    if len(digits) != 10:
        return "NHS number must be 10 digits"
    if check_digit(digits[:9]) != int(digits[9]):
        return "This is not a valid NHS number: check the digits you typed"
    return None


def formatted(digits: str) -> str:
    """Shown as 943 476 5919, whole and on one line."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
