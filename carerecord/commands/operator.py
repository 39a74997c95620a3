"""The operator at the server's terminal, administering: the Administration service as them."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from carerecord.access.admin_records import Operator
from carerecord.access.administration import Administration
from carerecord.commands.options import open_store, settings_from


@contextmanager
def administration(args: argparse.Namespace) -> Iterator[Administration]:
    """Changes are audited as `operator:<login>`, the operating-system user running them."""
    settings = settings_from(args)
    store = open_store(settings)
    try:
        yield Administration(store, settings, Operator(getpass.getuser()), datetime.now(UTC))
    finally:
        store.close()
