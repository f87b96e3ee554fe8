"""Backup, restore and the drill against the real PostgreSQL with its own pg_dump and pg_restore: a
restore proves the data usable, and is refused for a non-empty target, missing keys or a changed file."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import secrets

import asyncpg
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from leadrouter.backup import BackupRefused, NoSteps, manifest_path, restore_backup, take_backup
from leadrouter.backup_drill import run_drill
from leadrouter.cli import cli
from router.core.settings import get_settings
from router.ops.marks import BACKUP
from router.ops.status import OK, build_report
from router.privacy import audit
from tests.board.helpers import new_lead
from tests.factories import make_practice

pytestmark = pytest.mark.integration


async def _admin(url: str, sql: str) -> None:
    dsn = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
async def stored(domain, tmp_path, monkeypatch):
    """A practice with three leads and a sealed audit chain, with its own file of exported heads (heads
    another test exported from its own chain would rightly fail this backup's verification)."""
    heads = str(tmp_path / "audit-heads.jsonl")
    monkeypatch.setenv("LEADROUTER_AUDIT_HEAD_FILE", heads)
    get_settings.cache_clear()
    saved = domain.settings
    domain.settings = dataclasses.replace(
        saved, security=dataclasses.replace(saved.security, audit_head_file=heads)
    )
    practice = await make_practice(domain)
    for _ in range(3):
        await new_lead(domain, practice)
    key = audit.chain_key(domain.settings.security.audit_key)
    while await audit.seal_pending(domain.sessionmaker, key=key):
        pass
    yield practice
    domain.settings = saved
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def fresh_database(domain):
    """The URL of a new, empty database on the same server, dropped afterwards."""
    url = domain.settings.database.owner_url
    name = f"{make_url(url).database}_restore_{secrets.token_hex(3)}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    yield make_url(url).set(database=name).render_as_string(False)
    await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_backup_restores_into_a_fresh_database_and_verifies(domain, stored, fresh_database, tmp_path):
    dump = tmp_path / "lr.dump"
    backup = await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    manifest = json.loads(manifest_path(dump).read_text())
    assert manifest["leads"] == 3 and set(manifest["key_ids"]) == {"dev1"} and manifest["audit_chain_seq"] > 0
    assert backup.manifest == manifest and manifest["server_major"] >= 13
    result = await restore_backup(dump, fresh_database, domain.settings, NoSteps())
    assert result.ok, result.problems
    assert (
        result.leads == 3 and result.decrypted >= 3 * 4 and result.audit_rows == manifest["audit_chain_seq"]
    )


async def test_a_restore_into_a_database_that_holds_tables_is_refused(domain, stored, tmp_path):
    dump = tmp_path / "lr.dump"
    await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    with pytest.raises(BackupRefused, match=r"already holds .* tables"):
        await restore_backup(dump, domain.settings.database.owner_url, domain.settings, NoSteps())


async def test_a_restore_without_the_sealing_key_is_refused_naming_it(
    domain, stored, fresh_database, tmp_path
):
    dump = tmp_path / "lr.dump"
    await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    other_key = "k2026:" + base64.b64encode(b"another-phi-key-of-32-bytes-long").decode()
    settings = dataclasses.replace(
        domain.settings, security=dataclasses.replace(domain.settings.security, phi_keys=other_key)
    )
    with pytest.raises(BackupRefused, match=r"sealed with PHI key dev1, which LEADROUTER_PHI_KEYS does not"):
        await restore_backup(dump, fresh_database, settings, NoSteps())
    connection = await asyncpg.connect(
        make_url(fresh_database).set(drivername="postgresql").render_as_string(False)
    )
    try:  # refused before anything was written
        assert await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await connection.close()


async def test_a_changed_backup_file_is_refused(domain, stored, fresh_database, tmp_path):
    dump = tmp_path / "lr.dump"
    await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    dump.write_bytes(dump.read_bytes()[:-10])
    with pytest.raises(BackupRefused, match="SHA-256 differs"):
        await restore_backup(dump, fresh_database, domain.settings, NoSteps())


async def test_a_restore_with_an_edited_audit_row_fails_verification(
    domain, stored, fresh_database, tmp_path
):
    dump = tmp_path / "lr.dump"
    await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    settings = dataclasses.replace(
        domain.settings,
        security=dataclasses.replace(
            domain.settings.security, audit_key=base64.b64encode(b"not-the-key-that-chained-these!!").decode()
        ),
    )
    result = await restore_backup(dump, fresh_database, settings, NoSteps())
    assert not result.ok and any("audit chain" in problem for problem in result.problems)


async def test_the_command_records_the_backup_for_the_status_page(domain, runtime, stored, tmp_path):
    dump = tmp_path / "cli.dump"
    answer = await asyncio.to_thread(CliRunner().invoke, cli, ["backup", "--out", str(dump)])
    assert answer.exit_code == 0, answer.output
    assert "backed up 3 leads" in answer.output and manifest_path(dump).exists()
    report = await build_report(domain, runtime.redis)
    backup = next(check for check in report.checks if check.key == BACKUP)
    assert backup.state == OK and "cli.dump" in backup.summary


async def test_a_restore_into_the_configured_database_is_refused_in_one_line(domain, stored, tmp_path):
    dump = tmp_path / "cli.dump"
    await take_backup(domain.settings.database.owner_url, dump, NoSteps())
    answer = await asyncio.to_thread(CliRunner().invoke, cli, ["restore", str(dump)])
    assert answer.exit_code == 1 and "Error: refusing to restore into" in answer.output


async def test_the_drill_with_the_demo_data_states_the_margin_under_the_72_hours(domain, stored):
    answer = await asyncio.to_thread(CliRunner().invoke, cli, ["backup", "drill"])
    assert answer.exit_code == 0, answer.output
    assert "restore drill passed: 3 leads recovered and verified in" in answer.output
    assert "within HIPAA's proposed 72 hours" in answer.output


async def test_the_drill_with_simulated_leads(domain):
    report = await run_drill(domain.settings, NoSteps(), leads=500)
    assert (
        report.problems == [] and report.leads == 500 and report.audit_rows == 10 and report.decrypted == 100
    )
