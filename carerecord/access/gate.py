"""RecordAccess: the only way pages (and later the FHIR API) read patient data. Built per
request for one actor; the policy decides from what the record holds about the person's
relation to the user before anything clinical is loaded, so a forgotten check cannot leak."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property, partial

from carerecord import nhs_number
from carerecord.access import relationships
from carerecord.access.actors import Actor, User, requester
from carerecord.access.masking import NameMask, practice_displays
from carerecord.access.objections import ObjectionDesk
from carerecord.access.policy import Circumstances, Grant, PatientFacts, decide
from carerecord.access.registry import AccessRegistry
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import OverrideKind, Purpose, Redaction
from carerecord.audit.entry import AuditRecord, Requester, Shown, ShownVersion
from carerecord.errors import AccessRefused, PatientNotFound, RecordWithheld
from carerecord.identity.patients import normalise_name, normalise_postcode
from carerecord.ingest.exclusions import ExclusionList
from carerecord.record.cited import cited_keys
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
        *,
        user_agent: str = "",
        request_id: str = "",
    ) -> None:
        self._store = store
        self._user_agent = user_agent
        self._request_id = request_id
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

    @cached_property
    def requester(self) -> Requester | None:
        """The user as the audit log records them, with where the request came from."""
        if not isinstance(self.actor, User):
            return None
        org = self._registry.organisation(self.actor.org_ods)
        return requester(self.actor, org, self._client_address, self._user_agent, self._request_id)

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
        found = None
        if nhs_number.is_valid(digits):
            patient_id = self._store.patient_id_for_nhs_number(digits)
            if patient_id is not None and self.grant(patient_id, Purpose.FIND).found:
                found = patient_id
        query = digits if nhs_number.is_valid(digits) else number[:40]
        self._audit(
            self._record("search-nhs-number", found, {"query": query, "found": int(bool(found))})
        )
        return found

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
        detail = {
            "family": family[:100],
            "birth_date": birth_date.isoformat(),
            "postcode": (postcode or "")[:10],
            "found": len(found),
            "matches": [person.patient_id for person in found[:MAX_MATCHES]],
        }
        self._audit(self._record("search-details", None, detail))
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
        self,
        patient_id: str,
        wanted: Sequence[str],
        newest: Mapping[str, int] | None = None,
        *,
        page: str = "overview",
        params: Mapping[str, str] | None = None,
    ) -> RecordView:
        """Who the person is, and the wanted sections the grant allows (others are simply
        absent), in one read of the store. The banner's sections (allergies, alerts) always
        come too, so every page of the record can show its markers. `newest` caps a section
        at its newest dated items, for pages that show only the latest (the summary).
        Raises PatientNotFound, or RecordWithheld when the user may see only who they are.
        What is shown is in the audit log, committed, before this returns (AuditUnavailable:
        nothing is returned); `page` and `params` say which page shows it, for the log."""
        action = "view-timeline" if page == "timeline" else "view-record"
        grant = self._granted(patient_id, action)
        return self._read(patient_id, grant, action, wanted, newest, page, params or {}, [])

    def document(self, patient_id: str, item_id: int) -> tuple[Item, RecordView]:
        """One item of the person's record (a document to open) and the record around it
        (the banner), as one audited view; anything else is not found."""
        action = "view-document"
        grant = self._granted(patient_id, action, identity=False)
        row = self._one_item(patient_id, item_id, grant, action, "documents")
        record = self._read(patient_id, grant, action, [], None, "document", {}, [row])
        return self._item(patient_id, row, grant), record

    def item(self, patient_id: str, item_id: int) -> Item:
        """One item of the person's record (a document's content, say), if the grant allows
        its section; anything else, including another person's item, is not found."""
        action = "view-document"
        grant = self._granted(patient_id, action, identity=False)
        row = self._one_item(patient_id, item_id, grant, action)
        shown = partial(Shown, page="content", sections=(row.section,), versions=_versions([row]))
        self._audit(self._view_event(action, patient_id, grant, {"item": item_id}, {}, shown)(None))
        return self._item(patient_id, row, grant)

    def _read(
        self,
        patient_id: str,
        grant: Grant,
        action: str,
        wanted: Sequence[str],
        newest: Mapping[str, int] | None,
        page: str,
        params: Mapping[str, str],
        items: list[StoredResource],
    ) -> RecordView:
        """Reads what the grant allows of the wanted sections, audits it, then builds it."""
        wanted = [*wanted, *(s for s in BANNER_SECTIONS if s not in wanted)]
        allowed = [section for section in wanted if grant.shows(section)]
        rows = self._store.patient_resources(patient_id, sorted({*allowed, "demographics"}), newest)
        rows, withheld = self._permitted(rows, grant)
        if grant.shows("care-team"):  # who the care coordinator is: the roles teams cite
            rows = [*rows, *self._permitted(self._cited(rows), grant)[0]]
        if not any(row.section == "demographics" for row in rows):
            self._audit(self._record(action, patient_id, {"reason": "not-found"}, "failure"))
            raise PatientNotFound(patient_id)
        tallies = self._store.section_tallies(patient_id, sorted(grant.sections))
        organisations = self._store.organisations()
        detail = {"item": items[0].id} if items else {}
        seen_tallies = tallies  # as the user saw them: a withheld practice stays unnamed
        if Redaction.GP_PRACTICE in grant.redactions:
            seen_tallies = mask_practices(rows, tallies, organisations)[1]
        shown = partial(
            Shown,
            page=page,
            sections=tuple(allowed),
            versions=_versions([*items, *rows]),
            params=dict(params),
            tallies=_tally_rows(seen_tallies),
        )
        event = self._view_event(action, patient_id, grant, detail, withheld, shown)
        new_since = self._note_view(patient_id, event)  # audited before anything is returned
        first_view = isinstance(self.actor, User) and new_since is None
        return assemble_view(
            patient_id,
            rows,
            tallies,
            organisations,
            grant,
            allowed,
            new_since,
            first_view,
            self._now,
        )

    def _cited(self, rows: list[StoredResource]) -> list[StoredResource]:
        """The practitioners' roles the person's care teams cite, and the practitioners those
        roles cite in turn (record.cited)."""
        roles = self._store.directory_entries(cited_keys(rows))
        return [*roles, *self._store.directory_entries(cited_keys(roles))]

    def _one_item(
        self, patient_id: str, item_id: int, grant: Grant, action: str, section: str = ""
    ) -> StoredResource:
        row = self._store.patient_resource(patient_id, item_id)
        if (
            row is None
            or not grant.shows(row.section)
            or (section and row.section != section)
            or not self._permitted([row], grant)[0]
        ):
            detail = {"reason": "not-found", "item": item_id}
            self._audit(self._record(action, patient_id, detail, "failure"))
            raise PatientNotFound(patient_id)
        return row

    def _item(self, patient_id: str, row: StoredResource, grant: Grant) -> Item:
        organisations = self._store.organisations()
        if Redaction.GP_PRACTICE in grant.redactions:
            people = self._store.patient_resources(patient_id, ["demographics"])
            masked, _, organisations = mask_practices([row, *people], [], organisations)
            row = masked[0]
        return item_from(row, {org.ods_code: org for org in organisations}, now=self._now)

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

    def _permitted(
        self, rows: list[StoredResource], grant: Grant
    ) -> tuple[list[StoredResource], dict[str, int]]:
        """Only items of the types the role may see; and, as a second line behind ingest,
        never one whose code is legally restricted. Also how many were kept back, by why."""
        kept, withheld = [], Counter[str]()
        for row in rows:
            types = grant.only_types.get(row.section)  # type: ignore[call-overload]
            if types is not None and row.resource_type not in types:
                withheld["not-for-role"] += 1
                continue
            if row.code and self._exclusions.match((f"{row.code_system}|{row.code}",)):
                withheld["legally-restricted"] += 1
                continue
            kept.append(row)
        return kept, dict(withheld)

    def _granted(self, patient_id: str, action: str, identity: bool = True) -> Grant:
        """The grant for opening this person's record, the refusals audited as they happen:
        a user who may open no record, a person not found, a record withheld (identity shown,
        or, where `identity` is False — an item's own address — not found)."""
        refusal = self.refusal()
        if refusal is not None:
            detail = {"reason": refusal.reason}
            self._audit(self._record(action, patient_id, detail, "refused"))
            raise AccessRefused(refusal.reason)
        grant = self.grant(patient_id)
        if not grant.found:
            self._audit(self._record(action, None, {"reason": "not-found"}, "failure"))
            raise PatientNotFound(patient_id)
        if not grant.allowed and not identity:
            self._audit(self._record(action, patient_id, {"reason": "withheld"}, "refused"))
            raise PatientNotFound(patient_id)
        if not grant.allowed:
            people = self._store.patient_resources(patient_id, ["demographics"])
            organisations = self._store.organisations()  # who is believed on a death
            person = build_overview(patient_id, people, [], organisations).demographics
            shown = partial(
                Shown, page="withheld", sections=("demographics",), versions=_versions(people)
            )
            event = self._view_event("view-withheld", patient_id, grant, {}, {}, shown)
            self._audit(event(None))
            raise RecordWithheld(Withheld(_identity(person), grant))
        return grant

    def _note_view(
        self, patient_id: str, event: Callable[[datetime | None], AuditRecord]
    ) -> datetime | None:
        """Notes the view for "new since your last view" and audits it, in one transaction;
        returns when the user last viewed the record before this session."""
        user = self.actor
        if not isinstance(user, User):
            self._audit(event(None))
            return None
        return self._store.consent.note_view(
            user.id, patient_id, user.session_hash, self._now, event
        )

    def _view_event(
        self,
        action: str,
        patient_id: str,
        grant: Grant,
        detail: Mapping[str, object],
        withheld: Mapping[str, int],
        shown: Callable[..., Shown],
    ) -> Callable[[datetime | None], AuditRecord]:
        """The entry for showing part of a record, once "new since" is known."""
        facts = {
            **detail,
            "level": grant.level.value,
            "reason": grant.reason,
            "redactions": sorted(r.value for r in grant.redactions),
            "objection": grant.objection,
            "copi": grant.copi,
            "flagged": grant.flagged,
        }

        def event(new_since: datetime | None) -> AuditRecord:
            return replace(
                self._record(action, patient_id, facts),
                purpose=Purpose.DIRECT_CARE.value,
                relationship=grant.relationship.value if grant.relationship else None,
                override=grant.override.value if grant.override else None,
                shown=shown(new_since=new_since),
                withheld=withheld,
            )

        return event

    def _record(
        self,
        action: str,
        patient_id: str | None,
        detail: Mapping[str, object],
        outcome: str = "success",
    ) -> AuditRecord:
        actor = self.actor.username if isinstance(self.actor, User) else self.actor.id
        return AuditRecord(actor, action, outcome, detail, patient_id, self.requester)

    def _audit(self, record: AuditRecord) -> None:
        self._store.consent.audit(record, self._now)

    def _event(self, action: str, patient_id: str, **detail: object) -> AuditRecord:
        user = self._signed_in()
        return self._record(
            action, patient_id, {**detail, "organisation": user.org_ods, "role": user.role.value}
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


def assemble_view(
    patient_id: str,
    rows: list[StoredResource],
    tallies: Sequence[SectionTally],
    organisations: Sequence[Organisation],
    grant: Grant,
    allowed: Sequence[str],
    new_since: datetime | None,
    first_view: bool | None = None,
    now: datetime | None = None,
) -> RecordView:
    """The record as a page shows it, from rows already read and permitted: used for the
    live page and to build it again, as it was, from the versions the audit log recorded."""
    if Redaction.GP_PRACTICE in grant.redactions:
        rows, tallies, organisations = mask_practices(rows, list(tallies), organisations)
    people = [row for row in rows if row.section == "demographics"]
    overview = build_overview(patient_id, people, list(tallies), organisations)
    return RecordView(
        overview=replace(overview, demographics=_redacted(overview.demographics, grant)),
        sections=build_sections(list(allowed), rows, list(tallies), organisations, new_since, now),
        grant=grant,
        new_since=new_since,
        first_view=(new_since is None) if first_view is None else first_view,
    )


def _versions(rows: Sequence[StoredResource]) -> tuple[ShownVersion, ...]:
    return tuple(ShownVersion(row.id, row.version, row.section) for row in rows)


def _tally_rows(
    tallies: Sequence[SectionTally],
) -> tuple[tuple[str, str, int, str | None, str, str | None], ...]:
    return tuple(
        (
            t.source_ods,
            t.section,
            t.count,
            t.last_updated_at_source.isoformat() if t.last_updated_at_source else None,
            t.last_received_at.isoformat(),
            t.newest_entry.isoformat() if t.newest_entry else None,
        )
        for t in tallies
    )


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


def mask_practices(
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
        entries = [d for d in (held.newest_entry, t.newest_entry) if d]
        merged[key] = replace(
            held,
            count=held.count + t.count,
            last_updated_at_source=max(updated) if updated else None,
            last_received_at=max(held.last_received_at, t.last_received_at),
            newest_entry=max(entries) if entries else None,
        )
    return list(merged.values())
