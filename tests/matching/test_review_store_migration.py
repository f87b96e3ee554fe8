"""Migration 0024 folds the second review store into the first: pairs the matches table held as
"review" or "rejected" move to match_reviews, and the matches table keeps links only."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from router.core.db import downgrade, upgrade

pytestmark = pytest.mark.integration

LEAD = (
    "INSERT INTO leads (id, practice_id, source_kind, source_channel, status, stage, score_reasons,"
    " score_pooled, received_at, escalation_level, overflow, last_activity_at, touch_count)"
    " VALUES ($1, $2, 'form', 'direct', 'open', 'lead', '[]', false, now(), 0, false, now(), 1)"
)
PATIENT = (
    "INSERT INTO patients (id, practice_id, pms_id, source, created_at, updated_at)"
    " VALUES ($1, $2, $3, 'fhir', now(), now())"
)
MATCH = (
    "INSERT INTO lead_patient_matches (id, practice_id, lead_id, patient_id, method, score, status,"
    " created_at) VALUES ($1, $2, $3, $4, 'probabilistic', $5, $6, now())"
)


def test_waiting_and_rejected_pairs_move_to_the_one_queue(service_urls):
    database_url, _ = service_urls
    name = f"lr_migrations_{secrets.token_hex(4)}"
    admin = make_url(database_url).set(drivername="postgresql", database="postgres").render_as_string(False)
    target = make_url(database_url).set(database=name).render_as_string(False)
    dsn = make_url(target).set(drivername="postgresql").render_as_string(False)
    practice = uuid.uuid4()
    leads = [uuid.uuid4() for _ in range(3)]
    patients = [uuid.uuid4() for _ in range(2)]

    async def run(sql: str, *args, fetch: bool = False, url: str = dsn):  # type: ignore[no-untyped-def]
        connection = await asyncpg.connect(url)
        try:
            return await (connection.fetch if fetch else connection.execute)(sql, *args)
        finally:
            await connection.close()

    async def seed() -> None:
        await run(
            "INSERT INTO practices (id, slug, name, time_zone, settings) VALUES ($1, 'p', 'P', 'UTC', '{}')",
            practice,
        )
        for lead in leads:
            await run(LEAD, lead, practice)
        for number, patient in enumerate(patients):
            await run(PATIENT, patient, practice, f"P-{number}")
        await run(MATCH, uuid.uuid4(), practice, leads[0], patients[0], 0.995, "linked")
        await run(MATCH, uuid.uuid4(), practice, leads[1], patients[0], 0.7, "review")
        await run(MATCH, uuid.uuid4(), practice, leads[2], patients[1], 0.6, "rejected")
        # Already queued in match_reviews too: kept once, as it was; a manager's rejection wins.
        await run(MATCH, uuid.uuid4(), practice, leads[2], patients[0], 0.55, "review")
        await run(MATCH, uuid.uuid4(), practice, leads[1], patients[1], 0.52, "rejected")
        for lead, patient in ((leads[2], patients[0]), (leads[1], patients[1])):
            await run(
                "INSERT INTO match_reviews (id, practice_id, lead_id, patient_id, probability, agreement,"
                " status, created_at) VALUES ($1, $2, $3, $4, 0.55, '{\"phone\": 1}', 'pending', now())",
                uuid.uuid4(),
                practice,
                lead,
                patient,
            )

    asyncio.run(run(f'CREATE DATABASE "{name}"', url=admin))
    try:
        upgrade(target, "0020_message_purposes")
        asyncio.run(seed())
        upgrade(target, "0024_pms_more")
        queue = asyncio.run(
            run("SELECT lead_id, patient_id, probability, status, agreement FROM match_reviews", fetch=True)
        )
        assert sorted(
            (r["lead_id"], r["patient_id"], r["probability"], r["status"]) for r in queue
        ) == sorted(
            [
                (leads[1], patients[0], 0.7, "pending"),
                (leads[2], patients[1], 0.6, "rejected"),
                (leads[2], patients[0], 0.55, "pending"),
                (leads[1], patients[1], 0.55, "rejected"),
            ]
        )
        assert {
            r["agreement"] for r in queue if r["lead_id"] == leads[2] and r["patient_id"] == patients[0]
        } == {'{"phone": 1}'}
        links = asyncio.run(run("SELECT * FROM lead_patient_matches", fetch=True))
        assert [(r["lead_id"], r["patient_id"]) for r in links] == [(leads[0], patients[0])]
        assert "status" not in dict(links[0])
        downgrade(target, "0020_message_purposes")
        [back] = asyncio.run(run("SELECT status FROM lead_patient_matches", fetch=True))
        assert back["status"] == "linked"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', url=admin))
