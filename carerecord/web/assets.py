"""Copies the built nhsuk-frontend CSS, JavaScript and images into the package's static folder.

Run as `python -m carerecord.web.assets` after `npm ci` (the Makefile does both). The copy is
gitignored: package.json pins the version, so the copy can always be made again.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
from pathlib import Path

from carerecord.errors import AssetsMissing
from carerecord.settings import Settings

logger = logging.getLogger(__name__)

DIST = Path("node_modules/nhsuk-frontend/dist/nhsuk")
CSS = "nhsuk-frontend.min.css"
JS = "nhsuk-frontend.min.js"
# The built CSS points at /assets/...; relative URLs make it work wherever /static is mounted.
_ABSOLUTE_ASSETS = re.compile(r"url\((['\"]?)/assets/")


def nhsuk_dir(settings: Settings) -> Path:
    """Where the copied assets live and are served from (under /static/nhsuk)."""
    return settings.static_path / "nhsuk"


def present(folder: Path) -> bool:
    return (folder / CSS).is_file() and (folder / JS).is_file()


def require(settings: Settings) -> None:
    """AssetsMissing, saying what to do, unless the built assets are where pages expect them:
    without them a page still renders, but with no NHS styles or scripts, which a clinician
    should never be shown."""
    folder = nhsuk_dir(settings)
    if present(folder):
        return
    raise AssetsMissing(
        f"the nhsuk-frontend assets are not in {folder}: pages would have no NHS styles or "
        "scripts. In a source checkout run `npm ci && python -m carerecord.web.assets` (or "
        "`make demo`); a package built after that carries them; or set "
        "CARERECORD_STATIC_DIR to a folder holding nhsuk/"
    )


def copy_assets(node_modules_dist: Path, target: Path) -> str:
    """Replaces target with the CSS, JS and assets folder; returns the nhsuk-frontend version."""
    if not (node_modules_dist / CSS).is_file():
        raise AssetsMissing(
            f"{node_modules_dist / CSS} not found: run `npm ci` in the repository first"
        )
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    css = (node_modules_dist / CSS).read_text(encoding="utf-8")
    (target / CSS).write_text(_ABSOLUTE_ASSETS.sub(r"url(\1assets/", css), encoding="utf-8")
    shutil.copy2(node_modules_dist / JS, target / JS)
    shutil.copytree(node_modules_dist / "assets", target / "assets")
    version = _version(node_modules_dist)
    (target / "VERSION").write_text(version + "\n", encoding="utf-8")
    return version


def _version(dist: Path) -> str:
    package = dist.parent.parent / "package.json"
    try:
        return str(json.loads(package.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, default=DIST, help="built dist")
    parser.add_argument("--to", dest="target", type=Path, help="defaults to the package")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    target = args.target or nhsuk_dir(Settings.from_env())
    try:
        version = copy_assets(args.source, target)
    except AssetsMissing as missing:
        logger.error("error: %s", missing)
        return 1
    logger.info("copied nhsuk-frontend %s to %s", version, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
