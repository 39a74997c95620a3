"""The demo's users: one of every role, at synthetic organisations chosen because they hold
records of the demo's people, all with one password and one second factor, printed once."""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyotp
from rich.console import Console
from rich.table import Table

from carerecord import nhs_number
from carerecord.access.actors import User
from carerecord.access.admin_records import ISSUER, Operator, new_password_text
from carerecord.access.administration import Administration
from carerecord.access.gate import RecordAccess
from carerecord.access.rules import load_rules
from carerecord.access.sign_in import hash_password, new_totp_secret
from carerecord.access.vocabulary import Role
from carerecord.fhir.extract import listed
from carerecord.nhs_number import SYSTEM as NHS_SYSTEM
from carerecord.settings import Settings
from carerecord.store import Store

LOOPBACK = ("127.0.0.0/8", "::1/128")
EXAMPLES = 3  # NHS numbers printed for each user who opens records
RECHECKED = 200  # people sampled, on a later start, for each demo user's examples


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    org_type: str  # the kind of organisation they work at
    name: str
    job: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("gp-clinician", Role.CLINICIAN, "gp", "Dr Amara Okafor", "GP"),
    DemoUser("ae-clinician", Role.CLINICIAN, "acute", "Dr Tomasz Nowak", "A&E doctor"),
    DemoUser("social-worker", Role.CARE_PROFESSIONAL, "social-care", "Priya Shah", "social worker"),
    DemoUser("care-home-worker", Role.CARE_HOME, "care-home", "Grace Mensah", "senior carer"),
    DemoUser("admin-clerk", Role.ADMIN_CLERICAL, "gp", "Sam Clarke", "GP receptionist"),
    DemoUser("ig-officer", Role.IG_OFFICER, "acute", "Helen Wright", "IG lead"),
    DemoUser("system-admin", Role.SYSTEM_ADMIN, "acute", "Leo Fischer", "carerecord admin"),
)


@dataclass(frozen=True)
class DemoLogins:
    password: str
    totp_secret: str
    examples: Mapping[str, tuple[str, ...]]  # username -> NHS numbers they can open
    organisations: Mapping[str, str]  # username -> ODS code


def held_people(fhir: Path) -> dict[str, list[str]]:
    """Each source's people, by the NHS numbers on its Patient resources, in file order."""
    found: dict[str, list[str]] = {}
    for path in sorted(fhir.glob("*.ndjson")):
        numbers = found.setdefault(path.stem, [])
        for line in path.read_bytes().splitlines():
            if b'"Patient"' not in line:
                continue
            resource = orjson.loads(line)
            if resource.get("resourceType") != "Patient":
                continue
            for identifier in listed(resource.get("identifier")):
                if identifier.get("system") == NHS_SYSTEM and identifier.get("value"):
                    numbers.append(identifier["value"])
    return found


def choose_organisations(
    entries: Sequence[Mapping[str, Any]], people: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """For each kind of organisation a demo user works at: the one holding most people
    (ties to the lower ODS code), so the demo's users meet real records."""
    chosen: dict[str, str] = {}
    for kind in {user.org_type for user in DEMO_USERS}:
        codes = sorted(str(e["ods_code"]) for e in entries if e["type"] == kind)
        chosen[kind] = max(codes, key=lambda code: (len(people.get(code, ())), -codes.index(code)))
    return chosen


def add_demo_users(
    store: Store,
    settings: Settings,
    entries: Sequence[Mapping[str, Any]],
    people: Mapping[str, Sequence[str]],
) -> DemoLogins:
    """Registers loopback networks for every organisation listed and adds the demo users,
    trained today, with one new password and second-factor secret."""
    now = datetime.now(UTC)
    admin = Administration(store, settings, Operator(getpass.getuser()), now)
    for entry in entries:
        held = admin.organisation(str(entry["ods_code"])).networks
        admin.set_networks(str(entry["ods_code"]), [*held, *LOOPBACK])
    password, secret = new_password_text(), new_totp_secret()
    hashed = hash_password(password)
    chosen = choose_organisations(entries, people)
    organisations = {}
    for user in DEMO_USERS:
        ods = chosen[user.org_type]
        admin.add_user(
            user.username,
            ods,
            user.role.value,
            user.name,
            "today",
            password,
            secret,
            password_hash=hashed,
        )
        organisations[user.username] = ods
    examples = {
        name: openable(store, settings, name, people.get(ods, ()))
        for name, ods in organisations.items()
    }
    return DemoLogins(password, secret, examples, organisations)


def openable(
    store: Store, settings: Settings, username: str, candidates: Iterable[str]
) -> tuple[str, ...]:
    """The first few of these people whose record the user may open, as the policy decides
    (without opening them: nothing is read, nothing audited)."""
    account = store.accounts.user_by_name(username)
    if account is None:
        return ()
    rules = load_rules(Path(settings.access_rules) if settings.access_rules else None)
    if not rules.for_role(Role(account.role)).records:
        return ()
    user = User(
        id=account.id,
        username=account.username,
        name=account.display_name or account.username,
        org_ods=account.org_ods,
        role=Role(account.role),
        trained_at=account.trained_at,
        assurance="AAL2",
        session_hash="",
        csrf_token="",
        stepped_up_at=None,
    )
    reader = RecordAccess(store, user, rules, datetime.now(UTC), "127.0.0.1")
    found: list[str] = []
    for number in candidates:
        patient_id = store.patient_id_for_nhs_number(number)
        if patient_id is not None and number not in found and reader.grant(patient_id).allowed:
            found.append(number)
            if len(found) == EXAMPLES:
                break
    return tuple(found)


def print_logins(logins: DemoLogins, address: str, console: Console) -> None:
    code = pyotp.TOTP(logins.totp_secret).now()
    uri = pyotp.TOTP(logins.totp_secret).provisioning_uri(name="demo", issuer_name=ISSUER)
    console.print(f"\nDemo sign-in at {address}sign-in — every demo user has:", highlight=False)
    console.print(f"  password:             {logins.password}", highlight=False)
    console.print(f"  authenticator secret: {logins.totp_secret}", highlight=False)
    console.print(f"  (for an authenticator app: {uri})", highlight=False)
    console.print(
        f"  security code now:    {code} (it changes every 30 seconds; each code signs a "
        "user in once)",
        highlight=False,
    )
    console.print(
        "  no authenticator app? a fresh code at any time: "
        f"python -c \"import pyotp; print(pyotp.TOTP('{logins.totp_secret}').now())\"",
        highlight=False,
    )
    table = Table("Username", "Role", "At", "NHS numbers to try")
    for user in DEMO_USERS:
        numbers = logins.examples.get(user.username, ())
        table.add_row(
            user.username,
            f"{user.job} ({user.role.value})",
            logins.organisations.get(user.username, ""),
            ", ".join(nhs_number.formatted(n) for n in numbers) or _no_records(user.role),
        )
    console.print(table)
    console.print(
        "These are printed once, when the demo database is first seeded "
        "(`carerecord user reset USERNAME` sets new ones).",
        highlight=False,
    )


def _no_records(role: Role) -> str:
    if role is Role.SYSTEM_ADMIN:
        return "none: administers users and organisations (Administration, in the header)"
    if role is Role.IG_OFFICER:
        return "none: this role does not open records"
    return "none found among the demo's people"


def print_existing(store: Store, settings: Settings, address: str, console: Console) -> None:
    """A database seeded before: its demo users (their password was printed then), and a
    few people each can open."""
    candidates = store.sample_nhs_numbers(RECHECKED)
    table = Table("Username", "Role", "At", "NHS numbers to try")
    for user in DEMO_USERS:
        account = store.accounts.user_by_name(user.username)
        if account is None:
            continue
        numbers = openable(store, settings, user.username, candidates)
        shown = ", ".join(nhs_number.formatted(n) for n in numbers)
        role = Role(account.role)
        table.add_row(user.username, role.value, account.org_ods, shown or _no_records(role))
    if not table.row_count:
        console.print("this database has no demo users: add users with `carerecord user add`")
        return
    console.print(f"Demo sign-in at {address}sign-in:", highlight=False)
    console.print(table)
    console.print(
        "The demo users' password and authenticator secret were printed when this database "
        "was first seeded; `carerecord user reset USERNAME` sets new ones.",
        highlight=False,
    )
