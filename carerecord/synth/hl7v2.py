"""HL7 v2.4 messages for a hospital's feed: ADT A01/A02/A03/A04 and ORU^R01.

They describe the same stays and results as the trust's FHIR file: PV1-19 is the
Encounter's visit number and OBR-3 the DiagnosticReport's filler order number. Segments end
with a carriage return; each message is followed by a newline. Restricted patients carry
PD1-12 (protection indicator) ``Y``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from carerecord.synth.hospital import HospitalEvents
from carerecord.synth.results import ANALYTES, PANELS, LabReport, interpretation
from carerecord.synth.source import Source
from carerecord.synth.story import Stay, Story

_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
_ED = "Emergency Department"


def escape(text: str) -> str:
    """Escape HL7 delimiters in data (the escape character first)."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def _segment(*fields: str) -> str:
    return "|".join(fields)


class Feed:
    """Numbers each message so control ids are unique within the sender."""

    def __init__(self, source: Source, story: Story) -> None:
        self.source, self.story, self.count = source, story, 0

    def msh(self, kind: str, structure: str, when: datetime) -> str:
        self.count += 1
        control = f"{self.source.ods}{self.story.person.index:07d}{self.count:03d}"
        return _segment(
            "MSH",
            "^~\\&",
            "PAS",
            self.source.ods,
            "CARERECORD",
            "CARERECORD",
            ts(when),
            "",
            f"{kind}^{structure}",
            control,
            "P",
            "2.4",
        )

    def pid(self) -> str:
        person, source = self.story.person, self.source
        ids = [f"{source.local_id}^^^{source.ods}^MR"]
        if self.story.nhs_number_missing_at != source.ods:
            ids.insert(0, f"{person.nhs_number}^^^NHS^NH")
        name = "^".join(
            (escape(person.family), escape(person.given), "", "", escape(person.prefix))
        )
        lines = [*person.address.line, ""][:2]
        address = "^".join(
            (*(escape(x) for x in lines), escape(person.address.city), "", person.address.postcode)
        )
        died = self.story.died
        fields = [
            "PID",
            "1",
            "",
            "~".join(ids),
            "",
            name,
            "",
            person.birth_date.strftime("%Y%m%d"),
            "F" if person.gender == "female" else "M",
            "",
            "",
            address,
            "",
            escape(person.phone),
        ]
        fields += [""] * 15 + [ts(died) if died else "", "Y" if died else ""]
        return _segment(*fields).rstrip("|")

    def pd1(self) -> list[str]:
        return [_segment("PD1", *[""] * 10, "Y")] if self.story.restricted else []


def _pv1(
    source: Source, stay: Stay, ward: str, prior: str = "", discharged: datetime | None = None
) -> str:
    fields = [""] * 46
    fields[0], fields[1] = "PV1", "1"
    fields[2] = "I" if stay.kind == "admission" else "E"
    fields[3] = f"{escape(ward)}^^^{source.ods}"
    fields[6] = f"{escape(prior)}^^^{source.ods}" if prior else ""
    fields[19] = stay.visit_number
    fields[44] = ts(stay.start)
    fields[45] = ts(discharged) if discharged else ""
    return _segment(*fields).rstrip("|")


def _adt(feed: Feed, event: str, when: datetime, pv1: str) -> str:
    segments = [
        feed.msh(f"ADT^{event}", f"ADT_{event}", when),
        _segment("EVN", event, ts(when)),
        feed.pid(),
        *feed.pd1(),
        pv1,
    ]
    return "\r".join(segments) + "\r"


def stay_messages(feed: Feed, stay: Stay) -> Iterator[str]:
    source = feed.source
    if stay.kind == "ed":
        yield _adt(feed, "A04", stay.start, _pv1(source, stay, _ED))
        yield _adt(feed, "A03", stay.end, _pv1(source, stay, _ED, discharged=stay.end))
        return
    first_ward, _ = stay.wards[0]
    yield _adt(feed, "A01", stay.start, _pv1(source, stay, first_ward))
    for (prior, _), (ward, moved) in zip(stay.wards, stay.wards[1:], strict=False):
        yield _adt(feed, "A02", moved, _pv1(source, stay, ward, prior))
    yield _adt(feed, "A03", stay.end, _pv1(source, stay, stay.wards[-1][0], discharged=stay.end))


def _obx(number: int, key: str, value: float, female: bool) -> str:
    analyte = ANALYTES[key]
    low, high = analyte.bounds(female)
    if low is not None and high is not None:
        limits = f"{low:g}-{high:g}"
    else:
        limits = f">{low:g}" if low is not None else f"<{high:g}"
    flag = interpretation(analyte, value, female)
    code = f"{analyte.code.code}^{escape(analyte.code.display)}^LN"
    unit = f"{escape(analyte.unit)}^{escape(analyte.unit_display)}^UCUM"
    return _segment(
        "OBX", str(number), "NM", code, "", f"{value:g}", unit, escape(limits), flag, "", "", "F"
    )


def result_message(feed: Feed, report: LabReport, stay: Stay | None) -> str:
    panel = PANELS[report.panel].code
    female = feed.story.person.gender == "female"
    segments = [feed.msh("ORU^R01", "ORU_R01", report.issued), feed.pid(), *feed.pd1()]
    if stay is not None:
        segments.append(_pv1(feed.source, stay, stay.wards[0][0] if stay.wards else _ED))
    segments += [
        _segment("ORC", "RE", "", report.filler_number),
        _segment(
            "OBR",
            "1",
            "",
            report.filler_number,
            f"{panel.code}^{escape(panel.display)}^LN",
            "",
            "",
            ts(report.collected),
            *[""] * 14,
            ts(report.issued),
            "",
            "LAB",
            "F",
        ),
    ]
    segments += [_obx(n, key, value, female) for n, (key, value) in enumerate(report.values, 1)]
    return "\r".join(segments) + "\r"


def imaging_message(feed: Feed, number: str, taken: datetime, finding: str) -> str:
    issued = taken + timedelta(hours=4)
    segments = [
        feed.msh("ORU^R01", "ORU_R01", issued),
        feed.pid(),
        *feed.pd1(),
        _segment("ORC", "RE", "", number),
        _segment(
            "OBR",
            "1",
            "",
            number,
            "399208008^Plain chest X-ray^SCT",
            "",
            "",
            ts(taken),
            *[""] * 14,
            ts(issued),
            "",
            "RAD",
            "F",
        ),
        _segment(
            "OBX",
            "1",
            "TX",
            "399208008^Plain chest X-ray^SCT",
            "",
            escape(finding),
            "",
            "",
            "",
            "",
            "",
            "F",
        ),
    ]
    return "\r".join(segments) + "\r"


def messages(source: Source, story: Story, events: HospitalEvents) -> list[str]:
    """Every message for this patient at this trust, in the order they would be sent."""
    feed = Feed(source, story)
    out = [m for stay in events.stays for m in stay_messages(feed, stay)]
    for report in events.reports:
        stay = next((s for s in events.stays if s.start <= report.collected <= s.end), None)
        out.append(result_message(feed, report, stay))
    out += [imaging_message(feed, number, taken, text) for number, taken, text in events.imaging]
    return [m + "\n" for m in out]
