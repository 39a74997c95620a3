"""Files read by `carerecord ingest` are held to the same resource limits as the push API."""

from __future__ import annotations

from pathlib import Path

import orjson

from carerecord.ingest.limits import EXCERPT_BYTES
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
