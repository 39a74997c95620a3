"""section counts from the index: the index every record page reads by also carries each
item's source and times, so a page's counts per source and section (and their "as at" times)
are read from the index alone instead of from every row of the person

Rebuilding the index reads the whole resources table once; on a large PostgreSQL database run
it in a quiet hour.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_NAME = "ix_resources_patient_section_date"
_BEFORE = ["patient_id", "section", "clinical_date"]
_AFTER = [*_BEFORE, "source_ods", "last_updated_at_source", "received_at"]


def _rebuild(columns: list[str]) -> None:
    op.drop_index(_NAME, table_name="resources")
    op.create_index(
        _NAME,
        "resources",
        columns,
        unique=False,
        sqlite_where=sa.text("hidden = 0"),
        postgresql_where=sa.text("NOT hidden"),
    )


def upgrade() -> None:
    _rebuild(_AFTER)


def downgrade() -> None:
    _rebuild(_BEFORE)
