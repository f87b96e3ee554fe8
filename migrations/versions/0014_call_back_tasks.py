"""call-back tasks and text reads: an agent's "call back at" as a task; how far a text thread was read

Revision ID: 0014_call_back_tasks
Revises: 0012_appointments

The overflow console's "Call back at" becomes a task the worker surfaces at its due time; the
practice's text inbox counts a conversation unread until someone at the practice opens it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_call_back_tasks"
down_revision = "0012_appointments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_back_tasks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("interaction_id", sa.UUID(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surfaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_call_back_tasks_practice_id_practices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_call_back_tasks_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_call_back_tasks_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_call_back_tasks_created_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_back_tasks")),
    )
    op.create_index(op.f("ix_call_back_tasks_lead_id"), "call_back_tasks", ["lead_id"])
    op.create_index(
        "ix_call_back_tasks_pending_due",
        "call_back_tasks",
        ["due_at"],
        postgresql_where=sa.text("surfaced_at IS NULL"),
    )
    op.create_table(
        "text_reads",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("read_through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_by_user_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_text_reads_lead_id_leads"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["read_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_text_reads_read_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_text_reads")),
    )


def downgrade() -> None:
    op.drop_table("text_reads")
    op.drop_table("call_back_tasks")
