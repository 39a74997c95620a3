"""The synthetic London population loaded into a store, for the other sections' page tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.ingest.pipeline import ingest_paths
from carerecord.organisations import organisation_from_json
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.synth import generate
from tests.support.staff import any_org, declared_for, signed_in

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the generator's default as-of date
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
DATE = re.compile(r"\d{2}-[A-Z][a-z]{2}-\d{4}")


def load_synth(store: Store, folder: Path, patients: int = 5) -> list[str]:
    """The synthetic population, loaded the way `carerecord demo` loads it: its NHS numbers."""
    generate(patients, folder, seed=1)
    for index, entry in enumerate(orjson.loads((folder / "organisations.json").read_bytes())):
        store.save_organisation(organisation_from_json(entry, index))
    files = sorted((folder / "fhir").glob("*.ndjson"))
    ingest_paths(store, files)
    return sorted(_nhs_numbers(files))


def _nhs_numbers(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            for identifier in resource.get("identifier") or ():
                if resource["resourceType"] == "Patient" and identifier["system"] == NHS_SYSTEM:
                    found.add(identifier["value"])
    return found


class Rows(HTMLParser):
    """The text of every row of every table body (the clinical rows), and every episode
    summary, as the reader sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self._depth = 0  # inside a clinical row
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        if (tag == "tr" and self._in_body) or (
            tag == "dl" and ("data-provenance", "episode") in attrs
        ):
            self.rows.append("")
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        if tag in ("tr", "dl"):
            self._depth = 0

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.rows[-1] += " " + " ".join(data.split())


def rows_of(html: str) -> list[str]:
    parser = Rows()
    parser.feed(html)
    return parser.rows


def lacks_provenance(row: str, sources: list[str]) -> bool:
    """A row shows the source's name, its type in words and when it was last updated."""
    named = any(name in row for name in sources)
    return not (named and re.search(r"Updated " + DATE.pattern, row))


def seed_synth(store: Store, folder: Path) -> None:
    load_synth(store, folder)


def held_nhs_numbers(store: Store) -> list[str]:
    """The NHS numbers of the people stored, as load_synth returns them."""
    with store.engine.connect() as conn:
        bodies = conn.exec_driver_sql(
            "SELECT body FROM resources WHERE resource_type = 'Patient'"
        ).scalars()
        found = {
            identifier["value"]
            for body in bodies
            for identifier in orjson.loads(body).get("identifier") or ()
            if identifier.get("system") == NHS_SYSTEM
        }
    return sorted(found)


@contextmanager
def synth_client(
    store: Store, folder: Path, now: datetime, seeded: bool = False
) -> Iterator[tuple[TestClient, list[str]]]:
    """The app over a store holding five synthetic people (loaded now, or already, from a
    template seeded by seed_synth), and each person's record address."""
    numbers = held_nhs_numbers(store) if seeded else load_synth(store, folder)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: now
    with signed_in(app, store, now, org_ods=any_org(store)) as client:
        records = [record for record in (record_of(client, n) for n in numbers) if record]
        for record in records:
            declared_for(store, "gp-clinician", record.rsplit("/", 1)[-1], now)
        yield client, records


def record_of(client: TestClient, nhs_number: str) -> str:
    """A record's address, found through the search form ("" when nobody holds the number)."""
    response = client.post("/find", data={"nhs_no": nhs_number}, follow_redirects=False)
    return str(response.headers["location"]) if response.status_code == 303 else ""
