"""escalation: manager alerts, first-contact figures, next escalation time

Revision ID: 0003_escalation
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_escalation"
down_revision = "0002_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("next_escalation_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("leads", sa.Column("first_contact_source", sa.String(length=20), nullable=True))
    op.add_column("leads", sa.Column("first_contact_user_id", sa.UUID(), nullable=True))
    op.add_column("leads", sa.Column("first_contact_business_seconds", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_leads_first_contact_user_id_staff_users"),
        "leads",
        "staff_users",
        ["first_contact_user_id"],
        ["id"],
        ondelete="SET NULL",
    )
    # The dashboard reads a practice's leads by arrival time (today, 7 and 30 days).
    op.create_index("ix_leads_practice_received", "leads", ["practice_id", "received_at"])
    op.create_table(
        "manager_alerts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("deliveries", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_manager_alerts_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_manager_alerts_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_manager_alerts_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_alerts")),
        sa.UniqueConstraint("lead_id", "level", name="uq_manager_alerts_lead_level"),
    )
    op.create_index("ix_manager_alerts_practice_created", "manager_alerts", ["practice_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_manager_alerts_practice_created", table_name="manager_alerts")
    op.drop_table("manager_alerts")
    op.drop_index("ix_leads_practice_received", table_name="leads")
    op.drop_constraint(op.f("fk_leads_first_contact_user_id_staff_users"), "leads", type_="foreignkey")
    op.drop_column("leads", "first_contact_business_seconds")
    op.drop_column("leads", "first_contact_user_id")
    op.drop_column("leads", "first_contact_source")
    op.drop_column("leads", "next_escalation_at")
