"""Results and documents for Jane (tests/web/seed.py), loaded through the real ingest pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import write_ndjson
from tests.record.factories_results import (
    DISCHARGE,
    LOINC,
    SODIUM,
    attachment,
    composition,
    document,
    imaging_report,
    observation,
)
from tests.web.browser import serving, standard_and
from tests.web.seed import Seeded

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HOSTILE_HTML = (
    '<h2 id="plan">Plan</h2><p onclick="alert(1)">Rest and fluids.</p>'
    '<script>alert("x")</script><img src="http://tracker.example/p.gif" onerror="alert(2)">'
    '<a href="javascript:alert(3)">Click</a><a href="#plan">Back to plan</a>'
)


@dataclass(frozen=True)
class Titles:
    text: str = "Clinic letter from diabetes service"
    html: str = "Care plan summary"
    pdf: str = "Scanned referral"
    link_only: str = "Letter held elsewhere"
    broken: str = "Damaged letter"
    composition: str = "Ward discharge summary"


TITLES = Titles()


def gp_resources() -> list[dict[str, object]]:
    return [
        observation(4.1, "2024-01-05T09:00:00+00:00", flag="N"),
        observation(5.9, "2025-01-05T09:00:00+00:00", flag="H"),
        observation(3.1, "2026-01-05T09:00:00+00:00"),  # no flag sent: L from the range
        renal_panel(),
        observation(
            5000, "2026-02-01T09:00:00+00:00", test=SODIUM, unit="mmol/L", low=133, high=146
        ),
        document(
            TITLES.text, "2025-05-01T10:00:00+00:00", content=attachment("Dear Doctor,\nAll well.")
        ),
        document(
            TITLES.html, "2025-06-01T10:00:00+00:00", content=attachment(HOSTILE_HTML, "text/html")
        ),
        document(
            TITLES.pdf, "2025-07-01T10:00:00+00:00", content=attachment(PDF, "application/pdf")
        ),
        document(
            TITLES.link_only,
            "2025-08-01T10:00:00+00:00",
            content=attachment(None, url="https://elsewhere.example/doc/1"),
        ),
        document(
            TITLES.broken,
            "2025-09-01T10:00:00+00:00",
            content={"contentType": "text/plain", "data": "%%% not base64 %%%"},
        ),
    ]


def renal_panel() -> dict[str, object]:
    """A laboratory report grouping results that are each shown under their own test."""
    report = imaging_report("", "2026-02-01T09:00:00+00:00", source="F83004")
    report.pop("conclusion")
    report["code"] = {"coding": [{"system": LOINC, "code": "24362-6", "display": "Renal panel"}]}
    report["result"] = [{"reference": "Observation/obs1"}, {"reference": "Observation/obs2"}]
    return report


def hospital_resources() -> list[dict[str, object]]:
    return [
        imaging_report("No focal consolidation.", "2026-03-02T10:00:00+00:00", patient="h1"),
        composition(
            TITLES.composition,
            "2026-03-05T10:00:00+00:00",
            "<div><p>Pneumonia, treated.</p></div>",
            patient="h1",
        ),
        document(
            "Discharge letter",
            "2026-03-05T12:00:00+00:00",
            kind=DISCHARGE,
            patient="h1",
            source="RAL01",
        ),
    ]


def seed_results_and_documents(store: Store, folder: Path) -> None:
    gp = write_ndjson(folder / "gp-results.ndjson", *gp_resources())
    hospital = write_ndjson(folder / "hospital-results.ndjson", *hospital_resources())
    ingest_paths(store, [gp], source="F83004")
    ingest_paths(store, [hospital], source="RAL01")


@contextmanager
def serving_with_results(
    template: Path, folder: Path, now: datetime
) -> Iterator[tuple[str, Seeded]]:
    """The browser tests' server, with Jane's results and documents added to its database."""
    with serving(template, folder, now, standard_and(seed_results_and_documents)) as served:
        yield served
