"""The permission matrix (matrix.toml): factors, and ordered rules where the first match wins.

`load()` reads and checks the file (a misspelt factor or value is an error, not a rule that
silently never matches); `Matrix.expected()` gives one combination's outcome, and
`Matrix.expand()` every combination of the full product with its outcome.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MATRIX = Path(__file__).with_name("matrix.toml")

NOT_FOUND = "not found"
BANNER = "banner only"
SECTIONS = "sections"
OUTCOMES = (NOT_FOUND, BANNER, SECTIONS)
_OUTCOME_KEYS = frozenset(
    {"why", "outcome", "gate", "may_declare", "overrides_offered", "override_used", "flagged"}
)

Combination = Mapping[str, str]  # factor -> value


@dataclass(frozen=True)
class Expected:
    """What the table says a combination gives."""

    outcome: str
    gate: str | None = None
    may_declare: bool = False
    overrides_offered: frozenset[str] = frozenset()
    override_used: str | None = None
    flagged: bool = False
    rule: int = 0  # which rule gave it (1 = the first in the file)
    why: str = ""


@dataclass(frozen=True)
class Rule:
    number: int
    conditions: Mapping[str, frozenset[str]]
    expected: Expected

    def matches(self, combination: Combination) -> bool:
        return all(combination[f] in values for f, values in self.conditions.items())


@dataclass(frozen=True)
class Matrix:
    factors: Mapping[str, tuple[str, ...]]
    rules: tuple[Rule, ...]

    def expected(self, combination: Combination) -> Expected:
        for rule in self.rules:
            if rule.matches(combination):
                return rule.expected
        raise ValueError(f"no rule matches {dict(combination)}")

    def combinations(self) -> Iterator[dict[str, str]]:
        names = list(self.factors)
        for values in itertools.product(*self.factors.values()):
            yield dict(zip(names, values, strict=True))

    def expand(self) -> list[tuple[dict[str, str], Expected]]:
        """Every combination of the full product, with the outcome the table gives it."""
        return [(combination, self.expected(combination)) for combination in self.combinations()]

    @property
    def size(self) -> int:
        count = 1
        for values in self.factors.values():
            count *= len(values)
        return count


def load(path: Path = MATRIX) -> Matrix:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    factors = {name: tuple(_strings(values, name)) for name, values in data["factors"].items()}
    rules = tuple(_rule(n, body, factors) for n, body in enumerate(data["rule"], start=1))
    return Matrix(factors, rules)


def _rule(number: int, body: Mapping[str, Any], factors: Mapping[str, tuple[str, ...]]) -> Rule:
    where = f"rule {number}"
    unknown = set(body) - set(factors) - _OUTCOME_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    conditions: dict[str, frozenset[str]] = {}
    for factor in factors:
        if factor not in body:
            continue
        values = frozenset(_strings(body[factor], f"{where}: {factor}"))
        wrong = values - set(factors[factor])
        if wrong:
            raise ValueError(f"{where}: {factor} has no value {sorted(wrong)[0]!r}")
        conditions[factor] = values
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"{where}: outcome must be one of {', '.join(OUTCOMES)}")
    expected = Expected(
        outcome=outcome,
        gate=body.get("gate"),
        may_declare=bool(body.get("may_declare", False)),
        overrides_offered=frozenset(_strings(body.get("overrides_offered", []), where)),
        override_used=body.get("override_used"),
        flagged=bool(body.get("flagged", False)),
        rule=number,
        why=str(body.get("why", "")),
    )
    return Rule(number, conditions, expected)


def _strings(value: Any, where: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{where}: expected a word or a list of words")
    return values
