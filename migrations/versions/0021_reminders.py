"""appointment reminders: settings, the reminder's kind on the outbox, replies read as schedule alerts

Revision ID: 0021_reminders
Revises: 0020_message_purposes

`reminder_settings` holds each practice's switch (and when it was turned on) and its timings;
`nurture_messages.reminder_kind` and `appointment_at` say which reminder of which appointment time a
row is, and a unique index on them (ignoring cancelled rows) makes re-planning never duplicate.
`appointments.reminders_planned_for` tells the planner which appointments still need a plan;
`confirmed_at` keeps a patient's confirmation. `schedule_alerts` are replies read from texts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021_reminders"
down_revision = "0020_message_purposes"
branch_labels = None
depends_on = None

_UUID = postgresql.UUID(as_uuid=True)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder_settings",
        sa.Column("practice_id", _UUID, sa.ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_enabled_at", _TS, nullable=True),
        sa.Column("enabled_at", _TS, nullable=True),
        sa.Column("confirmation", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("hours_before", postgresql.JSONB, nullable=False, server_default=sa.text("'[48, 2]'")),
        sa.Column("type_hours", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.add_column("appointments", sa.Column("confirmed_at", _TS, nullable=True))
    op.add_column("appointments", sa.Column("reminders_planned_for", _TS, nullable=True))
    op.create_index(
        "ix_appointments_reminders_due",
        "appointments",
        ["starts_at"],
        postgresql_where=sa.text(
            "lead_id IS NOT NULL AND status IN ('booked', 'confirmed') "
            "AND reminders_planned_for IS DISTINCT FROM starts_at"
        ),
    )
    op.add_column("nurture_messages", sa.Column("reminder_kind", sa.String(24), nullable=True))
    op.add_column("nurture_messages", sa.Column("appointment_at", _TS, nullable=True))
    op.create_index(
        "uq_nurture_messages_reminder",
        "nurture_messages",
        ["appointment_id", "reminder_kind", "appointment_at"],
        unique=True,
        postgresql_where=sa.text("reminder_kind IS NOT NULL AND status <> 'cancelled'"),
    )
    op.create_table(
        "schedule_alerts",
        sa.Column("id", _UUID, primary_key=True),
        sa.Column("practice_id", _UUID, sa.ForeignKey("practices.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lead_id", _UUID, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "appointment_id", _UUID, sa.ForeignKey("appointments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "sms_message_id",
            _UUID,
            sa.ForeignKey("sms_messages.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("meaning", sa.String(16), nullable=False),
        sa.Column("appointment_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("handled_at", _TS, nullable=True),
        sa.Column(
            "handled_by_user_id", _UUID, sa.ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
        ),
    )
    op.create_index("ix_schedule_alerts_lead_id", "schedule_alerts", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_alerts_lead_id", table_name="schedule_alerts")
    op.drop_table("schedule_alerts")
    op.drop_index("uq_nurture_messages_reminder", table_name="nurture_messages")
    op.drop_column("nurture_messages", "appointment_at")
    op.drop_column("nurture_messages", "reminder_kind")
    op.drop_index("ix_appointments_reminders_due", table_name="appointments")
    op.drop_column("appointments", "reminders_planned_for")
    op.drop_column("appointments", "confirmed_at")
    op.drop_table("reminder_settings")
