"""A person's medicines across sources: the medicine list, merged, and the GP's prescriptions.

The medicine list is every MedicationStatement and every MedicationRequest with intent `plan`
(the authorisation), grouped by product and dose (`record.merge`). Issues (intent `order`) are
prescriptions: their state comes from the NHS EPS task business status extension, and a
MedicationDispense that names the issue (or the authorisation it was issued from) says who
dispensed it and when.

A medicine's dm+d name (`Amoxicillin 500mg capsules`) is split here into the parts the CUI line
shows; how each part is written (`400 mg in 5 mL`) is `web.formatting`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carerecord.fhir.extract import get_path, listed, parse_fhir_datetime
from carerecord.record.items import Item, concept_text
from carerecord.record.merge import Group, concept_key, group, newest

EPS_STATUS_URL = "https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus"
CURRENT_STATUSES = frozenset({"active", "on-hold", "intended", "draft"})
ISSUED, WITH_PHARMACY, DISPENSED = "issued", "with-pharmacy", "dispensed"
_EPS_STATES = {"0001": ISSUED, "0002": WITH_PHARMACY, "0006": DISPENSED}


@dataclass(frozen=True)
class Strength:
    """`400mg/5ml` is amounts (400,) mg per 5 ml; `8mg/500mg` is amounts (8, 500) mg."""

    amounts: tuple[Decimal, ...]
    unit: str
    per_amount: Decimal | None = None
    per_unit: str | None = None


@dataclass(frozen=True)
class MedicineParts:
    """The CUI medicine line's parts, in order; None where the source does not say."""

    generic: str
    brand: str | None = None
    strength: Strength | None = None
    form: str | None = None
    dose: str | None = None
    rate: str | None = None
    duration: str | None = None
    route: str | None = None
    frequency: str | None = None


@dataclass(frozen=True)
class Stop:
    """Where, when and why a source stopped a medicine; None where it does not say."""

    source: str
    on: datetime | None
    reason: str | None


@dataclass(frozen=True)
class StatusConflict:
    """Stopped at some sources, still current at others."""

    stopped: tuple[Stop, ...]  # newest stop first
    current: tuple[str, ...]


@dataclass(frozen=True)
class MedicineList:
    """`current`: current at one source at least; `past`: stopped at one source at least, so
    a medicine stopped in hospital while the GP still issues it is on both."""

    current: tuple[Group, ...]
    past: tuple[Group, ...]
    conflicts: Mapping[Hashable, StatusConflict] = field(default_factory=dict)

    def conflict(self, medicine: Group) -> StatusConflict | None:
        return self.conflicts.get(medicine.key)


@dataclass(frozen=True)
class Prescription:
    item: Item
    state: str | None  # ISSUED / WITH_PHARMACY / DISPENSED, or None when nothing says
    dispenser: str | None
    dispensed_on: datetime | None


# -- The medicine list ------------------------------------------------------------------------


def is_listed(item: Item) -> bool:
    """On the medicine list: a statement, or an authorisation (not an issue or a dispense)."""
    if item.resource_type == "MedicationStatement":
        return True
    return item.resource_type == "MedicationRequest" and item.resource.get("intent") == "plan"


def is_current(item: Item) -> bool:
    return (item.status or "").lower() in CURRENT_STATUSES


def product_and_dose(item: Item) -> Hashable | None:
    product = concept_key(item)
    if product is None:
        return None
    return (product, " ".join((dosage_text(item) or "").lower().split()))


def medicine_list(items: Iterable[Item]) -> MedicineList:
    listed = [i for i in items if is_listed(i)]
    groups = group(listed, product_and_dose, {})
    stops = _stops_by_product(listed)
    conflicts = {
        g.key: found
        for g in groups
        if (found := _conflict(g, stops.get(concept_key(g.latest), {}))) is not None
    }
    return MedicineList(
        current=tuple(g for g in groups if any(is_current(i) for i in g.latest_by_source)),
        past=tuple(g for g in groups if not all(is_current(i) for i in g.latest_by_source)),
        conflicts=conflicts,
    )


def _stops_by_product(listed: list[Item]) -> dict[Hashable, dict[str, Item]]:
    """Each source whose newest word on a product, at any dose, is that it stopped."""
    latest: dict[Hashable, dict[str, Item]] = {}
    for item in sorted(listed, key=newest, reverse=True):
        product = concept_key(item)
        if product is not None:
            latest.setdefault(product, {}).setdefault(item.provenance.ods_code, item)
    return {
        product: {ods: i for ods, i in by_source.items() if not is_current(i)}
        for product, by_source in latest.items()
    }


def _conflict(medicine: Group, stopped_elsewhere: Mapping[str, Item]) -> StatusConflict | None:
    """A current medicine stopped by another source: at this dose, or (the hospital wrote
    the dose in its own words) at whatever dose that source last recorded the product."""
    latest = medicine.latest_by_source
    current = [i for i in latest if is_current(i)]
    if not current:
        return None
    here = {i.provenance.ods_code for i in latest}
    stopped = [i for i in latest if not is_current(i)]
    stopped += [i for ods, i in stopped_elsewhere.items() if ods not in here]
    if not stopped:
        return None
    ordered = sorted(stopped, key=lambda i: stopped_on(i) or newest(i), reverse=True)
    return StatusConflict(
        stopped=tuple(Stop(i.provenance.name, stopped_on(i), stop_reason(i)) for i in ordered),
        current=tuple(i.provenance.name for i in current),
    )


def stopped_on(item: Item) -> datetime | None:
    ended = parse_fhir_datetime(get_path(item.resource, "effectivePeriod.end"))
    validity = get_path(item.resource, "dispenseRequest.validityPeriod.end")
    return ended or parse_fhir_datetime(validity)


def stop_reason(item: Item) -> str | None:
    return _words(get_path(item.resource, "statusReason"))


# -- The line's parts -------------------------------------------------------------------------

_NAME = re.compile(
    r"^(?P<generic>.+?) (?P<strength>\d[\d.,]*\s?[a-z]+(?:/[\d.,]*\s?[a-z]+)*) (?P<form>.+)$", re.I
)
_AMOUNT_UNIT = re.compile(r"^(?P<amount>\d[\d.,]*)?\s?(?P<unit>[a-z]+)$", re.I)
_DOSE_TEXT = re.compile(
    r"^(?P<dose>(?:one|two|three|four|half|\d+(?:\.\d+)?)(?: or (?:one|two|three|four|\d+))?"
    r" (?:tablets?|capsules?|puffs?|drops?|sachets?|patch(?:es)?|doses?|units?|mL|ml|mg|"
    r"micrograms?|spoonfuls?|applications?))\b\s*(?P<rest>.*)$",
    re.I,
)
_UNITS = {"ml": "mL", "microgram": "micrograms", "mcg": "micrograms", "unit": "units"}


def parts(item: Item) -> MedicineParts:
    """Split the medicine's name and dosage into the CUI line's parts."""
    name = (item.text or "").strip()
    match = _NAME.match(name)
    dosage = _dosage(item.resource)
    dose, frequency = _dose_and_frequency(dosage)
    return MedicineParts(
        generic=(match["generic"] if match else name).lower(),
        strength=strength(match["strength"]) if match else None,
        form=match["form"] if match else None,
        dose=dose,
        rate=_quantity_text(get_path(dosage, "doseAndRate.rateQuantity")),
        duration=_quantity_text(get_path(dosage, "timing.repeat.boundsDuration")),
        route=_words(dosage.get("route")),
        frequency=frequency,
    )


def strength(text: str) -> Strength | None:
    """`400mg/5ml`, `8mg/500mg`, `100micrograms/dose`, `5000units/ml` as a Strength."""
    pieces = [_AMOUNT_UNIT.match(p.strip()) for p in text.replace(",", "").split("/")]
    if not pieces or any(p is None for p in pieces) or pieces[0] is None:
        return None
    found = [(_decimal(p["amount"]), _unit(p["unit"])) for p in pieces if p is not None]
    first_amount, unit = found[0]
    if first_amount is None:
        return None
    if all(u == unit and a is not None for a, u in found):
        return Strength(tuple(a for a, _ in found if a is not None), unit)
    if len(found) == 2:
        return Strength((first_amount,), unit, found[1][0], found[1][1])
    return None


def dosage_text(item: Item) -> str | None:
    return _words(_dosage(item.resource).get("text"))


def _dosage(resource: dict[str, Any]) -> dict[str, Any]:
    for name in ("dosageInstruction", "dosage"):
        found = resource.get(name)
        if isinstance(found, list) and found and isinstance(found[0], dict):
            return found[0]
    return {}


def _dose_and_frequency(dosage: dict[str, Any]) -> tuple[str | None, str | None]:
    structured = _quantity_text(get_path(dosage, "doseAndRate.doseQuantity"))
    text = " ".join(str(dosage.get("text") or "").split()) or None
    if structured:
        timing = _words(get_path(dosage, "timing.code")) or text
        return structured, timing
    if text is None:
        return None, None
    match = _DOSE_TEXT.match(text)
    if match is None:
        return text, None
    return match["dose"], match["rest"] or None


def _quantity_text(value: Any) -> str | None:
    if not isinstance(value, dict) or value.get("value") is None:
        return None
    amount = _decimal(str(value["value"]))
    unit = value.get("unit") or value.get("code") or ""
    if amount is None:
        return None
    text = f"{amount.normalize():f}"
    return f"{text} {unit}".strip()


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _unit(text: str) -> str:
    lower = text.lower()
    return _UNITS.get(lower, lower if lower != "ml" else "mL")


def _words(value: Any) -> str | None:
    """A CodeableConcept, Reference or string in words."""
    return concept_text({"code": value})


# -- Prescriptions ----------------------------------------------------------------------------


def prescriptions(items: Iterable[Item], since: datetime) -> tuple[Prescription, ...]:
    """Issues (intent `order`) authored since a moment, newest first, with their state."""
    every = tuple(items)
    dispenses = [i for i in every if i.resource_type == "MedicationDispense"]
    issues = [
        i
        for i in every
        if i.resource_type == "MedicationRequest"
        and i.resource.get("intent") == "order"
        and (i.clinical_date is None or i.clinical_date >= since)
    ]
    found = (_prescription(issue, dispenses) for issue in issues)
    return tuple(sorted(found, key=lambda p: newest(p.item), reverse=True))


def _prescription(issue: Item, dispenses: list[Item]) -> Prescription:
    dispense = _dispense_of(issue, dispenses)
    state = _eps_state(issue.resource)
    if dispense is not None:
        state = DISPENSED
    return Prescription(
        item=issue,
        state=state,
        dispenser=_words(get_path(dispense.resource, "performer.actor")) if dispense else None,
        dispensed_on=dispense.clinical_date if dispense else None,
    )


def _eps_state(resource: dict[str, Any]) -> str | None:
    for extension in listed(resource.get("extension")):
        if isinstance(extension, dict) and extension.get("url") == EPS_STATUS_URL:
            return _EPS_STATES.get(str(get_path(extension, "valueCoding.code")))
    return None


def _dispense_of(issue: Item, dispenses: list[Item]) -> Item | None:
    """The dispense naming this issue; for an acute course, one naming its authorisation."""
    own = f"MedicationRequest/{issue.resource.get('id')}"
    same_source = [d for d in dispenses if d.provenance.ods_code == issue.provenance.ods_code]
    exact = next((d for d in same_source if own in _authorised_by(d)), None)
    if exact is not None or not _is_acute(issue):
        return exact
    plans = {str(get_path(b, "reference")) for b in listed(issue.resource.get("basedOn"))}
    return next(
        (
            d
            for d in same_source
            if _authorised_by(d) & plans and concept_key(d) == concept_key(issue)
        ),
        None,
    )


def _authorised_by(dispense: Item) -> set[str]:
    return {
        str(ref.get("reference"))
        for ref in listed(dispense.resource.get("authorizingPrescription"))
        if isinstance(ref, dict)
    }


def _is_acute(issue: Item) -> bool:
    """An acute course has one issue, so a dispense against its authorisation is that issue's."""
    return bool(get_path(issue.resource, "courseOfTherapyType.coding.code") == "acute")
