"""roles split into practice admin and platform operator; referring offices; break-glass grants

Revision ID: 0009_roles_and_break_glass
Revises: 0008_reliability

Practices are separate tenants, so the single cross-practice `admin` role goes: an admin who belongs
to a practice becomes that practice's `practice_admin`, one without a practice a `platform_operator`
(who manages practices and sees no patient data without break-glass access).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_roles_and_break_glass"
down_revision = "0008_reliability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referring_offices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referring_offices")),
    )
    for table in ("staff_users", "leads"):
        op.add_column(table, sa.Column("referring_office_id", sa.UUID(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_referring_office_id_referring_offices"),
            table,
            "referring_offices",
            ["referring_office_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_break_glass_grants_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_break_glass_grants_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    op.create_index(op.f("ix_break_glass_grants_user_id"), "break_glass_grants", ["user_id"])
    op.execute("UPDATE staff_users SET role = 'practice_admin' WHERE role = 'admin' AND practice_id IS NOT NULL")
    op.execute("UPDATE staff_users SET role = 'platform_operator' WHERE role = 'admin' AND practice_id IS NULL")


def downgrade() -> None:
    op.execute("UPDATE staff_users SET role = 'admin' WHERE role IN ('practice_admin', 'platform_operator')")
    op.execute("UPDATE staff_users SET role = 'physician' WHERE role = 'physician_office'")
    op.drop_index(op.f("ix_break_glass_grants_user_id"), table_name="break_glass_grants")
    op.drop_table("break_glass_grants")
    for table in ("leads", "staff_users"):
        op.drop_constraint(op.f(f"fk_{table}_referring_office_id_referring_offices"), table, type_="foreignkey")
        op.drop_column(table, "referring_office_id")
    op.drop_table("referring_offices")
