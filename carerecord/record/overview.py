"""A first read model of one person: who they are, and what each source holds about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from carerecord import nhs_number
from carerecord.fhir.extract import identifier_value, listed, parse_fhir_datetime, strings
from carerecord.fhir.sections import SECTIONS
from carerecord.organisations import NATIONAL, ORG_TYPES
from carerecord.record.authority import (
    DeathClaim,
    DeathReport,
    Standing,
    believed_death,
    preference,
    registered_practices,
    standing,
)
from carerecord.store.records import Organisation, SectionTally, StoredResource


@dataclass(frozen=True)
class Telecom:
    system: str  # phone, email, ...
    value: str
    use: str | None = None


@dataclass(frozen=True)
class Demographics:
    patient_id: str  # opaque id used in URLs; never the NHS number
    nhs_number: str
    family: str | None
    given: tuple[str, ...]
    prefix: str | None
    preferred_name: str | None
    birth_date: date | None
    gender: str | None  # FHIR administrative gender: male, female, other, unknown
    deceased: bool  # confirmed: the national record or the registered GP practice says so
    deceased_at: date | None
    address: tuple[str, ...]  # lines, town, postcode in order; empty when unknown
    telecom: tuple[Telecom, ...]
    gp_practice: str | None  # registered GP practice name
    gp_practice_ods: str | None
    restricted: bool  # address, contact details and GP are never shown
    source_ods: str  # the source whose Patient resource these details come from
    source_updated_at: datetime | None
    # Deaths reported only by sources not believed on them alone (decision record 0009).
    death_reports: tuple[DeathReport, ...] = ()


@dataclass(frozen=True)
class SourceHolding:
    """What one organisation has shared about the person."""

    ods_code: str
    name: str
    org_type: str
    region: str
    section_counts: dict[str, int] = field(default_factory=dict)
    last_updated_at_source: datetime | None = None
    last_received_at: datetime | None = None
    newest_entry: datetime | None = None  # the clinical date of its newest entry

    @property
    def total(self) -> int:
        return sum(self.section_counts.values())


@dataclass(frozen=True)
class PatientOverview:
    demographics: Demographics
    holdings: tuple[SourceHolding, ...]


def build_overview(
    patient_id: str,
    people: Sequence[StoredResource],
    tallies: Sequence[SectionTally],
    organisations: Sequence[Organisation],
) -> PatientOverview:
    """Who the person is (from the best Patient resource held) and what each source holds."""
    registry = {org.ods_code: org for org in organisations}
    return PatientOverview(
        demographics=demographics(patient_id, people, registry),
        holdings=holdings(tallies, registry),
    )


def holdings(
    tallies: Sequence[SectionTally], registry: dict[str, Organisation]
) -> tuple[SourceHolding, ...]:
    by_source: dict[str, list[SectionTally]] = {}
    for tally in tallies:
        by_source.setdefault(tally.source_ods, []).append(tally)
    result = []
    for ods, rows in by_source.items():
        org = registry.get(ods)
        counts = {r.section: r.count for r in sorted(rows, key=lambda r: SECTIONS.index(r.section))}
        updated = [r.last_updated_at_source for r in rows if r.last_updated_at_source]
        entries = [r.newest_entry for r in rows if r.newest_entry]
        result.append(
            SourceHolding(
                ods_code=ods,
                name=org.name if org else ods,
                org_type=org.org_type if org else "unknown",
                region=org.region if org else "Not Known",
                section_counts=counts,
                last_updated_at_source=max(updated) if updated else None,
                last_received_at=max(r.last_received_at for r in rows),
                newest_entry=max(entries) if entries else None,
            )
        )
    return tuple(sorted(result, key=lambda h: (_TYPE_ORDER.get(h.org_type, 99), h.name)))


_TYPE_ORDER = {org_type: i for i, org_type in enumerate(ORG_TYPES)}


def demographics(
    patient_id: str, people: Sequence[StoredResource], registry: dict[str, Organisation]
) -> Demographics:
    """Who the person is, from the source believed first (decision record 0009): the national
    record, else the registered GP practice, else the most recently updated source.

    A death is confirmed only by the national record or the registered practice; any other
    source's is a report. Restricted is taken from any source: one source knowing is enough.
    """
    bodies = [(row, orjson.loads(row.body)) for row in people]
    standings = _standings(bodies, registry)
    row, patient = min(
        bodies, key=lambda pair: preference(standings[pair[0].source_ods], _updated(pair[0]))
    )
    official, preferred = _names(patient)
    gp_ods, gp_name = _gp(patient, registry)
    death = believed_death(
        [_death_claim(row, body, standings[row.source_ods], registry) for row, body in bodies]
    )
    return Demographics(
        patient_id=patient_id,
        nhs_number=identifier_value(patient, nhs_number.SYSTEM) or "",
        family=official.get("family"),
        given=strings(official.get("given")),
        prefix=next(iter(strings(official.get("prefix"))), None),
        preferred_name=preferred,
        birth_date=_date(patient.get("birthDate")),
        gender=patient.get("gender"),
        deceased=death.confirmed,
        deceased_at=death.died_on,
        address=_address(patient),
        telecom=tuple(
            Telecom(t.get("system", "other"), t["value"], t.get("use"))
            for t in listed(patient.get("telecom"))
            if isinstance(t, dict) and t.get("value")
        ),
        gp_practice=gp_name,
        gp_practice_ods=gp_ods,
        restricted=any(_is_restricted(body) for _, body in bodies),
        source_ods=row.source_ods,
        source_updated_at=row.last_updated_at_source,
        death_reports=death.reports,
    )


def _standings(
    bodies: Sequence[tuple[StoredResource, dict[str, Any]]], registry: dict[str, Organisation]
) -> dict[str, Standing]:
    """Each source's standing for this person: which practice is registered is what the
    national record says, when it says."""
    types = {row.source_ods: _org_type(row.source_ods, registry) for row, _ in bodies}
    named: set[str] = set()
    for row, body in bodies:
        practice = _gp(body, registry)[0] if types[row.source_ods] == NATIONAL else None
        if practice:
            named.add(practice)
    gps = {ods for ods, org_type in types.items() if org_type == "gp"}
    registered = registered_practices(named, gps)
    return {ods: standing(ods, org_type, registered) for ods, org_type in types.items()}


def _death_claim(
    row: StoredResource, patient: dict[str, Any], held: Standing, registry: dict[str, Organisation]
) -> DeathClaim:
    when = parse_fhir_datetime(patient.get("deceasedDateTime"))
    org = registry.get(row.source_ods)
    return DeathClaim(
        source_ods=row.source_ods,
        source_name=org.name if org else row.source_ods,
        standing=held,
        died=patient.get("deceasedBoolean") is True or "deceasedDateTime" in patient,
        died_on=when.date() if when is not None else None,
        updated=_updated(row),
    )


def _org_type(ods: str, registry: dict[str, Organisation]) -> str | None:
    org = registry.get(ods)
    return org.org_type if org else None


def _updated(row: StoredResource) -> datetime:
    return row.last_updated_at_source or row.received_at


def _names(patient: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    names = [n for n in listed(patient.get("name")) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    usual = next(
        (n for n in names if n.get("use") in ("usual", "nickname") and n is not official), None
    )
    preferred = " ".join(strings(usual.get("given"))) if usual else None
    return official, preferred or None


def _gp(
    patient: dict[str, Any], registry: dict[str, Organisation]
) -> tuple[str | None, str | None]:
    for reference in listed(patient.get("generalPractitioner")):
        identifier = reference.get("identifier") if isinstance(reference, dict) else None
        ods = identifier.get("value") if isinstance(identifier, dict) else None
        if ods:
            org = registry.get(ods)
            return ods, org.name if org else reference.get("display")
        if isinstance(reference, dict) and reference.get("display"):
            return None, reference["display"]
    return None, None


def _address(patient: dict[str, Any]) -> tuple[str, ...]:
    addresses = [a for a in listed(patient.get("address")) if isinstance(a, dict)]
    home = next(
        (a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else None
    )
    if home is None:
        return ()
    parts = [
        *strings(home.get("line")),
        home.get("city"),
        home.get("district"),
        home.get("postalCode"),
    ]
    return tuple(p for p in parts if isinstance(p, str) and p)


def any_restricted(patient_bodies: Sequence[str]) -> bool:
    """Whether any source marks the person restricted (their Patient resources as stored)."""
    parsed = (orjson.loads(body) for body in patient_bodies)
    return any(_is_restricted(patient) for patient in parsed if isinstance(patient, dict))


def _is_restricted(patient: dict[str, Any]) -> bool:
    return any(
        isinstance(label, dict) and label.get("code") in ("R", "V")
        for label in extract_security(patient)
    )


def extract_security(resource: dict[str, Any]) -> list[Any]:
    meta = resource.get("meta")
    return listed(meta.get("security")) if isinstance(meta, dict) else []


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
