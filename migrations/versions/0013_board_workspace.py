"""board workspace: leads that say they are urgent, and how each person left their board

Revision ID: 0013_board_workspace
Revises: 0012_appointments

`leads.says_urgent` lets the board put emergencies and urgent messages right after escalated leads
(intake sets it from the treatment and the message; existing leads asking for emergency care are
marked here, their messages cannot be read by a migration). `staff_users.board_view` remembers a
person's filter, office tab and row density across devices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_board_workspace"
down_revision = "0012_appointments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "leads", sa.Column("says_urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.execute("UPDATE leads SET says_urgent = true WHERE treatment_interest = 'emergency'")
    op.add_column(
        "staff_users", sa.Column("board_view", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("staff_users", "board_view")
    op.drop_column("leads", "says_urgent")
