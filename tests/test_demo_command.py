"""`carerecord demo`'s seeding: a user of every role at organisations holding the demo's
people, signed in with the password and code it prints, opening the records it names."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pyotp
from rich.console import Console

from carerecord import nhs_number
from carerecord.access.vocabulary import Role
from carerecord.app import create_app
from carerecord.commands.demo import prepare
from carerecord.commands.demo_users import DEMO_USERS, LOOPBACK
from carerecord.settings import Settings
from carerecord.store import Store
from tests.support.signing_in import browser, form_token, sign_in

PATIENTS = 40  # few, but enough that the GP and the hospital chosen can open several records


def prepared(store: Store, db_url: str) -> str:
    """What `carerecord demo` prints before it starts serving."""
    out = io.StringIO()
    prepare(store, Settings(db=db_url), PATIENTS, 1, Console(file=out, width=250))
    return out.getvalue()


def printed(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not printed in:\n{text}"
    return found.group(1)


def examples_for(username: str, text: str) -> list[str]:
    """The NHS numbers printed on the user's row."""
    row = printed(rf"(│ {re.escape(username)} .*)", text)
    return [n.replace(" ", "") for n in re.findall(r"\b999 \d{3} \d{4}\b", row)]


def org_types(store: Store) -> dict[str, str]:
    types = {org.ods_code: org.org_type for org in store.organisations()}
    return {a.username: types[a.org_ods] for a in store.accounts.list_users()}


def test_seeding_adds_users_who_sign_in_as_printed_and_open_the_records_named(
    store: Store, db_url: str
) -> None:
    first = prepared(store, db_url)

    accounts = store.accounts.list_users()
    assert {a.username for a in accounts} == {user.username for user in DEMO_USERS}
    assert {Role(a.role) for a in accounts} == set(Role)
    assert all(a.trained_at is not None and a.totp_secret for a in accounts)
    types = org_types(store)
    assert (types["gp-clinician"], types["ae-clinician"]) == ("gp", "acute")
    assert (types["care-home-worker"], types["social-worker"]) == ("care-home", "social-care")
    for org in store.organisations():
        assert store.accounts.networks(org.ods_code) == sorted(LOOPBACK), org.ods_code

    password = printed(r"password:\s+(\S+)", first)
    secret = printed(r"authenticator secret:\s+([A-Z2-7]+)", first)
    now = datetime.now(UTC)
    totp = pyotp.TOTP(secret)
    printed_code = printed(r"security code now:\s+(\d{6})", first)
    assert printed_code in {totp.at(now - timedelta(seconds=ago)) for ago in (0, 30, 60)}
    numbers = examples_for("gp-clinician", first)
    assert numbers and examples_for("ae-clinician", first)

    client = browser(create_app(Settings(db=db_url, allowed_hosts="testserver"), store))
    assert sign_in(client, "gp-clinician", password, secret, now)
    token = form_token(client.get("/").text)
    found = client.post("/find", data={"nhs_no": numbers[0], "csrf_token": token})
    assert found.status_code == 303, found.text
    summary = client.get(found.headers["location"])
    assert summary.status_code == 200
    assert 'data-testid="patient-banner"' in summary.text
    assert nhs_number.formatted(numbers[0]) in summary.text
    assert "Allergies" in summary.text  # the record itself, not only who the person is

    again = prepared(store, db_url)  # a later start: nothing seeded, no password printed

    assert "using the existing demo database" in again
    assert password not in again and secret not in again
    assert len(store.accounts.list_users()) == len(DEMO_USERS)
    assert examples_for("gp-clinician", again)
