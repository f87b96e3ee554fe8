"""FHIR subscriptions against the local FHIR server: the connector subscribes where the server's
CapabilityStatement offers it, the server's rest-hook notification queues an immediate sync of that
practice, a wrong token is refused, and a server without subscriptions is polled as before."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from router.appointments.subscriptions import POLLING_NOTE
from router.appointments.sync import sync_practice, sync_practice_task
from router.core.models import Patient, PmsConnection
from tests.escalation.support import freeze
from tests.fixtures.pms import connect_practice

pytestmark = pytest.mark.integration

ADA = {"resourceType": "Patient", "name": [{"family": "Okafor", "given": ["Ada"]}]}


async def _connection(domain, practice_id) -> PmsConnection:
    async with domain.sessionmaker() as session:
        return await session.get(PmsConnection, practice_id)


async def _patients(domain) -> int:
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Patient))


async def _queued_syncs(runtime, practice_id) -> list[str]:
    jobs = [job.decode() for job in await runtime.redis.zrange(runtime.settings.redis.queue_name, 0, -1)]
    return [job for job in jobs if job.startswith(f"pms-sync:{practice_id}:")]


def _posted(server, path: str) -> int:
    return sum(1 for method, target in server.requests if method == "POST" and target.startswith(path))


@pytest.fixture
def public_at(domain):
    """Point the product's public address (where subscriptions call back) somewhere for one test."""
    saved = domain.settings

    def point(url: str) -> None:
        domain.settings = dataclasses.replace(saved, intake=dataclasses.replace(saved.intake, public_url=url))

    yield point
    domain.settings = saved


async def test_the_pms_calls_back_and_its_practice_syncs_at_once(
    live_server, domain, runtime, fhir_server, public_at
):
    fhir_server.hooks.offered = True
    public_at(live_server.url)
    connected = await connect_practice(domain, fhir_server)
    practice_id = connected.practice_id
    await sync_practice(domain, practice_id)
    subscriptions = fhir_server.all("Subscription")
    endpoint = f"{live_server.url}/webhooks/pms/{practice_id}"
    assert sorted(s["criteria"] for s in subscriptions) == ["Appointment?", "Patient?"]
    assert {(s["status"], s["channel"]["type"], s["channel"]["endpoint"]) for s in subscriptions} == {
        ("active", "rest-hook", endpoint)
    }
    connection = await _connection(domain, practice_id)
    assert sorted(connection.subscription_ids) == sorted(s["id"] for s in subscriptions)
    token = subscriptions[0]["channel"]["header"][0].removeprefix("Authorization: Bearer ")
    assert token.encode() not in connection.notify_token_sha256  # only its hash is kept
    await sync_practice(domain, practice_id)
    assert _posted(fhir_server, "/fhir/Subscription") == 2  # subscribed once

    before = await _patients(domain)
    fhir_server.change(ADA)  # the front desk adds a patient in the PMS
    await fhir_server.hooks.settle()
    assert fhir_server.hooks.sent == [(endpoint, 202)]
    assert len(await _queued_syncs(runtime, practice_id)) == 1
    await sync_practice_task({"domain": domain}, str(practice_id))  # the worker runs the queued sync
    assert await _patients(domain) == before + 1


async def test_a_notification_needs_the_token_its_subscription_was_given(
    client, domain, runtime, fhir_server
):
    fhir_server.hooks.offered = True
    connected = await connect_practice(domain, fhir_server)
    await sync_practice(domain, connected.practice_id)
    [token] = {
        s["channel"]["header"][0].removeprefix("Authorization: Bearer ")
        for s in fhir_server.all("Subscription")
    }
    path = f"/webhooks/pms/{connected.practice_id}"
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": token}):
        refused = await client.post(path, headers=headers)
        assert refused.status_code == 401 and refused.headers["content-type"].startswith(
            "application/problem+json"
        )
    elsewhere = await client.post(
        f"/webhooks/pms/{connected.practice.locations['downtown'].id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert elsewhere.status_code == 401
    assert await _queued_syncs(runtime, connected.practice_id) == []
    taken = await client.post(path, headers={"Authorization": f"Bearer {token}"}, content=b"{}")
    assert taken.status_code == 202 and taken.json() == {"sync": "queued"}
    assert len(await _queued_syncs(runtime, connected.practice_id)) == 1


async def test_a_server_without_subscriptions_is_polled_and_asked_again_daily(domain, fhir_server):
    clock = freeze(domain, domain.clock.now())
    connected = await connect_practice(domain, fhir_server)
    fhir_server.change(ADA)
    await sync_practice(domain, connected.practice_id)
    connection = await _connection(domain, connected.practice_id)
    assert connection.subscription_ids == [] and connection.subscription_note == POLLING_NOTE
    assert _posted(fhir_server, "/fhir/Subscription") == 0 and await _patients(domain) == 1
    await sync_practice(domain, connected.practice_id)
    asked = [target for method, target in fhir_server.requests if target == "/fhir/metadata"]
    assert len(asked) == 1
    clock.advance(timedelta(days=1, minutes=1))
    fhir_server.hooks.offered = True  # the practice upgraded its PMS
    await sync_practice(domain, connected.practice_id)
    assert len((await _connection(domain, connected.practice_id)).subscription_ids) == 2
