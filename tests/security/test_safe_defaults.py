"""Safe defaults: the web and worker processes refuse the published development secrets in production."""

from __future__ import annotations

import base64
import os

import pytest
from click import ClickException
from click.testing import CliRunner

from leadrouter.cli import cli
from leadrouter.commands import refuse_development_secrets
from router.core.settings import DEV_PHI_KEYS, SecuritySettings

pytestmark = pytest.mark.unit

REAL = {
    "LEADROUTER_PHI_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    "LEADROUTER_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    "LEADROUTER_CSRF_SECRET": base64.b64encode(os.urandom(32)).decode(),
    "LEADROUTER_AUDIT_KEY": base64.b64encode(os.urandom(32)).decode(),
}


def start(command: str, env: dict[str, str | None]):  # type: ignore[no-untyped-def]
    base = {"DATABASE_URL": "postgresql+asyncpg://x@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1"}
    return CliRunner().invoke(cli, [command], env={**base, **env})


@pytest.mark.parametrize("command", ["web", "worker"])
@pytest.mark.parametrize("missing", sorted(REAL))
def test_web_and_worker_refuse_each_development_secret(command, missing):
    env: dict[str, str | None] = {**REAL, missing: None, "LEADROUTER_DEV": None}
    result = start(command, env)
    assert result.exit_code == 1
    assert "refusing to start" in result.output and missing in result.output


def test_a_development_key_kept_for_decryption_still_counts():
    env = {**REAL, "LEADROUTER_PHI_KEYS": REAL["LEADROUTER_PHI_KEYS"] + "," + DEV_PHI_KEYS}
    old = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        assert SecuritySettings().development_secrets() == ["LEADROUTER_PHI_KEYS"]
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_real_secrets_are_not_development_ones():
    old = {name: os.environ.get(name) for name in REAL}
    os.environ.update(REAL)
    try:
        assert SecuritySettings().development_secrets() == []
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_dev_mode_lets_the_processes_past_the_check(monkeypatch):
    for name in REAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEADROUTER_DEV", "1")
    refuse_development_secrets("the worker")  # no exception
    monkeypatch.setenv("LEADROUTER_DEV", "0")
    with pytest.raises(ClickException, match="LEADROUTER_PHI_KEYS"):
        refuse_development_secrets("the worker")
