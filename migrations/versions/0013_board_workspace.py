"""board workspace: how each person left their board; open emergency leads marked urgent

Revision ID: 0013_board_workspace
Revises: 0019_funnel_reconciliation

`staff_users.board_view` remembers a person's filter, office tab and row density across devices.
Intake now marks a lead urgent when the patient names an emergency or writes that it is urgent;
open leads asking for emergency care are marked here (a migration cannot read their messages).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_board_workspace"
down_revision = "0019_funnel_reconciliation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE leads SET urgent = true WHERE treatment_interest = 'emergency' AND status = 'open'")
    op.add_column(
        "staff_users", sa.Column("board_view", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("staff_users", "board_view")
