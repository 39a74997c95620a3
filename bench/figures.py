"""One figure per measurement, printed the same way by every benchmark.

Each benchmark prints its own readable lines as it goes and, for every figure, one JSON line
`{"figure": ..., "value": ..., "unit": ..., "engine": ..., "data_size": ..., "target": ...}`,
so `bench/all.py` (`make bench`) can gather every benchmark's figures into one table and a
machine can read the same lines without parsing prose.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

MARK = '{"figure": '  # how a figure's line starts: nothing else a benchmark prints starts so


@dataclass(frozen=True)
class Figure:
    name: str  # bench.measure, e.g. "mllp.messages_per_s"
    value: float
    unit: str  # "messages/s", "ms", "s", "MB", "ratio"
    engine: str = ""  # "sqlite", "postgresql", or "" when the figure is not per engine
    data_size: str = ""  # what it was measured on, e.g. "2,000 people, 165,317 resources"
    target: str = ""  # e.g. ">= 1000", "<= 50"; "" when there is none

    @property
    def met(self) -> bool | None:
        """Whether the target is met, or None without one."""
        if not self.target:
            return None
        sign, bound = self.target.split()
        return self.value >= float(bound) if sign == ">=" else self.value <= float(bound)

    def line(self) -> str:
        return json.dumps({"figure": self.name, **_without_name(asdict(self))})


def _without_name(fields: dict[str, Any]) -> dict[str, Any]:
    fields.pop("name")
    return fields


def emit(*figures: Figure) -> None:
    """Prints each figure's JSON line."""
    for figure in figures:
        print(figure.line(), flush=True)


def parse(line: str) -> Figure | None:
    """The figure a printed line holds, or None for any other line."""
    if not line.startswith(MARK):
        return None
    fields = json.loads(line)
    return Figure(
        name=fields["figure"],
        value=fields["value"],
        unit=fields["unit"],
        engine=fields.get("engine", ""),
        data_size=fields.get("data_size", ""),
        target=fields.get("target", ""),
    )
