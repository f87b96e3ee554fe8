"""How long each kind of test may take on 2 cores, and the report of what it took (docs/testing.md).

The budgets keep the whole suite under ten minutes as browser, fuzz and fault tests are added. The
report is printed at the end of every run; it never fails a test (tests assert behaviour, not
timings), it says which kind went over so the next change can bring it back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

SUITE_BUDGET_SECONDS = 600.0
"""The whole suite, on 2 cores."""

KIND_BUDGET_SECONDS = {
    "browser": 240.0,
    "fuzz": 120.0,
    "faults": 180.0,
}
"""Each kind's share; the rest of the suite gets what is left. Faults: twelve scenarios on one shared
world, of which the PostgreSQL outage alone is 20 s down by definition and two restart the worker."""

KINDS = tuple(KIND_BUDGET_SECONDS)


def kind_of(keywords: Any) -> str:
    """A test's kind by its markers (the first that applies), else "other"."""
    return next((kind for kind in KINDS if kind in keywords), "other")


class DurationReport:
    """Sums each test's setup, call and teardown time by kind."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.tests: dict[str, int] = defaultdict(int)

    def add(self, kind: str, phase: str, seconds: float) -> None:
        self.seconds[kind] += seconds
        if phase == "call":
            self.tests[kind] += 1

    def lines(self, wall_seconds: float) -> list[str]:
        total_budget = f"{SUITE_BUDGET_SECONDS:.0f} s"
        lines = [f"suite: {wall_seconds:.0f} s wall (budget {total_budget})"]
        for kind in (*KINDS, "other"):
            budget = KIND_BUDGET_SECONDS.get(kind)
            spent = self.seconds.get(kind, 0.0)
            over = " OVER BUDGET" if budget is not None and spent > budget else ""
            limit = f" (budget {budget:.0f} s)" if budget is not None else ""
            lines.append(f"{kind}: {self.tests.get(kind, 0)} tests, {spent:.0f} s{limit}{over}")
        return lines
