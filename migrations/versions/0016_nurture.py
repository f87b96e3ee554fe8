"""nurture: sequences, templates with approved versions, the patient message outbox, staff call tasks

Revision ID: 0016_nurture
Revises: 0018_patients_and_pms

- `nurture_settings`: a practice's sender identity, hourly rate limits per channel, the score at
  which a lead gets a staff call instead of automation, and a named second approver.
- `nurture_templates` / `nurture_template_versions`: wording per key, channel and language; a
  version sends only once someone other than its author approved it.
- `nurture_sequences` / `nurture_sequence_versions`: enrolment rules and frozen step lists.
- `nurture_enrolments`: one active or paused sequence per lead (a partial unique index), found by
  the scheduler tick through a partial index on the due time.
- `nurture_messages`: the patient outbox (recipient, subject and body encrypted), one row per step.
- `nurture_call_tasks`: staff calls a sequence asks for.
- `consent_records.email_index`: email opt-outs are consent records too, by the address's blind index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_nurture"
down_revision = "0018_patients_and_pms"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, table: str, ondelete: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.UUID(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def _templates() -> None:
    op.create_table(
        "nurture_settings",
        sa.Column("practice_id", sa.UUID(), sa.ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sender_name", sa.String(200)),
        sa.Column("sender_email", sa.String(254)),
        sa.Column("reply_to", sa.String(254)),
        sa.Column("scheduling_url", sa.Text()),
        sa.Column("call_task_score", sa.Integer()),
        sa.Column("emails_per_hour", sa.Integer(), nullable=False),
        sa.Column("texts_per_hour", sa.Integer(), nullable=False),
        _fk("second_approver_user_id", "staff_users", "SET NULL"),
        _ts("updated_at", False),
    )
    op.create_table(
        "nurture_templates",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("practice_id", "practices", "CASCADE", False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("approved_version_id", sa.UUID()),
        _ts("created_at", False),
        sa.UniqueConstraint("practice_id", "key", "language", name="uq_nurture_templates_practice_key"),
    )
    op.create_table(
        "nurture_template_versions",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("template_id", "nurture_templates", "CASCADE", False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        _fk("author_user_id", "staff_users", "SET NULL"),
        _fk("approved_by_user_id", "staff_users", "SET NULL"),
        _ts("approved_at"),
        _ts("created_at", False),
        sa.UniqueConstraint("template_id", "version", name="uq_nurture_template_versions_version"),
    )


def _sequences() -> None:
    op.create_table(
        "nurture_sequences",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("practice_id", "practices", "CASCADE", False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("treatment", sa.String(32)),
        sa.Column("min_score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        sa.Column("source_kind", sa.String(20)),
        _fk("location_id", "locations", "SET NULL"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        _ts("created_at", False),
    )
    op.create_table(
        "nurture_sequence_versions",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("sequence_id", "nurture_sequences", "CASCADE", False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", postgresql.JSONB(), nullable=False),
        _fk("created_by_user_id", "staff_users", "SET NULL"),
        _ts("created_at", False),
        sa.UniqueConstraint("sequence_id", "version", name="uq_nurture_sequence_versions_version"),
    )
    op.create_table(
        "nurture_enrolments",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("practice_id", "practices", "CASCADE", False),
        _fk("lead_id", "leads", "CASCADE", False),
        _fk("sequence_version_id", "nurture_sequence_versions", "CASCADE", False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("exit_reason", sa.String(32)),
        _ts("next_due_at"),
        _ts("enrolled_at", False),
        _ts("last_step_at"),
        _ts("ended_at"),
    )
    op.create_index("ix_nurture_enrolments_lead_id", "nurture_enrolments", ["lead_id"])
    op.create_index("ix_nurture_enrolments_sequence_version_id", "nurture_enrolments", ["sequence_version_id"])
    op.create_index(
        "ix_nurture_enrolments_due",
        "nurture_enrolments",
        ["next_due_at"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "uq_nurture_enrolments_one_per_lead",
        "nurture_enrolments",
        ["lead_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'paused')"),
    )


def _outbox() -> None:
    op.create_table(
        "nurture_messages",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("practice_id", "practices", "CASCADE", False),
        _fk("lead_id", "leads", "CASCADE", False),
        _fk("enrolment_id", "nurture_enrolments", "SET NULL"),
        sa.Column("step_index", sa.Integer()),
        sa.Column("channel", sa.String(8), nullable=False),
        _fk("template_version_id", "nurture_template_versions", "SET NULL"),
        sa.Column("variant", sa.String(1), nullable=False),
        sa.Column("recipient_enc", sa.LargeBinary()),
        sa.Column("subject_enc", sa.LargeBinary()),
        sa.Column("body_enc", sa.LargeBinary()),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("send_after"),
        _ts("attempt_started_at"),
        sa.Column("provider_id", sa.String(200)),
        sa.Column("from_number", sa.String(20)),
        sa.Column("detail", sa.Text()),
        _ts("opened_at"),
        _ts("clicked_at"),
        _ts("sent_at"),
        _ts("created_at", False),
        sa.UniqueConstraint("enrolment_id", "step_index", name="uq_nurture_messages_step"),
    )
    op.create_index("ix_nurture_messages_lead_id", "nurture_messages", ["lead_id"])
    op.create_index(
        "ix_nurture_messages_due", "nurture_messages", ["send_after"], postgresql_where=sa.text("status = 'queued'")
    )
    op.create_index(
        "ix_nurture_messages_practice_sent", "nurture_messages", ["practice_id", "channel", "sent_at"]
    )
    op.create_index(
        "ix_nurture_messages_sending",
        "nurture_messages",
        ["attempt_started_at"],
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.create_table(
        "nurture_call_tasks",
        sa.Column("id", sa.UUID(), primary_key=True),
        _fk("practice_id", "practices", "CASCADE", False),
        _fk("location_id", "locations", "SET NULL"),
        _fk("lead_id", "leads", "CASCADE", False),
        _fk("enrolment_id", "nurture_enrolments", "SET NULL"),
        sa.Column("step_index", sa.Integer()),
        _ts("due_at", False),
        sa.Column("status", sa.String(12), nullable=False),
        _fk("done_by_user_id", "staff_users", "SET NULL"),
        _ts("done_at"),
        _ts("created_at", False),
        sa.UniqueConstraint("enrolment_id", "step_index", name="uq_nurture_call_tasks_step"),
    )
    op.create_index("ix_nurture_call_tasks_lead_id", "nurture_call_tasks", ["lead_id"])
    op.create_index(
        "ix_nurture_call_tasks_open",
        "nurture_call_tasks",
        ["location_id", "due_at"],
        postgresql_where=sa.text("status = 'open'"),
    )


def upgrade() -> None:
    op.add_column("consent_records", sa.Column("email_index", sa.LargeBinary(), nullable=True))
    op.create_index("ix_consent_records_email_index", "consent_records", ["email_index"])
    _templates()
    _sequences()
    _outbox()


def downgrade() -> None:
    for table in (
        "nurture_call_tasks",
        "nurture_messages",
        "nurture_enrolments",
        "nurture_sequence_versions",
        "nurture_sequences",
        "nurture_template_versions",
        "nurture_templates",
        "nurture_settings",
    ):
        op.drop_table(table)
    op.drop_index("ix_consent_records_email_index", table_name="consent_records")
    op.drop_column("consent_records", "email_index")
