"""A deterministic pairwise covering array: rows in which every pair of values of any two
factors appears at least once, far fewer rows than the full product.

Greedy, in the manner of AETG: each new row starts from the first pair not yet covered, then
gives every other factor (largest first) the value that covers most pairs still uncovered
with the values already in the row; ties go to the value listed first. The same factors give
the same rows every time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

Pair = tuple[tuple[int, int], tuple[int, int]]  # ((factor, value), (factor, value)), by index


def covering_array(factors: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    names = list(factors)
    sizes = [len(factors[name]) for name in names]
    uncovered = all_pairs(sizes)
    order = sorted(range(len(names)), key=lambda f: (-sizes[f], f))
    rows: list[dict[int, int]] = []
    while uncovered:
        (f1, v1), (f2, v2) = min(uncovered)
        row = {f1: v1, f2: v2}
        for factor in order:
            if factor not in row:
                row[factor] = max(
                    range(sizes[factor]),
                    key=lambda value: (_gain(row, factor, value, uncovered), -value),
                )
        uncovered -= pairs_of(row)
        rows.append(row)
    return [{names[f]: factors[names[f]][row[f]] for f in range(len(names))} for row in rows]


def all_pairs(sizes: Sequence[int]) -> set[Pair]:
    return {
        ((f1, v1), (f2, v2))
        for f1, f2 in combinations(range(len(sizes)), 2)
        for v1 in range(sizes[f1])
        for v2 in range(sizes[f2])
    }


def pairs_of(row: Mapping[int, int]) -> set[Pair]:
    cells = sorted(row.items())
    return {(a, b) for a, b in combinations(cells, 2)}


def uncovered_pairs(
    factors: Mapping[str, Sequence[str]], rows: Sequence[Mapping[str, str]]
) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    """The pairs of factor values that no row holds (empty for a covering array)."""
    wanted = {
        ((a, x), (b, y))
        for a, b in combinations(factors, 2)
        for x in factors[a]
        for y in factors[b]
    }
    held = {((a, row[a]), (b, row[b])) for row in rows for a, b in combinations(factors, 2)}
    return wanted - held


def _gain(row: Mapping[int, int], factor: int, value: int, uncovered: set[Pair]) -> int:
    gained = 0
    for other, chosen in row.items():
        cell, placed = (factor, value), (other, chosen)
        pair = (cell, placed) if factor < other else (placed, cell)
        gained += pair in uncovered
    return gained
