"""leads: partial index of open leads by assigned staff member

Revision ID: 0007_open_leads_by_staff
Revises: 0006_attribution

Assignment counts each candidate's open leads on every inquiry ("fewest open leads"); without this
index that count read every open lead of the location.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_open_leads_by_staff"
down_revision = "0006_attribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_leads_open_assigned",
        "leads",
        ["assigned_user_id"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_leads_open_assigned", table_name="leads")
