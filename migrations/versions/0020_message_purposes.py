"""message purposes: the outbox carries reminders, review requests and thank-yous beside sequences

Revision ID: 0020_message_purposes
Revises: 0013_board_workspace

`nurture_messages.purpose` says why a message exists (a sequence step, an appointment reminder, a
review request, a thank-you for a patient referral); `appointment_id` and `patient_id` tie the
one-off messages to what they are about, so they can be cancelled with it and counted per patient.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020_message_purposes"
down_revision = "0013_board_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "nurture_messages",
        sa.Column("purpose", sa.String(16), nullable=False, server_default="sequence"),
    )
    op.add_column(
        "nurture_messages",
        sa.Column(
            "appointment_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("appointments.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.add_column(
        "nurture_messages",
        sa.Column(
            "patient_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("patients.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_index(
        "ix_nurture_messages_appointment",
        "nurture_messages",
        ["appointment_id"],
        postgresql_where=sa.text("appointment_id IS NOT NULL"),
    )
    op.create_index(
        "ix_nurture_messages_patient_purpose",
        "nurture_messages",
        ["patient_id", "purpose", "created_at"],
        postgresql_where=sa.text("patient_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_nurture_messages_patient_purpose", table_name="nurture_messages")
    op.drop_index("ix_nurture_messages_appointment", table_name="nurture_messages")
    op.drop_column("nurture_messages", "patient_id")
    op.drop_column("nurture_messages", "appointment_id")
    op.drop_column("nurture_messages", "purpose")
