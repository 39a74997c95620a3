"""UK local time (Europe/London), the one place it is worked out.

A leaf module, so that the synthetic data (which may not import the web layer) writes its
letters' times exactly as `web.formatting` shows them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def local(moment: datetime) -> datetime:
    """The moment in UK local time; a naive datetime is taken to be UTC, as the store keeps it."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UK)
