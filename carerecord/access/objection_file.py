"""Reading a predecessor system's objections file (CSV). Pure: the command looks up who is held
and writes what this accepts.

The header names the seven columns, in any order:
`nhs_number,recorded_at,recorded_by,on_behalf,evidence_ref,checked_by,reference`.
A row that cannot be read as an objection (a bad date, an unknown `on_behalf`, a missing
`recorded_by` or `reference`, a field too long, a reference repeated with other details)
refuses the whole file: an operator fixes it and runs it again. A row whose NHS number fails
its check digit is reported by line and left out: no one can be matched to it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from carerecord import nhs_number
from carerecord.access.vocabulary import OnBehalf
from carerecord.errors import MalformedInput, UnsupportedFormat

COLUMNS = (
    "nhs_number",
    "recorded_at",
    "recorded_by",
    "on_behalf",
    "evidence_ref",
    "checked_by",
    "reference",
)
REFERENCE_PREFIX = "import:"
MAX_REFERENCE = 200 - len(REFERENCE_PREFIX)
MAX_NAME, MAX_EVIDENCE = 100, 200
MAX_FIELD = 1000  # no field of an objection is longer; anything longer is not this file
MAX_PROBLEMS = 20  # shown before the rest are counted
UK = ZoneInfo("Europe/London")
_DROPPED = ("Cc", "Cs")  # control characters and lone surrogates


@dataclass(frozen=True)
class FileRow:
    line: int
    nhs_number: str
    recorded_at: datetime
    recorded_by: str
    on_behalf: OnBehalf
    evidence_ref: str | None
    checked_by: str | None
    reference: str

    @property
    def external_ref(self) -> str:
        return REFERENCE_PREFIX + self.reference

    @property
    def attorney_without_evidence(self) -> bool:
        attorney = self.on_behalf is OnBehalf.LPA_HEALTH_WELFARE
        return attorney and not (self.evidence_ref and self.checked_by)


@dataclass(frozen=True)
class ObjectionsFile:
    rows: int  # data rows read
    accepted: tuple[FileRow, ...]  # valid NHS numbers, each reference once
    invalid_nhs_numbers: tuple[int, ...]  # line numbers
    duplicates: tuple[int, ...]  # line numbers of rows repeating an earlier one exactly


def read_objections(data: bytes, now: datetime) -> ObjectionsFile:
    """Raises UnsupportedFormat (not UTF-8 text, no header) or MalformedInput (rows that are
    not objections), naming the lines; then nothing may be imported."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedFormat(f"not UTF-8 text (byte {error.start})") from None
    if "\x00" in text:
        raise UnsupportedFormat("holds NUL characters: not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        order = _columns(header)
        return _rows(reader, order, now)
    except csv.Error as error:
        raise UnsupportedFormat(f"line {reader.line_num}: not CSV ({error})") from None


def _columns(header: list[str] | None) -> dict[str, int]:
    if header is None:
        raise UnsupportedFormat(f"empty: the first line must name the columns {','.join(COLUMNS)}")
    names = [name.strip().lower() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        found = ",".join(n[:40] for n in names[:10])
        raise UnsupportedFormat(
            f"the first line must name the columns {','.join(COLUMNS)} (found: {found})"
        )
    return {name: names.index(name) for name in COLUMNS}


def _rows(reader: Any, order: dict[str, int], now: datetime) -> ObjectionsFile:
    problems: list[str] = []
    seen: dict[str, FileRow] = {}
    accepted: list[FileRow] = []
    invalid: list[int] = []
    duplicates: list[int] = []
    count = 0
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank lines, often at the end
        count += 1
        row = _row(line, fields, order, now, problems)
        if row is None:
            continue
        earlier = seen.get(row.reference)
        if earlier is not None:
            if _same(earlier, row):
                duplicates.append(line)
            else:
                problems.append(
                    f"line {line}: reference {row.reference[:40]!r} is on line {earlier.line} "
                    "with other details"
                )
            continue
        seen[row.reference] = row
        if nhs_number.is_valid(row.nhs_number):
            accepted.append(row)
        else:
            invalid.append(line)
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        raise MalformedInput(
            f"{len(problems)} row(s) cannot be imported, so nothing was: {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )
    return ObjectionsFile(count, tuple(accepted), tuple(invalid), tuple(duplicates))


def _row(
    line: int, fields: list[str], order: dict[str, int], now: datetime, problems: list[str]
) -> FileRow | None:
    if len(fields) != len(order):
        problems.append(f"line {line}: {len(fields)} fields, not {len(order)}")
        return None
    value = {name: _clean(fields[index]) for name, index in order.items()}
    wrong = [f"{name} is too long" for name, text in value.items() if len(text) > MAX_FIELD]
    recorded_at = _moment(value["recorded_at"], now, wrong)
    who = next((o for o in OnBehalf if o.value == value["on_behalf"]), None)
    if who is None:
        wrong.append(f"on_behalf must be one of {', '.join(o.value for o in OnBehalf)}")
    for name, limit in (("recorded_by", MAX_NAME), ("reference", MAX_REFERENCE)):
        if not value[name]:
            wrong.append(f"{name} is empty")
        elif len(value[name]) > limit:
            wrong.append(f"{name} is longer than {limit} characters")
    if len(value["checked_by"]) > MAX_NAME:
        wrong.append(f"checked_by is longer than {MAX_NAME} characters")
    if len(value["evidence_ref"]) > MAX_EVIDENCE:
        wrong.append(f"evidence_ref is longer than {MAX_EVIDENCE} characters")
    if wrong or recorded_at is None or who is None:
        problems.append(f"line {line}: {', '.join(wrong)}")
        return None
    return FileRow(
        line=line,
        nhs_number=nhs_number.normalise(value["nhs_number"]),
        recorded_at=recorded_at,
        recorded_by=value["recorded_by"],
        on_behalf=who,
        evidence_ref=value["evidence_ref"] or None,
        checked_by=value["checked_by"] or None,
        reference=value["reference"],
    )


def _moment(text: str, now: datetime, wrong: list[str]) -> datetime | None:
    """A date (midnight in the UK) or a date and time (UK time unless it says otherwise)."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), UK)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UK)
    except ValueError:
        wrong.append("recorded_at is not a date (2024-03-05) or date and time (2024-03-05T09:30)")
        return None
    if moment > now:
        wrong.append("recorded_at is in the future")
        return None
    return moment.astimezone(UTC)


def _same(a: FileRow, b: FileRow) -> bool:
    return replace(a, line=0) == replace(b, line=0)


def _clean(text: str) -> str:
    """One line of text, control characters dropped and spaces made single."""
    kept = (" " if ch.isspace() else ch for ch in text)
    return " ".join("".join(ch for ch in kept if unicodedata.category(ch) not in _DROPPED).split())
