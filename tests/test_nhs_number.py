from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carerecord import nhs_number


@pytest.mark.parametrize(
    "text", ["9434765919", "943 476 5919", "943-476-5919", " 943.476.5919 ", "9990000018"]
)
def test_valid_numbers_are_accepted_however_they_are_typed(text: str) -> None:
    assert nhs_number.is_valid(text)
    assert nhs_number.problem(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an NHS number"),
        ("943476591", "NHS number must be 10 digits"),
        ("94347659199", "NHS number must be 10 digits"),
        ("943476591X", "NHS number must contain only numbers"),
        ("9434765918", "This is not a valid NHS number: check the digits you typed"),
        ("٩٤٣٤٧٦٥٩١٩", "NHS number must contain only numbers"),  # non-ASCII digits
    ],
)
def test_invalid_numbers_say_what_is_wrong(text: str, message: str) -> None:
    assert not nhs_number.is_valid(text)
    assert nhs_number.problem(text) == message


def test_a_check_digit_of_ten_means_no_valid_number_starts_that_way() -> None:
    # 1000000010 -> weights give remainder 1, check digit 10: such numbers are never issued.
    assert nhs_number.check_digit("100000001") is None
    assert not any(nhs_number.is_valid(f"100000001{d}") for d in range(10))


@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_exactly_one_check_digit_completes_any_nine_digits(first_nine: str) -> None:
    valid = [d for d in range(10) if nhs_number.is_valid(f"{first_nine}{d}")]
    expected = nhs_number.check_digit(first_nine)
    assert valid == ([] if expected is None else [expected])


def test_changing_any_one_digit_breaks_the_check() -> None:
    number = "9434765919"
    for position in range(10):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not nhs_number.is_valid(changed)


def test_formatted_three_three_four() -> None:
    assert nhs_number.formatted("9434765919") == "943 476 5919"
