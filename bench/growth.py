"""Growth benchmark: the same work at two or more database sizes, and the ratio between them.

For each size (default 10,000 and 100,000 people) a synthetic London of that many people is
written to a scratch folder (`carerecord synth` streams person by person, so memory does not
grow with the size) and loaded into a fresh database with the file ingest (one file at a time,
in batches): the load is timed from the first file opened to the last batch committed, and
reported as resources per second. The folder is shared by the engines and deleted before the
next size. Then the heavy person of bench/view.py (bench/heavy_person.py: the same 1,000
resources at every size) is added, and, in-process and signed in as a clinician at their GP
practice (the access decision and audit write included, as in bench/view.py), the benchmark
times:

- the heavy person's summary page (`GET /patients/{id}`), `--repeat` times;
- a search by NHS number (`POST /find`, to the redirect), for `--repeat` people of the
  population in turn;
- a search by surname and date of birth (`POST /find/details`) for the same people.

Each figure's p50 and p99 are printed per size and engine, with the ratio of the largest size
to the smallest: the summary's p99 at the largest size must stay within 1.3 times the smallest
(`growth.summary_p99_ratio`, target "<= 1.3"). The peak memory of the process is printed too,
as evidence that loading does not hold the data set in memory.

    python bench/growth.py [--sizes 10000,100000] [--repeat 50] [--engines sqlite,postgresql]

Sizes of 100,000 take hours on a small machine (synthesis and ingest dominate); `--sizes
2000,6000` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from bench.figures import Figure, emit  # noqa: E402
from bench.heavy_person import write_heavy_patient  # noqa: E402
from bench.view import CLINICIAN, _percentiles, _practice_of, database  # noqa: E402
from carerecord import nhs_number  # noqa: E402
from carerecord.app import create_app  # noqa: E402
from carerecord.commands.collector import tune_for_serving  # noqa: E402
from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.settings import Settings  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402
from tests.support.staff import StaffClient, add_staff  # noqa: E402

RATIO_TARGET = "<= 1.3"
MEASURES = ("summary", "search_nhs_number", "search_details")


def people_of(data: Path, wanted: int) -> list[dict[str, str]]:
    """NHS number, surname and date of birth of `wanted` people, taken across the GP files."""
    found: list[dict[str, str]] = []
    files = sorted((data / "fhir").glob("*.ndjson"))
    for path in files:
        taken = 0
        with path.open("rb") as handle:
            for line in handle:
                if not line.startswith(b'{"resourceType":"Patient"'):
                    continue
                person = _person(orjson.loads(line))
                if person is not None:
                    found.append(person)
                    taken += 1
                if taken >= max(1, wanted // len(files) + 1):
                    break
    return found[:wanted]


def _person(patient: dict[str, Any]) -> dict[str, str] | None:
    number = next(
        (i["value"] for i in patient.get("identifier", ()) if i.get("system") == nhs_number.SYSTEM),
        None,
    )
    names = [n for n in patient.get("name", ()) if n.get("family")]
    if number is None or not names or not patient.get("birthDate"):
        return None
    return {"nhs_no": number, "family": names[0]["family"], "born": patient["birthDate"]}


def load_population(url: str, data: Path) -> dict[str, float]:
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    started = time.perf_counter()
    counts = ingest_paths(store, [data / "fhir"])
    seconds = time.perf_counter() - started
    store.close()
    handled = counts.stored + counts.updated + counts.unchanged + counts.older
    handled += counts.quarantined + counts.excluded
    return {"resources": handled, "seconds": round(seconds, 1), "per_s": round(handled / seconds)}


def measure(url: str, heavy: Path, people: list[dict[str, str]], repeat: int) -> dict[str, Any]:
    store = Store.open(url)
    ingest_paths(store, [heavy])
    store.refresh_statistics()  # as `carerecord ingest` does after a load
    now = datetime.now(UTC)
    number = nhs_number_of_heavy(heavy)
    patient_id = store.patient_id_for_nhs_number(number)
    assert patient_id is not None
    add_staff(
        store,
        CLINICIAN,
        _practice_of(store, patient_id),
        "clinician",
        now - timedelta(days=30),
        now,
    )
    app = create_app(Settings(db=url, allowed_hosts="testserver"), store)
    tune_for_serving()  # the collector as `carerecord serve` runs it
    client = StaffClient(app, store, CLINICIAN, now)
    summary = f"/patients/{patient_id}"

    def open_summary(_: int) -> None:
        assert client.get(summary).status_code == 200

    def by_number(i: int) -> None:
        found = client.post("/find", data={"nhs_no": people[i % len(people)]["nhs_no"]})
        assert found.status_code in (200, 303), found.status_code

    def by_details(i: int) -> None:
        person = people[i % len(people)]
        year, month, day = person["born"].split("-")
        form = {"family": person["family"], "dob[day]": day, "dob[month]": month, "dob[year]": year}
        assert client.post("/find/details", data=form).status_code in (200, 303)

    checks = {"summary": open_summary, "search_nhs_number": by_number, "search_details": by_details}
    figures = {name: _timed(check, repeat) for name, check in checks.items()}
    store.close()
    return figures


def nhs_number_of_heavy(heavy: Path) -> str:
    first = next(heavy.glob("*.ndjson")).read_bytes().split(b"\n", 1)[0]
    return str(orjson.loads(first)["identifier"][0]["value"])


def _timed(check: Callable[[int], None], repeat: int) -> dict[str, float]:
    check(0)  # warm caches and compiled templates
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        check(i)
        times.append((time.perf_counter() - started) * 1000)
    return _percentiles(times)


def report(engine: str, size: int, loaded: dict[str, float], measured: dict[str, Any]) -> None:
    print(
        f"{engine:10} {size:>8,} people  ingest {loaded['resources']:,} resources in"
        f" {loaded['seconds']} s = {loaded['per_s']:,}/s"
    )
    for name in MEASURES:
        f = measured[name]
        print(
            f"{engine:10} {size:>8,} people  {name:18}"
            f" p50 {f['p50_ms']:6} ms  p99 {f['p99_ms']:6} ms"
        )
    data = f"{size:,} people"
    emit(
        Figure("growth.ingest_resources_per_s", loaded["per_s"], "resources/s", engine, data),
        *(
            Figure(f"growth.{name}_{p}_ms", measured[name][f"{p}_ms"], "ms", engine, data)
            for name in MEASURES
            for p in ("p50", "p99")
        ),
    )


def ratios(engine: str, sizes: list[int], runs: dict[int, dict[str, Any]]) -> None:
    """The largest size's figures over the smallest's."""
    small, large = runs[sizes[0]], runs[sizes[-1]]
    data = f"{sizes[-1]:,} over {sizes[0]:,} people"
    found = [
        Figure(
            "growth.ingest_ratio",
            round(large["ingest"]["per_s"] / small["ingest"]["per_s"], 2),
            "ratio",
            engine,
            data,
        )
    ]
    for name in MEASURES:
        for p in ("p50", "p99"):
            ratio = round(large[name][f"{p}_ms"] / small[name][f"{p}_ms"], 2)
            target = RATIO_TARGET if name == "summary" and p == "p99" else ""
            found.append(Figure(f"growth.{name}_{p}_ratio", ratio, "ratio", engine, data, target))
    for f in found:
        print(f"{engine:10} {f.name:34} {f.value}  ({data})")
    emit(*found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = args.engines.split(",")
    runs: dict[str, dict[int, dict[str, Any]]] = {engine: {} for engine in engines}
    with tempfile.TemporaryDirectory(prefix="carerecord-growth-") as name:
        folder = Path(name)
        heavy = folder / "heavy"
        heavy.mkdir()
        write_heavy_patient(heavy)
        for size in sizes:
            data = folder / f"data-{size}"
            generate(size, data, seed=1)
            people = people_of(data, args.repeat)
            for engine in engines:
                place = folder / f"{engine}-{size}"
                place.mkdir()
                with database(engine, place) as url:
                    if url is None:
                        continue
                    loaded = load_population(url, data)
                    measured = measure(url, heavy, people, args.repeat)
                    runs[engine][size] = {"ingest": loaded, **measured}
                    report(engine, size, loaded, measured)
                shutil.rmtree(place)
            shutil.rmtree(data)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak_mb:,.0f} MB")
    emit(Figure("growth.peak_memory_mb", round(peak_mb), "MB", "", f"up to {sizes[-1]:,} people"))
    for engine in engines:
        if len(runs[engine]) == len(sizes) > 1:
            ratios(engine, sizes, runs[engine])


if __name__ == "__main__":
    main()
