"""Every timing and size limit of the live board's delivery, each with the reason for its value."""

from __future__ import annotations

from datetime import timedelta

HEARTBEAT_SECONDS = 15.0
"""Each board gets a heartbeat this often: well under the 60 s idle cut-off of common proxies and load
balancers (nginx `proxy_read_timeout`, AWS ALB), and it carries the hub's position so a quiet board
resumes from a recent id."""
CLIENT_SILENCE_SECONDS = 40.0
"""A board that hears nothing (not even a heartbeat) this long assumes a dead socket and reconnects:
two heartbeats and some slack for a busy tab's throttled timers."""
POLL_SECONDS = 2.0
"""The hub reads the event table this often even without a doorbell: Redis pub/sub may drop a message,
and a board should then lag by at most a couple of seconds, at one indexed query per hub."""
REDIS_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Pauses before resubscribing after Redis drops us: fast for a blip, capped so a Redis outage costs
one connection attempt per 5 s per hub (the poll keeps boards current meanwhile)."""
FETCH_BATCH = 500
"""Events one hub query reads; a burst larger than this is delivered over several queries in order."""
MAX_REPLAY_EVENTS = 1000
"""A reconnecting board replays at most this many events; beyond it, re-rendering the board is cheaper
than replaying (a board shows at most a few hundred leads)."""
MAX_REPLAY_AGE = timedelta(hours=24)
"""A board gone longer than a day re-renders instead of replaying: nobody wants yesterday's sounds."""
BOARD_QUEUE_LIMIT = 2000
"""Pushes waiting for one slow socket; past this the board is closed with "try again" and replays."""
SEND_TIMEOUT_SECONDS = 10.0
"""A send blocked this long means a dead or hopelessly slow client: close it, it will replay. Checked
at every heartbeat, so such a board goes within SEND_TIMEOUT_SECONDS + HEARTBEAT_SECONDS."""
SESSION_RECHECK_SECONDS = 30.0
"""How often a connected board's session is checked again: a revoked or expired login loses the live
feed within 30 s, at one small query per board per 30 s."""
STOP_SECONDS = 5.0
"""A stopping hub waits this long for its listener, reader and heartbeat to end: a Redis or database
call that never returns must not hold up the web process's shutdown (it is logged instead)."""
PRESENCE_TOUCH_SECONDS = 60.0
"""Connected staff are marked as seen this often: a third of router.presence.AWAY_AFTER, so a board
that stays connected never looks absent, at one UPDATE per hub per minute."""

CLOSE_RESET = 4000
"""Close code after the "re-render the whole board" instruction (the page's script reconnects)."""
CLOSE_SESSION_ENDED = 4401
"""Close code when the session expired or was revoked: the page asks to sign in, no reconnect."""
CLOSE_TRY_AGAIN = 1013
"""Standard "try again later": the htmx ws extension reconnects, and the board replays what it missed."""
CLOSE_SERVICE_RESTART = 1012
"""Standard "service restart" when a web process stops: boards reconnect to another process."""

CONFIG_CHANGED = "practice.configured"
"""The event after which every process drops its cached copy of that practice's configuration
(settings, locations, form sources), rather than waiting out the cache's few seconds."""

ACCESS_CHANGED = "staff.access_changed"
"""The event after which every board re-checks its session and scope at once (a user deactivated,
their password or role changed), rather than at its next periodic check."""
