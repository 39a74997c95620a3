"""Audit entries that the alert rules raise, planted over the standard people (tests/web/seed)
for the alert pages' tests, in-process and in a browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from carerecord.store import Store
from tests.audit.planting import Staff, declaration, override, plant, view
from tests.web.seed import JANE, RESTRICTED

NURSE = Staff(41, "ward-nurse", "Sam Ward", organisation="RAL01", org_type="acute")
GP = Staff(42, "gp-clinician", "Gp Clinician")
MONDAY = datetime(2026, 9, 28, 10, 0, tzinfo=UTC)  # 11:00 in London, inside the default week
NIGHT = datetime(2026, 9, 29, 22, 30, tzinfo=UTC)  # 23:30 in London on a Tuesday


def patient(store: Store, nhs_number: str) -> str:
    found = store.patient_id_for_nhs_number(nhs_number)
    assert found is not None
    return found


def planted(store: Store) -> dict[str, int]:
    """An override and a declaration of Jane's record, a view of the restricted person's
    record, the GP's ordinary view (no alert) and a night-time view with no relationship."""
    jane, hidden = patient(store, JANE), patient(store, RESTRICTED)
    ids = plant(
        store,
        [
            (override(NURSE, jane), MONDAY),
            (declaration(NURSE, jane), MONDAY + timedelta(minutes=5)),
            (view(GP, hidden), MONDAY + timedelta(hours=1)),
            (view(GP, jane), MONDAY + timedelta(hours=2)),
            (view(NURSE, jane, relationship=None, override="emergency"), NIGHT),
        ],
    )
    return dict(zip(("override", "declared", "sensitive", "ordinary", "night"), ids, strict=True))
