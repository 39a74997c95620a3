"""Reading a predecessor's objections file: what is accepted, and what refuses the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.access.objection_file import ObjectionsFile, read_objections
from carerecord.access.vocabulary import OnBehalf
from carerecord.errors import MalformedInput, UnsupportedFormat

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
HEADER = "nhs_number,recorded_at,recorded_by,on_behalf,evidence_ref,checked_by,reference"


def read(*lines: str, prefix: bytes = b"") -> ObjectionsFile:
    return read_objections(prefix + "\r\n".join(lines).encode(), NOW)


def test_a_spreadsheets_export_is_read_whole() -> None:
    text = (
        "Reference,NHS_Number,recorded_at,recorded_by,on_behalf,evidence_ref,checked_by",
        'CC-1,943 476 5919,2024-01-15T09:30,"Patel, R",lpa-health-welfare,7000-1234, Sam  Okafor ',
        ",,,,,,",
        "",
    )
    found = read_objections(b"\xef\xbb\xbf" + "\r\n".join(text).encode(), NOW)

    [row] = found.accepted
    assert (row.line, row.nhs_number, row.reference) == (2, "9434765919", "CC-1")
    assert (row.recorded_by, row.checked_by) == ("Patel, R", "Sam Okafor")
    assert row.on_behalf is OnBehalf.LPA_HEALTH_WELFARE
    assert row.recorded_at == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)  # GMT in January
    assert row.external_ref == "import:CC-1" and not row.attorney_without_evidence
    assert found.rows == 1


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2024-07-01", datetime(2024, 6, 30, 23, 0, tzinfo=UTC)),  # midnight, BST
        ("2024-07-01T12:00", datetime(2024, 7, 1, 11, 0, tzinfo=UTC)),
        ("2024-07-01T12:00Z", datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
        ("2024-07-01 12:00:00+02:00", datetime(2024, 7, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_times_without_a_zone_are_uk_time(written: str, meant: datetime) -> None:
    found = read(HEADER, f"9434765919,{written},R Patel,self,,,CC-1")

    assert found.accepted[0].recorded_at == meant


def test_a_multi_line_field_keeps_the_next_rows_line_numbers_right() -> None:
    found = read(
        HEADER, '9434765919,2024-01-15,"R\nPatel",self,,,CC-1', "123,2024-01-15,R,self,,,CC-2"
    )

    assert found.accepted[0].recorded_by == "R Patel"
    assert found.invalid_nhs_numbers == (4,)


@pytest.mark.parametrize(
    "header",
    [
        "nhs_number,recorded_at,recorded_by,on_behalf,evidence_ref,checked_by",
        HEADER + ",notes",
        HEADER + ",reference",
        "",
    ],
)
def test_a_header_that_is_not_the_seven_columns_refuses_the_file(header: str) -> None:
    with pytest.raises(UnsupportedFormat, match="must name the columns"):
        read(header, "9434765919,2024-01-15,R Patel,self,,,CC-1")


def test_nul_bytes_and_broken_quoting_refuse_the_file() -> None:
    with pytest.raises(UnsupportedFormat, match="NUL"):
        read(HEADER, "9434765919,2024-01-15,R\x00,self,,,CC-1")
    with pytest.raises(UnsupportedFormat, match="not CSV"):
        read(HEADER, '9434765919,2024-01-15,"R" Patel,self,,,CC-1')


def test_every_problem_is_named_but_only_the_first_twenty_in_full() -> None:
    rows = [f"9434765919,yesterday,R Patel,self,,,CC-{n}" for n in range(30)]

    with pytest.raises(MalformedInput) as refused:
        read(HEADER, *rows)

    message = str(refused.value)
    assert message.startswith("30 row(s) cannot be imported")
    assert "line 21:" in message and "line 22:" not in message and "and 10 more" in message
