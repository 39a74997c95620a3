"""Copying nhsuk-frontend's built files, and pages that still render when the copy is missing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carerecord.app import create_app
from carerecord.cli import EXIT_UNUSABLE, main
from carerecord.errors import AssetsMissing
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.web import assets
from tests.factories import make_org, register
from tests.support.staff import signed_in


def fake_dist(root: Path) -> Path:
    """The shape of node_modules/nhsuk-frontend/dist/nhsuk in 10.6.1, with tiny files."""
    dist = root / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
    (dist / "assets" / "images").mkdir(parents=True)
    (dist.parent.parent / "package.json").write_text('{"version": "10.6.1"}')
    (dist / assets.CSS).write_text(".a{background:url(/assets/images/x.svg)}")
    (dist / assets.JS).write_text("export const version='10.6.1'")
    (dist / "assets" / "images" / "x.svg").write_text("<svg/>")
    (dist / "assets" / "manifest.json").write_text("{}")
    return dist


def test_the_copy_holds_css_js_and_images_with_relative_urls(tmp_path: Path) -> None:
    target = tmp_path / "static" / "nhsuk"
    assert assets.copy_assets(fake_dist(tmp_path), target) == "10.6.1"
    assert (target / assets.CSS).read_text() == ".a{background:url(assets/images/x.svg)}"
    assert (target / assets.JS).is_file()
    assert (target / "assets" / "images" / "x.svg").is_file()
    assert (target / "assets" / "manifest.json").is_file()
    assert assets.present(target)


def test_copying_again_replaces_the_old_copy(tmp_path: Path) -> None:
    target = tmp_path / "nhsuk"
    (target / "stale").mkdir(parents=True)
    assets.copy_assets(fake_dist(tmp_path), target)
    assert not (target / "stale").exists()


def test_without_node_modules_the_command_says_so_and_exits_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = assets.main(["--from", str(tmp_path / "missing"), "--to", str(tmp_path / "out")])
    assert code == 1
    assert "run `npm ci`" in caplog.text
    assert not (tmp_path / "out").exists()


def test_pages_render_without_the_assets_and_a_warning_is_logged_once(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="carerecord.web"):
        app = create_app(
            Settings(static_dir=str(tmp_path / "empty"), allowed_hosts="testserver"), store
        )
    warnings = [r for r in caplog.records if "nhsuk-frontend assets not found" in r.message]
    assert len(warnings) == 1
    register(store, make_org("F83004", "gp"))
    with signed_in(app, store, datetime.now(UTC)) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "Find a person's record" in page.text
    assert "nhsuk-frontend.min.css" not in page.text


def test_serve_refuses_to_start_without_the_assets_and_says_how_to_build_them(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARERECORD_DB", db_url)
    monkeypatch.setenv("CARERECORD_STATIC_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("COLUMNS", "200")

    status = main(["serve", "--port", "1"])  # refused before anything would listen

    assert status == EXIT_UNUSABLE
    said = " ".join(capsys.readouterr().err.split())
    assert f"the nhsuk-frontend assets are not in {tmp_path / 'empty' / 'nhsuk'}" in said
    assert "npm ci && python -m carerecord.web.assets" in said


def test_serve_checks_the_copy_it_would_serve(tmp_path: Path) -> None:
    settings = Settings(static_dir=str(tmp_path))
    with pytest.raises(AssetsMissing):
        assets.require(settings)
    assets.copy_assets(fake_dist(tmp_path / "build"), tmp_path / "nhsuk")
    assets.require(settings)  # found: nothing raised
