"""Results grouped by test, their ranges and flags, and a test's trend: pure, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carerecord.record.results import (
    LOINC,
    Flag,
    display_name,
    flags,
    group_by_test,
    latest_by_test,
    result_of,
    short_loinc_name,
    trend,
)
from tests.record.factories_results import (
    POTASSIUM,
    SODIUM,
    imaging_report,
    item_of,
    observation,
)


def test_results_are_grouped_by_test_code_newest_group_and_value_first() -> None:
    items = [
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM, low=133, high=146)),
        item_of(observation(5.9, "2026-02-01T09:00:00", source="RAL01")),
    ]
    groups = group_by_test(items)
    assert [g.code for g in groups] == [POTASSIUM[0], SODIUM[0]]
    assert [r.value for r in groups[0].results] == [Decimal("5.9"), Decimal("4.1")]
    assert groups[0].name == "Potassium"  # the LOINC long name, shortened


def test_latest_by_test_reads_only_each_tests_newest_results_and_agrees_with_grouping() -> None:
    items = [
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(4.4, "2025-01-05T09:00:00")),
        item_of(observation(5.9, "2026-02-01T09:00:00")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM)),
    ]

    latest = latest_by_test(items, limit=8)

    assert [g.code for g in latest] == [g.code for g in group_by_test(items)]
    assert [r.value for r in latest[0].results] == [Decimal("5.9"), Decimal("4.4")]
    assert {g.code: g.has_trend for g in latest} == {POTASSIUM[0]: True, SODIUM[0]: False}
    assert len(latest_by_test(items, limit=1)) == 1


def test_a_test_with_two_numeric_values_has_a_trend_and_one_value_does_not() -> None:
    groups = group_by_test(
        [
            item_of(observation(4.1, "2024-01-05T09:00:00")),
            item_of(observation(4.4, "2025-01-05T09:00:00")),
            item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM)),
        ]
    )
    assert {g.code: g.has_trend for g in groups} == {POTASSIUM[0]: True, SODIUM[0]: False}


def test_an_imaging_report_keeps_its_conclusion_and_has_no_trend() -> None:
    report = item_of(imaging_report("No consolidation.", "2026-01-02T10:00:00"), "RAL01")
    (group,) = group_by_test([report])
    assert group.results[0].conclusion == "No consolidation."
    assert group.results[0].value is None
    assert not group.has_trend


def test_value_unit_and_range_are_read_as_exact_decimals() -> None:
    result = result_of(item_of(observation(0.5, "2026-01-01T09:00:00", unit="mg/L", low=None)))
    assert (result.value, result.unit, result.low, result.high) == (
        Decimal("0.5"),
        "mg/L",
        None,
        Decimal("5.3"),
    )


@pytest.mark.parametrize(
    ("interpretation", "value", "expected"),
    [
        # the source's own flag, in code and words
        ([{"coding": [{"code": "H"}]}], "6", (Flag("H", "High"),)),
        ([{"coding": [{"code": "LL"}]}], "2", (Flag("LL", "Critically low"),)),
        ([{"coding": [{"code": "N"}]}], "4", (Flag("N", "Normal"),)),
        (
            [{"coding": [{"code": "H", "display": "Above high normal"}]}],
            "6",
            (Flag("H", "Above high normal"),),
        ),
        ([{"text": "Raised"}], "6", (Flag("", "Raised"),)),
        # no flag sent: H or L from the range, marked as worked out here
        (None, "6", (Flag("H", "Above range", from_range=True),)),
        (None, "3", (Flag("L", "Below range", from_range=True),)),
        (None, "4", ()),
        (None, None, ()),
        ("not a list", "4", ()),
    ],
)
def test_flags(interpretation: object, value: str | None, expected: tuple[Flag, ...]) -> None:
    number = Decimal(value) if value is not None else None
    assert flags(interpretation, number, Decimal("3.5"), Decimal("5.3")) == expected


def test_normal_is_not_abnormal_and_high_is() -> None:
    assert not Flag("N", "Normal").abnormal
    assert Flag("H", "High").abnormal


def test_trend_is_oldest_first_numeric_values_of_that_code_only() -> None:
    items = [
        item_of(observation(4.4, "2025-01-05T09:00:00")),
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(None, "2024-06-05T09:00:00", valueString="Haemolysed")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM)),
    ]
    assert [r.value for r in trend(items, POTASSIUM[0])] == [Decimal("4.1"), Decimal("4.4")]


@pytest.mark.parametrize("code", ["", "2823-3x", "../etc", "1" * 30, "2823-3' or 1=1", "9999-9"])
def test_trend_of_a_malformed_or_unknown_code_is_empty(code: str) -> None:
    items = [item_of(observation(4.4, "2025-01-05T09:00:00"))]
    assert trend(items, code) == ()


def test_a_text_value_is_kept_as_words() -> None:
    result = result_of(item_of(observation(None, "2024-06-05T09:00:00", valueString="Haemolysed")))
    assert result.value is None
    assert result.value_text == "Haemolysed"


def test_a_lab_report_counts_the_results_it_groups() -> None:
    report = imaging_report("", "2026-01-02T10:00:00")
    report.pop("conclusion")
    report["result"] = [{"reference": "Observation/1"}, {"reference": "Observation/2"}]
    result = result_of(item_of(report, "RAL01"))
    assert (result.conclusion, result.result_count) == (None, 2)


# -- What a test is called -------------------------------------------------------------------

HAEMOGLOBIN = ("718-7", "Hemoglobin [Mass/volume] in Blood")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (
            {"text": "Haemoglobin", "coding": [{"system": LOINC, "display": HAEMOGLOBIN[1]}]},
            "Haemoglobin",
        ),
        (
            {
                "coding": [
                    {"system": LOINC, "code": "718-7", "display": HAEMOGLOBIN[1]},
                    {"system": "https://lab.example/codes", "code": "HB", "display": "Hb"},
                ]
            },
            "Hb",  # the laboratory's own name before LOINC's
        ),
        ({"coding": [{"system": LOINC, "code": "718-7", "display": HAEMOGLOBIN[1]}]}, "Hemoglobin"),
        ({"coding": [{"system": LOINC, "code": "718-7"}]}, None),
        (  # the source's "own words" are LOINC's long name, copied
            {"text": HAEMOGLOBIN[1], "coding": [{"system": LOINC, "display": HAEMOGLOBIN[1]}]},
            "Hemoglobin",
        ),
    ],
)
def test_a_test_is_called_by_the_sources_words_before_a_loinc_long_name(
    code: dict[str, object], name: str | None
) -> None:
    resource = observation(130, "2026-01-05T09:00:00", test=HAEMOGLOBIN, unit="g/L")
    resource["code"] = code
    assert display_name(item_of(resource)) == name


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("Hemoglobin [Mass/volume] in Blood", "Hemoglobin"),
        ("Leukocytes [#/volume] in Blood by Automated count", "Leukocytes"),
        ("Sodium [Moles/volume] in Serum or Plasma", "Sodium"),
        (
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or "
            "Blood by Creatinine-based formula (CKD-EPI)",
            "Glomerular filtration rate/1.73 sq M.predicted",
        ),
        ("Albumin [Mass/volume] in Urine", "Albumin in Urine"),  # a specimen that matters stays
        ("Glucose [Mass/volume] in Cerebral spinal fluid", "Glucose in Cerebral spinal fluid"),
        ("Body weight [Mass]", "Body weight"),
        (
            "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol",
            "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol",
        ),
        ("Renal panel", "Renal panel"),
    ],
)
def test_a_loinc_long_name_loses_its_property_and_a_blood_system(display: str, name: str) -> None:
    assert short_loinc_name(display) == name


def test_a_text_longer_than_any_loinc_name_is_kept_whole() -> None:
    """No LOINC long name comes near 255 characters, and reading a hostile source's 90 KB of
    brackets as one would cost seconds a row: such a text is shown as sent."""
    sent = "Haemoglobin " * 30 + "[Mass/volume] in Blood"
    assert short_loinc_name(sent) == sent
    assert short_loinc_name("a [" * 30_000) == "a [" * 30_000
