"""RecordAccess: the only way pages (and later the FHIR API) read patient data. Built per
request for one actor; the policy decides from what the record holds about the person's
relation to the user before anything clinical is loaded, so a forgotten check cannot leak."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from carerecord import nhs_number
from carerecord.access import relationships
from carerecord.access.actors import Actor, User
from carerecord.access.masking import NameMask, practice_displays
from carerecord.access.objections import ObjectionDesk
from carerecord.access.policy import Circumstances, Grant, PatientFacts, decide
from carerecord.access.registry import AccessRegistry
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import OverrideKind, Purpose, Redaction
from carerecord.audit.entry import AuditRecord
from carerecord.errors import AccessRefused, PatientNotFound, RecordWithheld
from carerecord.identity.patients import normalise_name, normalise_postcode
from carerecord.ingest.exclusions import ExclusionList
from carerecord.record.items import Item, item_from
from carerecord.record.markers import BANNER_SECTIONS
from carerecord.record.overview import (
    Demographics,
    PatientOverview,
    any_restricted,
    build_overview,
)
from carerecord.record.sections import RecordView, build_sections
from carerecord.store import Store
from carerecord.store.records import Organisation, SectionTally, StoredResource

# More matches than this and the search must be narrowed: a long list invites the wrong pick.
MAX_MATCHES = 10
WITHHELD_ODS = "WITHHELD"  # stands in for a restricted person's GP practice everywhere
WITHHELD_PRACTICE = Organisation(
    WITHHELD_ODS, "Registered GP practice (withheld)", "gp", "Withheld", "live", ()
)


@dataclass(frozen=True)
class Withheld:
    """A person the user may know of, but whose record they may not open (yet)."""

    demographics: Demographics
    grant: Grant


class RecordAccess:
    def __init__(
        self,
        store: Store,
        actor: Actor | User,
        rules: AccessRules,
        now: datetime,
        client_address: str = "",
        exclusions: ExclusionList | None = None,
        registry: AccessRegistry | None = None,
    ) -> None:
        self._store = store
        self.actor = actor
        self._rules = rules
        self._now = now
        self._client_address = client_address
        self._exclusions = exclusions or ExclusionList()
        # a server passes one registry to every request; without one, read it afresh
        self._registry = registry or AccessRegistry(store, max_age_seconds=0)

    # About the user, whoever the person
    @cached_property
    def circumstances(self) -> Circumstances | None:
        if not isinstance(self.actor, User):
            return None
        org = self._registry.organisation(self.actor.org_ods)
        networks = self._registry.networks(self.actor.org_ods)
        return Circumstances(
            org_status=org.status if org else None,
            org_type=org.org_type if org else "unknown",
            network_allowed=address_allowed(self._client_address, networks),
            copi=self._registry.copi_in_force(self._now),
        )

    def refusal(self) -> Grant | None:
        """Why this user may open no record at all from here, or None."""
        grant = decide(self.actor, self._rules, self.circumstances, None, Purpose.FIND, self._now)
        return grant if grant.refused is not None else None

    def _check_user(self) -> None:
        refusal = self.refusal()
        if refusal is not None:
            raise AccessRefused(refusal.reason)

    # Finding a person: at most who they are
    def find_by_nhs_number(self, number: str) -> str | None:
        """The opaque id of the patient with this NHS number, if the user may know of them."""
        self._check_user()
        digits = nhs_number.normalise(number)
        if not nhs_number.is_valid(digits):
            return None
        patient_id = self._store.patient_id_for_nhs_number(digits)
        if patient_id is None:
            return None
        return patient_id if self.grant(patient_id, Purpose.FIND).found else None

    def find_by_details(
        self, family: str, birth_date: date, postcode: str | None = None
    ) -> list[Demographics]:
        """People any source knows by this surname and date of birth (narrowed by the start of
        a postcode when given), for the user to choose from; at most MAX_MATCHES + 1 of them.
        A restricted person is never found by postcode: that would confirm where they live."""
        self._check_user()
        key = normalise_name(family)
        if key is None:
            return []
        start = normalise_postcode(postcode)
        # every candidate, filtered before the limit: a limit first could let restricted
        # people crowd out others, or make the "too many" count depend on them
        ids = self._store.find_by_details(key, birth_date, start, None)
        organisations = self._store.organisations() if ids else []
        found = []
        for patient_id in ids:
            people = self._store.patient_resources(patient_id, ["demographics"])
            if not people:
                continue
            person = build_overview(patient_id, people, [], organisations).demographics
            if start and person.restricted:
                continue
            grant = self.grant(patient_id, Purpose.FIND)
            if grant.found:
                found.append(_redacted(person, grant))
            if len(found) > MAX_MATCHES:
                break
        return found

    # The decision for one person
    def grant(self, patient_id: str, purpose: Purpose = Purpose.DIRECT_CARE) -> Grant:
        if isinstance(self.actor, User) and self.refusal() is None:
            return self._user_grant(self.actor, patient_id, purpose)
        people = self._store.patient_resources(patient_id, ["demographics"])
        if not people:
            return decide(self.actor, self._rules, self.circumstances, None, purpose, self._now)
        restricted = build_overview(patient_id, people, [], []).demographics.restricted
        facts = PatientFacts(restricted, frozenset(), False)
        return decide(self.actor, self._rules, self.circumstances, facts, purpose, self._now)

    def person(self, patient_id: str) -> Withheld:
        """Who the person is (redacted as the grant says) and the grant, for anyone the user
        may find; nothing clinical. Raises AccessRefused or PatientNotFound."""
        self._check_user()
        grant = self.grant(patient_id)
        if not grant.found:
            raise PatientNotFound(patient_id)
        people = self._store.patient_resources(patient_id, ["demographics"])
        organisations = self._store.organisations()  # who is believed on a death
        person = build_overview(patient_id, people, [], organisations).demographics
        return Withheld(_redacted(person, grant), grant)

    def objections(self) -> ObjectionDesk:
        """Recording and withdrawing people's objections to sharing, as this user."""
        return ObjectionDesk(self, self._store, self._rules, self._now)

    def _user_grant(self, user: User, patient_id: str, purpose: Purpose) -> Grant:
        """A signed-in user's decision from one read of the store (it runs on every page):
        the relationship evidence carries the person's Patient records, which also say
        whether the person is held at all and whether they are restricted."""
        circumstances = self.circumstances
        evidence, declarations, objection = self._store.consent.access_facts(
            patient_id,
            user.id,
            user.org_ods,
            self._now - self._rules.recent,
            self._now,
            user.session_hash,
        )
        if not evidence.patient_bodies:
            return decide(user, self._rules, circumstances, None, purpose, self._now)
        org_type = circumstances.org_type if circumstances else "unknown"
        overrides = [OverrideKind(d.code) for d in declarations if d.kind == "override"]
        declared = relationships.latest_declared(declarations, self._now)
        facts = PatientFacts(
            restricted=any_restricted(evidence.patient_bodies),
            relationships=relationships.derived(evidence, user.org_ods, org_type)
            | relationships.declared(declarations, self._now),
            objection=objection,
            override=overrides[-1] if overrides else None,
            declared=(declared.started_at, declared.expires_at) if declared else None,
        )
        return decide(user, self._rules, circumstances, facts, purpose, self._now)

    # Reading the record
    def overview(self, patient_id: str) -> PatientOverview:
        return self.view(patient_id, []).overview

    def view(
        self, patient_id: str, wanted: Sequence[str], newest: Mapping[str, int] | None = None
    ) -> RecordView:
        """Who the person is, and the wanted sections the grant allows (others are simply
        absent), in one read of the store. The banner's sections (allergies, alerts) always
        come too, so every page of the record can show its markers. `newest` caps a section
        at its newest dated items, for pages that show only the latest (the summary).
        Raises PatientNotFound, or RecordWithheld when the user may see only who they are."""
        self._check_user()
        grant = self.grant(patient_id)
        if not grant.found:
            raise PatientNotFound(patient_id)
        if not grant.allowed:
            people = self._store.patient_resources(patient_id, ["demographics"])
            organisations = self._store.organisations()  # who is believed on a death
            person = build_overview(patient_id, people, [], organisations).demographics
            raise RecordWithheld(Withheld(_identity(person), grant))
        wanted = [*wanted, *(s for s in BANNER_SECTIONS if s not in wanted)]
        allowed = [section for section in wanted if grant.shows(section)]
        rows = self._store.patient_resources(patient_id, sorted({*allowed, "demographics"}), newest)
        rows = self._permitted(rows, grant)
        people = [row for row in rows if row.section == "demographics"]
        if not people:
            raise PatientNotFound(patient_id)
        tallies = self._store.section_tallies(patient_id, sorted(grant.sections))
        organisations = self._store.organisations()
        if Redaction.GP_PRACTICE in grant.redactions:
            rows, tallies, organisations = _mask_practices(rows, tallies, organisations)
            people = [row for row in rows if row.section == "demographics"]
        overview = build_overview(patient_id, people, tallies, organisations)
        new_since = self._note_view(patient_id)
        return RecordView(
            overview=replace(overview, demographics=_redacted(overview.demographics, grant)),
            sections=build_sections(allowed, rows, tallies, organisations, new_since),
            grant=grant,
            new_since=new_since,
            first_view=isinstance(self.actor, User) and new_since is None,
        )

    def item(self, patient_id: str, item_id: int) -> Item:
        """One item of the person's record (a document to open, say), if the grant allows
        its section; anything else, including another person's item, is not found."""
        self._check_user()
        grant = self.grant(patient_id)
        row = self._store.patient_resource(patient_id, item_id) if grant.allowed else None
        if row is None or not grant.shows(row.section) or not self._permitted([row], grant):
            raise PatientNotFound(patient_id)
        organisations = self._store.organisations()
        if Redaction.GP_PRACTICE in grant.redactions:
            people = self._store.patient_resources(patient_id, ["demographics"])
            masked, _, organisations = _mask_practices([row, *people], [], organisations)
            row = masked[0]
        return item_from(row, {org.ods_code: org for org in organisations})

    # Declaring a relationship, or overriding
    def declare(self, patient_id: str, code: str, text: str) -> None:
        user = self._signed_in()
        if code not in self._rules.declared_reasons:
            raise ValueError("choose one of the reasons listed")
        grant = self.grant(patient_id)
        if not grant.found:
            raise PatientNotFound(patient_id)
        self._store.consent.declare(
            user.id,
            patient_id,
            "relationship",
            code,
            text,
            self._now,
            self._now + self._rules.declared,
            None,
            self._event("declare-relationship", patient_id, reason_code=code, reason=text),
        )

    def override(self, patient_id: str, kind: OverrideKind, text: str) -> None:
        user = self._signed_in()
        grant = self.grant(patient_id)
        if not grant.found:
            raise PatientNotFound(patient_id)
        if kind not in grant.may_override or kind is OverrideKind.COPI:
            raise ValueError("your role cannot use this override")
        if not self.stepped_up():
            raise ValueError("confirm it is you with a new one-time code first")
        self._store.consent.declare(
            user.id,
            patient_id,
            "override",
            kind.value,
            text,
            self._now,
            self._now + self._rules.override,
            user.session_hash,
            self._event("override", patient_id, override=kind.value, reason=text),
        )

    def stepped_up(self) -> bool:
        user = self.actor
        return (
            isinstance(user, User)
            and user.stepped_up_at is not None
            and self._now - user.stepped_up_at <= self._rules.step_up
        )

    # Pieces
    def _signed_in(self) -> User:
        self._check_user()
        if not isinstance(self.actor, User):
            raise PatientNotFound("")
        return self.actor

    def _permitted(self, rows: list[StoredResource], grant: Grant) -> list[StoredResource]:
        """Only items of the types the role may see; and, as a second line behind ingest,
        never one whose code is legally restricted."""
        kept = []
        for row in rows:
            types = grant.only_types.get(row.section)  # type: ignore[call-overload]
            if types is not None and row.resource_type not in types:
                continue
            if row.code and self._exclusions.match((f"{row.code_system}|{row.code}",)):
                continue
            kept.append(row)
        return kept

    def _note_view(self, patient_id: str) -> datetime | None:
        user = self.actor
        if not isinstance(user, User):
            return None
        return self._store.consent.note_view(user.id, patient_id, user.session_hash, self._now)

    def _event(self, action: str, patient_id: str, **detail: object) -> AuditRecord:
        user = self._signed_in()
        return AuditRecord(
            user.username,
            action,
            "success",
            {**detail, "organisation": user.org_ods, "role": user.role.value},
            patient_id,
        )


def address_allowed(address: str, networks: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for cidr in networks:
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def _identity(person: Demographics) -> Demographics:
    """Who the person is, and no more: a withheld record names no organisation holding data
    about them (not even their GP practice) and gives no way to reach them."""
    return replace(
        person,
        address=(),
        telecom=(),
        gp_practice=None,
        gp_practice_ods=None,
        source_ods=WITHHELD_ODS,
        source_updated_at=None,
        death_reports=tuple(
            replace(r, source_ods=WITHHELD_ODS, source_name="") for r in person.death_reports
        ),
    )


def _redacted(person: Demographics, grant: Grant) -> Demographics:
    if not grant.redactions:
        return person
    return replace(
        person,
        address=() if Redaction.ADDRESS in grant.redactions else person.address,
        telecom=() if Redaction.TELECOM in grant.redactions else person.telecom,
        gp_practice=None if Redaction.GP_PRACTICE in grant.redactions else person.gp_practice,
        gp_practice_ods=None
        if Redaction.GP_PRACTICE in grant.redactions
        else person.gp_practice_ods,
        restricted=True,
    )


def _mask_practices(
    rows: list[StoredResource],
    tallies: Sequence[SectionTally],
    organisations: Sequence[Organisation],
) -> tuple[list[StoredResource], list[SectionTally], list[Organisation]]:
    """A restricted person's GP practice is named nowhere: its items, counts and registry
    entry all stand under one withheld name instead, and so does any mention of their own
    practice inside the items (a referral back to it, say)."""
    hidden = {org.ods_code for org in organisations if org.org_type == "gp"}
    evidence = [row.body for row in rows if row.section == "demographics"]
    named = relationships.practices_named(evidence)
    hidden |= named
    registry = {org.ods_code: org.name for org in organisations}
    names = {registry[code] for code in named if code in registry}
    mask = NameMask.of(
        names | practice_displays(evidence), named, WITHHELD_PRACTICE.name, WITHHELD_ODS
    )
    masked_rows = [
        replace(
            r,
            source_ods=WITHHELD_ODS if r.source_ods in hidden else r.source_ods,
            body=mask.body(r.body),
        )
        for r in rows
    ]
    masked_tallies = [
        replace(t, source_ods=WITHHELD_ODS) if t.source_ods in hidden else t for t in tallies
    ]
    kept = [org for org in organisations if org.ods_code not in hidden]
    return masked_rows, _merge_tallies(masked_tallies), [*kept, WITHHELD_PRACTICE]


def _merge_tallies(tallies: list[SectionTally]) -> list[SectionTally]:
    merged: dict[tuple[str, str], SectionTally] = {}
    for t in tallies:
        key = (t.source_ods, t.section)
        held = merged.get(key)
        if held is None:
            merged[key] = t
            continue
        updated = [d for d in (held.last_updated_at_source, t.last_updated_at_source) if d]
        merged[key] = replace(
            held,
            count=held.count + t.count,
            last_updated_at_source=max(updated) if updated else None,
            last_received_at=max(held.last_received_at, t.last_received_at),
        )
    return list(merged.values())
