"""What every page of a record says about the grounds it is read on, when they are not the
record's own evidence: an override, a relationship the user declared, or a national-emergency
period in force. Words only: carerecord.access decided, and logged, the access itself."""

from __future__ import annotations

from datetime import datetime

from carerecord.access.policy import Grant
from carerecord.access.vocabulary import OverrideKind
from carerecord.web.formatting import clock_time, day, local

_OVERRIDES = {
    OverrideKind.EMERGENCY: "an emergency override",
    OverrideKind.SAFEGUARDING: "a safeguarding override",
}
_DAYS = {-1: "yesterday", 0: "today", 1: "tomorrow"}


def access_notices(grant: Grant | None, now: datetime) -> list[str]:
    """The notices for a page read under `grant`, most pressing first (none for most pages)."""
    if grant is None:
        return []
    notices = []
    chosen = _OVERRIDES.get(grant.override) if grant.override else None
    if chosen:
        notices.append(
            f"You are viewing this record under {chosen}. "
            "This access is logged and will be reviewed."
        )
    elif grant.declared is not None:
        made, lapses = grant.declared
        notices.append(
            f"You declared a relationship with this person {when(made, now)}; "
            f"it lapses {when(lapses, now)}. This access is logged and will be reviewed."
        )
    if grant.override is OverrideKind.COPI:
        notices.append(
            "A national emergency period is in force: this person's objection to sharing "
            "does not apply to direct care while it lasts."
        )
    elif grant.copi:
        notices.append(COPI_IN_FORCE)
    return notices


COPI_IN_FORCE = (
    "A national emergency period is in force: objections to sharing do not apply to direct care."
)


def when(moment: datetime, now: datetime) -> str:
    """`at 14:05 today` (yesterday, tomorrow), else `on 05-Jan-2009 at 14:05`; UK time."""
    days = (local(moment).date() - local(now).date()).days
    if days in _DAYS:
        return f"at {clock_time(moment)} {_DAYS[days]}"
    return f"on {day(moment)} at {clock_time(moment)}"
