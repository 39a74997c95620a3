"""MDM: TXA plus its OBX content as a FHIR DocumentReference."""

from __future__ import annotations

from carerecord.ingest.hl7v2.attachments import encapsulated, is_encapsulated, text_attachment
from carerecord.ingest.hl7v2.context import Context, Resource
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.segments import as_text
from carerecord.ingest.hl7v2.values import codeable, fhir_id, instant, person_name, prune, to_utc

DOCUMENT_EVENTS = {"T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "T11"}
_WITHDRAWN_STATUS = {"CA", "DE", "DI"}  # TXA-17: cancelled, deleted, ("deleted") in some feeds


def _content(ctx: Context, title: str) -> list[Resource]:
    content: list[Resource] = []
    lines: list[str] = []
    for obx in ctx.message.all("OBX"):
        if is_encapsulated(obx.get(2).upper(), obx.rep(5)):
            attachment, problem = encapsulated(obx.rep(5), title)
            if attachment:
                content.append({"attachment": attachment})
            else:
                ctx.warnings.append(f"OBX {obx.get(1)}: the document {problem}; it was left out.")
        else:
            lines.extend(as_text(rep) for rep in obx.reps(5) or [()])
    if any(lines):
        content.insert(0, {"attachment": text_attachment("\n".join(lines), title)})
    return content


def map_document(ctx: Context) -> list[Resource]:
    txa = ctx.message.first("TXA")
    if txa is None:
        raise HL7Error("The MDM message has no TXA segment.", "101", "TXA", reject=False)
    doc_type = codeable(txa.rep(2))
    first_obx = ctx.message.first("OBX")
    description = txa.get(2, 2) or (first_obx.get(3, 2) if first_obx else "")
    content = _content(ctx, description)
    if not content:
        raise HL7Error(
            "The MDM message carries no readable document content in OBX-5.",
            code="101",
            location="OBX^1^5",
            reject=False,
        )
    withdrawn = ctx.header.trigger == "T11" or txa.get(17).upper() in _WITHDRAWN_STATUS
    when = to_utc(txa.get(4)) or to_utc(txa.get(6)) or ctx.header.sent_at
    number = txa.get(12) or ctx.header.control_id
    authors = [{"display": person_name(rep, offset=1) or as_text(rep)} for rep in txa.reps(9)]
    authors += [{"display": person_name(rep, offset=1)} for rep in txa.reps(10)]
    document = {
        "resourceType": "DocumentReference",
        "id": fhir_id(number),
        "meta": ctx.meta,
        "masterIdentifier": {
            "system": f"urn:ods:{fhir_id(ctx.ods)}:document-number",
            "value": number,
        },
        "status": "entered-in-error" if withdrawn else "current",
        "type": doc_type,
        "subject": ctx.patient_ref,
        "date": instant(when) if when else None,
        "author": [author for author in authors if author["display"]],
        "custodian": ctx.organisation,
        "description": description,
        "content": content,
    }
    return [prune(document)]
