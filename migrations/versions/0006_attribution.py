"""attribution: tracking sites, ad spend, patient values, attribution runs; journeys read by practice and time

Revision ID: 0006_attribution
Revises: 0001

`ix_touchpoints_practice_occurred` is created here only (the Touchpoint mapping in router/core/models.py
belongs to the spine): an attribution run reads a practice's touchpoints of a time window with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_attribution"
down_revision = "0005_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_sites",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("origins", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_tracking_sites_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_sites")),
        sa.UniqueConstraint("key", name=op.f("uq_tracking_sites_key")),
    )
    op.create_index(op.f("ix_tracking_sites_practice_id"), "tracking_sites", ["practice_id"], unique=False)
    op.create_table(
        "ad_spend",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=False), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("clicks", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_ad_spend_practice_id_practices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_spend")),
        sa.UniqueConstraint(
            "practice_id", "day", "channel", "campaign", name="uq_ad_spend_practice_day_campaign"
        ),
    )
    op.create_table(
        "patient_values",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_patient_values_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_patient_values_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_patient_values")),
    )
    op.create_index(op.f("ix_patient_values_practice_id"), "patient_values", ["practice_id"], unique=False)
    op.create_table(
        "attribution_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("markov_order", sa.Integer(), nullable=False),
        sa.Column("conversion_stage", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=True),
        sa.Column("conversions", sa.Float(), nullable=True),
        sa.Column("read_seconds", sa.Float(), nullable=True),
        sa.Column("compute_seconds", sa.Float(), nullable=True),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_attribution_runs_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_runs")),
    )
    op.create_index(
        "ix_attribution_runs_practice_requested",
        "attribution_runs",
        ["practice_id", "requested_at"],
        unique=False,
    )
    op.create_index(
        "ix_touchpoints_practice_occurred", "touchpoints", ["practice_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_touchpoints_practice_occurred", table_name="touchpoints")
    op.drop_index("ix_attribution_runs_practice_requested", table_name="attribution_runs")
    op.drop_table("attribution_runs")
    op.drop_index(op.f("ix_patient_values_practice_id"), table_name="patient_values")
    op.drop_table("patient_values")
    op.drop_table("ad_spend")
    op.drop_index(op.f("ix_tracking_sites_practice_id"), table_name="tracking_sites")
    op.drop_table("tracking_sites")
