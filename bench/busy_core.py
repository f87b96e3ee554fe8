"""Keep a fraction of one core busy until stopped: the slow-phase emulation beside a benchmark.

    .venv/bin/python bench/busy_core.py 0.4     # 40% of a core: spin 4 ms, sleep 6 ms, repeat

Issue 22's latency targets must hold with another process taking 40% of a core beside the benchmark,
as on a day when the machine is shared. A short period (10 ms) spreads the lost time evenly, like a
neighbour's steady load rather than one long pause.
"""

from __future__ import annotations

import sys
import time

PERIOD_SECONDS = 0.010
"""One spin-and-sleep cycle: short enough that every 25 ms latency window loses about its share."""


def main() -> None:
    fraction = float(sys.argv[1]) if len(sys.argv) > 1 else 0.4
    if not 0 < fraction <= 1:
        raise SystemExit("the busy fraction is between 0 and 1")
    spin = PERIOD_SECONDS * fraction
    while True:
        until = time.perf_counter() + spin
        while time.perf_counter() < until:
            pass
        time.sleep(PERIOD_SECONDS - spin)


if __name__ == "__main__":
    main()
