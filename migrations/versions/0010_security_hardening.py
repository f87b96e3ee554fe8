"""second factor, password resets, PHI bound to column and row, a keyed audit chain that refuses TRUNCATE

Revision ID: 0010_security_hardening
Revises: 0009_roles_and_break_glass

PHI: every value sealed in the first format (associated data: a kind, so values could be swapped
between columns and rows) is re-encrypted bound to its column and row id. This needs the PHI keys
in the environment of `leadrouter migrate`; with the wrong keys it fails and changes nothing.
Downgrading past this revision leaves values in the bound format, which older code cannot read:
restore a backup instead.

Audit: the chain switches from SHA-256 to HMAC-SHA256 (LEADROUTER_AUDIT_KEY). Rows already sealed
are not re-chained (that would bless whatever was done to them before): a marker row
`audit.chain_keyed` records the last unkeyed sequence number, and `audit verify` checks the rows up
to it as SHA-256 and everything after it as HMAC. A statement-level trigger refuses TRUNCATE.
"""

from __future__ import annotations

import json
import logging
import sys

import sqlalchemy as sa
from alembic import op

revision = "0010_security_hardening"
down_revision = "0009_roles_and_break_glass"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 500


def upgrade() -> None:
    op.add_column("leads", sa.Column("phi_purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_leads_closed_unpurged", "leads", ["closed_at"],
        postgresql_where=sa.text("status = 'closed' AND phi_purged_at IS NULL"),
    )
    op.add_column("staff_users", sa.Column("totp_secret_enc", sa.LargeBinary(), nullable=True))
    op.add_column("staff_users", sa.Column("mfa_enrolled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("staff_users", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_mfa_recovery_codes_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
    )
    op.create_index(op.f("ix_mfa_recovery_codes_user_id"), "mfa_recovery_codes", ["user_id"])
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_password_resets_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_resets")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])
    op.execute(
        """
        CREATE FUNCTION audit_log_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_log is append-only: TRUNCATE is refused';
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_truncate_guard()"
    )
    bind = op.get_bind()
    legacy_until = bind.execute(sa.text("SELECT coalesce(max(chain_seq), 0) FROM audit_log")).scalar()
    if legacy_until:
        bind.execute(
            sa.text(
                "INSERT INTO audit_log (occurred_at, actor_type, actor_id, action, details) "
                "VALUES (now(), 'system', 'migration', 'audit.chain_keyed', CAST(:details AS jsonb))"
            ),
            {"details": json.dumps({"legacy_until_seq": int(legacy_until)})},
        )
    _bind_phi_to_columns(bind)


def _bind_phi_to_columns(bind) -> None:  # type: ignore[no-untyped-def]
    """Re-encrypt every first-format value bound to its column and row, with a progress line per batch."""
    from router.core.crypto import FieldCipher
    from router.core.phi_columns import PHI_COLUMNS
    from router.core.settings import Settings

    cipher = FieldCipher.from_config(Settings().security.phi_keys)
    inspector = sa.inspect(bind)
    for phi in PHI_COLUMNS:
        if not inspector.has_table(phi.table) or phi.column not in {
            c["name"] for c in inspector.get_columns(phi.table)
        }:
            continue  # added by a later revision: it holds no value of the first format
        table = sa.table(phi.table, sa.column("id"), sa.column(phi.column, sa.LargeBinary))
        total = bind.execute(
            sa.text(f"SELECT count(*) FROM {phi.table} WHERE substring({phi.column} from 1 for 1) = '\\x01'")
        ).scalar()
        if not total:
            continue
        done, after = 0, None
        while True:
            query = (
                f"SELECT id, {phi.column} FROM {phi.table} "
                f"WHERE substring({phi.column} from 1 for 1) = '\\x01'"
                + (" AND id > :after" if after is not None else "")
                + f" ORDER BY id LIMIT {BATCH}"
            )
            rows = bind.execute(sa.text(query), {"after": after} if after is not None else {}).all()
            if not rows:
                break
            for row_id, ciphertext in rows:
                bind.execute(
                    table.update()
                    .where(table.c.id == row_id)
                    .values({phi.column: cipher.reseal(ciphertext, column=phi, row_id=row_id)})
                )
            done, after = done + len(rows), rows[-1][0]
            _progress(f"{phi.table}.{phi.column}", done, total)


def _progress(name: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    line = f"re-encrypting {name:32} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line + ("\n" if done >= total else ""))
        sys.stderr.flush()
    elif done >= total:
        log.info(line)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_truncate_guard()")
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_mfa_recovery_codes_user_id"), table_name="mfa_recovery_codes")
    op.drop_table("mfa_recovery_codes")
    for name in ("password_changed_at", "totp_last_step", "mfa_enrolled_at", "totp_secret_enc"):
        op.drop_column("staff_users", name)
    op.drop_index("ix_leads_closed_unpurged", table_name="leads")
    op.drop_column("leads", "phi_purged_at")
