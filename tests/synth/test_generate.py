from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from carerecord.fhir.extract import parse_fhir_datetime
from carerecord.ingest.hl7v2 import parse_header
from carerecord.synth import DEFAULT_AS_OF, SynthSummary, generate
from tests.synth.conftest import PATIENTS, read_messages, read_resources


def _digest(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    generate(12, tmp_path / "a", seed=3)
    generate(12, tmp_path / "b", seed=3)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(12, tmp_path / "a", seed=3)
    generate(12, tmp_path / "b", seed=4)
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert first.keys() & second.keys()
    assert any(first[k] != second[k] for k in first.keys() & second.keys() if k.startswith("fhir"))


def test_summary_counts_what_was_written(dataset: tuple[Path, SynthSummary]) -> None:
    out, summary = dataset
    assert summary.patients == PATIENTS
    assert summary.resources == sum(1 for _ in read_resources(out))
    assert summary.hl7_messages == sum(1 for _ in read_messages(out))
    assert set(summary.files) == {p for p in out.rglob("*") if p.is_file()}


def test_progress_reports_every_patient(tmp_path: Path) -> None:
    seen: list[int] = []
    generate(130, tmp_path, progress=seen.append)
    assert sum(seen) == 130


def test_nothing_is_dated_after_the_as_of_day(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    limit = DEFAULT_AS_OF.isoformat()
    for _, resource in read_resources(out):
        assert resource["meta"]["lastUpdated"][:10] <= limit


def _peak_rss_kb(patients: int, out: Path) -> int:
    """Peak resident memory of a fresh interpreter that generates this many patients."""
    script = (
        "import resource, sys; from pathlib import Path; from carerecord.synth import generate;"
        f"generate({patients}, Path(sys.argv[1]));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_memory_does_not_grow_with_patients(tmp_path: Path) -> None:
    small = _peak_rss_kb(200, tmp_path / "small")
    large = _peak_rss_kb(2000, tmp_path / "large")
    assert large < small * 1.1


def test_no_time_is_after_the_day_the_data_is_current_to(
    dataset: tuple[Path, SynthSummary],
) -> None:
    """The demo generates data as of yesterday; nothing may then be in the future, or intake
    would refuse it (future-timestamp)."""
    out, _ = dataset
    last = datetime.combine(DEFAULT_AS_OF + timedelta(days=1), time(), tzinfo=UTC)
    updated = [parse_fhir_datetime(r["meta"]["lastUpdated"]) for _, r in read_resources(out)]
    headers = [parse_header(m) for _, m in read_messages(out)]
    sent = [h.sent_at for h in headers] + [h.recorded_at for h in headers]
    assert all(t is not None and t < last for t in updated)
    assert all(t is None or t < last for t in sent)
    assert {h.processing_id for h in headers} == {"P"}
