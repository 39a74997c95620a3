"""The pairwise generator: every pair of values appears, deterministically, in few rows."""

from __future__ import annotations

import itertools

import pytest

from tests.access import matrix
from tests.access.pairwise import covering_array, uncovered_pairs

SMALL = {"a": ["1", "2"], "b": ["x", "y", "z"], "c": ["p", "q"]}


@pytest.mark.parametrize(
    "factors",
    [
        SMALL,
        {"only": ["1", "2", "3"]},
        {"a": ["1"], "b": ["2"]},
        {f"f{n}": [str(v) for v in range(n + 1)] for n in range(1, 7)},
        matrix.load().factors,
    ],
    ids=["small", "one-factor", "one-value-each", "growing", "permission-matrix"],
)
def test_every_pair_of_values_appears_in_some_row(factors: dict[str, list[str]]) -> None:
    rows = covering_array(factors)

    assert uncovered_pairs(factors, rows) == set()
    for row in rows:
        assert set(row) == set(factors)
        assert all(row[name] in values for name, values in factors.items())


def test_the_checker_finds_a_pair_that_is_missing() -> None:
    rows = covering_array(SMALL)
    without_last = rows[:-1]

    assert uncovered_pairs(SMALL, without_last) != set()
    assert uncovered_pairs(SMALL, [{"a": "1", "b": "x", "c": "p"}]) >= {
        (("a", "2"), ("b", "y")),
        (("b", "z"), ("c", "q")),
    }


def test_the_same_factors_give_the_same_rows() -> None:
    factors = matrix.load().factors

    assert covering_array(factors) == covering_array(dict(factors))


def test_the_rows_are_few_next_to_the_full_product() -> None:
    factors = matrix.load().factors
    two_largest = sorted((len(v) for v in factors.values()), reverse=True)[:2]
    product = len(list(itertools.product(*factors.values())))

    rows = covering_array(factors)

    # At least one row per pair of values of the two largest factors is needed.
    assert two_largest[0] * two_largest[1] <= len(rows) <= 1.25 * two_largest[0] * two_largest[1]
    assert len(rows) < product / 100
