"""Who the synthetic people are: names, dates of birth, addresses, NHS numbers.

NHS numbers are test numbers (they start 999, a range never issued to real people) with a
correct modulus-11 check digit. Each patient index owns two consecutive candidates, so
numbers are unique without remembering the ones already given out.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from carerecord.nhs_number import check_digit

MAX_PATIENTS = 500_000
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Address:
    line: tuple[str, ...]
    city: str
    postcode: str


@dataclass(frozen=True)
class Person:
    index: int
    nhs_number: str
    prefix: str
    given: str
    family: str
    gender: str
    birth_date: date
    region: str
    address: Address
    phone: str
    email: str | None

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return years - before_birthday

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"


@cache
def _data(name: str) -> Any:
    text = resources.files("carerecord.synth").joinpath("data", name).read_text("utf-8")
    return json.loads(text)


def nhs_number_for(index: int, seed: int) -> str:
    """A valid, unique 999 test number for this patient index."""
    if not 0 <= index < MAX_PATIENTS:
        raise ValueError(f"synthetic patients are numbered below {MAX_PATIENTS}")
    slot = (index * 7919 + seed * 104_729) % MAX_PATIENTS  # 7919 is prime: a bijection
    for candidate in (2 * slot, 2 * slot + 1):
        first_nine = f"999{candidate:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return f"{first_nine}{digit}"
    raise AssertionError("two consecutive numbers cannot both lack a check digit")


def make_person(rng: random.Random, index: int, seed: int, region: str, as_of: date) -> Person:
    gender = rng.choice(("female", "male"))
    group = rng.choice(_data("names.json"))
    given = rng.choice(group[gender])
    family = rng.choice(group["family"])
    birth = _birth_date(rng, as_of)
    return Person(
        index=index,
        nhs_number=nhs_number_for(index, seed),
        prefix=_prefix(rng, gender, as_of.year - birth.year),
        given=given,
        family=family,
        gender=gender,
        birth_date=birth,
        region=region,
        address=_address(rng, region),
        phone=f"07{rng.randrange(100, 999)} {rng.randrange(100_000, 999_999)}",
        email=_email(rng, given, family),
    )


def _birth_date(rng: random.Random, as_of: date) -> date:
    # A London-like age mix: many working-age adults, a long tail of older people.
    age = min(int(rng.triangular(0, 100, 38)), 103)
    return as_of - timedelta(days=age * 365 + rng.randrange(365) + 1)


def _prefix(rng: random.Random, gender: str, age: int) -> str:
    if age < 16:
        return "Master" if gender == "male" and age < 12 else ""
    if gender == "male":
        return rng.choice(("Mr", "Mr", "Mr", "Dr"))
    return rng.choice(("Mrs", "Ms", "Miss", "Dr"))


def _address(rng: random.Random, region: str) -> Address:
    places = _data("places.json")
    district, city = rng.choice(places["regions"][region])
    street = f"{rng.randrange(1, 240)} {rng.choice(places['streets'])}"
    line = (rng.choice(places["flats"]), street) if rng.random() < 0.35 else (street,)
    inward = f"{rng.randrange(1, 10)}{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"
    return Address(line, city, f"{district} {inward}")


def _email(rng: random.Random, given: str, family: str) -> str | None:
    if rng.random() < 0.3:
        return None
    local = f"{given}.{family}".lower().replace("'", "")
    return f"{local}{rng.randrange(10, 99)}@example.org"
