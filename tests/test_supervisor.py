"""`leadrouter run` starts a child that died again, after a back-off that grows while it keeps dying."""

from __future__ import annotations

import logging
import sys

import pytest

from leadrouter.supervisor import Supervisor

pytestmark = pytest.mark.unit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def kill(process) -> None:
    process.kill()
    process.wait()


def test_a_killed_child_is_started_again_and_the_back_off_grows_then_resets(caplog):
    caplog.set_level(logging.WARNING, logger="leadrouter.supervisor")
    clock = Clock()
    supervisor = Supervisor(
        {"worker": SLEEPER, "web": SLEEPER}, restart_seconds=(1, 5), stable_seconds=60, clock=clock
    )
    supervisor.start()
    worker, web = supervisor.children["worker"], supervisor.children["web"]
    try:
        first = worker.process
        kill(first)
        supervisor.check()
        assert worker.process is first and "worker exited with status -9" in caplog.text
        clock.now = 1.0
        supervisor.check()
        second = worker.process
        assert second is not first and second.poll() is None

        kill(second)  # dies again at once: the next wait is longer
        supervisor.check()
        clock.now = 5.9
        supervisor.check()
        assert worker.process is second
        clock.now = 6.0
        supervisor.check()
        third = worker.process
        assert third is not second and third.poll() is None

        clock.now = 100.0  # up for a good while before dying: back to the quick restart
        kill(third)
        supervisor.check()
        clock.now = 101.0
        supervisor.check()
        assert worker.process is not third and worker.process.poll() is None
        assert worker.history == [-9, -9, -9]
        assert web.history == [] and web.process.poll() is None  # the other child is left alone
        assert caplog.text.count("worker started again") == 3
    finally:
        supervisor.stop(timeout=5)
    assert all(child.process.poll() is not None for child in supervisor.children.values())


def test_a_stopping_supervisor_restarts_nothing():
    clock = Clock()
    supervisor = Supervisor({"worker": SLEEPER}, restart_seconds=(0,), clock=clock)
    supervisor.start()
    supervisor.stop(timeout=5)
    process = supervisor.children["worker"].process
    supervisor.check()
    assert supervisor.children["worker"].process is process and process.poll() is not None
