"""What every message mapper needs: the message, its header, and the sender's stored state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from carerecord.ingest.hl7v2.header import Header
from carerecord.ingest.hl7v2.segments import Message
from carerecord.ingest.hl7v2.values import ODS_SYSTEM, fhir_datetime, instant

Resource = dict[str, Any]
# (resource_type, id) -> the stored resource from the same source, or None.
Lookup = Callable[[str, str], Resource | None]


@dataclass
class Context:
    message: Message
    header: Header
    current: Lookup
    patient_id: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ods(self) -> str:
        return self.header.sending_facility

    @property
    def meta(self) -> Resource:
        meta: Resource = {"source": "urn:ods:" + "-".join(self.ods.split())}
        if self.header.sent_at:
            meta["lastUpdated"] = instant(self.header.sent_at)
        return meta

    @property
    def patient_ref(self) -> Resource:
        return {"reference": f"Patient/{self.patient_id}"}

    @property
    def organisation(self) -> Resource:
        return {"identifier": {"system": ODS_SYSTEM, "value": self.ods}}

    def event_time(self) -> str | None:
        """When the event happened: EVN-6, else EVN-2, else when the message was sent."""
        evn = self.message.first("EVN")
        for text in (evn.get(6), evn.get(2)) if evn else ():
            if fhir_datetime(text):
                return fhir_datetime(text)
        return instant(self.header.sent_at) if self.header.sent_at else None
