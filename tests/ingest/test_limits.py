"""Files read by `carerecord ingest` are held to the same resource limits as the push API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from carerecord.ingest.limits import EXCERPT_BYTES, ResourceLimits, judged, shape_of
from carerecord.ingest.pipeline import ingest_paths
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from tests.factories import make_condition


def test_resources_over_a_limit_in_a_file_are_quarantined_as_excerpts(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    marker = b'"__EXTRA__"'
    line = orjson.dumps(make_condition(patient="p-1", resource_id="c-deep", note=["__EXTRA__"]))
    deep = line.replace(marker, b"[" * 40 + b"]" * 40)
    unreadable = line.replace(marker, b"[" * 2_000 + b"]" * 2_000)
    large = line.replace(marker, orjson.dumps("x" * (1024 * 1024 + 1)))
    path = tmp_path / "big.ndjson"
    path.write_bytes(b"\n".join([deep, unreadable, large]) + b"\n")

    counts = ingest_paths(store, [path], source="RCB", rules=rules)

    assert counts.quarantined == 3
    kept = store.quarantine_entries()
    assert sorted(q.reason_code for q in kept) == ["too-deep", "too-deep", "too-large"]
    assert all(len(q.raw) <= EXCERPT_BYTES for q in kept)
    assert store.counts()["resources"] == 0


@pytest.mark.parametrize(
    ("value", "values", "depth", "objects"),
    [
        ({}, 1, 1, 1),
        ({"a": 1, "b": "x"}, 3, 1, 1),
        ({"a": [1, 2, {"b": None}]}, 6, 3, 2),
        ([[[]]], 3, 3, 0),
        ("leaf", 1, 0, 0),
    ],
)
def test_a_value_is_measured_in_one_walk(value: Any, values: int, depth: int, objects: int) -> None:
    shape = shape_of(value)

    assert (shape.values, shape.depth, len(shape.objects)) == (values, depth, objects)


def test_objects_come_in_document_order_so_citations_keep_theirs() -> None:
    value = {"a": {"reference": "Encounter/1", "x": {"reference": "Encounter/2"}}, "b": [{}]}

    shape = shape_of(value)

    assert shape.objects == [value, value["a"], value["a"]["x"], value["b"][0]]


def test_a_resource_nested_past_the_stack_is_measured_like_any_other() -> None:
    deep: dict[str, Any] = {}
    for _ in range(5000):
        deep = {"extension": [deep]}

    assert judged(shape_of(deep), ResourceLimits()) == ("too-deep", "it nests over 32 levels deep")
    assert judged(shape_of(deep), ResourceLimits(max_depth=20_000, max_elements=9_000)) == (
        "too-many-elements",
        "it holds over 9,000 JSON values",
    )
