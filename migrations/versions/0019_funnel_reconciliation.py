"""funnel reconciliation: the findings of the funnel's consistency checks and how each was resolved

Revision ID: 0019_funnel_reconciliation
Revises: 0012_appointments

The nightly check and the funnel page's "check now" write a row per finding (one per rule and set
of leads, so re-running never doubles it); a manager resolves it by linking an appointment,
merging leads or dismissing it with a reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019_funnel_reconciliation"
down_revision = "0012_appointments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_findings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("lead_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'open'"), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolved_by_user_id", sa.UUID(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_reconciliation_findings_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_reconciliation_findings_resolved_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_findings")),
        sa.UniqueConstraint("practice_id", "fingerprint", name="uq_reconciliation_findings_fingerprint"),
    )
    op.create_index(
        "ix_reconciliation_findings_practice_status",
        "reconciliation_findings",
        ["practice_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_reconciliation_findings_practice_status", table_name="reconciliation_findings")
    op.drop_table("reconciliation_findings")
