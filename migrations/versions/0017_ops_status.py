"""the operator's status page: when each part of the service last did its job

Revision ID: 0017_ops_status
Revises: 0015_channels

`ops_marks`: one row per kind of run (the worker's heartbeat, the escalation sweep, the audit seal,
the practice-management sync, the last backup), overwritten by each run with its time and a small
report; the status page turns their age into green, amber or red.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017_ops_status"
down_revision = "0015_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ops_marks")),
    )


def downgrade() -> None:
    op.drop_table("ops_marks")
