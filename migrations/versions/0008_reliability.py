"""intake serialised per person; manager alert sends leased for retry

Revision ID: 0008_reliability
Revises: 0007_open_leads_by_staff

`lock_person_for_intake` takes a person's intake locks and then looks at their open leads with a
snapshot taken after the locks were granted (a VOLATILE function's queries each take a fresh one):
the new-lead statement can then refuse to write when a concurrent inquiry of the same person
committed a lead while it waited, which a check inside the statement itself would not see.

`manager_alerts.send_lease_until`: until then, the worker that created the alert is sending it;
after, any worker's sweeper may (at least once: a worker killed mid-send loses no alert).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reliability"
down_revision = "0007_open_leads_by_staff"
branch_labels = None
depends_on = None

PERSON_LOCK_CLASS = 0x1EAD
"""The first key of every person lock (router/intake/matching.py): its own space among advisory locks."""


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION lock_person_for_intake(
            p_practice uuid, p_phone bytea, p_email bytea, p_lock_keys integer[], p_expected uuid[]
        ) RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            v_key integer;
        BEGIN
            -- The keys come sorted, so two inquiries sharing a phone and an email cannot deadlock.
            FOREACH v_key IN ARRAY coalesce(p_lock_keys, '{{}}') LOOP
                PERFORM pg_advisory_xact_lock({PERSON_LOCK_CLASS}, v_key);
            END LOOP;
            IF p_expected IS NULL THEN
                RETURN true;
            END IF;
            RETURN coalesce(
                (SELECT array_agg(l.id ORDER BY l.id) FROM leads AS l
                 WHERE l.practice_id = p_practice AND l.status = 'open'
                   AND (l.phone_index = p_phone OR l.email_index = p_email)),
                '{{}}'
            ) = coalesce((SELECT array_agg(e ORDER BY e) FROM unnest(p_expected) AS e), '{{}}');
        END
        $$
        """
    )
    op.add_column("manager_alerts", sa.Column("send_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_manager_alerts_sending",
        "manager_alerts",
        ["send_lease_until"],
        postgresql_where=sa.text("send_lease_until IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_manager_alerts_sending", table_name="manager_alerts")
    op.drop_column("manager_alerts", "send_lease_until")
    op.execute("DROP FUNCTION lock_person_for_intake(uuid, bytea, bytea, integer[], uuid[])")
