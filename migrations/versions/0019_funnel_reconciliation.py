"""funnel reconciliation and match review: the checks' findings and how each was resolved; the
lead-patient pairs waiting for a manager's decision

Revision ID: 0019_funnel_reconciliation
Revises: 0016_nurture

The nightly check and the funnel page's "check now" write a row per finding (one per rule and set
of leads, so re-running never doubles it); a manager resolves it by linking an appointment,
merging leads or dismissing it with a reason. The matcher queues the pairs it is unsure of in
match_reviews; a manager accepts or rejects each.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019_funnel_reconciliation"
down_revision = "0016_nurture"
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


    op.create_table(
        "match_reviews",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("agreement", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("decided_by_user_id", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_match_reviews_practice_id_practices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_match_reviews_lead_id_leads"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_match_reviews_decided_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_reviews")),
        sa.UniqueConstraint("lead_id", "patient_id", name="uq_match_reviews_lead_patient"),
    )
    op.create_index(op.f("ix_match_reviews_lead_id"), "match_reviews", ["lead_id"], unique=False)
    op.create_index("ix_match_reviews_practice_status", "match_reviews", ["practice_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_reviews_practice_status", table_name="match_reviews")
    op.drop_index(op.f("ix_match_reviews_lead_id"), table_name="match_reviews")
    op.drop_table("match_reviews")
    op.drop_index("ix_reconciliation_findings_practice_status", table_name="reconciliation_findings")
    op.drop_table("reconciliation_findings")
