"""Several server processes (two apps, each with its own connection pool) serving hundreds of
record views at once still write one unbroken audit chain, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from carerecord.app import create_app
from carerecord.audit.verify import verify
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store import audit as audit_log
from tests.support.staff import StaffClient, add_staff
from tests.web.conftest import NOW
from tests.web.seed import JANE, seed

THREADS, VIEWS_EACH = 8, 30


# pydantic silences this warning with warnings.catch_warnings, which is not thread-safe: with
# requests on many threads, one thread's exit can lift another's silence, and the suite turns
# every warning into an error. Nothing about the chain depends on it.
@pytest.mark.filterwarnings("ignore::pydantic.warnings.UnsupportedFieldAttributeWarning")
def test_hundreds_of_concurrent_views_from_two_servers_form_one_valid_chain(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    seed(store, tmp_path)
    names = [f"clinician-{n}" for n in range(THREADS)]
    for name in names:
        add_staff(store, name, "F83004", "clinician", NOW, NOW)
    servers = [Store.open(db_url), Store.open(db_url)]  # two processes' worth of pools
    apps = []
    for held in servers:
        app = create_app(Settings(db="unused://", allowed_hosts="testserver"), held)
        app.state.web_clock = lambda: NOW
        apps.append(app)
    before = audit_log.count(store.engine)

    def browse(n: int) -> list[int]:
        with StaffClient(apps[n % 2], store, names[n], NOW) as client:
            found = client.post("/find", data={"nhs_no": JANE}, follow_redirects=False)
            assert found.status_code == 303, (found.status_code, found.text[-3000:])
            url = found.headers["location"]
            return [client.get(url).status_code for _ in range(VIEWS_EACH)]

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = [s for batch in pool.map(browse, range(THREADS)) for s in batch]
    finally:
        for held in servers:
            held.close()

    assert statuses == [200] * THREADS * VIEWS_EACH
    written = audit_log.count(store.engine) - before
    assert written >= THREADS * (VIEWS_EACH + 1)  # each view and search, at least
    report = verify(audit_log.entries(store.engine), audit_log.StoredChain(store.engine))
    assert report.ok, report.broken
    assert report.checked == audit_log.count(store.engine)
