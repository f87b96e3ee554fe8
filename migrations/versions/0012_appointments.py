"""appointments: a visit booked for a lead (when, where, with whom, who booked it where)

Revision ID: 0012_appointments
Revises: 0011_administration

Booking from the board's close form and from the overflow console writes a row here instead of
only a close reason; the practice-management sync extends the same table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_appointments"
down_revision = "0011_administration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'booked'"), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("booked_by_user_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_appointments_practice_id_practices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_appointments_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_appointments_location_id_locations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_appointments_provider_id_providers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["booked_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_appointments_booked_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(op.f("ix_appointments_practice_id"), "appointments", ["practice_id"])
    op.create_index(op.f("ix_appointments_lead_id"), "appointments", ["lead_id"])
    op.create_index("ix_appointments_location_starts_at", "appointments", ["location_id", "starts_at"])


def downgrade() -> None:
    op.drop_table("appointments")
