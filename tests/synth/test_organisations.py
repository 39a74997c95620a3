from __future__ import annotations

import json
from pathlib import Path

from carerecord.fhir.sections import SECTIONS, section_of
from carerecord.synth import SynthSummary, organisations
from carerecord.synth.organisations import REGIONS, TYPES
from tests.synth.conftest import read_resources


def test_every_type_is_in_every_region() -> None:
    orgs = organisations(1)
    regional = set(TYPES) - {"ambulance", "111"}
    for region in REGIONS:
        assert regional <= {o.type for o in orgs if o.region == region}
    assert sum(o.type == "ambulance" for o in orgs) == 1
    assert sum(o.type == "111" for o in orgs) == 1


def test_codes_are_unique_and_mostly_live() -> None:
    orgs = organisations(1)
    assert len({o.ods_code for o in orgs}) == len(orgs)
    assert sum(o.status == "live" for o in orgs) > 0.8 * len(orgs)
    assert {o.status for o in orgs} <= {"onboarding", "pilot", "live"}
    assert all(set(o.sections) <= set(SECTIONS) for o in orgs)


def test_listing_matches_organisations(dataset: tuple[Path, SynthSummary]) -> None:
    out, summary = dataset
    listed = json.loads((out / "organisations.json").read_text("utf-8"))
    assert [o["ods_code"] for o in listed] == [o.ods_code for o in organisations(1)]
    assert len(listed) == summary.organisations


def test_sources_only_write_sections_they_share(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    shares = {o.ods_code: set(o.sections) | {"supporting"} for o in organisations(1)}
    for ods, resource in read_resources(out):
        assert section_of(resource) in shares[ods], (ods, resource["resourceType"])


def test_onboarding_organisations_hold_no_data(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    onboarding = {o.ods_code for o in organisations(1) if o.status == "onboarding"}
    assert not onboarding & {p.stem for p in (out / "fhir").glob("*.ndjson")}
