"""The organisation registry's types: the national demographics service is its own type, with
its own region, so it is never mistaken for (or registered as) a regional provider."""

from __future__ import annotations

import pytest

from carerecord.errors import InvalidOrganisation
from carerecord.organisations import NATIONAL, NATIONAL_REGION, organisation


def test_the_national_demographics_service_is_registered_as_national() -> None:
    pds = organisation("x26", "Personal Demographics Service", NATIONAL, NATIONAL_REGION)
    assert (pds.ods_code, pds.org_type, pds.region) == ("X26", "national", "National")


@pytest.mark.parametrize(
    ("org_type", "region"),
    [(NATIONAL, "North Central London"), ("gp", NATIONAL_REGION)],
)
def test_only_the_national_type_has_the_national_region(org_type: str, region: str) -> None:
    with pytest.raises(InvalidOrganisation, match="region"):
        organisation("X26", "Somewhere", org_type, region)
