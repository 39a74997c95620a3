"""Legally restricted data: code lists that keep whole categories out of the shared record.

The lists are SNOMED CT UK exclusion reference sets (licensed content), loaded at start-up from
a folder the deployment names, as FHIR ValueSets (compose.include concepts or an expansion).
Any member code in any coded field of a resource excludes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from carerecord.errors import ConfigurationError
from carerecord.fhir.extract import listed


@dataclass(frozen=True)
class ExclusionList:
    """Member codes ("system|code") and the category each belongs to."""

    categories: dict[str, str] = field(default_factory=dict)  # "system|code" → category
    sets: tuple[str, ...] = ()  # the category names loaded, for reporting

    def __len__(self) -> int:
        return len(self.categories)

    def match(self, codes: Iterable[str]) -> str | None:
        """The category of the first excluded code among these, or None."""
        categories = self.categories
        if not categories:
            return None
        for code in codes:
            category = categories.get(code)
            if category is not None:
                return category
        return None


def load_exclusions(folder: str | Path) -> ExclusionList:
    """Every ValueSet (*.json) in the folder. An empty path loads nothing; a path that is set
    but unusable is a configuration error, never silently an empty list."""
    if not str(folder):
        return ExclusionList()
    path = Path(folder)
    if not path.is_dir():
        raise ConfigurationError(f"exclusion code lists: {path} is not a folder")
    categories: dict[str, str] = {}
    names: list[str] = []
    for file in sorted(path.glob("*.json")):
        value_set = _read(file)
        name = _category(value_set, file)
        codes = list(_members(value_set))
        if not codes:
            raise ConfigurationError(f"exclusion code lists: {file.name} lists no codes")
        names.append(name)
        for code in codes:
            categories.setdefault(code, name)
    if not categories:
        raise ConfigurationError(f"exclusion code lists: no ValueSets found in {path}")
    return ExclusionList(categories, tuple(names))


def _read(file: Path) -> dict[str, Any]:
    try:
        value = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ConfigurationError(
            f"exclusion code lists: cannot read {file.name}: {error}"
        ) from None
    if not isinstance(value, dict) or value.get("resourceType") != "ValueSet":
        raise ConfigurationError(f"exclusion code lists: {file.name} is not a FHIR ValueSet")
    return value


def _category(value_set: dict[str, Any], file: Path) -> str:
    """A short name for reports: the title without its trailing 'vs', else the file name."""
    title = value_set.get("title") or value_set.get("name") or file.stem
    words = str(title).replace("_", " ").split()
    if words and words[-1].lower() in ("vs", "valueset"):
        words = words[:-1]
    return " ".join(words).strip().lower() or file.stem


def _members(value_set: dict[str, Any]) -> Iterable[str]:
    for include in listed(_dict(value_set.get("compose")).get("include")):
        system = _dict(include).get("system")
        for concept in listed(_dict(include).get("concept")):
            if isinstance(system, str) and isinstance(concept, dict) and concept.get("code"):
                yield f"{system}|{concept['code']}"
    yield from _expansion(listed(_dict(value_set.get("expansion")).get("contains")))


def _dict(value: Any) -> dict[str, Any]:
    """A malformed part of a ValueSet (a list where an object belongs) contributes nothing."""
    return value if isinstance(value, dict) else {}


def _expansion(contains: Iterable[Any]) -> Iterable[str]:
    for entry in contains:
        if not isinstance(entry, dict):
            continue
        if entry.get("system") and entry.get("code"):
            yield f"{entry['system']}|{entry['code']}"
        yield from _expansion(listed(entry.get("contains")))
