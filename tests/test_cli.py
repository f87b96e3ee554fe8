"""The `leadrouter` administration commands against the real database."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadrouter.cli import cli
from router.core.models import FormSource, Location, Practice, StaffLocation, StaffUser

pytestmark = pytest.mark.integration


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_subcommand_has_help():
    output = invoke("--help")
    for name in (
        "run",
        "web",
        "worker",
        "migrate",
        "simulate",
        "attribution",
        "practice",
        "user",
        "keys",
        "audit",
    ):
        assert name in output
        assert "Usage" in invoke(*name.split(), "--help")


async def test_practice_location_user_and_form_source(domain):
    hours = json.dumps({"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})
    await asyncio.to_thread(
        invoke,
        "practice",
        "create",
        "acme",
        "--name",
        "Acme Dental",
        "--time-zone",
        "America/Chicago",
        "--settings",
        '{"sla_minutes": 10}',
    )
    await asyncio.to_thread(
        invoke,
        "location",
        "create",
        "acme",
        "north",
        "--name",
        "North",
        "--zip",
        "78664",
        "--hours",
        hours,
        "--holiday",
        "2026-12-25",
    )
    await asyncio.to_thread(
        invoke,
        "user",
        "create",
        "desk@acme.example",
        "--name",
        "Desk",
        "--role",
        "front_desk",
        "--practice",
        "acme",
        "--password",
        "long-enough-password",
    )
    output = await asyncio.to_thread(invoke, "form-source", "create", "acme", "acme-web", "--name", "Website")
    assert "whsec_" in output and "/webhooks/forms/acme-web" in output
    rotated = await asyncio.to_thread(invoke, "form-source", "rotate-secret", "acme-web")
    assert "whsec_" in rotated
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == "acme"))
        location = await session.scalar(select(Location).where(Location.practice_id == practice.id))
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "desk@acme.example"))
        links = (
            await session.scalars(select(StaffLocation.location_id).where(StaffLocation.user_id == user.id))
        ).all()
        source = await session.scalar(select(FormSource).where(FormSource.key == "acme-web"))
    assert practice.settings["sla_minutes"] == 10
    assert (location.latitude is not None, location.holidays, location.business_hours["mon"][1]) == (
        True,
        ["2026-12-25"],
        ["13:00", "17:00"],
    )
    assert list(links) == [location.id] and user.password_hash.startswith("$argon2id$")
    assert source.practice_id == practice.id


def test_bad_input_is_a_clear_error(domain):
    result = CliRunner().invoke(
        cli, ["practice", "create", "x", "--name", "X", "--time-zone", "Mars/Olympus"]
    )
    assert result.exit_code != 0
    result = CliRunner().invoke(
        cli, ["practice", "create", "x", "--name", "X", "--time-zone", "UTC", "--settings", '{"sla": 1}']
    )
    assert result.exit_code != 0 and "unknown practice settings: sla" in result.output


def test_keys_generate_prints_a_usable_entry():
    from router.core.crypto import FieldCipher

    entry = invoke("keys", "generate", "k9").strip()
    assert FieldCipher.from_config(entry).current_key_id == "k9"


async def test_adding_a_tracking_number_twice_is_a_one_line_error(domain):
    from tests.factories import make_practice

    practice = await make_practice(domain)
    args = [
        "tracking-number",
        "add",
        "--practice",
        practice.practice.slug,
        "--location",
        "downtown",
        "--number",
        "+15125550101",
        "--channel",
        "google_ads",
    ]
    await asyncio.to_thread(invoke, *args)
    again = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert again.exit_code == 1
    assert "Traceback" not in again.output and "IntegrityError" not in again.output
    [line] = again.output.strip().splitlines()
    assert line.startswith("Error: that already exists") and "+15125550101" in line


async def test_practice_settings_changes_only_what_is_given(domain):
    from tests.factories import make_practice

    practice = await make_practice(domain, settings={"sla_minutes": 7})
    slug = practice.practice.slug
    fallback = '{"alert_fallback_contact": {"phone": "+15125550100"}}'
    shown = json.loads(await asyncio.to_thread(invoke, "practice", "settings", slug, "--set", fallback))
    assert shown["alert_fallback_contact"] == {"phone": "+15125550100", "email": None}
    assert shown["sla_minutes"] == 7
    email = '{"alert_fallback_contact": {"email": "owner@bright.example"}}'
    shown = json.loads(await asyncio.to_thread(invoke, "practice", "settings", slug, "--set", email))
    assert shown["alert_fallback_contact"] == {"phone": "+15125550100", "email": "owner@bright.example"}

    refused = await asyncio.to_thread(
        CliRunner().invoke, cli, ["practice", "settings", slug, "--set", '{"manager_on_call": {"a@b": 1}}']
    )
    assert refused.exit_code == 1 and "manager_on_call" in refused.output


@pytest.mark.unit
def test_the_start_panel_names_one_login_per_role_and_the_password(capsys):
    from types import SimpleNamespace

    from leadrouter.demo import DEMO_PASSWORD
    from leadrouter.run_cli import _print_panel

    logins = [
        ("ana.front@brightsmile.example", "front_desk", "Bright Smile Dental"),
        ("ben.front@brightsmile.example", "front_desk", "Bright Smile Dental"),
        ("maya.manager@brightsmile.example", "manager", "Bright Smile Dental"),
        ("hana.agent@overflow.example", "overflow_agent", "Smile Overflow"),
    ]
    _print_panel("http://127.0.0.1:8000", SimpleNamespace(logins=logins), seconds=21.6)
    shown = capsys.readouterr().out
    assert "ready in 22 s" in shown and DEMO_PASSWORD in shown and "http://127.0.0.1:8000" in shown
    assert "ana.front@brightsmile.example" in shown and "ben.front@brightsmile.example" not in shown
    assert "maya.manager" in shown and "hana.agent" in shown
