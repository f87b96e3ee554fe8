"""pms more: one review queue for unsure lead-patient pairs; FHIR subscriptions

Revision ID: 0024_pms_more
Revises: 0023_nurture_more

Unsure pairs had two homes: `match_reviews` (where the matcher queues them and managers decide) and
`lead_patient_matches.status` ("review", "rejected"). `match_reviews` stays the only queue: any match
row still waiting or rejected moves there (pending / rejected, its score as the probability), and
`lead_patient_matches` keeps links only, so its `status` column goes.

`pms_connections` remembers the PMS's rest-hook Subscriptions (their ids, a hash of the bearer token
they send, when the product last asked, and why there are none).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024_pms_more"
down_revision = "0023_nurture_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO match_reviews
            (id, practice_id, lead_id, patient_id, probability, agreement, status,
             decided_by_user_id, decided_at, created_at)
        SELECT gen_random_uuid(), practice_id, lead_id, patient_id, score, '{}'::jsonb,
               CASE status WHEN 'rejected' THEN 'rejected' ELSE 'pending' END,
               decided_by_user_id,
               CASE status WHEN 'rejected' THEN created_at END,
               created_at
        FROM lead_patient_matches
        WHERE status <> 'linked'
        ON CONFLICT ON CONSTRAINT uq_match_reviews_lead_patient DO UPDATE
            SET status = 'rejected', decided_by_user_id = EXCLUDED.decided_by_user_id,
                decided_at = EXCLUDED.decided_at
            WHERE EXCLUDED.status = 'rejected' AND match_reviews.status = 'pending'
        """
    )
    op.execute("DELETE FROM lead_patient_matches WHERE status <> 'linked'")
    op.drop_column("lead_patient_matches", "status")
    op.add_column(
        "pms_connections",
        sa.Column(
            "subscription_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.add_column("pms_connections", sa.Column("notify_token_sha256", sa.LargeBinary(), nullable=True))
    op.add_column(
        "pms_connections", sa.Column("subscription_checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("pms_connections", sa.Column("subscription_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("subscription_note", "subscription_checked_at", "notify_token_sha256", "subscription_ids"):
        op.drop_column("pms_connections", column)
    # Pairs moved to match_reviews stay there: the code of 0020 reads its queue from that table too.
    op.add_column(
        "lead_patient_matches",
        sa.Column("status", sa.String(12), nullable=False, server_default="linked"),
    )
