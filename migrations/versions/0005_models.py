"""model versions keep their holdout (features and outcomes) for champion-vs-challenger comparison

Revision ID: 0005_models
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_models"
down_revision = "0004_phones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("holdout", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("model_versions", "holdout")
