"""The worker's schedule: every task function and periodic job, with why each runs when it does.

Task functions live with the rules they apply (escalation, texts, alerts...); their cadences live
here, in one place, so the worker's whole rhythm can be read and tuned at once.
"""

from __future__ import annotations

from typing import Any

from arq.cron import cron
from arq.worker import func

from router.appointments.drop_folder import import_drop_folders_task
from router.appointments.pms_booking import retry_pms_bookings_task
from router.appointments.sync import sync_pms_task, sync_practice_task
from router.board.presence import mark_absent_staff_away
from router.core.domain import Domain
from router.funnel.findings import nightly_reconciliation
from router.leads.alerts import resend_pending_alerts_task
from router.leads.call_backs import surface_due_call_backs_task
from router.leads.claim_timeouts import release_stale_claims
from router.leads.escalation import escalate_lead_task, sweep_overdue_task
from router.leads.retention import purge_expired_phi
from router.marketing.attribution_runs import nightly_attribution, run_attribution
from router.matching.queue import match_leads_task
from router.matching.values import refresh_patient_values_task
from router.nurture.call_escalation import escalate_overdue_call_tasks_task
from router.nurture.outbox import nurture_send_task
from router.nurture.worker import nurture_recover_task, nurture_tick_task
from router.ops.marks import AUDIT_SEAL, ESCALATION_SWEEP, marked, worker_heartbeat
from router.phones.texts import send_deferred_text_task, send_due_texts_task
from router.privacy import audit
from router.privacy.audit_chain import HeadSink, export_head
from router.referrals.outcomes import monthly_summaries_task, outcome_reports_task
from router.referrals.patient_thanks import patient_referrals_task
from router.reminders.planning import plan_reminders_task
from router.reviews.requests import review_requests_task
from router.scores.explanations import fill_missing_reasons
from router.scores.pooled_calibration import recalibrate_pooled_models

AUDIT_SEAL_SECONDS = {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}
"""The sealer runs every 5 s: the chain trails intake by seconds, and each run is one small query."""
ESCALATION_SWEEP_SECONDS = {0, 30}
"""Twice a minute: a lost escalation job fires at most 30 s late, against a 5-minute SLA."""
ALERT_SWEEP_SECONDS = {15, 45}
"""Twice a minute, between the escalation sweeps: a dead sender's alert goes out at most 30 s after
its lease lapses, at one indexed query per sweep."""
CLAIM_SWEEP_SECONDS = {0, 15, 30, 45}
"""Every 15 s: timeouts are minutes long, so a claim returns at most 15 s late, at one small query a run."""
CALL_BACK_SECONDS = {5, 20, 35, 50}
"""Every 15 s: a call-back an agent promised for 10:30 is back in front of people by 10:30:15, at one
indexed query (pending tasks by due time) a run."""
PRESENCE_SWEEP_SECONDS = {0, 30}
"""Twice a minute: someone who left is skipped by assignment at most 30 s after the 3 minutes."""
REASONS_SWEEP_SECONDS = {30}
"""Once a minute: a lead stored while a model was being swapped gets its reasons within a minute."""
DUE_TEXTS_SECONDS = {30}
"""Once a minute: a lost job's text goes out at most a minute late, and the query is one index scan."""
NURTURE_TICK_SECONDS = {0, 20, 40}
"""Every 20 s: the first follow-up must go within 5 minutes of the inquiry; a tick is one index scan."""
REMINDER_PLAN_SECONDS = {5, 25, 45}
"""Every 20 s: a booking's confirmation goes within a minute; a plan is one partial-index scan."""
CALL_TASK_ESCALATION_MINUTES = set(range(0, 60, 5))
"""Every 5 minutes: the limit is hours long, so an overdue follow-up call alerts at most 5 minutes late."""
NURTURE_RECOVERY_SECONDS = {10}
"""Once a minute: a message left half-sent by a dead worker is settled at most ~3 minutes later
(outbox.STALLED_AFTER is 2 minutes), and lost send jobs are picked up."""
RECALIBRATION_HOUR_UTC = 3
"""Late evening to night in US time zones, after the day's outcomes are in, before the nightly attribution."""
RECALIBRATION_TIMEOUT_SECONDS = 1200
"""Refitting a calibration per practice is seconds each; twenty minutes covers hundreds of practices."""
AUDIT_HEAD_EXPORT_SECONDS = {3}
"""Once a minute, just after a seal: deleting the newest rows goes unnoticed for at most a minute's
worth, at one small query and one appended line a minute (about 1,440 lines a day)."""
RETENTION_HOUR_UTC = 9
"""03:00-04:00 in US time zones: after the nightly attribution run, before any practice opens."""
RETENTION_TIMEOUT_SECONDS = 1800
"""Purging is a few updates per batch of 200 leads; half an hour covers a backlog after an outage."""
MATCHING_MINUTES = {7, 22, 37, 52}
"""Every 15 minutes: a patient synced from the PMS is linked to their lead within about a quarter
hour; a run is seconds of scoring per practice (in a thread, off the event loop) and never overlaps
the next (unique)."""
MATCHING_TIMEOUT_SECONDS = 600
PATIENT_VALUES_HOUR_UTC = 8
"""At 08:00 UTC, a quarter hour before the nightly attribution run reads the values."""
RECONCILIATION_HOUR_UTC = 8
"""02:45-03:45 in US Central time: after the evening's PMS sync and attribution, before opening, so
managers find the night's findings on the funnel page in the morning."""
RECONCILIATION_TIMEOUT_SECONDS = 1800
"""A check reads a year of one practice's leads with a handful of indexed queries; half an hour
covers hundreds of practices."""
HEARTBEAT_SECONDS = {0, 15, 30, 45}
"""Every 15 s: the status page turns amber after three missed beats (45 s), soon enough to act on
before the 5-minute SLA, at one small upsert per beat."""
OUTCOME_REPORT_SECONDS = {20}
"""Once a minute: a referrer hears within a minute that their patient was seen, at one indexed query."""
MONTHLY_SUMMARY_HOUR_UTC = 14
"""08:00-09:00 in US time zones on the first of the month: in the referring offices' morning mail."""
PMS_SYNC_MINUTES = set(range(0, 60, 5))
"""Every 5 minutes: a cancellation or a no-show reaches its lead within minutes, at one small
`_lastUpdated` search per practice and resource when nothing changed (a failing PMS backs off itself)."""
PMS_SYNC_TIMEOUT_SECONDS = 1200
"""A backlog (a first sync, after an outage) is bounded per run; 20 minutes covers it, the rest continues."""
PMS_DROP_MINUTES = {7, 22, 37, 52}
"""Every 15 minutes, off the sync's minutes: a nightly export dropped by SFTP is in before the morning."""
PMS_RETRY_SECONDS = {40}
"""Once a minute: a booking left "pending in PMS" is written within a minute of its back-off ending."""
PATIENT_MESSAGES_SECONDS = {50}
"""Once a minute: a visit the PMS sync (every 5 minutes) reports completed gets its review request
and the referrer's thank-you within a minute, at a few indexed queries a run."""
NIGHTLY_ATTRIBUTION_HOUR_UTC = 8
"""02:15-03:15 in US Central time: after the day's leads and the evening's PMS sync, before opening."""


async def seal_audit_log(ctx: dict[str, Any]) -> dict[str, int]:
    """Chain the audit rows committed since the last run."""
    domain: Domain = ctx["domain"]
    sealed = 0
    key = audit.chain_key(domain.settings.security.audit_key)
    while True:
        batch = await audit.seal_pending(domain.sessionmaker, key=key)
        sealed += batch
        if batch == 0:
            return {"sealed": sealed}


async def export_audit_head(ctx: dict[str, Any]) -> dict[str, Any]:
    """Append the audit chain's head to the sink outside the database, when it has moved."""
    domain: Domain = ctx["domain"]
    security = domain.settings.security
    sink = ctx.setdefault("audit_head_sink", HeadSink(security.audit_head_file, security.audit_head_syslog))
    head = await export_head(domain.sessionmaker, sink)
    return {"exported_seq": head.seq if head else None}


async def purge_expired_phi_task(ctx: dict[str, Any]) -> dict[str, int]:
    """Remove the PHI of closed leads past their practice's retention period."""
    report = await purge_expired_phi(ctx["domain"])
    return {"purged": report.total}


WORKER_FUNCTIONS: list[Any] = [
    func(escalate_lead_task, name="escalate_lead"),
    func(send_deferred_text_task, name="send_deferred_text"),
    func(nurture_send_task, name="nurture_send"),
    run_attribution,
    func(sync_practice_task, name="sync_pms_practice", timeout=PMS_SYNC_TIMEOUT_SECONDS),
]
"""Jobs the domain enqueues by name (router.core.jobs.ArqJobScheduler)."""

CRON_JOBS: list[Any] = [
    cron(worker_heartbeat, second=HEARTBEAT_SECONDS, run_at_startup=True, unique=True),
    cron(marked(AUDIT_SEAL, seal_audit_log), second=AUDIT_SEAL_SECONDS, run_at_startup=True, unique=True),
    cron(export_audit_head, second=AUDIT_HEAD_EXPORT_SECONDS, unique=True),
    cron(
        marked(ESCALATION_SWEEP, sweep_overdue_task),
        second=ESCALATION_SWEEP_SECONDS,
        run_at_startup=True,
        unique=True,
    ),
    cron(resend_pending_alerts_task, second=ALERT_SWEEP_SECONDS, run_at_startup=True, unique=True),
    cron(release_stale_claims, second=CLAIM_SWEEP_SECONDS, run_at_startup=True, unique=True),
    cron(mark_absent_staff_away, second=PRESENCE_SWEEP_SECONDS, unique=True),
    cron(surface_due_call_backs_task, second=CALL_BACK_SECONDS, run_at_startup=True, unique=True),
    cron(fill_missing_reasons, second=REASONS_SWEEP_SECONDS, unique=True),
    cron(send_due_texts_task, second=DUE_TEXTS_SECONDS, run_at_startup=True, unique=True),
    cron(
        sync_pms_task,
        minute=PMS_SYNC_MINUTES,
        second={20},
        unique=True,
        timeout=PMS_SYNC_TIMEOUT_SECONDS,
    ),
    cron(retry_pms_bookings_task, second=PMS_RETRY_SECONDS, unique=True),
    cron(
        import_drop_folders_task,
        minute=PMS_DROP_MINUTES,
        second={10},
        unique=True,
        timeout=PMS_SYNC_TIMEOUT_SECONDS,
    ),
    cron(nurture_tick_task, second=NURTURE_TICK_SECONDS, run_at_startup=True, unique=True),
    cron(nurture_recover_task, second=NURTURE_RECOVERY_SECONDS, run_at_startup=True, unique=True),
    cron(plan_reminders_task, second=REMINDER_PLAN_SECONDS, run_at_startup=True, unique=True),
    cron(escalate_overdue_call_tasks_task, minute=CALL_TASK_ESCALATION_MINUTES, second={25}, unique=True),
    cron(nightly_attribution, hour={NIGHTLY_ATTRIBUTION_HOUR_UTC}, minute={15}, unique=True),
    cron(outcome_reports_task, second=OUTCOME_REPORT_SECONDS, unique=True),
    cron(review_requests_task, second=PATIENT_MESSAGES_SECONDS, unique=True),
    cron(patient_referrals_task, second=PATIENT_MESSAGES_SECONDS, unique=True),
    cron(
        monthly_summaries_task, day={1}, hour={MONTHLY_SUMMARY_HOUR_UTC}, minute={0}, second={0}, unique=True
    ),
    cron(
        purge_expired_phi_task,
        hour={RETENTION_HOUR_UTC},
        minute={45},
        second={0},
        unique=True,
        timeout=RETENTION_TIMEOUT_SECONDS,
    ),
    cron(
        match_leads_task, minute=MATCHING_MINUTES, second={0}, unique=True, timeout=MATCHING_TIMEOUT_SECONDS
    ),
    cron(refresh_patient_values_task, hour={PATIENT_VALUES_HOUR_UTC}, minute={0}, second={0}, unique=True),
    cron(
        nightly_reconciliation,
        hour={RECONCILIATION_HOUR_UTC},
        minute={45},
        second={0},
        unique=True,
        timeout=RECONCILIATION_TIMEOUT_SECONDS,
    ),
    cron(
        recalibrate_pooled_models,
        hour={RECALIBRATION_HOUR_UTC},
        minute={30},
        second={0},
        unique=True,
        timeout=RECALIBRATION_TIMEOUT_SECONDS,
    ),
]
"""Periodic jobs: the heartbeat, the sweepers that catch lost jobs, the audit sealer, and nightly
attribution; the heartbeat, the escalation sweep and the sealer leave a mark for the status page."""
