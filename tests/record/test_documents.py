"""Documents as one list, their filters, and what their content is: pure, no database."""

from __future__ import annotations

from datetime import date

import pytest

from carerecord.record import documents as d
from carerecord.record.items import Item
from tests.record.factories_results import (
    DISCHARGE,
    LETTER,
    attachment,
    composition,
    document,
    item_of,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _items() -> list[Item]:
    return [
        item_of(document("Clinic letter", "2025-05-01T10:00:00")),
        item_of(document("Discharge", "2026-02-01T10:00:00", kind=DISCHARGE), "RAL01"),
        item_of(composition("Ward summary", "2024-03-01T10:00:00", "<div>Well</div>"), "RAL01"),
    ]


def _titles(found: tuple[d.Document, ...]) -> list[str | None]:
    return [doc.title for doc in found]


def test_one_list_across_sources_and_types_newest_first() -> None:
    assert _titles(d.documents(_items())) == ["Discharge", "Clinic letter", "Ward summary"]


def test_oldest_first_on_request() -> None:
    found = d.documents(_items(), d.Filters(sort=d.OLDEST))
    assert _titles(found) == ["Ward summary", "Clinic letter", "Discharge"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (d.Filters(kind=DISCHARGE[1]), ["Discharge", "Ward summary"]),
        (d.Filters(kind=LETTER[1]), ["Clinic letter"]),
        (d.Filters(organisation="Royal Free London"), ["Discharge", "Ward summary"]),
        (d.Filters(date_from=date(2025, 5, 1)), ["Discharge", "Clinic letter"]),
        (d.Filters(date_to=date(2025, 5, 1)), ["Clinic letter", "Ward summary"]),
        (d.Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)), ["Clinic letter"]),
        (d.Filters(kind="Nothing like it"), []),
    ],
)
def test_filters(filters: d.Filters, expected: list[str]) -> None:
    assert _titles(d.documents(_items(), filters)) == expected


def test_the_custodian_names_the_organisation_when_given() -> None:
    item = item_of(document("Letter", "2025-01-01T10:00:00", custodian="Whittington Health"))
    assert d.document_of(item).organisation == "Whittington Health"
    assert d.document_of(item).author == "Dr A. Okafor"


def test_choices_list_each_type_and_organisation_once() -> None:
    kinds, organisations = d.choices(_items())
    assert kinds == (DISCHARGE[1], LETTER[1])
    assert organisations == ("Camden Road Surgery", "Royal Free London")


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        (attachment("Dear Doctor"), d.TEXT),
        (attachment("<p>Hi</p>", "text/html"), d.HTML),
        (attachment(PDF, "application/pdf"), d.PDF),
        (attachment(b"not a pdf", "application/pdf"), d.UNREADABLE),
        (attachment(b"\xff\xfe\xfa", "text/plain; charset=utf-8"), d.UNREADABLE),
        (attachment(None, url="https://elsewhere.example/doc/1"), d.LINK_ONLY),
        ({"contentType": "text/plain", "data": "not base64!!"}, d.UNREADABLE),
        (attachment(b"\x00", "image/tiff"), d.UNSUPPORTED),
        ({"contentType": "text/plain"}, d.EMPTY),
    ],
)
def test_content_kinds(given: dict[str, object], kind: str) -> None:
    resource = document("A document", "2025-01-01T10:00:00", content=given)
    assert d.content_of(resource).kind == kind


def test_text_is_decoded_with_its_charset() -> None:
    resource = document(
        "L",
        "2025-01-01",
        content=attachment("Café".encode("latin-1"), "text/plain; charset=latin-1"),
    )
    assert d.content_of(resource).text == "Café"


def test_a_composition_gives_its_sections_narratives() -> None:
    content = d.content_of(composition("Summary", "2025-01-01", "<div>Pneumonia</div>"))
    assert (content.kind, content.parts) == (d.HTML, (("Diagnosis", "<div>Pneumonia</div>"),))


@pytest.mark.parametrize(
    ("title", "kind", "expected"),
    [
        ("Ward discharge summary", DISCHARGE, True),
        ("Emergency department attendance summary", ("34111-5", "Emergency department Note"), True),
        ("Ambulance patient care record", LETTER, True),  # the generic episode note, by its words
        ("NHS 111 call summary", LETTER, True),
        ("Clinic letter", LETTER, False),  # the same generic note: a letter ends no episode
        ("A&E attendance", ("X1", "Local type"), True),
    ],
)
def test_discharge_type_documents_include_a_and_e_ambulance_and_111(
    title: str, kind: tuple[str, str], expected: bool
) -> None:
    item = item_of(document(title, "2026-09-01T10:00:00+00:00", kind))
    assert d.is_episode_summary(d.document_of(item)) is expected
