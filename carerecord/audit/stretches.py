"""Checking a long audit log in several processes: each walks one stretch of ids and the
stretches are joined afterwards (verify.joined).

Kept apart from the command so that a started process imports only the chain and the store:
importing the command line brings in the web app too, and each process paid about a second
of start-up for it. (A spawned process also runs the program's main module again: the
`carerecord` script imports carerecord.cli, which imports the commands only when run.)"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from carerecord.audit import verify
from carerecord.store import Store
from carerecord.store import audit as audit_log


def in_parallel(
    url: str, store: Store, after_id: int, start_hash: str, jobs: int
) -> verify.Report | None:
    """The report, when every stretch is intact and they chain one to the next; None on any
    break, so the ordered walk can name it."""
    bounds = audit_log.id_bounds(store.engine, after_id)
    if bounds is None:
        return None
    low, high = bounds
    step = max(1, (high - low + jobs) // jobs)
    stretches = [(start - 1, min(start + step - 1, high)) for start in range(low, high + 1, step)]
    # spawn, not fork: the parent holds database connections a forked child must not share
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        spans = list(pool.map(check_stretch, [url] * len(stretches), stretches))
    if not verify.joined(spans, start_hash):
        return None
    newest = next((s for s in reversed(spans) if s.checked), None)
    return verify.Report(
        sum(s.checked for s in spans),
        newest.last_id if newest else None,
        newest.last_hash if newest and newest.last_hash else start_hash,
        None,
    )


def check_stretch(url: str, stretch: tuple[int, int]) -> verify.Span:
    """One process's stretch: the entries after the first id up to the second."""
    held = Store.open(url)
    try:
        after, up_to = stretch
        return verify.check_span(audit_log.entries(held.engine, after, up_to=up_to))
    finally:
        held.close()
