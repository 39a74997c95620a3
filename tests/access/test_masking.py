"""NameMask: a restricted person's own GP practice, named nowhere inside what is shown."""

from __future__ import annotations

import orjson
import pytest

from carerecord.access.masking import NameMask, practice_displays

MASK = NameMask.of(["Larkhill Quietway Surgery"], ["LQS9Z"], "Withheld practice", "WITHHELD")


def masked(resource: dict[str, object]) -> dict[str, object]:
    result: dict[str, object] = orjson.loads(MASK.body(orjson.dumps(resource).decode()))
    return result


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            {"performer": [{"display": "Larkhill Quietway Surgery"}]},
            {"performer": [{"display": "Withheld practice"}]},
        ),
        (
            {"note": [{"text": "seen at LARKHILL quietway surgery, room 2"}]},
            {"note": [{"text": "seen at Withheld practice, room 2"}]},
        ),
        (
            {"custodian": {"identifier": {"value": "LQS9Z"}}, "meta": {"source": "urn:ods:LQS9Z"}},
            {
                "custodian": {"identifier": {"value": "WITHHELD"}},
                "meta": {"source": "urn:ods:WITHHELD"},
            },
        ),
        ({"code": "LQS9ZX", "id": "aLQS9Z"}, {"code": "LQS9ZX", "id": "aLQS9Z"}),  # not a word
        ({"LQS9Z": 1, "count": 2}, {"LQS9Z": 1, "count": 2}),  # keys are not text shown
    ],
)
def test_every_mention_of_the_practice_is_replaced(
    given: dict[str, object], shown: dict[str, object]
) -> None:
    assert masked(given) == shown


def test_a_resource_that_does_not_mention_it_is_returned_as_it_was() -> None:
    body = '{"resourceType": "Condition",  "code": {"text": "Asthma"}}'

    assert MASK.body(body) is body


def test_a_name_too_short_to_be_distinctive_is_not_masked() -> None:
    mask = NameMask.of(["GP", "  "], [], "Withheld practice", "WITHHELD")

    assert mask.names == frozenset()
    assert mask.body('{"text": "GP review"}') == '{"text": "GP review"}'


def test_the_practice_names_come_from_every_patient_resource() -> None:
    bodies = [
        orjson.dumps({"generalPractitioner": [{"display": "Larkhill Quietway Surgery"}]}).decode(),
        orjson.dumps({"generalPractitioner": [{"reference": "Practitioner/1"}, "odd"]}).decode(),
        "not json",
    ]

    assert practice_displays(bodies) == {"Larkhill Quietway Surgery"}
