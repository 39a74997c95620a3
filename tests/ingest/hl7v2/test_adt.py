"""ADT events applied one after another to a stored Encounter, as the pipeline will."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from carerecord.ingest.hl7v2 import HL7Error, Mapped, map_message

Resource = dict[str, Any]


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with each field at its HL7 position, so tests cannot miscount pipes."""
    values = [""] * max(fields)
    for position, value in fields.items():
        values[position - 1] = value
    return "|".join([name, *values])


class Feed:
    """A real, tiny store: what the pipeline would keep between messages from one source."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], Resource] = {}
        self.sequence = 0

    def lookup(self, kind: str, id_: str) -> Resource | None:
        return self.stored.get((kind, id_))

    def send(
        self, event: str, when: str, *, location: str = "WARD1^BAY1^BED1", **more: str
    ) -> Mapped:
        self.sequence += 1
        fields = {1: "1", 2: "I", 3: location, 10: "MED", 14: "A0", 19: "V100"}
        fields |= {int(key[1:]): value for key, value in more.items()}
        pv1 = segment("PV1", fields)
        message = "\r".join(
            [
                f"MSH|^~\\&|PAS|RCB|CR|CR|{when}||ADT^{event}|M{self.sequence}|P|2.4",
                f"EVN|{event}|{when}",
                "PID|1||L1^^^RCB^MR~9434765919^^^NHS^NH||SMITH^JO",
                pv1,
            ]
        )
        mapped = map_message(message, self.lookup)
        for resource in mapped.resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            self.stored[(resource["resourceType"], resource["id"])] = resource
        return mapped

    @property
    def encounter(self) -> Resource:
        return self.stored[("Encounter", "V100")]


def places(encounter: Resource) -> list[tuple[str, str]]:
    return [(loc["location"]["display"], loc["status"]) for loc in encounter["location"]]


def test_admit_builds_the_encounter() -> None:
    feed = Feed()
    mapped = feed.send("A01", "202401011000", f44="202401010930")
    encounter = feed.encounter
    assert mapped.patient is not None and mapped.patient["id"] == "L1"
    assert encounter["status"] == "in-progress"
    assert encounter["class"]["code"] == "IMP"
    assert encounter["subject"] == {"reference": "Patient/L1"}
    assert encounter["period"] == {"start": "2024-01-01T09:30:00+00:00"}
    assert encounter["serviceType"] == {"text": "MED"}
    assert encounter["hospitalization"]["admitSource"] == {"text": "A0"}
    assert encounter["serviceProvider"]["identifier"]["value"] == "RCB"
    assert encounter["meta"]["source"] == "urn:ods:RCB"
    assert places(encounter) == [("WARD1 BAY1 BED1", "active")]


def test_transfer_then_cancel_transfer() -> None:
    feed = Feed()
    feed.send("A01", "202401011000")
    feed.send("A02", "202401021000", location="WARD2^BAY9^BED3")
    first, second = feed.encounter["location"]
    assert (first["status"], first["period"]["end"]) == ("completed", "2024-01-02T10:00:00+00:00")
    assert (second["location"]["display"], second["status"]) == ("WARD2 BAY9 BED3", "active")
    feed.send("A12", "202401021100", location="WARD1^BAY1^BED1")
    assert places(feed.encounter) == [("WARD1 BAY1 BED1", "active")]
    assert "end" not in feed.encounter["location"][0]["period"]


def test_discharge_then_cancel_discharge() -> None:
    feed = Feed()
    feed.send("A01", "202401011000")
    feed.send("A03", "202401051200")
    assert feed.encounter["status"] == "finished"
    assert feed.encounter["period"]["end"] == "2024-01-05T12:00:00+00:00"
    assert places(feed.encounter) == [("WARD1 BAY1 BED1", "completed")]
    feed.send("A13", "202401051300")
    assert feed.encounter["status"] == "in-progress"
    assert "end" not in feed.encounter["period"]
    assert places(feed.encounter) == [("WARD1 BAY1 BED1", "active")]


def test_discharge_time_from_pv1_45() -> None:
    feed = Feed()
    feed.send("A03", "202401051200", f45="202401051130")
    assert feed.encounter["period"]["end"] == "2024-01-05T11:30:00+00:00"


def test_cancel_admit_and_pre_admit_and_update() -> None:
    feed = Feed()
    feed.send("A05", "202401011000")
    assert feed.encounter["status"] == "planned"
    feed.send("A01", "202401021000")
    feed.send("A08", "202401021100", location="ELSEWHERE")
    assert feed.encounter["status"] == "in-progress"  # A08 changes details, not status
    assert places(feed.encounter) == [("WARD1 BAY1 BED1", "active")]
    feed.send("A11", "202401021200")
    assert feed.encounter["status"] == "entered-in-error"


def test_repeated_admit_does_not_duplicate_the_location() -> None:
    feed = Feed()
    feed.send("A01", "202401011000")
    feed.send("A01", "202401011000")
    assert places(feed.encounter) == [("WARD1 BAY1 BED1", "active")]


@pytest.mark.parametrize(("pv1_2", "code"), [("I", "AMB"), ("E", "EMER"), ("O", "AMB")])
def test_register_is_ambulatory_unless_emergency(pv1_2: str, code: str) -> None:
    message = "\r".join(
        [
            "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A04|1|P|2.4",
            "PID|1||L1^^^RCB^MR",
            segment("PV1", {2: pv1_2, 7: "C1^Darwin^Samuel^^^Dr^^^GMC", 19: "V9"}),
        ]
    )
    encounter = map_message(message, lambda kind, id_: None).resources[0]
    assert encounter["class"]["code"] == code
    assert encounter["participant"][0]["individual"] == {
        "display": "Dr Samuel Darwin",
        "identifier": {"system": "urn:hl7v2:assigning-authority:GMC", "value": "C1"},
    }


def test_visit_id_falls_back_to_pv1_50_then_fails_as_application_error() -> None:
    base = "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A01|1|P|2.4\rPID|1||L1^^^RCB^MR\rPV1|1|I"
    alternate = map_message(base + "|" * 48 + "ALT7", lambda kind, id_: None)
    assert alternate.resources[0]["id"] == "ALT7"
    with pytest.raises(HL7Error) as caught:
        map_message(base, lambda kind, id_: None)
    assert (caught.value.code, caught.value.location, caught.value.reject) == (
        "101",
        "PV1^1^19",
        False,
    )


def test_person_events_give_only_a_patient() -> None:
    message = "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A31|1|P|2.4\rPID|1||L1^^^RCB^MR||NEW^NAME"
    mapped = map_message(message, lambda kind, id_: None)
    assert mapped.resources == []
    assert mapped.patient is not None and mapped.patient["name"][0]["family"] == "NEW"


def test_merge() -> None:
    message = "\r".join(
        [
            "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A40^ADT_A39|1|P|2.4",
            "PID|1||SURV1^^^RCB^MR~9434765919^^^NHS^NH",
            "MRG|9434765919^^^NHS^NH~OLD1^^^RCB^MR",
        ]
    )
    mapped = map_message(message, lambda kind, id_: None)
    assert mapped.merge is not None
    assert (mapped.merge.prior_local_id, mapped.merge.surviving_local_id) == ("OLD1", "SURV1")
    assert mapped.resources == []


def test_merge_without_mrg_is_an_application_error() -> None:
    message = "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A40|1|P|2.4\rPID|1||SURV1^^^RCB^MR"
    with pytest.raises(HL7Error) as caught:
        map_message(message, lambda kind, id_: None)
    assert (caught.value.code, caught.value.reject) == ("101", False)


@pytest.mark.parametrize(
    ("kind", "code"), [("ADT^A60", "201"), ("ORM^O01", "200"), ("OML^O21", "200")]
)
def test_unsupported_messages(kind: str, code: str) -> None:
    message = f"MSH|^~\\&|PAS|RCB|CR|CR|2024||{kind}|1|P|2.4\rPID|1||L1"
    with pytest.raises(HL7Error) as caught:
        map_message(message, lambda kind, id_: None)
    assert (caught.value.code, caught.value.reject) == (code, True)
    assert kind in caught.value.text
