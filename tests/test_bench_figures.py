"""Benchmarks print each figure as a JSON line that `make bench` gathers into one table."""

from __future__ import annotations

from bench.all import table
from bench.figures import Figure, parse


def test_a_figure_line_reads_back_as_the_same_figure() -> None:
    figure = Figure(
        "mllp.new_messages_per_s", 1234.5, "messages/s", "sqlite", "2,000 people", ">= 1000"
    )
    assert parse(figure.line()) == figure


def test_lines_that_are_not_figures_are_passed_over() -> None:
    assert parse("sqlite: 165,317 resources in 38 s") is None
    assert parse('{"bench": "ingest", "patients": 2000}') is None


def test_a_target_is_met_or_missed_in_its_direction() -> None:
    assert Figure("a", 1200, "messages/s", target=">= 1000").met is True
    assert Figure("a", 999, "messages/s", target=">= 1000").met is False
    assert Figure("b", 49.9, "ms", target="<= 50").met is True
    assert Figure("b", 50.1, "ms", target="<= 50").met is False
    assert Figure("c", 3, "s").met is None


def test_the_table_shows_every_figure_and_whether_it_met_its_target() -> None:
    shown = table([Figure("b", 50.1, "ms", "postgresql", "10,000 people", "<= 50")])
    assert shown.row_count == 1
    assert [list(column.cells) for column in shown.columns] == [
        ["b"],
        ["postgresql"],
        ["50.1"],
        ["ms"],
        ["<= 50"],
        ["NO"],
        ["10,000 people"],
    ]
