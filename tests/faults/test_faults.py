"""Fault injection against real processes: servers restarted and killed, processes killed, racing
requests. After each: nothing answered 2xx is lost, retries with the same webhook ids create exactly
what is missing, boards resumed from their last id have every new lead once and in order, overdue
leads escalate exactly once, the audit chain verifies; and the fault must have landed in its window."""

from __future__ import annotations

import pytest

from tests.faults import outages, scenarios, sends

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.slow]


def _clean(outcome):
    assert outcome.problems == [], outcome
    assert outcome.lost == 0 and outcome.duplicates == 0, outcome
    return outcome


async def test_postgresql_restart_under_load(world):
    _clean(await scenarios.postgres_restart(world))


async def test_redis_killed_and_restarted_under_load(world):
    _clean(await scenarios.redis_kill(world))


async def test_worker_killed_mid_sweep(world):
    _clean(await scenarios.worker_kill_mid_sweep(world))


async def test_web_killed_under_load(world):
    _clean(await scenarios.web_kill(world))


async def test_50_identical_deliveries(world):
    _clean(await scenarios.identical_deliveries(world))


async def test_50_racing_claims(world):
    _clean(await scenarios.racing_claims(world))


async def test_20_simultaneous_double_submits(world):
    _clean(await scenarios.double_submits(world))


async def test_racing_merges_and_household_leads(world):
    _clean(await scenarios.racing_merges(world))


async def test_postgresql_down_20_seconds_under_load(world):
    _clean(await outages.postgres_outage(world))


async def test_postgresql_read_only_under_load(world):
    _clean(await outages.postgres_read_only(world))


async def test_board_connections_cut_mid_stream(world):
    _clean(await outages.websocket_cuts(world))


@pytest.mark.xfail(
    strict=False,
    reason="open defect (issue 13): about one run in four sends one patient text twice after the worker "
    "is killed mid-send; the scenario still runs and reports XPASS when it holds",
)
async def test_worker_killed_mid_send(world):
    _clean(await sends.worker_kill_mid_send(world))
