"""Every resource is FHIR that a validator accepts, with the envelope the ingest relies on."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class

from carerecord.synth import SynthSummary
from carerecord.uk_time import local
from tests.synth.conftest import read_resources


def test_every_resource_validates(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    for _, resource in read_resources(out):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_envelope(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    ids: Counter[tuple[str, str, str]] = Counter()
    for ods, resource in read_resources(out):
        assert resource["meta"]["source"] == f"urn:ods:{ods}"
        assert resource["meta"]["lastUpdated"].endswith("Z")
        ids[(ods, resource["resourceType"], resource["id"])] += 1
        assert resource["resourceType"] != "Medication"
    assert max(ids.values()) == 1


def test_patient_comes_first_and_references_are_local(
    dataset: tuple[Path, SynthSummary],
) -> None:
    out, _ = dataset
    seen: set[tuple[str, str]] = set()
    for ods, resource in read_resources(out):
        if resource["resourceType"] == "Patient":
            seen.add((ods, resource["id"]))
            continue
        subject = resource.get("subject") or resource.get("patient")
        if subject is not None:
            kind, local = subject["reference"].split("/")
            assert kind == "Patient" and (ods, local) in seen


def test_documents_are_readable_text(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    letters = [r for _, r in read_resources(out) if r["resourceType"] == "DocumentReference"]
    assert letters
    for letter in letters:
        attachment = letter["content"][0]["attachment"]
        assert attachment["contentType"].startswith("text/plain")
        assert "Patient:" in base64.b64decode(attachment["data"]).decode("utf-8")


def test_letters_give_their_time_in_uk_local_time(dataset: tuple[Path, SynthSummary]) -> None:
    """The letter's own `Date:` line says what the page beside it says: UK time, an hour
    ahead of UTC in summer."""
    out, _ = dataset
    letters = [r for _, r in read_resources(out) if r["resourceType"] == "DocumentReference"]
    summer = 0
    for letter in letters:
        text = base64.b64decode(letter["content"][0]["attachment"]["data"]).decode("utf-8")
        moment = datetime.fromisoformat(letter["date"])
        assert f"Date: {local(moment):%d %b %Y %H:%M}" in text
        summer += local(moment).utcoffset() != timedelta(0)
    assert summer  # some letters were written in British Summer Time


def test_results_trend_over_time(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    series: Counter[tuple[str, str, str]] = Counter()
    for ods, resource in read_resources(out):
        if resource["resourceType"] == "Observation":
            code = resource["code"]["coding"][0]["code"]
            series[(ods, resource["subject"]["reference"], code)] += 1
            assert resource["interpretation"][0]["coding"][0]["code"] in {"H", "L", "N"}
    assert max(series.values()) >= 3


def test_no_legally_restricted_codes(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    text = "".join(p.read_text("utf-8").lower() for p in (out / "fhir").glob("*.ndjson"))
    for word in (
        "fertility",
        "ivf",
        "gender recognition",
        "sexually transmitted",
        "termination of pregnancy",
    ):
        assert word not in text
