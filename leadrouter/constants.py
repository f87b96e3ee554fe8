"""Timings of the processes the `leadrouter` command runs, each with the reason for its value."""

from __future__ import annotations

WORKER_REDIS_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Pauses between the worker's attempts to reach Redis during an outage: quick for a blip or a
restart (seconds), then one attempt per 5 s, so a Redis that comes back after a long outage is
working again within 5 s, and overdue escalations are caught up by the sweep that runs at once."""

CHILD_RESTART_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Pauses before `leadrouter run` starts a child (web, worker) that died again: a crash from a
passing fault restarts within a second; one that keeps crashing (a bad setting) is retried every
30 s rather than in a tight loop that floods the log."""

CHILD_STABLE_SECONDS = 60.0
"""A child that ran this long before dying counts as having recovered: its next restart is quick
again. Start-up takes a few seconds, so a minute separates "crashed once" from "crashes at start"."""

CHILD_WATCH_SECONDS = 0.5
"""How often `leadrouter run` looks at its children: a dead worker is noticed within half a second."""

CHILD_STOP_SECONDS = 10.0
"""How long a child gets to stop after SIGTERM before it is killed: the worker finishes its current
jobs (escalations take milliseconds) and the web process closes its boards within 5 s."""
