"""The synthetic London dataset: organisations, then patients one at a time.

Each patient is generated from ``random.Random`` seeded with (seed, patient index), so a
run streams patient by patient with bounded memory and the same arguments always give
byte-identical files.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from carerecord.organisations import REGIONS
from carerecord.synth import gp, hl7v2, hospital, services, urgent
from carerecord.synth.hospital import HospitalEvents
from carerecord.synth.organisations import SynthOrganisation, as_json, organisations
from carerecord.synth.people import make_person
from carerecord.synth.source import Source
from carerecord.synth.story import Story, make_story
from carerecord.synth.writer import Writer

DEFAULT_AS_OF = date(2026, 11, 1)
_REGION_WEIGHTS = (6, 7, 7, 6, 5, 3, 1)
_PROGRESS_EVERY = 100


@dataclass(frozen=True)
class SynthSummary:
    patients: int
    organisations: int
    resources: int
    hl7_messages: int
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Region:
    practices: tuple[SynthOrganisation, ...]
    services: dict[str, SynthOrganisation]  # one organisation of each other type


def generate(
    patients: int,
    out: Path,
    seed: int = 1,
    as_of: date = DEFAULT_AS_OF,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    orgs = organisations(seed)
    out.mkdir(parents=True, exist_ok=True)
    listing = out / "organisations.json"
    listing.write_bytes(orjson.dumps([as_json(o) for o in orgs], option=orjson.OPT_INDENT_2))
    regions = _regions(orgs)
    with Writer(out) as writer:
        for index in range(patients):
            for org, resources, messages in patient_records(index, seed, as_of, regions):
                writer.write(org, resources, messages)
            if progress is not None and (index + 1) % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
        if progress is not None and patients % _PROGRESS_EVERY:
            progress(patients % _PROGRESS_EVERY)
        files = [listing, *writer.paths]
        return SynthSummary(patients, len(orgs), writer.resources, writer.messages, files)


def _regions(orgs: list[SynthOrganisation]) -> dict[str, Region]:
    national = {o.type: o for o in orgs if o.type in ("ambulance", "111")}
    regions = {}
    for name in REGIONS:
        local = [o for o in orgs if o.region == name and o.holds_data]
        practices = tuple(o for o in local if o.type == "gp")
        others = {o.type: o for o in local if o.type not in ("gp", "ambulance", "111")}
        regions[name] = Region(practices, others | national)
    return regions


def patient_records(
    index: int,
    seed: int,
    as_of: date,
    regions: dict[str, Region],
) -> Iterator[tuple[SynthOrganisation, list[dict[str, Any]], list[str]]]:
    """Each source's resources (and HL7 messages) for one patient, the GP first."""
    rng = random.Random(f"carerecord-synth:{seed}:{index}")
    region_name = rng.choices(REGIONS, weights=_REGION_WEIGHTS)[0]
    region = regions[region_name]
    person = make_person(rng, index, seed, region_name, as_of)
    story = make_story(rng, person, rng.choice(region.practices), region.services, as_of)
    for org in story.sources:
        source = Source(org, seed, index, as_of)
        events = _record(rng, source, story, region)
        messages = hl7v2.messages(source, story, events) if events is not None else []
        yield org, source.resources, messages


def _record(
    rng: random.Random, source: Source, story: Story, region: Region
) -> HospitalEvents | None:
    kind = source.org.type
    if kind == "gp":
        gp.record(rng, source, story, f"{region.services['acute'].name} Pathology")
        return None
    if kind == "acute":
        return hospital.record(rng, source, story)
    if kind == "mental-health":
        return services.mental_health(rng, source, story)
    _RECORDERS[kind](rng, source, story)
    return None


_RECORDERS: dict[str, Callable[[random.Random, Source, Story], None]] = {
    "community": services.community,
    "social-care": services.social_care,
    "care-home": services.care_home,
    "ambulance": urgent.ambulance,
    "111": urgent.nhs_111,
}
