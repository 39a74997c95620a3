"""A server process collects cyclic garbage rarely, with what it made at start-up frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from carerecord.commands.collector import THRESHOLDS, tune_for_serving


@pytest.fixture
def restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored")
def test_serving_raises_the_thresholds_and_freezes_what_exists() -> None:
    assert gc.get_threshold() != THRESHOLDS

    tune_for_serving()

    assert gc.get_threshold() == THRESHOLDS
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("restored")
def test_cycles_are_still_collected() -> None:
    tune_for_serving()

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() > 0
