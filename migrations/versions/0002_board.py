"""board: automatic away status and the index the claim-timeout sweep reads

Revision ID: 0002_board
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_board"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "staff_users",
        sa.Column("away_automatically", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "ix_leads_open_claims",
        "leads",
        ["claimed_at"],
        unique=False,
        postgresql_where=sa.text(
            "status = 'open' AND claimed_by_user_id IS NOT NULL AND first_contact_at IS NULL"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_leads_open_claims", table_name="leads")
    op.drop_column("staff_users", "away_automatically")
