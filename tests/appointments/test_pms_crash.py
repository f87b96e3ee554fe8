"""A worker killed mid-page (SIGKILL) loses nothing: the next run resumes from the cursor, no duplicates."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from router.core.models import Appointment, Patient, PmsConnection, PmsSyncRun

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
APPOINTMENTS = 150
HELD_AT = 60
"""The appointment whose patient the worker must fetch mid-page (page size 100): where it is killed."""
WORKER_WAIT_SECONDS = 120
"""A guard against a hang, not a timing assertion: the worker reaches the hold in a few seconds."""


def just_after(instant: str) -> str:
    return (datetime.fromisoformat(instant) + timedelta(microseconds=1)).isoformat()


async def run_finished(domain) -> None:
    while True:
        async with domain.sessionmaker() as session:
            statuses = (await session.scalars(select(PmsSyncRun.status))).all()
        if "done" in statuses or "failed" in statuses:
            return
        await asyncio.sleep(0.2)


def start_worker(*, burst: bool = True) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from leadrouter.cli import main; main()",
            "worker",
            *(["--burst"] if burst else []),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def enqueue_sync(runtime, practice_id) -> None:
    await runtime.redis.enqueue_job(
        "sync_pms_practice", str(practice_id), _queue_name=runtime.settings.redis.queue_name
    )


async def test_a_worker_killed_mid_page_resumes_without_duplicates(domain, runtime, connected):
    server = connected.server
    early = server.change({"resourceType": "Patient", "name": [{"family": "Early", "given": ["Pat"]}]})
    async with domain.sessionmaker() as session, session.begin():
        # The practice was connected after `early` was last changed: the Patient pass starts past it.
        await session.execute(
            update(PmsConnection)
            .where(PmsConnection.practice_id == connected.practice_id)
            .values(cursor={"Patient": just_after(early["meta"]["lastUpdated"])})
        )
    patients = [
        server.change({"resourceType": "Patient", "name": [{"family": f"Family{n}", "given": ["Pat"]}]})
        for n in range(10)
    ]
    for n in range(APPOINTMENTS):
        patient = early if n == HELD_AT else patients[n % 10]
        server.change(
            {
                "resourceType": "Appointment",
                "status": "booked",
                "start": f"2031-02-{n % 28 + 1:02d}T{n % 8 + 14}:00:00+00:00",
                "participant": [
                    {"actor": {"reference": f"Patient/{patient['id']}"}, "status": "accepted"},
                    {"actor": {"reference": "Location/loc-downtown"}, "status": "accepted"},
                ],
            }
        )
    hold = server.hold(lambda method, path: path == f"/fhir/Patient/{early['id']}")

    await enqueue_sync(runtime, connected.practice_id)
    worker = start_worker()
    try:
        await asyncio.wait_for(hold.reached.wait(), WORKER_WAIT_SECONDS)
        worker.send_signal(signal.SIGKILL)
        await asyncio.to_thread(worker.wait, 30)
    finally:
        if worker.poll() is None:
            worker.kill()
    server.holds.remove(hold)
    hold.release.set()

    async with domain.sessionmaker() as session:
        stored_before = await session.scalar(select(func.count()).select_from(Appointment))
        (killed,) = (await session.scalars(select(PmsSyncRun))).all()
    assert stored_before == HELD_AT, "the appointments before the kill were kept, one commit each"
    assert killed.status == "running" and killed.finished_at is None

    # The killed job stays in the queue, marked in progress until its timeout lapses (arq then runs it
    # again): a burst worker would wait for it. A restarted worker runs a new sync job meanwhile.
    await enqueue_sync(runtime, connected.practice_id)
    again = start_worker(burst=False)
    try:
        await asyncio.wait_for(run_finished(domain), WORKER_WAIT_SECONDS)
    finally:
        again.terminate()
        await asyncio.to_thread(again.wait, 30)

    async with domain.sessionmaker() as session:
        stored = await session.scalar(select(func.count()).select_from(Appointment))
        distinct = await session.scalar(select(func.count(func.distinct(Appointment.pms_id))))
        patient_rows = await session.scalar(select(func.count()).select_from(Patient))
        runs = (await session.scalars(select(PmsSyncRun).order_by(PmsSyncRun.started_at))).all()
    assert stored == distinct == APPOINTMENTS
    assert patient_rows == 11
    assert [r.status for r in runs] == ["stopped", "done"]
    assert runs[1].changed == APPOINTMENTS - HELD_AT + 1  # the rest, and the patient fetched mid-page
