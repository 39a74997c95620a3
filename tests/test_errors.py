"""Every error carerecord raises on purpose belongs to one tree, so each edge can translate it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import carerecord
from carerecord.errors import CareRecordError


def _classes_raised_on_purpose() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for module_info in pkgutil.walk_packages(carerecord.__path__, "carerecord."):
        if module_info.name.startswith("carerecord.store.migrations"):
            continue  # Alembic's scripts import alembic.op, which exists only inside a run
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_exception_defined_in_carerecord_is_a_care_record_error() -> None:
    classes = _classes_raised_on_purpose()

    outside = [
        f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, CareRecordError)
    ]

    assert len(classes) > 10  # the walk found the package's errors
    assert outside == []
