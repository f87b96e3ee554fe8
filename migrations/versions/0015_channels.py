"""every front door: physician referrals, chat conversations, patient referrals

Revision ID: 0015_channels
Revises: 0014_call_back_tasks

- `referral_partners`: the referring offices that send patients to a practice (a physician invited
  by two practices is one login, partnered with both).
- `referrals`, `referral_attachments`, `referral_reports`: a referral's reason and clinical notes,
  its files (name and bytes encrypted) and the outcome reports its referrer was sent.
- `leads.urgent`: an urgent referral sorts before other leads, after escalated ones.
- `chat_sources`, `chat_conversations`, `chat_messages`: Chatwoot and chat-transcript webhooks, each
  conversation's lead, its messages (encrypted) and replies typed in the product.
- `touchpoints.referred_by_enc` and `patient_referral_codes`: the patient who sent a new patient.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_channels"
down_revision = "0014_call_back_tasks"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.add_column("leads", sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("touchpoints", sa.Column("referred_by_enc", sa.LargeBinary(), nullable=True))
    op.create_table(
        "referral_partners",
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("referring_office_id", sa.UUID(), nullable=False),
        _ts("created_at"),
        _fk("referral_partners", "practice_id", "practices", "CASCADE"),
        _fk("referral_partners", "referring_office_id", "referring_offices", "CASCADE"),
        sa.PrimaryKeyConstraint("practice_id", "referring_office_id", name=op.f("pk_referral_partners")),
    )
    _referrals()
    _chat()
    op.create_table(
        "patient_referral_codes",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
        _ts("created_at"),
        _fk("patient_referral_codes", "practice_id", "practices", "CASCADE"),
        _fk("patient_referral_codes", "lead_id", "leads", "CASCADE"),
        _fk("patient_referral_codes", "created_by_user_id", "staff_users", "SET NULL"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_patient_referral_codes")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_patient_referral_codes_lead_id")),
    )
    op.create_index(
        op.f("ix_patient_referral_codes_practice_id"), "patient_referral_codes", ["practice_id"]
    )


def _referrals() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("referring_office_id", sa.UUID(), nullable=True),
        sa.Column("referring_physician_id", sa.UUID(), nullable=True),
        sa.Column("submitted_by_user_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("urgency", sa.String(12), nullable=False),
        sa.Column("preferred_location_id", sa.UUID(), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("clinical_notes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("submission_key", sa.String(64), nullable=False),
        _ts("submitted_at"),
        _fk("referrals", "practice_id", "practices", "CASCADE"),
        _fk("referrals", "referring_office_id", "referring_offices", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["referring_physician_id"],
            ["staff_users.id"],
            name=op.f("fk_referrals_referring_physician_id_staff_users"),
            ondelete="SET NULL",
        ),
        _fk("referrals", "submitted_by_user_id", "staff_users", "SET NULL"),
        _fk("referrals", "lead_id", "leads", "SET NULL"),
        _fk("referrals", "preferred_location_id", "locations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_referrals_submission_key")),
    )
    for column in ("referring_office_id", "referring_physician_id", "lead_id"):
        op.create_index(op.f(f"ix_referrals_{column}"), "referrals", [column])
    op.create_index("ix_referrals_practice_submitted", "referrals", ["practice_id", "submitted_at"])
    op.create_table(
        "referral_attachments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("file_name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("scanned_by", sa.String(64), nullable=False),
        _ts("created_at"),
        _fk("referral_attachments", "referral_id", "referrals", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_attachments")),
    )
    op.create_index(op.f("ix_referral_attachments_referral_id"), "referral_attachments", ["referral_id"])
    op.create_table(
        "referral_reports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        _ts("occurred_at"),
        sa.Column("provider_name", sa.String(200), nullable=True),
        _ts("created_at"),
        sa.Column("notified", postgresql.JSONB(), nullable=False),
        _fk("referral_reports", "referral_id", "referrals", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_reports")),
        sa.UniqueConstraint("referral_id", "stage", name="uq_referral_reports_referral_stage"),
    )


def _chat() -> None:
    op.create_table(
        "chat_sources",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("default_location_id", sa.UUID(), nullable=True),
        sa.Column("signing_secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("url_secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("api_base_url", sa.String(300), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("api_token_enc", sa.LargeBinary(), nullable=True),
        _ts("created_at"),
        _fk("chat_sources", "practice_id", "practices", "CASCADE"),
        _fk("chat_sources", "default_location_id", "locations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_chat_sources_key")),
    )
    op.create_index(op.f("ix_chat_sources_practice_id"), "chat_sources", ["practice_id"])
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("chat_source_id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _fk("chat_conversations", "chat_source_id", "chat_sources", "CASCADE"),
        _fk("chat_conversations", "practice_id", "practices", "CASCADE"),
        _fk("chat_conversations", "lead_id", "leads", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
        sa.UniqueConstraint("chat_source_id", "external_id", name="uq_chat_conversations_source_external"),
    )
    op.create_index(op.f("ix_chat_conversations_lead_id"), "chat_conversations", ["lead_id"])
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _ts("sent_at"),
        _ts("created_at"),
        _fk("chat_messages", "conversation_id", "chat_conversations", "CASCADE"),
        _fk("chat_messages", "user_id", "staff_users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("conversation_id", "external_id", name="uq_chat_messages_conversation_external"),
    )
    op.create_index(op.f("ix_chat_messages_conversation_id"), "chat_messages", ["conversation_id"])


def downgrade() -> None:
    for table in (
        "chat_messages",
        "chat_conversations",
        "chat_sources",
        "referral_reports",
        "referral_attachments",
        "referrals",
        "referral_partners",
        "patient_referral_codes",
    ):
        op.drop_table(table)
    op.drop_column("touchpoints", "referred_by_enc")
    op.drop_column("leads", "urgent")
