"""The one exception tree. Domain names only: each edge translates once (HTML pages in
web/error_pages.py, FHIR OperationOutcomes in fhir/outcomes.py, HL7 ACKs in ingest/hl7v2, exit
codes in cli.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class CareRecordError(Exception):
    """Base of everything carerecord raises on purpose."""


class ConfigurationError(CareRecordError):
    """A setting or its value cannot be used."""


class RetentionShortened(CareRecordError):
    """A retention period for the audit log shorter than the one the database holds."""


class UnknownOrganisation(CareRecordError):
    """An ODS code that is not registered."""


class InvalidOrganisation(CareRecordError):
    """Organisation details that cannot be registered as given."""


class MalformedInput(CareRecordError):
    """Input that cannot be parsed at all (not JSON, not NDJSON, not a FHIR resource)."""


class AssetsMissing(ConfigurationError):
    """The built NHS front-end assets are not where they should be."""


class UnsupportedFormat(CareRecordError):
    """A file whose format carerecord does not (yet) read."""


class PatientNotFound(CareRecordError):
    """No patient the caller may see has this id; existence is never revealed."""


class UsageError(CareRecordError):
    """A command was asked for something it cannot do as asked."""


class SignInRefused(CareRecordError):
    """Signing in cannot go ahead; the message says why in words a user can act on."""


class AccessRefused(CareRecordError):
    """A check about the user or the request failed (network, rollout, training); the message
    says which, in plain words. Unlike PatientNotFound, this is about the user, not a person."""


class RecordWithheld(CareRecordError):
    """The user may know who the person is, but not open their record (no relationship, or
    an objection in force): carries what may be shown, so the page can offer the way on."""

    def __init__(self, withheld: object) -> None:
        super().__init__("record withheld")
        self.withheld = withheld


class AuditUnavailable(CareRecordError):
    """The audit log could not be written, so what was asked for is not shown or done."""


class NotSignedIn(CareRecordError):
    """A page that needs a signed-in user was asked for without one."""


class Refused(CareRecordError):
    """A request refused as sent, before anything was done: an HTTP edge answers `status`,
    a FHIR one names the issue type `code`. The message says why and quotes no personal data."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = self.status if status is None else status
        self.code = self.code if code is None else code


class InvalidSubmission(Refused):
    """What a source pushed cannot be used as a whole (not a transaction, not JSON, too big)."""

    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics, status=status, code=code)


class SourceUnauthorized(Refused):
    """A source's request without a valid access token."""

    status = 401
    code = "login"


class ScopeRefused(Refused):
    """A source's valid token that does not carry a scope this request needs."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str, needed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.needed = needed


class FormRefused(Refused):
    """A form post refused before its handler ran (too large, or not from our own page)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, status=status)


class SubmissionRefused(CareRecordError):
    """An all-or-nothing submission held something that could not be stored: nothing was.
    `rejected` holds the quarantine items that say why."""

    def __init__(self, rejected: Sequence[Any]) -> None:
        super().__init__(f"{len(rejected)} item(s) could not be stored")
        self.rejected = list(rejected)
