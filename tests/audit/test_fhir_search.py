"""Reading AuditEvent search parameters, as tables: the moments a date spans with each prefix,
what type and subtype select, and what is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.audit.fhir_event import KINDS
from carerecord.audit.fhir_search import (
    DEFAULT_COUNT,
    Actions,
    SearchRefused,
    parse_search,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dates", "start", "end"),
    [
        # A UK day: 2026-09-20 began at 23:00 UTC the day before (British Summer Time).
        (["2026-09-20"], utc(2026, 9, 19, 23), utc(2026, 9, 20, 23)),
        (["ge2026-09-20"], utc(2026, 9, 19, 23), None),
        (["gt2026-09-20"], utc(2026, 9, 20, 23), None),
        (["le2026-09-20"], None, utc(2026, 9, 20, 23)),
        (["lt2026-09-20"], None, utc(2026, 9, 19, 23)),
        (["2026-12"], utc(2026, 12, 1), utc(2027, 1, 1)),  # GMT in winter
        (["2026"], utc(2026, 1, 1), utc(2027, 1, 1)),
        (["2026-09-20T10:00Z"], utc(2026, 9, 20, 10), utc(2026, 9, 20, 10, 1)),
        (["gt2026-09-20T10:00:05+01:00"], utc(2026, 9, 20, 9, 0, 6), None),
        (["le2026-09-20T10:00:05.5Z"], None, utc(2026, 9, 20, 10, 0, 5, 600_000)),
        # Repeated, every one holds: the latest start, the earliest end.
        (
            ["ge2026-01-01", "ge2026-03-01", "lt2026-06-02", "le2026-05"],
            utc(2026, 3, 1),
            utc(2026, 5, 31, 23),
        ),
    ],
)
def test_a_date_spans_the_moments_of_its_precision(
    dates: list[str], start: datetime | None, end: datetime | None
) -> None:
    search = parse_search([("date", value) for value in dates])

    assert (search.start, search.end) == (start, end)


def test_nothing_asked_is_every_entry_a_page_at_a_time() -> None:
    search = parse_search([])

    assert (search.start, search.end, search.actions, search.outcomes) == (None, None, None, ())
    assert (search.count, search.before) == (DEFAULT_COUNT, None)


def test_type_and_subtype_together_keep_what_both_select() -> None:
    reads = parse_search([("type", "rest"), ("subtype", "read")]).actions
    assert reads is not None
    assert reads.names == {a for a, kind in KINDS.items() if kind[1] and kind[1][1] == "read"}
    assert not reads.others

    pushes = parse_search([("type", "110100"), ("subtype", "fhir-push,view-record")]).actions
    assert pushes == Actions(frozenset({"fhir-push"}), False)  # view-record is a REST read


def test_the_default_type_also_takes_every_action_without_a_kind() -> None:
    actions = parse_search([("type", "110100")]).actions

    assert actions is not None and actions.others
    assert "alert-review" in actions.names and "view-record" not in actions.names


def test_the_parameters_are_kept_as_asked_less_the_page_key() -> None:
    search = parse_search([("agent", "gp-1"), ("_before", "40"), ("date", "2026")])

    assert search.parameters == (("agent", "gp-1"), ("date", "2026"))
    assert (search.agent, search.before) == ("gp-1", 40)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("_sort", "-date")], "_sort: not a search parameter"),
        ([("date", "2026-13")], "date: '2026-13' is not a date"),
        ([("date", "9999")], "date: '9999' is not a date"),
        ([("date", "sa2026")], "date: the prefix 'sa' is not supported"),
        ([("date", "2026-09-20T25:00Z")], "date: '2026-09-20T25:00Z' is not a real time"),
        ([("patient", "x"), ("patient:identifier", "y")], "patient: give patient or"),
        ([("agent", "x" * 101)], "agent: one user id"),
        ([("subtype", "elsewhere|read")], "subtype: give a code, or one of"),
        ([("outcome", "0,1")], "outcome: '1' is not one of"),
        ([("_before", "9" * 20)], "_before: a whole number"),
    ],
)
def test_what_cannot_be_used_is_refused_by_name(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(SearchRefused) as refused:
        parse_search(pairs)

    assert str(refused.value).startswith(message)
    assert refused.value.status == 400
