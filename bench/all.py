"""`make bench`: runs every benchmark in turn, passing its output through, then prints one
table of every figure they reported (see bench/figures.py) and the JSON lines again together.

    python bench/all.py [--only mllp,ingest] [--quick]

`--quick` runs each benchmark on a small data set (a smoke run: the figures are not the ones to
compare with targets).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.figures import Figure, parse  # noqa: E402

# name: (script, extra arguments for --quick)
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "ingest": ("ingest.py", ["--patients", "200"]),
    "push": ("push.py", ["--patients", "200"]),
    "mllp": ("mllp.py", ["--patients", "200"]),
    "view": ("view.py", ["--patients", "500", "--repeat", "10", "--access-repeat", "50"]),
    "audit": ("audit.py", ["--views", "50", "--writes", "200", "--entries", "10000"]),
    "load": ("load.py", ["--patients", "200", "--seconds", "5"]),
}


def run(script: str, arguments: list[str]) -> tuple[list[Figure], bool]:
    """The figures a benchmark printed, and whether it ended well."""
    figures: list[Figure] = []
    with subprocess.Popen(
        [sys.executable, str(HERE / script), *arguments],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            figure = parse(line)
            if figure is not None:
                figures.append(figure)
    if process.returncode:
        print(f"{script} failed (exit {process.returncode})", file=sys.stderr)
    return figures, process.returncode == 0


def table(figures: list[Figure]) -> Table:
    shown = Table(title="carerecord benchmarks")
    for heading in ("figure", "engine", "value", "unit", "target", "met", "data"):
        shown.add_column(heading, justify="right" if heading == "value" else "left")
    for f in figures:
        met = {True: "yes", False: "NO", None: ""}[f.met]
        shown.add_row(f.name, f.engine, f"{f.value:,}", f.unit, f.target, met, f.data_size)
    return shown


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    figures: list[Figure] = []
    failed = False
    for name in args.only.split(","):
        script, quick = BENCHMARKS[name]
        found, ended_well = run(script, quick if args.quick else [])
        failed = failed or not ended_well or not found
        figures.extend(found)
    Console(width=160).print(table(figures))
    for figure in figures:
        print(figure.line())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
