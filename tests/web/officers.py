"""The privacy officer's pages under test: the seeded people, an IG officer, a clinician and a
system administrator, and the app over them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.support.staff import add_staff
from tests.web.conftest import NOW
from tests.web.seed import seed

OFFICER = "ig-lead"
TRAINED = NOW - timedelta(days=30)


def officer_app(store: Store, folder: Path) -> Any:
    seed(store, folder)
    add_staff(store, OFFICER, "RAL01", "ig-officer", TRAINED, NOW)
    add_staff(store, "gp-clinician", "F83004", "clinician", TRAINED, NOW)
    add_staff(store, "sys-admin", "RAL01", "system-admin", TRAINED, NOW)
    application = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    application.state.web_clock = lambda: NOW
    return application
