"""A real server and a real Chromium for the browser tests: nothing mocked between them."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.conftest import require
from tests.support.postgres import free_port
from tests.support.staff import add_staff, any_org, declared_for_everyone, session_for
from tests.web.seed import Seeded, seed

T = TypeVar("T")

# The browser tests read pages as the seeded people's GP clinician: serving() signs them in
# and notes the session by address, so every context opened on that address starts signed in.
BROWSER_USER = "gp-clinician"
_SESSIONS: dict[str, str] = {}

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
def serving(
    template: Path,
    folder: Path,
    now: datetime,
    seed_with: Callable[[Store, Path], T] = seed,  # type: ignore[assignment]
    clock: Callable[[], datetime] | None = None,
) -> Iterator[tuple[str, T]]:
    """uvicorn on a free 127.0.0.1 port, in a thread, over a copy of `template` seeded by
    `seed_with` (the standard people by default); yields the address and what seeding returned.
    The server's time is `now`, or what `clock` says (a test that moves time passes one)."""
    database = folder / "browser.db"
    shutil.copy(template, database)
    store = Store.open(f"sqlite:///{database}")
    seeded = seed_with(store, folder)
    add_staff(store, BROWSER_USER, any_org(store), "clinician", now - timedelta(days=30), now)
    declared_for_everyone(store, BROWSER_USER, now)
    app = create_app(Settings(db=f"sqlite:///{database}"), store)
    app.state.web_clock = clock or (lambda: now)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{port}"
    _SESSIONS[address] = session_for(store, BROWSER_USER, now)[0]
    try:
        _wait_until_started(server)
        yield address, seeded
    finally:
        _SESSIONS.pop(address, None)
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def standard_and(more: Callable[[Store, Path], object]) -> Callable[[Store, Path], Seeded]:
    """Seeds the standard people, then `more`."""

    def seed_both(store: Store, folder: Path) -> Seeded:
        seeded = seed(store, folder)
        more(store, folder)
        return seeded

    return seed_both


@contextmanager
def chromium() -> Iterator[Browser]:
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def offline_context(
    browser: Browser,
    url: str,
    signed_in: bool = True,
    also: tuple[str, ...] = (),
    viewport: tuple[int, int] = (1366, 768),
) -> Iterator[BrowserContext]:
    """1366x768 unless `viewport` says (390x844 for a phone), and nothing but the server
    under test (and the addresses `also` names) can be reached: the NHS font CDN is refused,
    so pages render in Arial, as they would offline. Signed in as the server's clinician
    unless `signed_in` is False (the sign-in tests)."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=url)
    token = _SESSIONS.get(url)
    if token is not None and signed_in:  # the server's signed-in clinician (see serving)
        context.add_cookies([{"name": "carerecord_session", "value": token, "url": url}])
    reachable = "|".join(re.escape(address + "/") for address in (url, *also))
    context.route(re.compile(r"^(?!(" + reachable + "))"), lambda route: route.abort())
    try:
        yield context
    finally:
        context.close()


def violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.2 AA on the page as it stands."""
    require(AXE.exists(), f"{AXE} missing: run `npm ci`")
    # Evaluated through the DevTools protocol rather than added as a <script> tag: the page's
    # Content-Security-Policy refuses inline script, and the page under test stays as served.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


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
    """A real server seeded with the standard people and `seed_more`, and a Chromium page."""
    with (
        serving(template, folder, now, standard_and(seed_more)) as (url, _),
        chromium() as browser,
        offline_context(browser, url) as context,
    ):
        yield context.new_page()
