"""phones: tracking numbers, practice phone settings, calls and text messages

Revision ID: 0004_phones
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_phones"
down_revision = "0003_escalation"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tracking_numbers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_tracking_numbers_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_tracking_numbers_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_numbers")),
        sa.UniqueConstraint("phone_e164", name=op.f("uq_tracking_numbers_phone_e164")),
    )
    op.create_index(op.f("ix_tracking_numbers_practice_id"), "tracking_numbers", ["practice_id"])
    op.create_table(
        "practice_phone_settings",
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("practice_number", sa.String(length=20), nullable=True),
        sa.Column("records_calls", sa.Boolean(), nullable=False),
        sa.Column("consent_notice", sa.Text(), nullable=True),
        sa.Column("overflow_mode", sa.String(length=16), nullable=False),
        sa.Column("ring_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("missed_call_text_back", sa.Boolean(), nullable=False),
        sa.Column("text_back_message", sa.Text(), nullable=True),
        _ts("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_practice_phone_settings_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_practice_phone_settings")),
    )
    op.create_table(
        "phone_calls",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("location_id", sa.UUID(), nullable=True),
        sa.Column("tracking_number_id", sa.UUID(), nullable=True),
        sa.Column("interaction_id", sa.UUID(), nullable=True),
        sa.Column("staff_user_id", sa.UUID(), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("routing_step", sa.String(length=20), nullable=True),
        sa.Column("answered_by", sa.String(length=20), nullable=True),
        _ts("answered_at"),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("transcription_sid", sa.String(length=64), nullable=True),
        sa.Column("caller_is_new", sa.Boolean(), nullable=False),
        _ts("text_back_at"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_phone_calls_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_phone_calls_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"], ["interactions.id"], name=op.f("fk_phone_calls_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_users.id"], name=op.f("fk_phone_calls_staff_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_phone_calls_call_sid")),
    )
    op.create_index(op.f("ix_phone_calls_lead_id"), "phone_calls", ["lead_id"])
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("interaction_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("practice_number", sa.String(length=20), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.LargeBinary(), nullable=True),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        _ts("send_after"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_sms_messages_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_sms_messages_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"], ["interactions.id"], name=op.f("fk_sms_messages_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_sms_messages_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_sms_messages_message_sid")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_messages_dedupe_key")),
    )
    op.create_index(op.f("ix_sms_messages_lead_id"), "sms_messages", ["lead_id"])
    op.create_index("ix_sms_messages_practice_phone", "sms_messages", ["practice_id", "phone_index"])
    op.create_index(
        "ix_sms_messages_deferred",
        "sms_messages",
        ["send_after"],
        postgresql_where=sa.text("status = 'deferred'"),
    )
    op.create_index(
        "ix_consent_records_practice_phone", "consent_records", ["practice_id", "phone_index", "captured_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_consent_records_practice_phone", table_name="consent_records")
    op.drop_table("sms_messages")
    op.drop_table("phone_calls")
    op.drop_table("practice_phone_settings")
    op.drop_table("tracking_numbers")
