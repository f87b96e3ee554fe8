"""administration from the browser: edit revisions, invitation links, form deliveries, closures

Revision ID: 0011_administration
Revises: 0010_security_hardening

- `revision`, `updated_at`, `updated_by_user_id` on what the administration screens edit (practices,
  locations, staff, phone settings): a save names the revision it started from and is refused when
  someone else saved in between ("changed by Maya at 10:02, reload").
- `locations.is_active` (a closed office takes no new leads) and `locations.closure_names` (the
  calendar's label of each closed day: "Thanksgiving", "Staff training").
- `account_links`: one-time set-password links (an invitation, a reset by an administrator); only a
  hash of the token is stored.
- `ix_audit_log_practice_id`: the audit review reads one practice's records, newest first.
- `form_deliveries`: what each form source received and what it was answered (accepted, refused
  and why), for the form sources screen; ids and codes only, never the body.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_administration"
down_revision = "0010_security_hardening"
branch_labels = None
depends_on = None

EDITED = ("practices", "locations", "staff_users", "practice_phone_settings")


def upgrade() -> None:
    for table in EDITED:
        op.add_column(table, sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        if table != "practice_phone_settings":
            op.add_column(table, sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(
            table,
            sa.Column(
                "updated_by_user_id",
                sa.UUID(),
                sa.ForeignKey("staff_users.id", ondelete="SET NULL", name=f"fk_{table}_updated_by"),
                nullable=True,
            ),
        )
    op.add_column("locations", sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column(
        "locations",
        sa.Column(
            "closure_names",
            postgresql.JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_table(
        "account_links",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_account_links_user_id_staff_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_account_links_created_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_links_token_hash")),
    )
    op.create_index(op.f("ix_account_links_user_id"), "account_links", ["user_id"])
    op.create_table(
        "form_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("form_source_id", sa.UUID(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("webhook_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_source_id"],
            ["form_sources.id"],
            name=op.f("fk_form_deliveries_form_source_id_form_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_deliveries")),
    )
    op.create_index("ix_form_deliveries_source_id", "form_deliveries", ["form_source_id", "id"])
    op.create_index("ix_audit_log_practice_id", "audit_log", ["practice_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_practice_id", table_name="audit_log")
    op.drop_index("ix_form_deliveries_source_id", table_name="form_deliveries")
    op.drop_table("form_deliveries")
    op.drop_index(op.f("ix_account_links_user_id"), table_name="account_links")
    op.drop_table("account_links")
    op.drop_column("locations", "closure_names")
    op.drop_column("locations", "is_active")
    for table in EDITED:
        op.drop_column(table, "updated_by_user_id")
        if table != "practice_phone_settings":
            op.drop_column(table, "updated_at")
        op.drop_column(table, "revision")
