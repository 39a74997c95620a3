"""The administration pages over HTTP, on SQLite and PostgreSQL: only system administrators
find them; every change is made through a form with its token, and bad values change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.signing_in import browser, sign_in
from tests.support.staff import PASSWORD, TOTP_SECRET, StaffClient, add_staff, session_for
from tests.web.conftest import NOW
from tests.web.seed import JANE, seed

ADMIN = "sys-admin"
CLINICIAN = "gp-clinician"
TRAINED = NOW - timedelta(days=30)


@pytest.fixture
def app(store: Store) -> Any:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    add_staff(store, ADMIN, "RAL01", "system-admin", None, NOW)
    add_staff(store, CLINICIAN, "F83004", "clinician", TRAINED, NOW)
    add_staff(store, "ig-lead", "RAL01", "ig-officer", TRAINED, NOW)
    application = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    application.state.web_clock = lambda: NOW
    return application


@pytest.fixture
def admin(app: Any, store: Store) -> Iterator[StaffClient]:
    with StaffClient(app, store, ADMIN, NOW, follow_redirects=False) as client:
        yield client


def as_user(app: Any, store: Store, username: str) -> StaffClient:
    return StaffClient(app, store, username, NOW, follow_redirects=False)


def user_id(store: Store, username: str) -> int:
    account = store.accounts.user_by_name(username)
    assert account is not None
    return account.id


def audit_actions(store: Store) -> list[tuple[str, str]]:
    return [(entry.actor, entry.action) for entry in audit_entries(store)]


def shown(html: str, role: str) -> str:
    found = re.search(rf'data-role="{role}"[^>]*>(.*?)</', html, re.S)
    assert found, f"nothing marked {role}"
    return found.group(1).strip()


# Who finds the pages
@pytest.mark.parametrize("username", [CLINICIAN, "ig-lead"])
def test_anyone_but_a_system_administrator_finds_nothing_here(
    app: Any, store: Store, username: str
) -> None:
    target = user_id(store, CLINICIAN)
    before = audit_actions(store)
    with as_user(app, store, username) as client:
        for path in ("/admin", "/admin/users", f"/admin/users/{target}", "/admin/organisations"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        for path in (f"/admin/users/{target}/disable", "/admin/emergency-periods"):
            assert client.post(path, data={"starts": "2026-10-02"}).status_code == 404
        assert client.post("/admin/users/1/reset", data={"csrf_token": "x"}).status_code == 404
    assert store.accounts.user(target).disabled is False  # type: ignore[union-attr]
    assert store.consent.copi_periods() == []
    assert audit_actions(store) == before


def test_signed_out_visitors_are_asked_to_sign_in(app: Any) -> None:
    response = browser(app).get("/admin/users")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/admin/users"


def test_administrators_too_must_be_on_their_organisations_network(
    admin: StaffClient, store: Store
) -> None:
    store.accounts.set_networks("RAL01", ["10.0.0.0/8"])
    response = admin.get("/admin/users")
    assert response.status_code == 403
    assert "not on a network registered for your organisation" in response.text


def test_the_header_links_administrators_to_the_pages(admin: StaffClient) -> None:
    page = admin.get("/")
    assert 'href="/admin"' in page.text
    assert admin.get("/admin").status_code == 200


def test_administrators_see_no_clinical_data(
    admin: StaffClient, store: Store, tmp_path: Path
) -> None:
    seed(store, tmp_path)  # the standard people, Jane among them
    found = admin.post("/find", data={"nhs_no": JANE})
    assert found.status_code == 200
    assert "No record found" in found.text


# Users
def test_the_user_list_shows_roles_and_states_but_no_secrets(admin: StaffClient) -> None:
    page = admin.get("/admin/users")
    assert page.status_code == 200
    row = re.search(r'data-username="gp-clinician".*?</tr>', page.text, re.S)
    assert row is not None
    assert "Clinician" in row.group(0) and "F83004" in row.group(0) and "Active" in row.group(0)
    assert TOTP_SECRET not in page.text and "argon2" not in page.text


def test_adding_a_user_shows_their_password_and_secret_once_and_they_can_sign_in(
    app: Any, admin: StaffClient, store: Store
) -> None:
    form = {
        "username": "a.okafor",
        "name": "Dr Amara Okafor",
        "org": "F83004",
        "role": "clinician",
        "trained": "15-Sep-2026",
    }
    page = admin.post("/admin/users", data=form)

    assert page.status_code == 200, page.text
    password, secret = shown(page.text, "password"), shown(page.text, "totp-secret")
    assert len(password) >= 12 and len(secret) == 32
    assert "otpauth://totp/carerecord:a.okafor?secret=" + secret in page.text
    account = store.accounts.user_by_name("a.okafor")
    assert account is not None and account.role == "clinician"
    assert account.display_name == "Dr Amara Okafor" and account.trained_at is not None
    assert secret not in admin.get(f"/admin/users/{account.id}").text
    assert sign_in(browser(app), "a.okafor", password, secret, NOW)
    assert (ADMIN, "user-add") in audit_actions(store)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("username", "amara okafor", "no spaces"),
        ("username", "x" * 5000, "at most 100 characters"),
        ("username", CLINICIAN, "is taken"),
        ("org", "ZZZ99", "No organisation &#39;ZZZ99&#39; is registered"),
        ("org", "", "Choose the user&#39;s organisation"),
        ("role", "superuser", "Choose a role"),
        ("trained", "31-Feb-2026", "real date"),
        ("trained", "2027-01-01", "cannot be in the future"),
        ("name", "x" * 201, "at most 200 characters"),
    ],
)
def test_a_bad_value_is_a_form_error_and_nobody_is_added(
    admin: StaffClient, store: Store, field: str, value: str, problem: str
) -> None:
    before, audited = len(store.accounts.list_users()), audit_actions(store)
    form = {"username": "new.user", "name": "", "org": "F83004", "role": "clinician"}
    page = admin.post("/admin/users", data={**form, field: value})

    assert page.status_code == 422
    assert problem in page.text and "There is a problem" in page.text
    assert len(store.accounts.list_users()) == before
    assert audit_actions(store) == audited


def test_reset_gives_new_credentials_and_ends_the_users_sessions(
    app: Any, admin: StaffClient, store: Store
) -> None:
    target = user_id(store, CLINICIAN)
    with as_user(app, store, CLINICIAN) as clinician:
        assert clinician.get("/").status_code == 200
        page = admin.post(f"/admin/users/{target}/reset", data={})
        assert page.status_code == 200
        assert clinician.get("/").headers["location"] == "/sign-in?next=/"
    password, secret = shown(page.text, "password"), shown(page.text, "totp-secret")
    assert not sign_in(browser(app), CLINICIAN, PASSWORD, TOTP_SECRET, NOW)
    assert sign_in(browser(app), CLINICIAN, password, secret, NOW)
    assert (ADMIN, "user-reset") in audit_actions(store)


def test_ending_a_users_sessions_sends_their_next_request_to_sign_in(
    app: Any, admin: StaffClient, store: Store
) -> None:
    target = user_id(store, CLINICIAN)
    with as_user(app, store, CLINICIAN) as clinician:
        assert clinician.get("/").status_code == 200
        assert shown(admin.get(f"/admin/users/{target}").text, "sessions") == "1"

        done = admin.post(f"/admin/users/{target}/end-sessions", data={})

        assert done.status_code == 303
        page = admin.get(done.headers["location"])
        assert "Every session of this user has ended" in page.text
        assert shown(page.text, "sessions") == "0"
        response = clinician.get("/")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")
    assert (ADMIN, "end-sessions") in audit_actions(store)


def test_disabling_ends_sessions_and_refuses_sign_in_until_enabled(
    app: Any, admin: StaffClient, store: Store
) -> None:
    target = user_id(store, CLINICIAN)
    with as_user(app, store, CLINICIAN) as clinician:
        admin.post(f"/admin/users/{target}/disable", data={})
        assert clinician.get("/").status_code == 303
    assert "Disabled" in shown(admin.get(f"/admin/users/{target}").text, "state")
    assert not sign_in(browser(app), CLINICIAN, PASSWORD, TOTP_SECRET, NOW)

    admin.post(f"/admin/users/{target}/enable", data={})
    assert sign_in(browser(app), CLINICIAN, PASSWORD, TOTP_SECRET, NOW)


def test_administrators_cannot_disable_or_reset_themselves(
    admin: StaffClient, store: Store
) -> None:
    me = user_id(store, ADMIN)
    for action in ("disable", "reset"):
        page = admin.post(f"/admin/users/{me}/{action}", data={})
        assert page.status_code == 422
        assert "You cannot" in page.text
    account = store.accounts.user(me)
    assert account is not None and not account.disabled and account.totp_secret == TOTP_SECRET


def test_unlocking_a_locked_account(admin: StaffClient, store: Store) -> None:
    target = user_id(store, CLINICIAN)
    store.accounts.record_failure(target, 1, NOW + timedelta(minutes=15))
    assert "Locked" in shown(admin.get(f"/admin/users/{target}").text, "state")

    done = admin.post(f"/admin/users/{target}/unlock", data={})

    page = admin.get(done.headers["location"])
    assert "The account is unlocked" in page.text and "Active" in shown(page.text, "state")


def test_recording_training_and_refusing_a_date_that_is_not_one(
    admin: StaffClient, store: Store
) -> None:
    target = user_id(store, ADMIN)
    refused = admin.post(f"/admin/users/{target}/train", data={"trained": "yesterday-ish"})
    assert refused.status_code == 422
    assert store.accounts.user(target).trained_at is None  # type: ignore[union-attr]

    done = admin.post(f"/admin/users/{target}/train", data={"trained": "2026-09-20"})

    assert shown(admin.get(done.headers["location"]).text, "trained") == "20-Sep-2026"


def test_an_unknown_user_is_not_found(admin: StaffClient) -> None:
    for path in ("/admin/users/99999", "/admin/users/abc", "/admin/users/" + "9" * 40):
        assert admin.get(path).status_code == 404


# Organisations
def test_the_organisation_list_shows_type_region_status_and_networks(admin: StaffClient) -> None:
    page = admin.get("/admin/organisations")
    row = re.search(r'data-ods="F83004".*?</tr>', page.text, re.S)
    assert row is not None
    for text in ("GP practice", "North Central London", "Live", "127.0.0.0/8"):
        assert text in row.group(0)


def test_changing_an_organisations_rollout_status(admin: StaffClient, store: Store) -> None:
    assert admin.post("/admin/organisations/F83004/status", data={"status": "x"}).status_code == 422
    assert store.organisation("F83004").status == "live"  # type: ignore[union-attr]

    done = admin.post("/admin/organisations/F83004/status", data={"status": "onboarding"})

    assert done.status_code == 303
    assert store.organisation("F83004").status == "onboarding"  # type: ignore[union-attr]
    assert (ADMIN, "org-status") in audit_actions(store)


def test_an_administrator_cannot_shut_out_their_own_organisation(
    admin: StaffClient, store: Store
) -> None:
    own = "/admin/organisations/RAL01"
    assert admin.post(f"{own}/status", data={"status": "onboarding"}).status_code == 422
    assert admin.post(f"{own}/networks", data={"networks": "10.0.0.0/8"}).status_code == 422
    assert store.organisation("RAL01").status == "live"  # type: ignore[union-attr]
    assert store.accounts.networks("RAL01") == ["127.0.0.0/8", "::1/128"]


@pytest.mark.parametrize(
    ("networks", "problem"),
    [
        ("10.0.0.0/8\nnot-a-network", "is not a network"),
        ("0.0.0.0/0", "lets every address in"),
        ("::/0", "lets every address in"),
        ("\n".join(f"10.0.{i}.0/24" for i in range(51)), "At most 50"),
    ],
)
def test_bad_networks_are_a_form_error_and_change_nothing(
    admin: StaffClient, store: Store, networks: str, problem: str
) -> None:
    page = admin.post("/admin/organisations/F83004/networks", data={"networks": networks})
    assert page.status_code == 422
    assert problem in page.text
    assert store.accounts.networks("F83004") == ["127.0.0.0/8", "::1/128"]


def test_saving_networks_normalises_them(admin: StaffClient, store: Store) -> None:
    form = {"networks": " 10.20.30.40/16 \n192.168.1.7\n\n2001:db8::1/32\n"}
    done = admin.post("/admin/organisations/F83004/networks", data=form)
    assert done.status_code == 303
    assert store.accounts.networks("F83004") == ["10.20.0.0/16", "192.168.1.7/32", "2001:db8::/32"]
    assert admin.get("/admin/organisations/ZZZ99").status_code == 404


# National-emergency periods
def test_declaring_and_cancelling_a_national_emergency_period(
    admin: StaffClient, store: Store
) -> None:
    form = {"starts": "2026-10-01 09:00", "ends": "2026-12-31 17:00", "reason": "COPI notice"}
    done = admin.post("/admin/emergency-periods", data=form)
    assert done.status_code == 303
    [period] = store.consent.copi_periods()
    assert period.declared_by == ADMIN and period.reason == "COPI notice"
    page = admin.get(done.headers["location"])
    assert "01-Oct-2026 09:00" in page.text and shown(page.text, "state") == "In force"

    cancelled = admin.post(f"/admin/emergency-periods/{period.id}/cancel", data={})

    assert cancelled.status_code == 303
    assert shown(admin.get("/admin/emergency-periods").text, "state") == "Cancelled"
    again = admin.post(f"/admin/emergency-periods/{period.id}/cancel", data={})
    assert again.status_code == 422 and "already cancelled" in again.text
    assert admin.post("/admin/emergency-periods/999/cancel", data={}).status_code == 404
    assert [a for _, a in audit_actions(store) if a.startswith("copi")] == [
        "copi-declare",
        "copi-cancel",
    ]


@pytest.mark.parametrize(
    ("starts", "ends", "reason", "problem"),
    [
        ("2026-10-05", "2026-10-02", "notice", "must end after it starts"),
        ("2026-10-01", "2027-10-03", "notice", "at most 366 days"),
        ("2026-09-01", "2026-09-30", "notice", "already ended"),
        ("soon", "2026-10-02", "notice", "as a date and time"),
        ("2026-10-01", "2026-10-02", "", "Say why"),
        ("2026-10-01", "2026-10-02", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_a_bad_period_is_a_form_error_and_nothing_is_declared(
    admin: StaffClient, store: Store, starts: str, ends: str, reason: str, problem: str
) -> None:
    form = {"starts": starts, "ends": ends, "reason": reason}
    page = admin.post("/admin/emergency-periods", data=form)
    assert page.status_code == 422
    assert problem in page.text
    assert store.consent.copi_periods() == []


# Form tokens
@pytest.mark.parametrize("token", [None, "", "not-the-sessions-token"])
def test_a_form_without_the_sessions_token_is_refused_and_changes_nothing(
    app: Any, store: Store, token: str | None
) -> None:
    target = user_id(store, CLINICIAN)
    client = TestClient(app, base_url="https://testserver", client=("127.0.0.1", 50000))
    cookie, _ = session_for(store, ADMIN, NOW)
    client.cookies.set("carerecord_session", cookie)
    data = {} if token is None else {"csrf_token": token}

    response = client.post(f"/admin/users/{target}/disable", data=data)

    assert response.status_code == 403
    assert store.accounts.user(target).disabled is False  # type: ignore[union-attr]
