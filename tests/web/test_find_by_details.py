"""Finding a person without their NHS number: surname and date of birth, narrowed by postcode."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, make_patient, register, valid_nhs_number, write_ndjson
from tests.support.staff import signed_in


@pytest.fixture
def finder(store: Store, tmp_path: Path) -> TestClient:
    register(store, make_org("F83004", "gp"))
    people = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient("a", "9434765919", family="O'Brien", given=("Mary",)),
        make_patient(
            "b",
            "9990000018",
            family="OBRIEN",
            given=("Maeve",),
            address=[{"use": "home", "line": ["1 Lambeth Walk"], "postalCode": "SE11 6LU"}],
        ),
        make_patient(
            "c",
            "9000000009",
            family="Quinn",
            restricted=True,
            address=[{"use": "home", "line": ["7 Hidden Mews"], "postalCode": "N1 1AA"}],
        ),
        make_patient("d", valid_nhs_number(5), family="Quinn"),
    )
    ingest_paths(store, [people])
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    return signed_in(app, store, datetime.now(UTC))


def _find(client: TestClient, **fields: str) -> object:
    form = {"family": "", "dob[day]": "14", "dob[month]": "3", "dob[year]": "1957", "postcode": ""}
    form.update(fields)
    return client.post("/find/details", data=form, follow_redirects=False)


def test_one_match_opens_the_record(finder: TestClient) -> None:
    response = _find(finder, family="obrien", postcode="SE1")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert re.fullmatch(r"/patients/[0-9a-f]{32}", response.headers["location"])  # type: ignore[attr-defined]


def test_several_matches_are_listed_to_choose_from(finder: TestClient) -> None:
    page = _find(finder, family="o'brien")
    text = page.text  # type: ignore[attr-defined]
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert "2 people match" in text
    assert "O&#39;BRIEN, Mary (Mrs)" in text or "O'BRIEN, Mary (Mrs)" in text
    assert "943 476 5919" in text and "999 000 0018" in text
    assert "1 Lambeth Walk" in text


def test_a_postcode_narrows_the_search(finder: TestClient) -> None:
    response = _find(finder, family="OBrien", postcode="se11")
    assert response.status_code == 303  # type: ignore[attr-defined]


def test_a_restricted_persons_address_is_never_listed(finder: TestClient) -> None:
    page = _find(finder, family="quinn")
    assert "2 people match" in page.text  # type: ignore[attr-defined]
    assert "Restricted record: address not shown" in page.text  # type: ignore[attr-defined]
    assert "Hidden Mews" not in page.text  # type: ignore[attr-defined]


def test_no_match_says_so(finder: TestClient) -> None:
    page = _find(finder, family="Nobody")
    assert "No record found" in page.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"family": ""}, "Enter the person&#39;s surname"),
        (
            {"family": "Smith", "dob[day]": "", "dob[month]": "", "dob[year]": ""},
            "Enter the person&#39;s date of birth",
        ),
        ({"family": "Smith", "dob[day]": "31", "dob[month]": "2"}, "must be a real date"),
        ({"family": "Smith", "dob[year]": "2999"}, "must be today or in the past"),
        ({"family": "Smith", "postcode": "!"}, "Enter the start of a postcode"),
    ],
)
def test_bad_details_are_form_errors(
    finder: TestClient, fields: dict[str, str], message: str
) -> None:
    page = _find(finder, **fields)
    assert page.status_code == 422  # type: ignore[attr-defined]
    assert "There is a problem" in page.text and message in page.text  # type: ignore[attr-defined]


def test_restricted_people_are_filtered_out_before_the_limit(store: Store, tmp_path: Path) -> None:
    from carerecord.access.gate import MAX_MATCHES

    register(store, make_org("F83004", "gp"))
    hidden = [
        make_patient(
            f"r{n}",
            valid_nhs_number(100 + n),
            family="Zed",
            restricted=True,
            address=[{"use": "home", "line": ["1 Hidden Row"], "postalCode": "SE1 7AA"}],
        )
        for n in range(MAX_MATCHES * 5)  # ids are random: most orders put them first
    ]
    shown = make_patient(
        "u1",
        valid_nhs_number(99),
        family="Zed",
        address=[{"use": "home", "line": ["2 Open Row"], "postalCode": "SE1 7BB"}],
    )
    ingest_paths(store, [write_ndjson(tmp_path / "zed.ndjson", *hidden, shown)])
    client = signed_in(
        create_app(Settings(db="unused://", allowed_hosts="testserver"), store),
        store,
        datetime.now(UTC),
    )
    for start in ("SE1", "SE1 7", "se17"):
        response = _find(client, family="zed", postcode=start)
        assert response.status_code == 303, start  # type: ignore[attr-defined]
    listed = _find(client, family="zed")
    assert listed.status_code == 200  # type: ignore[attr-defined]
    assert "Hidden Row" not in listed.text and "SE1 7AA" not in listed.text  # type: ignore[attr-defined]
