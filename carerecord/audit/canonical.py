"""The chain: each entry's hash is SHA-256 over the previous entry's hash and the entry's
canonical serialisation, so changing, removing, reordering or inserting any entry breaks
every link after it.

The canonical form is JSON with sorted keys and no spaces (orjson), times in UTC to the
microsecond, and NUL characters replaced (PostgreSQL will not store them, and an entry must
be stored exactly as hashed). Format 1 is the first, smaller entry, kept so logs written
before format 2 still verify.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from carerecord.audit.entry import StoredEntry, instant

GENESIS = "0" * 64
FORMAT = 2


def fields_of(entry: StoredEntry) -> dict[str, object]:
    """The fields the hash covers, by the entry's format."""
    if entry.format == 1:
        return {
            "occurred_at": entry.occurred_at.isoformat(),
            "actor": entry.actor,
            "action": entry.action,
            "patient_id": entry.patient_id,
            "outcome": entry.outcome,
            "detail": entry.detail,
        }
    return {
        "format": entry.format,
        "occurred_at": instant(entry.occurred_at),
        "actor": entry.actor,
        "action": entry.action,
        "outcome": entry.outcome,
        "patient_id": entry.patient_id,
        "organisation": entry.organisation,
        "user_id": entry.user_id,
        "role": entry.role,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }


def serialise(fields: Mapping[str, object]) -> bytes:
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def link(prev_hash: str, fields: Mapping[str, object]) -> str:
    return hashlib.sha256(prev_hash.encode() + serialise(fields)).hexdigest()


def storable(value: object) -> Any:
    """The value as the database will give it back: keys as text, tuples as lists, times in
    orjson's RFC 3339 form, NULs replaced. One round trip through orjson: a summary's entry
    holds a few thousand values, and walking them in Python took most of a millisecond."""
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    if b"\\u0000" in text:
        text = text.replace(b"\\u0000", b"\\ufffd")
    return orjson.loads(text)
