"""Pages and pushed board fragments both speak the mapping's words and the location's time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.core.clock import FrozenClock
from web.board_fragments import board_environment

pytestmark = pytest.mark.unit


def test_the_board_fragments_environment_has_words_and_local_times() -> None:
    clock = FrozenClock(datetime(2026, 12, 4, 20, 0, tzinfo=UTC))
    env = board_environment(clock)
    page = env.from_string(
        "{{ 'walk_in' | words('source') }} | {{ words('lead.assigned', 'event') }} | "
        "{{ at | local_time('America/Chicago') }} | {{ ago(at) }}"
    ).render(at=datetime(2026, 12, 4, 17, 4, tzinfo=UTC))
    assert page == (
        'Walk-in | Assigned | <time datetime="2026-12-04T17:04:00+00:00" title="2026-12-04 17:04 UTC">'
        "11:04 CST</time> | 2 h 56 min ago"
    )
