"""Benchmark: the nurture scheduler tick among 100,000 enrolled leads, and the send throughput.

Run: `.venv/bin/python bench/nurture_bench.py [--leads N] [--due N]`.

1. A private database (bench/harness.py) with one practice, its ready-made wording approved and two
   sequences switched on (orthodontics: an email first; emergencies: a text first). N leads are
   enrolled directly (COPY), of which `--due` have their next step due now; the rest are due over the
   next weeks, as in a practice with months of enquiries.
2. The tick's query (due enrolments through `ix_nurture_enrolments_due`): its plan and its time.
3. The tick itself: every due step composed (wording rendered, PHI sealed) and queued.
4. Sending: every queued email to a local SMTP server (aiosmtpd), every queued text to the local
   Twilio-format server, one after another as one worker does, in messages per second.

Uses DATABASE_URL / REDIS_URL when set, else the local default servers, else embedded ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import private_services

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from connectors.twilio.config import TwilioConfig
from connectors.twilio.fake import FakeTwilio
from connectors.twilio.gateway import TwilioPhoneGateway
from router.core.phi_columns import LEAD_EMAIL, LEAD_FIRST_NAME, LEAD_PHONE

ACCOUNT, TOKEN = "AC" + "0" * 31 + "9", "bench-token-0123456789abcdef012345"


async def _setup(domain, dsn: str, leads: int, due: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    import asyncpg
    from sqlalchemy import select, update

    from router.core.models import (
        Location,
        NurtureSequence,
        NurtureSequenceVersion,
        NurtureSettings,
        NurtureTemplate,
        NurtureTemplateVersion,
        Practice,
        PracticePhoneSettings,
    )
    from router.nurture.starter import install_starter

    now = domain.clock.now()
    practice_id, location_id = uuid.uuid4(), uuid.uuid4()
    async with domain.sessionmaker() as session, session.begin():
        session.add(Practice(id=practice_id, slug="bench", name="Bench Dental", time_zone="UTC", settings={}))
        await session.flush()
        session.add(
            Location(
                id=location_id,
                practice_id=practice_id,
                slug="main",
                name="Main Office",
                time_zone="UTC",
                zip=None,
                phone="+15125550100",
                business_hours={},
            )
        )
        session.add(
            PracticePhoneSettings(practice_id=practice_id, practice_number="+15125550101", updated_at=now)
        )
        session.add(
            NurtureSettings(
                practice_id=practice_id,
                sender_name="Bench Dental",
                sender_email="hi@bench.example",
                scheduling_url="https://bench.example/book",
                emails_per_hour=100_000,
                texts_per_hour=100_000,
                updated_at=now,
            )
        )
        await install_starter(session, practice_id, now)
        await session.flush()
        for template in await session.scalars(select(NurtureTemplate)):
            version = await session.scalar(
                select(NurtureTemplateVersion).where(NurtureTemplateVersion.template_id == template.id)
            )
            version.status, template.approved_version_id = "approved", version.id
        await session.execute(
            update(NurtureSequence)
            .where(NurtureSequence.treatment.in_(("orthodontics", "emergency")))
            .values(active=True)
        )
        versions = dict(
            (
                await session.execute(
                    select(NurtureSequence.treatment, NurtureSequenceVersion.id).join(
                        NurtureSequenceVersion, NurtureSequenceVersion.sequence_id == NurtureSequence.id
                    )
                )
            ).all()
        )
    lead_rows, enrolment_rows, consent_rows = [], [], []
    for n in range(leads):
        lead_id = uuid.uuid4()
        treatment = "emergency" if n % 2 else "orthodontics"
        sealed = (None, None, None, None, None)
        if n < due:  # only the due leads are read; sealing 100,000 names would time the set-up
            phone, email = f"+1512{5550000 + n:07d}", f"lead{n}@example.com"
            sealed = (
                domain.cipher.seal(f"Pat{n}", column=LEAD_FIRST_NAME, row_id=lead_id),
                domain.cipher.seal(phone, column=LEAD_PHONE, row_id=lead_id),
                domain.cipher.seal(email, column=LEAD_EMAIL, row_id=lead_id),
                domain.blind_index.digest(phone, kind="phone"),
                domain.blind_index.digest(email, kind="email"),
            )
            consent_rows.append((uuid.uuid4(), practice_id, lead_id, sealed[3], "sms", True, now, "form"))
        lead_rows.append(
            (
                lead_id,
                practice_id,
                location_id,
                *sealed,
                treatment,
                "form",
                "google_ads",
                "open",
                "lead",
                "[]",
                False,
                now,
                0,
                False,
                now,
                1,
            )
        )
        next_due = now - timedelta(minutes=1) if n < due else now + timedelta(minutes=10 + n % 40_000)
        enrolment_rows.append(
            (uuid.uuid4(), practice_id, lead_id, versions[treatment], "en", 0, "active", next_due, now)
        )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "leads",
            records=lead_rows,
            columns=[
                "id",
                "practice_id",
                "location_id",
                "first_name_enc",
                "phone_enc",
                "email_enc",
                "phone_index",
                "email_index",
                "treatment_interest",
                "source_kind",
                "source_channel",
                "status",
                "stage",
                "score_reasons",
                "score_pooled",
                "received_at",
                "escalation_level",
                "overflow",
                "last_activity_at",
                "touch_count",
            ],
        )
        await connection.copy_records_to_table(
            "consent_records",
            records=consent_rows,
            columns=[
                "id",
                "practice_id",
                "lead_id",
                "phone_index",
                "channel",
                "granted",
                "captured_at",
                "source",
            ],
        )
        await connection.copy_records_to_table(
            "nurture_enrolments",
            records=enrolment_rows,
            columns=[
                "id",
                "practice_id",
                "lead_id",
                "sequence_version_id",
                "language",
                "step_index",
                "status",
                "next_due_at",
                "enrolled_at",
            ],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return {"practice_id": str(practice_id)}


async def _query_times(domain, repeats: int = 7) -> tuple[list[float], str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from router.nurture.engine import TICK_BATCH, due_enrolments_query

    compiled = due_enrolments_query(domain.clock.now(), TICK_BATCH).compile(
        dialect=domain.sessionmaker.kw["bind"].dialect, compile_kwargs={"literal_binds": True}
    )
    times = []
    async with domain.sessionmaker() as session:
        plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    for _ in range(repeats):
        async with domain.sessionmaker() as session, session.begin():
            started = time.perf_counter()
            await session.execute(text(str(compiled)))
            times.append(time.perf_counter() - started)
    return times, plan


async def _bench(leads: int, due: int) -> dict[str, object]:
    from aiosmtpd.controller import Controller

    from leadrouter.runtime import build_runtime
    from router.core.settings import Settings
    from router.nurture.engine import run_due_steps
    from router.nurture.outbox import send_due_messages

    runtime = build_runtime(Settings())
    domain = runtime.domain
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.mail_from)
            return "250 OK"

    from tests.fixtures.live import free_port

    smtp_port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    twilio = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    try:
        domain.patient_email = SmtpEmailSender(
            SmtpConfig(
                host="127.0.0.1",
                port=smtp_port,
                from_address="x@bench.example",
                starttls=False,
            )
        )
        domain.phones = TwilioPhoneGateway(
            TwilioConfig(ACCOUNT, TOKEN, twilio.base_url, "https://bench.example")
        )
        services_dsn = Settings().database.url.replace("postgresql+asyncpg", "postgresql")
        started = time.perf_counter()
        await _setup(domain, services_dsn, leads, due)
        setup_s = time.perf_counter() - started
        times, plan = await _query_times(domain)
        started, steps = time.perf_counter(), 0
        while True:
            report = await run_due_steps(domain)
            steps += report.steps
            if report.steps == 0:
                break
        tick_s = time.perf_counter() - started
        started = time.perf_counter()
        sent = 0
        while True:
            batch = await send_due_messages(domain, limit=500)
            sent += batch["sent"]
            if batch["due"] == 0:
                break
        send_s = time.perf_counter() - started
    finally:
        await twilio.stop()
        smtp.stop()
        await runtime.close()
    return {
        "leads_enrolled": leads,
        "due": due,
        "setup_seconds": round(setup_s, 1),
        "due_query_ms_median": round(statistics.median(times) * 1000, 2),
        "due_query_uses_index": "ix_nurture_enrolments_due" in plan,
        "tick_steps": steps,
        "tick_seconds": round(tick_s, 2),
        "steps_per_second": round(steps / tick_s, 1) if tick_s else None,
        "sent": sent,
        "emails_received": len(received),
        "texts_received": len(twilio.made("Messages")),
        "send_seconds": round(send_s, 2),
        "messages_per_second": round(sent / send_s, 1) if send_s else None,
    }


@click.command()
@click.option("--leads", default=100_000, show_default=True, help="Enrolled leads.")
@click.option("--due", default=1_000, show_default=True, help="Of which due now.")
def main(leads: int, due: int) -> None:
    with contextlib.ExitStack() as stack:
        private_services(stack)
        result = asyncio.run(_bench(leads, due))
    click.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
