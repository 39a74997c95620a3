"""Every door writes through the one write path: ingest/intake.py is the only code outside the
store that calls a unit of work's (or the store's) writing methods, so a rule applied there
(exclusions first, then quarantine, then apply) is applied everywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import carerecord

PACKAGE = Path(carerecord.__file__).parent
WRITING = {"write", "quarantine", "write_batch", "quarantine_items"}
THE_WRITE_PATH = PACKAGE / "ingest" / "intake.py"


def calls_to_writing_methods(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            owner = target.id if isinstance(target, ast.Name) else ""
            # Files, sockets and consoles also have write(); what they are called tells them apart.
            if node.func.attr in WRITING and owner in {"store", "unit", "group", "self"}:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {owner}.{node.func.attr}")
    return found


def test_only_the_write_path_calls_the_stores_writing_methods() -> None:
    outside_the_store = [
        path
        for path in PACKAGE.rglob("*.py")
        if PACKAGE / "store" not in path.parents and path != THE_WRITE_PATH
    ]

    offenders = [call for path in outside_the_store for call in calls_to_writing_methods(path)]

    assert offenders == []


def test_the_write_path_does_call_them() -> None:
    """So the test above cannot pass by looking for the wrong names."""
    assert len(calls_to_writing_methods(THE_WRITE_PATH)) >= 3
