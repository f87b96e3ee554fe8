"""patients and the practice-management connection: patients, treatment plans, lead-patient links, sync

Revision ID: 0018_patients_and_pms
Revises: 0017_ops_status

- `patients` (PHI sealed per column, phone and email blind-indexed) and `treatment_plans`, keyed by
  their practice-management id so a change seen twice, or a file imported twice, never duplicates.
- `lead_patient_matches`: how a lead and a patient were linked (exact, booking, probabilistic) and
  how sure the link is.
- `appointments` gains the patient, the visit type, the PMS id and version, and the state of the
  write to the PMS (pending, synced, failed) with its retry bookkeeping.
- `pms_connections` (one per practice: FHIR or file, writable or not, the sync cursor and health)
  and `pms_sync_runs` (what each run or import changed and what went wrong).
- `locations.pms_id` and `providers.pms_id`: the PMS's Location and Practitioner ids.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_patients_and_pms"
down_revision = "0017_ops_status"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _practice() -> sa.Column:
    return sa.Column("practice_id", sa.UUID(), nullable=False)


def _practice_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["practice_id"], ["practices.id"], name=f"fk_{table}_practice_id_practices", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("locations", sa.Column("pms_id", sa.String(length=64), nullable=True))
    op.add_column("providers", sa.Column("pms_id", sa.String(length=64), nullable=True))
    op.create_table(
        "patients",
        sa.Column("id", sa.UUID(), nullable=False),
        _practice(),
        sa.Column("pms_id", sa.String(length=64), nullable=False),
        *(
            sa.Column(f"{name}_enc", sa.LargeBinary(), nullable=True)
            for name in ("first_name", "last_name", "phone", "email", "date_of_birth")
        ),
        sa.Column("phone_index", sa.LargeBinary(), nullable=True),
        sa.Column("email_index", sa.LargeBinary(), nullable=True),
        sa.Column("zip", sa.String(length=10), nullable=True),
        sa.Column("pms_version", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
        _practice_fk("patients"),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("practice_id", "pms_id", name="uq_patients_practice_pms_id"),
    )
    op.create_index("ix_patients_practice_phone_index", "patients", ["practice_id", "phone_index"])
    op.create_index("ix_patients_practice_email_index", "patients", ["practice_id", "email_index"])
    op.create_table(
        "treatment_plans",
        sa.Column("id", sa.UUID(), nullable=False),
        _practice(),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("pms_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("provider_id", sa.UUID(), nullable=True),
        _ts("presented_at"),
        _ts("accepted_at"),
        _ts("completed_at"),
        sa.Column("pms_version", sa.String(length=64), nullable=True),
        _ts("updated_at", False),
        _practice_fk("treatment_plans"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_treatment_plans_patient_id_patients", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_treatment_plans_provider_id_providers", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_treatment_plans"),
        sa.UniqueConstraint("practice_id", "pms_id", name="uq_treatment_plans_practice_pms_id"),
    )
    op.create_index("ix_treatment_plans_patient_id", "treatment_plans", ["patient_id"])
    op.create_table(
        "lead_patient_matches",
        sa.Column("id", sa.UUID(), nullable=False),
        _practice(),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by_user_id", sa.UUID(), nullable=True),
        _ts("created_at", False),
        _practice_fk("lead_patient_matches"),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_lead_patient_matches_lead_id_leads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_lead_patient_matches_patient_id_patients", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["staff_users.id"],
            name="fk_lead_patient_matches_decided_by_user_id_staff_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lead_patient_matches"),
        sa.UniqueConstraint("lead_id", "patient_id", name="uq_lead_patient_matches_lead_patient"),
    )
    op.create_index("ix_lead_patient_matches_lead_id", "lead_patient_matches", ["lead_id"])
    op.create_index("ix_lead_patient_matches_patient_id", "lead_patient_matches", ["patient_id"])
    _extend_appointments()
    op.create_table(
        "pms_connections",
        _practice(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=True),
        sa.Column("writable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("cursor", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        _ts("last_sync_at"),
        _ts("last_success_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("failing_since"),
        _ts("next_sync_at"),
        _ts("alerted_at"),
        _ts("updated_at", False),
        _practice_fk("pms_connections"),
        sa.PrimaryKeyConstraint("practice_id", name="pk_pms_connections"),
    )
    op.create_table(
        "pms_sync_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        _practice(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        _ts("started_at", False),
        _ts("finished_at"),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("problems", postgresql.JSONB(), nullable=False),
        _practice_fk("pms_sync_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_pms_sync_runs"),
    )
    op.create_index("ix_pms_sync_runs_practice_started", "pms_sync_runs", ["practice_id", "started_at"])


def _extend_appointments() -> None:
    op.add_column("appointments", sa.Column("patient_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "fk_appointments_patient_id_patients", "appointments", "patients", ["patient_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index("ix_appointments_patient_id", "appointments", ["patient_id"])
    for name, kind in (
        ("appointment_type", sa.String(length=64)),
        ("pms_id", sa.String(length=64)),
        ("pms_state", sa.String(length=12)),
        ("pms_version", sa.String(length=64)),
        ("pms_slot_id", sa.String(length=64)),
        ("pms_error", sa.Text()),
    ):
        op.add_column("appointments", sa.Column(name, kind, nullable=True))
    op.add_column(
        "appointments", sa.Column("pms_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    for name in ("pms_next_attempt_at", "pms_alerted_at", "updated_at"):
        op.add_column("appointments", _ts(name))
    op.create_unique_constraint("uq_appointments_practice_pms_id", "appointments", ["practice_id", "pms_id"])
    op.create_index(
        "ix_appointments_pms_pending",
        "appointments",
        ["pms_next_attempt_at"],
        postgresql_where=sa.text("pms_state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("pms_sync_runs")
    op.drop_table("pms_connections")
    op.drop_index("ix_appointments_pms_pending", table_name="appointments")
    op.drop_constraint("uq_appointments_practice_pms_id", "appointments", type_="unique")
    op.drop_index("ix_appointments_patient_id", table_name="appointments")
    op.drop_constraint("fk_appointments_patient_id_patients", "appointments", type_="foreignkey")
    for name in (
        "patient_id",
        "appointment_type",
        "pms_id",
        "pms_state",
        "pms_version",
        "pms_slot_id",
        "pms_error",
        "pms_attempts",
        "pms_next_attempt_at",
        "pms_alerted_at",
        "updated_at",
    ):
        op.drop_column("appointments", name)
    op.drop_table("lead_patient_matches")
    op.drop_table("treatment_plans")
    op.drop_table("patients")
    op.drop_column("providers", "pms_id")
    op.drop_column("locations", "pms_id")
