"""reviews and patient referrals: complaint flags, referrals recorded on the referring patient

Revision ID: 0022_reviews
Revises: 0021_reminders

`complaint_flags`: an open complaint about a patient (set on the lead page with a short reason,
cleared by a manager; both reasons encrypted) stops review requests, queued ones included.
`patient_referrals`: a patient sent by another patient, one row per referred patient, with the
thank-you asked for them. A unique index keeps one review request per completed visit; the
once-per-12-months rule per patient is kept under the patient's row lock (router/reviews/requests.py).
Review requests reach only patients linked to a lead (the outbox's `lead_id` stays required).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022_reviews"
down_revision = "0021_reminders"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "complaint_flags",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("practice_id", UUID, sa.ForeignKey("practices.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lead_id", UUID, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=True),
        sa.Column("patient_id", UUID, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary, nullable=True),
        sa.Column(
            "raised_by_user_id", UUID, sa.ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cleared_by_user_id", UUID, sa.ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("clear_reason_enc", sa.LargeBinary, nullable=True),
        sa.CheckConstraint("lead_id IS NOT NULL OR patient_id IS NOT NULL", name="about_someone"),
    )
    op.create_index("ix_complaint_flags_lead_id", "complaint_flags", ["lead_id"])
    op.create_index("ix_complaint_flags_patient_id", "complaint_flags", ["patient_id"])
    op.create_index(
        "uq_complaint_flags_open_lead",
        "complaint_flags",
        ["lead_id"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL AND lead_id IS NOT NULL"),
    )
    op.create_table(
        "patient_referrals",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("practice_id", UUID, sa.ForeignKey("practices.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "referred_lead_id", UUID, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column(
            "referred_patient_id",
            UUID,
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "referring_patient_id", UUID, sa.ForeignKey("patients.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("referring_lead_id", UUID, sa.ForeignKey("leads.id", ondelete="SET NULL"), nullable=True),
        sa.Column("how", sa.String(8), nullable=False),
        sa.Column("code", sa.String(16), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "thank_you_message_id",
            UUID,
            sa.ForeignKey("nurture_messages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("thank_you_state", sa.String(12), nullable=True),
    )
    op.create_index("ix_patient_referrals_referring_patient_id", "patient_referrals", ["referring_patient_id"])
    op.create_index(
        "uq_nurture_messages_review_appointment",
        "nurture_messages",
        ["appointment_id"],
        unique=True,
        postgresql_where=sa.text("purpose = 'review_request'"),
    )


def downgrade() -> None:
    op.drop_index("uq_nurture_messages_review_appointment", table_name="nurture_messages")
    op.drop_table("patient_referrals")
    op.drop_table("complaint_flags")
