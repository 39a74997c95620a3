"""RecordAccess: the only way pages and APIs read patient data. Built per request for one actor;
the policy decides before anything clinical is loaded, so a forgotten check cannot leak."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from carerecord import nhs_number
from carerecord.access.actors import Actor
from carerecord.access.policy import decide
from carerecord.errors import PatientNotFound
from carerecord.identity.patients import normalise_name, normalise_postcode
from carerecord.record.items import Item, item_from
from carerecord.record.markers import BANNER_SECTIONS
from carerecord.record.overview import Demographics, PatientOverview, build_overview
from carerecord.record.sections import RecordView, build_sections
from carerecord.store import Store

# More matches than this and the search must be narrowed: a long list invites the wrong pick.
MAX_MATCHES = 10


class RecordAccess:
    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def find_by_nhs_number(self, number: str) -> str | None:
        """The opaque id of the patient with this NHS number, if the actor may know of them."""
        digits = nhs_number.normalise(number)
        if not nhs_number.is_valid(digits) or not decide(self.actor, "find").allowed:
            return None
        return self._store.patient_id_for_nhs_number(digits)

    def find_by_details(
        self, family: str, birth_date: date, postcode: str | None = None
    ) -> list[Demographics]:
        """People any source knows by this surname and date of birth (narrowed by the start of
        a postcode when given), for the user to choose from; at most MAX_MATCHES of them."""
        if not decide(self.actor, "find").allowed:
            return []
        key = normalise_name(family)
        if key is None:
            return []
        ids = self._store.find_by_details(
            key, birth_date, normalise_postcode(postcode), MAX_MATCHES + 1
        )
        return [self.overview(patient_id).demographics for patient_id in ids]

    def overview(self, patient_id: str) -> PatientOverview:
        grant = decide(self.actor, "view")
        if not grant.allowed:
            raise PatientNotFound(patient_id)
        sections = sorted(grant.sections)
        people = self._store.patient_resources(patient_id, ["demographics"])
        if not people:
            raise PatientNotFound(patient_id)
        tallies = self._store.section_tallies(patient_id, sections)
        return build_overview(patient_id, people, tallies, self._store.organisations())

    def view(
        self, patient_id: str, wanted: Sequence[str], newest: Mapping[str, int] | None = None
    ) -> RecordView:
        """Who the person is, and the wanted sections the grant allows (others are simply
        absent), in one read of the store. The banner's sections (allergies, alerts) always
        come too, so every page of the record can show its markers. `newest` caps a section
        at its newest dated items, for pages that show only the latest (the summary)."""
        grant = decide(self.actor, "view")
        if not grant.allowed:
            raise PatientNotFound(patient_id)
        wanted = [*wanted, *(s for s in BANNER_SECTIONS if s not in wanted)]
        allowed = [section for section in wanted if section in grant.sections]
        rows = self._store.patient_resources(patient_id, sorted({*allowed, "demographics"}), newest)
        people = [row for row in rows if row.section == "demographics"]
        if not people:
            raise PatientNotFound(patient_id)
        tallies = self._store.section_tallies(patient_id, sorted(grant.sections))
        organisations = self._store.organisations()
        return RecordView(
            overview=build_overview(patient_id, people, tallies, organisations),
            sections=build_sections(allowed, rows, tallies, organisations),
        )

    def item(self, patient_id: str, item_id: int) -> Item:
        """One item of the person's record (a document to open, say), if the grant allows
        its section; anything else, including another person's item, is not found."""
        grant = decide(self.actor, "view")
        row = self._store.patient_resource(patient_id, item_id) if grant.allowed else None
        if row is None or row.section not in grant.sections:
            raise PatientNotFound(patient_id)
        return item_from(row, {org.ods_code: org for org in self._store.organisations()})
