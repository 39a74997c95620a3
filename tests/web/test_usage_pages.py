"""The usage pages over HTTP, on SQLite and PostgreSQL: only system administrators find them;
the figures as charts with tables, the CSV downloads with small numbers left out, no patient
anywhere, every look and download audited, and bad months refused on the form."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.staff import StaffClient, add_staff
from tests.support.usage_log import NHS_NUMBER, PATIENT_ID, PATIENT_NAME, plant
from tests.web.conftest import NOW

ADMIN = "sys-admin"
HEADER = ["figure", "month", "dimension", "value", "suppressed"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plant_usage(store: Store) -> None:
    """April: five staff of Kallar Lodge (VM101) and one of VM102, two GP staff; June: one GP."""
    for user in range(1, 6):
        plant(store, at(f"2026-04-0{user}T10:00"), user=user, org="VM101",
              org_type="care-home", page="medications")  # fmt: skip
    plant(store, at("2026-04-09T10:00"), user=6, org="VM102", org_type="care-home")
    plant(store, at("2026-04-10T10:00"), user=7, page="results")
    plant(store, at("2026-04-11T10:00"), "search-nhs-number", user=8, page=None)
    plant(store, at("2026-06-30T23:30"), user=7, region="North East London")  # 1 July BST
    plant(store, at("2026-04-12T10:00"), user=9, outcome="refused")


@pytest.fixture
def app(store: Store) -> Any:
    register(
        store,
        make_org("F83004", "gp"),
        make_org("RAL01", "acute"),
        make_org("VM101", "care-home"),
        make_org("VM102", "care-home", name="Rosemary House"),
    )
    add_staff(store, ADMIN, "RAL01", "system-admin", None, NOW)
    add_staff(store, "gp-clinician", "F83004", "clinician", NOW - timedelta(days=30), NOW)
    add_staff(store, "ig-lead", "RAL01", "ig-officer", NOW - timedelta(days=30), NOW)
    add_staff(store, "carer", "VM101", "care-home", NOW - timedelta(days=30), NOW)
    plant_usage(store)
    application = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    application.state.web_clock = lambda: NOW
    return application


@pytest.fixture
def admin(app: Any, store: Store) -> Iterator[StaffClient]:
    with StaffClient(app, store, ADMIN, NOW, follow_redirects=False) as client:
        yield client


def table(html: str, figure: str) -> list[list[str]]:
    """A figure's table as rows of cell texts, the header row first."""
    found = re.search(rf'<table[^>]*data-table="{figure}".*?</table>', html, re.S)
    assert found, f"no table for {figure}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("username", ["gp-clinician", "ig-lead", "carer"])
def test_anyone_but_a_system_administrator_finds_nothing(
    app: Any, store: Store, username: str
) -> None:
    with StaffClient(app, store, username, NOW, follow_redirects=False) as client:
        for path in ("/usage", "/usage?from=01/2026", "/usage.csv?figure=views-by-page"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
    assert audit_entries(store, "usage-view") == audit_entries(store, "usage-export") == []


def test_signed_out_is_sent_to_sign_in(app: Any) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = client.get("/usage")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_the_page_shows_each_figure_as_a_chart_and_a_table(admin: StaffClient) -> None:
    response = admin.get("/usage")
    assert response.status_code == 200
    html = response.text
    assert "Figures from Nov-2025 to Oct-2026" in html
    assert len(re.findall(r'<svg class="cr-chart__svg" role="img"', html)) == 5
    assert html.count("<table") == 5
    by_type = table(html, "active-users-by-org-type")
    assert by_type[0] == ["Month", "Care home", "GP practice"]
    assert ["Apr-2026", "6", "2"] in by_type
    assert ["Jul-2026", "0", "1"] in by_type
    assert len(by_type) == 1 + 12  # every month of the range, quiet ones too
    assert table(html, "active-users-by-region")[0] == [
        "Month", "North Central London", "North East London",
    ]  # fmt: skip
    assert table(html, "views-by-page") == [
        ["Part of the record", "Views"],
        ["Medications", "5"],
        ["Overview", "2"],
        ["Results", "1"],
    ]
    assert ["Apr-2026", "6"] in table(html, "care-home-views")
    assert table(html, "care-home-views-by-organisation") == [
        ["Organisation code", "Views"],
        ["Kallar Lodge (VM101)", "5"],
        ["Rosemary House (VM102)", "1"],
    ]


def test_each_chart_is_described_and_labelled(admin: StaffClient) -> None:
    html = admin.get("/usage").text
    for name in ("active-users-by-org-type", "views-by-page"):
        svg = re.search(
            rf'<svg[^>]*aria-labelledby="{name}-chart-title" '
            rf'aria-describedby="{name}-chart-desc".*?</svg>',
            html,
            re.S,
        )
        assert svg, name
        assert f'<title id="{name}-chart-title">' in svg.group(0)
        assert f'<desc id="{name}-chart-desc">' in svg.group(0)
    assert "Medications: 5 views" in html
    assert ' style="' not in html and "<script>" not in html


def test_a_range_of_months_is_chosen_on_the_form(admin: StaffClient, store: Store) -> None:
    response = admin.get("/usage", params={"from": "April 2026", "to": "05/2026"})
    assert response.status_code == 200
    html = response.text
    assert "Figures from Apr-2026 to May-2026" in html
    assert table(html, "active-users-by-org-type")[1:] == [
        ["Apr-2026", "6", "2"], ["May-2026", "0", "0"],
    ]  # fmt: skip
    assert 'value="April 2026"' in html
    assert audit_entries(store, "usage-view")[-1].detail == {"from": "2026-04", "to": "2026-05"}
    assert audit_entries(store, "usage-view")[-1].actor == ADMIN


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "13/2026"}, "from", "Enter a real month and year"),
        ({"from": "next spring"}, "from", "Enter a real month and year"),
        ({"to": "2026-11"}, "to", "the last month can be 10/2026 at the latest"),
        ({"from": "06/2026", "to": "05/2026"}, "from", "must be before or the same as the last"),
        ({"from": "01/2023", "to": "10/2026"}, "from", "choose at most 36 months"),
    ],
)
def test_bad_months_are_refused_on_the_form(
    admin: StaffClient, store: Store, params: dict[str, str], field: str, message: str
) -> None:
    response = admin.get("/usage", params=params)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert f'href="#{field}"' in response.text
    assert message in response.text
    assert "cr-chart__svg" not in response.text
    assert audit_entries(store, "usage-view") == []


def test_the_csv_holds_one_figure_month_by_month(admin: StaffClient, store: Store) -> None:
    response = admin.get(
        "/usage.csv", params={"figure": "care-home-views-by-organisation", "from": "04/2026"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert (
        "usage-care-home-views-by-organisation-2026-04-to-2026-10.csv"
        in (response.headers["content-disposition"])
    )
    assert response.text.endswith("\r\n")
    assert read_csv(response.text) == [
        HEADER,
        ["care-home-views-by-organisation", "2026-04", "VM101", "5", ""],
        ["care-home-views-by-organisation", "2026-04", "VM102", "", "fewer than 5 staff"],
    ]
    exported = audit_entries(store, "usage-export")
    assert exported[-1].detail == {
        "figure": "care-home-views-by-organisation",
        "from": "2026-04",
        "to": "2026-10",
        "rows": 2,
        "suppressed": 1,
    }


def test_every_figure_downloads_with_the_same_columns(admin: StaffClient) -> None:
    for name in (
        "active-users-by-org-type",
        "active-users-by-region",
        "views-by-page",
        "care-home-views",
        "care-home-views-by-organisation",
    ):
        rows = read_csv(admin.get("/usage.csv", params={"figure": name}).text)
        assert rows[0] == HEADER
        assert len(rows) > 1 and all(row[0] == name and len(row) == 5 for row in rows[1:])
        assert all(re.fullmatch(r"\d{4}-\d{2}", row[1]) for row in rows[1:])
        assert all(row[3].isdigit() or row[4] for row in rows[1:])


def test_suppression_follows_the_setting(store: Store, app: Any) -> None:
    unsuppressed = create_app(
        Settings(db="unused://", allowed_hosts="testserver", usage_suppress_below=0), store
    )
    unsuppressed.state.web_clock = lambda: NOW
    with StaffClient(unsuppressed, store, ADMIN, NOW) as client:
        text = client.get("/usage.csv", params={"figure": "views-by-page"}).text
    assert read_csv(text)[1:] == [
        ["views-by-page", "2026-04", "medications", "5", ""],
        ["views-by-page", "2026-04", "overview", "1", ""],
        ["views-by-page", "2026-04", "results", "1", ""],
        ["views-by-page", "2026-07", "overview", "1", ""],
    ]


def test_an_unknown_figure_is_refused_on_the_page(admin: StaffClient, store: Store) -> None:
    response = admin.get("/usage.csv", params={"figure": "patients"})
    assert response.status_code == 422
    assert "Choose one of the figures" in response.text
    assert 'href="#figure"' in response.text and 'id="figure"' in response.text
    assert audit_entries(store, "usage-export") == []


def test_no_patient_appears_in_the_page_or_any_download(admin: StaffClient) -> None:
    held = [admin.get("/usage").text]
    for name in ("active-users-by-org-type", "views-by-page", "care-home-views-by-organisation"):
        held.append(admin.get("/usage.csv", params={"figure": name}).text)
    spaced = f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}"
    for text in held:
        for secret in (PATIENT_ID, NHS_NUMBER, spaced, PATIENT_NAME, "SMITHERSON"):
            assert secret not in text


def test_a_value_a_spreadsheet_would_run_is_written_as_text(
    admin: StaffClient, store: Store
) -> None:
    plant(store, at("2026-05-05T10:00"), user=11, region="=HYPERLINK(1)")
    rows = read_csv(admin.get("/usage.csv", params={"figure": "active-users-by-region"}).text)
    assert ["active-users-by-region", "2026-05", "'=HYPERLINK(1)", "", "fewer than 5 staff"] in rows
