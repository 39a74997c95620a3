"""Which source is believed about who a person is, and whether they have died (decision record
0009): pure rules over what each source's Patient record says, tested as a table.

The national demographics service and the person's registered GP practice are believed; any
other source (a hospital, a care home, a former practice) is heard but not taken as settled.
A death only such a source reports is shown as reported, never as plain "Died", and never
hidden either: a hospital is often the first to know.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum

from carerecord.organisations import NATIONAL


class Standing(IntEnum):
    """How far a source is believed on identity and death; lower is believed first."""

    NATIONAL = 0  # the national demographics service (PDS)
    REGISTERED_GP = 1  # the person's registered GP practice
    OTHER = 2  # a hospital, a care home, social care, a practice the person has left...


def registered_practices(
    named_nationally: Collection[str], gp_sources: Collection[str]
) -> frozenset[str]:
    """The person's registered practice: the one the national record names, when it names
    one; otherwise every GP practice holding a record of the person (a practice holds
    records of the people registered with it, and which is current cannot be told)."""
    return frozenset(named_nationally) if named_nationally else frozenset(gp_sources)


def standing(source_ods: str, org_type: str | None, registered: Collection[str]) -> Standing:
    if org_type == NATIONAL:
        return Standing.NATIONAL
    if org_type == "gp" and source_ods in registered:
        return Standing.REGISTERED_GP
    return Standing.OTHER


@dataclass(frozen=True)
class DeathClaim:
    """What one source's Patient record says about death."""

    source_ods: str
    source_name: str
    standing: Standing
    died: bool
    died_on: date | None
    updated: datetime  # when the source last updated it: the newer is believed first


@dataclass(frozen=True)
class DeathReport:
    """A death reported by a source that is not believed on it alone."""

    source_ods: str
    source_name: str
    died_on: date | None


@dataclass(frozen=True)
class Death:
    confirmed: bool  # the national record or the registered practice says the person died
    died_on: date | None  # the date a believed source gives
    reports: tuple[DeathReport, ...] = ()  # when not confirmed: who else says so


def believed_death(claims: Sequence[DeathClaim]) -> Death:
    """Confirmed when the national record or the registered practice says the person died
    (their date, the national record's first); otherwise each other source's report, one per
    source, so it can be shown as reported and not confirmed. A believed source not saying so
    does not cancel a report: the GP's record often lags a death in hospital."""
    deaths = sorted(
        (c for c in claims if c.died), key=lambda c: (c.standing, -c.updated.timestamp())
    )
    believed = [c for c in deaths if c.standing < Standing.OTHER]
    if believed:
        dated = next((c.died_on for c in believed if c.died_on is not None), None)
        return Death(True, dated)
    reports: dict[str, DeathReport] = {}
    for claim in deaths:
        held = reports.get(claim.source_ods)
        if held is None or (held.died_on is None and claim.died_on is not None):
            reports[claim.source_ods] = DeathReport(
                claim.source_ods, claim.source_name, claim.died_on
            )
    return Death(False, None, tuple(sorted(reports.values(), key=_reading_order)))


def _reading_order(report: DeathReport) -> tuple[bool, date, str]:
    return (report.died_on is None, report.died_on or date.min, report.source_name)


def preference(source_standing: Standing, updated: datetime) -> tuple[int, float]:
    """Which source's Patient record the banner's name, date of birth, gender, address,
    contact details and GP practice come from: the national record, else the registered
    practice, else the most recently updated; within a standing, the most recently updated."""
    return (int(source_standing), -updated.timestamp())
