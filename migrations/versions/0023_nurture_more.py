"""nurture, more: overdue call tasks alert managers once; bounces and email replies are read back

Revision ID: 0023_nurture_more
Revises: 0022_reviews

`nurture_call_tasks` says why the call was asked for and when managers were alerted that it is
overdue; `manager_alerts.call_task_id` ties such an alert to its task (one alert per task; the
lead's own escalation alerts stay one per level). `nurture_settings` gains how many working hours a
call may wait and whether reply addresses carry a signed tag; `nurture_messages` records a late
bounce and the first email reply.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023_nurture_more"
down_revision = "0022_reviews"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("nurture_call_tasks", sa.Column("reason", sa.String(16), nullable=True))
    op.add_column("nurture_call_tasks", sa.Column("escalated_at", _TS, nullable=True))
    op.add_column(
        "nurture_settings",
        sa.Column("call_task_escalate_hours", sa.Integer(), nullable=False, server_default="4"),
    )
    op.add_column(
        "nurture_settings",
        sa.Column("tag_reply_address", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.add_column("nurture_messages", sa.Column("replied_at", _TS, nullable=True))
    op.add_column("nurture_messages", sa.Column("bounced_at", _TS, nullable=True))
    op.add_column(
        "manager_alerts",
        sa.Column(
            "call_task_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("nurture_call_tasks.id", ondelete="CASCADE"),
            nullable=True,
        ),
    )
    op.drop_constraint("uq_manager_alerts_lead_level", "manager_alerts", type_="unique")
    op.create_index(
        "uq_manager_alerts_lead_level",
        "manager_alerts",
        ["lead_id", "level"],
        unique=True,
        postgresql_where=sa.text("call_task_id IS NULL"),
    )
    op.create_index(
        "uq_manager_alerts_call_task",
        "manager_alerts",
        ["call_task_id"],
        unique=True,
        postgresql_where=sa.text("call_task_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_manager_alerts_call_task", table_name="manager_alerts")
    op.drop_index("uq_manager_alerts_lead_level", table_name="manager_alerts")
    op.execute("DELETE FROM manager_alerts WHERE call_task_id IS NOT NULL")
    op.create_unique_constraint("uq_manager_alerts_lead_level", "manager_alerts", ["lead_id", "level"])
    op.drop_column("manager_alerts", "call_task_id")
    op.drop_column("nurture_messages", "bounced_at")
    op.drop_column("nurture_messages", "replied_at")
    op.drop_column("nurture_settings", "tag_reply_address")
    op.drop_column("nurture_settings", "call_task_escalate_hours")
    op.drop_column("nurture_call_tasks", "escalated_at")
    op.drop_column("nurture_call_tasks", "reason")
