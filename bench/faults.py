"""Longer fault-injection runs on demand: the scenarios of tests/faults/ at a higher rate for longer,
printed as a table (scenario, requests, 2xx, lost, duplicates, seconds to recover) and saved under
bench/results/.

    .venv/bin/python bench/faults.py                  # every scenario, 30 inquiries/s for 20 s each
    .venv/bin/python bench/faults.py --rate 50 --seconds 40 --only postgres,redis
    .venv/bin/python bench/faults.py --only postgres-outage,read-only,ws-cuts,worker-send

It starts its own PostgreSQL and Redis (embedded, under a temporary folder) and its own web and
worker processes; nothing it does touches the configured servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LEADROUTER_DEV", "1")

from tests.faults import outages, scenarios, sends  # noqa: E402
from tests.faults.checks import Outcome  # noqa: E402
from tests.faults.world import World  # noqa: E402

RESULTS = REPO / "bench" / "results"


def plan(rate: float, seconds: float) -> dict[str, object]:
    """Each scenario with its longer settings."""
    return {
        "postgres": lambda w: scenarios.postgres_restart(w, rate=rate, seconds=seconds, mode="fast"),
        "postgres-immediate": lambda w: scenarios.postgres_restart(
            w, rate=rate, seconds=seconds, mode="immediate"
        ),
        "redis": lambda w: scenarios.redis_kill(w, rate=rate, seconds=seconds, down=seconds / 4),
        "worker": lambda w: scenarios.worker_kill_mid_sweep(w, overdue=int(rate * 10)),
        "web": lambda w: scenarios.web_kill(w, rate=rate, seconds=seconds),
        "identical": lambda w: scenarios.identical_deliveries(w, count=100),
        "claims": lambda w: scenarios.racing_claims(w, staff=50),
        "double-submits": lambda w: scenarios.double_submits(w, people=50),
        "merges": lambda w: scenarios.racing_merges(w, leads=16, each=6),
        "postgres-outage": lambda w: outages.postgres_outage(w, down=max(20.0, seconds), rate=rate),
        "read-only": lambda w: outages.postgres_read_only(w, read_only=seconds / 3, rate=rate),
        "ws-cuts": lambda w: outages.websocket_cuts(w, boards=10, cuts=5, rate=rate, seconds=seconds),
        "worker-send": lambda w: sends.worker_kill_mid_send(w, alerts=5, patients=20),
    }


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| scenario | requests | 2xx first time | first answers | lost | duplicates | seconds to recover "
        "| problems |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        recover = f"{o.recover_seconds:.1f}" if o.recover_seconds is not None else "-"
        answers = ", ".join(f"{n}x {status}" for status, n in o.answers.items()) or "-"
        lines.append(
            f"| {o.scenario} | {o.requests} | {o.ok} | {answers} | {o.lost} | {o.duplicates} | {recover} | "
            f"{'; '.join(o.problems) or 'none'} |"
        )
    return "\n".join(lines)


async def run(names: list[str], rate: float, seconds: float, keep: str = "") -> list[Outcome]:
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="leadrouter-faults-") as scratch:
        world = World(Path(keep or scratch))
        try:
            await world.start()
            chosen = plan(rate, seconds)
            for name in names:
                started = time.monotonic()
                outcome = await chosen[name](world)  # type: ignore[operator]
                took = time.monotonic() - started
                print(f"{outcome.scenario}: {took:.0f} s, problems: {outcome.problems or 'none'}")
                outcomes.append(outcome)
        finally:
            await world.stop()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=30.0, help="inquiries a second during a fault")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    parser.add_argument("--only", default="", help="comma-separated scenarios: " + ", ".join(plan(1, 1)))
    parser.add_argument(
        "--keep", default="", help="run in this folder and keep it (the servers' data, worker.log)"
    )
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(plan(1, 1))
    outcomes = asyncio.run(run(names, args.rate, args.seconds, args.keep))
    text = table(outcomes)
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}-faults.json").write_text(
        json.dumps(
            {
                "benchmark": "faults",
                "at": stamp,
                "rate": args.rate,
                "seconds": args.seconds,
                "outcomes": [asdict(o) for o in outcomes],
            },
            indent=2,
        )
        + "\n"
    )
    if any(o.problems or o.lost or o.duplicates for o in outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
