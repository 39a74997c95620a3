"""Where the third-party test data is: `../shared/data` beside the repository, read in place
and never copied into it (some of it is GPL-3.0 or AGPL-3.0)."""

from __future__ import annotations

from pathlib import Path

_BESIDE = Path(__file__).resolve().parents[3] / "shared" / "data"
_FIXED = Path("/work/shared/data")  # where CI machines hold it, wherever the checkout is

SHARED_DATA = _BESIDE if _BESIDE.is_dir() or not _FIXED.is_dir() else _FIXED
