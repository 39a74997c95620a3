"""A real server and a real Chromium for the browser tests: nothing mocked between them."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.conftest import require
from tests.support.postgres import free_port
from tests.web.seed import Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the rules UI.md goal 10 asks for.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@contextmanager
def serving(template: Path, folder: Path, now: datetime) -> Iterator[tuple[str, Seeded]]:
    """uvicorn on a free 127.0.0.1 port, in a thread, over a freshly seeded SQLite file."""
    database = folder / "browser.db"
    shutil.copy(template, database)
    store = Store.open(f"sqlite:///{database}")
    seeded = seed(store, folder)
    app = create_app(Settings(db=f"sqlite:///{database}"), store)
    app.state.web_clock = lambda: now
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_until_started(server)
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _wait_until_started(server: uvicorn.Server, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)


@contextmanager
def browsing(
    template: Path, folder: Path, now: datetime, seed_more: Callable[[Store, Path], object]
) -> Iterator[Page]:
    """A real server over a copy of `template` seeded by `seed_more` (and the standard people),
    and a Chromium page at 1366x768 that may reach nothing but that server."""
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (Debian package chromium)")
    seeded = folder / "seeded-template.db"
    shutil.copy(template, seeded)
    store = Store.open(f"sqlite:///{seeded}")
    seed_more(store, folder)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    with serving(seeded, folder, now) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=url)
        context.route(re.compile(r"^(?!" + re.escape(url) + ")"), lambda route: route.abort())
        try:
            yield context.new_page()
        finally:
            browser.close()
