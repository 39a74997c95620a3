"""objections: the recording and withdrawing organisation, and who asked for a withdrawal

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("recorded_org", 12),
    ("withdrawn_org", 12),
    ("withdrawn_on_behalf", 30),
    ("withdrawal_evidence_ref", 200),
    ("withdrawal_checked_by", 100),
)


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
